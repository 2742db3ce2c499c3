#include "hierarchy.h"

#include "graph.h"
#include "scope_names.h"
#include "sidecar.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <functional>
#include <map>
#include <unordered_map>
#include <unordered_set>

namespace hs {
namespace {

constexpr std::size_t kSearchLimit = 48; // nodes visited per direction when looking for evidence

// One explicit claim about a node: a module call, and who says so. Claims of a node form a list
// threaded through one pool (`next`), so that 100k named nodes cost no allocation each.
struct Claim {
    int chain = -1; // names and metadata: index of the pending chain, until calls are created
    int call = -1;
    Source source = Source::NameScope;
    ClaimKind kind = ClaimKind::NodeName;
    int ref = -1;
    bool certain = false; // a person said so (manual, restored from a sidecar)
    int next = -1;        // the node's next claim
};

// One step of a chain of module calls from the root, as names and metadata state it, linked to the
// step before it: node names of one scope prefix ("/encoder/layer.0/attention/") share one chain, and
// prefixes share their parents' steps.
struct PendingChain {
    int parent = -1; // the step before, -1 when this is the first below the root
    ScopeStep step;
    std::string className; // "" when unknown
    int call = -1;         // once created
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
    struct Key {
        int parent, module, index;
        bool operator==(const Key& o) const {
            return parent == o.parent && module == o.module && index == o.index;
        }
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const {
            std::uint64_t h = static_cast<std::uint32_t>(k.parent);
            h = h * 0x9E3779B97F4A7C15ull ^ static_cast<std::uint32_t>(k.module);
            h = h * 0x9E3779B97F4A7C15ull ^ static_cast<std::uint32_t>(k.index);
            return static_cast<std::size_t>(h ^ (h >> 29));
        }
    };
    std::vector<Call> calls{Call{}};
    std::unordered_map<Key, int, KeyHash> byKey; // (parent call, module, index) -> call

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

bool isNumericAtom(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(),
                                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
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
        firstClaim_.assign(g_.size(), -1);
        lastClaim_.assign(g_.size(), -1);
        claims_.reserve(g_.size());
        collectNameScopes();
        collectMetadata();
        collectFunctions();
        h_.modules.reserve(h_.modules.size() + chains_.size());
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
        int known = findModule(scope);
        if (known >= 0) return known;
        int id = static_cast<int>(h_.modules.size());
        Module m;
        m.scope = scope;
        m.parent = parentModule;
        m.depth = h_.modules[static_cast<std::size_t>(parentModule)].depth + 1;
        m.name = relativeName(h_.modules[static_cast<std::size_t>(parentModule)].scope, scope);
        h_.modules.push_back(std::move(m));
        h_.modules[static_cast<std::size_t>(parentModule)].children.push_back(id);
        scopeKeys_.push_back(scope);
        moduleByScope_.emplace(std::string_view(scopeKeys_.back()), id);
        firstCallOfModule_.push_back(-1);
        return id;
    }

    int findModule(std::string_view scope) const {
        auto it = moduleByScope_.find(scope);
        return it == moduleByScope_.end() ? -1 : it->second;
    }

    // The first call of the module of that scope (call index 0), -1 when there is none.
    int firstCallOf(std::string_view scope) const {
        int module = findModule(scope);
        return module < 0 ? -1 : firstCallOfModule_[static_cast<std::size_t>(module)];
    }

    void learnClass(int module, const std::string& className) {
        if (className.empty()) return;
        auto& m = h_.modules[static_cast<std::size_t>(module)];
        if (m.className.empty()) m.className = className;
    }

    // The call at the end of a chain, created with its ancestors as needed.
    int callFor(const std::vector<ScopeStep>& chain, const std::vector<std::string>& classes) {
        static const std::string unknown;
        int call = 0;
        for (std::size_t i = 0; i < chain.size(); ++i)
            call = callStep(call, chain[i], i < classes.size() ? classes[i] : unknown);
        return call;
    }

    // The call of `step` inside call `parent`, created as needed.
    int callStep(int parent, const ScopeStep& step, const std::string& className) {
        const int parentModule = calls_.calls[static_cast<std::size_t>(parent)].module;
        const int module = moduleFor(step.scope, parentModule);
        const CallTree::Key key{parent, module, step.call};
        auto it = calls_.byKey.find(key);
        int call;
        if (it != calls_.byKey.end()) {
            call = it->second;
        } else {
            call = static_cast<int>(calls_.calls.size());
            calls_.calls.push_back(
                {parent, calls_.calls[static_cast<std::size_t>(parent)].depth + 1, module, step.call});
            calls_.byKey.emplace(key, call);
            if (step.call == 0 && firstCallOfModule_[static_cast<std::size_t>(module)] < 0)
                firstCallOfModule_[static_cast<std::size_t>(module)] = call;
        }
        learnClass(module, className);
        return call;
    }

    // First call of a module given only its scope (sidecars): parents are the longest known
    // scope prefixes.
    int callForScope(const std::string& scope) {
        if (scope.empty()) return 0;
        if (int known = firstCallOf(scope); known >= 0) return known;
        int parentCall = 0;
        for (std::size_t dot = scope.rfind('.'); dot != std::string::npos && dot > 0;
             dot = scope.rfind('.', dot - 1)) {
            if (int call = firstCallOf(std::string_view(scope).substr(0, dot)); call >= 0) {
                parentCall = call;
                break;
            }
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
        return callFor(chain, {});
    }

    // ---- explicit evidence ---------------------------------------------------------------------
    void collectNameScopes() {
        if (producerWritesForeignNames(g_.model().producerName)) {
            h_.notes.push_back("Node names were written by " + g_.model().producerName +
                               " and are not PyTorch module scopes; nodes stay at the root unless other "
                               "evidence places them.");
            return;
        }
        // Many nodes share a scope prefix ("/encoder/layer.0/attention/self/"), and prefixes share
        // their parents: each segment is qualified once, after its parent prefix.
        prefixes_.assign(1, NamePrefix{});
        prefixIndex_.clear();
        prefixIndex_.emplace(std::string_view("/"), 0);
        std::vector<int> nodePrefix(g_.size(), -1);
        std::string_view lastPrefix;
        int lastIndex = -1;
        constexpr std::size_t kAhead = 8;
        for (std::size_t i = 0; i < g_.size(); ++i) {
            // Names live wherever the loader allocated them: ask for the next ones early.
            if (i + kAhead < g_.size()) __builtin_prefetch(g_.node(static_cast<int>(i + kAhead)).name.data());
            const Node& node = g_.node(static_cast<int>(i));
            // torch names a function call after the last op inside it: not the instance's scope.
            if (!g_.model().functions.empty() && g_.model().findFunction(node.domain, node.opType) >= 0)
                continue;
            std::string_view name(node.name);
            if (name.size() < 2 || name.front() != '/' || name.back() == '/') continue;
            std::string_view prefix = name.substr(0, name.rfind('/') + 1);
            // Neighbours in graph order mostly share their prefix: compare before hashing.
            if (prefix != lastPrefix) lastPrefix = prefix, lastIndex = prefixFor(prefix);
            nodePrefix[i] = lastIndex;
        }
        // "relu_1" is a second call of "relu" when "relu" exists here, or in a repeated block of the
        // same shape (its first call's name may have been rewritten by an optimizer).
        std::unordered_set<std::string> literal, patterns;
        const std::function<bool(const std::string&)> known = [&](const std::string& s) {
            if (literal.empty())
                for (std::size_t p = 1; p < prefixes_.size(); ++p) {
                    literal.insert(prefixes_[p].literal);
                    patterns.insert(scopePattern(prefixes_[p].literal));
                }
            return literal.count(s) > 0 || patterns.count(scopePattern(s)) > 0;
        };
        for (std::size_t i = 0; i < g_.size(); ++i) {
            if (nodePrefix[i] < 0) continue;
            Claim claim;
            claim.chain = chainOfPrefix(nodePrefix[i], known);
            if (claim.chain < 0) claim.call = 0; // "/Add": the root
            claim.source = Source::NameScope;
            claim.kind = ClaimKind::NodeName;
            claim.ref = static_cast<int>(i);
            addClaim(static_cast<int>(i), claim);
        }
    }

    // One scope prefix of node names, "/.../" ("/" is the root): its own segment after its parent's.
    struct NamePrefix {
        int parent = -1;
        std::string segment;
        std::string literal; // the prefix's scope with every "_N" read literally
        int chain = -1;      // its chain, once qualified
    };

    // Index of a prefix ("/encoder/layer.0/"), created with its parents; -1 when it is no torch scope
    // path (an empty segment: "//").
    int prefixFor(std::string_view prefix) {
        if (auto it = prefixIndex_.find(prefix); it != prefixIndex_.end()) return it->second;
        const std::size_t cut = prefix.rfind('/', prefix.size() - 2);
        const std::string_view segment = prefix.substr(cut + 1, prefix.size() - cut - 2);
        if (segment.empty()) return -1;
        const int parent = prefixFor(prefix.substr(0, cut + 1));
        if (parent < 0) return -1;
        NamePrefix p;
        p.parent = parent;
        p.segment = std::string(segment);
        p.literal =
            qualifyTorchSegment(prefixes_[static_cast<std::size_t>(parent)].literal, p.segment, nullptr)
                .scope;
        const int index = static_cast<int>(prefixes_.size());
        prefixes_.push_back(std::move(p));
        prefixIndex_.emplace(prefix, index);
        return index;
    }

    // The chain a prefix states, qualified with `known` scopes; -1 for the root.
    int chainOfPrefix(int prefix, const std::function<bool(const std::string&)>& known) {
        if (prefix == 0) return -1;
        if (prefixes_[static_cast<std::size_t>(prefix)].chain >= 0)
            return prefixes_[static_cast<std::size_t>(prefix)].chain;
        const int parentChain = chainOfPrefix(prefixes_[static_cast<std::size_t>(prefix)].parent, known);
        static const std::string root;
        const std::string& parentScope =
            parentChain < 0 ? root : chains_[static_cast<std::size_t>(parentChain)].step.scope;
        const NamePrefix& p = prefixes_[static_cast<std::size_t>(prefix)];
        PendingChain chain;
        chain.parent = parentChain;
        // Read literally unless a "_N" suffix may name a repeated call, or the parent's was one.
        const bool literal = p.segment.find('_') == std::string::npos &&
                             parentScope == prefixes_[static_cast<std::size_t>(p.parent)].literal;
        chain.step = literal ? ScopeStep{p.literal, 0} : qualifyTorchSegment(parentScope, p.segment, known);
        const int index = static_cast<int>(chains_.size());
        chains_.push_back(std::move(chain));
        return prefixes_[static_cast<std::size_t>(prefix)].chain = index;
    }

    // The steps of a chain from the root.
    std::vector<ScopeStep> stepsOf(int chain) const {
        std::vector<ScopeStep> steps;
        for (int k = chain; k >= 0; k = chains_[static_cast<std::size_t>(k)].parent)
            steps.insert(steps.begin(), chains_[static_cast<std::size_t>(k)].step);
        return steps;
    }

    void collectMetadata() {
        if (g_.model().nodesWithMetadata == 0) return; // the common case: not a dynamo export
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
                chain = static_cast<int>(chains_.size());
                chains_.push_back(std::move(step));
            }
            if (!rootClass.empty()) learnClass(0, rootClass);
            Claim claim;
            claim.chain = chain;
            if (chain < 0) claim.call = 0;
            claim.source = Source::Metadata;
            claim.kind = ClaimKind::NodeMetadata;
            claim.ref = static_cast<int>(i);
            addClaim(static_cast<int>(i), claim);
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
            const auto namedChain = stepsOf(named->chain);
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
            int module = scope.empty() ? 0 : findModule(scope);
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
            if (e.hasSidecarScope && !manual) // a manual tag is the node's scope; the claim beside it is not
                scope = e.sidecarScope;
            else if (e.hasScope)
                scope = e.scope;
            else if (auto it = pathToScope.find(e.path); it != pathToScope.end())
                scope = it->second, known = true;
            Claim claim;
            claim.source = manual ? Source::Manual : Source::Sidecar;
            claim.certain = manual;
            claim.kind = ClaimKind::Text;
            claim.ref = static_cast<int>(h_.texts.size());
            h_.texts.push_back(std::string(manual ? "manual tag" : "sidecar") + " in " + sidecar_->filePath +
                               ": " + (e.path.empty() ? "scope '" + e.scope + "'" : "path '" + e.path + "'"));
            claim.call = known ? callForScope(scope) : callForUnknownPath(e.path);
            addClaim(i, claim);
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

    const Claim* firstClaim(int node, Source source) const {
        for (int k = firstClaim_[static_cast<std::size_t>(node)]; k >= 0;
             k = claims_[static_cast<std::size_t>(k)].next)
            if (claims_[static_cast<std::size_t>(k)].source == source)
                return &claims_[static_cast<std::size_t>(k)];
        return nullptr;
    }

    void addClaim(int node, Claim claim) {
        const int k = static_cast<int>(claims_.size());
        claim.next = -1;
        claims_.push_back(claim);
        int& last = lastClaim_[static_cast<std::size_t>(node)];
        if (last >= 0)
            claims_[static_cast<std::size_t>(last)].next = k;
        else
            firstClaim_[static_cast<std::size_t>(node)] = k;
        last = k;
    }

    bool hasClaims(int node) const { return firstClaim_[static_cast<std::size_t>(node)] >= 0; }

    // ---- resolution ------------------------------------------------------------------------------
    // Calls in graph order, so that module children follow the order of the graph.
    void materializeClaims() {
        for (std::size_t i = 0; i < g_.size(); ++i)
            for (int k = firstClaim_[i]; k >= 0; k = claims_[static_cast<std::size_t>(k)].next) {
                Claim& claim = claims_[static_cast<std::size_t>(k)];
                if (claim.chain >= 0) claim.call = callOfChain(claim.chain);
            }
    }

    int callOfChain(int chain) {
        if (chains_[static_cast<std::size_t>(chain)].call >= 0)
            return chains_[static_cast<std::size_t>(chain)].call;
        const int parent = chains_[static_cast<std::size_t>(chain)].parent;
        const int parentCall = parent < 0 ? 0 : callOfChain(parent);
        const PendingChain& c = chains_[static_cast<std::size_t>(chain)];
        return chains_[static_cast<std::size_t>(chain)].call = callStep(parentCall, c.step, c.className);
    }

    void resolveExplicit() {
        h_.assignments.assign(g_.size(), Assignment{});
        nodeCall_.assign(g_.size(), -1);
        for (std::size_t i = 0; i < g_.size(); ++i)
            resolveNode(static_cast<int>(i));
        resolveFunctionBodies();
    }

    void resolveNode(int i) {
        int first = firstClaim_[static_cast<std::size_t>(i)];
        if (first < 0) return;
        Assignment& a = h_.assignments[static_cast<std::size_t>(i)];
        const Claim& head = claims_[static_cast<std::size_t>(first)];
        bool oneModule = true;
        int lca = head.call;
        for (int k = first; k >= 0; k = claims_[static_cast<std::size_t>(k)].next) {
            const Claim& c = claims_[static_cast<std::size_t>(k)];
            a.candidates.push_back({moduleOfCall(c.call), c.source, c.kind, c.ref});
            oneModule = oneModule && moduleOfCall(c.call) == moduleOfCall(head.call);
            lca = calls_.lca(lca, c.call);
        }
        // A person's word wins and is not a conflict.
        for (int k = first, n = 0; k >= 0; k = claims_[static_cast<std::size_t>(k)].next, ++n)
            if (claims_[static_cast<std::size_t>(k)].certain) {
                setExplicit(i, claims_[static_cast<std::size_t>(k)].call, Level::Certain, 1.0, Source::Manual,
                            Reason{Reason::ClaimedByHand, Reason::DataPath, 0, n, -1});
                return;
            }
        const bool several = a.candidates.size() > 1;
        if (oneModule) {
            double score = several ? 0.97 : head.source == Source::Sidecar ? 0.85 : 0.9;
            setExplicit(i, head.call, Level::High, score, head.source, Reason{Reason::Claims});
            return;
        }
        setExplicit(i, lca, Level::Low, 0.2, head.source, Reason{Reason::Conflict});
        a.conflict = true;
    }

    void setExplicit(int i, int call, Level level, double score, Source source, Reason reason) {
        Assignment& a = h_.assignments[static_cast<std::size_t>(i)];
        a.module = calls_.calls[static_cast<std::size_t>(call)].module;
        a.level = level;
        a.score = score;
        a.source = source;
        a.reason = reason;
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
            placeByFunction(c, call, ClaimKind::FunctionCall, c);
            for (int child : g_.children(c)) {
                if (placedExplicitly(child) || isFunctionCall_[static_cast<std::size_t>(child)]) continue;
                placeByFunction(child, call, ClaimKind::FunctionBody, c);
            }
        }
    }

    bool placedExplicitly(int i) const { return nodeCall_[static_cast<std::size_t>(i)] >= 0; }

    // `callNode` is the function call that says so (the node itself, or the call of its body).
    void placeByFunction(int i, int call, ClaimKind kind, int callNode) {
        if (placedExplicitly(i) && hasClaims(i)) {
            // Named too: agreement raises nothing, disagreement is a conflict like any other.
            if (moduleOfCall(nodeCall_[static_cast<std::size_t>(i)]) == moduleOfCall(call)) return;
        }
        auto& a = h_.assignments[static_cast<std::size_t>(i)];
        if (placedExplicitly(i)) {
            a.candidates.clear();
            explicit_.erase(std::remove(explicit_.begin(), explicit_.end(), i), explicit_.end());
            Claim claim;
            claim.call = call;
            claim.source = Source::Function;
            claim.kind = kind;
            claim.ref = callNode;
            addClaim(i, claim);
            resolveNode(i);
            return;
        }
        a.candidates.push_back({moduleOfCall(call), Source::Function, kind, callNode});
        setExplicit(i, call, Level::High, 0.9, Source::Function,
                    Reason{Reason::OneClaim, Reason::DataPath, 0, static_cast<int>(a.candidates.size()) - 1});
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
                auto chain =
                    qualifyTorchSegments(*segments, [&](const std::string& s) { return findModule(s) >= 0; });
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
    // Explicitly placed nodes reached from `start` through unplaced ones, upstream or downstream, as
    // (call, node) pairs appended to `found`. Graph inputs and outputs count as the root (node -1).
    // `complete` is false when the search was cut.
    void nearestPlaced(int start, bool upstream, std::vector<std::pair<int, int>>& found, bool& complete) {
        complete = true;
        std::vector<int>& frontier = frontierScratch_;
        std::vector<int>& seen = seenScratch_; // at most kSearchLimit entries: a vector beats a hash set
        frontier.assign(1, start);
        seen.assign(1, start);
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
                    for (int c : g_.consumers(t))
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
                a.reason = Reason{Reason::NoScopesInModel};
            }
            return;
        }
        // Parents (If/Loop bodies, function calls) before children: a body node's owner is a bound.
        // Pass 1 places every node at its safe bound; pass 2 refines with all neighbours placed.
        std::vector<int> inferred;
        for (std::size_t i = 0; i < g_.size(); ++i)
            if (!placedExplicitly_[i]) inferred.push_back(static_cast<int>(i));
        bounds_.assign(inferred.size(), Bound{}); // parallel to `inferred`
        nodeKinds_.assign(g_.size(), NodeKind::Unknown);
        for (std::size_t k = 0; k < inferred.size(); ++k)
            inferNode(inferred[k], bounds_[k], false);
        for (int pass = 0; pass < 2; ++pass) // a second refinement lets chains of helpers follow each other
            for (std::size_t k = 0; k < inferred.size(); ++k)
                inferNode(inferred[k], bounds_[k], true);
    }

    // An initializer, or torch's Identity copy of one (it deduplicates equal weights and names the
    // copy after the parameter it stands for: "encoder.layer.1.output.LayerNorm.bias").
    bool isParameter(const TensorEntry& te) const {
        if (te.initializer) return true;
        if (te.producer < 0 || kindOf(te.producer) != NodeKind::Identity) return false;
        const auto& in = g_.inputs(te.producer);
        return in.size() == 1 && g_.tensor(in[0]).initializer;
    }

    bool isConstantValue(const TensorEntry& te) const {
        return isParameter(te) || (te.producer >= 0 && kindOf(te.producer) == NodeKind::Constant);
    }

    // Op types inference asks about, read once per node rather than compared as strings each time.
    enum class NodeKind : char { Unknown, Constant, Identity, Other };
    NodeKind kindOf(int i) const {
        NodeKind& kind = nodeKinds_[static_cast<std::size_t>(i)];
        if (kind == NodeKind::Unknown) {
            const std::string& op = g_.node(i).opType;
            kind = op == "Constant"   ? NodeKind::Constant
                   : op == "Identity" ? NodeKind::Identity
                                      : NodeKind::Other;
        }
        return kind;
    }

    // The module owning a parameter this node alone consumes ("...key.bias" -> "...key"), or -1.
    int parameterOwnerCall(int i) const {
        for (int t : g_.inputs(i)) {
            const TensorEntry& te = g_.tensor(t);
            if (!isParameter(te) || g_.consumers(t).size() != 1)
                continue; // shared or tied weights prove nothing
            auto dot = te.name.rfind('.');
            if (dot == std::string::npos) continue;
            if (int call = firstCallOf(std::string_view(te.name).substr(0, dot)); call >= 0) return call;
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
            if (te.initializer && g_.consumers(t).size() == 1 && te.name.rfind("onnx::", 0) == 0)
                folded = true;
        }
        if (!folded) return -1;
        int consumer = soleConsumer(i);
        if (consumer < 0) return -1;
        for (int t : g_.outputs(i))
            if (g_.tensor(t).graphOutput) return -1;
        return parameterOwnerCall(consumer);
    }

    // The one node consuming node i's results, or -1 when none or several do.
    int soleConsumer(int i) const {
        int only = -1;
        for (int t : g_.outputs(i))
            for (int c : g_.consumers(t)) {
                if (c == i || c == only) continue;
                if (only >= 0) return -1;
                only = c;
            }
        return only;
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

    // The nearest placed nodes before and after node i in its graph (-1 where there is none).
    std::pair<int, int> orderNeighbours(int i) const {
        const NodeInstance& inst = g_.instance(i);
        int first = i - inst.node,
            last = first +
                   static_cast<int>(g_.model().graphs[static_cast<std::size_t>(inst.graph)].nodes.size());
        std::pair<int, int> result{-1, -1};
        for (int k = i - 1; k >= first; --k)
            if (nodeCall_[static_cast<std::size_t>(k)] >= 0) {
                result.first = k;
                break;
            }
        for (int k = i + 1; k < last; ++k)
            if (nodeCall_[static_cast<std::size_t>(k)] >= 0) {
                result.second = k;
                break;
            }
        return result;
    }

    bool runsOpType(int module, const std::string& opType) const {
        if (patternOfModule_.empty()) {
            patternOfModule_.assign(h_.modules.size(), kPatternUnknown);
            for (int n : explicit_) {
                int p = patternOf(h_.assignments[static_cast<std::size_t>(n)].module, true);
                opTypesOfPattern_[static_cast<std::size_t>(p)].insert(g_.node(n).opType);
            }
        }
        int p = patternOf(module, false);
        return p >= 0 && opTypesOfPattern_[static_cast<std::size_t>(p)].count(opType) > 0;
    }

    // Index of the module's scope pattern among those of explicitly placed nodes (-1: none of them
    // has it), created when `add`. Cached per module: patterns are strings.
    int patternOf(int module, bool add) const {
        int& cached = patternOfModule_[static_cast<std::size_t>(module)];
        if (cached != kPatternUnknown && (cached >= 0 || !add)) return cached;
        std::string pattern = scopePattern(h_.modules[static_cast<std::size_t>(module)].scope);
        auto it = patternIds_.find(pattern);
        if (it == patternIds_.end()) {
            if (!add) return cached = -1;
            it = patternIds_.emplace(std::move(pattern), static_cast<int>(opTypesOfPattern_.size())).first;
            opTypesOfPattern_.emplace_back();
        }
        return cached = it->second;
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
            for (int c : g_.consumers(t))
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

    // ---- analogy with repeated module instances ---------------------------------------------------
    // Repeated blocks (encoder.layer.0, encoder.layer.1) run the same ops in the same submodules. A
    // node whose bound is one instance goes where a named node of the same shape, its twin, sits in
    // another instance, when its named neighbours sit where the twin's neighbours predict. Cheap
    // necessary conditions come first: on a 100k-node model few nodes get to the twin search.

    static constexpr int kTwinInstances = 4; // other instances searched: the nearest in graph order

    bool namedAndClear(int n) const {
        return n >= 0 && placedExplicitly_[static_cast<std::size_t>(n)] &&
               !h_.assignments[static_cast<std::size_t>(n)].conflict;
    }

    // The call below `best` where node i sits by analogy with a named twin in another instance of
    // the bound's module pattern, or -1; `twin` receives the twin deciding it.
    int analogousCall(int i, int bound, int best, int& twin) {
        if (bound < 0 || h_.modules[static_cast<std::size_t>(moduleOfCall(best))].children.empty()) return -1;
        // The proof needs a named neighbour inside the twin's position, which lies below `best`.
        if (!hasNamedNeighbourBelow(i, best)) return -1;
        const std::vector<int>& instances = instancesLike(bound);
        if (instances.size() < 2) return -1; // nothing to compare with
        const std::string shape = shapeSignature(i);
        std::string position;
        int twinNode = -1, twinInstance = -1;
        for (int instance : nearestInstances(instances, bound)) {
            if (moduleOfCall(instance) == moduleOfCall(bound)) continue; // another call of the same module
            for (int y : explicitNodesUnder(instance)) {
                if (g_.node(y).opType != g_.node(i).opType || !namedAndClear(y) ||
                    g_.inputs(y).size() != g_.inputs(i).size() ||
                    g_.outputs(y).size() != g_.outputs(i).size() || shapeSignature(y) != shape)
                    continue;
                std::vector<std::string> checked;
                if (!neighboursAgree(i, bound, y, instance, checked)) continue;
                std::string rel = relativePosition(nodeCall_[static_cast<std::size_t>(y)], instance);
                // Proof needs a named neighbour inside that module on both sides: being connected only to
                // what lies outside it, a node could as well be a sibling module's twin (key beside value).
                bool inside = std::any_of(checked.begin(), checked.end(), [&](const std::string& r) {
                    return r.compare(0, rel.size(), rel) == 0 &&
                           (r.size() == rel.size() || r[rel.size()] == '/');
                });
                if (!inside) continue;
                if (twinNode >= 0 && rel != position) return -1; // proven twins disagree
                if (twinNode < 0) twinNode = y, twinInstance = instance, position = rel;
            }
        }
        if (twinNode < 0 || position.empty()) return -1;
        const int call = sameCallBelow(bound, nodeCall_[static_cast<std::size_t>(twinNode)], twinInstance);
        if (call < 0 || call == best || !calls_.isAncestorOrSelf(best, call)) return -1;
        twin = twinNode;
        return call;
    }

    bool hasNamedNeighbourBelow(int i, int call) const {
        auto below = [&](int n) {
            if (!namedAndClear(n)) return false;
            int c = nodeCall_[static_cast<std::size_t>(n)];
            return c != call && calls_.isAncestorOrSelf(call, c);
        };
        for (int t : g_.inputs(i))
            if (below(g_.tensor(t).producer)) return true;
        for (int t : g_.outputs(i))
            for (int c : g_.consumers(t))
                if (below(c)) return true;
        return false;
    }

    // The calls whose modules share the scope pattern of call c's module, at its depth, in graph order.
    const std::vector<int>& instancesLike(int c) {
        if (instancesOfPattern_.empty()) {
            std::unordered_map<std::string, int> ids;
            patternIdOfCall_.assign(calls_.calls.size(), -1);
            for (std::size_t k = 1; k < calls_.calls.size(); ++k) {
                std::string pattern =
                    std::to_string(calls_.calls[k].depth) + ":" +
                    scopePattern(h_.modules[static_cast<std::size_t>(calls_.calls[k].module)].scope);
                auto it = ids.emplace(std::move(pattern), static_cast<int>(ids.size())).first;
                if (static_cast<std::size_t>(it->second) == instancesOfPattern_.size())
                    instancesOfPattern_.emplace_back();
                instancesOfPattern_[static_cast<std::size_t>(it->second)].push_back(static_cast<int>(k));
                patternIdOfCall_[k] = it->second;
            }
        }
        static const std::vector<int> none;
        const int id = c > 0 ? patternIdOfCall_[static_cast<std::size_t>(c)] : -1;
        return id < 0 ? none : instancesOfPattern_[static_cast<std::size_t>(id)];
    }

    // Up to kTwinInstances other instances, the nearest to `c` in the order the calls were created.
    std::vector<int> nearestInstances(const std::vector<int>& instances, int c) const {
        const auto at = std::lower_bound(instances.begin(), instances.end(), c);
        std::vector<int> nearest;
        auto before = at, after = at != instances.end() && *at == c ? at + 1 : at;
        while (static_cast<int>(nearest.size()) < kTwinInstances &&
               (before != instances.begin() || after != instances.end())) {
            if (before != instances.begin()) nearest.push_back(*--before);
            if (after != instances.end() && static_cast<int>(nearest.size()) < kTwinInstances)
                nearest.push_back(*after++);
        }
        return nearest;
    }

    // Explicitly placed nodes in call c and the calls below it.
    std::vector<int> explicitNodesUnder(int c) {
        if (explicitByCall_.empty()) {
            // Calls' children and explicit nodes per call, as offsets into flat lists (built once).
            childCallStart_.assign(calls_.calls.size() + 1, 0);
            for (std::size_t k = 1; k < calls_.calls.size(); ++k)
                ++childCallStart_[static_cast<std::size_t>(calls_.calls[k].parent) + 1];
            explicitStart_.assign(calls_.calls.size() + 1, 0);
            for (int n : explicit_)
                ++explicitStart_[static_cast<std::size_t>(nodeCall_[static_cast<std::size_t>(n)]) + 1];
            for (std::size_t k = 1; k <= calls_.calls.size(); ++k) {
                childCallStart_[k] += childCallStart_[k - 1];
                explicitStart_[k] += explicitStart_[k - 1];
            }
            childCalls_.resize(calls_.calls.size());
            explicitByCall_.resize(explicit_.size());
            std::vector<int> fill(childCallStart_.begin(), childCallStart_.end() - 1);
            for (std::size_t k = 1; k < calls_.calls.size(); ++k)
                childCalls_[static_cast<std::size_t>(
                    fill[static_cast<std::size_t>(calls_.calls[k].parent)]++)] = static_cast<int>(k);
            fill.assign(explicitStart_.begin(), explicitStart_.end() - 1);
            for (int n : explicit_)
                explicitByCall_[static_cast<std::size_t>(
                    fill[static_cast<std::size_t>(nodeCall_[static_cast<std::size_t>(n)])]++)] = n;
        }
        std::vector<int> nodes, stack{c};
        while (!stack.empty()) {
            int k = stack.back();
            stack.pop_back();
            for (int j = explicitStart_[static_cast<std::size_t>(k)];
                 j < explicitStart_[static_cast<std::size_t>(k) + 1]; ++j)
                nodes.push_back(explicitByCall_[static_cast<std::size_t>(j)]);
            for (int j = childCallStart_[static_cast<std::size_t>(k)];
                 j < childCallStart_[static_cast<std::size_t>(k) + 1]; ++j)
                stack.push_back(childCalls_[static_cast<std::size_t>(j)]);
        }
        return nodes;
    }

    // The call below `base` at the position `c` has below `instance`: same module names, same call
    // numbers; -1 when this instance has no such module.
    int sameCallBelow(int base, int c, int instance) const {
        std::vector<int> chain;
        for (int k = c; k != instance; k = calls_.calls[static_cast<std::size_t>(k)].parent)
            chain.insert(chain.begin(), k);
        int call = base;
        for (int k : chain) {
            const std::string& name = h_.modules[static_cast<std::size_t>(moduleOfCall(k))].name;
            int next = -1;
            for (int child : h_.modules[static_cast<std::size_t>(moduleOfCall(call))].children)
                if (h_.modules[static_cast<std::size_t>(child)].name == name) next = child;
            if (next < 0) return -1;
            auto it =
                calls_.byKey.find(CallTree::Key{call, next, calls_.calls[static_cast<std::size_t>(k)].index});
            if (it == calls_.byKey.end()) return -1;
            call = it->second;
        }
        return call;
    }

    // Where call c lies below call `base`: module names and call numbers down from it; "^" outside.
    std::string relativePosition(int c, int base) const {
        if (c < 0 || !calls_.isAncestorOrSelf(base, c)) return "^";
        std::string rel;
        for (int k = c; k != base; k = calls_.calls[static_cast<std::size_t>(k)].parent)
            rel = "/" + h_.modules[static_cast<std::size_t>(moduleOfCall(k))].name + "#" +
                  std::to_string(calls_.calls[static_cast<std::size_t>(k)].index) + rel;
        return rel;
    }

    // The node's shape, without names: op type, per input what produces it, per output the kinds of
    // its users.
    std::string shapeSignature(int i) const {
        std::string s = g_.node(i).opType + "(";
        for (int t : g_.inputs(i)) {
            const TensorEntry& te = g_.tensor(t);
            if (isConstantValue(te)) {
                s += "c,";
            } else if (te.producer < 0) {
                s += te.graphInput ? "in," : "?,";
            } else {
                const auto& outs = g_.outputs(te.producer);
                s += g_.node(te.producer).opType + ":" +
                     std::to_string(std::find(outs.begin(), outs.end(), t) - outs.begin()) + ",";
            }
        }
        s += ")->";
        for (int t : g_.outputs(i)) {
            const TensorEntry& te = g_.tensor(t);
            std::vector<std::string> users;
            for (int c : g_.consumers(t))
                users.push_back(consumerKey(c, t));
            std::sort(users.begin(), users.end());
            s += te.graphOutput ? "[out," : "[";
            for (const auto& u : users)
                s += u + ",";
            s += "]";
        }
        return s;
    }

    std::string consumerKey(int c, int t) const {
        const auto& ins = g_.inputs(c);
        return g_.node(c).opType + ":" + std::to_string(std::find(ins.begin(), ins.end(), t) - ins.begin());
    }

    // Whether the named neighbours of x (bound `bx`) and of y (instance `by`) agree on their positions
    // relative to the instances: none contradicts. `checked` receives the positions of neighbours
    // named on both sides (a neighbour named on one side only confirms nothing).
    bool neighboursAgree(int x, int bx, int y, int by, std::vector<std::string>& checked) const {
        const auto& inX = g_.inputs(x);
        const auto& inY = g_.inputs(y);
        for (std::size_t k = 0; k < inX.size(); ++k) {
            int px = g_.tensor(inX[k]).producer, py = g_.tensor(inY[k]).producer;
            if (!namedAndClear(px) || !namedAndClear(py)) continue;
            std::string rel = relativePosition(nodeCall_[static_cast<std::size_t>(px)], bx);
            if (rel != relativePosition(nodeCall_[static_cast<std::size_t>(py)], by)) return false;
            checked.push_back(rel);
        }
        const auto& outX = g_.outputs(x);
        const auto& outY = g_.outputs(y);
        for (std::size_t k = 0; k < outX.size(); ++k) {
            // Users of one kind are interchangeable: each named user of x pairs with a named user of y
            // of its kind at the same relative position, else with an unnamed one of its kind.
            std::vector<std::pair<std::string, std::string>> ys, xs; // kind, position ("" unknown)
            for (int c : g_.consumers(outY[k]))
                ys.push_back({consumerKey(c, outY[k]),
                              namedAndClear(c) ? relativePosition(nodeCall_[static_cast<std::size_t>(c)], by)
                                               : std::string()});
            for (int c : g_.consumers(outX[k]))
                if (namedAndClear(c))
                    xs.push_back({consumerKey(c, outX[k]),
                                  relativePosition(nodeCall_[static_cast<std::size_t>(c)], bx)});
            for (auto it = xs.begin(); it != xs.end();) {
                auto match = std::find(ys.begin(), ys.end(), *it);
                if (match == ys.end()) {
                    ++it;
                    continue;
                }
                checked.push_back(it->second);
                ys.erase(match);
                it = xs.erase(it);
            }
            for (const auto& unmatched : xs) {
                auto match = std::find(ys.begin(), ys.end(), std::make_pair(unmatched.first, std::string()));
                if (match == ys.end()) return false;
                ys.erase(match);
            }
        }
        return true;
    }

    // What pass 1 learns of a node, kept for the refinement passes: it depends on explicit nodes only.
    struct Bound {
        int call = -1;                      // deepest module the node certainly lies inside, -1 when none
        Reason::Why why = Reason::DataPath; // how we know, with the nodes that show it
        int a = -1, b = -1;
        int neighbours = 0, neighbourCount = 0; // calls of the nearest explicitly placed nodes up and
                                                // down, in neighbourCalls_
        bool complete = true;                   // the search for them was not cut short
        int ownerOfParameter = kNotYet;         // parameterOwnerCall, foldedWeightOwnerCall
        int ownerOfBias = kNotYet;
        int analogous = kNotYet; // analogousCall, with the twin deciding it
        int twin = -1;
    };
    static constexpr int kNotYet = -2;

    Bound computeBound(int i) {
        auto& up = upScratch_;
        auto& down = downScratch_;
        up.clear();
        down.clear();
        bool upComplete, downComplete;
        nearestPlaced(i, true, up, upComplete);
        nearestPlaced(i, false, down, downComplete);
        // Bounds: modules the node certainly lies inside. Each (producer, consumer) pair is one (data
        // that leaves one call of a module cannot come back into that same call), the owner of a body
        // is one, and so is the common call of its neighbours in execution order.
        Bound b;
        b.complete = upComplete && downComplete;
        int bound = -1;
        for (const auto& p : up)
            for (const auto& c : down) {
                int l = widenForRepeatedCalls(calls_.lca(p.first, c.first), p.first, c.first);
                if (deeper(bound, l) == l && l != bound) bound = l, b.a = p.second, b.b = c.second;
            }
        int owner = g_.instance(i).parent;
        int ownerCall = owner >= 0 ? nodeCall_[static_cast<std::size_t>(owner)] : -1;
        if (ownerCall >= 0 && deeper(bound, ownerCall) == ownerCall && ownerCall != bound) {
            bound = ownerCall;
            b.why = Reason::InsideOwner;
            b.a = owner;
        }
        int order = orderBound(i);
        if (deeper(bound, order) == order && order != bound) {
            bound = order;
            b.why = Reason::OrderNeighbours;
        }
        b.call = bound;
        b.neighbours = static_cast<int>(neighbourCalls_.size());
        for (const auto& p : up)
            neighbourCalls_.push_back(p.first);
        for (const auto& c : down)
            neighbourCalls_.push_back(c.first);
        b.neighbourCount = static_cast<int>(neighbourCalls_.size()) - b.neighbours;
        return b;
    }

    // `b` is the node's bound: computed here on the first pass, used by the refinements.
    void inferNode(int i, Bound& b, bool refine) {
        Assignment& a = h_.assignments[static_cast<std::size_t>(i)];
        a.source = Source::Inferred;
        if (!refine) b = computeBound(i);
        const int bound = b.call;
        const int* all = neighbourCalls_.data() + b.neighbours;
        const int allCount = b.neighbourCount;
        // Guesses deeper than the bound come only from nodes that are both its data neighbours and its
        // neighbours in execution order (torch emits an op's helpers right before it).
        std::vector<int>& candidates = candidateScratch_;
        candidates.clear();
        int nextConsumerCall = -1;
        if (refine && b.ownerOfParameter == kNotYet) {
            // They depend on names only: looked up once, on the first refinement.
            b.ownerOfParameter = parameterOwnerCall(i);
            b.ownerOfBias = foldedWeightOwnerCall(i);
        }
        const int ownerOfParameter = refine ? b.ownerOfParameter : -1;
        if (ownerOfParameter >= 0) candidates.push_back(ownerOfParameter);
        const int ownerOfBias = refine ? b.ownerOfBias : -1;
        if (ownerOfBias >= 0) candidates.push_back(ownerOfBias);
        // Where another user of its input sits (x.size() beside x.view() in the same module): taken
        // only at no crossing cost, like any refinement.
        if (refine)
            for (int t : g_.inputs(i))
                if (!isConstantValue(g_.tensor(t)))
                    for (int c : g_.consumers(t))
                        if (c != i && placedExplicitly_[static_cast<std::size_t>(c)])
                            candidates.push_back(nodeCall_[static_cast<std::size_t>(c)]);
        if (refine) {
            g_.producersOf(i, producerScratch_);
            g_.consumersOf(i, consumerScratch_);
            auto among = [](const std::vector<int>& nodes, int k) {
                return std::find(nodes.begin(), nodes.end(), k) != nodes.end();
            };
            auto [before, after] = orderNeighbours(i);
            for (int k : {before, after}) {
                if (k < 0) continue;
                const bool consumer = among(consumerScratch_, k);
                if (consumer || among(producerScratch_, k))
                    candidates.push_back(nodeCall_[static_cast<std::size_t>(k)]);
                if (k > i && consumer) nextConsumerCall = nodeCall_[static_cast<std::size_t>(k)];
            }
        }
        if (bound < 0) {
            placeWithoutBound(i, all, allCount, b.complete);
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
                if (kindOf(i) != NodeKind::Constant && !namedByParameter &&
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
        // Deeper still where a named twin in another instance of the bound's module says so. It depends
        // on explicit nodes and the bound only: looked for once, on the first refinement.
        if (refine && b.analogous == kNotYet) {
            b.analogous = analogousCall(i, bound, best, b.twin);
        }
        const bool byAnalogy =
            refine && b.analogous >= 0 && b.analogous != best && calls_.isAncestorOrSelf(best, b.analogous);
        if (byAnalogy) best = b.analogous;
        bool agree = allCount > 0 && std::all_of(all, all + allCount, [&](int c) {
                         return moduleOfCall(c) == moduleOfCall(best);
                     });
        a.module = moduleOfCall(best);
        a.level = Level::Medium;
        a.score = agree ? 0.75 : best == bound ? 0.6 : 0.5;
        nodeCall_[static_cast<std::size_t>(i)] = best;
        a.reason = Reason{byAnalogy ? Reason::Analogy : Reason::Inferred,
                          b.why,
                          moduleOfCall(bound),
                          b.a,
                          b.b,
                          byAnalogy ? b.twin : -1};
    }

    void placeWithoutBound(int i, const int* all, int allCount, bool complete) {
        Assignment& a = h_.assignments[static_cast<std::size_t>(i)];
        if (allCount > 0 && complete) {
            int l = all[0];
            for (int k = 0; k < allCount; ++k)
                l = calls_.lca(l, all[k]);
            a.module = moduleOfCall(l);
            nodeCall_[static_cast<std::size_t>(i)] = l;
            a.level = Level::Low;
            a.score = 0.35;
            a.reason = Reason{Reason::Connected};
            return;
        }
        a.module = 0;
        a.level = Level::Low;
        a.score = 0.1;
        a.source = Source::Fallback;
        nodeCall_[static_cast<std::size_t>(i)] = 0;
        a.reason = Reason{Reason::Unplaced};
    }

    // ---- module summaries ------------------------------------------------------------------------
    void finishModules() {
        assignParameters();
        computePaths();
        h_.refreshModuleSummaries();
    }

    // Main-graph initializers are the tensors with an `init` (bodies' initializers have none).
    void assignParameters() {
        for (std::size_t t = 0; t < g_.tensorCount(); ++t) {
            const TensorEntry& te = g_.tensor(static_cast<int>(t));
            if (!te.init) continue;
            std::uint64_t count = 1;
            for (auto d : te.init->dims)
                count *= static_cast<std::uint64_t>(std::max<std::int64_t>(d, 0));
            int owner = ownerByName(te.name);
            if (owner < 0)
                for (int c : g_.consumers(static_cast<int>(t))) {
                    int m = h_.assignments[static_cast<std::size_t>(c)].module;
                    owner = owner < 0 ? m : lcaModule(owner, m);
                }
            if (owner < 0) owner = 0;
            h_.modules[static_cast<std::size_t>(owner)].parameters += count;
        }
    }

    int ownerByName(const std::string& name) const {
        std::string_view view(name);
        for (std::size_t dot = name.rfind('.'); dot != std::string::npos && dot > 0;
             dot = name.rfind('.', dot - 1)) {
            if (int module = findModule(view.substr(0, dot)); module >= 0) return module;
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
        std::vector<std::string> segments;
        std::vector<std::size_t> order;
        std::vector<bool> clash;
        while (!stack.empty()) {
            int id = stack.back();
            stack.pop_back();
            const Module& parent = h_.modules[static_cast<std::size_t>(id)];
            const std::size_t count = parent.children.size();
            segments.resize(std::max(segments.size(), count));
            for (std::size_t k = 0; k < count; ++k)
                segments[k] = segmentOf(h_.modules[static_cast<std::size_t>(parent.children[k])]);
            // Segments used by two or more siblings: found by sorting, not by a map per module.
            order.resize(count);
            for (std::size_t k = 0; k < count; ++k)
                order[k] = k;
            std::sort(order.begin(), order.end(),
                      [&](std::size_t a, std::size_t b) { return segments[a] < segments[b]; });
            clash.assign(count, false);
            for (std::size_t k = 1; k < count; ++k)
                if (segments[order[k]] == segments[order[k - 1]])
                    clash[order[k]] = clash[order[k - 1]] = true;
            const std::string_view base =
                parent.path == "/" ? std::string_view() : std::string_view(parent.path);
            for (std::size_t k = 0; k < count; ++k) {
                Module& child = h_.modules[static_cast<std::size_t>(parent.children[k])];
                if (clash[k] && !child.className.empty())
                    segments[k] = child.className + "[" + child.name + "]";
                child.path.reserve(base.size() + 1 + segments[k].size());
                child.path.assign(base).append(1, '/').append(segments[k]);
                stack.push_back(parent.children[k]);
            }
        }
    }

    static std::string segmentOf(const Module& m) {
        if (m.className.empty()) return m.name;
        const std::size_t dot = m.name.rfind('.');
        const std::string_view atom =
            dot == std::string::npos ? std::string_view(m.name) : std::string_view(m.name).substr(dot + 1);
        if (!isNumericAtom(atom)) return m.className;
        std::string segment;
        segment.reserve(m.className.size() + 1 + atom.size());
        return segment.append(m.className).append(1, '.').append(atom);
    }

    const GraphIndex& g_;
    const Sidecar* sidecar_;
    Hierarchy h_;
    CallTree calls_;
    std::deque<std::string> scopeKeys_{""}; // stable storage for the keys of moduleByScope_
    std::unordered_map<std::string_view, int> moduleByScope_{{std::string_view(scopeKeys_.front()), 0}};
    std::vector<int> firstCallOfModule_{-1};
    std::vector<Claim> claims_;               // every node's claims, threaded by Claim::next
    std::vector<int> firstClaim_, lastClaim_; // per node, -1 when it has none
    std::vector<PendingChain> chains_;
    std::vector<NamePrefix> prefixes_;
    std::unordered_map<std::string_view, int> prefixIndex_; // views into node names
    std::vector<Bound> bounds_;
    std::vector<int> neighbourCalls_; // Bound::neighbours of every node, one after another
    std::vector<int> nodeCall_;
    std::vector<int> explicit_;
    std::vector<bool> placedExplicitly_;
    mutable std::vector<NodeKind> nodeKinds_;
    // Analogy (built on first use): calls by scope pattern and depth, calls' children and explicit
    // nodes per call as flat lists with offsets.
    std::vector<std::vector<int>> instancesOfPattern_;
    std::vector<int> patternIdOfCall_;
    std::vector<int> childCallStart_, childCalls_, explicitStart_, explicitByCall_;
    static constexpr int kPatternUnknown = -2;
    mutable std::vector<int> patternOfModule_;
    mutable std::unordered_map<std::string, int> patternIds_;
    mutable std::vector<std::unordered_set<std::string>> opTypesOfPattern_;
    // Reused per node so that inference allocates nothing per node.
    std::vector<int> frontierScratch_, seenScratch_, candidateScratch_, producerScratch_, consumerScratch_;
    std::vector<std::pair<int, int>> upScratch_, downScratch_;
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
    std::vector<std::size_t> direct(modules.size(), 0);
    for (const auto& a : assignments)
        ++direct[static_cast<std::size_t>(a.module)];
    for (std::size_t m = 0; m < modules.size(); ++m) {
        Module& mod = modules[m];
        mod.nodes.clear();
        mod.nodes.reserve(direct[m]);
        mod.totalNodes = direct[m];
        mod.totalParameters = mod.parameters;
        mod.lowestLevel = Level::Certain;
        mod.uncertainNodes = 0;
    }
    for (std::size_t i = 0; i < assignments.size(); ++i) {
        const Assignment& a = assignments[i];
        Module& mod = modules[static_cast<std::size_t>(a.module)];
        mod.nodes.push_back(static_cast<int>(i));
        if (a.level > mod.lowestLevel) mod.lowestLevel = a.level;
        if (a.level == Level::Low || a.conflict) ++mod.uncertainNodes;
    }
    // Roll up children first: modules are created parent before child.
    for (std::size_t m = modules.size(); m-- > 1;) {
        const Module& child = modules[m];
        Module& parent = modules[static_cast<std::size_t>(child.parent)];
        parent.totalNodes += child.totalNodes;
        parent.totalParameters += child.totalParameters;
        parent.uncertainNodes += child.uncertainNodes;
        if (child.lowestLevel > parent.lowestLevel) parent.lowestLevel = child.lowestLevel;
    }
}

void Hierarchy::assignManually(int node, int module) {
    Assignment& a = assignments[static_cast<std::size_t>(node)];
    if (a.source != Source::Manual) a.candidates.push_back({a.module, a.source, ClaimKind::BeforeManual, -1});
    a.module = module;
    a.level = Level::Certain;
    a.score = 1.0;
    a.source = Source::Manual;
    a.conflict = false;
    a.reason = Reason{Reason::ByHand};
}

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
    case Reason::OneClaim:
        return candidate(r.a) + ".";
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
        return "The model carries no module scopes (no torch-scoped names, scope metadata or local "
               "functions, and no sidecar): every node stays at the root.";
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
