#pragma once
// The structure of an ONNX model as read from a memory-mapped file: everything except weight bytes,
// which stay in the file (or its external-data files) and are referenced by offset and length.
// Plain values, no protobuf types: the rest of the core and the UI include this header freely.
#include "model/name_store.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace hs {

class MappedFile;

using StringPairs = std::vector<std::pair<std::string, std::string>>;

// A range of bytes inside the model file.
struct ByteSpan {
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

struct Dim {
    std::int64_t value = -1; // -1 when symbolic or unknown
    std::string param;       // symbolic name ("batch") when set
};

struct TensorType {
    std::int32_t elemType = 0; // onnx TensorProto::DataType, 0 = unknown
    bool hasShape = false;
    std::vector<Dim> dims;
};

struct ValueInfo {
    std::string name;
    TensorType type;
    ByteSpan span; // the ValueInfoProto bytes
};

struct Initializer {
    std::string name;
    std::int32_t dataType = 0;
    std::vector<std::int64_t> dims;
    ByteSpan span;                // the whole TensorProto in the model file
    ByteSpan payload;             // raw_data or typed data bytes in the model file (when inline)
    bool external = false;        // data_location == EXTERNAL
    std::string externalPath;     // resolved absolute path of the external file
    std::string externalLocation; // as written in the model
    std::uint64_t externalOffset = 0;
    std::uint64_t externalLength = 0;
    // The whole TensorProto, copied into Model::names when it is at most kKeptTensorBytes: the loader
    // has read it anyway, and shape inference and extraction then parse it without mapping the file's
    // pages around it (empty otherwise: read it from `span`).
    std::string_view kept;
    std::uint64_t byteSize() const { return external ? externalLength : payload.length; }
};

// Initializers whose TensorProto is at most this size keep a copy of it (Initializer::kept): biases,
// norms' weights, shape constants. deep-1000's 10k of them are 3.8 MB of its 224.
constexpr std::uint64_t kKeptTensorBytes = 4096;

enum class AttributeKind { Float, Int, String, Tensor, Graph, Floats, Ints, Strings, Tensors, Graphs, Other };

struct Attribute {
    std::string name;
    AttributeKind kind = AttributeKind::Other;
    std::string summary;        // short human-readable value ("[1, 2]", "3.5", "tensor float[64]")
    std::vector<int> subgraphs; // indices into Model::graphs (Graph/Graphs attributes)
};

struct Node {
    std::string name;
    std::string opType;
    std::string domain;
    NameList inputs;  // views into Model::names
    NameList outputs; // views into Model::names
    std::vector<Attribute> attributes;
    StringPairs metadata; // NodeProto.metadata_props (field 9)
    ByteSpan span;        // the NodeProto bytes
};

enum class GraphKind { Main, Subgraph, FunctionBody };

struct Graph {
    GraphKind kind = GraphKind::Main;
    std::string name;
    std::vector<Node> nodes;
    std::vector<ValueInfo> inputs;
    std::vector<ValueInfo> outputs;
    std::vector<ValueInfo> valueInfo;
    std::vector<Initializer> initializers;
    int parentGraph = -1;        // Subgraph: graph holding the node whose attribute this is
    int parentNode = -1;         // Subgraph: that node's index
    std::string parentAttribute; // Subgraph: attribute name (then_branch, body, ...)
    int function = -1;           // FunctionBody: index into Model::functions
};

struct OpsetImport {
    std::string domain;
    std::int64_t version = 0;
};

struct Function {
    std::string name;
    std::string domain;
    std::string overload;
    std::vector<std::string> inputs;
    std::vector<std::string> outputs;
    std::vector<std::string> attributes;
    std::vector<OpsetImport> opsets;
    int body = -1; // index into Model::graphs
    ByteSpan span;
};

struct Model {
    std::string path;
    std::uint64_t fileSize = 0;
    std::int64_t irVersion = 0;
    std::string producerName;
    std::string producerVersion;
    std::string domain;
    std::int64_t modelVersion = 0;
    std::string docString;
    std::vector<OpsetImport> opsets;
    StringPairs metadata;
    std::vector<Graph> graphs; // graphs[0] is the main graph; subgraphs and function bodies follow
    std::vector<Function> functions;
    std::size_t nodesWithMetadata = 0; // nodes carrying metadata_props, all graphs
    ByteSpan graphSpan;
    std::shared_ptr<const MappedFile> file;
    // The bytes of every node's input and output names, and the small initializers' kept copies
    // (Initializer::kept). A copy of the Model shares them (the store only grows; a copy that renames a
    // tensor adds the new name to it).
    std::shared_ptr<NameStore> names = std::make_shared<NameStore>();

    const Graph& main() const { return graphs.front(); }
    std::uint64_t weightBytes() const; // inline + external initializer bytes, all graphs
    std::uint64_t externalWeightBytes() const;
    std::size_t initializerCount() const;
    // Index into functions of the local function a node calls, or -1.
    int findFunction(const std::string& domain, const std::string& name) const;
};

struct LoadOptions {
    // Main graphs with at least this many nodes are read by two threads (tests lower it to compare
    // both ways of reading on small models).
    std::size_t twoThreadsFromNodes = 16384;
    // Two threads read the file with pread into buffers of (at most) this size (model/file_window.h);
    // 0: through the mapping. Tests make it small, so that every field crosses a buffer's end.
    std::size_t readBufferBytes = std::size_t{2} << 20;
    // Nodes the two threads take at a time, the loader from the front, the other from the back (tests
    // make it small, so that the two meet on small models).
    std::size_t nodesPerChunk = 4096;
    // Tests: the loader starts on the nodes once the other thread has finished, so that it takes every
    // chunk it can parse, from the last one down to the first.
    bool otherThreadFirst = false;
};

// Opens and reads a model's structure. Throws hs::Error with a message naming the file and the
// problem for unreadable, truncated, non-ONNX or empty files, missing external data and external
// paths that escape the model's folder.
std::shared_ptr<const Model> loadModel(const std::string& path, const LoadOptions& options = {});

// The IR version the linked ONNX library knows; newer models open but skip its checker.
std::int64_t knownIrVersion();

const char* dataTypeName(std::int32_t elemType);
std::size_t dataTypeSize(std::int32_t elemType); // bytes per element, 0 for strings/unknown
std::string formatType(const TensorType& type);  // "float[batch,128]"

} // namespace hs
