#include "hierarchy/hierarchy.h"

#include "hierarchy/scope_names.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace hs {

int Hierarchy::findModule(const std::string& scope) const {
    for (std::size_t i = 0; i < modules.size(); ++i)
        if (modules[i].scope == scope) return static_cast<int>(i);
    return -1;
}

bool Hierarchy::isAncestorOrSelf(int ancestor, int module) const {
    for (int m = module; m >= 0; m = modules[static_cast<std::size_t>(m)].parent)
        if (m == ancestor) return true;
    return false;
}

bool isUncertain(const Assignment& a) {
    return a.conflict || a.level == Level::Low || a.level == Level::Medium;
}

HierarchyStatistics Hierarchy::statistics() const {
    HierarchyStatistics s;
    s.nodes = assignments.size();
    for (const auto& a : assignments) {
        ++s.byLevel[static_cast<int>(a.level)];
        ++s.bySource[static_cast<int>(a.source)];
        if (a.conflict) ++s.conflicts;
        if (isUncertain(a)) ++s.uncertain;
    }
    return s;
}

void Hierarchy::refreshModuleSummaries() {
    std::vector<std::size_t> direct(modules.size(), 0);
    for (const auto& a : assignments)
        ++direct[static_cast<std::size_t>(a.module)];
    for (std::size_t m = 0; m < modules.size(); ++m) {
        Module& mod = modules[m];
        mod.nodes.clear();
        mod.nodes.reserve(direct[m]);
        mod.totalNodes = direct[m];
        mod.totalParameters = mod.parameters;
        mod.lowestLevel = Level::Certain;
        mod.uncertainNodes = 0;
    }
    for (std::size_t i = 0; i < assignments.size(); ++i) {
        const Assignment& a = assignments[i];
        Module& mod = modules[static_cast<std::size_t>(a.module)];
        mod.nodes.push_back(static_cast<int>(i));
        if (a.level > mod.lowestLevel) mod.lowestLevel = a.level;
        if (isUncertain(a)) ++mod.uncertainNodes;
    }
    // Roll up children first: modules are created parent before child.
    for (std::size_t m = modules.size(); m-- > 1;) {
        const Module& child = modules[m];
        Module& parent = modules[static_cast<std::size_t>(child.parent)];
        parent.totalNodes += child.totalNodes;
        parent.totalParameters += child.totalParameters;
        parent.uncertainNodes += child.uncertainNodes;
        if (child.lowestLevel > parent.lowestLevel) parent.lowestLevel = child.lowestLevel;
    }
}

void Hierarchy::assignManually(int node, int module) {
    Assignment& a = assignments[static_cast<std::size_t>(node)];
    if (a.source != Source::Manual) a.candidates.push_back({a.module, a.source, ClaimKind::BeforeManual, -1});
    a.module = module;
    a.level = Level::Certain;
    a.score = 1.0;
    a.source = Source::Manual;
    a.conflict = false;
    a.reason = Reason{Reason::ByHand};
    a.suggestion = Suggestion{}; // a person decided
}

void Hierarchy::takeSuggestion(int node, int module) {
    Assignment& a = assignments[static_cast<std::size_t>(node)];
    a.module = module;
    a.source = Source::Suggestion;
    a.level = Level::Medium;
    a.suggestion = Suggestion{}; // taken
}

std::string Hierarchy::newModuleProblem(const std::string& scope) const {
    if (scope.empty()) return "Type the scope of the new module, e.g. features.conv0.";
    std::size_t start = 0;
    while (start <= scope.size()) {
        const std::size_t dot = std::min(scope.find('.', start), scope.size());
        if (dot == start) return "'" + scope + "' has an empty part between dots.";
        for (std::size_t k = start; k < dot; ++k)
            if (!std::isalnum(static_cast<unsigned char>(scope[k])) && scope[k] != '_')
                return "'" + scope + "': a scope holds only letters, digits, '_' and dots.";
        start = dot + 1;
    }
    if (findModule(scope) >= 0) return "'" + scope + "' exists already.";
    return {};
}

int Hierarchy::parentForNewModule(const std::string& scope) const {
    for (std::string_view s = parentScopeOf(scope); !s.empty(); s = parentScopeOf(s))
        if (const int m = findModule(std::string(s)); m >= 0) return m;
    return 0;
}

// The new module's segment of the hierarchy path: its class (with `.N` for a numbered attribute) or,
// without one, its name; `Class[name]` when a sibling already has that segment.
static std::string pathSegment(const Hierarchy& h, int parent, const std::string& name,
                               const std::string& className) {
    const std::string atom(lastAtomOf(name));
    std::string segment = className.empty() ? name : className + (isNumericAtom(atom) ? "." + atom : "");
    const std::string prefix = h.modules[static_cast<std::size_t>(parent)].path + "/";
    for (int c : h.modules[static_cast<std::size_t>(parent)].children)
        if (h.modules[static_cast<std::size_t>(c)].path == prefix + segment)
            return className + "[" + name + "]";
    return segment;
}

int Hierarchy::addModule(const std::string& scope, const std::string& className) {
    if (!newModuleProblem(scope).empty()) return -1;
    const int parent = parentForNewModule(scope);
    Module m;
    m.scope = scope;
    m.name = relativeName(modules[static_cast<std::size_t>(parent)].scope, scope);
    m.className = className;
    m.path =
        modules[static_cast<std::size_t>(parent)].path + "/" + pathSegment(*this, parent, m.name, className);
    m.parent = parent;
    m.depth = modules[static_cast<std::size_t>(parent)].depth + 1;
    const int index = static_cast<int>(modules.size());
    modules.push_back(std::move(m));
    modules[static_cast<std::size_t>(parent)].children.push_back(index);
    return index;
}

void Hierarchy::removeLastModule() {
    if (modules.size() <= 1) return;
    const Module& last = modules.back();
    if (!last.children.empty() || !last.nodes.empty()) return;
    std::vector<int>& siblings = modules[static_cast<std::size_t>(last.parent)].children;
    siblings.erase(std::remove(siblings.begin(), siblings.end(), static_cast<int>(modules.size()) - 1),
                   siblings.end());
    modules.pop_back();
}

const char* levelName(Level level) {
    switch (level) {
    case Level::Certain:
        return "certain";
    case Level::High:
        return "high";
    case Level::Medium:
        return "medium";
    case Level::Low:
        return "low";
    }
    return "low";
}

const char* sourceName(Source source) {
    switch (source) {
    case Source::Manual:
        return "manual";
    case Source::Metadata:
        return "metadata";
    case Source::Function:
        return "function";
    case Source::NameScope:
        return "name_scope";
    case Source::Parameter:
        return "parameter";
    case Source::Sidecar:
        return "sidecar";
    case Source::ConverterScope:
        return "converter_scope";
    case Source::Inferred:
        return "inferred";
    case Source::Fallback:
        return "fallback";
    case Source::Suggestion:
        return "suggestion";
    }
    return "fallback";
}

const char* sourceDescription(Source source) {
    switch (source) {
    case Source::Manual:
        return "manual tags";
    case Source::Metadata:
        return "dynamo node metadata";
    case Source::Function:
        return "local functions";
    case Source::NameScope:
        return "TorchScript name scopes";
    case Source::Parameter:
        return "parameter names";
    case Source::Sidecar:
        return "a sidecar";
    case Source::ConverterScope:
        return "another converter's layer paths";
    case Source::Inferred:
        return "inferred from the graph";
    case Source::Fallback:
        return "root fallback";
    case Source::Suggestion:
        return "accepted suggestions";
    }
    return "root fallback";
}

std::string sourcesSummary(const HierarchyStatistics& s) {
    std::string words;
    for (int k = 0; k < kSourceCount; ++k)
        if (s.bySource[k])
            words += std::string(words.empty() ? "" : ", ") + sourceDescription(static_cast<Source>(k)) +
                     " (" + std::to_string(s.bySource[k]) + (s.bySource[k] == 1 ? " node)" : " nodes)");
    return words;
}

// Both are asked of every entry of a sidecar: the names are compared by length first, without strlen.
bool parseLevel(const std::string& text, Level& level) {
    static const std::string_view names[] = {levelName(Level::Certain), levelName(Level::High),
                                             levelName(Level::Medium), levelName(Level::Low)};
    for (int k = 0; k < 4; ++k)
        if (text == names[k]) return level = static_cast<Level>(k), true;
    return false;
}

bool parseSource(const std::string& text, Source& source) {
    static const auto names = [] {
        std::array<std::string_view, kSourceCount> n;
        for (int k = 0; k < kSourceCount; ++k)
            n[static_cast<std::size_t>(k)] = sourceName(static_cast<Source>(k));
        return n;
    }();
    for (int k = 0; k < kSourceCount; ++k)
        if (text == names[static_cast<std::size_t>(k)]) return source = static_cast<Source>(k), true;
    return false;
}

} // namespace hs
