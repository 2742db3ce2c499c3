// Evidence from parameter names: a node that uses the parameter "encoder.layer.0.attention.self.query.weight"
// (directly or through weight-only ops) ran in module encoder.layer.0.attention.self.query. It is what
// older torch exports (no scope names) and ONNX Runtime's fused files keep of the module tree.
#include "hierarchy/parameters.h"
#include "graph/graph.h"
#include "hierarchy/evidence/evidence.h"
#include "hierarchy/scope_names.h"

namespace hs {
namespace {

// ONNX Runtime's contrib ops (Attention, SkipLayerNormalization, FastGelu, ...) fuse the ops of a
// module and of the modules around it: the module owning their parameters is only the innermost part.
bool isFusedOp(const Node& node, const Model& model) {
    return node.domain == "com.microsoft" && model.findFunction(node.domain, node.opType) < 0;
}

class ParameterClaims {
public:
    explicit ParameterClaims(Evidence& ev) : ev_(ev), g_(ev.graph), uses_(ev.graph) {}

    void collect() {
        for (const int node : uses_.nodesWithParameters()) {
            // A function call's parameters tell its instance (hierarchy/evidence/functions.cpp), not its own op.
            if (!g_.model().functions.empty() && isFunctionCall(node)) continue;
            bool several = false, copy = false;
            std::string_view scope; // a view into a parameter's name
            if (!ownerScope(node, scope, several, copy)) continue;
            // Most nodes of a named export: their parameters repeat their name scope (checked before
            // anything else is read of them).
            if (repeatsNameScope(node, scope)) continue;
            const bool medium = !copy && isFusedOp(g_.node(node), g_.model());
            if (medium && !fusedOpScope(scope, several)) continue;
            Claim claim;
            claim.call = callFor(node, scope, medium);
            // Where the node's name (or metadata) alone says the same, the parameter repeats it: not kept,
            // so that the one claim of 100k named nodes stays inline (CandidateList).
            if (onlyScopesAgreeWith(node, claim.call)) continue;
            claim.source = Source::Parameter;
            claim.kind = ClaimKind::Parameter;
            claim.ref = node;
            claim.medium = medium;
            ev_.add(node, claim);
        }
    }

private:
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
            if (isAtomPrefix(placed, scope) && ev_.calls.findModule(scope) < 0 && !onlyFunctionBodies(node))
                return existing;
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
};

} // namespace

void collectParameters(Evidence& ev) {
    if (producerWritesForeignNames(ev.graph.model().producerName)) return; // converter_scope's ground
    ParameterClaims(ev).collect();
}

} // namespace hs
