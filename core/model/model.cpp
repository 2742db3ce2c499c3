#include "model/model.h"

#include "common/error.h"
#include "model/external_data.h"
#include "model/file_kind.h"
#include "model/mapped_file.h"
#include "model/walk_paging.h"
#include "model/wire_messages.h"
#include "model/wire_reader.h"

#include <algorithm>
#include <unordered_map>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>

namespace hs {
namespace {

namespace fs = std::filesystem;
using wire::Field;
using wire::Reader;
using wire::TensorHeader;

// Subgraphs (If, Loop, Scan bodies) inside each other. Hostile files could nest them without end, and
// protobuf, which parses a node for the ONNX library when extracting, stops at 100 message levels:
// 33 nested bodies. Refused the same way by every command, below that.
constexpr int kMaxGraphDepth = 32;

// Attribute summaries are built for every node: plain string appends, no ostringstream (which costs a
// locale setup per use and dominated opening graphs with many Constants), and no vector of the value
// texts: the first value (a scalar's summary) and the list's first 16 joined are all that is shown.
struct Values {
    static constexpr std::size_t kShown = 16;
    std::string first, list; // the first value; the first kShown joined with ", "
    std::size_t count = 0;
    void push_back(std::string value) {
        if (count < kShown) {
            if (count) list += ", ";
            list += value;
        }
        if (count == 0) first = std::move(value);
        ++count;
    }
    std::string joined() const { // "[1, 2, 3]", "[1, ..., 16, ... (40)]"
        std::string out = "[" + list;
        if (count > kShown) out += ", ... (" + std::to_string(count) + ")";
        out += ']';
        return out;
    }
};

class Loader {
public:
    Loader(Model& model, const fs::path& folder) : model_(model), external_(model.path, folder) {}

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
                expect(f, wire::LengthDelimited, "graph");
                if (sawGraph) throw Error(model_.path + ": not a valid ONNX model: more than one main graph");
                sawGraph = true;
                model_.graphSpan = {f.offset, f.bytes.size()};
                mainGraph_ = f;
                break;
            case 8:
                expect(f, wire::LengthDelimited, "opset_import");
                model_.opsets.push_back(parseOpset(f));
                break;
            case 14:
                expect(f, wire::LengthDelimited, "metadata_props");
                model_.metadata.push_back(parseStringPair(f));
                break;
            case 25:
                expect(f, wire::LengthDelimited, "functions");
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
    }

private:
    void expect(const Field& f, wire::WireType type, const char* what) {
        if (f.type != type) throw wire::Malformed(what);
    }

    Graph parseGraph(const Field& outer, GraphKind kind, int depth) {
        if (depth > kMaxGraphDepth)
            throw Error(model_.path + ": subgraphs nested more than " + std::to_string(kMaxGraphDepth) +
                        " levels deep (If, Loop or Scan bodies inside each other); at most " +
                        std::to_string(kMaxGraphDepth) + " are supported");
        Graph g;
        g.kind = kind;
        int self = depth == 0 && kind == GraphKind::Main ? 0 : static_cast<int>(model_.graphs.size()) - 1;
        reserveNodes(outer, g);
        std::optional<WalkPaging> pages;
        if (kind == GraphKind::Main) pages.emplace(*model_.file, ByteSpan{outer.offset, outer.bytes.size()});
        Reader r(outer.bytes, outer.offset);
        while (!r.atEnd()) {
            if (pages) pages->at(r.position());
            Field f = r.next();
            switch (f.number) {
            case 1:
                expect(f, wire::LengthDelimited, "node");
                g.nodes.push_back(parseNode(f, self, static_cast<int>(g.nodes.size()), depth));
                break;
            case 2:
                g.name = str(f);
                break;
            case 5:
                expect(f, wire::LengthDelimited, "initializer");
                g.initializers.push_back(parseInitializer(f));
                break;
            case 11:
                expect(f, wire::LengthDelimited, "input");
                g.inputs.push_back(parseValueInfo(f));
                break;
            case 12:
                expect(f, wire::LengthDelimited, "output");
                g.outputs.push_back(parseValueInfo(f));
                break;
            case 13:
                expect(f, wire::LengthDelimited, "value_info");
                g.valueInfo.push_back(parseValueInfo(f));
                break;
            default:
                break;
            }
        }
        if (pages) pages->finish(r.position());
        return g;
    }

    // A quick pass over the graph's leading nodes to size the node vector: big graphs otherwise spend
    // their time moving Nodes while the vector grows. Writers serialize fields in number order, nodes
    // (1) first, so the pass stops at the first other field after them: it does not walk (and map) the
    // initializers' pages a second time. Files in another order only get a vector that grows.
    static void reserveNodes(const Field& outer, Graph& g) {
        std::size_t nodes = 0;
        Reader r(outer.bytes, outer.offset);
        while (!r.atEnd()) {
            const Field f = r.next();
            if (f.number == 1)
                ++nodes;
            else if (nodes > 0)
                break;
        }
        g.nodes.reserve(nodes);
    }

    // Input and output names are gathered as views of the file in two buffers shared by all nodes (a
    // body node parsed inside an attribute appends after its owner's names and truncates back), then
    // copied into the model's NameStore once the node ends: no string or vector per name.
    Node parseNode(const Field& outer, int graph, int index, int depth) {
        Node n;
        n.span = {outer.offset, outer.bytes.size()};
        const std::size_t firstInput = inputNames_.size(), firstOutput = outputNames_.size();
        Reader r(outer.bytes, outer.offset);
        while (!r.atEnd()) {
            Field f = r.next();
            switch (f.number) {
            case 1:
                inputNames_.push_back(f.bytes);
                break;
            case 2:
                outputNames_.push_back(f.bytes);
                break;
            case 3:
                n.name = str(f);
                break;
            case 4:
                n.opType = str(f);
                break;
            case 7:
                n.domain = str(f);
                break;
            case 5:
                expect(f, wire::LengthDelimited, "attribute");
                n.attributes.push_back(parseAttribute(f, graph, index, depth));
                break;
            case 9:
                expect(f, wire::LengthDelimited, "metadata_props");
                if (n.metadata.empty()) ++model_.nodesWithMetadata;
                n.metadata.push_back(parseStringPair(f));
                break;
            default:
                break;
            }
        }
        n.inputs = model_.names->list(inputNames_.data() + firstInput, inputNames_.size() - firstInput);
        n.outputs = model_.names->list(outputNames_.data() + firstOutput, outputNames_.size() - firstOutput);
        inputNames_.resize(firstInput);
        outputNames_.resize(firstOutput);
        return n;
    }

    int parseSubgraph(const Field& f, int parentGraph, int parentNode, const std::string& attr, int depth) {
        int index = static_cast<int>(model_.graphs.size());
        model_.graphs.emplace_back();
        Graph g = parseGraph(f, GraphKind::Subgraph, depth + 1);
        g.parentGraph = parentGraph;
        g.parentNode = parentNode;
        g.parentAttribute = attr;
        model_.graphs[static_cast<std::size_t>(index)] = std::move(g);
        return index;
    }

    Attribute parseAttribute(const Field& outer, int graph, int node, int depth) {
        Attribute a;
        Values values;
        std::vector<Field> graphFields;
        Reader r(outer.bytes, outer.offset);
        while (!r.atEnd()) {
            Field f = r.next();
            switch (f.number) {
            case 1:
                a.name = str(f);
                break;
            case 2:
                a.kind = AttributeKind::Float;
                forEachFixed32(f, [&](float v) { values.push_back(formatFloat(v)); });
                break;
            case 3:
                a.kind = AttributeKind::Int;
                values.push_back(std::to_string(static_cast<std::int64_t>(f.varint)));
                break;
            case 4:
                a.kind = AttributeKind::String;
                values.push_back('"' + str(f).substr(0, 80) + '"');
                break;
            case 5:
                a.kind = AttributeKind::Tensor;
                values.push_back(describeTensor(parseTensorHeader(f)));
                break;
            case 6:
                a.kind = AttributeKind::Graph;
                graphFields.push_back(f);
                break;
            case 7:
                a.kind = AttributeKind::Floats;
                forEachFixed32(f, [&](float v) { values.push_back(formatFloat(v)); });
                break;
            case 8:
                a.kind = AttributeKind::Ints;
                forEachVarint(f, [&](std::uint64_t v) {
                    values.push_back(std::to_string(static_cast<std::int64_t>(v)));
                });
                break;
            case 9:
                a.kind = AttributeKind::Strings;
                values.push_back('"' + str(f).substr(0, 40) + '"');
                break;
            case 10:
                a.kind = AttributeKind::Tensors;
                values.push_back(describeTensor(parseTensorHeader(f)));
                break;
            case 11:
                a.kind = AttributeKind::Graphs;
                graphFields.push_back(f);
                break;
            case 21:
                values.push_back("@" + str(f));
                break; // ref_attr_name inside functions
            default:
                break;
            }
        }
        for (const Field& gf : graphFields)
            a.subgraphs.push_back(parseSubgraph(gf, graph, node, a.name, depth));
        bool list = a.kind == AttributeKind::Floats || a.kind == AttributeKind::Ints ||
                    a.kind == AttributeKind::Strings || a.kind == AttributeKind::Tensors;
        if (a.kind == AttributeKind::Graph || a.kind == AttributeKind::Graphs)
            a.summary = "graph (" + std::to_string(a.subgraphs.size()) + ")";
        else if (list)
            a.summary = values.joined();
        else if (values.count > 0)
            a.summary = std::move(values.first);
        return a;
    }

    static std::string formatFloat(float v) { // as `std::ostream << v` writes it (%g, 6 digits)
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
        return buf;
    }

    Initializer parseInitializer(const Field& f) {
        TensorHeader t = parseTensorHeader(f);
        Initializer init;
        init.name = std::move(t.name);
        init.dataType = t.dataType;
        init.dims = std::move(t.dims);
        init.span = {f.offset, f.bytes.size()};
        init.payload = t.payload;
        init.external = t.external;
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
            body.nodes.push_back(parseNode(nf, bodyIndex, static_cast<int>(body.nodes.size()), 1));
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
    std::vector<std::string_view> inputNames_, outputNames_; // of the nodes being parsed, see parseNode
};

} // namespace

std::shared_ptr<const Model> loadModel(const std::string& path) {
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
    Loader loader(*model, folder);
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
