// Evidence from ONNX local functions (export_modules_as_functions=True): a call node is a module
// instance and the nodes of its body belong to it.
#include "graph/graph.h"
#include "hierarchy/evidence/evidence.h"
#include "hierarchy/scope_names.h"

#include <unordered_set>

namespace hs {
namespace {

// torch names function bodies' nodes "<Op>_<counter>" (no scope) and a call node after the last op
// inside it plus its class, so the instance's scope comes from the parameters it receives: they are
// named after their owning module ("encoder.layer.0.attention.self.query.weight").
class FunctionCalls {
public:
    explicit FunctionCalls(Evidence& ev) : ev_(ev), g_(ev.graph), isCall_(ev.graph.size(), false) {}

    void collect() {
        std::vector<int> calls;
        for (std::size_t i = 0; i < g_.size(); ++i) {
            const Node& node = g_.node(static_cast<int>(i));
            if (g_.model().findFunction(node.domain, node.opType) < 0) continue;
            calls.push_back(static_cast<int>(i));
            isCall_[i] = true;
        }
        std::vector<int> callOf(g_.size(), -1);
        // Instances are numbered parents first, so an enclosing call is resolved before its nested ones.
        for (int c : calls) {
            int owner = g_.instance(c).parent;
            int parentCall = owner >= 0 ? callOf[static_cast<std::size_t>(owner)] : -1;
            int call = instanceCall(c, parentCall);
            if (call < 0) continue;
            callOf[static_cast<std::size_t>(c)] = call;
            ev_.calls.learnClass(ev_.calls.moduleOf(call), classOf(g_.node(c)));
            claim(c, call, ClaimKind::FunctionCall, c);
            for (int child : g_.children(c))
                if (!isCall_[static_cast<std::size_t>(child)]) claim(child, call, ClaimKind::FunctionBody, c);
        }
    }

private:
    // "Linear.1" names a second body of the same class: its class is "Linear".
    static std::string classOf(const Node& node) {
        std::string className = node.opType;
        std::string base;
        int n;
        auto dot = className.rfind('.');
        if (dot != std::string::npos &&
            splitCallSuffix(className.substr(0, dot) + "_" + className.substr(dot + 1), base, n))
            className = base;
        return className;
    }

    // `callNode` is the function call that says so (the node itself, or the call of its body).
    void claim(int node, int call, ClaimKind kind, int callNode) {
        Claim c;
        c.call = call;
        c.source = Source::Function;
        c.kind = kind;
        c.ref = callNode;
        ev_.add(node, c);
    }

    // Common owner scope of the parameters a call instance receives; `has` false when it gets none.
    std::string parameterPrefix(int callNode, bool& has) const {
        std::string prefix;
        has = false;
        for (int t : g_.inputs(callNode)) {
            const TensorEntry& te = g_.tensor(t);
            if (!te.initializer) continue;
            auto dot = te.name.rfind('.');
            if (dot == std::string::npos) continue; // "onnx::MatMul_12": not a parameter name
            std::string owner(te.name.substr(0, dot));
            prefix = has ? commonAtomPrefix(prefix, owner) : owner;
            has = true;
        }
        return prefix;
    }

    // "encoder.layer.3" is an item of the list "encoder.layer".
    static bool isListItemOf(const std::string& item, const std::string& list) {
        return !list.empty() && parentScopeOf(item) == list && isNumericAtom(lastAtomOf(item));
    }

    // The module call a function call node stands for, or -1 when nothing tells.
    int instanceCall(int c, int parentCall) {
        bool hasParams = false;
        std::string prefix = parameterPrefix(c, hasParams);
        const Node& node = g_.node(c);
        ModuleCalls& calls = ev_.calls;
        if (parentCall < 0) {
            auto segments = torchNameSegments(node.name);
            if (segments && !producerWritesForeignNames(g_.model().producerName)) {
                // The name's scope is that of the last op inside the instance: the instance is the
                // deepest scope along it that owns all the parameters it receives.
                auto chain = qualifyTorchSegments(
                    *segments, [&](const std::string& s) { return calls.findModule(s) >= 0; });
                while (!chain.empty() && hasParams && !isAtomPrefix(chain.back().scope, prefix))
                    chain.pop_back();
                if (!chain.empty()) return calls.callFor(chain, {});
            }
        }
        std::string parentScope = parentCall >= 0 ? calls.scopeOf(parentCall) : "";
        std::string scope;
        if (hasParams) {
            scope = prefix;
            // A call whose nested calls own all its parameters lies strictly above them.
            bool nestedAreListItems = false, nestedOthers = false;
            for (int child : g_.children(c)) {
                if (!isCall_[static_cast<std::size_t>(child)]) continue;
                bool nestedHas = false;
                std::string nestedPrefix = parameterPrefix(child, nestedHas);
                while (nestedHas && !scope.empty() &&
                       !(isAtomPrefix(scope, nestedPrefix) && scope != nestedPrefix)) {
                    scope = std::string(parentScopeOf(scope));
                }
                if (nestedHas) (isListItemOf(nestedPrefix, scope) ? nestedAreListItems : nestedOthers) = true;
            }
            // Nested calls on the items of a list (encoder.layer.0, encoder.layer.1): the list itself runs
            // only if it is a Sequential; a ModuleList is never called, its owner (encoder) is. Above is
            // never wrong, only vaguer.
            if (nestedAreListItems && !nestedOthers && classOf(node) != "Sequential")
                scope = std::string(parentScopeOf(scope));
        }
        if (scope.empty() || !isAtomPrefix(parentScope, scope) || scope == parentScope) {
            // No parameter tells its attribute name: name it by its class under its parent.
            std::string className = node.opType.substr(0, node.opType.find('.'));
            scope = (parentScope.empty() ? "" : parentScope + ".") + className;
            int k = 0;
            while (usedScopes_.count(scope + (k ? "_" + std::to_string(k) : "")))
                ++k;
            if (k) scope += "_" + std::to_string(k);
        }
        usedScopes_.insert(scope);
        auto chain = parentCall >= 0 ? calls.chainOf(parentCall) : std::vector<ScopeStep>{};
        chain.push_back({scope, 0});
        return calls.callFor(chain, {});
    }

    Evidence& ev_;
    const GraphIndex& g_;
    std::vector<bool> isCall_;
    std::unordered_set<std::string> usedScopes_;
};

} // namespace

void collectFunctions(Evidence& ev) {
    if (ev.graph.model().functions.empty()) return;
    FunctionCalls(ev).collect();
}

} // namespace hs
