#pragma once
// What each node and each module costs: multiply-accumulates (MACs) of the compute ops, element counts
// of the cheap ops (normalizations, pooling, softmax, elementwise: reported apart, never mixed into
// MACs), activation bytes (the sizes of a node's outputs), summed per module, own and in total.
// Symbolic dimensions count as 1 unless bound; a node whose shapes are not known is "unknown", never 0.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hs {

class GraphIndex;
struct Hierarchy;
struct TensorTypes;

// Values for symbolic dimensions by name ("batch" -> 8); unbound ones count as 1.
using DimBindings = std::map<std::string, std::int64_t>;

enum class CostKind : std::uint8_t {
    None,     // no arithmetic worth counting (shape ops, Constant, a function call or If whose body counts)
    Compute,  // MACs: Conv, Gemm, MatMul, Einsum, RNNs, attention, their quantized forms
    Elements, // element count: normalizations, pooling, softmax, elementwise
};

struct NodeCost {
    CostKind kind = CostKind::None;
    bool known = false;                // `amount` is computed (Compute, Elements)
    std::uint64_t amount = 0;          // MACs (Compute) or elements (Elements)
    std::uint64_t activationBytes = 0; // outputs whose size is known
    bool activationKnown = true;       // every output's size is known
    std::string why;                   // unknown: why ("input 'x' has no shape")
};

struct CostTotals {
    std::uint64_t macs = 0;            // of compute nodes whose MACs are known
    std::uint64_t elements = 0;        // of element nodes whose counts are known
    std::uint64_t activationBytes = 0; // known output sizes
    std::size_t computeNodes = 0;
    std::size_t unknownNodes = 0;       // compute nodes whose MACs are unknown
    std::size_t unknownActivations = 0; // nodes with an output of unknown size
    void add(const NodeCost& c);
    void add(const CostTotals& t);
};

struct ModuleCost {
    CostTotals own;   // nodes assigned directly to the module
    CostTotals total; // its whole subtree
};

struct CostReport {
    std::vector<NodeCost> nodes;     // per node instance
    std::vector<ModuleCost> modules; // per module of the hierarchy
    CostTotals total;                // the model (the root's subtree)
};

// One node's cost from the types of its tensors.
NodeCost nodeCost(const GraphIndex& graph, const TensorTypes& types, int instance, const DimBindings& dims);
// Sums report.nodes per module of `hierarchy` again (after re-tagging moved nodes): modules and total.
void sumModules(const Hierarchy& hierarchy, CostReport& report);
// Every node, summed per module of `hierarchy` (built from `graph`).
CostReport computeCost(const GraphIndex& graph, const Hierarchy& hierarchy, const TensorTypes& types,
                       const DimBindings& dims);

} // namespace hs
