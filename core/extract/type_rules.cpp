// Hierscope's own output type rules (type_rules.h). Sources, cited per rule below:
//   [ops]    ONNX's operator docs, https://onnx.ai/onnx/operators/ (Operators.md), opsets 1-21
//   [contrib] ONNX Runtime's docs/ContribOperators.md (com.microsoft, and the ORT ops it registers in the
//            ONNX domain such as SimplifiedLayerNormalization)
// A rule gives the element type whenever the schema fixes it, and a shape only where it follows without
// reading tensor values (a Reshape's target or a Slice's bounds are values: rank at most there).
#include "extract/type_rules.h"

#include <algorithm>
#include <set>

namespace hs {

namespace {

// onnx::TensorProto::DataType values (onnx.proto), without including ONNX here.
enum Elem : std::int32_t {
    kFloat = 1,
    kUint8 = 2,
    kInt8 = 3,
    kInt32 = 6,
    kInt64 = 7,
    kString = 8,
    kBool = 9,
};

using Types = std::vector<TensorType>;

TensorType elemOnly(std::int32_t elem) {
    TensorType t;
    t.elemType = elem;
    return t;
}

TensorType ranked(std::int32_t elem, std::size_t rank) {
    TensorType t = elemOnly(elem);
    t.hasShape = true;
    t.dims.assign(rank, Dim{});
    return t;
}

// Dims come from files, fuzzed ones too: arithmetic on them says "unknown" (-1) rather than overflow, and a
// rank read from a dim is believed only up to kMaxRank.
constexpr std::int64_t kMaxRank = 64;

std::int64_t product(std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    return a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r) ? -1 : r;
}

std::int64_t sum(std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    return a < 0 || b < 0 || __builtin_add_overflow(a, b, &r) ? -1 : r;
}

// The rank a 1-D shape tensor of this type describes, -1 when unknown or implausible.
std::int64_t rankFromShapeTensor(const TensorType& shape) {
    bool known = shape.hasShape && shape.dims.size() == 1 && shape.dims[0].value >= 0 &&
                 shape.dims[0].value <= kMaxRank;
    return known ? shape.dims[0].value : -1;
}

TensorType input(const OpSignature& op, std::size_t k) {
    return k < op.inputs.size() && op.has(k) ? op.inputs[k] : TensorType{};
}

std::int32_t elemOf(const OpSignature& op, std::size_t k) {
    return input(op, k).elemType;
}

// The input's type with another element type (same shape).
TensorType sameShape(const OpSignature& op, std::size_t k, std::int32_t elem) {
    TensorType t = input(op, k);
    t.elemType = elem;
    if (!elem) t = {};
    return t;
}

// Input k's element type, and its rank (unknown dims) when known.
TensorType sameRank(const OpSignature& op, std::size_t k, std::int32_t elem) {
    const TensorType in = input(op, k);
    return in.hasShape ? ranked(elem, in.dims.size()) : elemOnly(elem);
}

std::int64_t intAttr(const OpSignature& op, const std::string& name, std::int64_t fallback) {
    auto it = op.ints.find(name);
    return it == op.ints.end() ? fallback : it->second;
}

bool sameDim(const Dim& a, const Dim& b) {
    return (a.value >= 0 && a.value == b.value) || (a.value < 0 && !a.param.empty() && a.param == b.param);
}

// Multidirectional (numpy) broadcasting [ops: Broadcasting.md]: a dim of 1 takes the other side's.
TensorType broadcast(const OpSignature& op, std::size_t first, std::size_t count, std::int32_t elem) {
    std::size_t rank = 0;
    for (std::size_t k = first; k < first + count; ++k) {
        if (!op.has(k)) continue;
        const TensorType t = input(op, k);
        if (!t.hasShape) return elemOnly(elem);
        rank = std::max(rank, t.dims.size());
    }
    TensorType out = ranked(elem, rank);
    for (std::size_t d = 0; d < rank; ++d) {
        bool first_ = true, unknown = false;
        Dim result;
        for (std::size_t k = first; k < first + count && !unknown; ++k) {
            if (!op.has(k)) continue;
            const TensorType& t = op.inputs[k];
            if (t.dims.size() + d < rank) continue; // missing leading dims act as 1
            const Dim& dim = t.dims[d + t.dims.size() - rank];
            if (dim.value == 1) continue;
            if (first_) {
                result = dim, first_ = false;
            } else if (!sameDim(result, dim)) {
                unknown = true;
            }
        }
        if (first_) result.value = 1; // every side 1
        if (!unknown) out.dims[d] = result;
    }
    return out;
}

std::size_t normalizeAxis(std::int64_t axis, std::size_t rank) {
    return static_cast<std::size_t>(axis < 0 ? axis + static_cast<std::int64_t>(rank) : axis);
}

// [ops: MatMul] numpy matmul; [contrib: FusedMatMul] the same after its transposes, read from attributes.
TensorType matmul(const OpSignature& op, bool transA, bool transB) {
    TensorType a = input(op, 0), b = input(op, 1);
    std::int32_t elem = a.elemType;
    if (!a.hasShape || !b.hasShape || a.dims.size() < 2 || b.dims.size() < 2)
        return elemOnly(elem); // 1-D operands are promoted and their dim removed: not simple
    std::size_t rank = std::max(a.dims.size(), b.dims.size());
    TensorType out = ranked(elem, rank);
    // Batch dims broadcast.
    OpSignature batch;
    TensorType ab = a, bb = b;
    ab.dims.resize(a.dims.size() - 2);
    bb.dims.resize(b.dims.size() - 2);
    batch.inputs = {ab, bb};
    batch.present = {true, true};
    TensorType bd = broadcast(batch, 0, 2, elem);
    for (std::size_t d = 0; d + 2 < rank && d < bd.dims.size(); ++d)
        out.dims[d] = bd.dims[d];
    out.dims[rank - 2] = a.dims[a.dims.size() - (transA ? 1 : 2)];
    out.dims[rank - 1] = b.dims[b.dims.size() - (transB ? 2 : 1)];
    return out;
}

// [ops: Transpose] perm, default reversed.
TensorType transpose(const OpSignature& op) {
    TensorType in = input(op, 0);
    if (!in.hasShape) return elemOnly(in.elemType);
    auto it = op.intLists.find("perm");
    TensorType out = ranked(in.elemType, in.dims.size());
    for (std::size_t d = 0; d < in.dims.size(); ++d) {
        std::size_t from = in.dims.size() - 1 - d;
        if (it != op.intLists.end()) {
            if (d >= it->second.size() || it->second[d] < 0 ||
                static_cast<std::size_t>(it->second[d]) >= in.dims.size())
                return sameRank(op, 0, in.elemType);
            from = static_cast<std::size_t>(it->second[d]);
        }
        out.dims[d] = in.dims[from];
    }
    return out;
}

// [ops: Concat] dims equal except `axis`, which sums.
TensorType concat(const OpSignature& op) {
    TensorType first = input(op, 0);
    if (!first.hasShape) return elemOnly(first.elemType);
    std::size_t rank = first.dims.size();
    std::size_t axis = normalizeAxis(intAttr(op, "axis", 0), rank);
    TensorType out = ranked(first.elemType, rank);
    std::int64_t total = 0;
    for (std::size_t k = 0; k < op.inputs.size(); ++k) {
        const TensorType t = input(op, k);
        if (!t.hasShape || t.dims.size() != rank) return sameRank(op, 0, first.elemType);
        if (axis < rank) total = sum(total, t.dims[axis].value);
    }
    for (std::size_t d = 0; d < rank; ++d)
        out.dims[d] = d == axis ? Dim{total, {}} : first.dims[d];
    return out;
}

// [ops: Gather] data dims before axis, then the indices' dims, then data dims after axis.
TensorType gather(const OpSignature& op) {
    TensorType data = input(op, 0), indices = input(op, 1);
    if (!data.hasShape || !indices.hasShape || data.dims.empty()) return elemOnly(data.elemType);
    std::size_t axis = normalizeAxis(intAttr(op, "axis", 0), data.dims.size());
    if (axis >= data.dims.size()) return elemOnly(data.elemType);
    TensorType out = elemOnly(data.elemType);
    out.hasShape = true;
    out.dims.assign(data.dims.begin(), data.dims.begin() + static_cast<std::ptrdiff_t>(axis));
    out.dims.insert(out.dims.end(), indices.dims.begin(), indices.dims.end());
    out.dims.insert(out.dims.end(), data.dims.begin() + static_cast<std::ptrdiff_t>(axis) + 1,
                    data.dims.end());
    return out;
}

// [ops: Reduce*] keepdims (default 1) keeps the rank; without it the rank drops by the number of axes,
// an attribute before opset 18 (13 for ReduceSum), an input (whose length its shape gives) since.
TensorType reduce(const OpSignature& op) {
    TensorType in = input(op, 0);
    if (!in.hasShape) return elemOnly(in.elemType);
    const std::vector<std::int64_t>* axesList = nullptr;
    if (auto it = op.intLists.find("axes"); it != op.intLists.end())
        axesList = &it->second;
    else if (auto v = op.values.find(1); v != op.values.end() && !v->second.empty())
        axesList = &v->second; // axes as an input the file fixes (opset 18; ReduceSum 13)
    if (intAttr(op, "keepdims", 1) != 0) {
        TensorType out = ranked(in.elemType, in.dims.size());
        if (!axesList) return out; // the axes are values nobody fixed: dims unknown
        std::set<std::size_t> axes;
        for (auto a : *axesList)
            axes.insert(normalizeAxis(a, in.dims.size()));
        for (std::size_t d = 0; d < in.dims.size(); ++d)
            out.dims[d] = axes.count(d) ? Dim{1, {}} : in.dims[d];
        return out;
    }
    std::int64_t count = -1;
    if (axesList)
        count = static_cast<std::int64_t>(std::set<std::int64_t>(axesList->begin(), axesList->end()).size());
    else if (op.has(1) && op.inputs[1].hasShape && op.inputs[1].dims.size() == 1)
        count = op.inputs[1].dims[0].value;
    else if (!op.has(1) && intAttr(op, "noop_with_empty_axes", 0) == 0)
        count = static_cast<std::int64_t>(in.dims.size()); // no axes: all of them
    if (count < 0 || count > static_cast<std::int64_t>(in.dims.size())) return elemOnly(in.elemType);
    TensorType out = ranked(in.elemType, in.dims.size() - static_cast<std::size_t>(count));
    if (!axesList) return out;
    std::set<std::size_t> axes;
    for (auto a : *axesList)
        axes.insert(normalizeAxis(a, in.dims.size()));
    out.dims.clear();
    for (std::size_t d = 0; d < in.dims.size(); ++d)
        if (!axes.count(d)) out.dims.push_back(in.dims[d]);
    return out;
}

// [ops: Conv, ConvTranspose, *Pool] batch and channels; the spatial dims need pads and strides: rank only.
TensorType convLike(const OpSignature& op, bool channelsFromWeight, bool transposed) {
    TensorType x = input(op, 0);
    if (!x.hasShape || x.dims.size() < 2) return elemOnly(x.elemType);
    TensorType out = ranked(x.elemType, x.dims.size());
    out.dims[0] = x.dims[0];
    TensorType w = input(op, 1);
    if (!channelsFromWeight)
        out.dims[1] = x.dims[1];
    else if (w.hasShape && w.dims.size() >= 2 && !transposed)
        out.dims[1] = w.dims[0];
    else if (w.hasShape && w.dims.size() >= 2 && w.dims[1].value >= 0)
        out.dims[1].value = product(w.dims[1].value, intAttr(op, "group", 1));
    return out;
}

// [ops: Split] input's dims; the split axis from `split` (attribute before 13) or `num_outputs` (18).
Types split(const OpSignature& op) {
    TensorType in = input(op, 0);
    Types out(op.outputs, sameRank(op, 0, in.elemType));
    if (!in.hasShape) return out;
    std::size_t axis = normalizeAxis(intAttr(op, "axis", 0), in.dims.size());
    if (axis >= in.dims.size()) return out;
    std::vector<std::int64_t> sizes;
    if (auto it = op.intLists.find("split"); it != op.intLists.end()) {
        sizes = it->second;
    } else if (auto v = op.values.find(1); op.has(1) && v != op.values.end()) {
        sizes = v->second; // split as an input (13)
    } else if (!op.has(1) && in.dims[axis].value >= 0 && op.outputs > 0) {
        // Equal parts; the last one smaller when it does not divide (num_outputs, opset 18).
        std::int64_t n = static_cast<std::int64_t>(op.outputs), total = in.dims[axis].value;
        std::int64_t part = total / n + (total % n != 0);
        for (std::int64_t k = 0; k < n; ++k)
            sizes.push_back(std::max<std::int64_t>(0, std::min(part, total - k * part)));
    }
    for (std::size_t k = 0; k < out.size(); ++k) {
        out[k].dims = in.dims;
        out[k].dims[axis] = k < sizes.size() ? Dim{sizes[k], {}} : Dim{};
    }
    return out;
}

// ---- element-type-only and shape-preserving families ------------------------------------------------

// [ops] ops whose output 0 has input 0's type and shape: elementwise unary ops, activations,
// normalizations, Identity, Dropout's output, scatters (data's shape).
const std::set<std::string>& shapePreserving() {
    static const std::set<std::string> ops = {
        "Abs", "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "BatchNormalization", "BitwiseNot", "Ceil",
        "Celu", "Clip", "Cos", "Cosh", "CumSum", "Dropout", "Elu", "Erf", "Exp", "Floor", "Gelu",
        "GroupNormalization", "HardSigmoid", "HardSwish", "Hardmax", "Identity", "InstanceNormalization",
        "LayerNormalization", "LeakyRelu", "Log", "LogSoftmax", "LpNormalization", "LRN",
        "MeanVarianceNormalization", "Mish", "Neg", "Reciprocal", "Relu", "ReverseSequence", "Round",
        "Scatter", "ScatterElements", "ScatterND", "Selu", "Shrink", "Sigmoid", "Sign", "Sin", "Sinh",
        "Softmax", "Softplus", "Softsign", "Sqrt", "Tan", "Tanh", "ThresholdedRelu", "Trilu",
        // ONNX Runtime's ops in the ONNX domain [contrib: SimplifiedLayerNormalization]
        "SimplifiedLayerNormalization"};
    return ops;
}

// [contrib] com.microsoft ops whose output 0 has input 0's type and shape.
const std::set<std::string>& contribShapePreserving() {
    static const std::set<std::string> ops = {"BiasAdd",
                                              "BiasDropout",
                                              "BiasGelu",
                                              "BiasSoftmax",
                                              "FastGelu",
                                              "Gelu",
                                              "GroupNorm",
                                              "Inverse",
                                              "LayerNormalization",
                                              "QuickGelu",
                                              "RotaryEmbedding",
                                              "SimplifiedLayerNormalization",
                                              "SkipGroupNorm",
                                              "SkipLayerNormalization",
                                              "SkipSimplifiedLayerNormalization",
                                              "Trilu",
                                              "MoE"};
    return ops;
}

// [ops] broadcasting binary (and variadic) ops keeping input 0's element type.
const std::set<std::string>& broadcasting() {
    static const std::set<std::string> ops = {"Add",   "Sub",      "Mul",        "Div",       "Pow",
                                              "Max",   "Min",      "Sum",        "Mean",      "Mod",
                                              "PRelu", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor"};
    return ops;
}

// [ops] comparisons and logic: bool, broadcast.
const std::set<std::string>& comparisons() {
    static const std::set<std::string> ops = {"Equal",          "Less", "Greater", "LessOrEqual",
                                              "GreaterOrEqual", "And",  "Or",      "Xor"};
    return ops;
}

// [ops] ops keeping input 0's element type and rank, dims depending on values or windows.
const std::set<std::string>& sameRankOps() {
    static const std::set<std::string> ops = {"Slice",        "Pad",           "Resize",  "Upsample",
                                              "Tile",         "CenterCropPad", "TopK",    "GridSample",
                                              "DepthToSpace", "SpaceToDepth",  "RoiAlign"};
    return ops;
}

// [ops] ops keeping input 0's element type, shape not simple.
const std::set<std::string>& sameElemOps() {
    static const std::set<std::string> ops = {
        "Einsum", "Col2Im", "AffineGrid", "DFT",    "STFT",   "Det",        "Compress",    "GatherND",
        "LSTM",   "GRU",    "RNN",        "Unique", "Expand", "MaxRoiPool", "GlobalLpPool"};
    return ops;
}

// [ops: Constant] the value attribute's type and dims; value_int(s)/value_float(s) since 12.
TensorType constantType(const OpSignature& op) {
    if (auto it = op.tensors.find("value"); it != op.tensors.end()) return it->second;
    if (op.ints.count("value_int")) return ranked(kInt64, 0);
    if (op.ints.count("value_float")) return ranked(kFloat, 0);
    for (const char* name : {"value_ints", "value_floats"})
        if (auto it = op.intLists.find(name); it != op.intLists.end()) { // floats: the count is what matters
            TensorType t = ranked(name[6] == 'i' ? kInt64 : kFloat, 1);
            t.dims[0].value = static_cast<std::int64_t>(it->second.size());
            return t;
        }
    return {};
}

// [ops: Unsqueeze, Squeeze] axes from the attribute (before 13) or the input the file fixes.
TensorType squeezeLike(const OpSignature& op, bool insert) {
    TensorType in = input(op, 0);
    const std::vector<std::int64_t>* axes = nullptr;
    if (auto it = op.intLists.find("axes"); it != op.intLists.end())
        axes = &it->second;
    else if (auto v = op.values.find(1); v != op.values.end())
        axes = &v->second;
    if (!in.hasShape || !axes || (!insert && axes->empty())) return elemOnly(in.elemType);
    std::size_t rank = insert ? in.dims.size() + axes->size() : in.dims.size();
    std::set<std::size_t> marked;
    for (auto a : *axes)
        marked.insert(normalizeAxis(a, rank));
    TensorType out = elemOnly(in.elemType);
    out.hasShape = true;
    std::size_t from = 0;
    for (std::size_t d = 0; d < rank; ++d) {
        if (insert && marked.count(d)) {
            out.dims.push_back(Dim{1, {}});
        } else if (from < in.dims.size()) {
            if (insert || !marked.count(d)) out.dims.push_back(in.dims[from]);
            ++from;
        }
    }
    return out;
}

// [ops: Reshape] the target the file fixes: 0 copies the input's dim (unless allowzero), -1 is inferred
// only when every other dim is known.
TensorType reshape(const OpSignature& op) {
    TensorType in = input(op, 0);
    auto v = op.values.find(1);
    if (v == op.values.end()) {
        std::int64_t rank = rankFromShapeTensor(input(op, 1));
        return rank >= 0 ? ranked(in.elemType, static_cast<std::size_t>(rank)) : elemOnly(in.elemType);
    }
    TensorType out = ranked(in.elemType, v->second.size());
    bool allowZero = intAttr(op, "allowzero", 0) != 0;
    std::int64_t known = 1; // product of the target's other dims, -1 when one of them is unknown
    int inferAt = -1;
    for (std::size_t d = 0; d < v->second.size(); ++d) {
        std::int64_t target = v->second[d];
        if (target == -1) {
            inferAt = static_cast<int>(d);
            continue;
        }
        if (target == 0 && !allowZero)
            out.dims[d] = in.hasShape && d < in.dims.size() ? in.dims[d] : Dim{};
        else
            out.dims[d].value = target;
        known = product(known, out.dims[d].value);
    }
    if (inferAt >= 0 && known > 0 && in.hasShape) {
        std::int64_t total = 1;
        for (const Dim& d : in.dims)
            total = product(total, d.value);
        if (total >= 0 && total % known == 0)
            out.dims[static_cast<std::size_t>(inferAt)].value = total / known;
    }
    return out;
}

Types standardRule(const OpSignature& op) {
    const std::string& t = op.opType;
    const std::int32_t e0 = elemOf(op, 0);
    Types out(op.outputs);
    auto first = [&](TensorType type) {
        if (!out.empty()) out[0] = std::move(type);
        return out;
    };
    if (shapePreserving().count(t)) {
        first(sameShape(op, 0, e0));
        // Dropout's mask is bool [ops: Dropout-12+]; LayerNormalization's Mean/InvStdDev are float by
        // default (stash_type) with the normalized axes kept as 1: rank only here.
        if (t == "Dropout" && out.size() > 1) out[1] = sameShape(op, 0, kBool);
        if (t == "LayerNormalization" || t == "SimplifiedLayerNormalization")
            for (std::size_t k = 1; k < out.size(); ++k)
                out[k] = sameRank(op, 0, static_cast<std::int32_t>(intAttr(op, "stash_type", kFloat)));
        return out;
    }
    if (broadcasting().count(t)) return first(broadcast(op, 0, op.inputs.size(), e0));
    if (comparisons().count(t)) return first(broadcast(op, 0, op.inputs.size(), kBool));
    if (t == "Where") return first(broadcast(op, 0, 3, elemOf(op, 1))); // [ops: Where] X's type
    if (t == "Not" || t == "IsNaN" || t == "IsInf") return first(sameShape(op, 0, kBool));
    if (t == "MatMul") return first(matmul(op, false, false));
    if (t == "Gemm") { // [ops: Gemm] (M, N) from transA/transB
        TensorType out2 = matmul(op, intAttr(op, "transA", 0) != 0, intAttr(op, "transB", 0) != 0);
        return first(out2);
    }
    if (t == "Transpose") return first(transpose(op));
    if (t == "Concat") return first(concat(op));
    if (t == "Gather") return first(gather(op));
    if (t == "GatherElements") return first(sameShape(op, 1, e0)); // [ops] the indices' shape
    if (t.compare(0, 6, "Reduce") == 0) return first(reduce(op));
    if (t == "Conv" || t == "ConvTranspose" || t == "DeformConv")
        return first(convLike(op, true, t == "ConvTranspose"));
    if (t == "AveragePool" || t == "MaxPool" || t == "LpPool" || t == "GlobalAveragePool" ||
        t == "GlobalMaxPool" || t == "MaxUnpool") {
        first(convLike(op, false, false));
        if (t == "MaxPool" && out.size() > 1) out[1] = sameRank(op, 0, kInt64); // [ops: MaxPool] Indices
        return out;
    }
    if (t == "Split") return split(op);
    if (sameRankOps().count(t)) {
        first(sameRank(op, 0, e0));
        if (t == "TopK" && out.size() > 1) out[1] = sameRank(op, 0, kInt64); // [ops: TopK] Indices
        return out;
    }
    if (sameElemOps().count(t)) {
        for (auto& o : out)
            o = elemOnly(e0);
        return out;
    }
    if (t == "Flatten") return first(ranked(e0, 2));
    if (t == "Unsqueeze" || t == "Squeeze") return first(squeezeLike(op, t == "Unsqueeze"));
    if (t == "Reshape") return first(reshape(op));
    if (t == "Shape") { // [ops: Shape] int64 [rank] (start/end since 15)
        TensorType in = input(op, 0);
        if (!in.hasShape) return first(ranked(kInt64, 1));
        auto r = static_cast<std::int64_t>(in.dims.size());
        auto clampAxis = [&](std::int64_t a) { return std::clamp<std::int64_t>(a < 0 ? a + r : a, 0, r); };
        std::int64_t start = clampAxis(intAttr(op, "start", 0)), end = clampAxis(intAttr(op, "end", r));
        TensorType s = ranked(kInt64, 1);
        s.dims[0].value = std::max<std::int64_t>(0, end - start);
        return first(s);
    }
    if (t == "Size") return first(ranked(kInt64, 0));   // [ops: Size] int64 scalar
    if (t == "NonZero") return first(elemOnly(kInt64)); // [ops: NonZero] int64 [rank, n]
    if (t == "ArgMax" || t == "ArgMin") {               // [ops] int64, keepdims default 1
        if (intAttr(op, "keepdims", 1)) return first(sameRank(op, 0, kInt64));
        TensorType in = input(op, 0);
        return first(in.hasShape && !in.dims.empty() ? ranked(kInt64, in.dims.size() - 1) : elemOnly(kInt64));
    }
    if (t == "NonMaxSuppression") return first(ranked(kInt64, 2)); // [ops] int64 [n, 3]
    if (t == "Cast") return first(sameShape(op, 0, static_cast<std::int32_t>(intAttr(op, "to", 0))));
    if (t == "CastLike") return first(sameShape(op, 0, elemOf(op, 1)));
    if (t == "Constant") return first(constantType(op));
    if (t == "ConstantOfShape") { // [ops] `value`'s type, float when absent; rank = the shape's length
        auto it = op.tensors.find("value");
        std::int32_t elem = it == op.tensors.end() ? kFloat : it->second.elemType;
        std::int64_t rank = rankFromShapeTensor(input(op, 0));
        return first(rank >= 0 ? ranked(elem, static_cast<std::size_t>(rank)) : elemOnly(elem));
    }
    if (t == "Range") return first(ranked(e0, 1));            // [ops: Range] the start's type, 1-D
    if (t == "OneHot") return first(elemOnly(elemOf(op, 2))); // [ops: OneHot] the values' type
    if (t == "EyeLike") return first(sameShape(op, 0, static_cast<std::int32_t>(intAttr(op, "dtype", e0))));
    if (t == "QuantizeLinear") { // [ops] y_zero_point's type; output_dtype (21); else uint8
        std::int32_t elem =
            op.has(2) ? elemOf(op, 2) : static_cast<std::int32_t>(intAttr(op, "output_dtype", kUint8));
        if (elem == 0 && !op.has(2)) elem = kUint8;
        return first(sameShape(op, 0, elem));
    }
    if (t == "DequantizeLinear") return first(sameShape(op, 0, elemOf(op, 1))); // [ops] x_scale's type
    if (t == "DynamicQuantizeLinear") {                                         // [ops] uint8, float, uint8
        Types q = {sameShape(op, 0, kUint8), ranked(kFloat, 0), ranked(kUint8, 0)};
        q.resize(op.outputs);
        return q;
    }
    if (t == "MatMulInteger") { // [ops] int32
        TensorType m = matmul(op, false, false);
        m.elemType = kInt32;
        return first(m);
    }
    if (t == "ConvInteger") return first(sameRank(op, 0, kInt32));
    if (t == "QLinearMatMul" || t == "QLinearConv")
        return first(sameRank(op, 0, elemOf(op, 7))); // y_zero_point
    if (t == "StringConcat") return first(broadcast(op, 0, 2, kString));
    if (t == "RegexFullMatch") return first(sameShape(op, 0, kBool));
    if (t == "StringSplit") {
        Types s = {elemOnly(kString), sameShape(op, 0, kInt64)};
        s.resize(op.outputs);
        return s;
    }
    return out;
}

// [contrib: Attention] output (batch, sequence, v_hidden): v_hidden = qkv_hidden_sizes[2], else a third
// of the packed weights' columns; present (2, batch, num_heads, total_sequence, head_size), the past's type.
Types attention(const OpSignature& op) {
    Types out(op.outputs);
    TensorType x = input(op, 0), w = input(op, 1);
    if (out.empty()) return out;
    out[0] = sameRank(op, 0, x.elemType);
    std::int64_t vHidden = -1;
    if (auto it = op.intLists.find("qkv_hidden_sizes"); it != op.intLists.end() && it->second.size() == 3)
        vHidden = it->second[2];
    else if (w.hasShape && w.dims.size() == 2 && w.dims[1].value >= 0 && w.dims[1].value % 3 == 0)
        vHidden = w.dims[1].value / 3;
    if (x.hasShape && x.dims.size() == 3) {
        out[0].dims = {x.dims[0], x.dims[1], Dim{vHidden, {}}};
    }
    if (out.size() > 1) {
        out[1] = ranked(x.elemType, 5);
        std::int64_t heads = intAttr(op, "num_heads", -1);
        out[1].dims[0].value = 2;
        if (x.hasShape && !x.dims.empty()) out[1].dims[1] = x.dims[0];
        out[1].dims[2].value = heads;
        if (heads > 0 && vHidden >= 0) out[1].dims[4].value = vHidden / heads;
    }
    return out;
}

// [contrib: EmbedLayerNormalization] output and embedding_sum (batch, sequence, hidden) of the word
// embedding's type; mask_index int32 (batch).
Types embedLayerNorm(const OpSignature& op) {
    Types out(op.outputs);
    TensorType ids = input(op, 0), word = input(op, 2);
    TensorType hidden = ranked(word.elemType, 3);
    if (ids.hasShape && ids.dims.size() == 2) hidden.dims[0] = ids.dims[0], hidden.dims[1] = ids.dims[1];
    if (word.hasShape && word.dims.size() == 2) hidden.dims[2] = word.dims[1];
    if (!word.elemType) hidden = {};
    if (out.size() > 0) out[0] = hidden;
    if (out.size() > 1) {
        out[1] = ranked(kInt32, 1);
        if (ids.hasShape && !ids.dims.empty()) out[1].dims[0] = ids.dims[0];
    }
    if (out.size() > 2) out[2] = hidden;
    return out;
}

Types contribRule(const OpSignature& op) {
    const std::string& t = op.opType;
    const std::int32_t e0 = elemOf(op, 0);
    Types out(op.outputs);
    auto first = [&](TensorType type) {
        if (!out.empty()) out[0] = std::move(type);
        return out;
    };
    if (contribShapePreserving().count(t)) {
        first(sameShape(op, 0, e0));
        // SkipLayerNormalization: mean and inv_std_var (float, normalized axis kept as 1), then
        // input_skip_bias_sum (T, the input's shape). BiasDropout's mask is bool.
        if (t == "SkipLayerNormalization" || t == "SkipSimplifiedLayerNormalization") {
            for (std::size_t k = 1; k < out.size() && k < 3; ++k)
                out[k] = sameRank(op, 0, kFloat);
            if (out.size() > 3) out[3] = sameShape(op, 0, e0);
        } else if (t == "LayerNormalization" || t == "SimplifiedLayerNormalization") {
            for (std::size_t k = 1; k < out.size(); ++k)
                out[k] = sameRank(op, 0, kFloat);
        } else if (t == "BiasDropout" && out.size() > 1) {
            out[1] = sameShape(op, 0, kBool);
        }
        return out;
    }
    if (t == "FusedMatMul") // [contrib] transA/transB (batch transposes left to rank only)
        return first(intAttr(op, "transBatchA", 0) || intAttr(op, "transBatchB", 0)
                         ? elemOnly(e0)
                         : matmul(op, intAttr(op, "transA", 0) != 0, intAttr(op, "transB", 0) != 0));
    if (t == "FusedGemm")
        return first(matmul(op, intAttr(op, "transA", 0) != 0, intAttr(op, "transB", 0) != 0));
    if (t == "FusedConv" || t == "NhwcConv" || t == "ConvTransposeWithDynamicPads")
        return first(sameRank(op, 0, e0));
    if (t == "NhwcMaxPool") return first(sameRank(op, 0, e0));
    if (t == "Attention") return attention(op);
    if (t == "EmbedLayerNormalization") return embedLayerNorm(op);
    if (t == "MultiHeadAttention" || t == "GroupQueryAttention" || t == "PackedAttention" ||
        t == "PackedMultiHeadAttention" || t == "SparseAttention" || t == "LongformerAttention" ||
        t == "DecoderMaskedMultiHeadAttention" || t == "DecoderMaskedSelfAttention") {
        // [contrib] output (batch, sequence, v_hidden) and present key/value, all the query's type
        for (auto& o : out)
            o = elemOnly(e0);
        if (!out.empty()) out[0] = sameRank(op, 0, e0);
        return out;
    }
    if (t == "MatMulNBits" || t == "MatMulBnb4") return first(sameRank(op, 0, e0)); // [contrib] A's type
    if (t == "GemmFastGelu") return first(matmul(op, false, false));
    if (t == "BiasSplitGelu") return first(sameRank(op, 0, e0));
    if (t == "DynamicQuantizeMatMul") return first(elemOnly(e0));           // [contrib] Y: A's float type
    if (t == "MatMulIntegerToFloat") return first(elemOnly(elemOf(op, 2))); // [contrib] a_scale's type
    if (t == "QAttention") return first(sameRank(op, 0, elemOf(op, 3)));    // [contrib] input_scale's type
    if (t == "QLinearAdd" || t == "QLinearMul") // [contrib] C: A's quantized type, broadcast of A and B
    {
        OpSignature ab = op;
        ab.inputs = {input(op, 0), input(op, 3)};
        ab.present = {op.has(0), op.has(3)};
        return first(broadcast(ab, 0, 2, e0));
    }
    if (t == "QLinearSigmoid" || t == "QLinearLeakyRelu" || t == "QLinearSoftmax")
        return first(sameShape(op, 0, e0));
    if (t == "QLinearGlobalAveragePool" || t == "QLinearAveragePool") return first(sameRank(op, 0, e0));
    if (t == "QLinearConcat") return first(elemOnly(elemOf(op, 1))); // [contrib] Y_zero_point's type
    if (t == "QLinearConv")
        return first(sameRank(op, 0, elemOf(op, 7)));         // [contrib] NHWC: y_zero_point's type
    if (t == "QLinearReduceMean") return first(elemOnly(e0)); // [contrib] the quantized input's type
    if (t == "DynamicQuantizeLSTM") {                         // [contrib] Y, Y_h, Y_c: X's type
        for (auto& o : out)
            o = elemOnly(e0);
        return out;
    }
    if (t ==
        "QEmbedLayerNormalization") { // [contrib] layernorm_out float (batch, sequence, hidden), int32 mask
        Types q = embedLayerNorm(op); // the mask as there; the output dequantized, hidden size unknown
        TensorType ids = input(op, 0);
        if (!q.empty()) q[0] = ranked(kFloat, 3);
        if (!q.empty() && ids.hasShape && ids.dims.size() == 2)
            q[0].dims[0] = ids.dims[0], q[0].dims[1] = ids.dims[1];
        return q;
    }
    if (t == "QGemm") return first(elemOnly(op.has(7) ? elemOf(op, 7) : kFloat)); // [contrib] y_zero_point
    if (t == "QuantizeLinear") return first(sameShape(op, 0, op.has(2) ? elemOf(op, 2) : kUint8));
    if (t == "DequantizeLinear") return first(sameShape(op, 0, elemOf(op, 1)));
    if (t == "RemovePadding") { // [contrib] output T; token_offset, cumulated_seq_len, max_seq_len int32
        Types r = {elemOnly(e0), elemOnly(kInt32), elemOnly(kInt32), elemOnly(kInt32)};
        r.resize(op.outputs);
        return r;
    }
    if (t == "RestorePadding" || t == "GatedRelativePositionBias" || t == "RelativePositionBias" ||
        t == "Rfft" || t == "Irfft" || t == "CDist" || t == "ComplexMul" || t == "ComplexMulConj" ||
        t == "ExpandDims" || t == "CropAndResize")
        return first(elemOnly(e0));
    return out;
}

// ONNX Runtime's NCHWc layout ops (com.microsoft.nchwc), which its optimizer writes for convolutions at
// level 'all' [onnxruntime/core/graph/contrib_ops/nchwc_schema_defs.cc]: the input's type and rank; the
// channels are padded to the block size, so dims are left unknown.
Types nchwcRule(const OpSignature& op) {
    static const std::set<std::string> ops = {
        "Conv",        "ReorderInput",  "ReorderOutput",     "MaxPool",
        "AveragePool", "GlobalMaxPool", "GlobalAveragePool", "Upsample"};
    Types out(op.outputs);
    if (ops.count(op.opType) && !out.empty()) out[0] = sameRank(op, 0, elemOf(op, 0));
    return out;
}

} // namespace

std::vector<TensorType> ruleOutputTypes(const OpSignature& op) {
    if (op.domain.empty() || op.domain == "ai.onnx") return standardRule(op);
    if (op.domain == "com.microsoft") return contribRule(op);
    if (op.domain == "com.microsoft.nchwc") return nchwcRule(op);
    return Types(op.outputs);
}

bool hasTypeRule(const std::string& opType, const std::string& domain) {
    OpSignature probe;
    probe.opType = opType;
    probe.domain = domain;
    probe.outputs = 1;
    probe.inputs.assign(8, elemOnly(kFloat));
    probe.present.assign(8, true);
    probe.ints["to"] = kFloat;
    probe.tensors["value"] = elemOnly(kFloat);
    return ruleOutputTypes(probe)[0].elemType != 0;
}

} // namespace hs
