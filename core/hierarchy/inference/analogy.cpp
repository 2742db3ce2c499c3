// Analogy with repeated module instances. Repeated blocks (encoder.layer.0, encoder.layer.1) run the
// same ops in the same submodules. A node whose bound is one instance goes where a named node of the
// same shape, its twin, sits in another instance, when its named neighbours sit where the twin's
// neighbours predict. Cheap necessary conditions come first: on a 100k-node model few nodes get to the
// twin search.
#include "graph/graph.h"
#include "hierarchy/inference/inference.h"
#include "hierarchy/scope_names.h"

#include <algorithm>

namespace hs {
namespace {
constexpr int kTwinInstances = 4; // other instances searched: the nearest in graph order
}

int Analogy::analogousCall(int i, int bound, int best, int& twin, bool trustInferred) {
    trustInferred_ = trustInferred;
    const GraphIndex& g = c_.graph;
    const ModuleCalls& calls = c_.calls;
    if (bound < 0 || c_.hierarchy.modules[static_cast<std::size_t>(calls.moduleOf(best))].children.empty())
        return -1;
    // The proof needs a named neighbour inside the twin's position, which lies below `best`.
    if (!hasNamedNeighbourBelow(i, best)) return -1;
    const std::vector<int>& instances = instancesLike(bound);
    if (instances.size() < 2) return -1; // nothing to compare with
    const std::string shape = shapeSignature(i);
    std::string position;
    int twinNode = -1, twinInstance = -1;
    for (int instance : nearestInstances(instances, bound)) {
        if (calls.moduleOf(instance) == calls.moduleOf(bound)) continue; // another call of the same module
        for (int y : explicitNodesUnder(instance)) {
            if (g.node(y).opType != g.node(i).opType || !c_.namedAndClear(y) ||
                g.inputs(y).size() != g.inputs(i).size() || g.outputs(y).size() != g.outputs(i).size() ||
                shapeSignature(y) != shape)
                continue;
            std::vector<std::string> checked;
            if (!neighboursAgree(i, bound, y, instance, checked)) continue;
            std::string rel = relativePosition(c_.callOf(y), instance);
            // Proof needs a named neighbour inside that module on both sides: being connected only to
            // what lies outside it, a node could as well be a sibling module's twin (key beside value).
            bool inside = std::any_of(checked.begin(), checked.end(), [&](const std::string& r) {
                return r.compare(0, rel.size(), rel) == 0 && (r.size() == rel.size() || r[rel.size()] == '/');
            });
            if (!inside) continue;
            if (twinNode >= 0 && rel != position) return -1; // proven twins disagree
            if (twinNode < 0) twinNode = y, twinInstance = instance, position = rel;
        }
    }
    if (twinNode < 0 || position.empty()) return -1;
    const int call = sameCallBelow(bound, c_.callOf(twinNode), twinInstance);
    if (call < 0 || call == best || !calls.isAncestorOrSelf(best, call)) return -1;
    twin = twinNode;
    return call;
}

// A neighbour whose position counts: named (explicit and clear) or, once trusted, placed by inference,
// which places a node in its true module or an ancestor of it: "inside" still proves inside.
bool Analogy::known(int n) const {
    if (c_.namedAndClear(n)) return true;
    // Not a constant: placed after its user, it proves nothing about it.
    return trustInferred_ && n >= 0 && !c_.isExplicit(n) && c_.callOf(n) >= 0 &&
           c_.kindOf(n) != InferenceContext::NodeKind::Constant;
}

bool Analogy::hasNamedNeighbourBelow(int i, int call) const {
    auto below = [&](int n) {
        if (!known(n)) return false;
        int c = c_.callOf(n);
        return c != call && c_.calls.isAncestorOrSelf(call, c);
    };
    for (int t : c_.graph.inputs(i))
        if (below(c_.graph.tensor(t).producer)) return true;
    for (int t : c_.graph.outputs(i))
        for (int c : c_.graph.consumers(t))
            if (below(c)) return true;
    return false;
}

// The calls whose modules share the scope pattern of call c's module, at its depth, in graph order.
const std::vector<int>& Analogy::instancesLike(int c) {
    const ModuleCalls& calls = c_.calls;
    if (instancesOfPattern_.empty()) {
        std::unordered_map<std::string, int> ids;
        patternIdOfCall_.assign(calls.size(), -1);
        for (std::size_t k = 1; k < calls.size(); ++k) {
            const int call = static_cast<int>(k);
            std::string pattern =
                std::to_string(calls.call(call).depth) + ":" + scopePattern(calls.scopeOf(call));
            auto it = ids.emplace(std::move(pattern), static_cast<int>(ids.size())).first;
            if (static_cast<std::size_t>(it->second) == instancesOfPattern_.size())
                instancesOfPattern_.emplace_back();
            instancesOfPattern_[static_cast<std::size_t>(it->second)].push_back(call);
            patternIdOfCall_[k] = it->second;
        }
    }
    static const std::vector<int> none;
    const int id = c > 0 ? patternIdOfCall_[static_cast<std::size_t>(c)] : -1;
    return id < 0 ? none : instancesOfPattern_[static_cast<std::size_t>(id)];
}

// Up to kTwinInstances other instances, the nearest to `c` in the order the calls were created.
std::vector<int> Analogy::nearestInstances(const std::vector<int>& instances, int c) const {
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
std::vector<int> Analogy::explicitNodesUnder(int c) {
    const ModuleCalls& calls = c_.calls;
    const std::vector<int>& explicitNodes = c_.explicitNodes;
    if (explicitByCall_.empty()) {
        // Calls' children and explicit nodes per call, as offsets into flat lists (built once).
        childCallStart_.assign(calls.size() + 1, 0);
        for (std::size_t k = 1; k < calls.size(); ++k)
            ++childCallStart_[static_cast<std::size_t>(calls.call(static_cast<int>(k)).parent) + 1];
        explicitStart_.assign(calls.size() + 1, 0);
        for (int n : explicitNodes)
            ++explicitStart_[static_cast<std::size_t>(c_.callOf(n)) + 1];
        for (std::size_t k = 1; k <= calls.size(); ++k) {
            childCallStart_[k] += childCallStart_[k - 1];
            explicitStart_[k] += explicitStart_[k - 1];
        }
        childCalls_.resize(calls.size());
        explicitByCall_.resize(explicitNodes.size());
        std::vector<int> fill(childCallStart_.begin(), childCallStart_.end() - 1);
        for (std::size_t k = 1; k < calls.size(); ++k)
            childCalls_[static_cast<std::size_t>(
                fill[static_cast<std::size_t>(calls.call(static_cast<int>(k)).parent)]++)] =
                static_cast<int>(k);
        fill.assign(explicitStart_.begin(), explicitStart_.end() - 1);
        for (int n : explicitNodes)
            explicitByCall_[static_cast<std::size_t>(fill[static_cast<std::size_t>(c_.callOf(n))]++)] = n;
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
int Analogy::sameCallBelow(int base, int c, int instance) const {
    const ModuleCalls& calls = c_.calls;
    const auto& modules = c_.hierarchy.modules;
    std::vector<int> chain;
    for (int k = c; k != instance; k = calls.call(k).parent)
        chain.insert(chain.begin(), k);
    int call = base;
    for (int k : chain) {
        const std::string& name = modules[static_cast<std::size_t>(calls.moduleOf(k))].name;
        int next = -1;
        for (int child : modules[static_cast<std::size_t>(calls.moduleOf(call))].children)
            if (modules[static_cast<std::size_t>(child)].name == name) next = child;
        if (next < 0) return -1;
        call = calls.find(call, next, calls.call(k).index);
        if (call < 0) return -1;
    }
    return call;
}

// Where call c lies below call `base`: module names and call numbers down from it; "^" outside.
std::string Analogy::relativePosition(int c, int base) const {
    const ModuleCalls& calls = c_.calls;
    if (c < 0 || !calls.isAncestorOrSelf(base, c)) return "^";
    std::string rel;
    for (int k = c; k != base; k = calls.call(k).parent)
        rel = "/" + c_.hierarchy.modules[static_cast<std::size_t>(calls.moduleOf(k))].name + "#" +
              std::to_string(calls.call(k).index) + rel;
    return rel;
}

// The node's shape, without names: op type, per input what produces it, per output the kinds of its
// users.
std::string Analogy::shapeSignature(int i) const {
    const GraphIndex& g = c_.graph;
    std::string s = g.node(i).opType + "(";
    for (int t : g.inputs(i)) {
        const TensorEntry& te = g.tensor(t);
        if (c_.isConstantValue(te)) {
            s += "c,";
        } else if (te.producer < 0) {
            s += te.graphInput ? "in," : "?,";
        } else {
            const auto& outs = g.outputs(te.producer);
            s += g.node(te.producer).opType + ":" +
                 std::to_string(std::find(outs.begin(), outs.end(), t) - outs.begin()) + ",";
        }
    }
    s += ")->";
    for (int t : g.outputs(i)) {
        const TensorEntry& te = g.tensor(t);
        std::vector<std::string> users;
        for (int c : g.consumers(t))
            users.push_back(consumerKey(c, t));
        std::sort(users.begin(), users.end());
        s += te.graphOutput ? "[out," : "[";
        for (const auto& u : users)
            s += u + ",";
        s += "]";
    }
    return s;
}

std::string Analogy::consumerKey(int c, int t) const {
    const auto& ins = c_.graph.inputs(c);
    return c_.graph.node(c).opType + ":" + std::to_string(std::find(ins.begin(), ins.end(), t) - ins.begin());
}

// Whether the named neighbours of x (bound `bx`) and of y (instance `by`) agree on their positions
// relative to the instances: none contradicts. `checked` receives the positions of neighbours named on
// both sides (a neighbour named on one side only confirms nothing). A neighbour placed by inference
// (trusted) at an ancestor of its counterpart's position does not contradict it, nor confirm it: its
// true module may be that position.
bool Analogy::neighboursAgree(int x, int bx, int y, int by, std::vector<std::string>& checked) const {
    const GraphIndex& g = c_.graph;
    const auto& inX = g.inputs(x);
    const auto& inY = g.inputs(y);
    for (std::size_t k = 0; k < inX.size(); ++k) {
        int px = g.tensor(inX[k]).producer, py = g.tensor(inY[k]).producer;
        if (!known(px) || !known(py)) continue;
        Position a{relativePosition(c_.callOf(px), bx), isInferred(px)};
        Position b{relativePosition(c_.callOf(py), by), isInferred(py)};
        if (a.rel == b.rel)
            checked.push_back(a.rel);
        else if (!vaguerThan(a, b) && !vaguerThan(b, a))
            return false;
    }
    const auto& outX = g.outputs(x);
    const auto& outY = g.outputs(y);
    for (std::size_t k = 0; k < outX.size(); ++k) {
        // Users of one kind are interchangeable: each known user of x pairs with a known user of y of
        // its kind at the same relative position, else with an unknown one of its kind, else (placed
        // by inference on one side) with one at a compatible position.
        std::vector<std::pair<std::string, Position>> ys, xs; // kind, position ("" unknown)
        for (int c : g.consumers(outY[k]))
            ys.push_back(
                {consumerKey(c, outY[k]),
                 known(c) ? Position{relativePosition(c_.callOf(c), by), isInferred(c)} : Position{}});
        for (int c : g.consumers(outX[k]))
            if (known(c))
                xs.push_back(
                    {consumerKey(c, outX[k]), Position{relativePosition(c_.callOf(c), bx), isInferred(c)}});
        auto take = [&](auto matches) {
            for (auto it = xs.begin(); it != xs.end();) {
                auto match = std::find_if(ys.begin(), ys.end(), [&](const auto& u) {
                    return u.first == it->first && matches(it->second, u.second);
                });
                if (match == ys.end()) {
                    ++it;
                    continue;
                }
                if (it->second.rel == match->second.rel) checked.push_back(it->second.rel);
                ys.erase(match);
                it = xs.erase(it);
            }
        };
        take([](const Position& a, const Position& b) { return a.rel == b.rel; });
        take([](const Position&, const Position& b) { return b.rel.empty() && !b.inferred; });
        take([&](const Position& a, const Position& b) {
            return !b.rel.empty() && (vaguerThan(a, b) || vaguerThan(b, a));
        });
        if (!xs.empty()) return false;
    }
    return true;
}

bool Analogy::isInferred(int n) const {
    return n >= 0 && !c_.isExplicit(n);
}

// `a`, placed by inference, sits at or above `b`'s position: "^" (outside the instance) or an
// ancestor path of it.
bool Analogy::vaguerThan(const Position& a, const Position& b) {
    if (!a.inferred) return false;
    if (a.rel == "^") return true;
    return b.rel != "^" && b.rel.compare(0, a.rel.size(), a.rel) == 0 &&
           (b.rel.size() == a.rel.size() || b.rel[a.rel.size()] == '/');
}

} // namespace hs
