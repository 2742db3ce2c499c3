#include "parameters.h"

#include "graph.h"

#include <algorithm>
#include <unordered_set>

namespace hs {
namespace {

bool isIdentifierChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Ops that only transform a weight on its way to its user (torch's Linear transpose, a dtype cast, a
// reshape, dequantization of a quantized weight).
bool transformsWeight(const std::string& opType) {
    static const std::unordered_set<std::string_view> ops = {"Identity", "Transpose", "Cast",
                                                             "CastLike", "Reshape",   "Unsqueeze",
                                                             "Squeeze",  "Flatten",   "DequantizeLinear"};
    return ops.count(opType) > 0;
}

constexpr int kMaxChain = 4; // weight-only ops followed back from a user to its parameter

} // namespace

bool isParameterName(std::string_view name, std::string_view* owner) {
    if (name.empty() || name.back() == '.') return false;
    bool atomStart = true, letter = false;
    for (char c : name) {
        if (c == '.') {
            if (atomStart) return false; // empty atom: "a..b", ".a"
            atomStart = true;
            continue;
        }
        if (!isIdentifierChar(c)) return false; // "onnx::MatMul_1", "/enc/x", "conv:0"
        letter = letter || !(c >= '0' && c <= '9');
        atomStart = false;
    }
    if (!letter) return false; // "1234", "12.3": numbered constants of older exporters
    if (owner) {
        const std::size_t dot = name.rfind('.');
        *owner = dot == std::string_view::npos ? std::string_view() : name.substr(0, dot);
    }
    return true;
}

bool parameterOwner(std::string_view name, std::string& owner) {
    std::string_view view;
    if (!isParameterName(name, &view)) return false;
    owner.assign(view);
    return true;
}

ParameterUses::ParameterUses(const GraphIndex& g)
    : g_(g), parameterOfTensor_(g.tensorCount(), -2), users_(g.tensorCount(), 0),
      weightOnly_(g.size(), false) {
    // A weight-only op transforms a weight (its first input: an initializer, or the result of another
    // weight-only op) with constants (a shape, a scale). Chains are short: marked in a few rounds, over
    // the few nodes whose op can transform a weight.
    std::vector<int> candidates;
    for (std::size_t i = 0; i < g.size(); ++i)
        if (!g.inputs(static_cast<int>(i)).empty() && transformsWeight(g.node(static_cast<int>(i)).opType))
            candidates.push_back(static_cast<int>(i));
    for (int round = 0; round < kMaxChain; ++round) {
        bool changed = false;
        for (int node : candidates) {
            const std::size_t i = static_cast<std::size_t>(node);
            if (weightOnly_[i]) continue;
            const IndexSpan inputs = g.inputs(node);
            const TensorEntry& weight = g.tensor(inputs[0]);
            const bool fromWeight =
                weight.initializer ||
                (weight.producer >= 0 && weightOnly_[static_cast<std::size_t>(weight.producer)]);
            const bool restConstant = std::all_of(inputs.begin() + 1, inputs.end(), [&](int t) {
                const TensorEntry& te = g.tensor(t);
                return te.initializer || (te.producer >= 0 && g.node(te.producer).opType == "Constant");
            });
            if (fromWeight && restConstant) weightOnly_[i] = changed = true;
        }
        if (!changed) break;
    }
    for (std::size_t t = 0; t < g.tensorCount(); ++t)
        resolve(static_cast<int>(t), 0);
    // Users: computing nodes, each counted once per parameter (a node reading it twice is one user).
    for (std::size_t i = 0; i < g.size(); ++i) {
        if (weightOnly_[i]) continue;
        const IndexSpan inputs = g.inputs(static_cast<int>(i));
        for (std::size_t k = 0; k < inputs.size(); ++k) {
            const int p = parameterOf(inputs[k]);
            if (p < 0) continue;
            bool seen = false;
            for (std::size_t j = 0; j < k && !seen; ++j)
                seen = parameterOf(inputs[j]) == p;
            if (!seen) ++users_[static_cast<std::size_t>(p)];
        }
    }
}

int ParameterUses::resolve(int t, int depth) {
    int& cached = parameterOfTensor_[static_cast<std::size_t>(t)];
    if (cached != -2) return cached;
    const TensorEntry& te = g_.tensor(t);
    if (te.initializer) return cached = isParameterName(te.name, nullptr) ? t : -1;
    const int producer = te.producer;
    if (producer < 0 || !weightOnly_[static_cast<std::size_t>(producer)] || depth >= kMaxChain)
        return cached = -1;
    // torch's Identity copies of equal weights stand for the parameter they are named after; one renamed
    // ("onnx::Conv_503") is of unknown owner, never the owner of its input.
    if (g_.node(producer).opType == "Identity") return cached = isParameterName(te.name, nullptr) ? t : -1;
    return cached = resolve(g_.inputs(producer)[0], depth + 1);
}

std::vector<std::string> parameterNamesUsedBy(const GraphIndex& g, int node) {
    std::vector<std::string> names;
    std::string owner;
    auto add = [&](const std::string& name) {
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    };
    if (g.node(node).opType == "Identity")
        for (int t : g.outputs(node))
            if (parameterOwner(g.tensor(t).name, owner)) add(g.tensor(t).name);
    if (!names.empty()) return names;
    for (int t : g.inputs(node)) {
        for (int depth = 0; depth <= kMaxChain && t >= 0; ++depth) {
            const TensorEntry& te = g.tensor(t);
            const bool transformed = te.producer >= 0 && transformsWeight(g.node(te.producer).opType);
            const bool copy = te.producer >= 0 && g.node(te.producer).opType == "Identity";
            if ((te.initializer || copy) && parameterOwner(te.name, owner)) {
                add(te.name);
                break;
            }
            if (!transformed || g.node(te.producer).opType == "Identity" || g.inputs(te.producer).empty())
                break;
            t = g.inputs(te.producer)[0];
        }
    }
    return names;
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
