#include "compare/signature.h"

#include "graph/graph.h"
#include "hierarchy/hierarchy.h"

#include <algorithm>
#include <string_view>

namespace hs {

namespace {

using Key = std::vector<std::int64_t>;
using Histogram = std::map<int, std::int64_t>; // op type -> nodes

// The module owning each initializer for a signature: the common module of its users (the root when
// unused). Not by its name, as Module::parameters counts: names are what differ between the two sides
// (a weight renamed "w17" on one side would move to another module there), users are not.
std::vector<Key> initializerShapes(const GraphIndex& g, const Hierarchy& h) {
    auto lca = [&](int x, int y) {
        while (h.modules[static_cast<std::size_t>(x)].depth > h.modules[static_cast<std::size_t>(y)].depth)
            x = h.modules[static_cast<std::size_t>(x)].parent;
        while (h.modules[static_cast<std::size_t>(y)].depth > h.modules[static_cast<std::size_t>(x)].depth)
            y = h.modules[static_cast<std::size_t>(y)].parent;
        while (x != y)
            x = h.modules[static_cast<std::size_t>(x)].parent,
            y = h.modules[static_cast<std::size_t>(y)].parent;
        return x;
    };
    std::vector<Key> shapes(h.modules.size()); // per module: count, then rank and dims of each, sorted
    std::vector<std::vector<Key>> lists(h.modules.size());
    for (std::size_t t = 0; t < g.tensorCount(); ++t) {
        const TensorEntry& te = g.tensor(static_cast<int>(t));
        if (!te.init) continue;
        int owner = -1;
        for (int c : g.consumers(static_cast<int>(t))) {
            int m = h.assignments[static_cast<std::size_t>(c)].module;
            owner = owner < 0 ? m : lca(owner, m);
        }
        Key shape{static_cast<std::int64_t>(te.init->dims.size())};
        shape.insert(shape.end(), te.init->dims.begin(), te.init->dims.end());
        lists[static_cast<std::size_t>(std::max(owner, 0))].push_back(std::move(shape));
    }
    for (std::size_t m = 0; m < lists.size(); ++m) {
        std::sort(lists[m].begin(), lists[m].end());
        shapes[m].push_back(static_cast<std::int64_t>(lists[m].size()));
        for (const Key& s : lists[m])
            shapes[m].insert(shapes[m].end(), s.begin(), s.end());
    }
    return shapes;
}

void append(Key& key, const Histogram& histogram) {
    key.push_back(static_cast<std::int64_t>(histogram.size()));
    for (auto [op, count] : histogram)
        key.push_back(op), key.push_back(count);
}

void appendSorted(Key& key, std::vector<int> ids) {
    std::sort(ids.begin(), ids.end());
    key.push_back(static_cast<std::int64_t>(ids.size()));
    key.insert(key.end(), ids.begin(), ids.end());
}

// "encoder.layer.7" -> stem "encoder.layer", 7; false when the last atom is not a number.
bool numbered(const Module& m, std::string_view& stem, long& index) {
    std::string_view scope(m.scope);
    const std::size_t dot = scope.rfind('.');
    if (dot == std::string_view::npos || dot + 1 == scope.size() || scope.size() - dot > 10) return false;
    index = 0;
    for (char ch : scope.substr(dot + 1)) {
        if (ch < '0' || ch > '9') return false;
        index = index * 10 + (ch - '0');
    }
    stem = scope.substr(0, dot);
    return true;
}

// The members of one signature's group on one side, ordered by their number, when they are numbered
// siblings of one list (one stem, distinct numbers); empty otherwise.
std::vector<int> asNumberedList(const Hierarchy& h, const std::vector<int>& group) {
    std::vector<std::pair<long, int>> items;
    std::string_view firstStem;
    for (int m : group) {
        std::string_view stem;
        long index = 0;
        if (!numbered(h.modules[static_cast<std::size_t>(m)], stem, index)) return {};
        if (items.empty()) firstStem = stem;
        if (stem != firstStem) return {};
        items.emplace_back(index, m);
    }
    std::sort(items.begin(), items.end());
    for (std::size_t k = 1; k < items.size(); ++k)
        if (items[k].first == items[k - 1].first) return {};
    std::vector<int> ordered;
    for (auto [index, m] : items)
        ordered.push_back(m);
    return ordered;
}

// Groups of modules by signature, in order of first appearance; modules without one are left out, and
// modules without initializers unless `parameterless`.
std::map<int, std::vector<int>> groups(const std::vector<int>& rest, const ModuleSignatures& sig,
                                       SignatureKind kind, bool parameterless) {
    std::map<int, std::vector<int>> out;
    for (int m : rest) {
        const auto k = static_cast<std::size_t>(m);
        const int s = kind == SignatureKind::Exact ? sig.exact[k] : sig.shapes[k];
        if (s >= 0 && (parameterless || sig.shapes[k] >= 0)) out[s].push_back(m);
    }
    return out;
}

} // namespace

int SignatureTable::intern(const std::vector<std::int64_t>& key) {
    return ids_.emplace(key, static_cast<int>(ids_.size())).first->second;
}

ModuleSignatures SignatureTable::compute(const GraphIndex& graph, const Hierarchy& h,
                                         const std::vector<int>& opOf) {
    const std::size_t n = h.modules.size();
    std::vector<Key> shapes = initializerShapes(graph, h);
    std::vector<Histogram> own(n), subtree(n);
    for (std::size_t m = 0; m < n; ++m)
        for (int node : h.modules[m].nodes)
            ++own[m][opOf[static_cast<std::size_t>(node)]];
    ModuleSignatures out{std::vector<int>(n, -1), std::vector<int>(n, -1)};
    // Children come after their parents: backwards, every child is done before its parent.
    for (std::size_t m = n; m-- > 0;) {
        const Module& mod = h.modules[m];
        subtree[m] = own[m];
        std::vector<int> exactKids, shapeKids;
        bool holdsShapes = shapes[m][0] > 0;
        for (int c : mod.children) {
            // A child holding nothing (no node, no initializer) makes no difference to what its parent is.
            if (subtree[static_cast<std::size_t>(c)].empty() && out.shapes[static_cast<std::size_t>(c)] < 0)
                continue;
            for (auto [op, count] : subtree[static_cast<std::size_t>(c)])
                subtree[m][op] += count;
            exactKids.push_back(out.exact[static_cast<std::size_t>(c)]);
            shapeKids.push_back(out.shapes[static_cast<std::size_t>(c)]);
            holdsShapes = holdsShapes || out.shapes[static_cast<std::size_t>(c)] >= 0;
        }
        Key key{0};
        key.insert(key.end(), shapes[m].begin(), shapes[m].end());
        append(key, own[m]);
        append(key, subtree[m]);
        appendSorted(key, exactKids);
        out.exact[m] = intern(key);
        if (!holdsShapes) continue;
        key.assign(1, 1);
        key.insert(key.end(), shapes[m].begin(), shapes[m].end());
        appendSorted(key, shapeKids);
        out.shapes[m] = intern(key);
    }
    return out;
}

std::vector<std::pair<int, int>> pairBySignature(const Hierarchy& ha, const ModuleSignatures& sigA,
                                                 const std::vector<int>& restA, const Hierarchy& hb,
                                                 const ModuleSignatures& sigB, const std::vector<int>& restB,
                                                 SignatureKind kind, bool parameterless) {
    std::vector<std::pair<int, int>> pairs;
    const auto groupsB = groups(restB, sigB, kind, parameterless);
    for (auto& [sig, groupA] : groups(restA, sigA, kind, parameterless)) {
        auto it = groupsB.find(sig);
        if (it == groupsB.end() || it->second.size() != groupA.size()) continue;
        std::vector<int> listA = groupA, listB = it->second;
        if (groupA.size() > 1) { // only numbered lists of siblings pair, by number
            listA = asNumberedList(ha, groupA);
            listB = asNumberedList(hb, it->second);
            if (listA.empty() || listB.empty()) continue;
        }
        bool agree = true;
        for (std::size_t k = 0; k < listA.size() && agree; ++k) {
            const std::string& x = ha.modules[static_cast<std::size_t>(listA[k])].className;
            const std::string& y = hb.modules[static_cast<std::size_t>(listB[k])].className;
            agree = x.empty() || y.empty() || x == y;
        }
        if (!agree) continue;
        for (std::size_t k = 0; k < listA.size(); ++k)
            pairs.emplace_back(listA[k], listB[k]);
    }
    return pairs;
}

} // namespace hs
