// Integer shape arithmetic that ONNX 1.12's data propagation does not follow (issue 21): torch writes
// `x.view(B, N, C // heads, ...)` as Shape -> Gather -> Div -> Unsqueeze -> Concat -> Reshape, and 1.12
// propagates no Div, so every tensor after such a Reshape loses its shape. With the graph inputs' dims
// bound, these subgraphs compute constants: they are evaluated here (as ONNX Runtime's
// symbolic_shape_infer does) and handed to the library as initializers for its next round.
#include "extract/internal.h"
#include "extract/shape_propagation.h"
#include "extract/shape_values.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <optional>

namespace hs::extraction {

namespace {

class Evaluator {
public:
    // A slot per name of the program (its ids: no name hashed), each node's inputs and outputs resolved
    // to slots when the program was screened: maps by name, asked several times per node, were most of
    // a fold of 130k nodes, and a table of its own half of what was left.
    Evaluator(const onnx::GraphProto& graph, const std::map<std::string, TensorType>& types,
              const ProgramNames& names)
        : graph_(graph), names_(names), slots_(names.size()) {
        for (int p = 0; p < graph.initializer_size(); ++p) {
            Slot& slot = slots_[static_cast<std::size_t>(names.initializers[static_cast<std::size_t>(p)])];
            if (slot.init) duplicateInitializers_ = true;
            slot.init = &graph.initializer(p);
        }
        for (const auto& [name, type] : types)
            if (int s = names_.find(name); s >= 0) slots_[static_cast<std::size_t>(s)].type = &type;
        for (int id : names.outputs)
            slots_[static_cast<std::size_t>(id)].graphOutput = true;
        if (duplicateInitializers_) // the last of a name whose value can be read wins, as it always did
            for (int p = 0; p < graph.initializer_size(); ++p)
                if (auto v = fromTensor(graph.initializer(p)))
                    known(names.initializers[static_cast<std::size_t>(p)], *v);
    }

    int input(int node, int k) const { return names_.input(node, k); }
    int output(int node, int k) const { return names_.output(node, graph_.node(node).input_size(), k); }
    bool graphOutput(int slot) const {
        return slot >= 0 && slots_[static_cast<std::size_t>(slot)].graphOutput;
    }
    // The type inference gave the name before this fold, or null.
    const TensorType* type(int slot) const {
        return slot < 0 ? nullptr : slots_[static_cast<std::size_t>(slot)].type;
    }
    std::size_t slotCount() const { return slots_.size(); }

    void known(int slot, Value v) {
        if (slot < 0) return;
        Slot& s = slots_[static_cast<std::size_t>(slot)];
        s.initRead = true; // a value computed here replaces the initializer's
        keep(s, std::move(v));
    }
    // An initializer's value is read when a node first asks for it (most are weights no fold reads).
    const Value* value(int slot) {
        if (slot < 0) return nullptr;
        Slot& s = slots_[static_cast<std::size_t>(slot)];
        if (!s.initRead) {
            s.initRead = true;
            if (s.init)
                if (auto v = fromTensor(*s.init)) keep(s, std::move(*v));
        }
        return s.value < 0 ? nullptr : &values_[static_cast<std::size_t>(s.value)];
    }

    // A tensor's concrete shape: propagated here, from inference, or from a value computed here.
    std::optional<std::vector<std::int64_t>> shape(int slot) {
        if (slot < 0) return {};
        if (const Slot& s = slots_[static_cast<std::size_t>(slot)]; s.shape >= 0)
            return shapes_[static_cast<std::size_t>(s.shape)];
        if (const TensorType* t = type(slot); t && t->hasShape) {
            std::vector<std::int64_t> dims;
            for (const auto& d : t->dims) {
                if (d.value < 0) return {};
                dims.push_back(d.value);
            }
            return dims;
        }
        if (const Value* v = value(slot)) return v->dims;
        return {};
    }

    // Shapes inference will only know next round, for the ops between two reshapes of torch's
    // view/permute/view (channel shuffle, window partition): so one round folds a whole chain.
    void propagateShapes(int node) {
        const onnx::NodeProto& n = graph_.node(node);
        if ((!n.domain().empty() && n.domain() != "ai.onnx") || n.output_size() < 1 || n.input_size() < 1)
            return;
        node_ = node;
        const int out0 = output(node, 0);
        if (out0 < 0 || shape(out0)) return;
        CurrentNode inputs(*this);
        auto out = propagatedShape(n, inputs);
        if (!out) return;
        slots_[static_cast<std::size_t>(out0)].shape = static_cast<int>(shapes_.size());
        shapes_.push_back(std::move(*out));
    }

    // The node's outputs, when all of its inputs are known; empty when it cannot tell.
    std::vector<Value> evaluate(int node) {
        const onnx::NodeProto& n = graph_.node(node);
        if (!n.domain().empty() && n.domain() != "ai.onnx") return {};
        node_ = node;
        const std::string& op = n.op_type();
        if (op == "Shape" || op == "Size") return shapeOf(n);
        if (op == "Constant") return constant(n);
        std::vector<const Value*> in;
        for (int k = 0; k < n.input_size(); ++k) {
            if (n.input(k).empty()) {
                in.push_back(nullptr);
                continue;
            }
            const Value* v = inputValue(k);
            if (!v) return {};
            in.push_back(v);
        }
        if (in.empty() || !in[0]) return {};
        std::optional<Value> out = compute(n, op, in);
        if (!out || out->data.size() > kMaxElements) return {};
        return {*out};
    }

private:
    // 32 bytes: a slot per name of 130k-node graphs, most never given a value or a shape.
    struct Slot {
        const onnx::TensorProto* init = nullptr; // the last initializer of the name
        const TensorType* type = nullptr;
        int value = -1; // in values_
        int shape = -1; // in shapes_
        bool initRead = false;
        bool graphOutput = false;
    };

    void keep(Slot& s, Value v) {
        if (s.value >= 0) {
            values_[static_cast<std::size_t>(s.value)] = std::move(v);
        } else {
            s.value = static_cast<int>(values_.size());
            values_.push_back(std::move(v));
        }
    }

    // The inputs of the node being evaluated or propagated.
    const Value* inputValue(int k) { return value(input(node_, k)); }
    std::optional<std::vector<std::int64_t>> inputShape(int k) { return shape(input(node_, k)); }
    class CurrentNode final : public NodeInputs {
    public:
        explicit CurrentNode(Evaluator& e) : e_(e) {}
        std::optional<std::vector<std::int64_t>> shape(int k) override { return e_.inputShape(k); }
        const Value* value(int k) override { return e_.inputValue(k); }

    private:
        Evaluator& e_;
    };

    std::vector<Value> shapeOf(const onnx::NodeProto& n) {
        if (n.input_size() < 1) return {};
        auto dims = inputShape(0);
        if (!dims) return {};
        Value v;
        for (auto d : *dims)
            v.data.push_back(static_cast<double>(d));
        if (n.op_type() == "Size") {
            double p = 1;
            for (double x : v.data)
                p *= x;
            v.data = {p};
            return {v};
        }
        std::int64_t rank = static_cast<std::int64_t>(v.data.size());
        std::int64_t start = intAttribute(n, "start", 0), end = intAttribute(n, "end", rank);
        if (start < 0) start += rank;
        if (end < 0) end += rank;
        start = std::clamp<std::int64_t>(start, 0, rank);
        end = std::clamp<std::int64_t>(end, start, rank);
        v.data = std::vector<double>(v.data.begin() + start, v.data.begin() + end);
        v.dims = {end - start};
        return {v};
    }

    std::vector<Value> constant(const onnx::NodeProto& n) {
        if (const auto* a = attribute(n, "value"); a && a->has_t()) {
            auto v = fromTensor(a->t());
            if (v) return {*v};
        }
        if (const auto* a = attribute(n, "value_int"))
            return {Value{onnx::TensorProto::INT64, {}, {double(a->i())}}};
        if (const auto* a = attribute(n, "value_ints")) {
            Value v{onnx::TensorProto::INT64, {a->ints_size()}, {}};
            for (auto x : a->ints())
                v.data.push_back(static_cast<double>(x));
            return {v};
        }
        return {};
    }

    static std::optional<std::vector<std::int64_t>> axes(const onnx::NodeProto& n,
                                                         const std::vector<const Value*>& in) {
        std::vector<std::int64_t> out;
        if (in.size() > 1 && in[1]) {
            for (double x : in[1]->data)
                out.push_back(static_cast<std::int64_t>(x));
            return out;
        }
        if (const auto* a = attribute(n, "axes")) {
            out.assign(a->ints().begin(), a->ints().end());
            return out;
        }
        return {};
    }

    std::optional<Value> compute(const onnx::NodeProto& n, const std::string& op,
                                 const std::vector<const Value*>& in) {
        const Value& a = *in[0];
        const bool integer = isInteger(a.elemType);
        auto second = [&]() -> const Value* { return in.size() > 1 ? in[1] : nullptr; };
        if (op == "Identity") return a;
        if (op == "Cast") {
            Value v = a;
            v.elemType = static_cast<std::int32_t>(intAttribute(n, "to", 0));
            if (!isInteger(v.elemType) && v.elemType != onnx::TensorProto::FLOAT &&
                v.elemType != onnx::TensorProto::DOUBLE)
                return {};
            if (isInteger(v.elemType))
                for (double& x : v.data)
                    x = std::trunc(x);
            return v;
        }
        if (op == "Neg" || op == "Floor" || op == "Ceil" || op == "Abs" || op == "Sqrt") {
            Value v = a;
            for (double& x : v.data)
                x = op == "Neg"     ? -x
                    : op == "Floor" ? std::floor(x)
                    : op == "Ceil"  ? std::ceil(x)
                    : op == "Abs"   ? std::abs(x)
                                    : std::sqrt(x);
            return v;
        }
        if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Max" || op == "Min" ||
            op == "Mod" || op == "Equal" || op == "Less" || op == "Greater") {
            const Value* b = second();
            if (!b) return {};
            static const std::map<std::string, double (*)(double, double)> ops = {
                {"Add", [](double x, double y) { return x + y; }},
                {"Sub", [](double x, double y) { return x - y; }},
                {"Mul", [](double x, double y) { return x * y; }},
                {"Div", [](double x, double y) { return y == 0 ? NAN : x / y; }},
                {"Max", [](double x, double y) { return std::max(x, y); }},
                {"Min", [](double x, double y) { return std::min(x, y); }},
                {"Mod", [](double x, double y) { return y == 0 ? NAN : x - y * std::floor(x / y); }},
                {"Equal", [](double x, double y) { return double(x == y); }},
                {"Less", [](double x, double y) { return double(x < y); }},
                {"Greater", [](double x, double y) { return double(x > y); }}};
            auto out = binary(a, *b, ops.at(op), integer);
            if (out && (op == "Equal" || op == "Less" || op == "Greater"))
                out->elemType = onnx::TensorProto::BOOL;
            return out;
        }
        if (op == "Where") {
            if (in.size() < 3 || !in[1] || !in[2]) return {};
            const Value &x = *in[1], &y = *in[2];
            std::size_t count = std::max({a.data.size(), x.data.size(), y.data.size()});
            for (const Value* v : {&a, &x, &y})
                if (v->data.size() != 1 && v->data.size() != count) return {};
            Value out = x.data.size() == count ? x : y.data.size() == count ? y : a;
            out.elemType = x.elemType;
            out.data.resize(count);
            auto at = [&](const Value& v, std::size_t k) { return v.data[v.data.size() == 1 ? 0 : k]; };
            for (std::size_t k = 0; k < count; ++k)
                out.data[k] = at(a, k) != 0 ? at(x, k) : at(y, k);
            return out;
        }
        if (op == "Gather") {
            const Value* idx = second();
            if (!idx || a.dims.size() != 1 || intAttribute(n, "axis", 0) != 0) return {};
            Value out = *idx;
            out.elemType = a.elemType;
            for (double& k : out.data) {
                std::int64_t i = static_cast<std::int64_t>(k);
                if (i < 0) i += static_cast<std::int64_t>(a.data.size());
                if (i < 0 || i >= static_cast<std::int64_t>(a.data.size())) return {};
                k = a.data[static_cast<std::size_t>(i)];
            }
            return out;
        }
        if (op == "Unsqueeze" || op == "Squeeze") {
            Value out = a;
            auto ax = axes(n, in);
            if (op == "Squeeze") {
                out.dims.clear();
                for (std::size_t d = 0; d < a.dims.size(); ++d) {
                    bool drop = ax ? std::count(ax->begin(), ax->end(), d) ||
                                         std::count(ax->begin(), ax->end(),
                                                    std::int64_t(d) - std::int64_t(a.dims.size()))
                                   : a.dims[d] == 1;
                    if (!drop) out.dims.push_back(a.dims[d]);
                }
                return out;
            }
            if (!ax) return {};
            std::int64_t rank = static_cast<std::int64_t>(a.dims.size() + ax->size());
            std::vector<bool> inserted(static_cast<std::size_t>(rank), false);
            for (auto x : *ax) {
                if (x < 0) x += rank;
                if (x < 0 || x >= rank) return {};
                inserted[static_cast<std::size_t>(x)] = true;
            }
            out.dims.clear();
            std::size_t k = 0;
            for (std::int64_t d = 0; d < rank; ++d)
                out.dims.push_back(inserted[static_cast<std::size_t>(d)] ? 1
                                   : k < a.dims.size()                   ? a.dims[k++]
                                                                         : 1);
            return out;
        }
        if (op == "Concat") {
            Value out;
            out.elemType = a.elemType;
            for (const Value* v : in) {
                if (!v || v->dims.size() != 1) return {};
                out.data.insert(out.data.end(), v->data.begin(), v->data.end());
            }
            out.dims = {static_cast<std::int64_t>(out.data.size())};
            return out;
        }
        if (op == "Slice") { // any rank, axes and steps (F.pad's reversed pads)
            if (in.size() < 3) return {};
            auto axes = sliceAxes(a.dims, in[1], in[2], in.size() > 3 ? in[3] : nullptr,
                                  in.size() > 4 ? in[4] : nullptr);
            if (!axes) return {};
            Value out = a;
            out.dims.clear();
            std::size_t count = 1;
            for (const auto& x : *axes) {
                out.dims.push_back(x.count);
                count *= static_cast<std::size_t>(x.count);
            }
            out.data.assign(count, 0);
            std::vector<std::size_t> strides(a.dims.size(), 1);
            for (std::size_t d = a.dims.size(); d-- > 1;)
                strides[d - 1] = strides[d] * static_cast<std::size_t>(a.dims[d]);
            for (std::size_t i = 0; i < count; ++i) {
                std::size_t rest = i, from = 0;
                for (std::size_t d = a.dims.size(); d-- > 0;) {
                    const auto c = static_cast<std::int64_t>(rest % static_cast<std::size_t>(out.dims[d]));
                    rest /= static_cast<std::size_t>(out.dims[d]);
                    from += static_cast<std::size_t>((*axes)[d].start + c * (*axes)[d].step) * strides[d];
                }
                out.data[i] = a.data.at(from);
            }
            return out;
        }
        if (op == "Transpose") { // torch's F.pad writes its pads as a [n, 2] matrix, transposed
            if (a.dims.size() == 1) return a;
            if (a.dims.size() != 2) return {};
            if (const auto* p = attribute(n, "perm"); p && (p->ints_size() != 2 || p->ints(0) != 1))
                return {};
            Value out = a;
            out.dims = {a.dims[1], a.dims[0]};
            const std::size_t rows = static_cast<std::size_t>(a.dims[0]),
                              cols = static_cast<std::size_t>(a.dims[1]);
            for (std::size_t r = 0; r < rows; ++r)
                for (std::size_t c = 0; c < cols; ++c)
                    out.data[c * rows + r] = a.data[r * cols + c];
            return out;
        }
        if (op == "Reshape") {
            const Value* shape = second();
            if (!shape) return {};
            Value out = a;
            out.dims.clear();
            std::int64_t known = 1, unknownAt = -1;
            for (std::size_t k = 0; k < shape->data.size(); ++k) {
                std::int64_t d = static_cast<std::int64_t>(shape->data[k]);
                if (d == 0 && k < a.dims.size()) d = a.dims[k];
                if (d == -1) unknownAt = static_cast<std::int64_t>(k);
                out.dims.push_back(d);
                if (d > 0) known *= d;
            }
            if (unknownAt >= 0 && known > 0)
                out.dims[static_cast<std::size_t>(unknownAt)] =
                    static_cast<std::int64_t>(a.data.size()) / known;
            return out;
        }
        if (op == "Range") { // torch's arange for the shifted windows' masks
            if (in.size() < 3 || !in[1] || !in[2] || a.data.size() != 1 || in[1]->data.size() != 1 ||
                in[2]->data.size() != 1 || in[2]->data[0] == 0)
                return {};
            const double start = a.data[0], limit = in[1]->data[0], delta = in[2]->data[0];
            const double count = std::max(std::ceil((limit - start) / delta), 0.0);
            if (count > static_cast<double>(kMaxElements)) return {};
            Value out{a.elemType, {static_cast<std::int64_t>(count)}, {}};
            for (std::int64_t k = 0; k < out.dims[0]; ++k)
                out.data.push_back(start + static_cast<double>(k) * delta);
            return out;
        }
        if (op == "ConstantOfShape") {
            if (a.dims.size() != 1) return {};
            Value out{onnx::TensorProto::FLOAT, {}, {}};
            double fill = 0;
            if (const auto* v = attribute(n, "value"); v && v->has_t()) {
                auto t = fromTensor(v->t());
                if (!t || t->data.size() != 1) return {};
                out.elemType = t->elemType;
                fill = t->data[0];
            }
            std::size_t count = 1;
            for (double d : a.data) {
                if (d < 0) return {};
                out.dims.push_back(static_cast<std::int64_t>(d));
                count *= static_cast<std::size_t>(d);
                if (count > kMaxElements) return {};
            }
            out.data.assign(count, fill);
            return out;
        }
        return {};
    }

    const onnx::GraphProto& graph_;
    const ProgramNames& names_;
    std::vector<Slot> slots_;  // by name id
    std::deque<Value> values_; // a deque: values evaluate holds stay where they are as others are read
    std::deque<std::vector<std::int64_t>> shapes_;
    int node_ = -1; // the node evaluate or propagateShapes is working on
    bool duplicateInitializers_ = false;
};

TensorType typeOf(const Value& v) {
    TensorType t;
    t.elemType = v.elemType;
    t.hasShape = true;
    for (auto d : v.dims)
        t.dims.push_back({d, {}});
    return t;
}

} // namespace

std::size_t foldShapeArithmetic(onnx::ModelProto& mp, const std::map<std::string, TensorType>& types,
                                std::map<std::string, TensorType>& folded, ProgramNames& programNames) {
    auto* graph = mp.mutable_graph();
    Evaluator eval(*graph, types, programNames);
    // Inputs of nodes with an output inference could not shape: folding is worth another round only
    // when it computes one of them (otherwise the library already knew the values).
    auto concrete = [&](int slot) {
        const TensorType* t = eval.type(slot);
        if (!t || !t->hasShape) return false;
        for (const auto& d : t->dims)
            if (d.value < 0) return false;
        return true;
    };
    std::vector<onnx::TensorProto> computed;
    std::vector<int> computedSlots;
    std::vector<char> drop(static_cast<std::size_t>(graph->node_size()), 0);
    std::size_t dropped = 0;
    for (int k = 0; k < graph->node_size(); ++k) {
        const onnx::NodeProto& n = graph->node(k);
        std::vector<Value> values;
        try { // a malformed node (an empty starts list, ...) is left to the library, not evaluated
            values = eval.evaluate(k);
            if (values.empty() || static_cast<int>(values.size()) != n.output_size()) {
                values.clear();
                eval.propagateShapes(k);
            }
        } catch (const std::exception&) {
            values.clear();
        }
        if (values.empty()) continue;
        bool keep = n.op_type() == "Constant"; // the library reads Constant nodes itself
        for (int o = 0; o < n.output_size(); ++o) {
            eval.known(eval.output(k, o), values[static_cast<std::size_t>(o)]);
            if (eval.graphOutput(eval.output(k, o))) keep = true;
        }
        if (keep) continue;
        for (int o = 0; o < n.output_size(); ++o) {
            computed.push_back(toTensor(n.output(o), values[static_cast<std::size_t>(o)]));
            computedSlots.push_back(eval.output(k, o));
            folded[n.output(o)] = typeOf(values[static_cast<std::size_t>(o)]);
        }
        drop[static_cast<std::size_t>(k)] = 1;
        ++dropped;
    }
    if (computed.empty()) return 0;
    // Computed values read by nodes with an output inference could not shape, found through the slots
    // the evaluator resolved (no name hashed again).
    std::vector<char> isComputed(eval.slotCount(), 0), wanted(eval.slotCount(), 0);
    for (int s : computedSlots)
        if (s >= 0) isComputed[static_cast<std::size_t>(s)] = 1;
    for (int k = 0; k < graph->node_size(); ++k) {
        const onnx::NodeProto& n = graph->node(k);
        bool unshaped = false;
        for (int o = 0; o < n.output_size() && !unshaped; ++o)
            unshaped = !n.output(o).empty() && !concrete(eval.output(k, o));
        if (!unshaped) continue;
        for (int i = 0; i < n.input_size(); ++i)
            if (int s = eval.input(k, i); s >= 0 && isComputed[static_cast<std::size_t>(s)])
                wanted[static_cast<std::size_t>(s)] = 1;
    }
    std::size_t useful = 0;
    for (int s : computedSlots)
        useful += s >= 0 && wanted[static_cast<std::size_t>(s)];
    if (useful == 0) return 0;
    // Nodes out, their results in as initializers: the library's Reshape, Expand, Slice ... read them.
    // One compacting pass (a DeleteSubrange per node moved the rest of 130k nodes each time).
    auto* nodes = graph->mutable_node();
    int kept = 0;
    for (int k = 0; k < nodes->size(); ++k) {
        if (drop[static_cast<std::size_t>(k)]) continue;
        if (kept != k) nodes->SwapElements(kept, k);
        ++kept;
    }
    nodes->DeleteSubrange(kept, nodes->size() - kept);
    programNames.keepNodes(drop);
    // Their value infos (untyped or partial from an earlier round) would stand before the initializers.
    // By id (an empty output name has none: by its string).
    bool emptyComputed = false;
    for (const auto& t : computed)
        emptyComputed = emptyComputed || t.name().empty();
    auto* infos = graph->mutable_value_info();
    std::vector<int>& infoIds = programNames.valueInfos;
    kept = 0;
    for (int k = 0; k < infos->size(); ++k) {
        const int id = infoIds[static_cast<std::size_t>(k)];
        if (isComputed[static_cast<std::size_t>(id)] || (emptyComputed && (*infos)[k].name().empty()))
            continue;
        if (kept != k) {
            infos->SwapElements(kept, k);
            infoIds[static_cast<std::size_t>(kept)] = id;
        }
        ++kept;
    }
    infos->DeleteSubrange(kept, infos->size() - kept);
    infoIds.resize(static_cast<std::size_t>(kept));
    for (std::size_t c = 0; c < computed.size(); ++c) {
        const int id = computedSlots[c];
        programNames.initializers.push_back(id >= 0 ? id : programNames.add(computed[c].name()));
        *graph->add_initializer() = std::move(computed[c]);
    }
    return dropped;
}

} // namespace hs::extraction
