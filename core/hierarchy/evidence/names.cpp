// Evidence from TorchScript node names (torch >= 1.13): "/encoder/layer.0/attention/self/query/MatMul"
// says the node ran in encoder.layer.0.attention.self.query.
#include "common/display_text.h"
#include "graph/graph.h"
#include "graph/name_table.h"
#include "hierarchy/evidence/evidence.h"
#include "hierarchy/scope_names.h"

#include <algorithm>
#include <functional>
#include <unordered_map>
#include <unordered_set>

namespace hs {
namespace {

// Many nodes share a scope prefix ("/encoder/layer.0/attention/self/"), and prefixes share their
// parents: each segment is qualified once, after its parent prefix (a trie of prefixes).
class NamePrefixes {
public:
    explicit NamePrefixes(Evidence& evidence) : ev_(evidence) {
        prefixes_.assign(1, Prefix{});
        index_.tryEmplace(std::string_view("/"), 0);
    }

    // Index of a prefix ("/encoder/layer.0/"), created with its parents; -1 when it is no torch scope
    // path (an empty segment: "//"). Walks up to the longest known prefix, then creates the ones below
    // it top-down: no recursion, whatever the depth (callers bound it to kMaxModuleDepth).
    int prefixFor(std::string_view prefix) {
        ends_.clear();
        std::string_view p = prefix;
        int known = index_.find(p);
        for (; known < 0; known = index_.find(p)) {
            const std::size_t cut = p.rfind('/', p.size() - 2);
            if (cut + 2 == p.size()) return -1; // an empty segment
            ends_.push_back(p.size());
            p = p.substr(0, cut + 1);
        }
        int parent = known;
        for (auto end = ends_.rbegin(); end != ends_.rend(); ++end) {
            const std::size_t begin = p.size();
            p = prefix.substr(0, *end);
            Prefix next;
            next.parent = parent;
            next.segment = std::string(p.substr(begin, p.size() - begin - 1));
            next.literal = qualifyTorchSegment(at(parent).literal, next.segment, nullptr).scope;
            parent = static_cast<int>(prefixes_.size());
            prefixes_.push_back(std::move(next));
            index_.tryEmplace(p, parent);
        }
        return parent;
    }

    // The chain a prefix states, qualified with `known` scopes; -1 for the root.
    int chainOf(int prefix, const std::function<bool(const std::string&)>& known) {
        if (prefix == 0) return -1;
        if (at(prefix).chain >= 0) return at(prefix).chain;
        const int parentChain = chainOf(at(prefix).parent, known);
        static const std::string root;
        const std::string& parentScope = parentChain < 0 ? root : ev_.chain(parentChain).step.scope;
        const Prefix& p = at(prefix);
        PendingChain chain;
        chain.parent = parentChain;
        // Read literally unless a "_N" suffix may name a repeated call, or the parent's was one.
        const bool literal = p.segment.find('_') == std::string::npos && parentScope == at(p.parent).literal;
        chain.step = literal ? ScopeStep{p.literal, 0} : qualifyTorchSegment(parentScope, p.segment, known);
        return at(prefix).chain = ev_.addChain(std::move(chain));
    }

    // "relu_1" is a second call of "relu" when "relu" exists here, or in a repeated block of the same
    // shape (its first call's name may have been rewritten by an optimizer).
    bool isKnownScope(const std::string& s) {
        if (literal_.empty())
            for (std::size_t p = 1; p < prefixes_.size(); ++p) {
                literal_.insert(prefixes_[p].literal);
                patterns_.insert(scopePattern(prefixes_[p].literal));
            }
        return literal_.count(s) > 0 || patterns_.count(scopePattern(s)) > 0;
    }

private:
    struct Prefix {
        int parent = -1;
        std::string segment;
        std::string literal; // the prefix's scope with every "_N" read literally
        int chain = -1;      // its chain, once qualified
    };
    Prefix& at(int k) { return prefixes_[static_cast<std::size_t>(k)]; }

    Evidence& ev_;
    std::vector<Prefix> prefixes_;
    NameTable index_; // views into node names (open addressing: no node allocated per prefix)
    std::unordered_set<std::string> literal_, patterns_;
    std::vector<std::size_t> ends_; // prefixFor's walk, reused
};

// The prefix cut after its first kMaxModuleDepth segments ("/a/b/.../"); `levels` its segment count.
std::string_view boundedPrefix(std::string_view prefix, std::size_t& levels) {
    levels = static_cast<std::size_t>(std::count(prefix.begin(), prefix.end(), '/')) - 1;
    if (levels <= static_cast<std::size_t>(kMaxModuleDepth)) return prefix;
    std::size_t end = 0;
    for (int k = 0; k <= kMaxModuleDepth; ++k)
        end = prefix.find('/', end) + 1;
    return prefix.substr(0, end);
}

} // namespace

void collectNameScopes(Evidence& ev) {
    const GraphIndex& g = ev.graph;
    if (producerWritesForeignNames(g.model().producerName)) {
        ev.hierarchy.notes.push_back("Node names were written by " + g.model().producerName +
                                     " and are not PyTorch module scopes.");
        return;
    }
    NamePrefixes prefixes(ev);
    std::vector<int> nodePrefix(g.size(), -1);
    std::string_view lastPrefix;
    int lastIndex = -1;
    std::size_t levels = 0, tooDeep = 0, firstLevels = 0; // nodes whose names are cut
    int firstTooDeep = -1;
    constexpr std::size_t kAhead = 8, kNodesAhead = 32;
    for (std::size_t i = 0; i < g.size(); ++i) {
        // Names live wherever the loader allocated them, and the nodes pointing to them are a cache
        // line each: the node further ahead first, then (once it is in) its name.
        if (i + kNodesAhead < g.size()) __builtin_prefetch(&g.node(static_cast<int>(i + kNodesAhead)).name);
        if (i + kAhead < g.size()) __builtin_prefetch(g.node(static_cast<int>(i + kAhead)).name.data());
        const Node& node = g.node(static_cast<int>(i));
        // torch names a function call after the last op inside it: not the instance's scope.
        if (!g.model().functions.empty() && g.model().findFunction(node.domain, node.opType) >= 0) continue;
        std::string_view name(node.name);
        if (name.size() < 2 || name.front() != '/' || name.back() == '/') continue;
        std::string_view prefix = name.substr(0, name.rfind('/') + 1);
        // Neighbours in graph order mostly share their prefix: compare before hashing.
        if (prefix != lastPrefix) {
            lastPrefix = prefix;
            lastIndex = prefixes.prefixFor(boundedPrefix(prefix, levels));
            if (levels > static_cast<std::size_t>(kMaxModuleDepth) && firstTooDeep < 0)
                firstTooDeep = static_cast<int>(i), firstLevels = levels;
        }
        if (levels > static_cast<std::size_t>(kMaxModuleDepth)) ++tooDeep;
        nodePrefix[i] = lastIndex;
    }
    if (tooDeep)
        ev.hierarchy.notes.push_back("The scope name of node " + quoteInput(g.node(firstTooDeep).name) +
                                     " has " + std::to_string(firstLevels) + " levels" +
                                     (tooDeep > 1 ? " (and " + std::to_string(tooDeep - 1) + " more)" : "") +
                                     "; at most " + std::to_string(kMaxModuleDepth) +
                                     " are supported, and only those are read.");
    const std::function<bool(const std::string&)> known = [&](const std::string& s) {
        return prefixes.isKnownScope(s);
    };
    for (std::size_t i = 0; i < g.size(); ++i) {
        if (nodePrefix[i] < 0) continue;
        Claim claim;
        claim.chain = prefixes.chainOf(nodePrefix[i], known);
        if (claim.chain < 0) claim.call = 0; // "/Add": the root
        claim.source = Source::NameScope;
        claim.kind = ClaimKind::NodeName;
        claim.ref = static_cast<int>(i);
        ev.add(static_cast<int>(i), claim);
    }
}

} // namespace hs
