// Evidence from parameter names: a node that uses the parameter "encoder.layer.0.attention.self.query.weight"
// (directly or through weight-only ops) ran in module encoder.layer.0.attention.self.query, or in an
// ancestor that reaches into it: nn.MultiheadAttention runs `out_proj.weight` from its own forward and
// never calls `out_proj`. Which of them, the file decides where it can (named twins, the modules names
// show); where it cannot, the claim is medium. It is what older torch exports (no scope names) and ONNX
// Runtime's fused files keep of the module tree.
#include "hierarchy/parameters.h"
#include "graph/graph.h"
#include "hierarchy/evidence/evidence.h"
#include "hierarchy/scope_names.h"

#include <algorithm>
#include <string>
#include <unordered_map>

namespace hs {
namespace {

// ONNX Runtime's contrib ops (Attention, SkipLayerNormalization, FastGelu, ...) fuse the ops of a
// module and of the modules around it: the module owning their parameters is only the innermost part.
bool isFusedOp(const Node& node, const Model& model) {
    return node.domain == "com.microsoft" && model.findFunction(node.domain, node.opType) < 0;
}

// A parameter's role: its name with every run of digits replaced by '#', so that the same attribute in
// other instances of a block ("encoder_layer_0.self_attention.out_proj.weight" for "encoder_layer_1...")
// shares it.
std::string roleOf(std::string_view name) {
    std::string role;
    role.reserve(name.size());
    for (std::size_t i = 0; i < name.size(); ++i) {
        const bool digit = name[i] >= '0' && name[i] <= '9';
        if (!digit)
            role.push_back(name[i]);
        else if (i == 0 || name[i - 1] < '0' || name[i - 1] > '9')
            role.push_back('#');
    }
    return role;
}

std::size_t atomCount(std::string_view scope) {
    return scope.empty() ? 0 : 1 + static_cast<std::size_t>(std::count(scope.begin(), scope.end(), '.'));
}

// `scope` without its last `levels` atoms.
std::string_view dropAtoms(std::string_view scope, int levels) {
    for (int k = 0; k < levels && !scope.empty(); ++k)
        scope = parentScopeOf(scope);
    return scope;
}

// How many levels above a parameter's owner its named users ran it, over the twins of one role:
// 0 for a Linear calling itself, 1 for nn.MultiheadAttention running out_proj's weight.
struct TwinLevels {
    int fewest = -1, most = -1;
    bool undecided = false; // a named user outside the owner's ancestors: the role tells no level

    void add(int levels) {
        if (levels < 0) {
            undecided = true;
            return;
        }
        fewest = fewest < 0 ? levels : std::min(fewest, levels);
        most = std::max(most, levels);
    }
    bool decides() const { return !undecided && most >= 0; }
    bool agree() const { return fewest == most; }
};

// Where a parameter claim of a node without a name goes, and how sure it is.
struct Placement {
    std::string scope;
    bool medium = false;
    std::string suggestion; // the owner, when the claim went above it; "" for none
};

class ParameterClaims {
public:
    explicit ParameterClaims(Evidence& ev)
        : ev_(ev), g_(ev.graph), uses_(ev.graph), modulesFromNames_(ev.hierarchy.modules.size()) {}

    void collect() {
        fileHasNames_ = namesCoverTheFile();
        for (const int node : uses_.nodesWithParameters()) {
            // A function call's parameters tell its instance (hierarchy/evidence/functions.cpp), not its own
            // op.
            if (!g_.model().functions.empty() && isFunctionCall(node)) continue;
            bool several = false, copy = false;
            std::string_view scope; // a view into a parameter's name
            if (!ownerScope(node, scope, several, copy)) continue;
            // Most nodes of a named export: their parameters repeat their name scope (checked before
            // anything else is read of them).
            if (repeatsNameScope(node, scope)) continue;
            // A root "parameter" of a node its name or metadata places deeper is a constant the exporter
            // lifted out of the code (or a root parameter handed down): no claim.
            if (scope.empty() && namedCall(node) >= 0) continue;
            const bool fused = !copy && isFusedOp(g_.node(node), g_.model());
            if (fused && !fusedOpScope(scope, several)) continue;
            Claim claim;
            claim.source = Source::Parameter;
            claim.kind = ClaimKind::Parameter;
            claim.ref = node;
            if (fused || namedCall(node) >= 0 || ev_.has(node)) {
                claim.call = callFor(node, scope, fused);
                claim.medium = fused;
                // Where the node's name (or metadata) alone says the same, the parameter repeats it: not
                // kept, so that the one claim of 100k named nodes stays inline (CandidateList).
                if (onlyScopesAgreeWith(node, claim.call)) continue;
            } else {
                const Placement placed = copy ? placeCopy(scope) : placeUnnamed(node, scope);
                claim.call = ev_.calls.callForScopePath(placed.scope);
                claim.medium = placed.medium;
                if (!placed.suggestion.empty()) claim.suggest = ev_.calls.callForScopePath(placed.suggestion);
            }
            ev_.add(node, claim);
        }
    }

private:
    // Names show which modules ran code only where they cover the file: ONNX Runtime's fused GPT-2 keeps
    // one torch name (`/lm_head/MatMul`) among 39 nodes, and says nothing of the modules it does not
    // name. At least a third of the nodes that compute something named (Constants left out: optimizers
    // rename them first): a torch >= 1.13 export with some names hidden or lost.
    bool namesCoverTheFile() const {
        std::size_t named = 0, computing = 0;
        for (std::size_t i = 0; i < g_.size(); ++i) {
            const int node = static_cast<int>(i);
            if (g_.opKind(node) == OpKind::Constant) continue;
            ++computing;
            if (namedCall(node) >= 0) ++named;
        }
        return named > 0 && 3 * named >= computing;
    }

    // The call the node's name scope (or dynamo metadata) places it in; -1 when it has none or they
    // disagree.
    int namedCall(int node) const {
        int call = -1;
        for (int k = ev_.head(node); k >= 0; k = ev_.claim(k).next) {
            const Claim& c = ev_.claim(k);
            if (c.source != Source::NameScope && c.source != Source::Metadata) continue;
            if (call >= 0 && ev_.calls.moduleOf(c.call) != ev_.calls.moduleOf(call)) return -1;
            call = c.call;
        }
        return call;
    }

    // What named users say of each parameter role: how many levels above the owner they ran it. Learnt
    // when a node without a name first asks (a fully named export never does).
    void learnTwins() const {
        for (const int node : uses_.nodesWithParameters()) {
            if (uses_.isWeightOnly(node)) continue;
            const int call = namedCall(node);
            if (call < 0) continue;
            const std::string& placed = ev_.calls.scopeOf(call);
            for (int input : g_.inputs(node)) {
                const int p = uses_.parameterOf(input);
                if (p < 0 || uses_.users(p) > 1) continue;
                const std::string_view owner = uses_.ownerOf(p);
                const int levels =
                    isAtomPrefix(placed, owner) ? static_cast<int>(atomCount(owner) - atomCount(placed)) : -1;
                twins_[roleOf(g_.tensor(p).name)].add(levels);
            }
        }
    }

    // A node without a name using parameters of `owner` (their common module when several): placed at
    // the level its named twins ran that role; else at the owner when names show the owner running code,
    // high; else at the nearest ancestor names show (the owner was likely never called, as out_proj in
    // nn.MultiheadAttention or a head whose weight the model's forward reads), medium, the owner
    // suggested. With no name in the file, at the owner, medium: nothing can confirm the level.
    Placement placeUnnamed(int node, std::string_view owner) const {
        Placement placed{std::string(owner), true, {}};
        if (!fileHasNames_) return placed; // nothing in the file can confirm which level ran it
        if (placeByTwins(node, placed)) return placed;
        if (shownByNames(owner)) {
            placed.medium = false;
            return placed;
        }
        std::string_view shown = parentScopeOf(owner);
        while (!shownByNames(shown))
            shown = parentScopeOf(shown);
        placed.scope.assign(shown);
        placed.suggestion.assign(owner);
        return placed;
    }

    // Twins decide when every parameter the node alone uses has a role whose named users tell a level;
    // high when each role's twins agree, else medium at the vaguest level they show.
    bool placeByTwins(int node, Placement& placed) const {
        if (!twinsLearned_) {
            learnTwins();
            twinsLearned_ = true;
        }
        bool any = false, agree = true;
        std::string scope;
        for (int input : g_.inputs(node)) {
            const int p = uses_.parameterOf(input);
            if (p < 0 || uses_.users(p) > 1) continue;
            const auto it = twins_.find(roleOf(g_.tensor(p).name));
            if (it == twins_.end() || !it->second.decides()) return false;
            agree = agree && it->second.agree();
            const std::string_view level = dropAtoms(uses_.ownerOf(p), it->second.most);
            scope = any ? commonAtomPrefix(scope, std::string(level)) : std::string(level);
            any = true;
        }
        if (!any) return false;
        placed.scope = scope;
        placed.medium = !agree;
        placed.suggestion.clear();
        return true;
    }

    // torch's Identity copy of a weight stands at the top of the graph, outside any call: high only where
    // names show its owner running code.
    Placement placeCopy(std::string_view owner) const {
        return Placement{std::string(owner), !(fileHasNames_ && shownByNames(owner)), {}};
    }

    // A module that names, metadata, functions or a sidecar made before parameters were read.
    bool shownByNames(std::string_view scope) const {
        if (scope.empty()) return true;
        const int module = ev_.calls.findModule(scope);
        return module >= 0 && static_cast<std::size_t>(module) < modulesFromNames_;
    }

    // The module the node's own parameters name: the owner of a parameter only it uses, the common
    // module of several (`several`); false when it uses none, or only shared ones (a parameter several
    // nodes use, tied or merged by an optimizer, names no single owner). `copy`: torch's Identity copy
    // of a weight, which names the parameter it stands for.
    bool ownerScope(int node, std::string_view& scope, bool& several, bool& copy) const {
        if (uses_.isWeightOnly(node)) {
            // torch's Identity copy of an equal weight stands for the parameter it is named after; one
            // renamed ("onnx::Conv_503") stands for an unknown parameter: its input's owner is not its.
            for (int t : g_.outputs(node))
                if (uses_.parameterOf(t) == t) {
                    scope = uses_.ownerOf(t);
                    copy = true;
                    return true;
                }
            if (g_.opKind(node) == OpKind::Identity) return false;
        }
        // Views into the parameters' names: most nodes use none, and the rest one or two.
        bool any = false;
        std::string_view common, owner;
        for (int input : g_.inputs(node)) {
            const int p = uses_.parameterOf(input);
            if (p < 0 || uses_.users(p) > 1) continue;
            owner = uses_.ownerOf(p);
            several = several || (any && owner != common);
            common = any ? commonAtomPrefixView(common, owner) : owner;
            any = true;
        }
        scope = common;
        return any;
    }

    // A fused op (medium) is placed one level up from a single owner (the innermost module it fuses);
    // false when that is nothing.
    static bool fusedOpScope(std::string_view& scope, bool several) {
        if (several) return true;
        if (scope.empty()) return false;
        scope = parentScopeOf(scope);
        return true;
    }

    // Every claim so far is the node's name (or metadata) placing it in one call of module `scope`.
    bool repeatsNameScope(int node, std::string_view scope) const {
        const int first = ev_.head(node);
        if (first < 0) return false;
        const int call = ev_.claim(first).call;
        return call >= 0 && ev_.calls.scopeOf(call) == scope && onlyScopesAgreeWith(node, call);
    }

    // The common atom prefix of two scopes, as a view into the first.
    static std::string_view commonAtomPrefixView(std::string_view a, std::string_view b) {
        std::size_t n = 0, i = 0;
        while (i < a.size() && i < b.size() && a[i] == b[i]) {
            ++i;
            if ((i == a.size() || a[i] == '.') && (i == b.size() || b[i] == '.')) n = i;
        }
        return a.substr(0, n);
    }

    // Where the claim goes. Where names (or other sources) already place the node, a parameter naming
    // the same module agrees, and so does one naming a part of it that no module tree knows (the
    // ONNX Runtime GenAI builder's "q_proj.MatMul.weight" in "/model/layers.0/attn/q_proj/MatMul"), and
    // a fused op's claim (the module it lies in, `around`) containing that place; anything else is
    // claimed as it stands and shows as a conflict.
    int callFor(int node, std::string_view scope, bool around) {
        const int existing = agreedCall(node);
        if (existing >= 0) {
            const std::string& placed = ev_.calls.scopeOf(existing);
            if (placed == scope || (around && isAtomPrefix(scope, placed))) return existing;
            // A name placing the node in the owner's ancestor agrees: the ancestor ran the owner's
            // parameter from its own code (nn.MultiheadAttention and out_proj).
            if (isAtomPrefix(placed, scope) && !onlyFunctionBodies(node)) return existing;
        }
        return ev_.calls.callForScopePath(std::string(scope));
    }

    // The call every claim so far places the node in, -1 when none or they disagree.
    int agreedCall(int node) const {
        int call = -1;
        for (int k = ev_.head(node); k >= 0; k = ev_.claim(k).next) {
            const int c = ev_.claim(k).call;
            if (call >= 0 && ev_.calls.moduleOf(c) != ev_.calls.moduleOf(call)) return -1;
            call = c;
        }
        return call;
    }

    bool onlyScopesAgreeWith(int node, int call) const {
        if (ev_.head(node) < 0) return false;
        for (int k = ev_.head(node); k >= 0; k = ev_.claim(k).next) {
            const Claim& c = ev_.claim(k);
            if ((c.source != Source::NameScope && c.source != Source::Metadata) || c.call != call)
                return false;
        }
        return true;
    }

    bool isFunctionCall(int node) const {
        const Node& n = g_.node(node);
        return g_.model().findFunction(n.domain, n.opType) >= 0;
    }

    bool onlyFunctionBodies(int node) const {
        for (int k = ev_.head(node); k >= 0; k = ev_.claim(k).next)
            if (ev_.claim(k).kind != ClaimKind::FunctionBody) return false;
        return true;
    }

    Evidence& ev_;
    const GraphIndex& g_;
    ParameterUses uses_;
    const std::size_t modulesFromNames_;                        // modules made before parameters were read
    bool fileHasNames_ = false;                                 // names cover the file (namesCoverTheFile)
    mutable std::unordered_map<std::string, TwinLevels> twins_; // by parameter role
    mutable bool twinsLearned_ = false;
};

} // namespace

void collectParameters(Evidence& ev) {
    if (producerWritesForeignNames(ev.graph.model().producerName)) return; // converter_scope's ground
    ParameterClaims(ev).collect();
}

} // namespace hs
