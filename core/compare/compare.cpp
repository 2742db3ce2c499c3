#include "compare/compare.h"

#include "compare/signature.h"

#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "hierarchy/parameters.h"

#include <algorithm>
#include <deque>
#include <string_view>
#include <unordered_map>

namespace hs {

namespace {

constexpr int kNone = -1;

// Op types of both sides interned to small integers, so that per-module counting needs no string work.
// Keys are views into the models' nodes (which outlive the comparison), or into names_ for op types of
// other domains: no string is built per node.
class OpTypes {
public:
    int intern(const Node& node) {
        const bool plain = node.domain.empty() || node.domain == "ai.onnx";
        if (plain) {
            auto it = plain_.find(node.opType);
            if (it != plain_.end()) return it->second;
            return plain_.emplace(node.opType, add(node.opType)).first->second;
        }
        std::string name = node.domain + "." + node.opType;
        auto it = ids_.find(name);
        if (it != ids_.end()) return it->second;
        return ids_.emplace(std::move(name), add(node.domain + "." + node.opType)).first->second;
    }
    const std::string& name(int id) const { return names_[static_cast<std::size_t>(id)]; }
    std::size_t size() const { return names_.size(); }

private:
    int add(std::string name) {
        names_.push_back(std::move(name));
        return static_cast<int>(names_.size() - 1);
    }
    std::unordered_map<std::string_view, int> plain_;
    std::unordered_map<std::string, int> ids_;
    std::deque<std::string> names_;
};

struct Side {
    const GraphIndex& graph;
    const Hierarchy& h;
    std::vector<int> opOf;    // per node instance: interned op type
    std::vector<int> match;   // per module: the other side's module, or kNone
    std::vector<int> deltaOf; // per module: its delta
    int wrapper = kNone;      // the module this side wraps the whole model in (see findWrapper)
    std::size_t moduleCount() const { return h.modules.size(); }
    const Module& module(int m) const { return h.modules[static_cast<std::size_t>(m)]; }
};

void internOps(Side& side, OpTypes& ops) {
    side.opOf.resize(side.graph.size());
    for (std::size_t i = 0; i < side.graph.size(); ++i)
        side.opOf[i] = ops.intern(side.graph.node(static_cast<int>(i)));
}

void matchByScope(Side& a, Side& b) {
    std::unordered_map<std::string_view, int> scopesB;
    scopesB.reserve(b.moduleCount());
    for (std::size_t m = 0; m < b.moduleCount(); ++m)
        scopesB.emplace(b.h.modules[m].scope, static_cast<int>(m));
    for (std::size_t m = 0; m < a.moduleCount(); ++m) {
        auto it = scopesB.find(a.h.modules[m].scope);
        if (it == scopesB.end()) continue;
        a.match[m] = it->second;
        b.match[static_cast<std::size_t>(it->second)] = static_cast<int>(m);
    }
}

// The parameter names the own nodes of each unmatched module use (empty for matched modules).
std::vector<std::vector<std::string_view>> unmatchedParameterNames(const Side& side) {
    std::vector<std::vector<std::string_view>> names(side.moduleCount());
    ParameterUses uses(side.graph);
    std::string owner;
    for (std::size_t i = 0; i < side.graph.size(); ++i) {
        int m = side.h.assignments[i].module;
        if (side.match[static_cast<std::size_t>(m)] != kNone) continue;
        for (int p : uses.parametersOf(static_cast<int>(i))) {
            const std::string_view name = side.graph.tensor(p).name;
            if (parameterOwner(name, owner)) names[static_cast<std::size_t>(m)].push_back(name);
        }
    }
    return names;
}

bool anyUnmatched(const Side& side) {
    return std::find(side.match.begin(), side.match.end(), kNone) != side.match.end();
}

// Modules whose scopes differ only by naming (an exporter that names modules by class, another
// converter's layer paths) still use parameters of the same names: an unmatched module of A is matched
// to the unmatched module of B holding most of its parameters, when that module is one and the same
// for a strict majority of them.
std::size_t matchByParameters(Side& a, Side& b) {
    if (!anyUnmatched(a) || !anyUnmatched(b)) return 0;
    auto namesA = unmatchedParameterNames(a);
    auto namesB = unmatchedParameterNames(b);
    std::unordered_map<std::string_view, int> holderB;
    for (std::size_t m = 0; m < namesB.size(); ++m)
        for (std::string_view name : namesB[m])
            holderB.emplace(name, static_cast<int>(m));
    std::size_t matched = 0;
    std::unordered_map<int, std::size_t> votes;
    for (std::size_t m = 0; m < namesA.size(); ++m) {
        if (namesA[m].empty()) continue;
        votes.clear();
        for (std::string_view name : namesA[m]) {
            auto it = holderB.find(name);
            if (it != holderB.end()) ++votes[it->second];
        }
        int best = kNone;
        std::size_t bestVotes = 0;
        for (auto [module, count] : votes)
            if (count > bestVotes) best = module, bestVotes = count;
        if (best == kNone || 2 * bestVotes <= namesA[m].size()) continue;
        if (b.match[static_cast<std::size_t>(best)] != kNone) continue;
        a.match[m] = best;
        b.match[static_cast<std::size_t>(best)] = static_cast<int>(m);
        ++matched;
    }
    return matched;
}

// The child of x's root that wraps the whole model as y has it: below it, x's scopes are y's with
// "<wrapper>." in front (a training or deployment wrapper holding the model as `model`, DataParallel's
// `module`). Chosen when, with the prefix taken off, most of y's still unmatched modules are found under
// it; kNone otherwise. Scopes are compared as views: no string is built per module.
int findWrapper(const Side& x, const Side& y) {
    std::unordered_map<std::string_view, int> unmatchedY;
    for (std::size_t m = 1; m < y.moduleCount(); ++m)
        if (y.match[m] == kNone) unmatchedY.emplace(y.h.modules[m].scope, static_cast<int>(m));
    // Each module votes for the child of the root above it: one pass, however many children the root has.
    std::unordered_map<int, std::size_t> hits;
    for (std::size_t m = 1; m < x.moduleCount(); ++m) {
        int top = static_cast<int>(m);
        while (x.module(top).parent > 0)
            top = x.module(top).parent;
        const std::string& prefix = x.module(top).scope;
        std::string_view scope = x.h.modules[m].scope;
        if (top == static_cast<int>(m) || prefix.empty() || x.match[static_cast<std::size_t>(top)] != kNone ||
            scope.size() <= prefix.size() + 1 || scope.compare(0, prefix.size(), prefix) != 0 ||
            scope[prefix.size()] != '.')
            continue;
        if (unmatchedY.count(scope.substr(prefix.size() + 1))) ++hits[top];
    }
    int best = kNone;
    std::size_t bestHits = 0;
    for (auto [top, count] : hits)
        if (count > bestHits || (count == bestHits && top < best)) best = top, bestHits = count;
    return 2 * bestHits > unmatchedY.size() ? best : kNone;
}

// Pairs every module below x's wrapper with y's module of the scope without the prefix; the wrapper's
// counterpart is y's root.
std::size_t matchUnderWrapper(Side& x, Side& y, int wrapper) {
    std::unordered_map<std::string_view, int> scopesY;
    for (std::size_t m = 1; m < y.moduleCount(); ++m)
        if (y.match[m] == kNone) scopesY.emplace(y.h.modules[m].scope, static_cast<int>(m));
    const std::size_t cut = x.module(wrapper).scope.size() + 1;
    std::size_t matched = 0;
    for (std::size_t m = 1; m < x.moduleCount(); ++m) {
        if (x.match[m] != kNone || !x.h.isAncestorOrSelf(wrapper, static_cast<int>(m)) ||
            static_cast<int>(m) == wrapper)
            continue;
        auto it = scopesY.find(std::string_view(x.h.modules[m].scope).substr(cut));
        if (it == scopesY.end()) continue;
        x.match[m] = it->second;
        y.match[static_cast<std::size_t>(it->second)] = static_cast<int>(m);
        scopesY.erase(it);
        ++matched;
    }
    // Taken: no later rule pairs the wrapper with a module of y (position reads its children as y's
    // root's). y's root stays the match of x's root.
    x.match[static_cast<std::size_t>(wrapper)] = 0;
    return matched;
}

bool classesAgree(const Module& x, const Module& y) {
    return x.className.empty() || y.className.empty() || x.className == y.className;
}

// The unmatched children of a module of one side.
void unmatchedChildren(const Side& side, int module, std::vector<int>& rest) {
    rest.clear();
    for (int c : side.module(module).children)
        if (side.match[static_cast<std::size_t>(c)] == kNone) rest.push_back(c);
}

struct ChildMatches {
    std::size_t bySignature = 0, byPosition = 0;
    std::vector<bool> bySignatureA; // per module of A
};

// Below two matched modules (whatever matched them), the unmatched children of both are paired, in
// this order of strength: by equal signatures (what a module is made of: compare/signature.h), exact,
// then by parameter shapes alone; what is left, in order of first appearance, when both sides have the
// same number of them and no pair has two different known classes: the same block written under another
// name. Parents come before children in module order, so pairs made here let their own children be
// paired too. Signatures are only computed when a module is unmatched on both sides.
ChildMatches matchChildren(Side& a, Side& b) {
    ChildMatches out;
    out.bySignatureA.assign(a.moduleCount(), false);
    ModuleSignatures sigA, sigB;
    if (anyUnmatched(a) && anyUnmatched(b)) {
        SignatureTable table;
        sigA = table.compute(a.graph, a.h, a.opOf);
        sigB = table.compute(b.graph, b.h, b.opOf);
    }
    std::vector<int> restA, restB;
    auto pair = [&](int x, int y) {
        a.match[static_cast<std::size_t>(x)] = y;
        b.match[static_cast<std::size_t>(y)] = x;
    };
    for (std::size_t m = 0; m < a.moduleCount(); ++m) {
        // Under a wrapper, its children are the other root's: B's wrapper hosts what A's root does.
        int mb = m == 0 && b.wrapper != kNone ? b.wrapper : a.match[m];
        if (mb == kNone || (m == 0 && a.wrapper != kNone)) continue;
        unmatchedChildren(a, static_cast<int>(m), restA);
        unmatchedChildren(b, mb, restB);
        if (restA.empty() || restB.empty()) continue;
        // Weaker likeness (no initializer to compare, or initializer shapes alone) is trusted below alike
        // parents only: a lone AveragePool, a Linear(16,16) with other ops, say nothing of unrelated models.
        const bool parentsAlike =
            !sigA.exact.empty() &&
            (sigA.exact[m] == sigB.exact[static_cast<std::size_t>(mb)] ||
             (sigA.shapes[m] >= 0 && sigA.shapes[m] == sigB.shapes[static_cast<std::size_t>(mb)]));
        auto bySignature = [&](SignatureKind kind) {
            if (sigA.exact.empty()) return;
            for (auto [ma, mbb] : pairBySignature(a.h, sigA, restA, b.h, sigB, restB, kind, parentsAlike)) {
                pair(ma, mbb);
                out.bySignatureA[static_cast<std::size_t>(ma)] = true;
                ++out.bySignature;
            }
            unmatchedChildren(a, static_cast<int>(m), restA);
            unmatchedChildren(b, mb, restB);
        };
        bySignature(SignatureKind::Exact);
        if (parentsAlike) bySignature(SignatureKind::Shapes);
        if (restA.empty() || restA.size() != restB.size()) continue;
        bool agree = true;
        for (std::size_t k = 0; k < restA.size() && agree; ++k)
            agree = classesAgree(a.module(restA[k]), b.module(restB[k]));
        if (!agree) continue;
        for (std::size_t k = 0; k < restA.size(); ++k)
            pair(restA[k], restB[k]);
        out.byPosition += restA.size();
    }
    return out;
}

// The delta tree: A's module tree, and under each module of B the modules only B has. A module of B
// matched to one of A sits where A has it. When one side wraps the model, the wrapper is a child of the
// root and everything else of both sides sits below it; the other side's root counts its own nodes there.
void buildTree(HierarchyComparison& out, Side& a, Side& b, const std::vector<ModuleMatch>& matchKindA) {
    struct Work {
        int moduleA; // kNone: only in B
        int moduleB; // kNone: only in A
        int parentDelta;
        bool wrapper;
    };
    const bool wrapped = a.wrapper != kNone || b.wrapper != kNone;
    std::vector<Work> stack{{0, 0, kNone, false}};
    a.deltaOf.assign(a.moduleCount(), kNone);
    b.deltaOf.assign(b.moduleCount(), kNone);
    while (!stack.empty()) {
        const Work w = stack.back();
        stack.pop_back();
        const int index = static_cast<int>(out.modules.size());
        out.modules.emplace_back();
        ModuleDelta& d = out.modules.back();
        d.parent = w.parentDelta;
        if (w.parentDelta != kNone)
            out.modules[static_cast<std::size_t>(w.parentDelta)].children.push_back(index);
        int childrenOfA = w.moduleA, childrenOfB = w.moduleB; // whose children go below this delta
        if (w.wrapper) {
            d.match = ModuleMatch::Wrapper;
            d.moduleA = a.wrapper;
            d.moduleB = b.wrapper;
            d.scope = a.wrapper != kNone ? a.module(a.wrapper).scope : b.module(b.wrapper).scope;
            d.className = a.wrapper != kNone ? a.module(a.wrapper).className : b.module(b.wrapper).className;
            // Each side's own wrapper (or root) counts here; processed after the root, so this wins.
            a.deltaOf[static_cast<std::size_t>(a.wrapper != kNone ? a.wrapper : 0)] = index;
            b.deltaOf[static_cast<std::size_t>(b.wrapper != kNone ? b.wrapper : 0)] = index;
            childrenOfA = a.wrapper != kNone ? a.wrapper : 0;
            childrenOfB = b.wrapper != kNone ? b.wrapper : 0;
        } else if (w.moduleA != kNone) {
            const Module& m = a.module(w.moduleA);
            d.scope = m.scope;
            d.className = m.className;
            d.moduleA = w.moduleA;
            d.moduleB = w.moduleB;
            a.deltaOf[static_cast<std::size_t>(w.moduleA)] = index;
            d.match =
                w.moduleB == kNone ? ModuleMatch::Removed : matchKindA[static_cast<std::size_t>(w.moduleA)];
            if (w.moduleB != kNone) {
                b.deltaOf[static_cast<std::size_t>(w.moduleB)] = index;
                if (b.module(w.moduleB).scope != d.scope) d.scopeB = b.module(w.moduleB).scope;
                if (d.className.empty()) d.className = b.module(w.moduleB).className;
            }
        } else {
            const Module& m = b.module(w.moduleB);
            d.scope = m.scope;
            d.className = m.className;
            d.moduleB = w.moduleB;
            d.match = ModuleMatch::Added;
            b.deltaOf[static_cast<std::size_t>(w.moduleB)] = index;
        }
        // Pushed in reverse so that they are taken in order: the wrapper, A's children, then B's own.
        const bool root = index == 0;
        if (childrenOfB != kNone && !(root && wrapped && a.wrapper != kNone)) {
            const auto& kids = b.module(childrenOfB).children;
            for (auto it = kids.rbegin(); it != kids.rend(); ++it)
                if (b.match[static_cast<std::size_t>(*it)] == kNone && *it != b.wrapper)
                    stack.push_back({kNone, *it, index, false});
        }
        if (childrenOfA != kNone && !(root && wrapped && b.wrapper != kNone)) {
            const auto& kids = a.module(childrenOfA).children;
            for (auto it = kids.rbegin(); it != kids.rend(); ++it)
                if (*it != a.wrapper)
                    stack.push_back({*it, a.match[static_cast<std::size_t>(*it)], index, false});
        }
        if (root && wrapped) stack.push_back({kNone, kNone, index, true});
    }
}

// With a wrapper, the root delta's counts of the side whose root counted at the wrapper: its subtree
// totals (the whole model), no own nodes.
void fillWrappedRoot(HierarchyComparison& out, const Side& a, const Side& b) {
    ModuleDelta& root = out.modules[0];
    if (a.wrapper != kNone) {
        root.nodesB = 0, root.parametersB = 0, root.opsB.clear();
        root.totalNodesB = b.module(0).totalNodes, root.totalParametersB = b.module(0).totalParameters;
    }
    if (b.wrapper != kNone) {
        root.nodesA = 0, root.parametersA = 0, root.opsA.clear();
        root.totalNodesA = a.module(0).totalNodes, root.totalParametersA = a.module(0).totalParameters;
    }
}

// Own nodes of every module by op type, in order of first appearance; `slot` and `stamp` (per op type)
// find a type's entry in the current module's list in constant time.
void countOps(HierarchyComparison& out, const Side& side, bool sideA, const OpTypes& ops) {
    std::vector<int> slot(ops.size(), kNone), stamp(ops.size(), kNone);
    for (std::size_t m = 0; m < side.moduleCount(); ++m) {
        const Module& mod = side.h.modules[m];
        ModuleDelta& d = out.modules[static_cast<std::size_t>(side.deltaOf[m])];
        std::vector<OpCount>& list = sideA ? d.opsA : d.opsB;
        for (int node : mod.nodes) {
            int op = side.opOf[static_cast<std::size_t>(node)];
            if (stamp[static_cast<std::size_t>(op)] != static_cast<int>(m)) {
                stamp[static_cast<std::size_t>(op)] = static_cast<int>(m);
                slot[static_cast<std::size_t>(op)] = static_cast<int>(list.size());
                list.push_back({ops.name(op), 0});
            }
            ++list[static_cast<std::size_t>(slot[static_cast<std::size_t>(op)])].count;
        }
        (sideA ? d.nodesA : d.nodesB) = mod.nodes.size();
        (sideA ? d.totalNodesA : d.totalNodesB) = mod.totalNodes;
        (sideA ? d.parametersA : d.parametersB) = mod.parameters;
        (sideA ? d.totalParametersA : d.totalParametersB) = mod.totalParameters;
    }
}

bool sameOps(const ModuleDelta& d) {
    if (d.nodesA != d.nodesB || d.opsA.size() != d.opsB.size()) return false;
    for (const OpCount& x : d.opsA) {
        auto it = std::find_if(d.opsB.begin(), d.opsB.end(),
                               [&](const OpCount& y) { return y.opType == x.opType; });
        if (it == d.opsB.end() || it->count != x.count) return false;
    }
    return true;
}

// Nodes of one name and op type on both sides whose modules are not counterparts. Unnamed nodes (keys
// "#<index>") are skipped: their keys are positions, not identities.
void findMovedNodes(HierarchyComparison& out, const Side& a, const Side& b) {
    for (std::size_t i = 0; i < a.graph.size(); ++i) {
        const std::string& key = a.graph.key(static_cast<int>(i));
        if (key.empty() || key[0] == '#') continue;
        int j = b.graph.find(key);
        if (j < 0 || a.opOf[i] != b.opOf[static_cast<std::size_t>(j)]) continue;
        int da = a.deltaOf[static_cast<std::size_t>(a.h.assignments[i].module)];
        int db = b.deltaOf[static_cast<std::size_t>(b.h.assignments[static_cast<std::size_t>(j)].module)];
        if (da == db) continue;
        out.moved.push_back({key, a.graph.node(static_cast<int>(i)).opType, static_cast<int>(i), j, da, db});
        ++out.modules[static_cast<std::size_t>(da)].movedOut;
        ++out.modules[static_cast<std::size_t>(db)].movedIn;
    }
}

void classify(HierarchyComparison& out) {
    for (ModuleDelta& d : out.modules) {
        bool holdsAnything = d.nodesA + d.nodesB > 0 || d.parametersA + d.parametersB > 0;
        if (d.match == ModuleMatch::Added || d.match == ModuleMatch::Removed) {
            d.changed = holdsAnything;
            (d.match == ModuleMatch::Added ? out.addedModules : out.removedModules) += 1;
        } else {
            d.changed = !sameOps(d) || d.parametersA != d.parametersB;
        }
        d.subtreeChanged = d.changed;
        if (d.changed) {
            ++out.changedModules;
            d.summary = deltaSummary(d);
        }
    }
    // Children come after their parents: one pass backwards rolls the flag up.
    for (std::size_t k = out.modules.size(); k-- > 1;) {
        const ModuleDelta& d = out.modules[k];
        if (d.subtreeChanged) out.modules[static_cast<std::size_t>(d.parent)].subtreeChanged = true;
    }
}

std::string withThousands(std::uint64_t value) {
    std::string digits = std::to_string(value), out;
    for (std::size_t k = 0; k < digits.size(); ++k) {
        if (k && (digits.size() - k) % 3 == 0) out += ',';
        out += digits[k];
    }
    return out;
}

std::string opList(const std::vector<OpCount>& ops) {
    if (ops.empty()) return "nothing";
    std::string text;
    for (const OpCount& op : ops) {
        if (!text.empty()) text += ", ";
        text += op.opType;
        if (op.count > 1) text += "\u00d7" + std::to_string(op.count);
    }
    return text;
}

// For long op lists: only the types whose count changed ("+Transpose×2, -Identity").
std::string opChanges(const ModuleDelta& d) {
    std::string text;
    auto add = [&](char sign, const std::string& type, std::size_t count) {
        if (!text.empty()) text += ", ";
        text += sign + type;
        if (count > 1) text += "\u00d7" + std::to_string(count);
    };
    auto countIn = [](const std::vector<OpCount>& ops, const std::string& type) -> std::size_t {
        for (const OpCount& op : ops)
            if (op.opType == type) return op.count;
        return 0;
    };
    for (const OpCount& x : d.opsA) {
        std::size_t inB = countIn(d.opsB, x.opType);
        if (inB < x.count) add('-', x.opType, x.count - inB);
    }
    for (const OpCount& y : d.opsB) {
        std::size_t inA = countIn(d.opsA, y.opType);
        if (inA < y.count) add('+', y.opType, y.count - inA);
    }
    return text;
}

constexpr std::size_t kFullListTypes = 10; // longer lists are summarized by their changes

} // namespace

std::string deltaSummary(const ModuleDelta& d) {
    std::string text;
    auto ops = [](std::size_t n) { return std::to_string(n) + (n == 1 ? " op" : " ops"); };
    if (d.match == ModuleMatch::Added) {
        text = "added: " + ops(d.nodesB) + (d.nodesB ? ": " + opList(d.opsB) : "");
    } else if (d.match == ModuleMatch::Removed) {
        text = "removed: " + ops(d.nodesA) + (d.nodesA ? ": " + opList(d.opsA) : "");
    } else if (!sameOps(d)) {
        text = ops(d.nodesA) + " -> " + std::to_string(d.nodesB) + ": ";
        if (d.opsA.size() <= kFullListTypes && d.opsB.size() <= kFullListTypes)
            text += opList(d.opsA) + " -> " + opList(d.opsB);
        else
            text += opChanges(d);
    }
    if (d.parametersA != d.parametersB && d.match != ModuleMatch::Added && d.match != ModuleMatch::Removed) {
        if (!text.empty()) text += "; ";
        text += "parameters " + withThousands(d.parametersA) + " -> " + withThousands(d.parametersB);
    }
    return text;
}

const char* moduleMatchName(ModuleMatch match) {
    switch (match) {
    case ModuleMatch::Scope:
        return "scope";
    case ModuleMatch::Parameters:
        return "parameters";
    case ModuleMatch::Position:
        return "position";
    case ModuleMatch::Signature:
        return "signature";
    case ModuleMatch::Prefix:
        return "prefix";
    case ModuleMatch::Wrapper:
        return "wrapper";
    case ModuleMatch::Removed:
        return "removed";
    case ModuleMatch::Added:
        return "added";
    }
    return "?";
}

int HierarchyComparison::find(const std::string& scope) const {
    for (std::size_t k = 0; k < modules.size(); ++k)
        if (modules[k].scope == scope) return static_cast<int>(k);
    return -1;
}

HierarchyComparison compareHierarchies(const ComparedModel& ma, const ComparedModel& mb) {
    Side a{ma.graph, ma.hierarchy, {}, std::vector<int>(ma.hierarchy.modules.size(), kNone), {}};
    Side b{mb.graph, mb.hierarchy, {}, std::vector<int>(mb.hierarchy.modules.size(), kNone), {}};
    OpTypes ops;
    internOps(a, ops);
    internOps(b, ops);

    HierarchyComparison out;
    out.nodesA = a.graph.size();
    out.nodesB = b.graph.size();
    matchByScope(a, b);
    // The roots are always counterparts, whatever their names.
    if (a.match[0] == kNone && b.match[0] == kNone) a.match[0] = 0, b.match[0] = 0;
    std::vector<bool> byScope(a.moduleCount());
    for (std::size_t m = 0; m < a.moduleCount(); ++m)
        byScope[m] = a.match[m] != kNone;
    // One side wraps the model ("model.stft" against "stft"): scopes match once the prefix is off.
    if ((a.wrapper = findWrapper(a, b)) != kNone) {
        out.matchedByPrefix = matchUnderWrapper(a, b, a.wrapper);
        out.wrapperA = a.module(a.wrapper).scope;
    } else if ((b.wrapper = findWrapper(b, a)) != kNone) {
        out.matchedByPrefix = matchUnderWrapper(b, a, b.wrapper);
        out.wrapperB = b.module(b.wrapper).scope;
    }
    std::vector<bool> byPrefix(a.moduleCount());
    for (std::size_t m = 0; m < a.moduleCount(); ++m)
        byPrefix[m] = !byScope[m] && a.match[m] != kNone;
    out.matchedByParameters = matchByParameters(a, b);
    std::vector<bool> byParameters(a.moduleCount());
    for (std::size_t m = 0; m < a.moduleCount(); ++m)
        byParameters[m] = !byScope[m] && !byPrefix[m] && a.match[m] != kNone;
    ChildMatches children = matchChildren(a, b);
    out.matchedBySignature = children.bySignature;
    out.matchedByPosition = children.byPosition;
    std::vector<ModuleMatch> kind(a.moduleCount(), ModuleMatch::Position);
    for (std::size_t m = 0; m < a.moduleCount(); ++m)
        if (byScope[m] || byPrefix[m] || byParameters[m] || children.bySignatureA[m])
            kind[m] = byScope[m]        ? ModuleMatch::Scope
                      : byPrefix[m]     ? ModuleMatch::Prefix
                      : byParameters[m] ? ModuleMatch::Parameters
                                        : ModuleMatch::Signature;

    buildTree(out, a, b, kind);
    countOps(out, a, true, ops);
    countOps(out, b, false, ops);
    fillWrappedRoot(out, a, b);
    findMovedNodes(out, a, b);
    classify(out);
    return out;
}

} // namespace hs
