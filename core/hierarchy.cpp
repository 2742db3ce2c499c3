#include "hierarchy.h"

#include "graph.h"
#include "scope_names.h"
#include "sidecar.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace hs {
namespace {

constexpr std::size_t kSearchLimit = 48; // nodes visited per direction when looking for evidence

// One explicit claim about a node: a chain of module calls from the root, and who says so.
struct Claim {
    std::vector<ScopeStep> chain;
    // Name scopes: one chain shared by every node of the same scope prefix.
    std::shared_ptr<const std::vector<ScopeStep>> sharedChain;
    const std::vector<ScopeStep>& steps() const { return sharedChain ? *sharedChain : chain; }
    std::vector<std::string> classes; // parallel to chain, "" when unknown
    Source source = Source::NameScope;
    std::string detail;
    bool certain = false; // a person said so (manual, restored from a sidecar)
};

// The tree of module *calls*: a module called twice has two instances. Inference reasons about
// calls (data cannot leave one call of a module and come back into the same call), the result is
// reported per module.
struct CallTree {
    struct Call {
        int parent = -1;
        int depth = 0;
        int module = 0;
        int index = 0; // which call of the module: torch's "_N" suffix
    };
    std::vector<Call> calls{Call{}};
    std::unordered_map<std::string, int> byKey{{"", 0}};

    int lca(int a, int b) const {
        while (calls[a].depth > calls[b].depth)
            a = calls[a].parent;
        while (calls[b].depth > calls[a].depth)
            b = calls[b].parent;
        while (a != b)
            a = calls[a].parent, b = calls[b].parent;
        return a;
    }
    bool isAncestorOrSelf(int ancestor, int c) const {
        while (c >= 0 && calls[c].depth > calls[ancestor].depth)
            c = calls[c].parent;
        return c == ancestor;
    }
};

bool isNumericAtom(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(),
                                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

std::string lastAtom(const std::string& name) {
    auto dot = name.rfind('.');
    return dot == std::string::npos ? name : name.substr(dot + 1);
}

// "BertLayer.0" -> "BertLayer", "Linear[query]" -> "Linear".
std::string classFromPathSegment(const std::string& segment) {
    std::string s = segment.substr(0, segment.find('['));
    auto dot = s.rfind('.');
    if (dot != std::string::npos && isNumericAtom(s.substr(dot + 1))) s = s.substr(0, dot);
    return s;
}

std::vector<std::string> splitPath(const std::string& path) {
    std::vector<std::string> parts;
    std::string current;
    int bracket = 0;
    for (char c : path) {
        if (c == '[') ++bracket;
        if (c == ']') --bracket;
        if (c == '/' && bracket == 0) {
            if (!current.empty()) parts.push_back(current);
            current.clear();
        } else {
            current += c;
        }
    }
    if (!current.empty()) parts.push_back(current);
    return parts;
}

// Module scopes with their numbers blanked ("features.#.#.block.#.#"): repeated blocks of a model
// share one, and so share the kinds of op they run.
std::string scopePattern(const std::string& scope) {
    std::string out;
    std::size_t start = 0;
    while (start <= scope.size()) {
        std::size_t dot = scope.find('.', start);
        std::string atom = scope.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        out += (out.empty() && start == 0 ? "" : ".") + (isNumericAtom(atom) ? std::string("#") : atom);
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return out;
}

const std::string* metadataValue(const Node& node, const char* key) {
    for (const auto& [k, v] : node.metadata)
        if (k == key) return &v;
    return nullptr;
}

class Builder {
public:
    Builder(const GraphIndex& graph, const Sidecar* sidecar) : g_(graph), sidecar_(sidecar) {}

    Hierarchy build() {
        h_.modules.push_back(Module{});
        claims_.resize(g_.size());
        collectNameScopes();
        collectMetadata();
        collectFunctions();
        materializeClaims(); // modules of names and metadata exist before sidecar scopes attach to them
        collectSidecar();
        resolveExplicit();
        inferRest();
        finishModules();
        return std::move(h_);
    }

private:
    // ---- modules and calls -------------------------------------------------------------------
    int moduleFor(const std::string& scope, int parentModule) {
        auto it = moduleByScope_.find(scope);
        if (it != moduleByScope_.end()) return it->second;
        int id = static_cast<int>(h_.modules.size());
        Module m;
        m.scope = scope;
        m.parent = parentModule;
        m.depth = h_.modules[static_cast<std::size_t>(parentModule)].depth + 1;
        m.name = relativeName(h_.modules[static_cast<std::size_t>(parentModule)].scope, scope);
        h_.modules.push_back(std::move(m));
        h_.modules[static_cast<std::size_t>(parentModule)].children.push_back(id);
        moduleByScope_.emplace(scope, id);
        return id;
    }

    void learnClass(int module, const std::string& className) {
        if (className.empty()) return;
        auto& m = h_.modules[static_cast<std::size_t>(module)];
        if (m.className.empty()) m.className = className;
    }

    // The call at the end of a chain, created with its ancestors as needed.
    int callFor(const std::vector<ScopeStep>& chain, const std::vector<std::string>& classes) {
        int call = 0;
        std::string key;
        for (std::size_t i = 0; i < chain.size(); ++i) {
            key += '/' + chain[i].scope + '#' + std::to_string(chain[i].call);
            auto it = calls_.byKey.find(key);
            int next;
            if (it != calls_.byKey.end()) {
                next = it->second;
            } else {
                next = static_cast<int>(calls_.calls.size());
                int parentModule = calls_.calls[static_cast<std::size_t>(call)].module;
                calls_.calls.push_back({call, calls_.calls[static_cast<std::size_t>(call)].depth + 1,
                                        moduleFor(chain[i].scope, parentModule), chain[i].call});
                calls_.byKey.emplace(key, next);
                if (chain[i].call == 0) firstCallOfScope_.emplace(chain[i].scope, next);
            }
            if (i < classes.size())
                learnClass(calls_.calls[static_cast<std::size_t>(next)].module, classes[i]);
            call = next;
        }
        return call;
    }

    // First call of a module given only its scope (sidecars): parents are the longest known
    // scope prefixes.
    int callForScope(const std::string& scope) {
        if (scope.empty()) return 0;
        auto known = firstCallOfScope_.find(scope);
        if (known != firstCallOfScope_.end()) return known->second;
        int parentCall = 0;
        for (std::size_t dot = scope.rfind('.'); dot != std::string::npos && dot > 0;
             dot = scope.rfind('.', dot - 1)) {
            auto it = firstCallOfScope_.find(scope.substr(0, dot));
            if (it != firstCallOfScope_.end()) {
                parentCall = it->second;
                break;
            }
            if (dot == 0) break;
        }
        std::vector<ScopeStep> chain;
        for (int c = parentCall; c > 0; c = calls_.calls[static_cast<std::size_t>(c)].parent)
            chain.insert(
                chain.begin(),
                ScopeStep{
                    h_.modules[static_cast<std::size_t>(calls_.calls[static_cast<std::size_t>(c)].module)]
                        .scope,
                    0});
        chain.push_back({scope, 0});
        int call = callFor(chain, {});
        firstCallOfScope_.emplace(scope, call);
        return call;
    }

    // ---- explicit evidence ---------------------------------------------------------------------
    void collectNameScopes() {
        if (producerWritesForeignNames(g_.model().producerName)) {
            h_.notes.push_back("Node names were written by " + g_.model().producerName +
                               " and are not PyTorch module scopes; nodes stay at the root unless other "
                               "evidence places them.");
            return;
        }
        // Many nodes share a scope prefix ("/encoder/layer.0/attention/self/"): parse each prefix once.
        std::unordered_map<std::string_view, int> prefixIndex;
        std::vector<std::vector<std::string>> prefixSegments;
        std::vector<int> nodePrefix(g_.size(), -1);
        std::unordered_set<std::string> literal;
        for (std::size_t i = 0; i < g_.size(); ++i) {
            const Node& node = g_.node(static_cast<int>(i));
            // torch names a function call after the last op inside it: not the instance's scope.
            if (g_.model().findFunction(node.domain, node.opType) >= 0) continue;
            std::string_view name(node.name);
            if (name.size() < 2 || name.front() != '/') continue;
            std::string_view prefix = name.substr(0, name.rfind('/') + 1);
            if (auto it = prefixIndex.find(prefix); it != prefixIndex.end()) {
                nodePrefix[i] = it->second;
                continue;
            }
            auto segments = torchNameSegments(name);
            if (!segments) continue;
            nodePrefix[i] = static_cast<int>(prefixSegments.size());
            prefixIndex.emplace(prefix, nodePrefix[i]);
            for (const auto& step : qualifyTorchSegments(*segments, nullptr))
                literal.insert(step.scope);
            prefixSegments.push_back(std::move(*segments));
        }
        // "relu_1" is a second call of "relu" when "relu" exists here, or in a repeated block of the
        // same shape (its first call's name may have been rewritten by an optimizer).
        std::unordered_set<std::string> patterns;
        for (const auto& s : literal)
            patterns.insert(scopePattern(s));
        auto known = [&](const std::string& s) {
            return literal.count(s) > 0 || patterns.count(scopePattern(s)) > 0;
        };
        std::vector<std::shared_ptr<const std::vector<ScopeStep>>> chains(prefixSegments.size());
        for (std::size_t i = 0; i < g_.size(); ++i) {
            int p = nodePrefix[i];
            if (p < 0) continue;
            auto& chain = chains[static_cast<std::size_t>(p)];
            if (!chain)
                chain = std::make_shared<const std::vector<ScopeStep>>(
                    qualifyTorchSegments(prefixSegments[static_cast<std::size_t>(p)], known));
            Claim claim;
            claim.sharedChain = chain;
            claim.source = Source::NameScope;
            claim.detail = "node name '" + g_.node(static_cast<int>(i)).name + "'";
            addClaim(static_cast<int>(i), std::move(claim));
        }
    }

    void collectMetadata() {
        for (std::size_t i = 0; i < g_.size(); ++i) {
            const Node& node = g_.node(static_cast<int>(i));
            const std::string* scopes = metadataValue(node, "pkg.torch.onnx.name_scopes");
            if (!scopes) continue;
            std::vector<std::string> names = parsePythonStringList(*scopes);
            std::vector<std::string> classes;
            if (const std::string* ch = metadataValue(node, "pkg.torch.onnx.class_hierarchy"))
                classes = parsePythonStringList(*ch);
            if (names.empty()) continue;
            // The last entry names the operation itself; the first is the root module.
            Claim claim;
            claim.source = Source::Metadata;
            claim.detail = "node metadata pkg.torch.onnx.name_scopes " + *scopes;
            // Nodes outside any module (runtime asserts, symbolic sizes) name a pseudo-scope first, not
            // the root: only a list that starts at the root ('') tells the root's class.
            std::string rootClass = names[0].empty() && !classes.empty() ? shortClassName(classes[0]) : "";
            for (std::size_t k = 1; k + 1 < names.size(); ++k) {
                if (names[k].empty() || names[k].rfind("_empty_nn_module_stack", 0) == 0) continue;
                claim.chain.push_back(ScopeStep{names[k], 0});
                claim.classes.push_back(k < classes.size() ? shortClassName(classes[k]) : "");
            }
            if (!rootClass.empty()) learnClass(0, rootClass);
            addClaim(static_cast<int>(i), std::move(claim));
        }
    }

    // Function call nodes are module instances; the bodies' nodes belong to them. The call's own
    // scope comes from its name (torch names call nodes like any other node) or its parent call.
    void collectFunctions() {
        if (g_.model().functions.empty()) return;
        for (std::size_t i = 0; i < g_.size(); ++i) {
            const Node& node = g_.node(static_cast<int>(i));
            int fn = g_.model().findFunction(node.domain, node.opType);
            if (fn < 0) continue;
            functionCalls_.push_back(static_cast<int>(i));
        }
    }

    void collectSidecar() {
        if (!sidecar_) return;
        // Path -> scope, from the file's module list and from nodes whose name scope and sidecar
        // path describe the same chain.
        std::unordered_map<std::string, std::string> pathToScope;
        for (const auto& m : sidecar_->modules) {
            pathToScope[m.path] = m.scope;
            int module = callForScope(m.scope);
            learnClass(calls_.calls[static_cast<std::size_t>(module)].module, m.className);
        }
        std::map<std::string, std::map<std::string, int>> votes;
        for (const auto& e : sidecar_->entries) {
            int i = g_.find(e.key);
            if (i < 0 || e.path.empty()) continue;
            const Claim* named = firstClaim(i, Source::NameScope);
            if (!named) named = firstClaim(i, Source::Metadata);
            if (!named) continue;
            auto parts = splitPath(e.path);
            const auto& namedChain = named->steps();
            if (parts.size() != namedChain.size() + 1) continue;
            std::string prefix;
            votes["/" + parts[0]][""]++;
            for (std::size_t k = 0; k < namedChain.size(); ++k) {
                prefix += "/" + parts[k];
                votes[prefix + "/" + parts[k + 1]][namedChain[k].scope]++;
            }
        }
        for (const auto& [path, counts] : votes) {
            auto best = std::max_element(counts.begin(), counts.end(),
                                         [](const auto& a, const auto& b) { return a.second < b.second; });
            pathToScope.emplace(path, best->first);
        }
        // Classes from paths, now that paths map to scopes.
        for (const auto& [path, scope] : pathToScope) {
            auto parts = splitPath(path);
            if (parts.empty()) continue;
            auto it = moduleByScope_.find(scope);
            int module = scope.empty() ? 0 : it != moduleByScope_.end() ? it->second : -1;
            if (module >= 0) learnClass(module, classFromPathSegment(parts.back()));
        }
        for (const auto& e : sidecar_->entries) {
            int i = g_.find(e.key);
            if (i < 0) continue;
            Level level;
            bool manual = e.source == "manual" || (parseLevel(e.level, level) && level == Level::Certain);
            Source recorded;
            // What this tool recorded from the model itself is recomputed, not re-applied as evidence;
            // what an earlier sidecar said of the node is kept beside it and applies again.
            bool recomputed = !manual && parseSource(e.source, recorded) && recorded != Source::Sidecar;
            if (recomputed && !e.hasSidecarScope) continue;
            // A sidecar's own fallback ("could not place it") is no evidence.
            if (!manual && !recomputed &&
                (e.source.find("fallback") != std::string::npos || e.level == "low"))
                continue;
            std::string scope;
            bool known = e.hasScope || e.hasSidecarScope;
            if (e.hasSidecarScope)
                scope = e.sidecarScope;
            else if (e.hasScope)
                scope = e.scope;
            else if (auto it = pathToScope.find(e.path); it != pathToScope.end())
                scope = it->second, known = true;
            Claim claim;
            claim.source = manual ? Source::Manual : Source::Sidecar;
            claim.certain = manual;
            claim.detail = std::string(manual ? "manual tag" : "sidecar") + " in " + sidecar_->filePath +
                           ": " + (e.path.empty() ? "scope '" + e.scope + "'" : "path '" + e.path + "'");
            int call = known ? callForScope(scope) : callForUnknownPath(e.path);
            claims_[static_cast<std::size_t>(i)].push_back(
                {chainOf(call), nullptr, {}, claim.source, claim.detail, manual});
            claimCalls_[static_cast<std::size_t>(i)].push_back(call);
        }
    }

    // A sidecar path that no named node explains: its modules are keyed by the path itself.
    int callForUnknownPath(const std::string& path) {
        auto parts = splitPath(path);
        std::vector<ScopeStep> chain;
        std::vector<std::string> classes;
        std::string prefix = "@";
        for (std::size_t k = 1; k < parts.size(); ++k) {
            prefix += "/" + parts[k];
            chain.push_back({prefix, 0});
            classes.push_back(classFromPathSegment(parts[k]));
        }
        return callFor(chain, classes);
    }

    std::vector<ScopeStep> chainOf(int call) const {
        std::vector<ScopeStep> chain;
        for (int c = call; c > 0; c = calls_.calls[static_cast<std::size_t>(c)].parent)
            chain.insert(
                chain.begin(),
                ScopeStep{
                    h_.modules[static_cast<std::size_t>(calls_.calls[static_cast<std::size_t>(c)].module)]
                        .scope,
                    0});
        return chain;
    }

    const Claim* firstClaim(int node, Source source) const {
        for (const auto& c : claims_[static_cast<std::size_t>(node)])
            if (c.source == source) return &c;
        return nullptr;
    }

    void addClaim(int node, Claim claim) {
        claims_[static_cast<std::size_t>(node)].push_back(std::move(claim));
    }

    // ---- resolution ------------------------------------------------------------------------------
    // Calls in graph order, so that module children follow the order of the graph.
    void materializeClaims() {
        claimCalls_.assign(g_.size(), {});
        std::unordered_map<const void*, int> callOfSharedChain;
        for (std::size_t i = 0; i < g_.size(); ++i)
            for (auto& claim : claims_[i]) {
                if (!claim.sharedChain) {
                    claimCalls_[i].push_back(callFor(claim.chain, claim.classes));
                    continue;
                }
                auto it = callOfSharedChain.find(claim.sharedChain.get());
                if (it == callOfSharedChain.end())
                    it = callOfSharedChain
                             .emplace(claim.sharedChain.get(), callFor(claim.steps(), claim.classes))
                             .first;
                claimCalls_[i].push_back(it->second);
            }
    }

    void resolveExplicit() {
        h_.assignments.assign(g_.size(), Assignment{});
        nodeCall_.assign(g_.size(), -1);
        for (std::size_t i = 0; i < g_.size(); ++i)
            resolveNode(static_cast<int>(i), claimCalls_[i]);
        resolveFunctionBodies();
    }

    void resolveNode(int i, const std::vector<int>& calls) {
        auto& claims = claims_[static_cast<std::size_t>(i)];
        if (claims.empty()) return;
        Assignment& a = h_.assignments[static_cast<std::size_t>(i)];
        for (std::size_t k = 0; k < claims.size(); ++k)
            a.candidates.push_back({calls_.calls[static_cast<std::size_t>(calls[k])].module, claims[k].source,
                                    claims[k].detail});
        // A person's word wins and is not a conflict.
        for (std::size_t k = 0; k < claims.size(); ++k)
            if (claims[k].certain) {
                setExplicit(i, calls[k], Level::Certain, 1.0, Source::Manual,
                            "Set by hand (" + claims[k].detail + ").");
                return;
            }
        std::vector<int> modules;
        for (int c : calls) {
            int m = calls_.calls[static_cast<std::size_t>(c)].module;
            if (std::find(modules.begin(), modules.end(), m) == modules.end()) modules.push_back(m);
        }
        if (modules.size() == 1) {
            double score = claims.size() > 1 ? 0.97 : claims[0].source == Source::Sidecar ? 0.85 : 0.9;
            std::string words;
            for (const auto& c : claims)
                words += (words.empty() ? "" : "; ") + c.detail;
            setExplicit(i, calls[0], Level::High, score, claims[0].source,
                        words + (claims.size() > 1 ? " (all sources agree)" : ""));
            return;
        }
        int lca = calls[0];
        for (int c : calls)
            lca = calls_.lca(lca, c);
        std::string words = "Conflicting explicit evidence:";
        for (std::size_t k = 0; k < claims.size(); ++k)
            words += " " + claims[k].detail + " says '" +
                     h_.modules[static_cast<std::size_t>(a.candidates[k].module)].scope + "';";
        words += " placed at their common ancestor until someone decides.";
        setExplicit(i, lca, Level::Low, 0.2, claims[0].source, words);
        a.conflict = true;
    }

    void setExplicit(int i, int call, Level level, double score, Source source, std::string evidence) {
        Assignment& a = h_.assignments[static_cast<std::size_t>(i)];
        a.module = calls_.calls[static_cast<std::size_t>(call)].module;
        a.level = level;
        a.score = score;
        a.source = source;
        a.evidence = std::move(evidence);
        nodeCall_[static_cast<std::size_t>(i)] = call;
        explicit_.push_back(i);
    }

    // ---- local functions ---------------------------------------------------------------------------
    // torch names function bodies' nodes "<Op>_<counter>" (no scope) and a call node after the last op
    // inside it plus its class, so the instance's scope comes from the parameters it receives: they
    // are named after their owning module ("encoder.layer.0.attention.self.query.weight").
    static std::string commonAtomPrefix(const std::string& a, const std::string& b) {
        std::size_t n = 0, i = 0;
        while (i < a.size() && i < b.size() && a[i] == b[i]) {
            ++i;
            if ((i == a.size() || a[i] == '.') && (i == b.size() || b[i] == '.')) n = i;
        }
        return a.substr(0, n);
    }

    static bool isAtomPrefix(const std::string& prefix, const std::string& scope) {
        return prefix.empty() || scope == prefix ||
               (scope.size() > prefix.size() && scope.compare(0, prefix.size(), prefix) == 0 &&
                scope[prefix.size()] == '.');
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
            std::string owner = te.name.substr(0, dot);
            prefix = has ? commonAtomPrefix(prefix, owner) : owner;
            has = true;
        }
        return prefix;
    }

    std::vector<int> nestedCalls(int callNode) const {
        std::vector<int> result;
        for (int child : g_.children(callNode))
            if (isFunctionCall_[static_cast<std::size_t>(child)]) result.push_back(child);
        return result;
    }

    void resolveFunctionBodies() {
        isFunctionCall_.assign(g_.size(), false);
        for (int c : functionCalls_)
            isFunctionCall_[static_cast<std::size_t>(c)] = true;
        std::vector<int> callOf(g_.size(), -1);
        // Instances are numbered parents first, so an enclosing call is resolved before its nested ones.
        for (int c : functionCalls_) {
            int owner = g_.instance(c).parent;
            int parentCall = owner >= 0 ? callOf[static_cast<std::size_t>(owner)] : -1;
            int call = functionInstanceCall(c, parentCall);
            if (call < 0) continue;
            callOf[static_cast<std::size_t>(c)] = call;
            const Node& node = g_.node(c);
            std::string className = node.opType;
            std::string base;
            int n;
            auto dot = className.rfind('.');
            if (dot != std::string::npos &&
                splitCallSuffix(className.substr(0, dot) + "_" + className.substr(dot + 1), base, n))
                className = base; // "Linear.1": a second body of the same class
            learnClass(calls_.calls[static_cast<std::size_t>(call)].module, className);
            std::string detail =
                "call of local function " + node.domain + "::" + node.opType + " ('" + g_.key(c) + "')";
            placeByFunction(c, call, detail);
            for (int child : g_.children(c)) {
                if (placedExplicitly(child) || isFunctionCall_[static_cast<std::size_t>(child)]) continue;
                placeByFunction(child, call,
                                "body of local function " + node.domain + "::" + node.opType +
                                    " called by '" + g_.key(c) + "'");
            }
        }
    }

    bool placedExplicitly(int i) const { return nodeCall_[static_cast<std::size_t>(i)] >= 0; }

    void placeByFunction(int i, int call, const std::string& detail) {
        if (placedExplicitly(i) && !claims_[static_cast<std::size_t>(i)].empty()) {
            // Named too: agreement raises nothing, disagreement is a conflict like any other.
            int named = calls_.calls[static_cast<std::size_t>(nodeCall_[static_cast<std::size_t>(i)])].module;
            if (named == calls_.calls[static_cast<std::size_t>(call)].module) return;
        }
        auto& a = h_.assignments[static_cast<std::size_t>(i)];
        a.candidates.push_back(
            {calls_.calls[static_cast<std::size_t>(call)].module, Source::Function, detail});
        if (placedExplicitly(i)) {
            std::vector<int> callsOfClaims = claimCalls_[static_cast<std::size_t>(i)];
            callsOfClaims.push_back(call);
            a.candidates.clear();
            explicit_.erase(std::remove(explicit_.begin(), explicit_.end(), i), explicit_.end());
            claims_[static_cast<std::size_t>(i)].push_back(
                {chainOf(call), nullptr, {}, Source::Function, detail, false});
            resolveNode(i, callsOfClaims);
            return;
        }
        setExplicit(i, call, Level::High, 0.9, Source::Function, detail + ".");
    }

    // The module call a function call node stands for, or -1 when nothing tells.
    int functionInstanceCall(int c, int parentCall) {
        bool hasParams = false;
        std::string prefix = parameterPrefix(c, hasParams);
        const Node& node = g_.node(c);
        if (parentCall < 0) {
            auto segments = torchNameSegments(node.name);
            if (segments && !producerWritesForeignNames(g_.model().producerName)) {
                // The name's scope is that of the last op inside the instance: the instance is the
                // deepest scope along it that owns all the parameters it receives.
                auto chain = qualifyTorchSegments(
                    *segments, [&](const std::string& s) { return moduleByScope_.count(s) > 0; });
                while (!chain.empty() && hasParams && !isAtomPrefix(chain.back().scope, prefix))
                    chain.pop_back();
                if (!chain.empty()) return callFor(chain, {});
            }
        }
        std::string parentScope = parentCall >= 0 ? scopeOfCall(parentCall) : "";
        std::string scope;
        if (hasParams) {
            scope = prefix;
            // A call whose nested calls own all its parameters lies strictly above them.
            for (int nested : nestedCalls(c)) {
                bool nestedHas = false;
                std::string nestedPrefix = parameterPrefix(nested, nestedHas);
                while (nestedHas && !scope.empty() &&
                       !(isAtomPrefix(scope, nestedPrefix) && scope != nestedPrefix)) {
                    auto dot = scope.rfind('.');
                    scope = dot == std::string::npos ? std::string() : scope.substr(0, dot);
                }
            }
        }
        if (scope.empty() || !isAtomPrefix(parentScope, scope) || scope == parentScope) {
            // No parameter tells its attribute name: name it by its class under its parent.
            std::string className = node.opType.substr(0, node.opType.find('.'));
            scope = (parentScope.empty() ? "" : parentScope + ".") + className;
            int k = 0;
            while (usedFunctionScopes_.count(scope + (k ? "_" + std::to_string(k) : "")))
                ++k;
            if (k) scope += "_" + std::to_string(k);
        }
        usedFunctionScopes_.insert(scope);
        auto chain = parentCall >= 0 ? chainWithCalls(parentCall) : std::vector<ScopeStep>{};
        chain.push_back({scope, 0});
        return callFor(chain, {});
    }

    std::string scopeOfCall(int call) const {
        return h_.modules[static_cast<std::size_t>(calls_.calls[static_cast<std::size_t>(call)].module)]
            .scope;
    }

    std::vector<ScopeStep> chainWithCalls(int call) const {
        std::vector<ScopeStep> chain;
        for (int c = call; c > 0; c = calls_.calls[static_cast<std::size_t>(c)].parent)
            chain.insert(chain.begin(),
                         ScopeStep{scopeOfCall(c), calls_.calls[static_cast<std::size_t>(c)].index});
        return chain;
    }

    // ---- inference -------------------------------------------------------------------------------
    // Explicitly placed nodes reached from `start` through unplaced ones, upstream or downstream.
    // Graph inputs and outputs count as the root. `complete` is false when the search was cut.
    void nearestPlaced(int start, bool upstream, std::vector<std::pair<int, int>>& found, bool& complete) {
        complete = true;
        std::vector<int> frontier{start};
        std::vector<int> seen{start}; // at most kSearchLimit entries: a vector beats a hash set here
        while (!frontier.empty()) {
            int n = frontier.back();
            frontier.pop_back();
            auto step = [&](int next) {
                if (std::find(seen.begin(), seen.end(), next) != seen.end()) return;
                seen.push_back(next);
                if (seen.size() > kSearchLimit) {
                    complete = false;
                    return;
                }
                int c = nodeCall_[static_cast<std::size_t>(next)];
                if (c >= 0 && placedExplicitly_[static_cast<std::size_t>(next)])
                    found.push_back({c, next});
                else
                    frontier.push_back(next);
            };
            if (upstream) {
                for (int t : g_.inputs(n)) {
                    const TensorEntry& te = g_.tensor(t);
                    if (te.producer >= 0)
                        step(te.producer);
                    else if (te.graphInput)
                        found.push_back({0, -1});
                }
            } else {
                for (int t : g_.outputs(n)) {
                    const TensorEntry& te = g_.tensor(t);
                    if (te.graphOutput) found.push_back({0, -1});
                    for (int c : te.consumers)
                        step(c);
                }
            }
            if (!complete) return;
        }
    }

    void inferRest() {
        placedExplicitly_.assign(g_.size(), false);
        for (int i : explicit_)
            placedExplicitly_[static_cast<std::size_t>(i)] = true;
        if (explicit_.empty()) {
            for (auto& a : h_.assignments) {
                a.module = 0;
                a.level = Level::Low;
                a.score = 0.1;
                a.source = Source::Fallback;
                a.evidence =
                    "The model carries no module scopes (no torch-scoped names, scope metadata or local "
                    "functions, and no sidecar): every node stays at the root.";
            }
            return;
        }
        // Parents (If/Loop bodies, function calls) before children: a body node's owner is a bound.
        // Pass 1 places every node at its safe bound; pass 2 refines with all neighbours placed.
        bounds_.assign(g_.size(), Bound{});
        for (std::size_t i = 0; i < g_.size(); ++i)
            if (!placedExplicitly_[i]) inferNode(static_cast<int>(i), false);
        for (int pass = 0; pass < 2; ++pass) // a second refinement lets chains of helpers follow each other
            for (std::size_t i = 0; i < g_.size(); ++i)
                if (!placedExplicitly_[i]) inferNode(static_cast<int>(i), true);
    }

    // An initializer, or torch's Identity copy of one (it deduplicates equal weights and names the
    // copy after the parameter it stands for: "encoder.layer.1.output.LayerNorm.bias").
    bool isParameter(const TensorEntry& te) const {
        if (te.initializer) return true;
        if (te.producer < 0 || g_.node(te.producer).opType != "Identity") return false;
        const auto& in = g_.inputs(te.producer);
        return in.size() == 1 && g_.tensor(in[0]).initializer;
    }

    bool isConstantValue(const TensorEntry& te) const {
        return isParameter(te) || (te.producer >= 0 && g_.node(te.producer).opType == "Constant");
    }

    // The module owning a parameter this node alone consumes ("...key.bias" -> "...key"), or -1.
    int parameterOwnerCall(int i) const {
        for (int t : g_.inputs(i)) {
            const TensorEntry& te = g_.tensor(t);
            if (!isParameter(te) || te.consumers.size() != 1)
                continue; // shared or tied weights prove nothing
            auto dot = te.name.rfind('.');
            if (dot == std::string::npos) continue;
            auto it = firstCallOfScope_.find(te.name.substr(0, dot));
            if (it != firstCallOfScope_.end()) return it->second;
        }
        return -1;
    }

    // torch exports a Linear as MatMul with its weight pre-transposed and folded into an initializer
    // named "onnx::MatMul_<n>", then Add with "<module>.bias": such a MatMul, feeding only that Add,
    // belongs to the Add's module.
    int foldedWeightOwnerCall(int i) const {
        bool folded = false;
        for (int t : g_.inputs(i)) {
            const TensorEntry& te = g_.tensor(t);
            if (te.initializer && te.consumers.size() == 1 && te.name.rfind("onnx::", 0) == 0) folded = true;
        }
        std::vector<int> consumers = g_.consumersOf(i);
        if (!folded || consumers.size() != 1) return -1;
        for (int t : g_.outputs(i))
            if (g_.tensor(t).graphOutput) return -1;
        return parameterOwnerCall(consumers[0]);
    }

    // Every computed input of node i comes from a MatMul on a folded weight of module `call`.
    bool inputsFromFoldedWeightsOf(int i, int call) const {
        bool any = false;
        for (int t : g_.inputs(i)) {
            const TensorEntry& te = g_.tensor(t);
            if (te.initializer) continue;
            if (te.producer < 0 || foldedWeightOwnerCall(te.producer) != call) return false;
            any = true;
        }
        return any;
    }

    std::string describe(int call) const {
        const std::string& s =
            h_.modules[static_cast<std::size_t>(calls_.calls[static_cast<std::size_t>(call)].module)].scope;
        return s.empty() ? "the root" : "'" + s + "'";
    }

    std::string nodeLabel(int n) const { return n < 0 ? "a graph input/output" : "'" + g_.key(n) + "'"; }

    // torch marks only the innermost module of a repeated call ("block.0_1" while "block" keeps its
    // name), so when either side reaches their common module through a repeated call, that module
    // may itself have been called twice: the bound is only its parent.
    int widenForRepeatedCalls(int lca, int a, int b) const {
        if (lca == 0) return lca;
        for (int side : {a, b})
            for (int c = side; c != lca; c = calls_.calls[static_cast<std::size_t>(c)].parent)
                if (calls_.calls[static_cast<std::size_t>(c)].index > 0)
                    return calls_.calls[static_cast<std::size_t>(lca)].parent;
        return lca;
    }

    // Execution order bound: torch writes nodes in trace order, so the nearest placed nodes before
    // and after a node in its graph were traced while the same call stack was active around it.
    int orderBound(int i) const {
        const NodeInstance& inst = g_.instance(i);
        int first = i - inst.node,
            last = first +
                   static_cast<int>(g_.model().graphs[static_cast<std::size_t>(inst.graph)].nodes.size());
        int before = -1, after = -1;
        for (int k = i - 1; k >= first && before < 0; --k)
            if (placedExplicitly_[static_cast<std::size_t>(k)])
                before = nodeCall_[static_cast<std::size_t>(k)];
        for (int k = i + 1; k < last && after < 0; ++k)
            if (placedExplicitly_[static_cast<std::size_t>(k)])
                after = nodeCall_[static_cast<std::size_t>(k)];
        if (before < 0 || after < 0) return 0;
        return widenForRepeatedCalls(calls_.lca(before, after), before, after);
    }

    // The nearest placed nodes before and after node i in its graph.
    std::vector<int> orderNeighbours(int i) const {
        const NodeInstance& inst = g_.instance(i);
        int first = i - inst.node,
            last = first +
                   static_cast<int>(g_.model().graphs[static_cast<std::size_t>(inst.graph)].nodes.size());
        std::vector<int> result;
        for (int k = i - 1; k >= first; --k)
            if (nodeCall_[static_cast<std::size_t>(k)] >= 0) {
                result.push_back(k);
                break;
            }
        for (int k = i + 1; k < last; ++k)
            if (nodeCall_[static_cast<std::size_t>(k)] >= 0) {
                result.push_back(k);
                break;
            }
        return result;
    }

    bool runsOpType(int module, const std::string& opType) const {
        if (opTypesByPattern_.empty())
            for (int n : explicit_)
                opTypesByPattern_[scopePattern(
                                      h_.modules[static_cast<std::size_t>(
                                                     h_.assignments[static_cast<std::size_t>(n)].module)]
                                          .scope)]
                    .insert(g_.node(n).opType);
        auto it = opTypesByPattern_.find(scopePattern(h_.modules[static_cast<std::size_t>(module)].scope));
        return it != opTypesByPattern_.end() && it->second.count(opType) > 0;
    }

    int deeper(int a, int b) const {
        if (a < 0) return b;
        if (b < 0) return a;
        return calls_.calls[static_cast<std::size_t>(a)].depth >=
                       calls_.calls[static_cast<std::size_t>(b)].depth
                   ? a
                   : b;
    }

    int moduleOfCall(int call) const { return calls_.calls[static_cast<std::size_t>(call)].module; }

    int activationInputs(int i) const {
        int n = 0;
        for (int t : g_.inputs(i))
            if (!isConstantValue(g_.tensor(t))) ++n;
        return n;
    }

    int distance(int a, int b) const {
        int l = calls_.lca(a, b);
        return calls_.calls[static_cast<std::size_t>(a)].depth +
               calls_.calls[static_cast<std::size_t>(b)].depth -
               2 * calls_.calls[static_cast<std::size_t>(l)].depth;
    }

    // How many module boundaries node i's tensors would cross if it lived in `call`: per tensor, the
    // distance in the module tree to the nearest placed node already holding it (its producer or
    // another consumer for inputs, a consumer for outputs). Modules do not pass tensors in and out
    // without need, so the cheapest placement is the likeliest.
    int crossings(int i, int call, bool inputsOnly = false) const {
        auto nearest = [&](int t, bool input) {
            const TensorEntry& te = g_.tensor(t);
            int best = -1;
            auto consider = [&](int node) {
                int c = node < 0 ? 0 : nodeCall_[static_cast<std::size_t>(node)];
                if (c < 0 || node == i) return;
                int d = distance(call, c);
                if (best < 0 || d < best) best = d;
            };
            if (input) {
                if (te.producer >= 0)
                    consider(te.producer);
                else if (te.graphInput)
                    consider(-1);
            } else if (te.graphOutput) {
                consider(-1);
            }
            for (int c : te.consumers)
                consider(c);
            return std::max(best, 0);
        };
        int cost = 0;
        for (int t : g_.inputs(i)) // weights and constants go wherever their user is
            if (!isConstantValue(g_.tensor(t))) cost += nearest(t, true);
        if (inputsOnly) return cost;
        for (int t : g_.outputs(i))
            cost += nearest(t, false);
        return cost;
    }

    // What pass 1 learns of a node, kept for the refinement passes: it depends on explicit nodes only.
    struct Bound {
        int call = -1;               // deepest module the node certainly lies inside, -1 when none
        std::string why;             // how we know
        std::vector<int> neighbours; // calls of the nearest explicitly placed nodes up and down
        bool complete = true;        // the search for them was not cut short
    };

    Bound computeBound(int i) {
        std::vector<std::pair<int, int>> up, down;
        bool upComplete, downComplete;
        nearestPlaced(i, true, up, upComplete);
        nearestPlaced(i, false, down, downComplete);
        // Bounds: modules the node certainly lies inside. Each (producer, consumer) pair is one (data
        // that leaves one call of a module cannot come back into that same call), the owner of a body
        // is one, and so is the common call of its neighbours in execution order.
        Bound b;
        b.complete = upComplete && downComplete;
        int bound = -1;
        std::pair<int, int> pair{-1, -1};
        for (const auto& p : up)
            for (const auto& c : down) {
                int l = widenForRepeatedCalls(calls_.lca(p.first, c.first), p.first, c.first);
                if (deeper(bound, l) == l && l != bound) bound = l, pair = {p.second, c.second};
            }
        if (bound >= 0)
            b.why =
                "it sits on the data path from " + nodeLabel(pair.first) + " to " + nodeLabel(pair.second);
        int owner = g_.instance(i).parent;
        int ownerCall = owner >= 0 ? nodeCall_[static_cast<std::size_t>(owner)] : -1;
        if (ownerCall >= 0 && deeper(bound, ownerCall) == ownerCall && ownerCall != bound) {
            bound = ownerCall;
            b.why = "it runs inside " + nodeLabel(owner);
        }
        int order = orderBound(i);
        if (deeper(bound, order) == order && order != bound) {
            bound = order;
            b.why = "the nodes traced just before and after it share that module";
        }
        b.call = bound;
        for (const auto& p : up)
            b.neighbours.push_back(p.first);
        for (const auto& c : down)
            b.neighbours.push_back(c.first);
        return b;
    }

    void inferNode(int i, bool refine) {
        Assignment& a = h_.assignments[static_cast<std::size_t>(i)];
        a.source = Source::Inferred;
        if (!refine) bounds_[static_cast<std::size_t>(i)] = computeBound(i);
        const Bound& b = bounds_[static_cast<std::size_t>(i)];
        int bound = b.call;
        const std::string& why = b.why;
        const std::vector<int>& all = b.neighbours;
        // Guesses deeper than the bound come only from nodes that are both its data neighbours and its
        // neighbours in execution order (torch emits an op's helpers right before it).
        std::vector<int> candidates;
        int nextConsumerCall = -1;
        int ownerOfParameter = refine ? parameterOwnerCall(i) : -1;
        if (ownerOfParameter >= 0) candidates.push_back(ownerOfParameter);
        int ownerOfBias = refine ? foldedWeightOwnerCall(i) : -1;
        if (ownerOfBias >= 0) candidates.push_back(ownerOfBias);
        // Where another user of its input sits (x.size() beside x.view() in the same module): taken
        // only at no crossing cost, like any refinement.
        if (refine)
            for (int t : g_.inputs(i))
                if (!isConstantValue(g_.tensor(t)))
                    for (int c : g_.tensor(t).consumers)
                        if (c != i && placedExplicitly_[static_cast<std::size_t>(c)])
                            candidates.push_back(nodeCall_[static_cast<std::size_t>(c)]);
        if (refine) {
            const std::vector<int> producers = g_.producersOf(i), consumers = g_.consumersOf(i);
            auto among = [](const std::vector<int>& nodes, int k) {
                return std::find(nodes.begin(), nodes.end(), k) != nodes.end();
            };
            for (int k : orderNeighbours(i)) {
                const bool consumer = among(consumers, k);
                if (consumer || among(producers, k))
                    candidates.push_back(nodeCall_[static_cast<std::size_t>(k)]);
                if (k > i && consumer) nextConsumerCall = nodeCall_[static_cast<std::size_t>(k)];
            }
        }
        if (bound < 0) {
            placeWithoutBound(i, all, b.complete);
            return;
        }
        // Within the bound, the module of a neighbour (or one of its ancestors below the bound) that
        // keeps the fewest tensors crossing module boundaries; the bound itself on a tie.
        int best = bound, bestCost = crossings(i, bound);
        for (int c : candidates) {
            for (int k = c; k != bound && k > 0; k = calls_.calls[static_cast<std::size_t>(k)].parent) {
                if (!calls_.isAncestorOrSelf(bound, k)) break;
                // Only into a module known to run this kind of op: a one-op module whose op was
                // renamed has vanished from the tree, and its op must not fall into a neighbour.
                // (Constants are exempt: torch creates them at the op that uses them.)
                // Parameters name their module, so those candidates need no such proof.
                bool namedByParameter = k == ownerOfParameter || k == ownerOfBias;
                if (g_.node(i).opType != "Constant" && !namedByParameter &&
                    !runsOpType(moduleOfCall(k), g_.node(i).opType))
                    continue;
                // ... and only where its tensors already are: placing a node where its inputs would have
                // to be passed in is how a renamed last op of one block lands in the next, and placing
                // it where its result must be passed out is how "x = block(x); relu(x)" lands in block.
                // A node using a parameter of that module, or combining two or more tensors that are all
                // there (x * sigmoid(x) of a SiLU), only needs its inputs there.
                int cost = crossings(i, k);
                bool inputsThere = crossings(i, k, true) == 0;
                bool combinesThere = inputsThere && activationInputs(i) >= 2;
                bool feedsItsBias = k == ownerOfBias;
                bool biasOfItsMatMul = k == ownerOfParameter && inputsFromFoldedWeightsOf(i, k);
                if (cost > 0 && !(inputsThere && (k == ownerOfParameter || combinesThere)) && !feedsItsBias &&
                    !biasOfItsMatMul)
                    continue;
                // On a tie, the module of the consumer traced right after it (torch emits in
                // execution order, an op right before the next op of its module).
                if (feedsItsBias || biasOfItsMatMul || cost < bestCost ||
                    (cost == bestCost && (k == nextConsumerCall || k == ownerOfParameter || combinesThere))) {
                    best = k;
                    bestCost = cost;
                }
            }
        }
        bool agree = !all.empty() && std::all_of(all.begin(), all.end(), [&](int c) {
            return moduleOfCall(c) == moduleOfCall(best);
        });
        a.module = moduleOfCall(best);
        a.level = Level::Medium;
        a.score = agree ? 0.75 : best == bound ? 0.6 : 0.5;
        nodeCall_[static_cast<std::size_t>(i)] = best;
        a.evidence = "No scope of its own. It lies inside " + describe(bound) + ": " + why + ".";
        if (best != bound)
            a.evidence +=
                " Placed in " + describe(best) + ", where its tensors cross the fewest module boundaries.";
    }

    void placeWithoutBound(int i, const std::vector<int>& all, bool complete) {
        Assignment& a = h_.assignments[static_cast<std::size_t>(i)];
        if (!all.empty() && complete) {
            int l = all[0];
            for (int c : all)
                l = calls_.lca(l, c);
            a.module = moduleOfCall(l);
            nodeCall_[static_cast<std::size_t>(i)] = l;
            a.level = Level::Low;
            a.score = 0.35;
            a.evidence =
                "No scope of its own; placed at the deepest common module of the nodes it is connected to, " +
                describe(l) + ".";
            return;
        }
        a.module = 0;
        a.level = Level::Low;
        a.score = 0.1;
        a.source = Source::Fallback;
        nodeCall_[static_cast<std::size_t>(i)] = 0;
        a.evidence = "No scope of its own and no placed node nearby to infer from: left at the root.";
    }

    // ---- module summaries ------------------------------------------------------------------------
    void finishModules() {
        assignParameters();
        computePaths();
        h_.refreshModuleSummaries();
    }

    void assignParameters() {
        const Model& model = g_.model();
        for (const auto& init : model.main().initializers) {
            std::uint64_t count = 1;
            for (auto d : init.dims)
                count *= static_cast<std::uint64_t>(std::max<std::int64_t>(d, 0));
            int owner = ownerByName(init.name);
            if (owner < 0) {
                int t = g_.findTensor(init.name);
                if (t >= 0) {
                    for (int c : g_.tensor(t).consumers) {
                        int m = h_.assignments[static_cast<std::size_t>(c)].module;
                        owner = owner < 0 ? m : lcaModule(owner, m);
                    }
                }
            }
            if (owner < 0) owner = 0;
            h_.modules[static_cast<std::size_t>(owner)].parameters += count;
        }
    }

    int ownerByName(const std::string& name) const {
        for (std::size_t dot = name.rfind('.'); dot != std::string::npos && dot > 0;
             dot = name.rfind('.', dot - 1)) {
            auto it = moduleByScope_.find(name.substr(0, dot));
            if (it != moduleByScope_.end()) return it->second;
        }
        return -1;
    }

    int lcaModule(int a, int b) const {
        const auto& m = h_.modules;
        while (m[static_cast<std::size_t>(a)].depth > m[static_cast<std::size_t>(b)].depth)
            a = m[static_cast<std::size_t>(a)].parent;
        while (m[static_cast<std::size_t>(b)].depth > m[static_cast<std::size_t>(a)].depth)
            b = m[static_cast<std::size_t>(b)].parent;
        while (a != b)
            a = m[static_cast<std::size_t>(a)].parent, b = m[static_cast<std::size_t>(b)].parent;
        return a;
    }

    // Seed convention: "/" + root class, then per module its class (".N" for numeric attribute
    // names); attribute names where the class is unknown; "Class[attr]" between clashing siblings.
    void computePaths() {
        auto& root = h_.modules[0];
        root.name = "";
        root.path = root.className.empty() ? "/" : "/" + root.className;
        std::vector<int> stack{0};
        while (!stack.empty()) {
            int id = stack.back();
            stack.pop_back();
            const Module& parent = h_.modules[static_cast<std::size_t>(id)];
            std::map<std::string, int> uses;
            std::vector<std::string> segments;
            for (int child : parent.children) {
                segments.push_back(segmentOf(h_.modules[static_cast<std::size_t>(child)]));
                ++uses[segments.back()];
            }
            std::string base = parent.path == "/" ? "" : parent.path;
            for (std::size_t k = 0; k < parent.children.size(); ++k) {
                Module& child = h_.modules[static_cast<std::size_t>(parent.children[k])];
                std::string segment = segments[k];
                if (uses[segment] > 1 && !child.className.empty())
                    segment = child.className + "[" + child.name + "]";
                child.path = base + "/" + segment;
                stack.push_back(parent.children[k]);
            }
        }
    }

    static std::string segmentOf(const Module& m) {
        if (m.className.empty()) return m.name;
        std::string atom = lastAtom(m.name);
        return isNumericAtom(atom) ? m.className + "." + atom : m.className;
    }

    const GraphIndex& g_;
    const Sidecar* sidecar_;
    Hierarchy h_;
    CallTree calls_;
    std::unordered_map<std::string, int> moduleByScope_{{"", 0}};
    std::unordered_map<std::string, int> firstCallOfScope_;
    std::vector<std::vector<Claim>> claims_;
    std::vector<std::vector<int>> claimCalls_;
    std::vector<Bound> bounds_;
    std::vector<int> nodeCall_;
    std::vector<int> explicit_;
    std::vector<bool> placedExplicitly_;
    mutable std::unordered_map<std::string, std::unordered_set<std::string>> opTypesByPattern_;
    std::vector<int> functionCalls_;
    std::vector<bool> isFunctionCall_;
    std::unordered_set<std::string> usedFunctionScopes_;
};

} // namespace

Hierarchy inferHierarchy(const GraphIndex& graph, const Sidecar* sidecar) {
    return Builder(graph, sidecar).build();
}

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
    for (auto& m : modules) {
        m.nodes.clear();
        m.totalNodes = 0;
        m.totalParameters = m.parameters;
        m.lowestLevel = Level::Certain;
        m.uncertainNodes = 0;
    }
    for (std::size_t i = 0; i < assignments.size(); ++i) {
        const Assignment& a = assignments[i];
        modules[static_cast<std::size_t>(a.module)].nodes.push_back(static_cast<int>(i));
        bool uncertain = a.level == Level::Low || a.conflict;
        for (int m = a.module; m >= 0; m = modules[static_cast<std::size_t>(m)].parent) {
            Module& mod = modules[static_cast<std::size_t>(m)];
            ++mod.totalNodes;
            if (a.level > mod.lowestLevel) mod.lowestLevel = a.level;
            if (uncertain) ++mod.uncertainNodes;
        }
    }
    // Parameters roll up children first: modules are created parent before child.
    for (std::size_t m = modules.size(); m-- > 1;)
        modules[static_cast<std::size_t>(modules[m].parent)].totalParameters += modules[m].totalParameters;
}

void Hierarchy::assignManually(int node, int module) {
    Assignment& a = assignments[static_cast<std::size_t>(node)];
    if (a.source != Source::Manual)
        a.candidates.push_back(
            {a.module, a.source, std::string("before the manual tag: ") + sourceName(a.source)});
    a.module = module;
    a.level = Level::Certain;
    a.score = 1.0;
    a.source = Source::Manual;
    a.conflict = false;
    a.evidence = "Set by hand.";
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
    case Source::Sidecar:
        return "sidecar";
    case Source::Inferred:
        return "inferred";
    case Source::Fallback:
        return "fallback";
    }
    return "fallback";
}

bool parseLevel(const std::string& text, Level& level) {
    for (Level l : {Level::Certain, Level::High, Level::Medium, Level::Low})
        if (text == levelName(l)) return level = l, true;
    return false;
}

bool parseSource(const std::string& text, Source& source) {
    for (Source s : {Source::Manual, Source::Metadata, Source::Function, Source::NameScope, Source::Sidecar,
                     Source::Inferred, Source::Fallback})
        if (text == sourceName(s)) return source = s, true;
    return false;
}

} // namespace hs
