#include "model/second_thread.h"

#include "common/huge_pages.h"
#include "model/file_window.h"
#include "model/node_parser.h"
#include "model/walk_paging.h"

namespace hs {

using wire::Field;
using wire::FileWindow;
using wire::Reader;
using wire::TensorHeader;
using wire::WindowReader;

// Takes the header's name and dims; its external data entries stay for ExternalData::resolve.
Initializer initializerFrom(TensorHeader& t, const Field& f, NameStore& kept) {
    Initializer init;
    if (!t.external && f.bytes.size() <= kKeptTensorBytes) init.kept = kept.copy(f.bytes);
    init.name = std::move(t.name);
    init.dataType = t.dataType;
    init.dims = std::move(t.dims);
    init.span = {f.offset, f.bytes.size()};
    init.payload = t.payload;
    init.external = t.external;
    return init;
}

namespace {

// Reads the fields of [range) into `rest` with `r` (a Reader or a WindowReader); `header` reads an
// initializer's TensorProto; `pages`, when set, is told where the walk is. False when it met a node.
template <typename Fields, typename Header>
bool readRestFields(Fields& r, ReadRest& rest, Header&& header, WalkPaging* pages) {
    std::vector<Initializer>& initializers = rest.fields.initializers;
    while (!r.atEnd()) {
        if (pages) pages->at(r.position());
        const Field f = r.next();
        if (f.number == 1) return false; // a node after the others: the loader reads these in order
        readGraphField(f, rest.fields, rest.named, [&](const Field& tensor) {
            TensorHeader t = header(tensor);
            if (t.external) rest.external.emplace_back(initializers.size(), std::move(t.externalData));
            initializers.push_back(initializerFrom(t, tensor, rest.kept));
        });
    }
    if (pages) pages->finish(r.position());
    return true;
}

} // namespace

ReadRest readRest(const MappedFile& file, ByteSpan range, std::size_t bufferBytes) {
    ReadRest rest;
    try {
        const std::size_t inlineLimit = std::min(kRestInline, bufferBytes);
        FileWindow window(file, std::min(kRestReadMost, bufferBytes), kRestRead, FileWindow::Pattern::Random);
        if (window.valid()) {
            WindowReader r(window, range.offset, range.offset + range.length, inlineLimit);
            auto header = [&](const Field& tensor) {
                if (r.inBuffer(tensor)) return parseTensorHeader(tensor);
                WindowReader fields(window, tensor.offset, tensor.offset + tensor.bytes.size(), inlineLimit);
                return parseTensorHeader(fields);
            };
            if (!readRestFields(r, rest, header, nullptr)) return rest;
        } else { // the file was replaced since it was mapped: the mapping's bytes are the model's
            WalkPaging pages(file, range);
            Reader r(file.bytes(range.offset, range.length), range.offset);
            auto header = [](const Field& tensor) { return parseTensorHeader(tensor); };
            if (!readRestFields(r, rest, header, &pages)) return rest;
        }
    } catch (...) { // malformed, memory, a failed read: met again in order by the loader
        return rest;
    }
    rest.complete = true;
    return rest;
}

bool NodeChunks::takeFront(std::size_t k) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (k >= back_) return false;
    front_ = k + 1;
    return true;
}

std::size_t NodeChunks::takeBack(std::size_t count) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const std::size_t next = std::min(back_, count);
    if (next == 0 || next - 1 < front_) return npos;
    back_ = next - 1;
    return back_;
}

namespace {

// Parses chunk k, [begin, end) of the file, into `nodes`; false when it cannot (a graph attribute, a
// malformed node, a failed read): the loader parses that chunk itself.
bool parseChunk(FileWindow& window, wire::NodeParser& parser, std::uint64_t begin, std::uint64_t end,
                std::size_t firstIndex, std::vector<Node>& nodes) {
    try {
        WindowReader r(window, begin, end, window.capacity());
        while (!r.atEnd()) {
            const Field f = r.next();
            wire::expectMessage(f, "node"); // the count saw field number 1 only
            nodes.push_back(parser.parse(f, 0, static_cast<int>(firstIndex + nodes.size()), 0));
        }
        return true;
    } catch (...) { // met again in order by the loader
        return false;
    }
}

// Chunks of the run [first node of chunk 0, run.end), from the back, until the loader reaches them.
ParsedChunks parseChunksFromTheBack(const MappedFile& file, std::size_t bufferBytes, const NodeRun& run,
                                    const std::vector<std::uint64_t>& marks, NodeChunks& chunks) {
    ParsedChunks parsed;
    FileWindow window(file, bufferBytes, kNodeFirstRead, FileWindow::Pattern::Sequential);
    if (!window.valid()) return parsed;
    wire::NodeParser parser(parsed.names, nullptr);
    std::vector<std::vector<Node>> fromTheBack;
    for (std::size_t k = chunks.takeBack(marks.size()); k != NodeChunks::npos; k = chunks.takeBack(k)) {
        std::vector<Node> nodes;
        nodes.reserve(chunks.size());
        const std::uint64_t end = k + 1 < marks.size() ? marks[k + 1] : run.end;
        if (!parseChunk(window, parser, marks[k], end, chunks.from() + k * chunks.size(), nodes)) break;
        fromTheBack.push_back(std::move(nodes));
        parsed.first = k;
        // Counted per chunk kept: the nodes of a chunk given up are counted again by the loader.
        parsed.nodesWithMetadata = parser.nodesWithMetadata();
    }
    parsed.nodes.assign(std::make_move_iterator(fromTheBack.rbegin()),
                        std::make_move_iterator(fromTheBack.rend()));
    return parsed;
}

} // namespace

SecondThreadWork countReadRestAndParse(const MappedFile& file, std::uint64_t end, NodeRun first,
                                       std::size_t bufferBytes, std::promise<CountedRun>& count,
                                       NodeChunks& chunks) {
    adviseHugePagesForThisThread(); // its nodes, names and initializers (common/huge_pages.h)
    CountedRun counted;
    std::vector<std::uint64_t> marks; // where each chunk starts
    try {
        FileWindow window(file, bufferBytes, kNodeFirstRead, FileWindow::Pattern::Sequential);
        if (window.valid()) {
            WindowReader heads(window, first.end, end, 0);
            counted.run =
                leadingNodes(heads, std::numeric_limits<std::size_t>::max(), first, &marks, chunks.size());
            counted.counted = true;
        }
    } catch (...) { // malformed, memory, a failed read
        counted.counted = false;
        counted.error = std::current_exception();
    }
    count.set_value(counted);
    SecondThreadWork work;
    if (!counted.counted) return work;
    work.rest = readRest(file, ByteSpan{counted.run.end, end - counted.run.end}, bufferBytes);
    try {
        work.chunks = parseChunksFromTheBack(file, bufferBytes, counted.run, marks, chunks);
    } catch (...) { // memory: the loader parses every chunk
        work.chunks = ParsedChunks{};
    }
    return work;
}

} // namespace hs
