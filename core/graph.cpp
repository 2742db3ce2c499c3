#include "graph.h"

#include <algorithm>
#include <queue>

namespace hs {

namespace {
constexpr int kMaxFunctionDepth = 16; // recursive local functions are invalid; do not expand forever
}

// Lexical scope of tensor names: a body sees its own names first, then its parents'.
struct GraphIndex::Scope {
    Scope* parent = nullptr;
    std::unordered_map<std::string, int> names;
    int lookup(const std::string& name) const {
        for (const Scope* s = this; s; s = s->parent) {
            auto it = s->names.find(name);
            if (it != s->names.end()) return it->second;
        }
        return -1;
    }
};

std::vector<std::string> localNodeKeys(const Graph& graph) {
    std::unordered_map<std::string, int> counts;
    counts.reserve(graph.nodes.size());
    for (const auto& n : graph.nodes)
        if (!n.name.empty()) ++counts[n.name];
    std::vector<std::string> keys;
    keys.reserve(graph.nodes.size());
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
        const auto& name = graph.nodes[i].name;
        keys.push_back(!name.empty() && counts[name] == 1 ? name : "#" + std::to_string(i));
    }
    return keys;
}

GraphIndex::GraphIndex(std::shared_ptr<const Model> model) : model_(std::move(model)) {
    Scope root;
    const Graph& main = model_->main();
    auto declare = [&](const ValueInfo& vi, bool input) {
        int t = internTensor(root, vi.name);
        tensors_[static_cast<std::size_t>(t)].info = &vi;
        if (input) tensors_[static_cast<std::size_t>(t)].graphInput = true;
    };
    for (const auto& init : main.initializers) {
        int t = internTensor(root, init.name);
        tensors_[static_cast<std::size_t>(t)].initializer = true;
        tensors_[static_cast<std::size_t>(t)].init = &init;
    }
    for (const auto& vi : main.inputs)
        if (!tensors_.empty() && root.lookup(vi.name) >= 0 &&
            tensors_[static_cast<std::size_t>(root.lookup(vi.name))].initializer)
            tensors_[static_cast<std::size_t>(root.lookup(vi.name))].info =
                &vi; // old IRs list initializers as inputs
        else
            declare(vi, true);
    addGraph(0, -1, "", root, 0);
    for (const auto& vi : main.valueInfo) {
        int t = root.lookup(vi.name);
        if (t >= 0 && !tensors_[static_cast<std::size_t>(t)].info)
            tensors_[static_cast<std::size_t>(t)].info = &vi;
    }
    for (const auto& vi : main.outputs) {
        int t = internTensor(root, vi.name);
        tensors_[static_cast<std::size_t>(t)].graphOutput = true;
        tensors_[static_cast<std::size_t>(t)].info = &vi;
    }
    mainTensors_ = std::move(root.names);
}

int GraphIndex::internTensor(Scope& scope, const std::string& name) {
    auto it = scope.names.find(name);
    if (it != scope.names.end()) return it->second;
    int t = static_cast<int>(tensors_.size());
    tensors_.push_back({});
    tensors_.back().name = name;
    scope.names.emplace(name, t);
    return t;
}

void GraphIndex::addGraph(int graphIndex, int parentInstance, const std::string& keyPrefix, Scope& scope,
                          int depth) {
    const Graph& graph = model_->graphs[static_cast<std::size_t>(graphIndex)];
    std::vector<std::string> keys = localNodeKeys(graph);
    std::size_t first = instances_.size();
    // Pass 1: create the instances and the tensors they produce, so consumers see producers
    // regardless of the order nodes are listed in.
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
        int id = static_cast<int>(instances_.size());
        instances_.push_back({graphIndex, static_cast<int>(i), parentInstance, depth, keyPrefix + keys[i]});
        byKey_.emplace(instances_.back().key, id);
        inputs_.emplace_back();
        outputs_.emplace_back();
        children_.emplace_back();
        if (parentInstance >= 0) children_[static_cast<std::size_t>(parentInstance)].push_back(id);
        for (const auto& out : graph.nodes[i].outputs) {
            if (out.empty()) continue;
            int t = internTensor(scope, out);
            tensors_[static_cast<std::size_t>(t)].producer = id;
            outputs_.back().push_back(t);
        }
    }
    if (graphIndex == 0) mainCount_ = instances_.size();
    // Pass 2: inputs, resolved through the enclosing scopes.
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
        int id = static_cast<int>(first + i);
        for (const auto& in : graph.nodes[i].inputs) {
            if (in.empty()) continue;
            int t = scope.lookup(in);
            if (t < 0) t = internTensor(scope, in); // dangling in the file: keep it visible
            inputs_[static_cast<std::size_t>(id)].push_back(t);
            tensors_[static_cast<std::size_t>(t)].consumers.push_back(id);
        }
    }
    // Pass 3: nested bodies and function calls, each under its node instance.
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
        int id = static_cast<int>(first + i);
        const Node& node = graph.nodes[i];
        std::string prefix = instances_[static_cast<std::size_t>(id)].key + "::";
        for (const auto& attr : node.attributes)
            for (int sub : attr.subgraphs) {
                Scope inner;
                inner.parent = &scope;
                const Graph& body = model_->graphs[static_cast<std::size_t>(sub)];
                for (const auto& init : body.initializers)
                    internTensor(inner, init.name);
                for (const auto& vi : body.inputs)
                    internTensor(inner, vi.name);
                addGraph(sub, id, prefix + attr.name + "::", inner, depth + 1);
                for (const auto& vi : body.outputs) { // the body's results flow into its owner
                    int t = inner.lookup(vi.name);
                    if (t >= 0) tensors_[static_cast<std::size_t>(t)].consumers.push_back(id);
                }
            }
        int fn = model_->findFunction(node.domain, node.opType);
        if (fn >= 0 && depth < kMaxFunctionDepth) {
            const Function& function = model_->functions[static_cast<std::size_t>(fn)];
            Scope inner; // function bodies see only their formal parameters, not the caller's names
            for (std::size_t k = 0; k < function.inputs.size(); ++k) {
                std::size_t position = k;
                if (position < node.inputs.size() && !node.inputs[position].empty())
                    inner.names.emplace(function.inputs[k], scope.lookup(node.inputs[position]));
            }
            for (auto it = inner.names.begin(); it != inner.names.end();)
                it = it->second < 0 ? inner.names.erase(it) : std::next(it);
            addGraph(function.body, id, prefix, inner, depth + 1);
            for (const auto& out : function.outputs) {
                auto found = inner.names.find(out);
                if (found != inner.names.end())
                    tensors_[static_cast<std::size_t>(found->second)].consumers.push_back(id);
            }
        }
    }
}

const Node& GraphIndex::node(int i) const {
    const NodeInstance& inst = instance(i);
    return model_->graphs[static_cast<std::size_t>(inst.graph)].nodes[static_cast<std::size_t>(inst.node)];
}

int GraphIndex::find(const std::string& key) const {
    auto it = byKey_.find(key);
    return it == byKey_.end() ? -1 : it->second;
}

int GraphIndex::findTensor(const std::string& name) const {
    auto it = mainTensors_.find(name);
    return it == mainTensors_.end() ? -1 : it->second;
}

std::vector<int> GraphIndex::producersOf(int i) const {
    std::vector<int> result;
    for (int t : inputs(i)) {
        int p = tensor(t).producer;
        if (p >= 0 && p != i && std::find(result.begin(), result.end(), p) == result.end())
            result.push_back(p);
    }
    return result;
}

std::vector<int> GraphIndex::consumersOf(int i) const {
    std::vector<int> result;
    for (int t : outputs(i))
        for (int c : tensor(t).consumers)
            if (c != i && std::find(result.begin(), result.end(), c) == result.end()) result.push_back(c);
    return result;
}

std::vector<int> GraphIndex::topologicalOrder() const {
    int n = static_cast<int>(mainCount_);
    std::vector<int> pending(static_cast<std::size_t>(n), 0);
    for (int i = 0; i < n; ++i)
        for (int p : producersOf(i))
            if (p < n) ++pending[static_cast<std::size_t>(i)];
    // A min-heap on the node index keeps graph order wherever dependencies allow it.
    std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
    for (int i = 0; i < n; ++i)
        if (pending[static_cast<std::size_t>(i)] == 0) ready.push(i);
    std::vector<int> order;
    order.reserve(static_cast<std::size_t>(n));
    while (!ready.empty()) {
        int i = ready.top();
        ready.pop();
        order.push_back(i);
        for (int c : consumersOf(i))
            if (c < n && --pending[static_cast<std::size_t>(c)] == 0) ready.push(c);
    }
    if (order.size() < static_cast<std::size_t>(n)) // a cycle: the file is invalid, keep every node anyway
        for (int i = 0; i < n; ++i)
            if (pending[static_cast<std::size_t>(i)] > 0) order.push_back(i);
    return order;
}

} // namespace hs
