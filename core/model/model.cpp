#include "model/model.h"

#include "common/error.h"
#include "common/huge_pages.h"
#include "model/external_data.h"
#include "model/file_kind.h"
#include "model/file_window.h"
#include "model/mapped_file.h"
#include "model/node_parser.h"
#include "model/second_thread.h"
#include "model/walk_paging.h"
#include "model/wire_messages.h"
#include "model/wire_reader.h"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <future>
#include <iterator>
#include <limits>
#include <optional>
#include <thread>

namespace hs {
namespace {

namespace fs = std::filesystem;
using wire::expectMessage;
using wire::Field;
using wire::FileWindow;
using wire::Reader;
using wire::TensorHeader;
using wire::WindowReader;

// Subgraphs (If, Loop, Scan bodies) inside each other. Hostile files could nest them without end, and
// protobuf, which parses a node for the ONNX library when extracting, stops at 100 message levels:
// 33 nested bodies. Refused the same way by every command, below that.
constexpr int kMaxGraphDepth = 32;

class Loader final : public wire::SubgraphSink {
public:
    Loader(Model& model, const fs::path& folder, const LoadOptions& options)
        : model_(model), external_(model.path, folder), options_(options), nodes_(*model.names, this) {}

    void parseModel(std::string_view bytes) {
        Reader r(bytes, 0);
        bool sawGraph = false;
        while (!r.atEnd()) {
            Field f = r.next();
            switch (f.number) {
            case 1:
                model_.irVersion = static_cast<std::int64_t>(f.varint);
                break;
            case 2:
                model_.producerName = str(f);
                break;
            case 3:
                model_.producerVersion = str(f);
                break;
            case 4:
                model_.domain = str(f);
                break;
            case 5:
                model_.modelVersion = static_cast<std::int64_t>(f.varint);
                break;
            case 6:
                model_.docString = str(f);
                break;
            case 7:
                expectMessage(f, "graph");
                if (sawGraph) throw Error(model_.path + ": not a valid ONNX model: more than one main graph");
                sawGraph = true;
                model_.graphSpan = {f.offset, f.bytes.size()};
                mainGraph_ = f;
                break;
            case 8:
                expectMessage(f, "opset_import");
                model_.opsets.push_back(parseOpset(f));
                break;
            case 14:
                expectMessage(f, "metadata_props");
                model_.metadata.push_back(parseStringPair(f));
                break;
            case 25:
                expectMessage(f, "functions");
                functionFields_.push_back(f);
                break;
            default:
                break;
            }
        }
        if (!sawGraph || model_.irVersion <= 0)
            throw Error(model_.path + ": not an ONNX model (no " + (sawGraph ? "IR version" : "graph") +
                        " found)");
        model_.graphs.emplace_back();
        model_.graphs[0] = parseGraph(mainGraph_, GraphKind::Main, 0);
        // Functions are parsed after the main graph so that graphs[0] stays the main graph.
        for (const Field& f : functionFields_)
            parseFunction(f);
        model_.nodesWithMetadata = nodes_.nodesWithMetadata() + nodesWithMetadataElsewhere_;
    }

private:
    Graph parseGraph(const Field& outer, GraphKind kind, int depth) {
        if (depth > kMaxGraphDepth)
            throw Error(model_.path + ": subgraphs nested more than " + std::to_string(kMaxGraphDepth) +
                        " levels deep (If, Loop or Scan bodies inside each other); at most " +
                        std::to_string(kMaxGraphDepth) + " are supported");
        if (kind == GraphKind::Main) return parseMainGraph(outer);
        Graph g;
        g.kind = kind;
        const int self = static_cast<int>(model_.graphs.size()) - 1;
        Reader run(outer.bytes, outer.offset);
        g.nodes.reserve(leadingNodes(run).count);
        Reader r(outer.bytes, outer.offset);
        readFields(r, g, self, depth, nullptr);
        return g;
    }

    // The main graph. A big one is read by two threads: this one reads the nodes, through a
    // FileWindow, while another counts the rest of them and reads what follows (see readNodes).
    Graph parseMainGraph(const Field& outer) {
        const std::uint64_t end = outer.offset + outer.bytes.size();
        FileWindow window(*model_.file, options_.readBufferBytes, kNodeFirstRead,
                          FileWindow::Pattern::Sequential);
        if (!window.valid()) {
            Reader heads(outer.bytes, outer.offset);
            return readThroughMapping(outer, leadingNodes(heads));
        }
        // The first nodes are counted (heads only: bodies are skipped): a graph with fewer is read by
        // this thread alone, its node vector sized once.
        WindowReader heads(window, outer.offset, end, 0);
        NodeRun run = leadingNodes(heads, options_.twoThreadsFromNodes);
        if (run.more && run.end < end && std::thread::hardware_concurrency() >= 2)
            return readNodes(outer, window, run);
        if (run.more) run = leadingNodes(heads, std::numeric_limits<std::size_t>::max(), run);
        return readThroughMapping(outer, run);
    }

    // A big main graph: another thread counts the nodes after the first `counted` (to size the node
    // vector and find where the run of nodes ends), reads what follows them (readRest), then parses
    // chunks of the nodes from the back, while this one parses them from the start, through `window`,
    // until the two meet (NodeChunks). Anything unusual (a malformed node, a graph attribute, a node
    // after the initializers, a malformed field after them) stops the other thread; this one then
    // reads that part itself, in order, as it would have anyway.
    Graph readNodes(const Field& outer, FileWindow& window, const NodeRun& counted) {
        Graph g;
        const std::uint64_t end = outer.offset + outer.bytes.size();
        // Declared before the thread's future, so they outlive the thread.
        std::promise<CountedRun> promise;
        NodeChunks chunks(counted.count, options_.nodesPerChunk);
        std::future<CountedRun> runOfNodes = promise.get_future();
        std::future<SecondThreadWork> theirWork =
            std::async(std::launch::async, countReadRestAndParse, std::cref(*model_.file), end, counted,
                       options_.readBufferBytes, std::ref(promise), std::ref(chunks));
        if (options_.otherThreadFirst) theirWork.wait();
        g.nodes.reserve(counted.count);
        std::optional<CountedRun> run;
        auto takeCount = [&] {
            run = runOfNodes.get();
            if (run->error) std::rethrow_exception(run->error);
            if (run->counted) g.nodes.reserve(run->run.count);
        };
        std::optional<SecondThreadWork> work;
        auto takeWork = [&]() -> SecondThreadWork& {
            if (!work) {
                work = theirWork.get();
                model_.names->adopt(std::move(work->chunks.names));
                nodesWithMetadataElsewhere_ += work->chunks.nodesWithMetadata;
            }
            return *work;
        };
        bool theirs = false;
        try {
            theirs = readLeadingNodes(outer, window, g, runOfNodes, run, takeCount, chunks, takeWork);
        } catch (...) {
            if (!run) takeCount(); // an error in the count's heads comes first, as with one thread
            throw;
        }
        if (!theirs) return g; // this thread has read the whole graph
        // The other thread stopped: what follows the nodes is read here, in order.
        if (!takeRest(std::move(takeWork().rest), g))
            readFieldsThroughMapping(g, {run->run.end, end - run->run.end});
        return g;
    }

    // readNodes' own part: the graph's fields from the start, up to where the other thread's count says
    // the nodes end, or up to the first chunk of them the other thread parsed (true: what follows is
    // the other thread's), or to the graph's end when it could not count (false).
    template <typename TakeCount, typename TakeWork>
    bool readLeadingNodes(const Field& outer, FileWindow& window, Graph& g,
                          std::future<CountedRun>& runOfNodes, std::optional<CountedRun>& run,
                          TakeCount&& takeCount, NodeChunks& chunks, TakeWork&& takeWork) {
        const std::uint64_t end = outer.offset + outer.bytes.size();
        bool named = false, seenNode = false;
        std::size_t chunk = 0; // the next chunk this thread asks for, at its first node
        WindowReader r(window, outer.offset, end, window.capacity());
        while (!r.atEnd()) {
            const std::uint64_t at = r.position();
            // Asked every 1024 nodes: the count arrives while the first tens of thousands are read.
            if (!run && g.nodes.size() % 1024 == 0 &&
                runOfNodes.wait_for(std::chrono::seconds(0)) == std::future_status::ready)
                takeCount();
            if (run && run->counted && at == run->run.end) return true;
            if (g.nodes.size() == chunks.startOf(chunk)) {
                if (!chunks.takeFront(chunk) && appendTheirChunks(chunk, g, takeWork())) {
                    if (!run) takeCount(); // it took a chunk: it has counted
                    return true;
                }
                ++chunk; // this thread's, or one the other thread gave up on
            }
            const Field f = r.next();
            if (f.number == 1) {
                expectMessage(f, "node");
                g.nodes.push_back(nodes_.parse(f, 0, static_cast<int>(g.nodes.size()), 0));
                seenNode = true;
                continue;
            }
            if (seenNode && !run) {
                takeCount();
                if (run->counted && at == run->run.end) return true;
            }
            // Before the nodes, or after them when the other thread could not count: read here.
            readGraphField(f, g, named,
                           [&](const Field& tensor) { g.initializers.push_back(parseInitializer(tensor)); });
        }
        return false;
    }

    // The other thread's chunks from k on, the last of the run, appended to g; false when it did not
    // parse chunk k (it could not), which this thread then parses.
    static bool appendTheirChunks(std::size_t k, Graph& g, SecondThreadWork& work) {
        ParsedChunks& parsed = work.chunks;
        if (!parsed.has(k)) return false;
        for (std::size_t c = k - parsed.first; c < parsed.nodes.size(); ++c)
            std::move(parsed.nodes[c].begin(), parsed.nodes[c].end(), std::back_inserter(g.nodes));
        return true;
    }

    // The main graph through the mapping, its leading nodes counted: one thread, or two when the file
    // was replaced since it was mapped and the run is long.
    Graph readThroughMapping(const Field& outer, const NodeRun& run) {
        Graph g;
        const std::uint64_t end = outer.offset + outer.bytes.size();
        g.nodes.reserve(run.count);
        if (run.count == 0 || run.end >= end) { // no run of nodes, or nothing after it
            readFieldsThroughMapping(g, {outer.offset, end - outer.offset});
            return g;
        }
        // The nodes through the mapping, what follows them by pread: on a big graph by another thread
        // meanwhile, else by this one afterwards. Through the mapping, each initializer's header cost a
        // page fault that mapped the pages around it, and then an unmap behind the walk, whose TLB flush
        // is an interrupt to every other core running one of our threads: most of bert-base's open.
        const ByteSpan after{run.end, end - run.end};
        std::future<ReadRest> rest = startRest(run.count, after);
        readFieldsThroughMapping(g, {outer.offset, run.end - outer.offset});
        // Stopped (a node after the initializers, a malformed field): read here, in order, through the
        // mapping.
        if (!takeRest(rest.valid() ? rest.get() : readRest(*model_.file, after, options_.readBufferBytes), g))
            readFieldsThroughMapping(g, after);
        return g;
    }

    // Fields of the main graph in [range) of the file into g, through the mapping, paged as they go.
    void readFieldsThroughMapping(Graph& g, ByteSpan range) {
        WalkPaging pages(*model_.file, range);
        Reader r(model_.file->bytes(range.offset, range.length), range.offset);
        readFields(r, g, 0, 0, &pages);
        pages.finish(r.position());
    }

    // The fields of a graph from `r` (a Reader or a WindowReader) into g, whose index is `self`.
    template <typename Fields> void readFields(Fields& r, Graph& g, int self, int depth, WalkPaging* pages) {
        bool named = false; // not needed here: a later name replaces an earlier one either way
        while (!r.atEnd()) {
            if (pages) pages->at(r.position());
            const Field f = r.next();
            if (f.number == 1) {
                expectMessage(f, "node");
                g.nodes.push_back(nodes_.parse(f, self, static_cast<int>(g.nodes.size()), depth));
            } else {
                readGraphField(f, g, named, [&](const Field& tensor) {
                    g.initializers.push_back(parseInitializer(tensor));
                });
            }
        }
    }

    // A big main graph's nodes and what follows them (`after`: initializers, inputs, outputs, value
    // infos) are read by two threads: both cost about the same (the nodes' parsing against a read of
    // each initializer's header), and neither depends on the other. None below twoThreadsFromNodes
    // nodes. Anything unusual after the nodes (another node, a malformed field) stops the other thread;
    // this one then reads that part itself, in order, as it would have anyway.
    std::future<ReadRest> startRest(std::size_t nodes, ByteSpan after) {
        if (nodes < options_.twoThreadsFromNodes || std::thread::hardware_concurrency() < 2) return {};
        return std::async(std::launch::async,
                          [&file = *model_.file, after, bytes = options_.readBufferBytes] {
                              adviseHugePagesForThisThread(); // common/huge_pages.h
                              return readRest(file, after, bytes);
                          });
    }
    // Moves the other thread's fields into g; false when it stopped (this thread reads them instead).
    bool takeRest(ReadRest&& rest, Graph& g) {
        if (!rest.complete) return false;
        Graph& read = rest.fields;
        model_.names->adopt(std::move(rest.kept));
        for (auto& [index, entries] : rest.external)
            external_.resolve(read.initializers[index], entries);
        if (rest.named) g.name = std::move(read.name);
        // After whatever came before the nodes, as one thread reading in order would have put them.
        auto append = [](auto& to, auto& from) {
            std::move(from.begin(), from.end(), std::back_inserter(to));
        };
        append(g.initializers, read.initializers);
        append(g.inputs, read.inputs);
        append(g.outputs, read.outputs);
        append(g.valueInfo, read.valueInfo);
        return true;
    }

    int parseSubgraph(const Field& f, int parentGraph, int parentNode, const std::string& attr,
                      int depth) override {
        int index = static_cast<int>(model_.graphs.size());
        model_.graphs.emplace_back();
        Graph g = parseGraph(f, GraphKind::Subgraph, depth + 1);
        g.parentGraph = parentGraph;
        g.parentNode = parentNode;
        g.parentAttribute = attr;
        model_.graphs[static_cast<std::size_t>(index)] = std::move(g);
        return index;
    }

    Initializer parseInitializer(const Field& f) {
        TensorHeader t = parseTensorHeader(f);
        Initializer init = initializerFrom(t, f, *model_.names);
        if (init.external) external_.resolve(init, t.externalData);
        return init;
    }

    void parseFunction(const Field& outer) {
        Function fn;
        fn.span = {outer.offset, outer.bytes.size()};
        std::vector<Field> nodeFields;
        Reader r(outer.bytes, outer.offset);
        while (!r.atEnd()) {
            Field f = r.next();
            switch (f.number) {
            case 1:
                fn.name = str(f);
                break;
            case 4:
                fn.inputs.push_back(str(f));
                break;
            case 5:
                fn.outputs.push_back(str(f));
                break;
            case 6:
                fn.attributes.push_back(str(f));
                break;
            case 7:
                nodeFields.push_back(f);
                break;
            case 9:
                fn.opsets.push_back(parseOpset(f));
                break;
            case 10:
                fn.domain = str(f);
                break;
            case 13:
                fn.overload = str(f);
                break;
            default:
                break;
            }
        }
        int functionIndex = static_cast<int>(model_.functions.size());
        int bodyIndex = static_cast<int>(model_.graphs.size());
        model_.graphs.emplace_back();
        Graph body;
        body.kind = GraphKind::FunctionBody;
        body.name = fn.domain + "::" + fn.name;
        body.function = functionIndex;
        for (const Field& nf : nodeFields)
            body.nodes.push_back(nodes_.parse(nf, bodyIndex, static_cast<int>(body.nodes.size()), 1));
        for (const auto& in : fn.inputs)
            body.inputs.push_back({in, {}, {}});
        for (const auto& out : fn.outputs)
            body.outputs.push_back({out, {}, {}});
        model_.graphs[static_cast<std::size_t>(bodyIndex)] = std::move(body);
        fn.body = bodyIndex;
        model_.functions.push_back(std::move(fn));
    }

    Model& model_;
    ExternalData external_;
    Field mainGraph_;
    std::vector<Field> functionFields_;
    LoadOptions options_;
    wire::NodeParser nodes_;                     // this thread's
    std::size_t nodesWithMetadataElsewhere_ = 0; // in nodes the other thread parsed
};

} // namespace

std::shared_ptr<const Model> loadModel(const std::string& path, const LoadOptions& options) {
    auto file = MappedFile::open(path);
    if (file->size() == 0) throw Error(path + ": empty file, not an ONNX model");
    auto model = std::make_shared<Model>();
    model->path = path;
    model->fileSize = file->size();
    model->file = file;
    fs::path folder = fs::path(path).parent_path();
    if (folder.empty()) folder = ".";
    const std::string_view head = file->bytes(0, std::min<std::uint64_t>(file->size(), 512));
    const std::string kind = signatureKind(head);
    if (!kind.empty()) throw Error(path + ": not an ONNX model: it looks like " + kind);
    Loader loader(*model, folder, options);
    try {
        loader.parseModel(file->bytes(0, file->size()));
    } catch (const wire::Malformed& e) {
        // Text fails the wire reader early with a meaningless field error; say what the file is.
        const std::string text = textKind(head);
        if (!text.empty()) throw Error(path + ": not an ONNX model: it looks like " + text);
        throw Error(path + ": truncated or corrupt ONNX file (" + e.what() + ")");
    }
    return model;
}

std::uint64_t Model::weightBytes() const {
    std::uint64_t total = 0;
    for (const auto& g : graphs)
        for (const auto& init : g.initializers)
            total += init.byteSize();
    return total;
}

std::uint64_t Model::externalWeightBytes() const {
    std::uint64_t total = 0;
    for (const auto& g : graphs)
        for (const auto& init : g.initializers)
            if (init.external) total += init.externalLength;
    return total;
}

std::size_t Model::initializerCount() const {
    std::size_t total = 0;
    for (const auto& g : graphs)
        total += g.initializers.size();
    return total;
}

int Model::findFunction(const std::string& fnDomain, const std::string& name) const {
    for (std::size_t i = 0; i < functions.size(); ++i)
        if (functions[i].name == name && functions[i].domain == fnDomain) return static_cast<int>(i);
    return -1;
}

} // namespace hs
