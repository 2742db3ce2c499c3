// Evidence from a sidecar file (ours, the seed's 1.0 form, HTP): what it says of each node's module.
#include "sidecar/sidecar.h"
#include "common/display_text.h"
#include "graph/graph.h"
#include "hierarchy/evidence/evidence.h"
#include "hierarchy/scope_names.h"

#include <algorithm>
#include <functional>
#include <future>
#include <map>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace hs {
namespace {

// How many modules of a sidecar's list are read: real lists have fewer modules than the model has nodes
// and parameters (bert_like_op17: 47 modules, 214 nodes).
constexpr std::size_t kSidecarModulesPerNode = 4;
constexpr std::size_t kSidecarModulesAlways = 4096;

// "BertLayer.0" -> "BertLayer", "Linear[query]" -> "Linear".
std::string classFromPathSegment(std::string_view segment) {
    std::string_view s = segment.substr(0, segment.find('['));
    auto dot = s.rfind('.');
    if (dot != std::string_view::npos && isNumericAtom(s.substr(dot + 1))) s = s.substr(0, dot);
    return std::string(s);
}

// Calls `segment` with each segment of a path, in order, as views into it: split at '/' outside
// brackets ("Linear[a/b]" is one segment), empty segments skipped.
template <typename Segment> void forEachSegment(std::string_view path, Segment&& segment) {
    if (path.find('[') == std::string_view::npos && path.find(']') == std::string_view::npos) { // no brackets
        for (std::size_t start = 0; start < path.size();) {
            const std::size_t slash = std::min(path.find('/', start), path.size());
            if (slash > start) segment(path.substr(start, slash - start));
            start = slash + 1;
        }
        return;
    }
    std::size_t start = 0;
    int bracket = 0;
    for (std::size_t k = 0; k < path.size(); ++k) {
        const char c = path[k];
        if (c == '[') ++bracket;
        if (c == ']') --bracket;
        if (c == '/' && bracket == 0) {
            if (k > start) segment(path.substr(start, k - start));
            start = k + 1;
        }
    }
    if (path.size() > start) segment(path.substr(start));
}

// The segments of a path, as views into it, into `parts` (a buffer reused over every module's path).
void splitPath(std::string_view path, std::vector<std::string_view>& parts) {
    parts.clear();
    forEachSegment(path, [&](std::string_view part) { parts.push_back(part); });
}

std::vector<std::string_view> splitPath(std::string_view path) {
    std::vector<std::string_view> parts;
    splitPath(path, parts);
    return parts;
}

// The last segment of a path ("BertLayer.0" of "/BertModel/BertEncoder/BertLayer.0"), as splitPath
// would give it; empty when the path has none.
std::string_view lastSegment(std::string_view path) {
    std::string_view last;
    forEachSegment(path, [&](std::string_view part) { last = part; });
    return last;
}

// The steps of a pending chain from the root, into `steps` (reused), without copying their scopes.
void chainSteps(const Evidence& ev, int chain, std::vector<const ScopeStep*>& steps) {
    steps.clear();
    for (int k = chain; k >= 0; k = ev.chain(k).parent)
        steps.push_back(&ev.chain(k).step);
    std::reverse(steps.begin(), steps.end());
}

// A path segment that is the end of the module's attribute path ("layer.0" of "encoder.layer.0"),
// as paths without classes write it, names no class.
bool segmentIsAttributeName(std::string_view scope, std::string_view segment) {
    if (scope.size() < segment.size() || scope.substr(scope.size() - segment.size()) != segment) return false;
    return scope.size() == segment.size() || scope[scope.size() - segment.size() - 1] == '.';
}

// Path -> scope, from the file's module list and from nodes whose name scope and sidecar path
// describe the same chain (a vote per path segment).
// Paths of the entries, grouped by the chain their node's name states (index chain + 1: -1 is the root),
// each with the number of its entries and whether it is voted on at all.
struct ChainPath {
    std::string_view path;
    int count = 1;
    bool votes = false; // some level of it is not in the module list (and it has one level per step)
};
using PathsOfChain = std::vector<std::vector<ChainPath>>;

// Path -> scope, as views of the sidecar's module list and of the votes' own strings (copying 15k
// modules' paths and scopes into the map, and freeing them, was half of reading deep-1000's sidecar).
struct PathScopes {
    std::map<std::string, std::map<std::string, int>> votes; // path -> scope -> nodes
    std::unordered_map<std::string_view, std::string_view> scopeOf;
};

// What this tool recorded from the model itself is recomputed, not re-applied as evidence; what an
// earlier sidecar said of the node is kept beside it and applies again. Entries in a row mostly share
// their source: it is parsed when it changes.
class EntrySources {
public:
    bool manual(const SidecarEntry& e) const { return e.source == manual_ || e.level == certain_; }
    bool recomputed(const SidecarEntry& e) {
        if (manual(e)) return false;
        if (e.source != last_) {
            last_ = e.source;
            parsed_ = parseSource(e.source, recorded_);
        }
        return parsed_ && recorded_ != Source::Sidecar;
    }

private:
    const std::string_view manual_ = sourceName(Source::Manual), certain_ = levelName(Level::Certain);
    std::string_view last_;
    bool parsed_ = false;
    Source recorded_ = Source::Fallback;
};

// One pass over a sidecar's entries (deep-1000 has 126k of about 400 bytes each: a pass over them
// cost more than the work in it): each entry's node, the entries that may claim something, and the
// (chain, path) pairs to vote on. Nodes of one name prefix share a chain and mostly a path too: each
// pair is split and voted once, with the number of its nodes (deep-1000: 105k named entries, 12k pairs).
struct EntryScan {
    std::vector<int> nodes;            // per entry, -1 when the model has no such key
    std::vector<std::size_t> claiming; // entries of a node that are not recomputed from the model
    PathsOfChain pathsOfChain;
    SuggestedEntries suggested; // entries with a suggested scope, and their nodes
};

// Whether a path of an entry whose name states a chain of `depth` steps casts any vote: it has one
// level per step (and the root), and some level ("/a", "/a/b", ...) is not in the module list. Asked
// once per pair, while the path is still in the cache (most are mapped whole: none of deep-1000's 12k).
bool castsVotes(std::string_view path, std::size_t depth, const PathScopes& listed,
                std::vector<std::string_view>& parts, std::string& key) {
    splitPath(path, parts);
    if (parts.size() != depth + 1) return false;
    key.assign(1, '/');
    key += parts[0];
    if (!listed.scopeOf.count(key)) return true;
    for (std::size_t k = 1; k < parts.size(); ++k)
        if (!listed.scopeOf.count((key += '/') += parts[k])) return true;
    return false;
}

std::size_t chainDepth(const Evidence& ev, int chain) {
    std::size_t depth = 0;
    for (int k = chain; k >= 0; k = ev.chain(k).parent)
        ++depth;
    return depth;
}

constexpr std::size_t kAheadEntries = 16;

// The cache lines of an entry that the scan reads: its path, source and level, and its flags.
void prefetchEntry(const SidecarEntry& e) {
    __builtin_prefetch(&e.path);
    __builtin_prefetch(&e.level);
    __builtin_prefetch(&e.hasSidecarScope);
}

// The pair of `path` among one chain's pairs, or nullptr.
ChainPath* pairOf(std::vector<ChainPath>& paths, std::string_view path) {
    auto same = std::find_if(paths.begin(), paths.end(), [&](const ChainPath& p) { return p.path == path; });
    return same == paths.end() ? nullptr : &*same;
}

// The entries [first, last): their nodes into `nodes` (sized, and set already when `known`), the
// claiming and suggested ones in order and the pairs of the range into `scan`.
void scanEntryRange(const Evidence& ev, const PathScopes& listed, bool known, std::size_t first,
                    std::size_t last, std::vector<int>& nodes, EntryScan& scan) {
    const auto& entries = ev.sidecar->entries;
    std::vector<std::string_view> parts;
    std::string key;
    scan.pathsOfChain.resize(ev.chainCount() + 1);
    EntrySources sources;
    int next = 0; // sidecars list nodes in graph order: each key is tried at the index after the last
    for (std::size_t k = first; k < last; ++k) {
        // The entries (126k of 424 bytes) come from memory: what is read of them is asked for ahead,
        // the entry's members first, then (once those are in) the characters of its path.
        if (k + kAheadEntries < last) prefetchEntry(entries[k + kAheadEntries]);
        if (k + kAheadEntries / 2 < last) __builtin_prefetch(entries[k + kAheadEntries / 2].path.data());
        const SidecarEntry& e = entries[k];
        const int i = known ? nodes[k] : (nodes[k] = ev.graph.find(e.key, next));
        if (i < 0) continue;
        next = i + 1;
        if (!e.suggestedScope.empty()) scan.suggested.push_back({k, i});
        if (!sources.recomputed(e) || e.hasSidecarScope) scan.claiming.push_back(k);
        if (e.path.empty()) continue;
        const Claim* named = ev.first(i, Source::NameScope);
        if (!named) named = ev.first(i, Source::Metadata);
        if (!named) continue;
        auto& paths = scan.pathsOfChain[static_cast<std::size_t>(named->chain + 1)];
        if (ChainPath* same = pairOf(paths, e.path))
            ++same->count;
        else
            paths.push_back(
                {e.path, 1, castsVotes(e.path, chainDepth(ev, named->chain), listed, parts, key)});
    }
}

// The later range's scan appended to the earlier's: its entries come after, and its pairs are counted
// with the earlier's pairs of the same chain and path (a pair's vote depends on the two alone).
void appendScan(EntryScan& scan, EntryScan&& later) {
    scan.claiming.insert(scan.claiming.end(), later.claiming.begin(), later.claiming.end());
    scan.suggested.insert(scan.suggested.end(), later.suggested.begin(), later.suggested.end());
    for (std::size_t c = 0; c < later.pathsOfChain.size(); ++c) {
        auto& paths = scan.pathsOfChain[c];
        for (const ChainPath& pair : later.pathsOfChain[c]) {
            if (ChainPath* same = pairOf(paths, pair.path))
                same->count += pair.count;
            else
                paths.push_back(pair);
        }
    }
}

// Sidecars of this many entries are scanned in two halves at once: the scan waits on memory (an entry
// and its path are four cache lines), and reads only what inference collected before it.
constexpr std::size_t kEntriesOnTwoThreads = 16384;

EntryScan scanEntries(const Evidence& ev, const PathScopes& listed) {
    const std::size_t count = ev.sidecar->entries.size();
    EntryScan scan;
    // The nodes readSidecarFor found, when it read the sidecar for this model: no key is read again.
    const std::vector<int>* known = boundNodes(ev.graph, *ev.sidecar);
    if (known)
        scan.nodes = *known;
    else
        scan.nodes.resize(count);
    if (count < kEntriesOnTwoThreads || std::thread::hardware_concurrency() < 2) {
        scanEntryRange(ev, listed, known != nullptr, 0, count, scan.nodes, scan);
        return scan;
    }
    // Both halves write their nodes into scan.nodes: each its own elements.
    EntryScan later;
    auto other = std::async(std::launch::async, [&] {
        scanEntryRange(ev, listed, known != nullptr, count / 2, count, scan.nodes, later);
    });
    scanEntryRange(ev, listed, known != nullptr, 0, count / 2, scan.nodes, scan);
    other.get();
    appendScan(scan, std::move(later));
    return scan;
}

// The module list's paths, modules and classes, read before the entries: the paths decide which entries'
// paths are voted on.
void listedPaths(Evidence& ev, PathScopes& result) {
    const Sidecar& sidecar = *ev.sidecar;
    auto& pathToScope = result.scopeOf;
    // A module list far longer than the model could use is cut: every module read costs about 1 KB
    // and 10 us through inference, and a 200 MB sidecar beside a two-node model listed 2.3 M.
    const std::size_t limit =
        kSidecarModulesPerNode * (ev.graph.size() + ev.graph.initializers().size()) + kSidecarModulesAlways;
    const std::size_t used = std::min(sidecar.modules.size(), limit);
    pathToScope.reserve(used);
    for (std::size_t k = 0; k < used; ++k) {
        const SidecarModule& m = sidecar.modules[k];
        pathToScope[m.path] = m.scope;
        // Every listed module is made (in list order: a module without nodes is kept), its class learned.
        ev.calls.learnClass(ev.calls.moduleOf(ev.calls.callForScope(m.scope)), m.className);
    }
    if (used < sidecar.modules.size())
        ev.hierarchy.notes.push_back(sidecar.filePath + " lists " + std::to_string(sidecar.modules.size()) +
                                     " modules, more than " + std::to_string(kSidecarModulesPerNode) +
                                     " per node and parameter of the model (and " +
                                     std::to_string(kSidecarModulesAlways) + "); only the first " +
                                     std::to_string(used) + " are read.");
}

// Votes on the paths the module list does not map, from the entries' pairs that have such a level
// (scanEntries), then classes from the voted paths.
void pathsToScopes(Evidence& ev, const PathsOfChain& pathsOfChain, PathScopes& result) {
    const Sidecar& sidecar = *ev.sidecar;
    auto& pathToScope = result.scopeOf;
    // A path the module list maps keeps that scope (the votes are only emplaced): it is not voted on.
    auto& votes = result.votes;
    std::vector<const ScopeStep*> namedChain;
    std::vector<std::string_view> parts;
    std::string key;
    for (std::size_t c = 0; c < pathsOfChain.size(); ++c) {
        if (pathsOfChain[c].empty()) continue;
        chainSteps(ev, static_cast<int>(c) - 1, namedChain);
        for (const auto& [path, count, voted] : pathsOfChain[c]) {
            if (!voted) continue;
            splitPath(path, parts);
            if (parts.size() != namedChain.size() + 1) continue;
            key.assign(1, '/');
            key += parts[0];
            if (!pathToScope.count(key)) votes[key][""] += count;
            for (std::size_t k = 0; k < namedChain.size(); ++k) {
                (key += '/') += parts[k + 1];
                if (!pathToScope.count(key)) votes[key][namedChain[k]->scope] += count;
            }
        }
    }
    for (const auto& [path, counts] : votes) {
        auto best = std::max_element(counts.begin(), counts.end(),
                                     [](const auto& a, const auto& b) { return a.second < b.second; });
        pathToScope.emplace(path, best->first);
    }
    // Classes from paths, now that paths map to scopes; not for the modules the file lists (their
    // class is stated, "" when unknown), nor where a segment is the attribute name a path without
    // classes uses ("/features/denselayer1"): that would invent a class "denselayer1" on every reload.
    // Only voted paths can teach a class: every other path maps to a listed module.
    if (votes.empty()) return;
    std::unordered_set<std::string_view> listed;
    for (const auto& m : sidecar.modules)
        listed.insert(m.scope);
    for (const auto& [path, scope] : pathToScope) {
        const std::string_view last = lastSegment(path);
        if (last.empty() || listed.count(scope) || segmentIsAttributeName(scope, last)) continue;
        int module = scope.empty() ? 0 : ev.calls.findModule(scope);
        if (module >= 0) ev.calls.learnClass(module, classFromPathSegment(last));
    }
}

// A sidecar path that no named node explains: its modules are keyed by the path itself. Read to
// kMaxModuleDepth levels below its root (every level's key repeats the path above it); `cut` counts
// the paths that were deeper.
int callForUnknownPath(ModuleCalls& calls, const std::string& path, std::size_t& cut) {
    auto parts = splitPath(path);
    if (parts.size() > static_cast<std::size_t>(kMaxModuleDepth) + 1) {
        parts.resize(static_cast<std::size_t>(kMaxModuleDepth) + 1);
        ++cut;
    }
    std::vector<ScopeStep> chain;
    std::vector<std::string> classes;
    std::string prefix = "@";
    for (std::size_t k = 1; k < parts.size(); ++k) {
        (prefix += '/') += parts[k];
        chain.push_back({prefix, 0});
        classes.push_back(classFromPathSegment(parts[k]));
    }
    return calls.callFor(chain, classes);
}

} // namespace

void collectSidecarClaims(Evidence& ev) {
    if (!ev.sidecar) return;
    const Sidecar& sidecar = *ev.sidecar;
    PathScopes paths;
    listedPaths(ev, paths);
    EntryScan scan = scanEntries(ev, paths);
    ev.suggestedEntries = std::move(scan.suggested);
    pathsToScopes(ev, scan.pathsOfChain, paths);
    const auto& pathToScope = paths.scopeOf;
    EntrySources sources;
    std::size_t cut = 0, firstCut = 0;
    for (const std::size_t k : scan.claiming) {
        const SidecarEntry& e = sidecar.entries[k];
        const int i = scan.nodes[k];
        const bool manual = sources.manual(e), recomputed = sources.recomputed(e);
        // A sidecar's own fallback ("could not place it") is no evidence.
        if (!manual && !recomputed && (e.source.find("fallback") != std::string::npos || e.level == "low"))
            continue;
        std::string scope;
        bool known = e.hasScope || e.hasSidecarScope;
        if (e.hasSidecarScope && !manual) // a manual tag is the node's scope; the claim beside it is not
            scope = e.sidecarScope;
        else if (e.hasScope)
            scope = e.scope;
        else if (auto it = pathToScope.find(e.path); it != pathToScope.end())
            scope = std::string(it->second), known = true;
        // Exporters tag what they could not place with the model's own path ("/BertModel"): a claim of
        // the root only says the node is in the model, and must not contradict a module that uses it.
        if (!manual && known && scope.empty()) continue;
        Claim claim;
        claim.source = manual ? Source::Manual : Source::Sidecar;
        claim.certain = manual;
        claim.kind = ClaimKind::Text;
        claim.ref = static_cast<int>(ev.hierarchy.texts.size());
        ev.hierarchy.texts.push_back(std::string(manual ? "manual tag" : "sidecar") + " in " +
                                     sidecar.filePath + ": " +
                                     (e.path.empty() ? "scope '" + e.scope + "'" : "path '" + e.path + "'"));
        const std::size_t cutBefore = cut;
        claim.call = known ? ev.calls.callForScope(scope) : callForUnknownPath(ev.calls, e.path, cut);
        if (cut == 1 && cutBefore == 0) firstCut = k;
        ev.add(i, claim);
    }
    if (cut) {
        const SidecarEntry& e = sidecar.entries[firstCut];
        ev.hierarchy.notes.push_back(sidecar.filePath + ": the hierarchy path of node " + quoteInput(e.key) +
                                     " has " + std::to_string(splitPath(e.path).size() - 1) + " levels" +
                                     (cut > 1 ? " (and " + std::to_string(cut - 1) + " more)" : "") +
                                     "; at most " + std::to_string(kMaxModuleDepth) +
                                     " are supported, and only those are read.");
    }
}

} // namespace hs
