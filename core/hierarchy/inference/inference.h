#pragma once
// Inference for nodes without explicit evidence (internal to hierarchy inference). Three passes share
// one context: bounds (hierarchy/inference/bounds.cpp: modules a node certainly lies inside), refinement
// (hierarchy/inference/refine.cpp: a deeper module its neighbours and parameters point to, under guards) and
// analogy (hierarchy/inference/analogy.cpp: a named twin in another instance of a repeated block).
// inference.cpp drives them.
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "hierarchy/module_calls.h"

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace hs {

// What inference reads and writes: the graph, the module calls, and each node's call.
class InferenceContext {
public:
    InferenceContext(const GraphIndex& graph, Hierarchy& hierarchy, ModuleCalls& calls,
                     std::vector<int>& nodeCall, const std::vector<int>& explicitNodes);

    const GraphIndex& graph;
    Hierarchy& hierarchy;
    ModuleCalls& calls;
    std::vector<int>& nodeCall;            // per node: its call, -1 while unplaced
    const std::vector<int>& explicitNodes; // nodes placed by explicit evidence
    std::vector<bool> placedExplicitly;    // per node

    int callOf(int node) const { return nodeCall[static_cast<std::size_t>(node)]; }
    bool isExplicit(int node) const { return placedExplicitly[static_cast<std::size_t>(node)]; }
    // Explicitly placed and not in conflict: a node whose position can be trusted.
    bool namedAndClear(int node) const { return node >= 0 && clear_[static_cast<std::size_t>(node)]; }

    // Op types inference asks about, read once per node rather than compared as strings each time.
    enum class NodeKind : char { Constant, Identity, Other };
    NodeKind kindOf(int node) const {
        switch (graph.opKind(node)) {
        case OpKind::Constant:
            return NodeKind::Constant;
        case OpKind::Identity:
            return NodeKind::Identity;
        default:
            return NodeKind::Other;
        }
    }
    // An initializer, or torch's Identity copy of one (it deduplicates equal weights and names the
    // copy after the parameter it stands for: "encoder.layer.1.output.LayerNorm.bias").
    bool isParameter(const TensorEntry& te) const {
        return te.initializer || (te.producer >= 0 && isWeightCopy(te.producer));
    }
    bool isConstantValue(const TensorEntry& te) const {
        return isParameter(te) || (te.producer >= 0 && kindOf(te.producer) == NodeKind::Constant);
    }
    bool isWeightCopy(int node) const { return graph.isWeightCopy(node); }
    // Whether the node order is the exporter's trace order, in which every module call is one stretch
    // of nodes (InferenceContext::checkTraceOrder).
    bool traceOrder() const {
        if (traceOrder_ < 0) traceOrder_ = checkTraceOrder() ? 1 : 0; // on first use: inference may need none
        return traceOrder_ == 1;
    }
    // The instances of the node's graph (it and its siblings, in graph order): [first, last).
    std::pair<int, int> graphRange(int node) const;
    // The nearest placed nodes before and after the node in its graph (-1 where there is none).
    std::pair<int, int> orderNeighbours(int node) const;

private:
    bool checkTraceOrder() const;

    std::vector<bool> clear_; // per node: namedAndClear
    mutable int traceOrder_ = -1;
};

// What the bounds pass learns of a node, kept for the refinement passes: it depends on explicit nodes
// only.
struct Bound {
    static constexpr int kNotYet = -2;
    int call = -1;                      // deepest module the node certainly lies inside, -1 when none
    Reason::Why why = Reason::DataPath; // how we know, with the nodes that show it
    int a = -1, b = -1;
    int neighbours = 0, neighbourCount = 0; // calls of the nearest explicitly placed nodes up and down,
                                            // in Bounds::neighbourCalls
    bool complete = true;                   // the search for them was not cut short
    int ownerOfParameter = kNotYet;         // Refinement::parameterOwnerCall, foldedWeightOwnerCall
    int ownerOfBias = kNotYet;
    int analogous = kNotYet; // Analogy::analogousCall, with the twin deciding it
    int twin = -1;
};

// Bounds: modules a node certainly lies inside. Each (placed producer, placed consumer) pair is one
// (data that leaves one call of a module cannot come back into that same call), the owner of a body is
// one, and so is the common call of its neighbours in execution order.
class Bounds {
public:
    explicit Bounds(const InferenceContext& context) : c_(context) {}
    Bound compute(int node);
    const int* neighbourCalls(const Bound& b) const { return neighbourCalls_.data() + b.neighbours; }

private:
    void nearestPlaced(int start, bool upstream, std::vector<std::pair<int, int>>& found, bool& complete);
    int widenForRepeatedCalls(int lca, int a, int b) const;
    int orderBound(int node) const;

    const InferenceContext& c_;
    std::vector<int> neighbourCalls_; // Bound::neighbours of every node, one after another
    std::vector<int> frontier_, seen_;
    std::vector<std::pair<int, int>> up_, down_;
};

// Analogy with repeated module instances: a node whose bound is one instance (encoder.layer.1) goes
// where a named node of the same shape, its twin, sits in another instance.
class Analogy {
public:
    explicit Analogy(const InferenceContext& context) : c_(context) {}
    // The call below `best` where the node sits by analogy with a named twin in another instance of
    // the bound's module pattern, or -1; `twin` receives the twin deciding it. With `trustInferred`,
    // neighbours placed by inference count as well as named ones (the twin itself must be named).
    int analogousCall(int node, int bound, int best, int& twin, bool trustInferred = false);

private:
    bool known(int node) const;
    bool hasNamedNeighbourBelow(int node, int call) const;
    const std::vector<int>& instancesLike(int call);
    std::vector<int> nearestInstances(const std::vector<int>& instances, int call) const;
    std::vector<int> explicitNodesUnder(int call);
    int sameCallBelow(int base, int call, int instance) const;
    std::string relativePosition(int call, int base) const;
    std::string shapeSignature(int node) const;
    std::string consumerKey(int consumer, int tensor) const;
    struct Position {
        std::string rel; // relativePosition(); "" for a neighbour whose position is unknown
        bool inferred = false;
    };
    bool neighboursAgree(int x, int bx, int y, int by, std::vector<std::string>& checked) const;
    bool isInferred(int node) const;
    static bool vaguerThan(const Position& a, const Position& b);

    const InferenceContext& c_;
    bool trustInferred_ = false;
    // Built on first use: calls by scope pattern and depth, calls' children and explicit nodes per call
    // as flat lists with offsets.
    std::vector<std::vector<int>> instancesOfPattern_;
    std::vector<int> patternIdOfCall_;
    std::vector<int> childCallStart_, childCalls_, explicitStart_, explicitByCall_;
};

// Refinement: within its bound, a node may go into the module of a neighbour (or a parameter's owner)
// when its tensors are already there.
class Refinement {
public:
    explicit Refinement(const InferenceContext& context) : c_(context) {}
    // The module call, at or below `bound`, that keeps the fewest tensors crossing module boundaries.
    int refine(int node, Bound& bound);

private:
    int parameterOwnerCall(int node) const;
    int foldedWeightOwnerCall(int node) const;
    int soleConsumer(int node) const;
    bool inputsFromFoldedWeightsOf(int node, int call) const;
    bool runsOpType(int module, const std::string& opType) const;
    int patternOf(int module, bool add) const;
    int activationInputs(int node) const;
    int crossings(int node, int call, bool inputsOnly = false) const;

    const InferenceContext& c_;
    std::vector<int> candidates_, producers_, consumers_;
    mutable std::vector<int> holders_; // crossings(): calls holding one tensor
    static constexpr int kPatternUnknown = -2;
    mutable std::vector<int> patternOfModule_;
    mutable std::unordered_map<std::string, int> patternIds_;
    mutable std::vector<std::unordered_set<std::string>> opTypesOfPattern_;
};

// Places every node that explicit evidence did not: bounds first, then two refinement passes.
void inferUnplacedNodes(InferenceContext& context);

} // namespace hs
