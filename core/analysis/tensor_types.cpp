// Tensor types: declared first, completed by the extraction's guarded shape inference.
#include "analysis/tensor_types.h"

#include "extract/extract.h"
#include "graph/graph.h"

#include <utility>

namespace hs {

namespace {

bool known(const TensorType& t) {
    return t.elemType != 0 && t.hasShape;
}

} // namespace

TensorTypes declaredTensorTypes(const GraphIndex& graph) {
    TensorTypes out;
    out.types.resize(graph.tensorCount());
    out.origins.assign(graph.tensorCount(), TypeOrigin::Unknown);
    for (std::size_t t = 0; t < graph.tensorCount(); ++t) {
        const TensorEntry& e = graph.tensor(static_cast<int>(t));
        if (e.info && e.info->type.elemType != 0) {
            out.types[t] = e.info->type;
        } else if (e.init) {
            TensorType& type = out.types[t];
            type.elemType = e.init->dataType;
            type.hasShape = true;
            for (auto d : e.init->dims)
                type.dims.push_back({d, {}});
        }
        if (known(out.types[t])) out.origins[t] = TypeOrigin::Declared;
    }
    return out;
}

TensorTypes inferTensorTypes(const GraphIndex& graph, const std::map<std::string, std::int64_t>* inputDims) {
    TensorTypes out = declaredTensorTypes(graph);
    std::vector<TensorType> inferred = inferIndexTypes(graph, out.problem, inputDims);
    out.inferenceRan = true;
    for (std::size_t t = 0; t < out.types.size(); ++t) {
        if (out.origins[t] == TypeOrigin::Declared || !known(inferred[t])) continue;
        // A declared element type without a shape keeps its element type; inference adds the shape.
        TensorType merged = std::move(inferred[t]);
        if (out.types[t].elemType != 0) merged.elemType = out.types[t].elemType;
        out.types[t] = std::move(merged);
        out.origins[t] = TypeOrigin::Inferred;
    }
    return out;
}

TypeCounts TensorTypes::counts(const GraphIndex& graph) const {
    TypeCounts c;
    for (std::size_t t = 0; t < origins.size(); ++t) {
        if (graph.tensor(static_cast<int>(t)).initializer) continue;
        ++c.total;
        switch (origins[t]) {
        case TypeOrigin::Declared:
            ++c.declared;
            break;
        case TypeOrigin::Inferred:
            ++c.inferred;
            break;
        case TypeOrigin::Unknown:
            ++c.unknown;
            break;
        }
    }
    return c;
}

const char* typeOriginName(TypeOrigin origin) {
    switch (origin) {
    case TypeOrigin::Declared:
        return "declared";
    case TypeOrigin::Inferred:
        return "inferred";
    case TypeOrigin::Unknown:
        break;
    }
    return "unknown";
}

} // namespace hs
