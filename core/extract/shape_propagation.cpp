// Shapes that shape arithmetic propagates itself (see shape_propagation.h).
#include "extract/shape_propagation.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>

namespace hs::extraction {

std::optional<std::vector<std::int64_t>> propagatedShape(const onnx::NodeProto& n, NodeInputs& in) {
    static const std::unordered_set<std::string> sameShape = {"Relu",
                                                              "Sigmoid",
                                                              "Tanh",
                                                              "Erf",
                                                              "Neg",
                                                              "Abs",
                                                              "Sqrt",
                                                              "Exp",
                                                              "Log",
                                                              "Cast",
                                                              "Identity",
                                                              "Dropout",
                                                              "Softmax",
                                                              "LogSoftmax",
                                                              "Clip",
                                                              "LeakyRelu",
                                                              "HardSwish",
                                                              "HardSigmoid",
                                                              "Gelu",
                                                              "Elu",
                                                              "Selu",
                                                              "LayerNormalization",
                                                              "BatchNormalization",
                                                              "InstanceNormalization",
                                                              "Not",
                                                              "Floor",
                                                              "Ceil",
                                                              "Round"};
    static const std::unordered_set<std::string> broadcast = {
        "Add", "Sub", "Mul", "Div", "Pow", "Where", "Equal", "Less", "Greater", "And", "Or", "Max", "Min"};
    const std::string& op = n.op_type();
    auto x = in.shape(0);
    if (!x) return {};
    if (sameShape.count(op)) return x;
    if (broadcast.count(op)) {
        std::vector<std::int64_t> out = *x;
        for (int k = 1; k < n.input_size(); ++k) {
            auto y = in.shape(k);
            if (!y) return {};
            if (y->size() > out.size()) out.insert(out.begin(), y->size() - out.size(), 1);
            for (std::size_t d = 0; d < y->size(); ++d) {
                std::int64_t& o = out[out.size() - y->size() + d];
                const std::int64_t v = (*y)[d];
                if (o == 1)
                    o = v;
                else if (v != 1 && v != o)
                    return {};
            }
        }
        return out;
    }
    if (op == "Conv" && n.input_size() >= 2 && x->size() >= 3) { // explicit pads only
        auto w = in.shape(1);
        if (!w || w->size() != x->size()) return {};
        if (const auto* a = attribute(n, "auto_pad"); a && a->s() != "NOTSET") return {};
        const std::size_t spatial = x->size() - 2;
        std::vector<std::int64_t> pads(2 * spatial, 0), strides(spatial, 1), dilations(spatial, 1);
        if (const auto* a = attribute(n, "pads")) pads.assign(a->ints().begin(), a->ints().end());
        if (const auto* a = attribute(n, "strides")) strides.assign(a->ints().begin(), a->ints().end());
        if (const auto* a = attribute(n, "dilations")) dilations.assign(a->ints().begin(), a->ints().end());
        if (pads.size() != 2 * spatial || strides.size() != spatial || dilations.size() != spatial) return {};
        std::vector<std::int64_t> out = {(*x)[0], (*w)[0]};
        for (std::size_t d = 0; d < spatial; ++d) {
            const std::int64_t span =
                (*x)[d + 2] + pads[d] + pads[d + spatial] - dilations[d] * ((*w)[d + 2] - 1) - 1;
            if (span < 0 || strides[d] <= 0) return {};
            out.push_back(span / strides[d] + 1);
        }
        return out;
    }
    if (op == "Transpose") {
        std::vector<std::int64_t> perm;
        if (const auto* a = attribute(n, "perm")) perm.assign(a->ints().begin(), a->ints().end());
        if (perm.empty())
            for (std::size_t d = x->size(); d-- > 0;)
                perm.push_back(static_cast<std::int64_t>(d));
        if (perm.size() != x->size()) return {};
        std::vector<std::int64_t> out;
        for (auto p : perm) {
            if (p < 0 || p >= static_cast<std::int64_t>(x->size())) return {};
            out.push_back((*x)[static_cast<std::size_t>(p)]);
        }
        return out;
    }
    if (op == "Reshape" && n.input_size() > 1) {
        const Value* target = in.value(1);
        if (!target) return {};
        std::int64_t total = 1, known = 1;
        for (auto d : *x)
            total *= d;
        std::vector<std::int64_t> out;
        int unknownAt = -1;
        for (std::size_t k = 0; k < target->data.size(); ++k) {
            std::int64_t d = static_cast<std::int64_t>(target->data[k]);
            if (d == 0 && intAttribute(n, "allowzero", 0) == 0) {
                if (k >= x->size()) return {};
                d = (*x)[k];
            }
            if (d == -1) {
                if (unknownAt >= 0) return {};
                unknownAt = static_cast<int>(k);
            } else if (d < 0) {
                return {};
            } else {
                known *= d;
            }
            out.push_back(d);
        }
        if (unknownAt >= 0) {
            if (known == 0 || total % known != 0) return {};
            out[static_cast<std::size_t>(unknownAt)] = total / known;
        } else if (known != total) {
            return {};
        }
        return out;
    }
    if (op == "Concat") {
        std::int64_t axis = intAttribute(n, "axis", 0);
        if (axis < 0) axis += static_cast<std::int64_t>(x->size());
        if (axis < 0 || axis >= static_cast<std::int64_t>(x->size())) return {};
        std::vector<std::int64_t> out = *x;
        for (int k = 1; k < n.input_size(); ++k) {
            auto y = in.shape(k);
            if (!y || y->size() != x->size()) return {};
            out[static_cast<std::size_t>(axis)] += (*y)[static_cast<std::size_t>(axis)];
        }
        return out;
    }
    if (op == "Slice" && n.input_size() >= 3) {
        auto input = [&](int k) -> const Value* {
            return n.input_size() > k && !n.input(k).empty() ? in.value(k) : nullptr;
        };
        if ((n.input_size() > 3 && !n.input(3).empty() && !input(3)) ||
            (n.input_size() > 4 && !n.input(4).empty() && !input(4)))
            return {};
        auto axes = sliceAxes(*x, input(1), input(2), input(3), input(4));
        if (!axes) return {};
        std::vector<std::int64_t> out;
        for (const auto& a : *axes)
            out.push_back(a.count);
        return out;
    }
    if (op == "Range" && n.input_size() == 3) { // longer than a value is kept: its length only
        const Value *start = in.value(0), *limit = in.value(1), *delta = in.value(2);
        if (!start || !limit || !delta || start->data.size() != 1 || limit->data.size() != 1 ||
            delta->data.size() != 1 || delta->data[0] == 0)
            return {};
        const double count = std::ceil((limit->data[0] - start->data[0]) / delta->data[0]);
        return std::vector<std::int64_t>{static_cast<std::int64_t>(std::max(count, 0.0))};
    }
    if (op == "Pad" && n.input_size() >= 2) { // pads from input 1 (opset 11 on)
        const Value* pads = in.value(1);
        if (!pads || pads->data.size() != 2 * x->size()) return {};
        std::vector<std::int64_t> out = *x;
        for (std::size_t d = 0; d < x->size(); ++d) {
            out[d] += static_cast<std::int64_t>(pads->data[d] + pads->data[d + x->size()]);
            if (out[d] < 0) return {};
        }
        return out;
    }
    if (op == "MatMul" && n.input_size() == 2) { // both of rank >= 2 (torch's linear layers)
        auto y = in.shape(1);
        if (!y || x->size() < 2 || y->size() < 2 || (*x)[x->size() - 1] != (*y)[y->size() - 2]) return {};
        std::vector<std::int64_t> a(x->begin(), x->end() - 2), b(y->begin(), y->end() - 2);
        if (a.size() < b.size()) a.insert(a.begin(), b.size() - a.size(), 1);
        if (b.size() < a.size()) b.insert(b.begin(), a.size() - b.size(), 1);
        std::vector<std::int64_t> out;
        for (std::size_t d = 0; d < a.size(); ++d) {
            if (a[d] != b[d] && a[d] != 1 && b[d] != 1) return {};
            out.push_back(a[d] == 1 ? b[d] : a[d]);
        }
        out.push_back((*x)[x->size() - 2]);
        out.push_back((*y)[y->size() - 1]);
        return out;
    }
    return {};
}

} // namespace hs::extraction
