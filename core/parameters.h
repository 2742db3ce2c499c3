#pragma once
// Parameter names as module evidence. torch names initializers after the parameter they hold,
// "<module>.<attribute>" ("distilbert.transformer.layer.0.attention.q_lin.bias"), and keeps those names
// through older exporters and ONNX Runtime's fusions. Pure functions over the graph, shared by the
// parameter evidence source and the explanations.
#include <string>
#include <string_view>
#include <vector>

namespace hs {

class GraphIndex;

// Whether a tensor name is a parameter name, and the module it names in `owner` ("a.b.weight" -> "a.b";
// a root parameter, "cls_token" -> ""). Generated names are not: "onnx::MatMul_12",
// "/enc/Constant_output_0", "1234", converter paths with '/' or ':'.
bool parameterOwner(std::string_view tensorName, std::string& owner);
// The same without a copy: `owner` (may be null) views into the name.
bool isParameterName(std::string_view tensorName, std::string_view* owner);

// The parameter names node `node` uses (through weight-only ops), or the one it is torch's copy of;
// for the words of an explanation (no graph-wide analysis).
std::vector<std::string> parameterNamesUsedBy(const GraphIndex& graph, int node);

// What the graph says about parameters, computed once per graph.
class ParameterUses {
public:
    explicit ParameterUses(const GraphIndex& graph);

    // The parameter tensor that tensor t carries: t itself when it is a parameter-named initializer (or
    // torch's Identity copy of one, named after the parameter it stands for); for an unnamed result of
    // a weight-only op (Transpose, Cast, Reshape, DequantizeLinear, ...) the parameter it transforms;
    // -1 otherwise.
    int parameterOf(int tensor) const { return parameterOfTensor_[static_cast<std::size_t>(tensor)]; }
    // The distinct parameters a node consumes (directly or through weight-only ops).
    std::vector<int> parametersOf(int node) const;
    // How many computing nodes (not weight-only ops) consume the parameter: more than one means it is
    // shared (tied embeddings, or equal weights merged by an optimizer) and names no single owner.
    int users(int parameter) const { return users_[static_cast<std::size_t>(parameter)]; }
    // The module a parameter names ("a.b.weight" -> "a.b"; "" for a root parameter), a view into its
    // name, read once when the graph was analysed.
    std::string_view ownerOf(int parameter) const;
    // A weight-only op whose inputs are all constant (it transforms a weight; it computes nothing).
    bool isWeightOnly(int node) const { return weightOnly_[static_cast<std::size_t>(node)]; }

private:
    bool markWeightOnly(int node, int weight);
    bool isParameter(int tensor); // a parameter name; keeps its owner's length

    const GraphIndex& g_;
    std::vector<int> parameterOfTensor_;
    std::vector<int> users_;
    std::vector<int> ownerLength_; // per tensor, -1 for what is not a parameter
    std::vector<bool> weightOnly_;
};

} // namespace hs
