// The region rules of hierarchy/suggestion_regions.h. Node indices follow the file's order, which ONNX
// requires to be topological: a producer comes before its consumers, so a search backwards that always
// takes the highest index next has seen every consumer of a node before it looks at the node.
#include "hierarchy/suggestion_regions.h"

#include "graph/graph.h"
#include "hierarchy/hierarchy.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <queue>

namespace hs {
namespace {

// Each backward search looks at most at this many nodes: a join whose branches started further back
// (an attention mask made at the root from a graph input) is left to the other rules.
constexpr int kSearchLimit = 2048;
constexpr std::size_t kMaxBranches = 32;
constexpr std::size_t kHeadLimit = 256;

bool isInferred(const Assignment& a) {
    return a.source == Source::Inferred || a.source == Source::Fallback;
}

// Producers that carry data: Constants and weight copies feed every module alike and say nothing.
void dataProducers(const GraphIndex& graph, int node, std::vector<int>& out) {
    out.clear();
    for (int t : graph.inputs(node)) {
        const int p = graph.tensor(t).producer;
        if (p < 0 || graph.opKind(p) == OpKind::Constant || graph.isWeightCopy(p)) continue;
        if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    }
}

int lowestCommonModule(const Hierarchy& h, int a, int b) {
    while (a != b) {
        const Module& ma = h.modules[static_cast<std::size_t>(a)];
        const Module& mb = h.modules[static_cast<std::size_t>(b)];
        if (ma.depth >= mb.depth)
            a = ma.parent;
        else
            b = mb.parent;
        if (a < 0 || b < 0) return 0;
    }
    return a;
}

} // namespace

bool isListContainer(const Hierarchy& h, int module) {
    const Module& m = h.modules[static_cast<std::size_t>(module)];
    if (m.children.empty()) return false;
    return std::all_of(m.children.begin(), m.children.end(), [&](int c) {
        const std::string& name = h.modules[static_cast<std::size_t>(c)].name;
        const auto dot = name.rfind('.');
        const std::string atom = dot == std::string::npos ? name : name.substr(dot + 1);
        return !atom.empty() &&
               std::all_of(atom.begin(), atom.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    });
}

bool readsUnplacedWeight(const GraphIndex& graph, const Hierarchy& h, int node) {
    if (!isInferred(h.assignments[static_cast<std::size_t>(node)])) return false;
    for (int t : graph.inputs(node)) {
        const TensorEntry& e = graph.tensor(t);
        const Initializer* init = e.init;
        if (!init && e.producer >= 0 && graph.isWeightCopy(e.producer))
            init = graph.tensor(graph.inputs(e.producer)[0]).init;
        if (!init || init->dims.size() < 2) continue;
        std::int64_t elements = 1;
        for (std::int64_t d : init->dims)
            elements *= d > 0 ? d : 1;
        if (elements >= 16) return true;
    }
    return false;
}

namespace {

bool strictlyBelow(const Hierarchy& h, int module, int home) {
    return module != home && module >= 0 && h.isAncestorOrSelf(home, module);
}

class RegionSearch {
public:
    explicit RegionSearch(const GraphIndex& graph)
        : graph_(graph), stamp_(graph.size(), 0), mask_(graph.size(), 0), queued_(graph.size(), 0),
          between_(graph.size(), 0) {}

    // The nodes on the branches that join at `node`, from the tensor they forked from to `node`; false
    // when the node joins no branches that fork within reach.
    bool branchesJoiningAt(int node, std::vector<int>& between) {
        dataProducers(graph_, node, producers_);
        if (producers_.size() < 2 || producers_.size() > kMaxBranches) return false;
        ++mark_;
        const std::uint32_t full =
            producers_.size() == 32 ? ~0u : ((1u << static_cast<unsigned>(producers_.size())) - 1u);
        std::priority_queue<int> queue;
        int openCount = 0;        // queued nodes not yet reached by every branch
        int lowestFork = INT_MAX; // the earliest node every branch reached
        auto reach = [&](int n, std::uint32_t bits) {
            touch(n);
            const std::uint32_t before = mask_[static_cast<std::size_t>(n)];
            mask_[static_cast<std::size_t>(n)] |= bits;
            const bool nowFull = mask_[static_cast<std::size_t>(n)] == full;
            if (nowFull) lowestFork = std::min(lowestFork, n);
            if (!queued_[static_cast<std::size_t>(n)]) {
                queued_[static_cast<std::size_t>(n)] = 1;
                queue.push(n);
                if (!nowFull) ++openCount;
            } else if (before != full && nowFull) {
                --openCount;
            }
        };
        for (std::size_t k = 0; k < producers_.size(); ++k)
            reach(producers_[k], 1u << k);
        int steps = 0;
        popped_.clear();
        while (!queue.empty() && openCount > 0) {
            const int n = queue.top();
            // Everything left started before every fork found: it is not on these branches.
            if (lowestFork != INT_MAX && n < lowestFork) break;
            queue.pop();
            if (++steps > kSearchLimit) return false;
            if (mask_[static_cast<std::size_t>(n)] == full) continue;
            --openCount;
            popped_.push_back(n);
            dataProducers(graph_, n, inputs_);
            for (int p : inputs_)
                reach(p, mask_[static_cast<std::size_t>(n)]);
        }
        if (lowestFork == INT_MAX) return false;
        // On the branches: what descends from a fork (a node every branch reached) through popped nodes.
        between.clear();
        std::sort(popped_.begin(), popped_.end());
        for (int n : popped_) {
            dataProducers(graph_, n, inputs_);
            const bool onBranch = std::any_of(inputs_.begin(), inputs_.end(), [&](int p) {
                return stamp_[static_cast<std::size_t>(p)] == mark_ &&
                       (mask_[static_cast<std::size_t>(p)] == full || between_[static_cast<std::size_t>(p)]);
            });
            between_[static_cast<std::size_t>(n)] = onBranch;
            if (onBranch) between.push_back(n);
        }
        return !between.empty();
    }

private:
    void touch(int n) {
        if (stamp_[static_cast<std::size_t>(n)] == mark_) return;
        stamp_[static_cast<std::size_t>(n)] = mark_;
        mask_[static_cast<std::size_t>(n)] = 0;
        queued_[static_cast<std::size_t>(n)] = 0;
        between_[static_cast<std::size_t>(n)] = 0;
    }

    const GraphIndex& graph_;
    std::vector<int> stamp_;
    std::vector<std::uint32_t> mask_;
    std::vector<char> queued_, between_;
    std::vector<int> producers_, inputs_, popped_;
    int mark_ = 0;
};

// A node that evidence placed (not inferred), and that does work (not a Constant).
bool isPlacedOp(const GraphIndex& graph, const Hierarchy& h, int n) {
    return !isInferred(h.assignments[static_cast<std::size_t>(n)]) && graph.opKind(n) != OpKind::Constant;
}

// The lowest module holding every placed node of `nodes`; -1 when none is placed.
int placedCommonModule(const GraphIndex& graph, const Hierarchy& h, const std::vector<int>& nodes) {
    int common = -1;
    for (int n : nodes) {
        if (!isPlacedOp(graph, h, n)) continue;
        const int m = h.assignments[static_cast<std::size_t>(n)].module;
        common = common < 0 ? m : lowestCommonModule(h, common, m);
    }
    return common;
}

bool hasDeeperModules(const Hierarchy& h, int home) {
    return !h.modules[static_cast<std::size_t>(home)].children.empty();
}

// The child of `ancestor` that holds `module` (`module` itself when it is a child; -1 when it is `ancestor`).
int childToward(const Hierarchy& h, int ancestor, int module) {
    while (module >= 0 && h.modules[static_cast<std::size_t>(module)].parent != ancestor)
        module = module == ancestor ? -1 : h.modules[static_cast<std::size_t>(module)].parent;
    return module;
}

// Placed nodes of `nodes` (Constants aside) lie in two or more different children of `common`.
bool placedInTwoChildren(const GraphIndex& graph, const Hierarchy& h, int common,
                         const std::vector<int>& nodes) {
    int firstChild = -1;
    for (int n : nodes) {
        if (!isPlacedOp(graph, h, n)) continue;
        const int child = childToward(h, common, h.assignments[static_cast<std::size_t>(n)].module);
        if (child < 0) continue;
        if (firstChild < 0)
            firstChild = child;
        else if (child != firstChild)
            return true;
    }
    return false;
}

// Branches that fork outside the node's module: one of them is an argument its caller made (an attention
// mask added to the scores, the residual input added to dense's output). Inside, the node combines what
// its module's calls returned: when two different sub-calls of a module below its placement feed it
// (query and key of attention.self), it lies in that module; when one call's output meets the argument,
// the code is its placement's own (BertSelfOutput's residual Add after dense).
int joinWithArgument(const GraphIndex& graph, const Hierarchy& h, int home, const std::vector<int>& between) {
    std::vector<int> inside;
    for (int n : between)
        if (isPlacedOp(graph, h, n) &&
            h.isAncestorOrSelf(home, h.assignments[static_cast<std::size_t>(n)].module))
            inside.push_back(n);
    const int common = placedCommonModule(graph, h, inside);
    if (common < 0 || !strictlyBelow(h, common, home) || isListContainer(h, common))
        return RegionSuggestions::kNone;
    return placedInTwoChildren(graph, h, common, inside) ? common : RegionSuggestions::kNone;
}

// The branches show `common` at work: placed nodes of two or more of its children meet (query and key of
// attention.self, fc1 and fc2 of a squeeze-excitation), or vague code on them feeds its placed nodes (a
// Conv1D's reshape of its input before its Gemm).
bool combinesOrWraps(const GraphIndex& graph, const Hierarchy& h, int common,
                     const std::vector<int>& between) {
    if (placedInTwoChildren(graph, h, common, between)) return true;
    for (int n : between) {
        const Assignment& b = h.assignments[static_cast<std::size_t>(n)];
        if (!isInferred(b) || h.isAncestorOrSelf(common, b.module)) continue; // placed, or common's own work
        for (int t : graph.outputs(n))
            for (int c : graph.consumers(t))
                if (isPlacedOp(graph, h, c) &&
                    h.isAncestorOrSelf(common, h.assignments[static_cast<std::size_t>(c)].module))
                    return true;
    }
    return false;
}

// Rule 1 for every vague node that joins branches; what it finds also goes, as "on joined branches", to
// the vague nodes of those branches (the deepest such module wins, a node's own join first).
void applyJoins(const GraphIndex& graph, const Hierarchy& h, RegionSuggestions& r) {
    RegionSearch search(graph);
    std::vector<int> between;
    std::vector<int> fromBranches(graph.size(), -1);
    for (std::size_t i = 0; i < graph.size(); ++i) {
        const Assignment& a = h.assignments[i];
        if (!isInferred(a) || !hasDeeperModules(h, a.module)) continue;
        if (!search.branchesJoiningAt(static_cast<int>(i), between)) continue;
        const int common = placedCommonModule(graph, h, between);
        if (common < 0) continue;
        // A weight no parameter name places (a Conv folded with its BatchNorm) placed above that module
        // hides a module on the branches: the placed nodes no longer bound where the branches run.
        if (std::any_of(between.begin(), between.end(), [&](int n) {
                return readsUnplacedWeight(graph, h, n) &&
                       !h.isAncestorOrSelf(common, h.assignments[static_cast<std::size_t>(n)].module);
            }))
            continue;
        // One module's own work read back with a shape taken from its input (DistilBERT's view of
        // q_lin's output) is the caller's code as often as the module's: not evidence.
        if (strictlyBelow(h, common, a.module) && !combinesOrWraps(graph, h, common, between)) continue;
        if (strictlyBelow(h, common, a.module))
            r.module[i] = isListContainer(h, common) ? RegionSuggestions::kNone : common;
        else if (common == a.module)
            r.module[i] = RegionSuggestions::kNone; // its own module's code, joining what that module ran
        else
            r.module[i] = joinWithArgument(graph, h, a.module, between);
        r.why[i] = 0;
        if (isListContainer(h, common)) continue;
        for (int n : between) {
            const Assignment& b = h.assignments[static_cast<std::size_t>(n)];
            int& best = fromBranches[static_cast<std::size_t>(n)];
            if (isInferred(b) && strictlyBelow(h, common, b.module) &&
                (best < 0 || h.modules[static_cast<std::size_t>(common)].depth >
                                 h.modules[static_cast<std::size_t>(best)].depth))
                best = common;
        }
    }
    for (std::size_t i = 0; i < graph.size(); ++i)
        if (r.module[i] == RegionSuggestions::kUndecided && fromBranches[i] >= 0) {
            r.module[i] = fromBranches[i];
            r.why[i] = 1;
        }
}

// What a decided node tells a chain next to it: the module it lies in or is suggested for; -1 when it
// says nothing yet (vague and undecided).
int decidedModule(const Hierarchy& h, const RegionSuggestions& r, int n) {
    const Assignment& a = h.assignments[static_cast<std::size_t>(n)];
    if (!isInferred(a)) return a.module;
    if (r.module[static_cast<std::size_t>(n)] >= 0) return r.module[static_cast<std::size_t>(n)];
    if (r.module[static_cast<std::size_t>(n)] == RegionSuggestions::kNone) return a.module;
    return -1;
}

// `tensor` is the indices of the Gather `node` (an embedding lookup's input). An nn.Embedding's forward
// is the lookup alone: the code computing its indices (position or token-type ids) is its caller's.
bool isLookupIndex(const GraphIndex& graph, int node, int tensor) {
    if (graph.node(node).opType != "Gather") return false;
    const IndexSpan in = graph.inputs(node);
    return in.size() == 2 && in[1] == tensor && in[0] != tensor;
}

// Where a head chain's data comes from, walking back through vague undecided code of the same placement:
// with `needsSource`, it must come from something decided (a module's argument is computed; code that
// starts from the graph inputs alone, like BERT's extended attention mask feeding every layer, is its
// caller's), and nothing decided may lie below the placement
// outside the module fed (the attention context reshaped for attention.output.dense comes from
// attention.self's math: it is attention.self's tail, not dense's head).
bool sourcesAgree(const GraphIndex& graph, const Hierarchy& h, const RegionSuggestions& r, int home, int fed,
                  std::vector<int> walk, std::vector<int>& seen, int mark, bool needsSource) {
    std::vector<int> producers;
    bool anySource = false;
    for (std::size_t k = 0; k < walk.size(); ++k) {
        if (readsUnplacedWeight(graph, h, walk[k])) return false; // a hidden module's work upstream
        dataProducers(graph, walk[k], producers);
        for (int p : producers) {
            if (seen[static_cast<std::size_t>(p)] == mark) continue;
            seen[static_cast<std::size_t>(p)] = mark;
            int m = decidedModule(h, r, p);
            const int pHome = h.assignments[static_cast<std::size_t>(p)].module;
            if (m < 0 && pHome == home && walk.size() < kHeadLimit) {
                walk.push_back(p);
                continue;
            }
            if (m < 0) m = pHome;
            anySource = true;
            if (strictlyBelow(h, m, home) && !h.isAncestorOrSelf(fed, m)) return false;
        }
    }
    return anySource || !needsSource;
}

// Rule 2, from the last node back: a vague chain whose consumers all lie in one module below its
// placement, and whose inputs come from no other module below it, is that module's head.
void applyHeads(const GraphIndex& graph, const Hierarchy& h, RegionSuggestions& r) {
    std::vector<int> stamp(graph.size(), 0), inChain(graph.size(), 0), chain, endNodes;
    int mark = 0;
    for (std::size_t i = graph.size(); i-- > 0;) {
        const Assignment& a = h.assignments[i];
        if (!isInferred(a) || r.module[i] != RegionSuggestions::kUndecided ||
            !hasDeeperModules(h, a.module) || graph.opKind(static_cast<int>(i)) == OpKind::Constant ||
            graph.isWeightCopy(static_cast<int>(i)))
            continue; // Constants and weight copies follow their consumers (applyConstants)
        const int home = a.module;
        ++mark;
        chain.assign(1, static_cast<int>(i));
        stamp[i] = mark;
        inChain[i] = mark;
        int ends = -1;
        bool usable = true, feedsData = false;
        endNodes.clear();
        for (std::size_t k = 0; k < chain.size() && usable; ++k)
            for (int t : graph.outputs(chain[k])) {
                if (graph.tensor(t).graphOutput) usable = false;
                for (int c : graph.consumers(t)) {
                    if (stamp[static_cast<std::size_t>(c)] == mark) continue;
                    stamp[static_cast<std::size_t>(c)] = mark;
                    const int m = decidedModule(h, r, c);
                    if (m < 0 && h.assignments[static_cast<std::size_t>(c)].module == home &&
                        chain.size() < kHeadLimit) {
                        chain.push_back(c);
                        inChain[static_cast<std::size_t>(c)] = mark;
                        continue;
                    }
                    int end = m >= 0 ? m : h.assignments[static_cast<std::size_t>(c)].module;
                    // Indices for an embedding lookup are computed by its caller: the lookup's parent,
                    // the nearest (BertEmbeddings makes position_ids for position_embeddings, GPT2Model
                    // for wpe).
                    const bool lookupIndex = isLookupIndex(graph, c, t);
                    if (lookupIndex && end > 0) end = h.modules[static_cast<std::size_t>(end)].parent;
                    ends = ends < 0 ? end : lowestCommonModule(h, ends, end);
                    endNodes.push_back(c);
                    feedsData = feedsData || !lookupIndex;
                }
            }
        if (!usable || ends < 0 || !strictlyBelow(h, ends, home) || isListContainer(h, ends)) continue;
        // Code that starts from the graph inputs alone is the fed module's when that module itself (not
        // only modules below it) explicitly runs what it feeds: BERT's position-id arithmetic slicing
        // the embeddings' position_ids buffer; or when it computes a lookup's indices.
        const bool fedItself = std::any_of(endNodes.begin(), endNodes.end(), [&](int c) {
            const Assignment& ca = h.assignments[static_cast<std::size_t>(c)];
            return !isInferred(ca) && ca.module == ends;
        });
        if (!sourcesAgree(graph, h, r, home, ends, chain, inChain, mark, feedsData && !fedItself)) continue;
        r.module[i] = ends;
        r.why[i] = 2;
    }
}

// A Constant goes where all its consumers go (torch writes one per use, next to the code that uses it);
// so does a weight copy (an Identity of an initializer, written for a weight used in several places).
void applyConstants(const GraphIndex& graph, const Hierarchy& h, RegionSuggestions& r) {
    for (std::size_t i = 0; i < graph.size(); ++i) {
        const Assignment& a = h.assignments[i];
        const bool constantOrCopy =
            graph.opKind(static_cast<int>(i)) == OpKind::Constant || graph.isWeightCopy(static_cast<int>(i));
        if (!constantOrCopy || !isInferred(a) || r.module[i] != RegionSuggestions::kUndecided) continue;
        int common = -1;
        bool allDecided = true;
        for (int t : graph.outputs(static_cast<int>(i)))
            for (int c : graph.consumers(t)) {
                const int m = decidedModule(h, r, c);
                if (m < 0) allDecided = false;
                common = m < 0 ? common : (common < 0 ? m : lowestCommonModule(h, common, m));
            }
        if (allDecided && common >= 0 && strictlyBelow(h, common, a.module)) {
            r.module[i] = common;
            r.why[i] = 2;
        }
    }
}

} // namespace

RegionSuggestions suggestFromRegions(const GraphIndex& graph, const Hierarchy& hierarchy) {
    RegionSuggestions r;
    r.module.assign(graph.size(), RegionSuggestions::kUndecided);
    r.why.assign(graph.size(), 0);
    applyJoins(graph, hierarchy, r);
    applyHeads(graph, hierarchy, r);
    applyConstants(graph, hierarchy, r);
    return r;
}

} // namespace hs
