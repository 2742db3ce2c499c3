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

// ONNX Runtime GenAI's model builder names a weight after the node using it, "<module>.<OpType>.weight"
// ("model.layers.0.attn.q_proj.MatMul.weight"): an op is no module. The owner without its last atom
// when that atom is the using node's op type ("model.layers.0.attn.q_proj").
std::string_view ownerWithoutOpType(std::string_view owner, std::string_view opType);

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
    int parameterOf(int tensor) const {
        const int slot = slot_[static_cast<std::size_t>(tensor)];
        return slot < 0 ? -1 : params_[static_cast<std::size_t>(slot)].tensor;
    }
    // The distinct parameters a node consumes (directly or through weight-only ops).
    std::vector<int> parametersOf(int node) const;
    // How many computing nodes (not weight-only ops) consume the parameter: more than one means it is
    // shared (tied embeddings, or equal weights merged by an optimizer) and names no single owner.
    int users(int parameter) const { return paramOf(parameter).users; }
    // The module a parameter names ("a.b.weight" -> "a.b"; "" for a root parameter), a view into its
    // name, read once when the graph was analysed.
    std::string_view ownerOf(int parameter) const;
    // A weight-only op whose inputs are all constant (it transforms a weight; it computes nothing).
    bool isWeightOnly(int node) const { return weightOnly_[static_cast<std::size_t>(node)]; }
    // The nodes a parameter can place, in graph order: those consuming one directly or through
    // weight-only ops, and the weight-only ops (torch's Identity copies among them). A few thousand in a
    // graph of 100k nodes.
    const std::vector<int>& nodesWithParameters() const { return nodes_; }

private:
    struct Param {
        int tensor = -1;
        int users = 0;
        int ownerLength = 0;
    };
    const Param& paramOf(int parameter) const {
        return params_[static_cast<std::size_t>(slot_[static_cast<std::size_t>(parameter)])];
    }
    bool markWeightOnly(int node, int weight);
    int addParameter(int tensor); // its slot, or -1 when its name is no parameter name
    void dropOpTypeFromOwner(Param& param, const std::string& opType) const;

    const GraphIndex& g_;
    std::vector<int> slot_;     // per tensor: index into params_ of the parameter it carries, or -1
    std::vector<Param> params_; // parameter-named tensors
    std::vector<bool> weightOnly_;
    std::vector<int> nodes_;
};

} // namespace hs
