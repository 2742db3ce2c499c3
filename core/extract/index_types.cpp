// Inferred types for every tensor of a graph index (extract.h, inferIndexTypes): the guarded, weight-free
// shape inference extraction runs for its boundary types, read back by tensor for core/analysis/.
#include "extract/internal.h"

#include "common/display_text.h"
#include "graph/graph.h"

#include <google/protobuf/arena.h>

namespace hs {

namespace {

// Whether instance i lies in the flat program under its own names: in the main graph or only inside
// inlined function calls. Nodes of If/Loop/Scan bodies are not: inference types their bodies' tensors
// inside the body, not in the flat program's value_info.
bool inFlatProgram(const GraphIndex& g, const extraction::Flattener& flat, int i) {
    for (int p = g.instance(i).parent; p >= 0; p = g.instance(p).parent)
        if (!flat.expanded(p)) return false;
    return true;
}

void bindInputDims(onnx::ModelProto& mp, const std::map<std::string, std::int64_t>& values) {
    for (auto& input : *mp.mutable_graph()->mutable_input()) {
        if (!input.type().has_tensor_type() || !input.type().tensor_type().has_shape()) continue;
        for (auto& d : *input.mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim()) {
            if (d.has_dim_value()) continue;
            auto it = d.has_dim_param() ? values.find(d.dim_param()) : values.end();
            d.set_dim_value(it == values.end() ? 1 : it->second); // clears dim_param (a oneof)
        }
    }
}

} // namespace

std::vector<TensorType> inferIndexTypes(const GraphIndex& g, std::string& problem,
                                        const std::map<std::string, std::int64_t>* inputDims) {
    using namespace extraction;
    ExternalScope externalFiles;
    Flattener flat(g, std::vector<char>(g.size(), 1), true);
    // On an arena: the program, its 130k nodes and the value infos inference adds are freed at once
    // (freed one by one, glibc's consolidation of the small blocks took a fifth of the time).
    google::protobuf::Arena arena;
    onnx::ModelProto& mp = *google::protobuf::Arena::CreateMessage<onnx::ModelProto>(&arena);
    buildInferenceModel(g, flat, mp);
    std::map<std::string, TensorType> inferred, folded;
    if (!inputDims) {
        inferred = inferModelTypesInPlace(mp, problem);
    } else {
        // Bound dims make torch's shape arithmetic constant: what 1.12 does not evaluate is folded.
        bindInputDims(mp, *inputDims);
        inferred = inferModelTypesInPlace(mp, problem, &folded);
        for (const auto& [name, type] : folded)
            inferred[name] = type;
    }
    // The library's messages quote node names raw: cut, then escape what is not UTF-8.
    if (problem.size() > 400) problem = problem.substr(0, 400) + "...";
    problem = utf8Escaped(problem);

    std::vector<TensorType> types(g.tensorCount());
    auto take = [&](int t, const std::string& flatName) {
        auto it = inferred.find(flatName);
        if (it != inferred.end()) types[static_cast<std::size_t>(t)] = it->second;
    };
    for (const auto& [name, type] : inferred) {
        int t = g.findTensor(name);
        if (t >= 0) types[static_cast<std::size_t>(t)] = type;
    }
    // Tensors inside inlined function bodies have flat names `<call key>::<local name>`; the index
    // lists a node's non-empty input and output names in order.
    for (int i = static_cast<int>(g.mainCount()); i < static_cast<int>(g.size()); ++i) {
        if (!inFlatProgram(g, flat, i)) continue;
        const Node& n = g.node(i);
        IndexSpan ins = g.inputs(i), outs = g.outputs(i);
        std::size_t k = 0;
        for (const auto& name : n.inputs)
            if (!name.empty() && k < ins.size()) take(ins[k++], flat.flatName(i, name));
        k = 0;
        for (const auto& name : n.outputs)
            if (!name.empty() && k < outs.size()) take(outs[k++], flat.flatName(i, name));
    }
    return types;
}

} // namespace hs
