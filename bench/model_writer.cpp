#include "model_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <string_view>
#include <unistd.h>
#include <unordered_map>
#include <utility>

namespace hsbench {
namespace {

// ---- protobuf wire format ------------------------------------------------------------------------

enum Wire { Varint = 0, Fixed32 = 5, Bytes = 2 };

std::size_t varintSize(std::uint64_t v) {
    std::size_t n = 1;
    while (v >= 0x80)
        v >>= 7, ++n;
    return n;
}

struct Buf {
    std::string s;
    void varint(std::uint64_t v) {
        while (v >= 0x80) {
            s.push_back(static_cast<char>((v & 0x7f) | 0x80));
            v >>= 7;
        }
        s.push_back(static_cast<char>(v));
    }
    void tag(int field, Wire wire) { varint((static_cast<std::uint64_t>(field) << 3) | wire); }
    void i64(int field, std::int64_t v) {
        tag(field, Varint);
        varint(static_cast<std::uint64_t>(v));
    }
    void f32(int field, float v) {
        tag(field, Fixed32);
        char b[4];
        std::memcpy(b, &v, 4);
        s.append(b, 4);
    }
    void bytes(int field, std::string_view v) {
        tag(field, Bytes);
        varint(v.size());
        s.append(v);
    }
    void msg(int field, const Buf& m) { bytes(field, m.s); }
};

// Bytes of a length-delimited field holding `length` bytes.
std::uint64_t fieldSize(int field, std::uint64_t length) {
    return varintSize(static_cast<std::uint64_t>(field) << 3) + varintSize(length) + length;
}

// ONNX field numbers used below.
namespace tensor {
constexpr int dims = 1, dataType = 2, name = 8, rawData = 9, externalData = 13, dataLocation = 14;
}
namespace attr {
constexpr int name = 1, f = 2, i = 3, t = 5, ints = 8, type = 20;
constexpr int FLOAT = 1, INT = 2, TENSOR = 4, INTS = 7;
} // namespace attr
constexpr int kFloat = 1, kInt64 = 7;

Buf scalarTensor(std::int32_t type, const void* data, std::size_t size,
                 const std::vector<std::int64_t>& dims) {
    Buf t;
    for (auto d : dims)
        t.i64(tensor::dims, d);
    t.i64(tensor::dataType, type);
    t.bytes(tensor::rawData, std::string_view(static_cast<const char*>(data), size));
    return t;
}

struct Attr {
    Buf b;
    static Attr i(const char* name, std::int64_t v) {
        Attr a;
        a.b.bytes(attr::name, name);
        a.b.i64(attr::i, v);
        a.b.i64(attr::type, attr::INT);
        return a;
    }
    static Attr f(const char* name, float v) {
        Attr a;
        a.b.bytes(attr::name, name);
        a.b.f32(attr::f, v);
        a.b.i64(attr::type, attr::FLOAT);
        return a;
    }
    static Attr ints(const char* name, const std::vector<std::int64_t>& v) {
        Attr a;
        a.b.bytes(attr::name, name);
        for (auto x : v)
            a.b.i64(attr::ints, x);
        a.b.i64(attr::type, attr::INTS);
        return a;
    }
    static Attr tensor(const Buf& t) {
        Attr a;
        a.b.bytes(attr::name, "value");
        a.b.msg(attr::t, t);
        a.b.i64(attr::type, attr::TENSOR);
        return a;
    }
};

// ---- weights ---------------------------------------------------------------------------------------

struct Weight {
    std::string name;
    std::int32_t type = kFloat;
    std::vector<std::int64_t> dims;
    std::uint64_t bytes() const {
        std::uint64_t n = type == kInt64 ? 8 : 4;
        for (auto d : dims)
            n *= static_cast<std::uint64_t>(d);
        return n;
    }
};

// External data only for tensors of at least 1 KiB, as onnx.save_model(..., size_threshold=1024) does.
constexpr std::uint64_t kExternalThreshold = 1024;

class Output {
public:
    explicit Output(const std::string& path) {
        fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd_ < 0) throw std::runtime_error(path + ": cannot create: " + std::strerror(errno));
        path_ = path;
    }
    ~Output() {
        if (fd_ >= 0) ::close(fd_);
    }
    void write(const char* data, std::size_t size) {
        while (size > 0) {
            ssize_t n = ::write(fd_, data, size);
            if (n < 0) {
                if (errno == EINTR) continue;
                throw std::runtime_error(path_ + ": write failed: " + std::strerror(errno));
            }
            data += n;
            size -= static_cast<std::size_t>(n);
        }
    }
    void write(const std::string& s) { write(s.data(), s.size()); }
    void close() {
        if (::close(fd_) != 0) throw std::runtime_error(path_ + ": close failed: " + std::strerror(errno));
        fd_ = -1;
    }
    int fd() const { return fd_; }

private:
    int fd_ = -1;
    std::string path_;
};

// Cheap deterministic payload: small floats (every 4-byte word a valid float in [-0.05, 0.05]).
const std::string& patternBlock() {
    static const std::string block = [] {
        std::string b(1 << 20, '\0');
        std::uint32_t state = 12345;
        for (std::size_t i = 0; i < b.size(); i += 4) {
            state = state * 1664525u + 1013904223u;
            float v = (static_cast<float>(state >> 8) / 16777216.0f - 0.5f) * 0.1f;
            std::memcpy(&b[i], &v, 4);
        }
        return b;
    }();
    return block;
}

void writePattern(Output& out, std::uint64_t bytes, std::int32_t type) {
    if (type == kInt64) { // position ids: 0, 1, 2, ...
        std::string ids;
        for (std::uint64_t i = 0; i < bytes / 8; ++i) {
            std::int64_t v = static_cast<std::int64_t>(i);
            ids.append(reinterpret_cast<const char*>(&v), 8);
        }
        out.write(ids);
        return;
    }
    const std::string& block = patternBlock();
    while (bytes > 0) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(bytes, block.size()));
        out.write(block.data(), n);
        bytes -= n;
    }
}

// ---- graph builder ---------------------------------------------------------------------------------

bool isHelperOp(const std::string& op) {
    for (const char* h : {"Constant", "Shape", "Gather", "Unsqueeze", "Concat", "Cast", "Expand", "Slice"})
        if (op == h) return true;
    return false;
}

class Builder {
public:
    explicit Builder(const ModelSpec& spec) : spec_(spec) {}

    // A node in module `scope` (dots) written under torch name path `path`
    // ("/encoder/layer.0/attention/self",
    // "" for the root). Unscoped nodes get a counter name without any scope, as torch gives its helpers.
    std::string node(const std::string& path, const std::string& scope, const std::string& op,
                     const std::vector<std::string>& inputs, const std::vector<Attr>& attrs = {},
                     bool unscoped = false, const std::string& outputName = {}) {
        std::string name, output;
        if (unscoped) {
            const int id = counter_++;
            // torch's own helpers: "Constant_41" producing "onnx::Unsqueeze_82"; other helpers as the
            // older exporter named them ("Gather_57" or "onnx::Gather_58").
            name = op == "Constant" || id % 2 ? op + "_" + std::to_string(id)
                                              : "onnx::" + op + "_" + std::to_string(id);
            output = "onnx::" + op + "_" + std::to_string(counter_++);
            ++stats_.unscopedNodes;
        } else {
            int& k = perScope_[path + "/" + op];
            name = path + "/" + op + (k ? "_" + std::to_string(k) : "");
            ++k;
            output = name + "_output_0";
        }
        if (!outputName.empty()) output = outputName;
        Buf n;
        for (const auto& in : inputs)
            n.bytes(1, in);
        n.bytes(2, output);
        n.bytes(3, name);
        n.bytes(4, op);
        for (const auto& a : attrs)
            n.msg(5, a.b);
        nodes_.msg(1, n);
        ++stats_.nodes;
        if (isHelperOp(op)) {
            ++stats_.helperNodes;
            if (unscoped) ++stats_.unscopedHelpers;
        }
        if (!spec_.truthPath.empty()) truth_.emplace_back(name, scope);
        return output;
    }

    std::string constI64(const std::string& path, const std::string& scope, std::vector<std::int64_t> values,
                         bool scalar, bool unscoped = false) {
        std::vector<std::int64_t> dims;
        if (!scalar) dims.push_back(static_cast<std::int64_t>(values.size()));
        return node(path, scope, "Constant", {},
                    {Attr::tensor(scalarTensor(kInt64, values.data(), values.size() * 8, dims))}, unscoped);
    }
    std::string constF(const std::string& path, const std::string& scope, float v, bool unscoped = false) {
        return node(path, scope, "Constant", {}, {Attr::tensor(scalarTensor(kFloat, &v, 4, {}))}, unscoped);
    }

    std::string weight(const std::string& name, std::vector<std::int64_t> dims, std::int32_t type = kFloat) {
        weights_.push_back({name, type, std::move(dims)});
        return name;
    }
    std::string matmulWeight(std::vector<std::int64_t> dims) { // torch's transposed Linear weights
        return weight("onnx::MatMul_" + std::to_string(counter_++), std::move(dims));
    }

    // Shape(x)[index] as a 1-element vector: Shape, Constant, Gather, Constant(axes), Unsqueeze. The
    // axes constant carries no scope (as torch writes it); so does the Gather when `hideGather`.
    std::string dimOf(const std::string& path, const std::string& scope, const std::string& x,
                      std::int64_t index, bool hideGather) {
        std::string shape = node(path, scope, "Shape", {x});
        std::string idx = constI64(path, scope, {index}, true);
        std::string g = node(path, scope, "Gather", {shape, idx}, {Attr::i("axis", 0)}, hideGather);
        std::string axes = constI64(path, scope, {0}, false, true);
        return node(path, scope, "Unsqueeze", {g, axes});
    }

    // x [b, s, hidden] -> [b, heads, s, head_dim] (transposed for keys: [b, heads, head_dim, s]).
    std::string splitHeads(const std::string& path, const std::string& scope, const std::string& x,
                           bool key) {
        std::string b = dimOf(path, scope, x, 0, true);
        std::string s = dimOf(path, scope, x, 1, false);
        std::string h = constI64(path, scope, {spec_.heads}, false, true);
        std::string d = constI64(path, scope, {spec_.hidden / spec_.heads}, false);
        std::string shape = node(path, scope, "Concat", {b, s, h, d}, {Attr::i("axis", 0)});
        std::string r = node(path, scope, "Reshape", {x, shape}, {Attr::i("allowzero", 0)});
        shapes_.push_back(
            {r,
             {"batch", "sequence", std::to_string(spec_.heads), std::to_string(spec_.hidden / spec_.heads)}});
        return node(path, scope, "Transpose", {r},
                    {Attr::ints("perm", key ? std::vector<std::int64_t>{0, 2, 3, 1}
                                            : std::vector<std::int64_t>{0, 2, 1, 3})});
    }

    std::string linear(const std::string& path, const std::string& scope, const std::string& x, int in,
                       int out) {
        std::string w = matmulWeight({in, out});
        std::string bias = weight(scope + ".bias", {out});
        std::string mm = node(path, scope, "MatMul", {x, w});
        return node(path, scope, "Add", {bias, mm});
    }

    std::string layer(int k, const std::string& x, const std::string& mask, bool last) {
        const std::string L = "encoder.layer." + std::to_string(k), P = "/encoder/layer." + std::to_string(k);
        const std::string S = L + ".attention.self", SP = P + "/attention/self";
        std::string q = linear(SP + "/query", S + ".query", x, spec_.hidden, spec_.hidden);
        std::string qh = splitHeads(SP, S, q, false);
        std::string kk = linear(SP + "/key", S + ".key", x, spec_.hidden, spec_.hidden);
        std::string kh = splitHeads(SP, S, kk, true);
        std::string v = linear(SP + "/value", S + ".value", x, spec_.hidden, spec_.hidden);
        std::string vh = splitHeads(SP, S, v, false);
        std::string scores = node(SP, S, "MatMul", {qh, kh});
        // Scale by sqrt(head_dim) computed from the shape, as traced code does.
        std::string qshape = node(SP, S, "Shape", {qh});
        std::string last1 = constI64(SP, S, {-1}, true);
        std::string hd = node(SP, S, "Gather", {qshape, last1}, {Attr::i("axis", 0)});
        std::string hdf = node(SP, S, "Cast", {hd}, {Attr::i("to", kFloat)}, true);
        std::string sq = node(SP, S, "Sqrt", {hdf});
        std::string scaled = node(SP, S, "Div", {scores, sq});
        // The mask expanded to the scores' [b, 1, s, s].
        std::string b = dimOf(SP, S, scaled, 0, false);
        std::string one = constI64(SP, S, {1}, false);
        std::string s1 = dimOf(SP, S, scaled, 2, false);
        std::string s2 = dimOf(SP, S, scaled, 3, true);
        std::string mshape = node(SP, S, "Concat", {b, one, s1, s2}, {Attr::i("axis", 0)}, true);
        std::string expanded = node(SP, S, "Expand", {mask, mshape});
        std::string masked = node(SP, S, "Add", {scaled, expanded});
        std::string probs = node(SP, S, "Softmax", {masked}, {Attr::i("axis", -1)});
        std::string ctx = node(SP, S, "MatMul", {probs, vh});
        std::string ctxT = node(SP, S, "Transpose", {ctx}, {Attr::ints("perm", {0, 2, 1, 3})});
        std::string mb = dimOf(SP, S, ctxT, 0, true);
        std::string ms = dimOf(SP, S, ctxT, 1, false);
        std::string mh = constI64(SP, S, {spec_.hidden}, false);
        std::string merged = node(SP, S, "Concat", {mb, ms, mh}, {Attr::i("axis", 0)});
        std::string selfOut = node(SP, S, "Reshape", {ctxT, merged}, {Attr::i("allowzero", 0)});
        shapes_.push_back({selfOut, {"batch", "sequence", std::to_string(spec_.hidden)}});

        // attention.output: dense, residual, and a hand-written LayerNorm (decomposed, like a custom norm
        // module or an export below opset 17).
        const std::string O = L + ".attention.output", OP = P + "/attention/output";
        std::string dense = linear(OP + "/dense", O + ".dense", selfOut, spec_.hidden, spec_.hidden);
        std::string res = node(OP, O, "Add", {dense, x});
        const std::string N = O + ".LayerNorm", NP = OP + "/LayerNorm";
        std::string mean = node(NP, N, "ReduceMean", {res}, {Attr::ints("axes", {-1})});
        std::string diff = node(NP, N, "Sub", {res, mean});
        std::string two = constF(NP, N, 2.0f);
        std::string pw = node(NP, N, "Pow", {diff, two});
        std::string var = node(NP, N, "ReduceMean", {pw}, {Attr::ints("axes", {-1})});
        std::string eps = constF(NP, N, 1e-12f);
        std::string ve = node(NP, N, "Add", {var, eps});
        std::string sd = node(NP, N, "Sqrt", {ve});
        std::string normed = node(NP, N, "Div", {diff, sd});
        std::string scaledN = node(NP, N, "Mul", {normed, weight(N + ".weight", {spec_.hidden})});
        std::string attnOut = node(NP, N, "Add", {scaledN, weight(N + ".bias", {spec_.hidden})});

        // intermediate: dense and a tanh GELU chain.
        const std::string I = L + ".intermediate", IP = P + "/intermediate";
        std::string up = linear(IP + "/dense", I + ".dense", attnOut, spec_.hidden, spec_.ffn);
        const std::string G = I + ".intermediate_act_fn", GP = IP + "/intermediate_act_fn";
        std::string half = node(GP, G, "Mul", {up, constF(GP, G, 0.5f)});
        std::string cube = node(GP, G, "Pow", {up, constF(GP, G, 3.0f)});
        std::string cubeS = node(GP, G, "Mul", {cube, constF(GP, G, 0.044715f)});
        std::string inner = node(GP, G, "Add", {up, cubeS});
        std::string innerS = node(GP, G, "Mul", {inner, constF(GP, G, 0.7978845608f)});
        std::string th = node(GP, G, "Tanh", {innerS});
        std::string onePlus = node(GP, G, "Add", {th, constF(GP, G, 1.0f)});
        std::string act = node(GP, G, "Mul", {half, onePlus});

        // output: dense, residual, LayerNormalization.
        const std::string U = L + ".output", UP = P + "/output";
        std::string down = linear(UP + "/dense", U + ".dense", act, spec_.ffn, spec_.hidden);
        std::string res2 = node(UP, U, "Add", {down, attnOut});
        return node(UP + "/LayerNorm", U + ".LayerNorm", "LayerNormalization",
                    {res2, weight(U + ".LayerNorm.weight", {spec_.hidden}),
                     weight(U + ".LayerNorm.bias", {spec_.hidden})},
                    {Attr::i("axis", -1), Attr::f("epsilon", 1e-12f)}, false,
                    last ? "last_hidden_state" : "");
    }

    void build() {
        // Root: the extended attention mask, (1 - mask) * -10000 as [b, 1, 1, s].
        std::string gatherIndex = constI64("", "", {0}, true);
        std::string a1 = constI64("", "", {1}, false);
        std::string u1 = node("", "", "Unsqueeze", {"attention_mask", a1});
        std::string a2 = constI64("", "", {2}, false);
        std::string u2 = node("", "", "Unsqueeze", {u1, a2});
        std::string cast = node("", "", "Cast", {u2}, {Attr::i("to", kFloat)});
        std::string sub = node("", "", "Sub", {constF("", "", 1.0f), cast});
        std::string mask = node("", "", "Mul", {sub, constF("", "", -10000.0f)});

        // Embeddings.
        const std::string E = "embeddings", EP = "/embeddings";
        std::string shape = node(EP, E, "Shape", {"input_ids"});
        std::string one = constI64(EP, E, {1}, true);
        std::string seq = node(EP, E, "Gather", {shape, one}, {Attr::i("axis", 0)});
        std::string start = constI64(EP, E, {0}, false);
        std::string end = node(EP, E, "Unsqueeze", {seq, constI64(EP, E, {0}, false, true)});
        std::string axes = constI64(EP, E, {1}, false);
        std::string step = constI64(EP, E, {1}, false);
        std::string pos = weight("embeddings.position_ids", {1, spec_.positions}, kInt64);
        std::string ids = node(EP, E, "Slice", {pos, start, end, axes, step});
        std::string word =
            node(EP + "/word_embeddings", E + ".word_embeddings", "Gather",
                 {weight("embeddings.word_embeddings.weight", {spec_.vocab, spec_.hidden}), "input_ids"});
        std::string type =
            node(EP + "/token_type_embeddings", E + ".token_type_embeddings", "Gather",
                 {weight("embeddings.token_type_embeddings.weight", {2, spec_.hidden}), "token_type_ids"});
        std::string sum = node(EP, E, "Add", {word, type});
        std::string posE =
            node(EP + "/position_embeddings", E + ".position_embeddings", "Gather",
                 {weight("embeddings.position_embeddings.weight", {spec_.positions, spec_.hidden}), ids});
        std::string sum2 = node(EP, E, "Add", {sum, posE});
        std::string x = node(EP + "/LayerNorm", E + ".LayerNorm", "LayerNormalization",
                             {sum2, weight("embeddings.LayerNorm.weight", {spec_.hidden}),
                              weight("embeddings.LayerNorm.bias", {spec_.hidden})},
                             {Attr::i("axis", -1), Attr::f("epsilon", 1e-12f)});

        for (int k = 0; k < spec_.layers; ++k)
            x = layer(k, x, mask, k + 1 == spec_.layers);

        // Pooler: first token, dense, tanh.
        std::string first = node("/pooler", "pooler", "Gather", {x, gatherIndex}, {Attr::i("axis", 1)});
        std::string pooled = node("/pooler/dense", "pooler.dense", "Gemm",
                                  {first, weight("pooler.dense.weight", {spec_.hidden, spec_.hidden}),
                                   weight("pooler.dense.bias", {spec_.hidden})},
                                  {Attr::f("alpha", 1.0f), Attr::f("beta", 1.0f), Attr::i("transB", 1)});
        node("/pooler/activation", "pooler.activation", "Tanh", {pooled}, {}, false, "pooler_output");
    }

    const ModelSpec& spec_;
    Buf nodes_;
    std::vector<Weight> weights_;
    // Float tensors whose shape the exporter records as value_info (ONNX cannot infer Reshapes to computed
    // shapes; torch writes what it knows).
    std::vector<std::pair<std::string, std::vector<std::string>>> shapes_;
    std::vector<std::pair<std::string, std::string>> truth_;
    std::unordered_map<std::string, int> perScope_;
    int counter_ = 40;
    ModelStats stats_;
};

Buf valueInfo(const std::string& name, std::int32_t type, const std::vector<std::string>& dims) {
    Buf shape;
    for (const auto& d : dims) {
        Buf dim;
        if (!d.empty() && (d[0] >= '0' && d[0] <= '9'))
            dim.i64(1, std::stoll(d));
        else
            dim.bytes(2, d);
        shape.msg(1, dim);
    }
    Buf tt;
    tt.i64(1, type);
    tt.msg(2, shape);
    Buf tp;
    tp.msg(1, tt);
    Buf vi;
    vi.bytes(1, name);
    vi.msg(2, tp);
    return vi;
}

std::string jsonEscape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

std::string baseName(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

} // namespace

std::uint64_t weightBytesOf(const ModelSpec& spec) {
    ModelSpec dry = spec;
    dry.truthPath.clear();
    Builder b(dry);
    b.build();
    std::uint64_t total = 0;
    for (const auto& w : b.weights_)
        total += w.bytes();
    return total;
}

ModelStats writeModel(const ModelSpec& spec) {
    if (spec.heads <= 0 || spec.hidden % spec.heads)
        throw std::runtime_error("hidden must be a multiple of heads");
    Builder b(spec);
    b.build();
    ModelStats stats = b.stats_;
    const std::string dataName = baseName(spec.path) + ".data";

    // Initializer headers (everything but the payload) and where each payload goes.
    std::vector<Buf> headers;
    std::vector<bool> external;
    std::uint64_t externalOffset = 0;
    for (const auto& w : b.weights_) {
        Buf h;
        for (auto d : w.dims)
            h.i64(tensor::dims, d);
        h.i64(tensor::dataType, w.type);
        h.bytes(tensor::name, w.name);
        const bool ext = spec.external && w.bytes() >= kExternalThreshold;
        if (ext) {
            externalOffset = (externalOffset + 63) / 64 * 64;
            for (const auto& [k, v] : {std::pair<std::string, std::string>{"location", dataName},
                                       {"offset", std::to_string(externalOffset)},
                                       {"length", std::to_string(w.bytes())}}) {
                Buf kv;
                kv.bytes(1, k);
                kv.bytes(2, v);
                h.msg(tensor::externalData, kv);
            }
            h.i64(tensor::dataLocation, 1);
            externalOffset += w.bytes();
            stats.externalBytes = externalOffset;
        }
        stats.weightBytes += w.bytes();
        headers.push_back(std::move(h));
        external.push_back(ext);
    }
    stats.initializers = b.weights_.size();

    Buf graphHead; // everything of GraphProto before the initializers: nodes and name
    graphHead.s = std::move(b.nodes_.s);
    graphHead.bytes(2, "main_graph");
    Buf graphTail; // inputs and outputs after the initializers
    graphTail.msg(11, valueInfo("input_ids", kInt64, {"batch", "sequence"}));
    graphTail.msg(11, valueInfo("attention_mask", kInt64, {"batch", "sequence"}));
    graphTail.msg(11, valueInfo("token_type_ids", kInt64, {"batch", "sequence"}));
    graphTail.msg(12,
                  valueInfo("last_hidden_state", kFloat, {"batch", "sequence", std::to_string(spec.hidden)}));
    graphTail.msg(12, valueInfo("pooler_output", kFloat, {"batch", std::to_string(spec.hidden)}));
    // The exporter's own shape inference records what ONNX's cannot infer (a Slice with a dynamic end);
    // without it every shape downstream is lost and tools like onnx.utils.extract_model fail.
    graphTail.msg(13, valueInfo("/embeddings/Slice_output_0", kInt64, {"1", "sequence"}));
    for (const auto& [name, dims] : b.shapes_)
        graphTail.msg(13, valueInfo(name, kFloat, dims));

    std::uint64_t graphSize = graphHead.s.size() + graphTail.s.size();
    for (std::size_t i = 0; i < headers.size(); ++i) {
        std::uint64_t tensorSize = headers[i].s.size();
        if (!external[i]) tensorSize += fieldSize(tensor::rawData, b.weights_[i].bytes());
        graphSize += fieldSize(5, tensorSize);
    }

    Buf head;
    head.i64(1, 8); // IR version 8 (ONNX 1.12, torch 1.13)
    head.bytes(2, "pytorch");
    head.bytes(3, "1.13.1");
    head.tag(7, Bytes);
    head.varint(graphSize);
    Buf opset;
    opset.bytes(1, "");
    opset.i64(2, 17);
    Buf tail;
    tail.msg(8, opset);
    const std::uint64_t total = head.s.size() + graphSize + tail.s.size();
    if (total >= (std::uint64_t{2} << 30) - 1)
        throw std::runtime_error("inline weights would exceed protobuf's 2 GB limit: use external data");

    Output out(spec.path);
    out.write(head.s);
    out.write(graphHead.s);
    for (std::size_t i = 0; i < headers.size(); ++i) {
        std::uint64_t tensorSize = headers[i].s.size();
        if (!external[i]) tensorSize += fieldSize(tensor::rawData, b.weights_[i].bytes());
        Buf prefix;
        prefix.tag(5, Bytes);
        prefix.varint(tensorSize);
        prefix.s += headers[i].s;
        if (!external[i]) {
            prefix.tag(tensor::rawData, Bytes);
            prefix.varint(b.weights_[i].bytes());
        }
        out.write(prefix.s);
        if (!external[i]) writePattern(out, b.weights_[i].bytes(), b.weights_[i].type);
    }
    out.write(graphTail.s);
    out.write(tail.s);
    out.close();
    stats.fileBytes = total;

    if (spec.external) { // sparse: the length is right, the bytes are zero and never written
        const std::string dataPath =
            spec.path.substr(0, spec.path.size() - baseName(spec.path).size()) + dataName;
        Output data(dataPath);
        if (::ftruncate(data.fd(), static_cast<off_t>(externalOffset)) != 0)
            throw std::runtime_error(dataPath + ": cannot size: " + std::strerror(errno));
        data.close();
    }

    if (!spec.truthPath.empty()) {
        Output truth(spec.truthPath);
        std::string text = "{\"nodes\": {\n";
        for (std::size_t i = 0; i < b.truth_.size(); ++i)
            text += (i ? ",\n" : "") + std::string("  \"") + jsonEscape(b.truth_[i].first) + "\": \"" +
                    jsonEscape(b.truth_[i].second) + "\"";
        text += "\n}}\n";
        truth.write(text);
        truth.close();
    }
    return stats;
}

} // namespace hsbench
