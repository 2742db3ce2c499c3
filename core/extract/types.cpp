// Types of the tensors of a flat program: declared ones, and ONNX's shape inference (with data
// propagation) on the weight-free, fully inlined program, screened first (extract/guard.cpp) and narrowed
// to what the library knows (extract/library_view.cpp), alternating with Hierscope's type rules
// (extract/type_rules.h), which fill what it leaves open.
#include "extract/internal.h"
#include "extract/type_rules.h"

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

// Values of small int64 tensors by name (initializers, Constants).
using Values = std::unordered_map<std::string, std::vector<std::int64_t>>;

// The values of a small int64 tensor (axes, split sizes, shapes), when it holds them.
bool smallInt64Values(const onnx::TensorProto& t, std::vector<std::int64_t>& out) {
    constexpr int kMax = 64;
    if (t.data_type() != onnx::TensorProto::INT64 || t.dims_size() > 1 ||
        t.data_location() == onnx::TensorProto::EXTERNAL)
        return false;
    out.clear();
    if (t.has_raw_data()) {
        const std::string& raw = t.raw_data();
        if (raw.size() % 8 != 0 || raw.size() / 8 > kMax) return false;
        for (std::size_t k = 0; k < raw.size(); k += 8) {
            std::uint64_t v = 0;
            for (int b = 7; b >= 0; --b) // little-endian (onnx.proto)
                v = (v << 8) | static_cast<unsigned char>(raw[k + static_cast<std::size_t>(b)]);
            out.push_back(static_cast<std::int64_t>(v));
        }
    } else {
        if (t.int64_data_size() > kMax) return false;
        out.assign(t.int64_data().begin(), t.int64_data().end());
    }
    std::int64_t count = t.dims_size() ? t.dims(0) : 1;
    return count == static_cast<std::int64_t>(out.size());
}

// The node as our type rules read it: its original domain and version, its inputs' types (and values) as
// known so far, the attributes the rules use.
OpSignature signatureOf(const onnx::NodeProto& n, const std::map<std::string, std::int64_t>& opsets,
                        const std::unordered_map<std::string, TensorType>& types, const Values& values) {
    OpSignature op;
    op.opType = n.op_type();
    op.domain = originalDomain(n.domain());
    if (op.domain == "ai.onnx") op.domain.clear();
    auto v = opsets.find(op.domain);
    op.opset = v == opsets.end() ? 0 : v->second;
    for (const auto& in : n.input()) {
        auto it = in.empty() ? types.end() : types.find(in);
        op.inputs.push_back(it == types.end() ? TensorType{} : it->second);
        op.present.push_back(!in.empty());
        if (auto v = in.empty() ? values.end() : values.find(in); v != values.end())
            op.values[op.inputs.size() - 1] = v->second;
    }
    op.outputs = static_cast<std::size_t>(n.output_size());
    for (const auto& a : n.attribute()) {
        switch (a.type()) {
        case onnx::AttributeProto::INT:
            op.ints[a.name()] = a.i();
            break;
        case onnx::AttributeProto::FLOAT:
            op.ints[a.name()] = 0;
            break; // rules ask only whether it is set
        case onnx::AttributeProto::INTS:
            op.intLists[a.name()].assign(a.ints().begin(), a.ints().end());
            break;
        case onnx::AttributeProto::FLOATS:
            op.intLists[a.name()].assign(static_cast<std::size_t>(a.floats_size()), 0);
            break;
        case onnx::AttributeProto::TENSOR: {
            TensorType t;
            t.elemType = a.t().data_type();
            t.hasShape = true;
            for (auto d : a.t().dims())
                t.dims.push_back({d, {}});
            op.tensors[a.name()] = t;
            break;
        }
        default:
            break;
        }
    }
    return op;
}

// What a rule adds to what is known: the element type where none is known, a shape where none is.
bool mergeRule(TensorType& known, const TensorType& rule) {
    if (rule.elemType == 0) return false;
    if (known.elemType == 0) {
        known = rule;
        return true;
    }
    if (known.elemType == rule.elemType && !known.hasShape && rule.hasShape) {
        known.hasShape = true;
        known.dims = rule.dims;
        return true;
    }
    return false;
}

// One pass of our rules over the program in (topological) order, after the library's inference: fills
// the value infos of outputs the library left untyped (ops it has no schema for, everything downstream
// of them, shapes it gave up on). Returns whether anything was added.
bool applyTypeRules(onnx::GraphProto& graph, const std::map<std::string, std::int64_t>& opsets) {
    std::unordered_map<std::string, onnx::ValueInfoProto*> entries;
    std::unordered_map<std::string, TensorType> types;
    for (auto* list : {graph.mutable_input(), graph.mutable_value_info(), graph.mutable_output()})
        for (auto& vi : *list) {
            entries.emplace(vi.name(), &vi);
            TensorType t;
            if (typeFromProto(vi.type(), t)) types.emplace(vi.name(), t);
        }
    Values values;
    for (const auto& init : graph.initializer()) {
        if (std::vector<std::int64_t> v; smallInt64Values(init, v)) values.emplace(init.name(), std::move(v));
        TensorType t;
        t.elemType = init.data_type();
        t.hasShape = true;
        for (auto d : init.dims())
            t.dims.push_back({d, {}});
        types[init.name()] = t;
    }
    bool changed = false;
    for (const auto& n : graph.node()) {
        if (n.op_type() == "Constant" && n.output_size() == 1)
            for (const auto& a : n.attribute()) {
                std::vector<std::int64_t> v;
                if (a.name() == "value" && a.has_t() && smallInt64Values(a.t(), v))
                    values[n.output(0)] = std::move(v);
                else if (a.name() == "value_ints")
                    values[n.output(0)].assign(a.ints().begin(), a.ints().end());
            }
        bool complete = true;
        for (const auto& out : n.output()) {
            auto it = types.find(out);
            complete = complete && (out.empty() || (it != types.end() && it->second.hasShape));
        }
        if (complete) continue;
        std::vector<TensorType> rules = ruleOutputTypes(signatureOf(n, opsets, types, values));
        for (int k = 0; k < n.output_size() && static_cast<std::size_t>(k) < rules.size(); ++k) {
            const std::string& out = n.output(k);
            auto entry = entries.find(out);
            if (out.empty() || entry == entries.end()) continue;
            TensorType& known = types[out];
            if (!mergeRule(known, rules[static_cast<std::size_t>(k)])) continue;
            *entry->second = valueInfoFor(out, &known);
            changed = true;
        }
    }
    return changed;
}

} // namespace

std::map<std::string, TensorType> inferTypes(const GraphIndex& g, const Flattener& flat,
                                             std::string& problem) {
    return inferModelTypes(inferenceModel(g, flat), problem);
}

std::map<std::string, TensorType> inferModelTypes(onnx::ModelProto mp, std::string& problem) {
    std::map<std::string, TensorType> types;
    // The library infers only what it knows in the model's version; our rules do the rest.
    narrowToLibrary(mp);
    problem = screenForInference(mp);
    std::map<std::string, std::int64_t> opsets;
    for (const auto& op : mp.opset_import())
        opsets[op.domain() == "ai.onnx" ? std::string() : op.domain()] = op.version();
    bool library = true; // until its inference gives up on this model; our rules go on without it
    for (int round = 0; round < 16; ++round) {
        try {
            if (library)
                onnx::shape_inference::InferShapes(mp, onnx::OpSchemaRegistry::Instance(),
                                                   onnx::ShapeInferenceOptions(false, 0, true));
        } catch (const std::exception& e) {
            problem += (problem.empty() ? "" : "; ") + std::string(e.what());
            library = false;
        }
        // Fill in what inference left open, then let inference run again from there.
        if (!applyTypeRules(*mp.mutable_graph(), opsets)) break;
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
