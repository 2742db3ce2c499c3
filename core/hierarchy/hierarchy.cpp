#include "hierarchy/hierarchy.h"

#include <array>
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

HierarchyStatistics Hierarchy::statistics() const {
    HierarchyStatistics s;
    s.nodes = assignments.size();
    for (const auto& a : assignments) {
        ++s.byLevel[static_cast<int>(a.level)];
        ++s.bySource[static_cast<int>(a.source)];
        if (a.conflict) ++s.conflicts;
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
        if (a.level == Level::Low || a.conflict) ++mod.uncertainNodes;
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
