#include "sidecar/sidecar.h"
#include "sidecar/sidecar_text.h"

#include "common/display_text.h"
#include "common/error.h"
#include "common/sha256.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <unordered_map>

namespace hs {
namespace {

namespace fs = std::filesystem;

// The entries of our format for the current hierarchy, made one node at a time as views of the
// hierarchy's, the graph's and the loaded sidecar's strings: saving 126k nodes copies none of them. Every
// claim the loaded sidecar made goes into ours: what it said (path, source), the module that maps to,
// and whether the engine used it. A file of ours carries the claims it recorded forward.
class EntryMaker {
public:
    EntryMaker(const GraphIndex& graph, const Hierarchy& hierarchy, const Sidecar* loaded)
        : graph_(graph), hierarchy_(hierarchy), loaded_(loaded) {
        for (int k = 0; k < kSourceCount; ++k)
            sources_[k] = sourceName(static_cast<Source>(k));
        for (int k = 0; k < 4; ++k)
            levels_[k] = levelName(static_cast<Level>(k));
        if (!loaded) return;
        ours_ = writtenByHierscope(*loaded);
        for (const auto& m : hierarchy.modules)
            scopeByPath_.emplace(m.path, m.scope);
        // Each node's claims, in the file's order (two keys may name one node: raw and escaped).
        firstClaim_.assign(graph.size(), -1);
        std::vector<int> lastClaim(graph.size(), -1);
        nextClaim_.assign(loaded->entries.size(), -1);
        int hint = 0; // entries come in graph order
        for (std::size_t k = 0; k < loaded->entries.size(); ++k) {
            const int i = graph.find(loaded->entries[k].key, hint);
            if (i < 0) continue;
            hint = i + 1;
            const auto node = static_cast<std::size_t>(i);
            (lastClaim[node] < 0 ? firstClaim_[node]
                                 : nextClaim_[static_cast<std::size_t>(lastClaim[node])]) =
                static_cast<int>(k);
            lastClaim[node] = static_cast<int>(k);
        }
    }

    // Node i's entry; its views stay valid until the next call (the suggestion's reason is kept here).
    void fill(std::size_t i, EntryView& e) {
        const Assignment& a = hierarchy_.assignments[i];
        const Module& m = hierarchy_.modules[static_cast<std::size_t>(a.module)];
        e.key = graph_.key(static_cast<int>(i));
        e.scope = m.scope;
        e.path = m.path;
        e.moduleClass = m.className;
        e.opType = graph_.node(static_cast<int>(i)).opType;
        e.source = sources_[static_cast<int>(a.source)];
        e.level = levels_[static_cast<int>(a.level)];
        e.confidence = a.score;
        e.conflict = a.conflict;
        e.suggestedScope = e.suggestedReason = {};
        if (a.suggestion.module >= 0) {
            e.suggestedScope = hierarchy_.modules[static_cast<std::size_t>(a.suggestion.module)].scope;
            reason_ = hierarchy_.suggestionReason(graph_, static_cast<int>(i));
            e.suggestedReason = reason_;
        }
        e.sidecarScope = e.sidecarPath = e.sidecarSource = {};
        e.hasSidecarScope = e.sidecarScopeKnown = e.hasSidecarClaim = false;
        e.candidateScopes.clear();
        for (const auto& c : a.candidates) {
            const std::string& scope = hierarchy_.modules[static_cast<std::size_t>(c.module)].scope;
            e.candidateScopes.push_back(scope);
            if (c.source == Source::Sidecar && !e.hasSidecarScope)
                e.sidecarScope = scope, e.hasSidecarScope = e.sidecarScopeKnown = e.hasSidecarClaim = true;
        }
        if (loaded_)
            for (int k = firstClaim_[i]; k >= 0; k = nextClaim_[static_cast<std::size_t>(k)])
                keepClaim(loaded_->entries[static_cast<std::size_t>(k)], e);
    }

private:
    void keepClaim(const SidecarEntry& claim, EntryView& e) const {
        if (claim.hasSidecarClaim) { // recorded by an earlier save: carried as it is
            e.hasSidecarClaim = true;
            e.sidecarPath = claim.sidecarPath;
            e.sidecarSource = claim.sidecarSource;
            e.sidecarScope = claim.sidecarScope;
            e.sidecarScopeKnown = claim.sidecarScopeKnown;
            e.hasSidecarScope = claim.hasSidecarScope;
            return;
        }
        if (ours_) return; // our own record of the model: recomputed, no claim of another file
        e.hasSidecarClaim = true;
        e.sidecarPath = claim.path;
        e.sidecarSource = claim.source;
        if (e.hasSidecarScope) return; // the engine used it: the module it mapped it to is known
        auto it = scopeByPath_.find(claim.path);
        if (claim.hasScope)
            e.sidecarScope = claim.scope, e.sidecarScopeKnown = true;
        else if (it != scopeByPath_.end())
            e.sidecarScope = it->second, e.sidecarScopeKnown = true;
    }

    const GraphIndex& graph_;
    const Hierarchy& hierarchy_;
    const Sidecar* loaded_;
    std::string_view sources_[kSourceCount], levels_[4];
    bool ours_ = false;
    std::vector<int> firstClaim_, nextClaim_; // per node and per loaded entry: a list of its claims
    std::unordered_map<std::string_view, std::string_view> scopeByPath_; // first module of each path
    std::string reason_;
};

SidecarEntry toEntry(const EntryView& v) {
    SidecarEntry e;
    copyEntryMembers(v, e);
    e.hasScope = true;
    return e;
}

} // namespace

Sidecar makeSidecar(const GraphIndex& graph, const Hierarchy& hierarchy, const Sidecar* loaded) {
    Sidecar sidecar;
    sidecar.format = "1.1";
    sidecar.onnxModel = fs::path(graph.model().path).filename().string();
    sidecar.modelDigest = modelDigest(graph);
    sidecar.modules.reserve(hierarchy.modules.size());
    for (const auto& m : hierarchy.modules)
        sidecar.modules.push_back({m.scope, m.className, m.path, m.evidenceScope});
    EntryMaker maker(graph, hierarchy, loaded);
    EntryView v;
    sidecar.entries.reserve(graph.size());
    for (std::size_t i = 0; i < graph.size(); ++i) {
        maker.fill(i, v);
        sidecar.entries.push_back(toEntry(v));
    }
    return sidecar;
}

void saveSidecar(const std::string& path, const GraphIndex& graph, const Hierarchy& hierarchy,
                 const Sidecar* loaded, const SidecarProgress& progress) {
    EntryMaker maker(graph, hierarchy, loaded);
    const std::string onnxModel = fs::path(graph.model().path).filename().string();
    const std::string digest = modelDigest(graph);
    writeSidecarFile(path, graph.size(), progress, [&](SidecarText& text) {
        text.header(onnxModel, digest);
        for (const auto& m : hierarchy.modules)
            text.module(m.scope, m.className, m.path, m.evidenceScope);
        text.nodes();
        EntryView e; // reused
        for (std::size_t i = 0; i < graph.size(); ++i) {
            maker.fill(i, e);
            text.entry(e);
        }
    });
}

bool writtenByHierscope(const Sidecar& sidecar) {
    // Files saved before the generator field existed are recognised by their structural digest (the
    // PyTorch-side exporter writes none).
    return sidecar.format == "1.1" &&
           (sidecar.generator.rfind("hierscope", 0) == 0 || sidecar.modelDigest.rfind("sha256:", 0) == 0);
}

namespace {
// bindSidecarKeys, and the node of each entry into `nodes` when given (-1 for a key the model lacks): the
// check that follows takes them instead of looking each key up again.
void bindKeys(const GraphIndex& graph, Sidecar& sidecar, std::vector<int>* nodes) {
    sidecar.nodes = {};                           // keys may change
    std::unordered_map<std::string, int> escaped; // built at the first key not found as it is
    bool built = false;
    if (nodes) nodes->reserve(sidecar.entries.size());
    int next = 0; // entries are in graph order: each key is tried at the index after the last found
    for (auto& e : sidecar.entries) {
        int i = graph.find(e.key, next);
        if (i < 0 && !built) {
            for (std::size_t n = 0; n < graph.size(); ++n) {
                const std::string& key = graph.key(static_cast<int>(n));
                std::string shown = utf8Escaped(key);
                if (shown != key) escaped.emplace(std::move(shown), static_cast<int>(n));
            }
            built = true;
        }
        if (i < 0 && !escaped.empty())
            if (auto it = escaped.find(e.key); it != escaped.end()) {
                e.key = graph.key(it->second);
                i = graph.find(e.key);
            }
        if (i >= 0) next = i + 1;
        if (nodes) nodes->push_back(i);
    }
}

// checkSidecar, given the node each entry names (-1 for a key the model lacks).
SidecarCheck checkNodes(const GraphIndex& graph, const Sidecar& sidecar, const std::vector<int>& nodes);
} // namespace

void bindSidecarKeys(const GraphIndex& graph, Sidecar& sidecar) {
    bindKeys(graph, sidecar, nullptr);
}

Sidecar readSidecarFor(const GraphIndex& graph, const std::string& path) {
    return fitToModel(graph, readSidecar(path));
}

Sidecar fitToModel(const GraphIndex& graph, Sidecar sidecar) {
    std::vector<int> nodes;
    bindKeys(graph, sidecar, &nodes);
    const SidecarCheck check = checkNodes(graph, sidecar, nodes);
    if (!check.applicable) throw Error(check.message);
    sidecar.nodes.model = graph.modelPtr();
    sidecar.nodes.of = std::move(nodes);
    return sidecar;
}

const std::vector<int>* boundNodes(const GraphIndex& graph, const Sidecar& sidecar) {
    if (sidecar.entries.empty() || sidecar.nodes.of.size() != sidecar.entries.size()) return nullptr;
    const std::shared_ptr<const Model> model = sidecar.nodes.model.lock();
    return model && model == graph.modelPtr() ? &sidecar.nodes.of : nullptr;
}

std::size_t keepMatchingEntries(const GraphIndex& graph, Sidecar& sidecar) {
    const std::size_t before = sidecar.entries.size();
    sidecar.nodes = {}; // entries go
    sidecar.entries.erase(std::remove_if(sidecar.entries.begin(), sidecar.entries.end(),
                                         [&](const SidecarEntry& e) {
                                             // "#12" is a place in the other graph, not a name
                                             return e.key.empty() || e.key[0] == '#' || graph.find(e.key) < 0;
                                         }),
                          sidecar.entries.end());
    sidecar.modelDigest.clear(); // it described the other model
    return before - sidecar.entries.size();
}

Sidecar readMatchingPartFor(const GraphIndex& graph, const std::string& path, std::string& summary) {
    return matchingPartFor(graph, readSidecar(path), summary);
}

Sidecar matchingPartFor(const GraphIndex& graph, Sidecar sidecar, std::string& summary) {
    const std::string& path = sidecar.filePath; // readSidecar set it
    bindSidecarKeys(graph, sidecar);
    const std::size_t total = sidecar.entries.size();
    const std::size_t dropped = keepMatchingEntries(graph, sidecar);
    if (sidecar.entries.empty())
        throw Error(path + ": none of its " + std::to_string(total) + " node keys names a node of " +
                    graph.model().path);
    summary = "applied " + std::to_string(sidecar.entries.size()) + " of " + std::to_string(total) +
              " entries of " + path + " (" + std::to_string(dropped) +
              (dropped == 1 ? " names a node" : " name nodes") + " this model does not have)";
    return sidecar;
}

namespace {
SidecarCheck checkNodes(const GraphIndex& graph, const Sidecar& sidecar, const std::vector<int>& nodes) {
    SidecarCheck check;
    if (!sidecar.modelDigest.empty() && sidecar.modelDigest != modelDigest(graph))
        check.digestMismatch = true;
    for (std::size_t k = 0; k < sidecar.entries.size(); ++k) {
        if (nodes[k] >= 0) {
            ++check.matchedKeys;
        } else {
            ++check.unknownKeys;
            if (check.unknownExamples.size() < 5) check.unknownExamples.push_back(sidecar.entries[k].key);
        }
    }
    std::ostringstream msg;
    msg << sidecar.filePath << ": sidecar does not match " << graph.model().path << ": ";
    if (check.digestMismatch) {
        check.applicable = false;
        msg << "it was written for a model with another structure (digest " << quoteInput(sidecar.modelDigest)
            << ")";
        if (check.unknownKeys) msg << "; ";
    }
    if (check.unknownKeys) {
        check.applicable = false;
        msg << check.unknownKeys << " of " << sidecar.entries.size()
            << " node keys do not exist in the model (e.g. ";
        for (std::size_t k = 0; k < check.unknownExamples.size(); ++k)
            msg << (k ? ", " : "") << quoteInput(check.unknownExamples[k]);
        msg << ")";
    }
    if (sidecar.entries.empty()) {
        check.applicable = false;
        msg << "it tags no nodes";
    }
    if (!check.applicable) check.message = msg.str();
    return check;
}
} // namespace

SidecarCheck checkSidecar(const GraphIndex& graph, const Sidecar& sidecar) {
    std::vector<int> nodes;
    nodes.reserve(sidecar.entries.size());
    int next = 0; // entries are in graph order: each key is tried at the index after the last found
    for (const auto& e : sidecar.entries) {
        nodes.push_back(graph.find(e.key, next));
        if (nodes.back() >= 0) next = nodes.back() + 1;
    }
    return checkNodes(graph, sidecar, nodes);
}

namespace {

std::string structuralDigest(const GraphIndex& graph) {
    Sha256 sha;
    const Graph& main = graph.model().main();
    auto add = [&](std::string_view s) {
        sha.update(s);
        sha.update(std::string_view("\0", 1));
    };
    for (const auto& vi : main.inputs)
        add(vi.name);
    sha.update("|");
    for (const auto& vi : main.outputs)
        add(vi.name);
    sha.update("|");
    for (const auto& node : main.nodes) {
        add(node.opType);
        for (const auto& in : node.inputs)
            add(in);
        sha.update(">");
        for (const auto& out : node.outputs)
            add(out);
        sha.update("\n");
    }
    return "sha256:" + sha.hexDigest();
}

} // namespace

// Hashing every node's op and tensor names is a third of `tag` on deep-200 (207 M instructions), and a
// loaded model's structure never changes: each model's digest is computed once, then every save (the
// GUI saves many times) and every sidecar check reuse it. Keyed by the Model itself, weakly: a freed
// model's entry expires, and its control block stays allocated while the entry does, so no other model
// can be mistaken for it.
std::string modelDigest(const GraphIndex& graph) {
    const std::shared_ptr<const Model> model = graph.modelPtr();
    if (!model) return structuralDigest(graph);
    static std::mutex mutex;
    static std::map<std::weak_ptr<const Model>, std::string, std::owner_less<>> digests;
    const std::weak_ptr<const Model> key = model;
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (auto it = digests.find(key); it != digests.end()) return it->second;
    }
    std::string digest = structuralDigest(graph); // outside the lock: other models go on meanwhile
    std::lock_guard<std::mutex> lock(mutex);
    for (auto it = digests.begin(); it != digests.end();)
        it = it->first.expired() ? digests.erase(it) : std::next(it);
    digests.emplace(key, digest);
    return digest;
}

std::size_t retakeSuggestions(const GraphIndex& graph, const Sidecar& sidecar, Hierarchy& hierarchy) {
    const std::string_view taken = sourceName(Source::Suggestion);
    std::size_t count = 0;
    std::unordered_map<std::string, int> modules; // scope -> module, built at the first taken suggestion
    int hint = 0;                                 // entries come in graph order: the next node first
    for (const SidecarEntry& e : sidecar.entries) {
        if (e.source != taken || !e.hasScope) continue;
        if (modules.empty())
            for (std::size_t m = 0; m < hierarchy.modules.size(); ++m)
                modules.emplace(hierarchy.modules[m].scope, static_cast<int>(m));
        const int node = graph.find(e.key, hint);
        const auto module = modules.find(e.scope);
        if (node < 0 || module == modules.end()) continue;
        hint = node + 1;
        const Assignment& a = hierarchy.assignments[static_cast<std::size_t>(node)];
        if ((a.source != Source::Inferred && a.source != Source::Fallback) ||
            !hierarchy.isAncestorOrSelf(a.module, module->second))
            continue;
        hierarchy.takeSuggestion(node, module->second);
        ++count;
    }
    if (count) hierarchy.refreshModuleSummaries();
    return count;
}

} // namespace hs
