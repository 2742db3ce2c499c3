#pragma once
// Hierscope's own tensor type rules: the element type (and, where the rule is simple, the shape) of an
// operator's outputs from its inputs' types and its attributes, for the ops the linked ONNX library has
// no schema for (ONNX Runtime's contrib ops) or not in the model's version (opsets newer than it knows).
// Plain values in and out, no ONNX classes: extraction uses it after ONNX shape inference, and the cost
// analysis can use it alike. Every rule cites the operator's definition (ONNX's Operators.md, ONNX
// Runtime's ContribOperators.md) in type_rules.cpp.
#include "model/model.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hs {

// What a rule reads of one node.
struct OpSignature {
    std::string opType;
    std::string domain;             // "" for ai.onnx; "com.microsoft" for ONNX Runtime's contrib ops
    std::int64_t opset = 0;         // the version of the node's domain the model imports
    std::vector<TensorType> inputs; // one per input slot; elemType 0: unknown, or the slot is empty
    std::vector<bool> present;      // per input slot: a tensor is given (optional inputs may be empty)
    std::size_t outputs = 1;
    std::map<std::string, std::int64_t> ints;                  // INT attributes
    std::map<std::string, std::vector<std::int64_t>> intLists; // INTS attributes
    std::map<std::string, TensorType> tensors;                 // TENSOR attributes: type and dims
    // Values of small int64 inputs the file fixes (initializers, Constants): axes, split sizes, shapes.
    std::map<std::size_t, std::vector<std::int64_t>> values;
    bool has(std::size_t input) const { return input < present.size() && present[input]; }
};

// One type per output: elemType 0 where no rule knows it; hasShape only where the shape (its rank at
// least) follows simply from the inputs. Unknown ops give all-unknown types.
std::vector<TensorType> ruleOutputTypes(const OpSignature& op);

// Does a rule know the element types of this op's outputs?
bool hasTypeRule(const std::string& opType, const std::string& domain);

} // namespace hs
