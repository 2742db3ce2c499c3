// inferHierarchy: runs the evidence sources, resolves each node's explicit claims, infers the rest and
// sums up the modules. The parts live in their own files (docs/ARCHITECTURE.md, "Hierarchy inference").
#include "graph/graph.h"
#include "hierarchy/evidence/evidence.h"
#include "hierarchy/hierarchy.h"
#include "hierarchy/inference/inference.h"
#include "hierarchy/module_calls.h"
#include "hierarchy/renames.h"
#include "hierarchy/scope_names.h"
#include "hierarchy/suggestions.h"
#include "sidecar/sidecar.h"

#include <algorithm>
#include <limits>

namespace hs {
namespace {

class Resolver {
public:
    Resolver(Evidence& ev, std::vector<int>& nodeCall, std::vector<int>& explicitNodes)
        : ev_(ev), h_(ev.hierarchy), nodeCall_(nodeCall), explicit_(explicitNodes) {}

    // Each node's claims -> its assignment: a person's word wins; agreeing claims are high; claims
    // that disagree are a conflict, placed at their common ancestor with every claim kept.
    void resolve(int i) {
        int first = ev_.head(i);
        if (first < 0) return;
        const ModuleCalls& calls = ev_.calls;
        Assignment& a = h_.assignments[static_cast<std::size_t>(i)];
        const Claim& head = ev_.claim(first);
        bool oneModule = true;
        int lca = head.call;
        for (int k = first; k >= 0; k = ev_.claim(k).next) {
            const Claim& c = ev_.claim(k);
            a.candidates.push_back({calls.moduleOf(c.call), c.source, c.kind, c.ref});
            oneModule = oneModule && calls.moduleOf(c.call) == calls.moduleOf(head.call);
            lca = calls.lca(lca, c.call);
        }
        for (int k = first, n = 0; k >= 0; k = ev_.claim(k).next, ++n)
            if (ev_.claim(k).certain) {
                place(i, ev_.claim(k).call, Level::Certain, 1.0, Source::Manual,
                      Reason{Reason::ClaimedByHand, Reason::DataPath, 0, n, -1});
                return;
            }
        const bool several = a.candidates.size() > 1;
        int agreed = head.call;
        Source source = head.source;
        if (oneModule || insideEveryFunctionBody(first, agreed, source)) {
            if (allMedium(first)) {
                place(i, agreed, Level::Medium, several ? 0.75 : 0.7, source, Reason{Reason::Claims});
                suggestFromClaims(i, first, agreed);
                return;
            }
            double score = several ? 0.97 : source == Source::Sidecar ? 0.85 : 0.9;
            place(i, agreed, Level::High, score, source, Reason{Reason::Claims});
            return;
        }
        place(i, lca, Level::Low, 0.2, head.source, Reason{Reason::Conflict});
        a.conflict = true;
    }

private:
    // A claim that went above the module it names (a parameter's owner that names show no call of)
    // suggests that module, when it lies below the placement.
    void suggestFromClaims(int i, int first, int call) {
        for (int k = first; k >= 0; k = ev_.claim(k).next) {
            const int suggest = ev_.claim(k).suggest;
            if (suggest < 0 || suggest == call || !ev_.calls.isAncestorOrSelf(call, suggest)) continue;
            h_.assignments[static_cast<std::size_t>(i)].suggestion =
                Suggestion{ev_.calls.moduleOf(suggest), Suggestion::UncalledOwner, -1};
            return;
        }
    }

    bool allMedium(int first) const {
        for (int k = first; k >= 0; k = ev_.claim(k).next)
            if (!ev_.claim(k).medium) return false;
        return true;
    }

    // A function body claim says "inside this call", not which module below it: claims of one module
    // inside every function body claim agree with them (a parameter of a module not exported as a
    // function, used in the body of an enclosing one). `agreed` and `source` receive that claim's.
    bool insideEveryFunctionBody(int first, int& agreed, Source& source) const {
        const ModuleCalls& calls = ev_.calls;
        int exact = -1;
        bool body = false;
        for (int k = first; k >= 0; k = ev_.claim(k).next) {
            const Claim& c = ev_.claim(k);
            if (c.kind == ClaimKind::FunctionBody) {
                body = true;
                continue;
            }
            if (exact >= 0 && calls.moduleOf(exact) != calls.moduleOf(c.call)) return false;
            if (exact < 0) source = c.source;
            exact = c.call;
        }
        if (!body || exact < 0) return false;
        for (int k = first; k >= 0; k = ev_.claim(k).next)
            if (ev_.claim(k).kind == ClaimKind::FunctionBody &&
                !calls.isAncestorOrSelf(ev_.claim(k).call, exact))
                return false;
        agreed = exact;
        return true;
    }

    void place(int i, int call, Level level, double score, Source source, Reason reason) {
        Assignment& a = h_.assignments[static_cast<std::size_t>(i)];
        a.module = ev_.calls.moduleOf(call);
        a.level = level;
        a.score = score;
        a.source = source;
        a.reason = reason;
        nodeCall_[static_cast<std::size_t>(i)] = call;
        explicit_.push_back(i);
    }

    Evidence& ev_;
    Hierarchy& h_;
    std::vector<int>& nodeCall_;
    std::vector<int>& explicit_;
};

// Parameter elements per module: by the initializer's name ("encoder.layer.0.attention.self.query.weight"
// belongs to the deepest module it names), else to the common module of its users. Main-graph
// initializers are the tensors with an `init` (bodies' initializers have none).
void assignParameters(const GraphIndex& g, Hierarchy& h, const ModuleCalls& calls) {
    auto lcaModule = [&](int a, int b) {
        const auto& m = h.modules;
        while (m[static_cast<std::size_t>(a)].depth > m[static_cast<std::size_t>(b)].depth)
            a = m[static_cast<std::size_t>(a)].parent;
        while (m[static_cast<std::size_t>(b)].depth > m[static_cast<std::size_t>(a)].depth)
            b = m[static_cast<std::size_t>(b)].parent;
        while (a != b)
            a = m[static_cast<std::size_t>(a)].parent, b = m[static_cast<std::size_t>(b)].parent;
        return a;
    };
    auto ownerByName = [&](std::string_view name) {
        for (std::size_t dot = name.rfind('.'); dot != std::string::npos && dot > 0;
             dot = name.rfind('.', dot - 1))
            if (int module = calls.findModule(name.substr(0, dot)); module >= 0) return module;
        return -1;
    };
    for (std::size_t t = 0; t < g.tensorCount(); ++t) {
        const TensorEntry& te = g.tensor(static_cast<int>(t));
        if (!te.init) continue;
        std::uint64_t count = 1;
        for (auto d : te.init->dims)
            count *= static_cast<std::uint64_t>(std::max<std::int64_t>(d, 0));
        int owner = ownerByName(te.name);
        if (owner < 0)
            for (int c : g.consumers(static_cast<int>(t))) {
                int m = h.assignments[static_cast<std::size_t>(c)].module;
                owner = owner < 0 ? m : lcaModule(owner, m);
            }
        if (owner < 0) owner = 0;
        h.modules[static_cast<std::size_t>(owner)].parameters += count;
    }
}

std::string segmentOf(const Module& m) {
    if (m.className.empty()) return m.name;
    const std::size_t dot = m.name.rfind('.');
    const std::string_view atom =
        dot == std::string::npos ? std::string_view(m.name) : std::string_view(m.name).substr(dot + 1);
    if (!isNumericAtom(atom)) return m.className;
    std::string segment;
    segment.reserve(m.className.size() + 1 + atom.size());
    return segment.append(m.className).append(1, '.').append(atom);
}

// Seed convention: "/" + root class, then per module its class (".N" for numeric attribute names);
// attribute names where the class is unknown; "Class[attr]" between clashing siblings.
void computePaths(Hierarchy& h) {
    auto& root = h.modules[0];
    root.name = "";
    root.path = root.className.empty() ? "/" : "/" + root.className;
    std::vector<int> stack{0};
    std::vector<std::string> segments;
    std::vector<std::size_t> order;
    // Not vector<bool>: its assign() clears all the storage ever allocated, as long as the widest parent,
    // for every module (2.3 M sidecar modules under one parent took minutes).
    std::vector<char> clash;
    while (!stack.empty()) {
        int id = stack.back();
        stack.pop_back();
        const Module& parent = h.modules[static_cast<std::size_t>(id)];
        const std::size_t count = parent.children.size();
        segments.resize(std::max(segments.size(), count));
        for (std::size_t k = 0; k < count; ++k)
            segments[k] = segmentOf(h.modules[static_cast<std::size_t>(parent.children[k])]);
        // Segments used by two or more siblings: found by sorting, not by a map per module.
        order.resize(count);
        for (std::size_t k = 0; k < count; ++k)
            order[k] = k;
        std::sort(order.begin(), order.end(),
                  [&](std::size_t a, std::size_t b) { return segments[a] < segments[b]; });
        clash.assign(count, false);
        for (std::size_t k = 1; k < count; ++k)
            if (segments[order[k]] == segments[order[k - 1]]) clash[order[k]] = clash[order[k - 1]] = true;
        const std::string_view base = parent.path == "/" ? std::string_view() : std::string_view(parent.path);
        for (std::size_t k = 0; k < count; ++k) {
            Module& child = h.modules[static_cast<std::size_t>(parent.children[k])];
            if (clash[k] && !child.className.empty()) segments[k] = child.className + "[" + child.name + "]";
            child.path.reserve(base.size() + 1 + segments[k].size());
            child.path.assign(base).append(1, '/').append(segments[k]);
            stack.push_back(parent.children[k]);
        }
    }
}

void placeEverythingAtTheRoot(Hierarchy& h) {
    for (auto& a : h.assignments) {
        a.module = 0;
        a.level = Level::Low;
        a.score = 0.1;
        a.source = Source::Fallback;
        a.reason = Reason{Reason::NoScopesInModel};
    }
}

// Siblings in the order the model runs them: by the first node of each one's subtree that stands where
// the trace met it. Modules are made in the order evidence meets them, and parameter evidence meets
// torch's Identity weight copies at the top of the graph first (an older BERT showed `layer.1` above
// `layer.0` and `encoder` above `embeddings`).
void orderSiblingsAsTheyRun(const GraphIndex& graph, Hierarchy& h) {
    constexpr int kNever = std::numeric_limits<int>::max();
    std::vector<int> first(h.modules.size(), kNever);
    for (std::size_t i = 0; i < graph.mainCount(); ++i) {
        const int node = static_cast<int>(i);
        if (!graph.inTraceOrder(node)) continue;
        int& f = first[static_cast<std::size_t>(h.assignments[i].module)];
        f = std::min(f, node);
    }
    // A module is made after its parent: backwards, every child is done before its parent.
    for (std::size_t m = h.modules.size(); m-- > 1;) {
        int& parent = first[static_cast<std::size_t>(h.modules[m].parent)];
        parent = std::min(parent, first[m]);
    }
    for (Module& module : h.modules)
        std::stable_sort(module.children.begin(), module.children.end(), [&](int a, int b) {
            return first[static_cast<std::size_t>(a)] < first[static_cast<std::size_t>(b)];
        });
}

} // namespace

namespace {

Hierarchy inferFromEvidence(const GraphIndex& graph, const Sidecar* sidecar, const Sidecar* renames) {
    Hierarchy h;
    h.modules.push_back(Module{});
    ModuleCalls calls(h.modules);
    Evidence evidence(graph, sidecar, h, calls);
    collectNameScopes(evidence);
    collectMetadata(evidence);
    evidence.materialize(); // modules of names and metadata exist before other sources attach to them
    collectSidecarClaims(evidence);
    collectEmbeddedClaims(evidence); // an embedded copy's manual tags and sidecar claims, like a sidecar's
    collectFunctions(evidence);
    collectParameters(evidence);      // after the sources it must agree with
    collectConverterScopes(evidence); // only where none of the above spoke
    collectEmbeddedRecords(evidence); // an embedded copy's record, where the file no longer says the same
    if (calls.cutEvidence())          // names and sidecar paths say which ones themselves
        h.notes.push_back("Evidence (" + std::to_string(calls.cutEvidence()) +
                          " claims) named modules deeper than " + std::to_string(kMaxModuleDepth) +
                          " levels or scopes of more than " + std::to_string(kMaxScopeAtoms) +
                          " atoms; at most those are supported, and " + "they are read to that depth.");

    h.assignments.assign(graph.size(), Assignment{});
    std::vector<int> nodeCall(graph.size(), -1), explicitNodes;
    Resolver resolver(evidence, nodeCall, explicitNodes);
    for (std::size_t i = 0; i < graph.size(); ++i)
        resolver.resolve(static_cast<int>(i));
    if (explicitNodes.empty()) {
        placeEverythingAtTheRoot(h);
    } else {
        InferenceContext context(graph, h, calls, nodeCall, explicitNodes);
        inferUnplacedNodes(context);
    }
    suggestDeeperModules(graph, h);
    if (sidecar) restoreSidecarSuggestions(*sidecar, evidence.suggestedEntries, h);
    assignParameters(graph, h, calls);
    if (renames) applyRenames(h, *renames); // after every lookup by the evidence's scopes
    orderSiblingsAsTheyRun(graph, h);
    computePaths(h);
    h.refreshModuleSummaries();
    return h;
}

} // namespace

Hierarchy inferHierarchy(const GraphIndex& graph, const Sidecar* sidecar) {
    // Modules a person renamed: the sidecar is read in the scopes the file's evidence gives them.
    if (sidecar)
        if (std::optional<Sidecar> renamed = inEvidenceScopes(*sidecar))
            return inferFromEvidence(graph, &*renamed, sidecar);
    return inferFromEvidence(graph, sidecar, nullptr);
}

} // namespace hs
