// Cost per node from tensor shapes, summed per module. The formulas count multiply-accumulates as
// torchvision, fvcore and ptflops do: one per weight element per output position; biases, activations
// and normalizations are not MACs (they are counted as elements instead).
#include "analysis/cost.h"

#include "analysis/tensor_types.h"
#include "common/display_text.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "model/model.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <set>
#include <unordered_set>

namespace hs {

namespace {

using Shape = std::vector<std::uint64_t>;
constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

// Saturating: a hostile file's dims must not wrap around into a small number.
std::uint64_t mul(std::uint64_t a, std::uint64_t b) {
    if (a == 0 || b == 0) return 0;
    return a > kMax / b ? kMax : a * b;
}

std::uint64_t product(const Shape& s, std::size_t first = 0, std::size_t last = std::string::npos) {
    std::uint64_t p = 1;
    for (std::size_t k = first; k < std::min(last, s.size()); ++k)
        p = mul(p, s[k]);
    return p;
}

// The node being costed: its tensors by input/output slot, their shapes with symbolic dims bound.
class NodeView {
public:
    NodeView(const GraphIndex& g, const TensorTypes& types, int i, const DimBindings& dims)
        : g_(g), types_(types), dims_(dims), node_(g.node(i)) {
        IndexSpan ins = g.inputs(i), outs = g.outputs(i);
        std::size_t k = 0;
        for (const auto& name : node_.inputs)
            inputs_.push_back(!name.empty() && k < ins.size() ? ins[k++] : -1);
        k = 0;
        for (const auto& name : node_.outputs)
            outputs_.push_back(!name.empty() && k < outs.size() ? outs[k++] : -1);
    }

    const Node& node() const { return node_; }
    std::size_t inputCount() const { return inputs_.size(); }
    bool hasInput(std::size_t slot) const { return slot < inputs_.size() && inputs_[slot] >= 0; }
    int outputTensor(std::size_t slot) const { return slot < outputs_.size() ? outputs_[slot] : -1; }
    const std::vector<int>& outputs() const { return outputs_; }

    std::optional<Shape> input(std::size_t slot) {
        if (!hasInput(slot)) return fail("input " + std::to_string(slot) + " is absent");
        return shapeOf(inputs_[slot]);
    }
    std::optional<Shape> output(std::size_t slot) {
        int t = outputTensor(slot);
        if (t < 0) return fail("output " + std::to_string(slot) + " is absent");
        return shapeOf(t);
    }
    std::optional<Shape> shapeOf(int t) {
        const TensorType& type = types_.type(t);
        const std::string_view name = g_.tensor(t).name;
        if (!type.hasShape) return fail("tensor " + quoteInput(name) + " has no known shape");
        Shape s;
        for (std::size_t k = 0; k < type.dims.size(); ++k) {
            const Dim& d = type.dims[k];
            if (d.value >= 0) {
                s.push_back(static_cast<std::uint64_t>(d.value));
            } else if (!d.param.empty()) {
                auto it = dims_.find(d.param);
                s.push_back(it == dims_.end()
                                ? 1
                                : static_cast<std::uint64_t>(std::max<std::int64_t>(0, it->second)));
            } else {
                return fail("dimension " + std::to_string(k) + " of tensor " + quoteInput(name) +
                            " is unknown");
            }
        }
        return s;
    }

    const Attribute* attribute(const std::string& name) const {
        for (const auto& a : node_.attributes)
            if (a.name == name) return &a;
        return nullptr;
    }
    std::int64_t intAttribute(const std::string& name, std::int64_t fallback) const {
        const Attribute* a = attribute(name);
        if (!a || a->kind != AttributeKind::Int) return fallback;
        try {
            return std::stoll(a->summary);
        } catch (const std::exception&) {
            return fallback;
        }
    }
    // Ints attributes are summarized as "[1, 2]" (model.cpp); nullopt when absent or cut short.
    std::optional<std::vector<std::int64_t>> intsAttribute(const std::string& name) const {
        const Attribute* a = attribute(name);
        if (!a || a->kind != AttributeKind::Ints || a->summary.find("...") != std::string::npos) return {};
        std::vector<std::int64_t> out;
        std::string digits;
        for (char c : a->summary) {
            if ((c >= '0' && c <= '9') || c == '-') {
                digits += c;
            } else if (!digits.empty()) {
                out.push_back(std::stoll(digits));
                digits.clear();
            }
        }
        return out;
    }
    std::optional<std::string> stringAttribute(const std::string& name) const {
        const Attribute* a = attribute(name);
        if (!a || a->kind != AttributeKind::String || a->summary.size() < 2) return {};
        return a->summary.substr(1, a->summary.size() - 2);
    }

    std::nullopt_t fail(const std::string& why) {
        if (why_.empty()) why_ = why;
        return std::nullopt;
    }
    const std::string& why() const { return why_; }

private:
    const GraphIndex& g_;
    const TensorTypes& types_;
    const DimBindings& dims_;
    const Node& node_;
    std::vector<int> inputs_, outputs_;
    std::string why_;
};

using Amount = std::optional<std::uint64_t>;

// Conv, ConvInteger, QLinearConv, FusedConv: every output element takes C/group * kernel MACs, which
// is the weight's [1:] (W is [M, C/group, k1, k2, ...]).
Amount convMacs(NodeView& v, std::size_t weightSlot) {
    auto y = v.output(0), w = v.input(weightSlot);
    if (!y || !w) return {};
    if (w->size() < 2) return v.fail("the weight is not [M, C/group, ...]");
    return mul(product(*y), product(*w, 1));
}

// ConvTranspose: every input element is spread over M/group * kernel outputs (W is [C, M/group, k...]).
Amount convTransposeMacs(NodeView& v) {
    auto x = v.input(0), w = v.input(1);
    if (!x || !w) return {};
    if (w->size() < 2) return v.fail("the weight is not [C, M/group, ...]");
    return mul(product(*x), product(*w, 1));
}

Amount gemmMacs(NodeView& v, std::size_t bSlot) {
    auto a = v.input(0), b = v.input(bSlot);
    if (!a || !b) return {};
    if (a->size() != 2 || b->size() != 2) return v.fail("Gemm's inputs are not matrices");
    bool ta = v.intAttribute("transA", 0) != 0, tb = v.intAttribute("transB", 0) != 0;
    std::uint64_t m = ta ? (*a)[1] : (*a)[0], k = ta ? (*a)[0] : (*a)[1], n = tb ? (*b)[0] : (*b)[1];
    return mul(mul(m, n), k);
}

// MatMul with numpy broadcasting of the batch dims; FusedMatMul's transA/transB swap the last two.
Amount matMulMacs(NodeView& v, std::size_t bSlot, bool fused) {
    auto a = v.input(0), b = v.input(bSlot);
    if (!a || !b) return {};
    if (a->empty() || b->empty()) return v.fail("MatMul of a scalar");
    Shape A = *a, B = *b;
    if (A.size() == 1) A.insert(A.begin(), 1);
    if (B.size() == 1) B.push_back(1);
    if (fused && v.intAttribute("transA", 0)) std::swap(A[A.size() - 1], A[A.size() - 2]);
    if (fused && v.intAttribute("transB", 0)) std::swap(B[B.size() - 1], B[B.size() - 2]);
    std::uint64_t m = A[A.size() - 2], k = A.back(), n = B.back();
    std::size_t batchRank = std::max(A.size(), B.size()) - 2;
    std::uint64_t batch = 1;
    for (std::size_t r = 0; r < batchRank; ++r) {
        auto dim = [&](const Shape& s) -> std::uint64_t {
            std::size_t own = s.size() - 2;
            return r + own >= batchRank ? s[r + own - batchRank] : 1;
        };
        batch = mul(batch, std::max(dim(A), dim(B)));
    }
    return mul(mul(batch, m), mul(n, k));
}

// MatMulNBits (com.microsoft): B is packed; K and N are attributes. Every element of A meets N weights.
Amount matMulNBitsMacs(NodeView& v) {
    auto a = v.input(0);
    if (!a) return {};
    std::int64_t n = v.intAttribute("N", -1);
    if (n < 0) return v.fail("attribute N is missing");
    return mul(product(*a), static_cast<std::uint64_t>(n));
}

// Einsum with two operands: one multiply-accumulate per combination of all letters (ellipsis dims
// broadcast). Other forms are transposes or reductions, not MACs.
Amount einsumMacs(NodeView& v) {
    if (v.inputCount() != 2) return v.fail("only two-operand Einsum is counted");
    auto eq = v.stringAttribute("equation");
    if (!eq) return v.fail("the equation is missing");
    std::string text;
    for (char c : *eq)
        if (c != ' ') text += c;
    std::string lhs = text.substr(0, text.find("->"));
    std::size_t comma = lhs.find(',');
    if (comma == std::string::npos) return v.fail("the equation does not name two operands");
    std::string terms[2] = {lhs.substr(0, comma), lhs.substr(comma + 1)};
    std::map<char, std::uint64_t> letters;
    Shape ellipsis; // right-aligned broadcast of the dims "..." stands for
    for (int k = 0; k < 2; ++k) {
        auto s = v.input(static_cast<std::size_t>(k));
        if (!s) return {};
        std::string term = terms[k];
        std::size_t dots = term.find("...");
        std::string named = dots == std::string::npos ? term : term.substr(0, dots) + term.substr(dots + 3);
        if (named.size() > s->size()) return v.fail("the equation does not fit operand " + std::to_string(k));
        std::size_t extra = s->size() - named.size();
        std::size_t before = dots == std::string::npos ? named.size() : dots;
        for (std::size_t p = 0; p < named.size(); ++p) {
            std::uint64_t d = (*s)[p < before ? p : p + extra];
            letters[named[p]] = std::max(letters[named[p]], d);
        }
        Shape mine(s->begin() + static_cast<std::ptrdiff_t>(before),
                   s->begin() + static_cast<std::ptrdiff_t>(before + extra));
        if (mine.size() > ellipsis.size())
            ellipsis.insert(ellipsis.begin(), mine.size() - ellipsis.size(), 1);
        for (std::size_t p = 0; p < mine.size(); ++p) {
            std::uint64_t& e = ellipsis[ellipsis.size() - mine.size() + p];
            e = std::max(e, mine[p]);
        }
    }
    std::uint64_t macs = product(ellipsis);
    for (const auto& [letter, size] : letters)
        macs = mul(macs, size);
    return macs;
}

// LSTM/GRU/RNN: per time step and batch row, every element of W (input weights) and R (recurrent
// weights) of every direction is one MAC.
Amount recurrentMacs(NodeView& v) {
    auto x = v.input(0), w = v.input(1), r = v.input(2);
    if (!x || !w || !r) return {};
    if (x->size() != 3) return v.fail("the input is not [seq, batch, features]");
    bool batchFirst = v.intAttribute("layout", 0) != 0;
    std::uint64_t steps = batchFirst ? (*x)[1] : (*x)[0], batch = batchFirst ? (*x)[0] : (*x)[1];
    return mul(mul(steps, batch), product(*w) + product(*r));
}

// ONNX Runtime's Attention: the QKV projection (input [B, S, Din] times weights [Din, Dqkv]) plus
// Q*K^T and softmax(QK^T)*V over the total sequence T (past + S).
Amount attentionMacs(NodeView& v) {
    auto x = v.input(0), w = v.input(1);
    if (!x || !w) return {};
    if (x->size() != 3 || w->size() != 2) return v.fail("the input is not [batch, sequence, hidden]");
    std::uint64_t b = (*x)[0], s = (*x)[1], t = s;
    std::uint64_t dqk = (*w)[1] / 3, dv = (*w)[1] / 3;
    if (auto sizes = v.intsAttribute("qkv_hidden_sizes"); sizes && sizes->size() == 3)
        dqk = static_cast<std::uint64_t>((*sizes)[0]), dv = static_cast<std::uint64_t>((*sizes)[2]);
    if (v.outputTensor(1) >= 0) { // present: [2, B, N, T, H]
        auto present = v.output(1);
        if (!present) return {};
        if (present->size() == 5) t = (*present)[3];
    } else if (v.hasInput(4)) { // past: [2, B, N, P, H]
        auto past = v.input(4);
        if (!past) return {};
        if (past->size() == 5) t = s + (*past)[3];
    }
    std::uint64_t projection = mul(product(*x), (*w)[1]);
    return projection + mul(mul(b, s), mul(t, dqk + dv));
}

// ONNX Runtime's MultiHeadAttention: Q, K, V come projected; Q*K^T and the weighted sum of V.
Amount multiHeadAttentionMacs(NodeView& v) {
    auto q = v.input(0), y = v.output(0);
    if (!q || !y) return {};
    if (q->size() != 3 || y->size() != 3) return v.fail("packed query/key/value is not counted");
    std::uint64_t l = (*q)[1];
    if (v.hasInput(1)) {
        auto k = v.input(1);
        if (!k) return {};
        if (k->size() == 3 || k->size() == 5)
            l = (*k)[1]; // [B, L, D] or packed KV [B, L, N, 2, H]
        else if (k->size() == 4)
            l = (*k)[2];                       // [B, N, L, H]
        if (k->size() == 3 && v.hasInput(6)) { // past_key [B, N, P, H] comes before
            auto past = v.input(6);
            if (!past) return {};
            if (past->size() == 4) l += (*past)[2];
        }
    }
    return mul(mul((*q)[0], (*q)[1]), mul(l, (*q)[2] + (*y)[2]));
}

Amount poolElements(NodeView& v) {
    auto y = v.output(0);
    if (!y) return {};
    auto kernel = v.intsAttribute("kernel_shape");
    if (!kernel) return v.fail("kernel_shape is missing");
    std::uint64_t window = 1;
    for (auto k : *kernel)
        window = mul(window, static_cast<std::uint64_t>(std::max<std::int64_t>(0, k)));
    return mul(product(*y), window);
}

bool isOnnx(const Node& n) {
    return n.domain.empty() || n.domain == "ai.onnx";
}
bool isMicrosoft(const Node& n) {
    return n.domain == "com.microsoft";
}

// MACs of a compute op; kind None when the op is not one.
CostKind computeCost(NodeView& v, Amount& out) {
    const Node& n = v.node();
    const std::string& op = n.opType;
    if (isOnnx(n)) {
        if (op == "Conv" || op == "ConvInteger") return out = convMacs(v, 1), CostKind::Compute;
        if (op == "QLinearConv") return out = convMacs(v, 3), CostKind::Compute;
        if (op == "ConvTranspose") return out = convTransposeMacs(v), CostKind::Compute;
        if (op == "Gemm") return out = gemmMacs(v, 1), CostKind::Compute;
        if (op == "MatMul" || op == "MatMulInteger") return out = matMulMacs(v, 1, false), CostKind::Compute;
        if (op == "QLinearMatMul") return out = matMulMacs(v, 3, false), CostKind::Compute;
        if (op == "Einsum") return out = einsumMacs(v), CostKind::Compute;
        if (op == "LSTM" || op == "GRU" || op == "RNN") return out = recurrentMacs(v), CostKind::Compute;
    } else if (isMicrosoft(n)) {
        if (op == "FusedConv") return out = convMacs(v, 1), CostKind::Compute;
        if (op == "FusedGemm") return out = gemmMacs(v, 1), CostKind::Compute;
        if (op == "QGemm") return out = gemmMacs(v, 3), CostKind::Compute;
        if (op == "FusedMatMul") return out = matMulMacs(v, 1, true), CostKind::Compute;
        if (op == "MatMulIntegerToFloat" || op == "DynamicQuantizeMatMul")
            return out = matMulMacs(v, 1, false), CostKind::Compute;
        if (op == "MatMulNBits") return out = matMulNBitsMacs(v), CostKind::Compute;
        if (op == "Attention") return out = attentionMacs(v), CostKind::Compute;
        if (op == "MultiHeadAttention") return out = multiHeadAttentionMacs(v), CostKind::Compute;
    }
    return CostKind::None;
}

// Element counts of the cheap ops: outputs of elementwise ops, inputs of normalizations and softmax,
// windows of pooling.
CostKind elementCost(NodeView& v, Amount& out) {
    static const std::unordered_set<std::string> elementwise = {
        "Add", "Sub", "Mul", "Div", "Pow", "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Erf", "Gelu",
        "Exp", "Log", "Sqrt", "Reciprocal", "Neg", "Abs", "Clip", "Max", "Min", "Sum", "Mean", "Where",
        "HardSigmoid", "HardSwish", "Softplus", "Softsign", "Elu", "Selu", "Celu", "Mish", "ThresholdedRelu",
        "Sin", "Cos", "Tan", "Floor", "Ceil", "Round", "Sign", "Mod", "Equal", "Less", "Greater",
        "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Not",
        // com.microsoft
        "BiasGelu", "FastGelu", "QuickGelu", "BiasAdd", "BiasSplitGelu", "QLinearAdd", "QLinearMul",
        "QLinearSigmoid", "QLinearLeakyRelu"};
    static const std::unordered_set<std::string> overInput = {"BatchNormalization",
                                                              "LayerNormalization",
                                                              "InstanceNormalization",
                                                              "GroupNormalization",
                                                              "LpNormalization",
                                                              "MeanVarianceNormalization",
                                                              "SimplifiedLayerNormalization",
                                                              "SkipLayerNormalization",
                                                              "SkipSimplifiedLayerNormalization",
                                                              "Softmax",
                                                              "LogSoftmax",
                                                              "Hardmax",
                                                              "GlobalAveragePool",
                                                              "GlobalMaxPool",
                                                              "GlobalLpPool",
                                                              "QLinearGlobalAveragePool"};
    static const std::unordered_set<std::string> pooling = {"MaxPool", "AveragePool", "LpPool",
                                                            "QLinearAveragePool"};
    const Node& n = v.node();
    if (!isOnnx(n) && !isMicrosoft(n)) return CostKind::None;
    const std::string& op = n.opType;
    if (elementwise.count(op)) {
        auto y = v.output(0);
        out = y ? Amount(product(*y)) : std::nullopt;
        return CostKind::Elements;
    }
    if (overInput.count(op)) {
        auto x = v.input(0);
        out = x ? Amount(product(*x)) : std::nullopt;
        return CostKind::Elements;
    }
    if (pooling.count(op)) return out = poolElements(v), CostKind::Elements;
    return CostKind::None;
}

} // namespace

void CostTotals::add(const NodeCost& c) {
    if (c.kind == CostKind::Compute) {
        ++computeNodes;
        if (c.known)
            macs += c.amount;
        else
            ++unknownNodes;
    } else if (c.kind == CostKind::Elements && c.known) {
        elements += c.amount;
    }
    activationBytes += c.activationBytes;
    if (!c.activationKnown) ++unknownActivations;
}

void CostTotals::add(const CostTotals& t) {
    macs += t.macs;
    elements += t.elements;
    activationBytes += t.activationBytes;
    computeNodes += t.computeNodes;
    unknownNodes += t.unknownNodes;
    unknownActivations += t.unknownActivations;
}

NodeCost nodeCost(const GraphIndex& graph, const TensorTypes& types, int instance, const DimBindings& dims) {
    NodeCost cost;
    // A function call's or control-flow node's work is done by its body's nodes, which count themselves.
    if (!graph.children(instance).empty()) return cost;
    NodeView v(graph, types, instance, dims);
    Amount amount;
    cost.kind = computeCost(v, amount);
    if (cost.kind == CostKind::None) cost.kind = elementCost(v, amount);
    if (cost.kind != CostKind::None) {
        cost.known = amount.has_value();
        cost.amount = amount.value_or(0);
        if (!cost.known) cost.why = v.why().empty() ? "its shapes are not known" : v.why();
    }
    for (int t : v.outputs()) {
        if (t < 0) continue;
        NodeView sizes(graph, types, instance, dims);
        auto shape = sizes.shapeOf(t);
        std::size_t element = dataTypeSize(types.type(t).elemType);
        if (!shape || element == 0) {
            cost.activationKnown = false;
            continue;
        }
        cost.activationBytes += mul(product(*shape), element);
    }
    return cost;
}

namespace {

void sumSubtree(const Hierarchy& h, int module, std::vector<ModuleCost>& out) {
    ModuleCost& m = out[static_cast<std::size_t>(module)];
    m.total = m.own;
    for (int c : h.modules[static_cast<std::size_t>(module)].children) {
        sumSubtree(h, c, out);
        out[static_cast<std::size_t>(module)].total.add(out[static_cast<std::size_t>(c)].total);
    }
}

} // namespace

void sumModules(const Hierarchy& hierarchy, CostReport& r) {
    r.modules.assign(hierarchy.modules.size(), {});
    for (std::size_t i = 0; i < r.nodes.size() && i < hierarchy.assignments.size(); ++i) {
        std::size_t module = static_cast<std::size_t>(hierarchy.assignments[i].module);
        if (module < r.modules.size()) r.modules[module].own.add(r.nodes[i]);
    }
    r.total = {};
    if (r.modules.empty()) return;
    sumSubtree(hierarchy, 0, r.modules);
    r.total = r.modules[0].total;
}

CostReport computeCost(const GraphIndex& graph, const Hierarchy& hierarchy, const TensorTypes& types,
                       const DimBindings& dims) {
    CostReport r;
    r.nodes.reserve(graph.size());
    for (int i = 0; i < static_cast<int>(graph.size()); ++i)
        r.nodes.push_back(nodeCost(graph, types, i, dims));
    sumModules(hierarchy, r);
    return r;
}

} // namespace hs
