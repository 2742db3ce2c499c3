// Evidence from node metadata: torch's dynamo exporter (torch >= 2.5) writes pkg.torch.onnx.name_scopes,
// the module scopes around the node, and pkg.torch.onnx.class_hierarchy, their classes; a copy written by
// `hierscope-cli embed` (core/embed) adds hierscope.* keys recording each node's assignment.
#include "common/display_text.h"
#include "embed/keys.h"
#include "graph/graph.h"
#include "hierarchy/evidence/evidence.h"
#include "hierarchy/scope_names.h"

#include <algorithm>
#include <functional>
#include <iterator>
#include <unordered_set>

namespace hs {
namespace {

namespace k = embed_keys;

// Whether Hierscope added `key` to this node when it embedded a hierarchy (listed in hierscope.written):
// such a value repeats the recorded assignment for other tools and is no evidence of its own.
bool writtenByEmbed(const Node& node, const char* key) {
    const std::string* written = metadataValue(node, k::kWritten);
    if (!written || !metadataValue(node, k::kSource)) return false;
    const std::string_view list(*written), wanted(key);
    for (std::size_t start = 0; start < list.size();) {
        std::size_t end = list.find(' ', start);
        if (end == std::string_view::npos) end = list.size();
        if (list.substr(start, end - start) == wanted) return true;
        start = end + 1;
    }
    return false;
}

// The classes an embedded copy wrote for the modules around a node, learned like a sidecar's module list.
void learnEmbeddedClasses(Evidence& ev, const Node& node, std::unordered_set<std::string>& seen) {
    const std::string* scopes = metadataValue(node, k::kNameScopes);
    const std::string* classes = metadataValue(node, k::kClassHierarchy);
    const std::string* module = metadataValue(node, k::kScope);
    if (!scopes || !classes || !module || !writtenByEmbed(node, k::kClassHierarchy)) return;
    if (!seen.insert(*module).second) return; // the nodes of one module repeat its lists
    const std::vector<std::string> names = parsePythonStringList(*scopes);
    const std::vector<std::string> types = parsePythonStringList(*classes);
    for (std::size_t i = 0; i + 1 < names.size() && i + 1 < types.size(); ++i) // the last names the op
        if (int m = i == 0 ? 0 : ev.calls.findModule(names[i]); m >= 0) ev.calls.learnClass(m, types[i]);
}

// Modules an embedded copy lists as holding no node: made as a sidecar's module list makes them.
void learnEmptyModules(Evidence& ev, const std::string& text) {
    for (std::size_t start = 0; start < text.size();) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(start, end - start);
        start = end + 1;
        const std::size_t tab = line.find('\t');
        const std::string scope = line.substr(0, tab);
        if (scope.empty()) continue;
        const int module = ev.calls.moduleOf(ev.calls.callForScope(scope));
        if (tab != std::string::npos) ev.calls.learnClass(module, line.substr(tab + 1));
    }
}

void addEmbeddedClaim(Evidence& ev, int node, const std::string& scope, bool manual) {
    Claim claim;
    claim.source = manual ? Source::Manual : Source::Sidecar;
    claim.certain = manual;
    claim.kind = ClaimKind::Text;
    claim.ref = static_cast<int>(ev.hierarchy.texts.size());
    ev.hierarchy.texts.push_back(std::string(manual ? "manual tag" : "sidecar claim") + " embedded in " +
                                 ev.graph.model().path + ": scope '" + scope + "'");
    claim.call = ev.calls.callForScope(scope);
    ev.add(node, claim);
}

} // namespace

const std::string* metadataValue(const Node& node, const char* key) {
    for (const auto& [k, v] : node.metadata)
        if (k == key) return &v;
    return nullptr;
}

const char* scopeMetadataKey(const Node& node) {
    if (metadataValue(node, k::kNameScopes) && !writtenByEmbed(node, k::kNameScopes)) return k::kNameScopes;
    if (metadataValue(node, k::kNamespace) && !writtenByEmbed(node, k::kNamespace)) return k::kNamespace;
    return nullptr;
}

namespace {

// Model Explorer's `namespace` as another tool wrote it, the module path without the op:
// "encoder/layer.0/attention/self", each segment a module's name below its parent (the form core/embed
// writes), or torch's name segments ("features/features.1/features.1.0"): both read with torch's rule.
// Dynamo's own form ("enc.0: __main__.Block/...", name and class) is read from its name_scopes.
void claimNamespace(Evidence& ev, int node, const std::string& path) {
    if (path.find(": ") != std::string::npos) return;
    static const std::function<bool(const std::string&)> literal = [](const std::string&) { return false; };
    int chain = -1;
    std::string scope;
    for (std::size_t start = 0; start <= path.size();) {
        std::size_t end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        if (end > start) {
            PendingChain step;
            step.parent = chain;
            step.step = qualifyTorchSegment(scope, path.substr(start, end - start), literal);
            step.step.call = 0; // a path names modules, not calls
            scope = step.step.scope;
            chain = ev.addChain(std::move(step));
        }
        start = end + 1;
    }
    Claim claim;
    claim.chain = chain;
    if (chain < 0) claim.call = 0;
    claim.source = Source::Metadata;
    claim.kind = ClaimKind::NodeMetadata;
    claim.ref = node;
    ev.add(node, claim);
}

} // namespace

void collectMetadata(Evidence& ev) {
    const GraphIndex& g = ev.graph;
    if (g.model().nodesWithMetadata == 0) return; // the common case: not a dynamo export
    std::size_t tooDeep = 0, firstLevels = 0;
    int firstTooDeep = -1;
    for (std::size_t i = 0; i < g.size(); ++i) {
        const Node& node = g.node(static_cast<int>(i));
        const char* key = scopeMetadataKey(node);
        if (!key) continue;
        if (key == k::kNamespace) {
            claimNamespace(ev, static_cast<int>(i), *metadataValue(node, key));
            continue;
        }
        std::vector<std::string> names = parsePythonStringList(*metadataValue(node, key));
        std::vector<std::string> classes;
        if (const std::string* ch = metadataValue(node, k::kClassHierarchy))
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

// What an embedded copy recorded from explicit evidence (a name scope, parameters, a function, dynamo
// metadata, a converter's layer path) is evidence again where the file no longer says it: a tool that
// renamed or rewrote the nodes after the embed. It agrees with a source that still says the same (and is
// then not counted), and disagrees like any explicit claim. Inferred placements are no evidence; a
// conflict recorded at the common module is not a claim of that module.
void collectEmbeddedRecords(Evidence& ev) {
    const GraphIndex& g = ev.graph;
    if (g.model().nodesWithMetadata == 0) return;
    static const Source recorded[] = {Source::Metadata, Source::Function, Source::NameScope,
                                      Source::Parameter, Source::ConverterScope};
    for (std::size_t i = 0; i < g.size(); ++i) {
        const int n = static_cast<int>(i);
        const Node& node = g.node(n);
        const std::string* source = metadataValue(node, k::kSource);
        const std::string* scope = metadataValue(node, k::kScope);
        if (!source || !scope || metadataValue(node, k::kConflict)) continue;
        Source what;
        if (!parseSource(*source, what) ||
            std::find(std::begin(recorded), std::end(recorded), what) == std::end(recorded))
            continue;
        const bool medium =
            what == Source::ConverterScope ||
            (metadataValue(node, k::kLevel) && *metadataValue(node, k::kLevel) == levelName(Level::Medium));
        const int module = ev.calls.findModule(*scope);
        // Said already by a claim at least as strong (a parameter without names around it is medium now:
        // the record of the names it was placed by still counts).
        bool said = false;
        for (int c = ev.head(n); c >= 0 && !said; c = ev.claim(c).next)
            said = module >= 0 && ev.calls.moduleOf(ev.claim(c).call) == module &&
                   (medium || !ev.claim(c).medium);
        if (said) continue;
        Claim claim;
        claim.source = Source::Metadata;
        claim.kind = ClaimKind::Text;
        claim.medium = medium;
        claim.ref = static_cast<int>(ev.hierarchy.texts.size());
        ev.hierarchy.texts.push_back("assignment embedded in " + g.model().path + " (" + *source +
                                     "): scope '" + *scope + "'");
        claim.call = module >= 0 ? ev.calls.firstCallOf(*scope) : -1;
        if (claim.call < 0) claim.call = ev.calls.callForScopePath(*scope);
        ev.add(n, claim);
    }
}

// An embedded copy restores what a sidecar would: what a person set (manual, certain) and what a
// sidecar claimed apply again; what Hierscope computed from the model itself is computed again from
// the same file. A sidecar given beside the copy that says the same is not counted twice.
void collectEmbeddedClaims(Evidence& ev) {
    const GraphIndex& g = ev.graph;
    if (g.model().nodesWithMetadata == 0) return;
    for (const auto& [key, text] : g.model().metadata)
        if (key == k::kEmptyModules) learnEmptyModules(ev, text);
    for (std::size_t i = 0; i < g.size(); ++i) {
        const int n = static_cast<int>(i);
        const Node& node = g.node(n);
        const std::string* source = metadataValue(node, k::kSource);
        if (!source) continue;
        const std::string* scope = metadataValue(node, k::kScope);
        if (scope && *source == sourceName(Source::Manual) && !ev.first(n, Source::Manual))
            addEmbeddedClaim(ev, n, *scope, true);
        const std::string* claimed = metadataValue(node, k::kSidecarScope);
        // A claim of the root is what exporters write for "could not place it": no evidence.
        if (claimed && !claimed->empty() && !ev.first(n, Source::Sidecar))
            addEmbeddedClaim(ev, n, *claimed, false);
    }
    std::unordered_set<std::string> seen;
    for (std::size_t i = 0; i < g.size(); ++i)
        learnEmbeddedClasses(ev, g.node(static_cast<int>(i)), seen);
}

} // namespace hs
