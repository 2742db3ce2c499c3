// Types of the tensors of a flat program: declared ones, and ONNX's shape inference (with data
// propagation) on the weight-free, fully inlined program, screened first (extract/guard.cpp).
#include "extract/internal.h"

#include "common/error.h"
#include "graph/graph.h"

#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <functional>
#include <unordered_map>
#include <unordered_set>

namespace hs::extraction {

onnx::ModelProto inferenceModel(const GraphIndex& g, const Flattener& flat) {
    const Model& m = g.model();
    onnx::ModelProto mp;
    mp.set_ir_version(std::min<std::int64_t>(m.irVersion, onnx::IR_VERSION));
    addOpsets(m, mp);
    auto* graph = mp.mutable_graph();
    graph->set_name("inference");
    AttributeResolver resolver(g, flat);
    for (const Unit& u : flat.units)
        *graph->add_node() = buildNode(g, u, resolver);
    std::unordered_set<std::string> inputs;
    for (const auto& vi : m.main().inputs)
        if (inputs.insert(vi.name).second)
            *graph->add_input() = parseSpan<onnx::ValueInfoProto>(m, vi.span, "input", vi.name);
    for (const auto& init : m.main().initializers) {
        if (init.byteSize() <= kSmallTensor) {
            *graph->add_initializer() = inlineTensor(m, init);
        } else if (inputs.insert(init.name).second) {
            *graph->add_input() = initializerAsInput(init);
        }
    }
    // Declared value_info and output types are left out: inference computes them from the nodes, and a
    // wrong declaration (some converters write them) would stop it.
    for (const auto& vi : m.main().outputs)
        graph->add_output()->set_name(vi.name);
    for (const auto& fn : m.functions)
        *mp.add_functions() = parseSpan<onnx::FunctionProto>(m, fn.span, "function", fn.name);
    return mp;
}

namespace {

// Rank of a node's output where ONNX 1.12's inference gives a type without a shape (Slice with computed
// bounds, and everything downstream of it), from the ranks of its inputs: -1 when it cannot tell.
int outputRank(const onnx::NodeProto& n, const std::function<int(const std::string&)>& rank) {
    static const std::unordered_set<std::string> sameAsFirst = {"Slice",
                                                                "Identity",
                                                                "Cast",
                                                                "CastLike",
                                                                "Relu",
                                                                "Sigmoid",
                                                                "Tanh",
                                                                "Erf",
                                                                "Sqrt",
                                                                "Neg",
                                                                "Abs",
                                                                "Exp",
                                                                "Log",
                                                                "Softmax",
                                                                "LogSoftmax",
                                                                "LayerNormalization",
                                                                "Dropout",
                                                                "Clip",
                                                                "LeakyRelu",
                                                                "Gelu",
                                                                "HardSigmoid",
                                                                "HardSwish",
                                                                "Not",
                                                                "Reciprocal",
                                                                "Floor",
                                                                "Ceil",
                                                                "Round",
                                                                "Sin",
                                                                "Cos",
                                                                "Trilu",
                                                                "CumSum",
                                                                "BatchNormalization",
                                                                "InstanceNormalization",
                                                                "Softplus",
                                                                "Elu",
                                                                "Selu",
                                                                "Transpose",
                                                                "Concat",
                                                                "Sign",
                                                                "IsNaN",
                                                                "IsInf",
                                                                "Mish",
                                                                "Celu",
                                                                "ThresholdedRelu",
                                                                "Shrink",
                                                                "Hardmax",
                                                                "SimplifiedLayerNormalization"};
    static const std::unordered_set<std::string> broadcast = {"Add",
                                                              "Sub",
                                                              "Mul",
                                                              "Div",
                                                              "Pow",
                                                              "Where",
                                                              "Equal",
                                                              "Less",
                                                              "Greater",
                                                              "LessOrEqual",
                                                              "GreaterOrEqual",
                                                              "And",
                                                              "Or",
                                                              "Xor",
                                                              "Max",
                                                              "Min",
                                                              "Mod",
                                                              "PRelu",
                                                              "Sum",
                                                              "Mean",
                                                              "BitShift"};
    if (n.input_size() == 0) return -1;
    const std::string& op = n.op_type();
    if (sameAsFirst.count(op)) return rank(n.input(0));
    if (broadcast.count(op)) {
        int r = 0;
        for (const auto& in : n.input()) {
            if (in.empty()) continue;
            int k = rank(in);
            if (k < 0) return -1;
            r = std::max(r, k);
        }
        return r;
    }
    if (op == "Gather" && n.input_size() >= 2) {
        int a = rank(n.input(0)), b = rank(n.input(1));
        return a < 1 || b < 0 ? -1 : a + b - 1;
    }
    if (op == "MatMul" && n.input_size() >= 2) {
        int a = rank(n.input(0)), b = rank(n.input(1));
        return a < 2 || b < 2 ? -1 : std::max(a, b);
    }
    return -1;
}

} // namespace

std::map<std::string, TensorType> inferTypes(const GraphIndex& g, const Flattener& flat,
                                             std::string& problem) {
    return inferModelTypes(inferenceModel(g, flat), problem);
}

std::map<std::string, TensorType> inferModelTypes(onnx::ModelProto mp, std::string& problem) {
    std::map<std::string, TensorType> types;
    problem = screenForInference(mp);
    for (int round = 0; round < 8; ++round) {
        try {
            onnx::shape_inference::InferShapes(mp, onnx::OpSchemaRegistry::Instance(),
                                               onnx::ShapeInferenceOptions(false, 0, true));
        } catch (const std::exception& e) {
            problem += (problem.empty() ? "" : "; ") + std::string(e.what());
            break;
        }
        // Complete the ranks inference left open, then let inference run again from there.
        auto* graph = mp.mutable_graph();
        std::unordered_map<std::string, onnx::ValueInfoProto*> known;
        std::unordered_map<std::string, int> ranks;
        for (auto* list : {graph->mutable_input(), graph->mutable_value_info(), graph->mutable_output()})
            for (auto& vi : *list) {
                known.emplace(vi.name(), &vi);
                if (vi.type().tensor_type().has_shape())
                    ranks[vi.name()] = vi.type().tensor_type().shape().dim_size();
            }
        for (const auto& init : graph->initializer())
            ranks[init.name()] = init.dims_size();
        auto rank = [&](const std::string& name) {
            auto it = ranks.find(name);
            return it == ranks.end() ? -1 : it->second;
        };
        bool changed = false;
        for (const auto& n : graph->node())
            for (const auto& out : n.output()) {
                if (out.empty() || rank(out) >= 0) continue;
                auto it = known.find(out);
                if (it == known.end() || it->second->type().tensor_type().elem_type() == 0) continue;
                int r = outputRank(n, rank);
                if (r < 0) continue;
                auto* shape = it->second->mutable_type()->mutable_tensor_type()->mutable_shape();
                for (int k = 0; k < r; ++k)
                    shape->add_dim();
                ranks[out] = r;
                changed = true;
            }
        if (!changed) break;
    }
    auto take = [&](const onnx::ValueInfoProto& vi) {
        TensorType t;
        if (typeFromProto(vi.type(), t)) types[vi.name()] = t;
    };
    for (const auto& vi : mp.graph().value_info())
        take(vi);
    for (const auto& vi : mp.graph().output())
        take(vi);
    for (const auto& vi : mp.graph().input())
        take(vi);
    return types;
}

bool compatible(const TensorType& a, const TensorType& b) {
    if (a.elemType && b.elemType && a.elemType != b.elemType) return false;
    if (!a.hasShape || !b.hasShape) return true;
    if (a.dims.size() != b.dims.size()) return false;
    for (std::size_t k = 0; k < a.dims.size(); ++k)
        if (a.dims[k].value >= 0 && b.dims[k].value >= 0 && a.dims[k].value != b.dims[k].value) return false;
    return true;
}

bool declaredType(const GraphIndex& g, const std::string& name, TensorType& out) {
    int t = g.findTensor(name);
    if (t < 0) return false;
    const TensorEntry& e = g.tensor(t);
    if (e.info && e.info->type.elemType != 0) {
        out = e.info->type;
        return true;
    }
    if (e.init) {
        out = {};
        out.elemType = e.init->dataType;
        out.hasShape = true;
        for (auto d : e.init->dims)
            out.dims.push_back({d, {}});
        return true;
    }
    return false;
}

} // namespace hs::extraction
