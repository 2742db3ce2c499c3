#pragma once
// The type of every tensor of a graph index: what the file declares, completed by ONNX shape inference
// (extract.h, inferIndexTypes). Declared types win; inferred ones are marked as such.
#include "model/model.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hs {

class GraphIndex;

// Known means an element type and a rank; dims may still be symbolic or unknown.
enum class TypeOrigin : std::uint8_t { Unknown, Declared, Inferred };

struct TypeCounts {
    std::size_t declared = 0, inferred = 0, unknown = 0, total = 0;
};

struct TensorTypes {
    std::vector<TensorType> types;   // per tensor of the index (what is known, possibly partial)
    std::vector<TypeOrigin> origins; // per tensor
    std::string problem;             // why inference left parts out or stopped ("" when it ran through)
    bool inferenceRan = false;

    const TensorType& type(int tensor) const { return types[static_cast<std::size_t>(tensor)]; }
    TypeOrigin origin(int tensor) const { return origins[static_cast<std::size_t>(tensor)]; }
    // Over the tensors that are not initializers (weights always have a type): what flows in the graph.
    TypeCounts counts(const GraphIndex& graph) const;
};

// What the file declares (value_info, graph inputs and outputs, initializers): cheap, no inference.
TensorTypes declaredTensorTypes(const GraphIndex& graph);
// Declared types completed by shape inference with data propagation. Seconds on big models: run it off
// the UI thread.
// With `inputDims`, the graph inputs' symbolic dimensions are bound first (to their value there, else
// 1): inferred shapes are then concrete, as cost analysis needs them (DimBindings, analysis/cost.h).
TensorTypes inferTensorTypes(const GraphIndex& graph,
                             const std::map<std::string, std::int64_t>* inputDims = nullptr);

const char* typeOriginName(TypeOrigin origin); // "declared", "inferred", "unknown"

} // namespace hs
