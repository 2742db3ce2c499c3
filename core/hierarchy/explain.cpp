// "Why is this node here?": a node's compact Reason and its claims, put in words for the one node a
// person looks at (inspector, tooltips, uncertain list, CLI).
#include "graph/graph.h"
#include "hierarchy/evidence/evidence.h"
#include "hierarchy/hierarchy.h"
#include "hierarchy/parameters.h"

#include <algorithm>

namespace hs {

namespace {

std::string quoteModule(const Hierarchy& h, int module) {
    const std::string& s = h.modules[static_cast<std::size_t>(module)].scope;
    return s.empty() ? "the root" : "'" + s + "'";
}

std::string quoteNode(const GraphIndex& graph, int node) {
    return node < 0 ? "a graph input/output" : "'" + graph.key(node) + "'";
}

// "No scope of its own. It lies inside <bound>: <why>." (Inferred and Analogy reasons)
std::string insideBound(const Hierarchy& h, const GraphIndex& graph, const Reason& r) {
    std::string why;
    switch (r.why) {
    case Reason::DataPath:
        why = "it sits on the data path from " + quoteNode(graph, r.a) + " to " + quoteNode(graph, r.b);
        break;
    case Reason::InsideOwner:
        why = "it runs inside " + quoteNode(graph, r.a);
        break;
    case Reason::OrderNeighbours:
        why = "the nodes traced just before and after it share that module";
        break;
    }
    return "No scope of its own. It lies inside " + quoteModule(h, r.bound) + ": " + why + ".";
}

} // namespace

std::string Hierarchy::describe(const GraphIndex& graph, const Candidate& c) const {
    switch (c.kind) {
    case ClaimKind::NodeName:
        return "node name '" + graph.node(c.ref).name + "'";
    case ClaimKind::NodeMetadata: {
        const std::string* scopes = metadataValue(graph.node(c.ref), "pkg.torch.onnx.name_scopes");
        return "node metadata pkg.torch.onnx.name_scopes " + (scopes ? *scopes : std::string());
    }
    case ClaimKind::FunctionCall:
    case ClaimKind::FunctionBody: {
        const Node& call = graph.node(c.ref);
        const std::string function = call.domain + "::" + call.opType;
        return c.kind == ClaimKind::FunctionCall
                   ? "call of local function " + function + " ('" + graph.key(c.ref) + "')"
                   : "body of local function " + function + " called by '" + graph.key(c.ref) + "'";
    }
    case ClaimKind::Text:
        return c.ref >= 0 && static_cast<std::size_t>(c.ref) < texts.size()
                   ? texts[static_cast<std::size_t>(c.ref)]
                   : std::string();
    case ClaimKind::Parameter: {
        // "uses parameter 'a.b.weight' of module 'a.b'": parameters are named after their owner.
        std::string words, owner;
        for (const std::string& name : parameterNamesUsedBy(graph, c.ref)) {
            parameterOwner(name, owner);
            owner = std::string(ownerWithoutOpType(owner, graph.node(c.ref).opType));
            words += std::string(words.empty() ? "uses parameter '" : ", parameter '") + name + "' of " +
                     (owner.empty() ? std::string("the root module") : "module '" + owner + "'");
        }
        return words;
    }
    case ClaimKind::ConverterName:
        return "node name '" + graph.node(c.ref).name + "' (a layer path written by " +
               (graph.model().producerName.empty() ? std::string("another converter")
                                                   : graph.model().producerName) +
               ", not a PyTorch module)";
    case ClaimKind::BeforeManual:
        return std::string("before the manual tag: ") + sourceName(c.source);
    }
    return {};
}

std::string Hierarchy::explain(const GraphIndex& graph, int node) const {
    const Assignment& a = assignments[static_cast<std::size_t>(node)];
    const Reason& r = a.reason;
    auto candidate = [&](int k) {
        return k >= 0 && static_cast<std::size_t>(k) < a.candidates.size()
                   ? describe(graph, a.candidates[static_cast<std::size_t>(k)])
                   : std::string();
    };
    switch (r.kind) {
    case Reason::Claims: {
        std::string words;
        for (const auto& c : a.candidates)
            words += (words.empty() ? "" : "; ") + describe(graph, c);
        return words + (a.candidates.size() > 1 ? " (all sources agree)" : "");
    }
    case Reason::Conflict: {
        std::string words = "Conflicting explicit evidence:";
        for (const auto& c : a.candidates)
            words += " " + describe(graph, c) + " says '" +
                     modules[static_cast<std::size_t>(c.module)].scope + "';";
        return words + " placed at their common ancestor until someone decides.";
    }
    case Reason::ClaimedByHand:
        return "Set by hand (" + candidate(r.a) + ").";
    case Reason::ByHand:
        return "Set by hand.";
    case Reason::NoScopesInModel:
        return "The model carries no module scopes (no torch-scoped names, scope metadata, local functions, "
               "parameter names or layer name paths, and no sidecar): every node stays at the root.";
    case Reason::Inferred: {
        std::string words = insideBound(*this, graph, r);
        if (a.module != r.bound)
            words += " Placed in " + quoteModule(*this, a.module) +
                     ", where its tensors cross the fewest module boundaries.";
        return words;
    }
    case Reason::Analogy: {
        int instance = r.twin >= 0 ? assignments[static_cast<std::size_t>(r.twin)].module : 0;
        while (instance > 0 && modules[static_cast<std::size_t>(instance)].depth >
                                   modules[static_cast<std::size_t>(r.bound)].depth)
            instance = modules[static_cast<std::size_t>(instance)].parent;
        return insideBound(*this, graph, r) + " Placed in " + quoteModule(*this, a.module) +
               " like its twin " + quoteNode(graph, r.twin) + " in " + quoteModule(*this, instance) +
               ", another instance of the same block.";
    }
    case Reason::Connected:
        return "No scope of its own; placed at the deepest common module of the nodes it is connected to, " +
               quoteModule(*this, a.module) + ".";
    case Reason::Unplaced:
        return "No scope of its own and no placed node nearby to infer from: left at the root.";
    }
    return {};
}

std::vector<int> Hierarchy::deeperCandidates(const GraphIndex& graph, int node) const {
    const Assignment& a = assignments[static_cast<std::size_t>(node)];
    if (a.source != Source::Inferred && a.source != Source::Fallback) return {};
    const int home = a.module;
    // The group: nodes inferred into the same module, connected to this one; its edge: placed nodes
    // below that module.
    constexpr std::size_t kGroupLimit = 256;
    std::vector<int> group{node}, edge;
    auto visit = [&](int n) {
        if (n < 0 || std::find(group.begin(), group.end(), n) != group.end()) return;
        const Assignment& b = assignments[static_cast<std::size_t>(n)];
        if (b.module == home && (b.source == Source::Inferred || b.source == Source::Fallback)) {
            if (group.size() < kGroupLimit) group.push_back(n);
        } else if (b.module != home && isAncestorOrSelf(home, b.module)) {
            edge.push_back(b.module);
        }
    };
    for (std::size_t k = 0; k < group.size(); ++k) {
        const int n = group[k];
        for (int t : graph.inputs(n))
            visit(graph.tensor(t).producer);
        for (int t : graph.outputs(n))
            for (int c : graph.consumers(t))
                visit(c);
    }
    // Every module from just below `home` down to each edge module, counted once per connection.
    std::vector<std::pair<int, int>> counted; // (module, connections)
    for (int m : edge)
        for (int k = m; k != home && k > 0; k = modules[static_cast<std::size_t>(k)].parent) {
            auto it =
                std::find_if(counted.begin(), counted.end(), [&](const auto& c) { return c.first == k; });
            if (it == counted.end())
                counted.emplace_back(k, 1);
            else
                ++it->second;
        }
    std::stable_sort(counted.begin(), counted.end(), [&](const auto& x, const auto& y) {
        if (x.second != y.second) return x.second > y.second;
        return modules[static_cast<std::size_t>(x.first)].depth <
               modules[static_cast<std::size_t>(y.first)].depth;
    });
    std::vector<int> result;
    for (const auto& c : counted)
        result.push_back(c.first);
    return result;
}

int suggestedModule(const Hierarchy& hierarchy, const GraphIndex& graph, int node) {
    const std::vector<int> candidates = hierarchy.deeperCandidates(graph, node);
    return candidates.empty() ? -1 : candidates.front();
}

std::size_t acceptSuggestions(Hierarchy& hierarchy, const GraphIndex& graph) {
    // Read first: a node's suggestion depends on where the nodes around it are.
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
