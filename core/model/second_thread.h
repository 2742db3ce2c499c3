#pragma once
// The second thread of the model loader (internal to core/model): a main graph of 16k nodes or more is
// read by two threads (model.cpp, Loader::readNodes). This one counts the nodes after the first 16k
// (their heads only), hands the count to the loader, then reads what follows the nodes: initializers,
// inputs, outputs, value infos. Also what both threads read alike: a graph's fields other than nodes.
#include "model/mapped_file.h"
#include "model/model.h"
#include "model/name_store.h"
#include "model/wire_messages.h"
#include "model/wire_reader.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <future>
#include <limits>
#include <mutex>
#include <utility>
#include <vector>

namespace hs {

// How a big main graph is read through FileWindows (model/file_window.h), in buffers of at most
// LoadOptions::readBufferBytes. The nodes: in reads that start at 128 KB (a small graph before its
// weights reads little more than itself) and double up to the buffer's size. What follows them: the
// kilobyte around each field's head, bodies of up to 4 KB copied (names, shapes, small tensors), longer
// ones (weights) only located; a run of small fields in reads that double up to 64 KB. A read per
// initializer's head of 256 bytes, and a second for its body, cost deep-1000's 16k initializers 28k
// system calls: more than the nodes' parsing on the other thread. Now 7k.
constexpr std::size_t kNodeFirstRead = std::size_t{128} << 10;
constexpr std::size_t kRestRead = 1024;
constexpr std::size_t kRestReadMost = std::size_t{64} << 10;
constexpr std::size_t kRestInline = std::size_t{4} << 10;

// A GraphProto field other than a node, read the same way by the loader and by its second thread (a
// field read in one place only would be lost on big graphs). `named` says the graph's name was set;
// initializers go to `initializer`.
template <typename OnInitializer>
void readGraphField(const wire::Field& f, Graph& g, bool& named, OnInitializer&& initializer) {
    switch (f.number) {
    case 2:
        g.name = wire::str(f);
        named = true;
        break;
    case 5:
        wire::expectMessage(f, "initializer");
        initializer(f);
        break;
    case 11:
        wire::expectMessage(f, "input");
        g.inputs.push_back(wire::parseValueInfo(f));
        break;
    case 12:
        wire::expectMessage(f, "output");
        g.outputs.push_back(wire::parseValueInfo(f));
        break;
    case 13:
        wire::expectMessage(f, "value_info");
        g.valueInfo.push_back(wire::parseValueInfo(f));
        break;
    default:
        break;
    }
}

// Takes the header's name and dims; its external data entries stay for ExternalData::resolve. A tensor of
// at most kKeptTensorBytes is copied into `kept` (Initializer::kept).
Initializer initializerFrom(wire::TensorHeader& t, const wire::Field& f, NameStore& kept);

// A graph's leading run of nodes: how many, to size the node vector (big graphs otherwise spend their
// time moving Nodes while it grows), and where the run ends, where a second thread can start. Writers
// serialize fields in number order, nodes (1) first, so a count stops at the first other field after
// them: it does not walk the initializers' pages a second time. Files in another order only get a
// vector that grows and one reading thread.
struct NodeRun {
    std::size_t count = 0;
    std::uint64_t end = 0; // file offset after the run's last node counted
    bool more = false;     // the count stopped at its limit: more nodes may follow
};

// Counts the run of nodes `r` (a Reader or a WindowReader) is in, from `run` on, stopping at `limit`
// nodes (NodeRun::more). `marks`, when set, receives the offset of every `every`-th node from `run` on
// (the starts of NodeChunks).
template <typename Fields>
NodeRun leadingNodes(Fields& r, std::size_t limit = std::numeric_limits<std::size_t>::max(), NodeRun run = {},
                     std::vector<std::uint64_t>* marks = nullptr, std::size_t every = 1) {
    run.more = false;
    const std::size_t from = run.count;
    while (!r.atEnd()) {
        const std::uint64_t at = r.position();
        const wire::Field f = r.next();
        if (f.number == 1) {
            if (marks && (run.count - from) % every == 0) marks->push_back(at);
            ++run.count;
            run.end = r.position();
            if (run.count >= limit) {
                run.more = true;
                break;
            }
        } else if (run.count > 0) {
            break;
        }
    }
    return run;
}

// What follows a big main graph's leading nodes (initializers, inputs, outputs, value infos), read by
// another thread while the loader reads the nodes (see Loader::readNodes).
struct ReadRest {
    Graph fields; // its name (when `named`), initializers, inputs, outputs and value infos
    bool named = false;
    NameStore kept; // the initializers' kept copies (Initializer::kept)
    // External initializers are resolved by the loader afterwards, in file order: its ExternalData
    // caches file sizes and its errors must come in the order a single reader meets them.
    std::vector<std::pair<std::size_t, StringPairs>> external;
    bool complete = false; // false: it stopped, and the loader reads these fields itself
};

// What follows the nodes, [range) of the file, read by the second thread through a FileWindow of its own
// (or through the mapping when the file was replaced since it was mapped). Never throws: whatever it
// could not read leaves ReadRest::complete false.
ReadRest readRest(const MappedFile& file, ByteSpan range, std::size_t bufferBytes);

// The other thread's count of a big main graph's nodes (Loader::readNodes).
struct CountedRun {
    NodeRun run;
    bool counted = false; // false: the count met something unusual, and the loader reads it all in order
    // What the count met in the run's heads (a malformed field): one thread counting the whole run
    // before reading it would have failed with it first, so the loader does.
    std::exception_ptr error;
};

// The nodes after a big graph's first `from`, in chunks of `size` nodes (chunk k starts at node
// from + k * size). The loader parses them from the front, in order; the other thread, once it has
// counted them and read what follows them, parses chunks from the back, until the two meet. Each side
// asks for a chunk before parsing it, so no chunk is parsed twice.
class NodeChunks {
public:
    NodeChunks(std::size_t from, std::size_t size) : from_(from), size_(std::max<std::size_t>(size, 1)) {}
    std::size_t from() const { return from_; }
    std::size_t size() const { return size_; }
    // The node chunk k starts at.
    std::size_t startOf(std::size_t k) const { return from_ + k * size_; }
    // The loader's: true when chunk k is the loader's to parse (the other thread has not taken it).
    bool takeFront(std::size_t k);
    // The other thread's: the last chunk not yet taken of the first `count`, or npos when the loader has
    // reached it.
    std::size_t takeBack(std::size_t count);
    static constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();

private:
    const std::size_t from_, size_;
    std::mutex mutex_;
    std::size_t front_ = 0;   // chunks below it are the loader's
    std::size_t back_ = npos; // chunks from it on are the other thread's
};

// Chunks the other thread parsed: [first, first + nodes.size()), the last ones of the run, each a vector
// of its nodes, their names in `names`. A chunk it took and could not parse (a node with a graph
// attribute, whose body the loader must read in order, or a malformed node) is not among them: the
// loader parses it, and meets the error itself, in order.
struct ParsedChunks {
    std::size_t first = NodeChunks::npos;
    std::vector<std::vector<Node>> nodes;
    NameStore names;
    std::size_t nodesWithMetadata = 0;
    bool has(std::size_t k) const {
        return first != NodeChunks::npos && k >= first && k - first < nodes.size();
    }
};

struct SecondThreadWork {
    ReadRest rest;
    ParsedChunks chunks;
};

// The other thread's work on a big main graph: counts its nodes after the first `first` ones (their
// heads only, through a buffer of its own), hands the count to the loader, reads what follows them,
// then parses chunks of the nodes from the back while the loader parses from the front.
SecondThreadWork countReadRestAndParse(const MappedFile& file, std::uint64_t end, NodeRun first,
                                       std::size_t bufferBytes, std::promise<CountedRun>& count,
                                       NodeChunks& chunks);

} // namespace hs
