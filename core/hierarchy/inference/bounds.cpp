// Bounds: for a node without explicit evidence, the deepest module call it certainly lies inside.
// Never a sibling of its evidence: at worst vaguer than the truth (DESIGN.md, rule 2).
#include "graph/graph.h"
#include "hierarchy/inference/inference.h"

#include <algorithm>

namespace hs {
namespace {
constexpr std::size_t kSearchLimit = 48; // nodes visited per direction when looking for evidence
}

Bound Bounds::compute(int i) {
    const ModuleCalls& calls = c_.calls;
    up_.clear();
    down_.clear();
    bool upComplete, downComplete;
    nearestPlaced(i, true, up_, upComplete);
    nearestPlaced(i, false, down_, downComplete);
    Bound b;
    b.complete = upComplete && downComplete;
    int bound = -1;
    for (const auto& p : up_)
        for (const auto& c : down_) {
            int l = widenForRepeatedCalls(calls.lca(p.first, c.first), p.first, c.first);
            if (calls.deeper(bound, l) == l && l != bound) bound = l, b.a = p.second, b.b = c.second;
        }
    int owner = c_.graph.instance(i).parent;
    int ownerCall = owner >= 0 ? c_.callOf(owner) : -1;
    if (ownerCall >= 0 && calls.deeper(bound, ownerCall) == ownerCall && ownerCall != bound) {
        bound = ownerCall;
        b.why = Reason::InsideOwner;
        b.a = owner;
    }
    int order = orderBound(i);
    if (calls.deeper(bound, order) == order && order != bound) {
        bound = order;
        b.why = Reason::OrderNeighbours;
    }
    b.call = bound;
    b.neighbours = static_cast<int>(neighbourCalls_.size());
    for (const auto& p : up_)
        neighbourCalls_.push_back(p.first);
    for (const auto& c : down_)
        neighbourCalls_.push_back(c.first);
    b.neighbourCount = static_cast<int>(neighbourCalls_.size()) - b.neighbours;
    return b;
}

// Explicitly placed nodes reached from `start` through unplaced ones, upstream or downstream, as
// (call, node) pairs appended to `found`. Graph inputs and outputs count as the root (node -1).
// `complete` is false when the search was cut.
void Bounds::nearestPlaced(int start, bool upstream, std::vector<std::pair<int, int>>& found,
                           bool& complete) {
    const GraphIndex& g = c_.graph;
    complete = true;
    frontier_.assign(1, start);
    seen_.assign(1, start); // at most kSearchLimit entries: a vector beats a hash set
    while (!frontier_.empty()) {
        int n = frontier_.back();
        frontier_.pop_back();
        auto step = [&](int next) {
            if (std::find(seen_.begin(), seen_.end(), next) != seen_.end()) return;
            seen_.push_back(next);
            if (seen_.size() > kSearchLimit) {
                complete = false;
                return;
            }
            int c = c_.callOf(next);
            if (c >= 0 && c_.isExplicit(next))
                found.push_back({c, next});
            else
                frontier_.push_back(next);
        };
        if (upstream) {
            for (int t : g.inputs(n)) {
                const TensorEntry& te = g.tensor(t);
                if (te.producer >= 0)
                    step(te.producer);
                else if (te.graphInput)
                    found.push_back({0, -1});
            }
        } else {
            for (int t : g.outputs(n)) {
                const TensorEntry& te = g.tensor(t);
                if (te.graphOutput) found.push_back({0, -1});
                for (int c : g.consumers(t))
                    step(c);
            }
        }
        if (!complete) return;
    }
}

// torch marks only the innermost module of a repeated call ("block.0_1" while "block" keeps its name),
// so when either side reaches their common module through a repeated call, that module may itself
// have been called twice: the bound is only its parent.
int Bounds::widenForRepeatedCalls(int lca, int a, int b) const {
    if (lca == 0) return lca;
    for (int side : {a, b})
        for (int c = side; c != lca; c = c_.calls.call(c).parent)
            if (c_.calls.call(c).index > 0) return c_.calls.call(lca).parent;
    return lca;
}

// Execution order bound: torch writes nodes in trace order, so the nearest placed nodes before and
// after a node in its graph were traced while the same call stack was active around it.
int Bounds::orderBound(int i) const {
    if (!c_.traceOrder()) return -1; // neighbours in the file's order share no call
    const auto [first, last] = c_.graphRange(i);
    auto traced = [&](int k) { return c_.isExplicit(k) && c_.graph.inTraceOrder(k); };
    int before = -1, after = -1;
    for (int k = i - 1; k >= first && before < 0; --k)
        if (traced(k)) before = c_.callOf(k);
    for (int k = i + 1; k < last && after < 0; ++k)
        if (traced(k)) after = c_.callOf(k);
    if (before < 0 || after < 0) return 0;
    return widenForRepeatedCalls(c_.calls.lca(before, after), before, after);
}

} // namespace hs
