#include "hierarchy/parameters.h"

#include "graph/graph.h"
#include "hierarchy/scope_names.h"

#include <algorithm>

namespace hs {
namespace {

// Character classes of parameter names, looked up rather than compared: every initializer's name is
// scanned once per inference.
enum CharClass : unsigned char { kOther, kDigit, kLetter, kDot };
struct CharClasses {
    CharClass of[256] = {};
    constexpr CharClasses() {
        for (int c = 'a'; c <= 'z'; ++c)
            of[c] = kLetter;
        for (int c = 'A'; c <= 'Z'; ++c)
            of[c] = kLetter;
        for (int c = '0'; c <= '9'; ++c)
            of[c] = kDigit;
        of[static_cast<unsigned char>('_')] = kLetter;
        of[static_cast<unsigned char>('.')] = kDot;
    }
};
constexpr CharClasses kCharClasses;

// Ops that only transform a weight on its way to its user (torch's Linear transpose, a dtype cast, a
// reshape, dequantization of a quantized weight): OpKind::Identity and OpKind::WeightTransform.
bool transformsWeight(OpKind kind) {
    return kind == OpKind::Identity || kind == OpKind::WeightTransform;
}

constexpr int kMaxChain = 4; // weight-only ops followed back from a user to its parameter

// `name` is `prefix` followed by one or more digits and nothing else.
bool isNumbered(std::string_view name, std::string_view prefix) {
    if (name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix) return false;
    for (char c : name.substr(prefix.size()))
        if (kCharClasses.of[static_cast<unsigned char>(c)] != kDigit) return false;
    return true;
}

// Constants an exporter lifted out of the code and named itself: dynamo's "val_24" (its GroupNorm
// reads them; the node's metadata puts it in `enc.0.n1`), FX's "_tensor_constant0", torch.export's
// "lifted_tensor_0" / "c_lifted_tensor_0". They look like root parameters and are none.
bool isLiftedConstantName(std::string_view name) {
    return isNumbered(name, "val_") || isNumbered(name, "_val_") || isNumbered(name, "_tensor_constant") ||
           isNumbered(name, "lifted_tensor_") || isNumbered(name, "c_lifted_tensor_");
}

} // namespace

bool isParameterName(std::string_view name, std::string_view* owner) {
    if (name.empty() || name.back() == '.' || isLiftedConstantName(name)) return false;
    bool atomStart = true, letter = false;
    for (char c : name) {
        switch (kCharClasses.of[static_cast<unsigned char>(c)]) {
        case kDot:
            if (atomStart) return false; // empty atom: "a..b", ".a"
            atomStart = true;
            continue;
        case kOther:
            return false; // "onnx::MatMul_1", "/enc/x", "conv:0"
        case kLetter:
            letter = true;
            break;
        case kDigit:
            break;
        }
        atomStart = false;
    }
    if (!letter) return false; // "1234", "12.3": numbered constants of older exporters
    if (owner) *owner = parentScopeOf(name);
    return true;
}

std::string_view ownerWithoutOpType(std::string_view owner, std::string_view opType) {
    return opType.empty() || lastAtomOf(owner) != opType ? owner : parentScopeOf(owner);
}

bool parameterOwner(std::string_view name, std::string& owner) {
    std::string_view view;
    if (!isParameterName(name, &view)) return false;
    owner.assign(view);
    return true;
}

ParameterUses::ParameterUses(const GraphIndex& g)
    : g_(g), slot_(g.tensorCount(), -1), weightOnly_(g.size(), false) {
    // Walked forward from the initializers, the only place a parameter can start: a graph of 100k
    // nodes has a few thousand weights, and only their consumers are looked at.
    std::vector<int> carriers(g.initializers()), frontier(carriers), next; // tensors carrying one
    for (int t : carriers)
        slot_[static_cast<std::size_t>(t)] = addParameter(t);
    // A weight-only op transforms a weight (its first input: an initializer, or the result of another
    // weight-only op) with constants (a shape, a scale); chains are short.
    for (int depth = 0; depth < kMaxChain && !frontier.empty(); ++depth) {
        next.clear();
        for (int weight : frontier)
            for (int node : g.consumers(weight))
                if (markWeightOnly(node, weight)) {
                    nodes_.push_back(node);
                    for (int out : g.outputs(node)) {
                        // torch's Identity copies of equal weights stand for the parameter they are named
                        // after; one renamed ("onnx::Conv_503") is of unknown owner, never its input's.
                        const bool copy = g.opKind(node) == OpKind::Identity;
                        slot_[static_cast<std::size_t>(out)] =
                            copy ? addParameter(out) : slot_[static_cast<std::size_t>(weight)];
                        next.push_back(out);
                        carriers.push_back(out);
                    }
                }
        frontier.swap(next);
    }
    // Users: computing nodes, each counted once per parameter (a node reading it twice, directly or
    // through two copies, is one user: counted at its first input carrying it).
    for (int t : carriers) {
        const int slot = slot_[static_cast<std::size_t>(t)];
        if (slot < 0) continue;
        const IndexSpan consumers = g.consumers(t);
        for (std::size_t k = 0; k < consumers.size(); ++k) {
            const int node = consumers[k];
            if (weightOnly_[static_cast<std::size_t>(node)] ||
                std::find(consumers.begin(), consumers.begin() + k, node) != consumers.begin() + k)
                continue;
            for (int input : g.inputs(node))
                if (slot_[static_cast<std::size_t>(input)] == slot) {
                    if (input == t) {
                        Param& param = params_[static_cast<std::size_t>(slot)];
                        ++param.users;
                        nodes_.push_back(node);
                        if (param.users == 1) dropOpTypeFromOwner(param, g.node(node).opType);
                    }
                    break;
                }
        }
    }
    std::sort(nodes_.begin(), nodes_.end());
    nodes_.erase(std::unique(nodes_.begin(), nodes_.end()), nodes_.end());
}

// Marks `node` weight-only when it transforms `weight` (its first input) with constants only.
bool ParameterUses::markWeightOnly(int node, int weight) {
    const std::size_t i = static_cast<std::size_t>(node);
    if (weightOnly_[i]) return false;
    const IndexSpan inputs = g_.inputs(node);
    if (inputs.empty() || inputs[0] != weight || !transformsWeight(g_.opKind(node))) return false;
    const bool restConstant = std::all_of(inputs.begin() + 1, inputs.end(), [&](int t) {
        const TensorEntry& te = g_.tensor(t);
        return te.initializer || (te.producer >= 0 && g_.opKind(te.producer) == OpKind::Constant);
    });
    return weightOnly_[i] = restConstant;
}

int ParameterUses::addParameter(int t) {
    std::string_view owner;
    if (!isParameterName(g_.tensor(t).name, &owner)) return -1;
    params_.push_back({t, 0, static_cast<int>(owner.size())});
    return static_cast<int>(params_.size()) - 1;
}

std::vector<std::string> parameterNamesUsedBy(const GraphIndex& g, int node) {
    std::vector<std::string> names;
    std::string owner;
    auto add = [&](std::string_view name) {
        if (std::find(names.begin(), names.end(), name) == names.end()) names.emplace_back(name);
    };
    if (g.opKind(node) == OpKind::Identity)
        for (int t : g.outputs(node))
            if (parameterOwner(g.tensor(t).name, owner)) add(g.tensor(t).name);
    if (!names.empty()) return names;
    for (int t : g.inputs(node)) {
        for (int depth = 0; depth <= kMaxChain && t >= 0; ++depth) {
            const TensorEntry& te = g.tensor(t);
            const bool transformed = te.producer >= 0 && transformsWeight(g.opKind(te.producer));
            const bool copy = te.producer >= 0 && g.opKind(te.producer) == OpKind::Identity;
            if ((te.initializer || copy) && parameterOwner(te.name, owner)) {
                add(te.name);
                break;
            }
            if (!transformed || g.opKind(te.producer) == OpKind::Identity || g.inputs(te.producer).empty())
                break;
            t = g.inputs(te.producer)[0];
        }
    }
    return names;
}

void ParameterUses::dropOpTypeFromOwner(Param& param, const std::string& opType) const {
    const std::string_view owner =
        std::string_view(g_.tensor(param.tensor).name).substr(0, static_cast<std::size_t>(param.ownerLength));
    param.ownerLength = static_cast<int>(ownerWithoutOpType(owner, opType).size());
}

std::string_view ParameterUses::ownerOf(int parameter) const {
    return std::string_view(g_.tensor(parameter).name)
        .substr(0, static_cast<std::size_t>(paramOf(parameter).ownerLength));
}

std::vector<int> ParameterUses::parametersOf(int node) const {
    std::vector<int> result;
    for (int t : g_.inputs(node)) {
        const int p = parameterOf(t);
        if (p >= 0 && std::find(result.begin(), result.end(), p) == result.end()) result.push_back(p);
    }
    return result;
}

} // namespace hs
