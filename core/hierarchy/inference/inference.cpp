#include "hierarchy/inference/inference.h"

#include "graph/graph.h"
#include "model/model.h"

#include <algorithm>

namespace hs {

InferenceContext::InferenceContext(const GraphIndex& g, Hierarchy& h, ModuleCalls& c, std::vector<int>& nc,
                                   const std::vector<int>& explicitList)
    : graph(g), hierarchy(h), calls(c), nodeCall(nc), explicitNodes(explicitList),
      placedExplicitly(g.size(), false) {
    clear_.assign(g.size(), false);
    for (int i : explicitNodes) {
        placedExplicitly[static_cast<std::size_t>(i)] = true;
        clear_[static_cast<std::size_t>(i)] = !h.assignments[static_cast<std::size_t>(i)].conflict;
    }
}

// torch writes nodes in the order it traces them, so every module call is one stretch of the main graph.
// ONNX Runtime's optimizer sorts them anew (its BERT puts the root's attention-mask ops between layer.0's
// query and value, and key before query), and so may other rewriters. Such a file is known by ONNX
// Runtime's contrib ops, or by explicitly placed nodes whose calls' stretches overlap without nesting.
bool InferenceContext::checkTraceOrder() const {
    const Model& model = graph.model();
    if (model.producerName.rfind("onnxruntime", 0) == 0) return false;
    const bool importsContribOps =
        std::any_of(model.opsets.begin(), model.opsets.end(),
                    [](const OpsetImport& o) { return o.domain == "com.microsoft"; });
    if (importsContribOps)
        for (const Node& node : model.main().nodes)
            if (node.domain == "com.microsoft" && model.findFunction(node.domain, node.opType) < 0)
                return false;
    // Each call's stretch: the first and last main-graph position of an explicitly placed node in it or
    // below it. Only what the file itself says of a node names its innermost call: a manual tag or a
    // sidecar entry may name an ancestor (a person moving an Add up to its layer).
    const int mainCount = static_cast<int>(graph.mainCount());
    std::vector<int> traced;
    for (int i : explicitNodes) {
        const Assignment& a = hierarchy.assignments[static_cast<std::size_t>(i)];
        // Nor does a root claim other than a name's: dynamo's metadata leaves the scope of ops its passes
        // made empty (the affine Mul and Add after an InstanceNormalization), and a root parameter
        // (dynamo's "val_12", a class token) may be used anywhere.
        const bool vagueRoot = a.module == 0 && a.source != Source::NameScope;
        if (i < mainCount && graph.inTraceOrder(i) && !a.conflict && a.source != Source::Manual &&
            a.source != Source::Sidecar && !vagueRoot)
            traced.push_back(i);
    }
    if (!std::is_sorted(traced.begin(), traced.end())) std::sort(traced.begin(), traced.end());
    std::vector<std::pair<int, int>> stretch(calls.size(), {-1, -1});
    auto widen = [&](int c, int first, int last) {
        auto& s = stretch[static_cast<std::size_t>(c)];
        s.first = s.first < 0 ? first : std::min(s.first, first);
        s.second = std::max(s.second, last);
    };
    for (int i : traced)
        widen(callOf(i), i, i);
    // A call is created after its parent: backwards, every child is done before its parent.
    for (std::size_t c = calls.size(); c-- > 1;)
        if (stretch[c].first >= 0)
            widen(calls.call(static_cast<int>(c)).parent, stretch[c].first, stretch[c].second);
    // In node order, the calls running at a node are its call and its ancestors: a call that must still
    // run later (its stretch goes on) but does not hold the node interleaves with it, and a call is
    // entered once, at the start of its stretch.
    std::vector<int> running, entered;
    for (int i : traced) {
        const int call = callOf(i);
        while (!running.empty() && !calls.isAncestorOrSelf(running.back(), call)) {
            if (stretch[static_cast<std::size_t>(running.back())].second > i) return false;
            running.pop_back();
        }
        const int innermost = running.empty() ? -1 : running.back();
        entered.clear();
        for (int c = call; c >= 0 && c != innermost; c = calls.call(c).parent)
            entered.push_back(c);
        for (auto it = entered.rbegin(); it != entered.rend(); ++it) {
            if (stretch[static_cast<std::size_t>(*it)].first != i) return false; // entered before, left
            running.push_back(*it);
        }
    }
    return true;
}

std::pair<int, int> InferenceContext::graphRange(int i) const {
    const NodeInstance& inst = graph.instance(i);
    const int first = i - inst.node;
    return {first, first + static_cast<int>(
                               graph.model().graphs[static_cast<std::size_t>(inst.graph)].nodes.size())};
}

std::pair<int, int> InferenceContext::orderNeighbours(int i) const {
    const auto [first, last] = graphRange(i);
    std::pair<int, int> result{-1, -1};
    for (int k = i - 1; k >= first; --k)
        if (callOf(k) >= 0) {
            result.first = k;
            break;
        }
    for (int k = i + 1; k < last; ++k)
        if (callOf(k) >= 0) {
            result.second = k;
            break;
        }
    return result;
}

namespace {

// Drives the passes over the nodes without explicit evidence. Parents (If/Loop bodies, function
// calls) come before children in node order: a body node's owner is a bound.
class Driver {
public:
    explicit Driver(InferenceContext& c) : c_(c), bounds_(c), refinement_(c), analogy_(c) {}

    void run() {
        // Constants after the other nodes: torch creates a constant at the op that uses it, so it
        // follows its consumer, which must have been refined first.
        std::vector<int> inferred, constants;
        for (std::size_t i = 0; i < c_.graph.size(); ++i)
            if (!c_.placedExplicitly[i])
                (c_.kindOf(static_cast<int>(i)) == InferenceContext::NodeKind::Constant ? constants
                                                                                        : inferred)
                    .push_back(static_cast<int>(i));
        inferred.insert(inferred.end(), constants.begin(), constants.end());
        std::vector<Bound> bound(inferred.size()); // parallel to `inferred`
        // The first pass places every node at its safe bound; the next refine with all neighbours
        // placed (later refinements let chains of helpers follow each other).
        for (std::size_t k = 0; k < inferred.size(); ++k) {
            bound[k] = bounds_.compute(inferred[k]);
            place(inferred[k], bound[k], false);
        }
        // Later passes also let a node left at its bound follow a named twin through neighbours placed
        // by inference, and repeat for those nodes (and the constants that follow them) while that
        // moves nodes: each pass proves the next link of a chain of renamed helpers. A pass refines
        // again only a node with a neighbour that moved since it was last refined (in the pass before,
        // or earlier in this one): for the others, refinement would find what it found.
        std::vector<char> movedBefore(c_.graph.size(), false), moved(c_.graph.size(), false);
        for (int pass = 0; pass < kRefinementPasses; ++pass) {
            bool any = false;
            for (std::size_t k = 0; k < inferred.size(); ++k) {
                const int node = inferred[k], before = c_.callOf(node);
                const bool settled =
                    before != bound[k].call && c_.kindOf(node) != InferenceContext::NodeKind::Constant;
                if (pass > 1 && settled) continue;
                if (pass == 0 || neighbourMoved(node, movedBefore) || neighbourMoved(node, moved))
                    place(node, bound[k], true, pass > 0);
                else if (bound[k].analogous < 0 && bound[k].call >= 0)
                    followTrustedTwin(node, bound[k]);
                moved[static_cast<std::size_t>(node)] = c_.callOf(node) != before;
                any = any || moved[static_cast<std::size_t>(node)];
            }
            if (pass > 0 && !any) break;
            movedBefore.swap(moved);
            std::fill(moved.begin(), moved.end(), false);
        }
    }

private:
    static constexpr int kRefinementPasses = 5;

    // `trustInferred`: a node no named twin placed may follow one through neighbours placed by
    // inference.
    void place(int i, Bound& b, bool refine, bool trustInferred = false) {
        Assignment& a = c_.hierarchy.assignments[static_cast<std::size_t>(i)];
        a.source = Source::Inferred;
        const int* all = bounds_.neighbourCalls(b);
        const int allCount = b.neighbourCount;
        int best = refine ? refinement_.refine(i, b) : b.call;
        if (b.call < 0) {
            placeWithoutBound(i, all, allCount, b.complete);
            return;
        }
        // Deeper still where a named twin in another instance of the bound's module says so. It depends
        // on explicit nodes and the bound only: looked for once, on the first refinement.
        if (refine && b.analogous == Bound::kNotYet)
            b.analogous = analogy_.analogousCall(i, b.call, best, b.twin);
        if (trustInferred && b.analogous < 0)
            b.analogous = analogy_.analogousCall(i, b.call, best, b.twin, true);
        const bool byAnalogy =
            refine && b.analogous >= 0 && b.analogous != best && c_.calls.isAncestorOrSelf(best, b.analogous);
        if (byAnalogy) best = b.analogous;
        const ModuleCalls& calls = c_.calls;
        bool agree = allCount > 0 && std::all_of(all, all + allCount, [&](int c) {
                         return calls.moduleOf(c) == calls.moduleOf(best);
                     });
        a.module = calls.moduleOf(best);
        a.level = Level::Medium;
        a.score = agree ? 0.75 : best == b.call ? 0.6 : 0.5;
        c_.nodeCall[static_cast<std::size_t>(i)] = best;
        a.reason = Reason{byAnalogy ? Reason::Analogy : Reason::Inferred,
                          b.why,
                          calls.moduleOf(b.call),
                          b.a,
                          b.b,
                          byAnalogy ? b.twin : -1};
    }

    // Whether a node refinement reads (a producer, a consumer, another consumer of an input, the nodes
    // just before and after it in its graph) moved.
    bool neighbourMoved(int i, const std::vector<char>& moved) const {
        const GraphIndex& g = c_.graph;
        auto hasMoved = [&](int n) { return n >= 0 && moved[static_cast<std::size_t>(n)]; };
        for (int t : g.inputs(i)) {
            if (hasMoved(g.tensor(t).producer)) return true;
            for (int c : g.consumers(t))
                if (hasMoved(c)) return true;
        }
        for (int t : g.outputs(i))
            for (int c : g.consumers(t))
                if (hasMoved(c)) return true;
        const auto [first, last] = c_.graphRange(i);
        return (i - 1 >= first && hasMoved(i - 1)) || (i + 1 < last && hasMoved(i + 1));
    }

    // A node whose refinement stands: only a twin proven through neighbours placed by inference can
    // take it deeper.
    void followTrustedTwin(int i, Bound& b) {
        const int best = c_.callOf(i);
        b.analogous = analogy_.analogousCall(i, b.call, best, b.twin, true);
        if (b.analogous >= 0) place(i, b, true, true);
    }

    void placeWithoutBound(int i, const int* all, int allCount, bool complete) {
        Assignment& a = c_.hierarchy.assignments[static_cast<std::size_t>(i)];
        if (allCount > 0 && complete) {
            int l = all[0];
            for (int k = 0; k < allCount; ++k)
                l = c_.calls.lca(l, all[k]);
            a.module = c_.calls.moduleOf(l);
            c_.nodeCall[static_cast<std::size_t>(i)] = l;
            a.level = Level::Low;
            a.score = 0.35;
            a.reason = Reason{Reason::Connected};
            return;
        }
        a.module = 0;
        a.level = Level::Low;
        a.score = 0.1;
        a.source = Source::Fallback;
        c_.nodeCall[static_cast<std::size_t>(i)] = 0;
        a.reason = Reason{Reason::Unplaced};
    }

    InferenceContext& c_;
    Bounds bounds_;
    Refinement refinement_;
    Analogy analogy_;
};

} // namespace

void inferUnplacedNodes(InferenceContext& context) {
    if (!context.traceOrder() && context.explicitNodes.size() < context.graph.size())
        context.hierarchy.notes.push_back(
            "The node order is not the order PyTorch traced the model in (ONNX Runtime's contrib ops, or "
            "modules whose nodes interleave): nodes without evidence are placed by their data neighbours "
            "only, not by the nodes beside them in the file.");
    Driver(context).run();
}

} // namespace hs
