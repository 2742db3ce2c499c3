#pragma once
// The concrete shape of a node's first output from its inputs' concrete shapes and values, for the ops
// between two reshapes of torch's view/permute/view (elementwise, broadcasting, Conv with explicit pads,
// Transpose, Reshape, Concat, Slice, Range, Pad, MatMul): shape arithmetic (shape_arithmetic.cpp) folds a
// whole chain in one round with it, where inference would shape only the next step. Internal to
// core/extract.
#include "extract/shape_values.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace hs::extraction {

// A node's inputs as the fold knows them, by position.
class NodeInputs {
public:
    virtual ~NodeInputs() = default;
    virtual std::optional<std::vector<std::int64_t>> shape(int input) = 0;
    virtual const Value* value(int input) = 0; // null when not known
};

// Empty when the op is not one of these or an input it needs is unknown.
std::optional<std::vector<std::int64_t>> propagatedShape(const onnx::NodeProto& n, NodeInputs& in);

} // namespace hs::extraction
