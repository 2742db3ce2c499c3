#include "hierarchy/renames.h"

#include "hierarchy/hierarchy.h"
#include "hierarchy/scope_names.h"
#include "sidecar/sidecar.h"

#include <algorithm>
#include <functional>
#include <map>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace hs {
namespace {

// New scope -> the evidence's scope, with the lengths of the new scopes, longest first: a scope is
// looked up only at those lengths (a hostile 30,000-atom scope costs one lookup per rename length, not
// one per atom).
struct ScopeMap {
    std::unordered_map<std::string_view, std::string_view> to;
    std::vector<std::size_t> lengths;
};

// `scope` with its longest renamed prefix (whole atoms) replaced by what `map` gives for it.
std::string mapped(const ScopeMap& map, const std::string& scope) {
    for (std::size_t length : map.lengths) {
        if (length > scope.size() || (length < scope.size() && scope[length] != '.')) continue;
        auto it = map.to.find(std::string_view(scope).substr(0, length));
        if (it != map.to.end()) return std::string(it->second).append(scope, length, std::string::npos);
    }
    return scope;
}

// The deepest scope in `modules` that is an atom prefix of `scope` (the root when none).
int deepestPrefix(const std::unordered_map<std::string_view, int>& modules, std::string_view scope) {
    for (std::string_view s = parentScopeOf(scope); !s.empty(); s = parentScopeOf(s))
        if (auto it = modules.find(s); it != modules.end()) return it->second;
    return 0;
}

// The renames whose old scope is a module of the hierarchy, whose new scope no other module keeps, and
// whose new parent is listed before the module (the module sums walk parents first), as a map
// module -> new scope, in module order (parents first: moves append to their new parent's children in
// that order, whatever the sidecar's order).
std::map<int, std::string> applicableRenames(Hierarchy& h, const Sidecar& sidecar) {
    std::unordered_map<std::string, int> byScope;
    for (std::size_t m = 1; m < h.modules.size(); ++m)
        byScope.emplace(h.modules[m].scope, static_cast<int>(m));
    std::map<int, std::string> renames;
    for (const SidecarModule& s : sidecar.modules) {
        if (s.renamedFrom.empty() || s.renamedFrom == s.scope) continue;
        auto it = byScope.find(s.renamedFrom);
        if (it != byScope.end()) renames.emplace(it->second, s.scope);
    }
    // Drop what cannot apply until what is left is consistent (one pass in practice; every pass drops
    // all it finds, so a hostile list of clashing renames costs one pass, not one per rename).
    std::size_t clashes = 0, misplaced = 0;
    std::string example;
    for (bool dropped = true; dropped && !renames.empty();) {
        std::vector<std::string> scopes(h.modules.size());
        for (std::size_t m = 1; m < h.modules.size(); ++m) {
            auto r = renames.find(static_cast<int>(m));
            scopes[m] = r == renames.end() ? h.modules[m].scope : r->second;
        }
        std::unordered_map<std::string_view, int> final;
        std::vector<int> drop;
        for (std::size_t m = 1; m < h.modules.size(); ++m)
            if (auto [it, fresh] = final.emplace(scopes[m], static_cast<int>(m)); !fresh) {
                // Two modules would have one scope: the rename (either of them) is left out.
                drop.push_back(renames.count(static_cast<int>(m)) ? static_cast<int>(m) : it->second);
                ++clashes;
            }
        for (const auto& r : renames)
            if (deepestPrefix(final, r.second) > r.first) drop.push_back(r.first), ++misplaced;
        for (int m : drop)
            if (auto r = renames.find(m); r != renames.end()) {
                if (example.empty()) example = "'" + h.modules[m].scope + "' to '" + r->second + "'";
                renames.erase(r);
            }
        dropped = !drop.empty();
    }
    if (clashes + misplaced > 0)
        h.notes.push_back(
            "The sidecar renames modules in ways this model cannot take: " + std::to_string(clashes) +
            " onto a scope another module has, " + std::to_string(misplaced) +
            " under a module the model lists after them; those renames are left out (first: " + example +
            ").");
    return renames;
}

} // namespace

std::optional<Sidecar> inEvidenceScopes(const Sidecar& sidecar) {
    ScopeMap toEvidence; // views of `sidecar`, which outlives the copy's mapping
    for (const SidecarModule& m : sidecar.modules)
        if (!m.renamedFrom.empty() && m.renamedFrom != m.scope && !m.scope.empty() &&
            toEvidence.to.emplace(m.scope, m.renamedFrom).second)
            toEvidence.lengths.push_back(m.scope.size());
    if (toEvidence.to.empty()) return std::nullopt;
    std::sort(toEvidence.lengths.begin(), toEvidence.lengths.end(), std::greater<>());
    toEvidence.lengths.erase(std::unique(toEvidence.lengths.begin(), toEvidence.lengths.end()),
                             toEvidence.lengths.end());
    Sidecar out = sidecar;
    for (SidecarModule& m : out.modules)
        m.scope = mapped(toEvidence, m.scope);
    for (SidecarEntry& e : out.entries) {
        e.scope = mapped(toEvidence, e.scope);
        e.sidecarScope = mapped(toEvidence, e.sidecarScope);
        e.suggestedScope = mapped(toEvidence, e.suggestedScope);
        for (std::string& c : e.candidateScopes)
            c = mapped(toEvidence, c);
    }
    return out;
}

void applyRenames(Hierarchy& h, const Sidecar& sidecar) {
    const std::map<int, std::string> renames = applicableRenames(h, sidecar);
    if (renames.empty()) return;
    std::vector<std::string> before(h.modules.size());
    for (std::size_t m = 0; m < h.modules.size(); ++m)
        before[m] = h.modules[m].scope;
    // New scopes: the renamed modules', and below them every module the file's evidence names under
    // the old scope (one the person never saw, made by evidence read since, follows its parent).
    for (std::size_t m = 1; m < h.modules.size(); ++m) {
        Module& module = h.modules[m];
        if (auto r = renames.find(static_cast<int>(m)); r != renames.end()) {
            module.scope = r->second;
        } else {
            const std::string& parentBefore = before[static_cast<std::size_t>(module.parent)];
            const std::string& parentNow = h.modules[static_cast<std::size_t>(module.parent)].scope;
            if (parentNow == parentBefore || parentBefore.empty() ||
                before[m].compare(0, parentBefore.size() + 1, parentBefore + ".") != 0)
                continue;
            module.scope = parentNow + before[m].substr(parentBefore.size());
        }
        if (module.evidenceScope.empty()) module.evidenceScope = before[m];
    }
    // Parents, names and depths from the new scopes; a moved module goes last among its new siblings.
    std::unordered_map<std::string_view, int> byScope;
    for (std::size_t m = 1; m < h.modules.size(); ++m)
        byScope.emplace(h.modules[m].scope, static_cast<int>(m));
    for (const auto& [module, scope] : renames) {
        Module& m = h.modules[static_cast<std::size_t>(module)];
        const int parent = deepestPrefix(byScope, scope);
        if (parent != m.parent) {
            auto& old = h.modules[static_cast<std::size_t>(m.parent)].children;
            old.erase(std::remove(old.begin(), old.end(), module), old.end());
            h.modules[static_cast<std::size_t>(parent)].children.push_back(module);
            m.parent = parent;
        }
    }
    for (std::size_t m = 1; m < h.modules.size(); ++m) {
        Module& module = h.modules[m];
        const Module& parent = h.modules[static_cast<std::size_t>(module.parent)];
        module.depth = parent.depth + 1;
        if (module.scope != before[m]) module.name = relativeName(parent.scope, module.scope);
    }
}

} // namespace hs
