// Where a vague node probably belongs: the modules below its placement on the way to the placed nodes
// its group of inferred neighbours reads and feeds (the attention math between attention.self's
// projections and attention.output.dense, placed in attention, points to attention.self), or the owner of
// a parameter it uses that names show no call of. Suggestions never move a node (DESIGN rule 2).
#include "hierarchy/suggestions.h"

#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "hierarchy/parameters.h"
#include "hierarchy/suggestion_regions.h"
#include "sidecar/sidecar.h"

#include <algorithm>
#include <utility>

namespace hs {
namespace {

bool isInferred(const Assignment& a) {
    return a.source == Source::Inferred || a.source == Source::Fallback;
}

// The group of `start`: inferred nodes of its module connected to it through each other, nearest first
// and at most kGroupLimit of them (a CNN's root can hold thousands); the modules below that module its
// members touch, one entry per connection, in the order the search met them. `stamp` marks members of
// this search (`mark` is its number), so that searching from every node of a big graph stays linear
// in the sizes of the groups.
constexpr std::size_t kGroupLimit = 256;

// `members`, `edges` and `fed` are the caller's, reused from one search to the next; the result is
// `edges`, and `fed` holds the edge modules the group feeds (the others it only reads from).
const std::vector<int>& edgeModulesNear(const GraphIndex& graph, const Hierarchy& h, int start,
                                        std::vector<int>& stamp, int mark, std::vector<int>& members,
                                        std::vector<int>& edges, std::vector<int>& fed) {
    const int home = h.assignments[static_cast<std::size_t>(start)].module;
    members.assign(1, start);
    edges.clear();
    fed.clear();
    bool feedsIt = false;
    stamp[static_cast<std::size_t>(start)] = mark;
    auto visit = [&](int n) {
        if (n < 0 || stamp[static_cast<std::size_t>(n)] == mark) return;
        const Assignment& b = h.assignments[static_cast<std::size_t>(n)];
        if (b.module == home && isInferred(b)) {
            if (members.size() >= kGroupLimit) return;
            stamp[static_cast<std::size_t>(n)] = mark;
            members.push_back(n);
        } else if (b.module != home && h.isAncestorOrSelf(home, b.module)) {
            edges.push_back(b.module);
            if (feedsIt) fed.push_back(b.module);
        }
    };
    for (std::size_t k = 0; k < members.size(); ++k) {
        const int n = members[k];
        feedsIt = false;
        for (int t : graph.inputs(n))
            visit(graph.tensor(t).producer);
        feedsIt = true;
        for (int t : graph.outputs(n))
            for (int c : graph.consumers(t))
                visit(c);
    }
    return edges;
}

// Every module from just below `home` down to each edge module, counted once per connection; most
// connections first, then the shallower, then the one met first (the nearest to the node).
std::vector<std::pair<int, int>> rankDeeper(const Hierarchy& h, int home, const std::vector<int>& edges) {
    std::vector<std::pair<int, int>> counted; // (module, connections), in the order met
    for (int m : edges)
        for (int k = m; k != home && k > 0; k = h.modules[static_cast<std::size_t>(k)].parent) {
            if (isListContainer(h, k)) continue; // a ModuleList or Sequential runs no code of its own
            auto it =
                std::find_if(counted.begin(), counted.end(), [&](const auto& c) { return c.first == k; });
            if (it == counted.end())
                counted.emplace_back(k, 1);
            else
                ++it->second;
        }
    std::stable_sort(counted.begin(), counted.end(), [&](const auto& x, const auto& y) {
        if (x.second != y.second) return x.second > y.second;
        return h.modules[static_cast<std::size_t>(x.first)].depth <
               h.modules[static_cast<std::size_t>(y.first)].depth;
    });
    return counted;
}

bool readsAndFeeds(const Hierarchy& h, int module, const std::vector<int>& edges,
                   const std::vector<int>& fed) {
    auto inside = [&](int m) { return h.isAncestorOrSelf(module, m); };
    const auto feeds = std::count_if(fed.begin(), fed.end(), inside);
    return feeds > 0 && std::count_if(edges.begin(), edges.end(), inside) > feeds;
}

// The first candidate has at least 3 connections and twice as many as any candidate beside it (one
// that is neither its ancestor nor below it).
bool dominates(const Hierarchy& h, const std::vector<std::pair<int, int>>& ranked,
               const std::vector<int>& edges) {
    // Plain copies: a lambda may capture a structured binding only from C++20 on.
    const int best = ranked.front().first;
    const int connections = ranked.front().second;
    if (connections < 3) return false;
    // Connections to one module alone are its output read several times (a reshape of query's output),
    // as likely its caller's code as its own.
    int firstInside = -1;
    const bool severalModules = std::any_of(edges.begin(), edges.end(), [&](int m) {
        if (!h.isAncestorOrSelf(best, m)) return false;
        if (firstInside < 0) firstInside = m;
        return m != firstInside;
    });
    if (!severalModules) return false;
    return std::all_of(ranked.begin() + 1, ranked.end(), [&](const auto& other) {
        const bool related = h.isAncestorOrSelf(best, other.first) || h.isAncestorOrSelf(other.first, best);
        return related || connections >= 2 * other.second;
    });
}

std::string quoted(const Hierarchy& h, int module) {
    const std::string& scope = h.modules[static_cast<std::size_t>(module)].scope;
    return "'" + (scope.empty() ? std::string("(root)") : scope) + "'";
}

} // namespace

std::vector<int> Hierarchy::deeperCandidates(const GraphIndex& graph, int node) const {
    const Assignment& a = assignments[static_cast<std::size_t>(node)];
    std::vector<int> result;
    if (!isInferred(a)) {
        if (a.suggestion.module >= 0) result.push_back(a.suggestion.module);
        return result;
    }
    std::vector<int> stamp(graph.size(), 0), members, edges, fed;
    for (const auto& c :
         rankDeeper(*this, a.module, edgeModulesNear(graph, *this, node, stamp, 1, members, edges, fed)))
        result.push_back(c.first);
    // The stored suggestion (from the region rules, or a sidecar's) comes first.
    if (a.suggestion.module >= 0) {
        result.erase(std::remove(result.begin(), result.end(), a.suggestion.module), result.end());
        result.insert(result.begin(), a.suggestion.module);
    }
    return result;
}

std::string Hierarchy::suggestionReason(const GraphIndex& graph, int node) const {
    const Suggestion& s = assignments[static_cast<std::size_t>(node)].suggestion;
    switch (s.why) {
    case Suggestion::None:
        return {};
    case Suggestion::UncalledOwner: {
        const auto names = parameterNamesUsedBy(graph, node);
        return "it uses the parameters of " + quoted(*this, s.module) +
               (names.empty() ? std::string() : " ('" + names.front() + "')") +
               ", but no node name shows that module running code: its parent may run them from its own "
               "forward, as nn.MultiheadAttention does with out_proj";
    }
    case Suggestion::DataNeighbours:
        return "its group of inferred neighbours reads from and feeds " + quoted(*this, s.module) + " (" +
               std::to_string(s.ref) + (s.ref == 1 ? " connection)" : " connections)");
    case Suggestion::JoinsBranches:
        return "it combines branches that fork from one tensor, and " + quoted(*this, s.module) +
               " is the lowest module holding every placed node on them (a residual Add, a gate's Mul)";
    case Suggestion::OnJoinedBranches:
        return "it lies on branches that fork from one tensor and join again, and " +
               quoted(*this, s.module) + " is the lowest module holding every placed node on them";
    case Suggestion::FeedsModule:
        return "it only feeds " + quoted(*this, s.module) +
               ", and what it reads comes from no other module below its placement (the code at the start of "
               "that module's forward, as LayerNorm's mean and variance before its weight)";
    case Suggestion::FromSidecar:
        return s.ref >= 0 && static_cast<std::size_t>(s.ref) < texts.size()
                   ? texts[static_cast<std::size_t>(s.ref)]
                   : "a saved sidecar suggested it";
    }
    return {};
}

std::size_t Hierarchy::suggestionCount() const {
    return static_cast<std::size_t>(
        std::count_if(assignments.begin(), assignments.end(),
                      [](const Assignment& a) { return a.suggestion.module >= 0; }));
}

void suggestDeeperModules(const GraphIndex& graph, Hierarchy& h) {
    const RegionSuggestions regions = suggestFromRegions(graph, h);
    std::vector<int> stamp(graph.size(), 0), members, edges, fed;
    int mark = 0;
    for (std::size_t i = 0; i < graph.size(); ++i) {
        Assignment& a = h.assignments[i];
        if (!isInferred(a) || a.suggestion.module >= 0) continue;
        if (regions.module[i] == RegionSuggestions::kNone) continue;
        if (regions.module[i] >= 0) {
            static const Suggestion::Why kWhy[] = {Suggestion::JoinsBranches, Suggestion::OnJoinedBranches,
                                                   Suggestion::FeedsModule};
            a.suggestion = Suggestion{regions.module[i], kWhy[regions.why[i]], -1};
            continue;
        }
        const auto ranked = rankDeeper(
            h, a.module, edgeModulesNear(graph, h, static_cast<int>(i), stamp, ++mark, members, edges, fed));
        // Stored only when the group both reads from and feeds that module (code between two of its
        // calls), or when most of its connections lead there. Code that reads one call's output and
        // feeds another's (a flatten between a block and a classifier) is as likely their caller's;
        // Move to Module still offers every candidate.
        // A group holding unplaced weights hides modules of its own: its edges bound nothing.
        const bool hidesModules = std::any_of(members.begin(), members.end(),
                                              [&](int n) { return readsUnplacedWeight(graph, h, n); });
        if (!ranked.empty() && !hidesModules &&
            (readsAndFeeds(h, ranked.front().first, edges, fed) || dominates(h, ranked, edges)))
            a.suggestion =
                Suggestion{ranked.front().first, Suggestion::DataNeighbours, ranked.front().second};
    }
}

void restoreSidecarSuggestions(const Sidecar& sidecar, const SuggestedEntries& suggested, Hierarchy& h) {
    for (const auto& [entry, node] : suggested) {
        const SidecarEntry& e = sidecar.entries[entry];
        const int module = h.findModule(e.suggestedScope);
        if (module < 0) continue;
        Assignment& a = h.assignments[static_cast<std::size_t>(node)];
        if (a.suggestion.module >= 0 || a.level == Level::Certain || a.module == module ||
            !h.isAncestorOrSelf(a.module, module))
            continue;
        a.suggestion = Suggestion{module, Suggestion::FromSidecar, static_cast<int>(h.texts.size())};
        h.texts.push_back("suggested by " + sidecar.filePath +
                          (e.suggestedReason.empty() ? std::string() : ": " + e.suggestedReason));
    }
}

int suggestedModule(const Hierarchy& hierarchy, const GraphIndex&, int node) {
    return hierarchy.assignments[static_cast<std::size_t>(node)].suggestion.module;
}

std::size_t acceptSuggestions(Hierarchy& hierarchy, const GraphIndex& graph) {
    std::vector<std::pair<int, int>> moves; // (node, module)
    for (std::size_t n = 0; n < hierarchy.assignments.size(); ++n)
        if (const int m = suggestedModule(hierarchy, graph, static_cast<int>(n)); m >= 0)
            moves.emplace_back(static_cast<int>(n), m);
    for (const auto& [node, module] : moves)
        hierarchy.takeSuggestion(node, module);
    hierarchy.refreshModuleSummaries();
    return moves.size();
}

} // namespace hs
