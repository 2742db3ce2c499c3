// What each node of an embedded copy carries: its module as Model Explorer's `namespace`, torch
// dynamo's scope and class lists, and Hierscope's own record of the assignment (core/embed/keys.h).
#include "embed/embed.h"
#include "embed/keys.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace hs {
namespace {

namespace k = embed_keys;

// "0.97": three decimals at most, never a locale's decimal comma (the GUI runs under the user's locale).
std::string formatScore(double score) {
    const long milli = std::lround(std::clamp(score, 0.0, 1.0) * 1000.0);
    std::string out = std::to_string(milli / 1000) + "." + std::to_string(1000 + milli % 1000).substr(1);
    while (out.back() == '0' && out[out.size() - 2] != '.')
        out.pop_back();
    return out;
}

const std::string* valueOf(const StringPairs& metadata, const std::string& key) {
    for (const auto& [name, value] : metadata)
        if (name == key) return &value;
    return nullptr;
}

// Keys an earlier embed wrote: replaced now. Everything else the node had is kept as it is.
std::vector<std::string> keysWrittenBefore(const StringPairs& metadata) {
    std::vector<std::string> keys;
    if (!valueOf(metadata, k::kSource)) return keys;
    if (const std::string* written = valueOf(metadata, k::kWritten)) {
        std::size_t start = 0;
        while (start < written->size()) {
            std::size_t end = written->find(' ', start);
            if (end == std::string::npos) end = written->size();
            if (end > start) keys.push_back(written->substr(start, end - start));
            start = end + 1;
        }
    }
    return keys;
}

bool replaced(const std::string& key, const std::vector<std::string>& writtenBefore) {
    return key.rfind(k::kPrefix, 0) == 0 ||
           std::find(writtenBefore.begin(), writtenBefore.end(), key) != writtenBefore.end();
}

void appendQuoted(std::string& out, const std::string& text) {
    out += '\'';
    for (char c : text) {
        if (c == '\\' || c == '\'') out += '\\';
        out += c;
    }
    out += '\'';
}

} // namespace

// The per-module parts, made once per module from its parent's: nodes of one module share them.
const NodeMetadataMaker::ModuleText& NodeMetadataMaker::textOf(int module) {
    ModuleText& t = texts_[static_cast<std::size_t>(module)];
    if (t.made) return t;
    const Module& m = hierarchy_.modules[static_cast<std::size_t>(module)];
    if (m.parent < 0) {
        t.scopes = "[";
        t.classes = "[";
    } else {
        const ModuleText& parent = textOf(m.parent);
        t.path = parent.path + (parent.path.empty() ? "" : "/") + m.name;
        t.scopes = parent.scopes + ", ";
        t.classes = parent.classes + ", ";
    }
    appendQuoted(t.scopes, m.scope);
    appendQuoted(t.classes, m.className);
    t.made = true;
    return t;
}

NodeMetadataMaker::NodeMetadataMaker(const GraphIndex& graph, const Hierarchy& hierarchy)
    : graph_(graph), hierarchy_(hierarchy), texts_(hierarchy.modules.size()) {}

StringPairs NodeMetadataMaker::entries(int instance) {
    const GraphIndex& graph = graph_;
    const Hierarchy& h = hierarchy_;
    const Node& node = graph.node(instance);
    const Assignment& a = h.assignments[static_cast<std::size_t>(instance)];
    const std::vector<std::string> before = keysWrittenBefore(node.metadata);
    auto kept = [&](const char* key) {
        const std::string* v = valueOf(node.metadata, key);
        return v && !replaced(key, before);
    };
    StringPairs out;
    std::string written;
    auto addForOthers = [&](const char* key, std::string value) {
        if (kept(key)) return; // the node's own value (a dynamo export's) stays
        out.emplace_back(key, std::move(value));
        written += written.empty() ? key : std::string(" ") + key;
    };
    const ModuleText& text = textOf(a.module);
    // Dynamo's lists end with the op itself: its name, and its op type as the "class".
    std::string scopes = text.scopes + ", ", classes = text.classes + ", ";
    appendQuoted(scopes, node.name.empty() ? node.opType : node.name);
    appendQuoted(classes, node.domain.empty() ? node.opType : node.domain + "." + node.opType);
    addForOthers(k::kNamespace, text.path);
    addForOthers(k::kNameScopes, scopes + "]");
    addForOthers(k::kClassHierarchy, classes + "]");

    const Module& module = h.modules[static_cast<std::size_t>(a.module)];
    out.emplace_back(k::kScope, module.scope);
    out.emplace_back(k::kSource, sourceName(a.source));
    out.emplace_back(k::kLevel, levelName(a.level));
    out.emplace_back(k::kConfidence, formatScore(a.score));
    if (a.conflict) out.emplace_back(k::kConflict, "1");
    for (const Candidate& c : a.candidates)
        if (c.source == Source::Sidecar) {
            out.emplace_back(k::kSidecarScope, h.modules[static_cast<std::size_t>(c.module)].scope);
            break;
        }
    std::string suggested = suggestedScope(graph, h, instance);
    if (!suggested.empty()) out.emplace_back(k::kSuggestedScope, std::move(suggested));
    if (!written.empty()) out.emplace_back(k::kWritten, written);
    return out;
}

std::string suggestedScope(const GraphIndex&, const Hierarchy& hierarchy, int node) {
    // The assignment's own suggestion (issue 18): what the sidecar's suggested_scope says too.
    const int module = hierarchy.assignments[static_cast<std::size_t>(node)].suggestion.module;
    return module < 0 ? std::string() : hierarchy.modules[static_cast<std::size_t>(module)].scope;
}

std::string emptyModulesText(const Hierarchy& hierarchy) {
    std::string text;
    for (std::size_t m = 1; m < hierarchy.modules.size(); ++m)
        if (hierarchy.modules[m].totalNodes == 0)
            text += hierarchy.modules[m].scope + '\t' + hierarchy.modules[m].className + '\n';
    return text;
}

StringPairs nodeMetadataEntries(const GraphIndex& graph, const Hierarchy& hierarchy, int instance) {
    return NodeMetadataMaker(graph, hierarchy).entries(instance);
}

bool replacedOnEmbed(const Node& node, const std::string& key) {
    return replaced(key, keysWrittenBefore(node.metadata));
}

std::vector<NodeMetadata> planNodeMetadata(const GraphIndex& graph, const Hierarchy& hierarchy) {
    const Model& model = graph.model();
    std::vector<std::size_t> firstOfGraph(model.graphs.size() + 1, 0);
    for (std::size_t g = 0; g < model.graphs.size(); ++g)
        firstOfGraph[g + 1] = firstOfGraph[g] + model.graphs[g].nodes.size();
    std::vector<NodeMetadata> plan(firstOfGraph.back());
    // Entries of the first instance of nodes that have more: built once each, compared, dropped.
    std::unordered_map<std::size_t, StringPairs> firstEntries;
    NodeMetadataMaker maker(graph, hierarchy);
    for (std::size_t i = 0; i < graph.size(); ++i) {
        const NodeInstance& inst = graph.instance(static_cast<int>(i));
        const std::size_t slot =
            firstOfGraph[static_cast<std::size_t>(inst.graph)] + static_cast<std::size_t>(inst.node);
        NodeMetadata& entry = plan[slot];
        if (entry.graph < 0) {
            entry.graph = inst.graph;
            entry.node = inst.node;
            entry.instance = static_cast<int>(i);
            continue;
        }
        if (entry.ambiguous) continue;
        auto it = firstEntries.find(slot);
        if (it == firstEntries.end()) it = firstEntries.emplace(slot, maker.entries(entry.instance)).first;
        // One body, several calls that place it differently: no single module to write.
        if (maker.entries(static_cast<int>(i)) != it->second) entry.ambiguous = true;
    }
    plan.erase(std::remove_if(plan.begin(), plan.end(), [](const NodeMetadata& m) { return m.graph < 0; }),
               plan.end());
    return plan;
}

} // namespace hs
