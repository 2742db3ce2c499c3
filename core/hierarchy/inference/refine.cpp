// Refinement: a node inferred to lie inside its bound may go deeper, into the module of a neighbour or
// of a parameter it uses, only under guards that each exist because a test found a wrong placement
// without them (docs/ARCHITECTURE.md, "Hierarchy inference").
#include "graph/graph.h"
#include "hierarchy/inference/inference.h"
#include "hierarchy/parameters.h"
#include "hierarchy/scope_names.h"

#include <algorithm>

namespace hs {
namespace {

// A name the exporter made up for a folded constant: "onnx::MatMul_12" (torch >= 1.11), "302" (older).
bool isGeneratedName(std::string_view name) {
    return name.substr(0, 6) == "onnx::" ||
           (!name.empty() && name.find_first_not_of("0123456789") == std::string_view::npos);
}

} // namespace

int Refinement::refine(int i, Bound& b) {
    const GraphIndex& g = c_.graph;
    const ModuleCalls& calls = c_.calls;
    const int bound = b.call;
    // Guesses deeper than the bound come only from nodes that are both its data neighbours and its
    // neighbours in execution order (torch emits an op's helpers right before it).
    std::vector<int>& candidates = candidates_;
    candidates.clear();
    int nextConsumerCall = -1;
    if (b.ownerOfParameter == Bound::kNotYet) {
        // They depend on names only: looked up once, on the first refinement.
        b.ownerOfParameter = parameterOwnerCall(i);
        b.ownerOfBias = foldedWeightOwnerCall(i);
    }
    const int ownerOfParameter = b.ownerOfParameter;
    if (ownerOfParameter >= 0) candidates.push_back(ownerOfParameter);
    const int ownerOfBias = b.ownerOfBias;
    if (ownerOfBias >= 0) candidates.push_back(ownerOfBias);
    // Where another user of its input sits (x.size() beside x.view() in the same module): taken only at
    // no crossing cost, like any refinement.
    for (int t : g.inputs(i))
        if (!c_.isConstantValue(g.tensor(t)))
            for (int c : g.consumers(t))
                if (c != i && c_.isExplicit(c)) candidates.push_back(c_.callOf(c));
    g.producersOf(i, producers_);
    g.consumersOf(i, consumers_);
    auto among = [](const std::vector<int>& nodes, int k) {
        return std::find(nodes.begin(), nodes.end(), k) != nodes.end();
    };
    auto [before, after] = c_.orderNeighbours(i);
    for (int k : {before, after}) {
        if (k < 0) continue;
        const bool consumer = among(consumers_, k);
        if (consumer || among(producers_, k)) candidates.push_back(c_.callOf(k));
        if (k > i && consumer) nextConsumerCall = c_.callOf(k);
    }
    if (bound < 0) return -1;
    // Within the bound, the module of a neighbour (or one of its ancestors below the bound) that keeps
    // the fewest tensors crossing module boundaries; the bound itself on a tie.
    int best = bound, bestCost = crossings(i, bound);
    for (int c : candidates) {
        for (int k = c; k != bound && k > 0; k = calls.call(k).parent) {
            if (!calls.isAncestorOrSelf(bound, k)) break;
            // Only into a module known to run this kind of op: a one-op module whose op was renamed has
            // vanished from the tree, and its op must not fall into a neighbour. (Constants are exempt:
            // torch creates them at the op that uses them.) Parameters name their module, so those
            // candidates need no such proof.
            // A module with submodules has not vanished, whatever ops are known of it.
            bool namedByParameter = k == ownerOfParameter || k == ownerOfBias;
            bool hasSubmodules =
                !c_.hierarchy.modules[static_cast<std::size_t>(calls.moduleOf(k))].children.empty();
            if (c_.kindOf(i) != InferenceContext::NodeKind::Constant && !namedByParameter && !hasSubmodules &&
                !runsOpType(calls.moduleOf(k), g.node(i).opType))
                continue;
            // ... and only where its tensors already are: placing a node where its inputs would have to
            // be passed in is how a renamed last op of one block lands in the next, and placing it where
            // its result must be passed out is how "x = block(x); relu(x)" lands in block. A node using
            // a parameter of that module, or combining two or more tensors that are all there
            // (x * sigmoid(x) of a SiLU), only needs its inputs there.
            int cost = crossings(i, k);
            bool inputsThere = crossings(i, k, true) == 0;
            bool combinesThere = inputsThere && activationInputs(i) >= 2;
            bool feedsItsBias = k == ownerOfBias;
            bool biasOfItsMatMul = k == ownerOfParameter && inputsFromFoldedWeightsOf(i, k);
            if (cost > 0 && !(inputsThere && (k == ownerOfParameter || combinesThere)) && !feedsItsBias &&
                !biasOfItsMatMul)
                continue;
            // On a tie, the module of the consumer traced right after it (torch emits in execution
            // order, an op right before the next op of its module).
            if (feedsItsBias || biasOfItsMatMul || cost < bestCost ||
                (cost == bestCost && (k == nextConsumerCall || k == ownerOfParameter || combinesThere))) {
                best = k;
                bestCost = cost;
            }
        }
    }
    return best;
}

// The module owning a parameter this node alone consumes ("...key.bias" -> "...key"), or -1.
int Refinement::parameterOwnerCall(int i) const {
    for (int t : c_.graph.inputs(i)) {
        const TensorEntry& te = c_.graph.tensor(t);
        if (!c_.isParameter(te) || c_.graph.consumers(t).size() != 1)
            continue; // shared or tied weights prove nothing
        auto dot = te.name.rfind('.');
        if (dot == std::string::npos) continue;
        const std::string_view owner =
            ownerWithoutOpType(std::string_view(te.name).substr(0, dot), c_.graph.node(i).opType);
        if (int call = c_.calls.firstCallOf(owner); call >= 0) return call;
    }
    return -1;
}

// torch exports a Linear as MatMul with its weight pre-transposed and folded into an initializer named
// "onnx::MatMul_<n>" (a number before torch 1.11), then Add with "<module>.bias": such a MatMul, feeding only
// that Add, belongs to the Add's module.
// Only a matrix product's weight operand counts: a Slice's "300" (its `starts`, a number before torch
// 1.11) or an Unsqueeze's "onnx::Unsqueeze_82" are generated initializers too, and DistilBERT's
// position_ids Slice, feeding the position embedding's Gather alone, went into that embedding.
int Refinement::foldedWeightOwnerCall(int i) const {
    bool folded = false;
    for (int t : c_.graph.inputs(i)) {
        const TensorEntry& te = c_.graph.tensor(t);
        if (te.initializer && c_.graph.consumers(t).size() == 1 && isGeneratedName(te.name)) folded = true;
    }
    if (!folded) return -1;
    const std::string& opType = c_.graph.node(i).opType;
    if (opType != "MatMul" && opType != "Gemm") return -1;
    int consumer = soleConsumer(i);
    if (consumer < 0) return -1;
    for (int t : c_.graph.outputs(i))
        if (c_.graph.tensor(t).graphOutput) return -1;
    // It follows the Add where evidence placed that (the bias's owner or the ancestor that ran it:
    // nn.MultiheadAttention adds out_proj's bias from its own forward).
    if (c_.isExplicit(consumer)) return c_.callOf(consumer);
    return parameterOwnerCall(consumer);
}

// The one node consuming node i's results, or -1 when none or several do.
int Refinement::soleConsumer(int i) const {
    int only = -1;
    for (int t : c_.graph.outputs(i))
        for (int c : c_.graph.consumers(t)) {
            if (c == i || c == only) continue;
            if (only >= 0) return -1;
            only = c;
        }
    return only;
}

// Every computed input of node i comes from a MatMul on a folded weight of module `call`.
bool Refinement::inputsFromFoldedWeightsOf(int i, int call) const {
    bool any = false;
    for (int t : c_.graph.inputs(i)) {
        const TensorEntry& te = c_.graph.tensor(t);
        if (te.initializer) continue;
        if (te.producer < 0 || foldedWeightOwnerCall(te.producer) != call) return false;
        any = true;
    }
    return any;
}

bool Refinement::runsOpType(int module, const std::string& opType) const {
    if (patternOfModule_.empty()) {
        patternOfModule_.assign(c_.hierarchy.modules.size(), kPatternUnknown);
        for (int n : c_.explicitNodes) {
            int p = patternOf(c_.hierarchy.assignments[static_cast<std::size_t>(n)].module, true);
            opTypesOfPattern_[static_cast<std::size_t>(p)].insert(c_.graph.node(n).opType);
        }
    }
    int p = patternOf(module, false);
    return p >= 0 && opTypesOfPattern_[static_cast<std::size_t>(p)].count(opType) > 0;
}

// Index of the module's scope pattern among those of explicitly placed nodes (-1: none of them has
// it), created when `add`. Cached per module: patterns are strings.
int Refinement::patternOf(int module, bool add) const {
    int& cached = patternOfModule_[static_cast<std::size_t>(module)];
    if (cached != kPatternUnknown && (cached >= 0 || !add)) return cached;
    std::string pattern = scopePattern(c_.hierarchy.modules[static_cast<std::size_t>(module)].scope);
    auto it = patternIds_.find(pattern);
    if (it == patternIds_.end()) {
        if (!add) return cached = -1;
        it = patternIds_.emplace(std::move(pattern), static_cast<int>(opTypesOfPattern_.size())).first;
        opTypesOfPattern_.emplace_back();
    }
    return cached = it->second;
}

int Refinement::activationInputs(int i) const {
    int n = 0;
    for (int t : c_.graph.inputs(i))
        if (!c_.isConstantValue(c_.graph.tensor(t))) ++n;
    return n;
}

// How many module boundaries node i's tensors would cross if it lived in `call`: per tensor, the
// distance in the module tree to the modules it already passes through (from its producer, or the
// graph, to each placed consumer: every module on those paths holds it). Modules do not pass tensors
// in and out without need, so the cheapest placement is the likeliest. "x.size()" beside
// "embeddings.word_embeddings(x)" costs nothing in "embeddings": x passes through it anyway.
int Refinement::crossings(int i, int call, bool inputsOnly) const {
    const GraphIndex& g = c_.graph;
    const ModuleCalls& calls = c_.calls;
    auto nearest = [&](int t, bool input) {
        const TensorEntry& te = g.tensor(t);
        holders_.clear();
        auto consider = [&](int node) {
            int c = node < 0 ? 0 : c_.callOf(node);
            if (c >= 0 && node != i) holders_.push_back(c);
        };
        if (input) {
            if (te.producer >= 0)
                consider(te.producer);
            else if (te.graphInput)
                consider(-1);
        } else if (te.graphOutput) {
            consider(-1);
        }
        for (int c : g.consumers(t))
            consider(c);
        if (holders_.empty()) return 0;
        // The paths between the holders meet at their common call; below it, a call is on them when it
        // is an ancestor of one holder.
        int top = holders_.front();
        for (int h : holders_)
            top = calls.lca(top, h);
        if (!calls.isAncestorOrSelf(top, call)) return calls.distance(call, top);
        int best = -1;
        for (int h : holders_) {
            const int d = calls.call(call).depth - calls.call(calls.lca(call, h)).depth;
            if (best < 0 || d < best) best = d;
        }
        return best;
    };
    int cost = 0;
    for (int t : g.inputs(i)) // weights and constants go wherever their user is
        if (!c_.isConstantValue(g.tensor(t))) cost += nearest(t, true);
    if (inputsOnly) return cost;
    for (int t : g.outputs(i))
        cost += nearest(t, false);
    return cost;
}

} // namespace hs
