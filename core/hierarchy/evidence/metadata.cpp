// Evidence from the dynamo exporter's node metadata (torch >= 2.5): pkg.torch.onnx.name_scopes lists
// the module scopes around the node, pkg.torch.onnx.class_hierarchy their classes.
#include "common/display_text.h"
#include "graph/graph.h"
#include "hierarchy/evidence/evidence.h"
#include "hierarchy/scope_names.h"

namespace hs {

const std::string* metadataValue(const Node& node, const char* key) {
    for (const auto& [k, v] : node.metadata)
        if (k == key) return &v;
    return nullptr;
}

void collectMetadata(Evidence& ev) {
    const GraphIndex& g = ev.graph;
    if (g.model().nodesWithMetadata == 0) return; // the common case: not a dynamo export
    std::size_t tooDeep = 0, firstLevels = 0;
    int firstTooDeep = -1;
    for (std::size_t i = 0; i < g.size(); ++i) {
        const Node& node = g.node(static_cast<int>(i));
        const std::string* scopes = metadataValue(node, "pkg.torch.onnx.name_scopes");
        if (!scopes) continue;
        std::vector<std::string> names = parsePythonStringList(*scopes);
        std::vector<std::string> classes;
        if (const std::string* ch = metadataValue(node, "pkg.torch.onnx.class_hierarchy"))
            classes = parsePythonStringList(*ch);
        if (names.empty()) continue;
        // The root, kMaxModuleDepth modules, the operation.
        if (names.size() > static_cast<std::size_t>(kMaxModuleDepth) + 2) {
            if (tooDeep++ == 0) firstTooDeep = static_cast<int>(i), firstLevels = names.size() - 2;
            names.erase(names.begin() + kMaxModuleDepth + 1, names.end() - 1);
        }
        // The last entry names the operation itself; the first is the root module.
        // Nodes outside any module (runtime asserts, symbolic sizes) name a pseudo-scope first, not
        // the root: only a list that starts at the root ('') tells the root's class.
        std::string rootClass = names[0].empty() && !classes.empty() ? shortClassName(classes[0]) : "";
        int chain = -1;
        for (std::size_t k = 1; k + 1 < names.size(); ++k) {
            if (names[k].empty() || names[k].rfind("_empty_nn_module_stack", 0) == 0) continue;
            PendingChain step;
            step.parent = chain;
            step.step = ScopeStep{names[k], 0};
            step.className = k < classes.size() ? shortClassName(classes[k]) : "";
            chain = ev.addChain(std::move(step));
        }
        if (!rootClass.empty()) ev.calls.learnClass(0, rootClass);
        Claim claim;
        claim.chain = chain;
        if (chain < 0) claim.call = 0;
        claim.source = Source::Metadata;
        claim.kind = ClaimKind::NodeMetadata;
        claim.ref = static_cast<int>(i);
        ev.add(static_cast<int>(i), claim);
    }
    if (tooDeep)
        ev.hierarchy.notes.push_back(
            "The name_scopes metadata of node " + quoteInput(g.node(firstTooDeep).name) + " has " +
            std::to_string(firstLevels) + " levels" +
            (tooDeep > 1 ? " (and " + std::to_string(tooDeep - 1) + " more)" : "") + "; at most " +
            std::to_string(kMaxModuleDepth) + " are supported, and only those are read.");
}

} // namespace hs
