#include "graph/graph.h"
#include "common/huge_pages.h"
#include "graph/function_expansion.h"

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <numeric>
#include <queue>
#include <string_view>
#include <thread>

namespace hs {

// The hashes of names a loop will look up, in the order it does: each take() asks for the table slot of
// the name kAhead names later, so that its lookup finds it in cache (on graphs of 100k nodes nearly every
// lookup was a cache miss).
class HashesAhead {
public:
    void reserve(std::size_t n) { hashes_.reserve(n); }
    void add(std::string_view name) { hashes_.push_back(NameTable::hashOf(name)); }
    void add(const std::vector<std::size_t>& hashes) {
        hashes_.insert(hashes_.end(), hashes.begin(), hashes.end());
    }
    // The next name's hash.
    std::size_t take(const NameTable& table) {
        if (next_ + kAhead < hashes_.size()) table.prefetch(hashes_[next_ + kAhead]);
        return hashes_[next_++];
    }

private:
    static constexpr std::size_t kAhead = 16;
    std::vector<std::size_t> hashes_;
    std::size_t next_ = 0;
};

// Lexical scope of tensor names: a body sees its own names first, then its parents'.
struct GraphIndex::Scope {
    Scope* parent = nullptr;
    NameTable names; // views of names owned by the model
    int lookup(std::string_view name) const { return lookup(name, NameTable::hashOf(name)); }
    int lookup(std::string_view name, std::size_t hash) const {
        for (const Scope* s = this; s; s = s->parent) {
            const int t = s->names.find(name, hash);
            if (t >= 0) return t;
        }
        return -1;
    }
};

namespace {
// Which nodes' names are not keys: empty, or held by another node of the graph too. Views of the names
// (they live in the model), the first holder of each name in the table, every holder of a repeated
// name marked.
struct NameHolders {
    std::vector<char> notKey;
    NameTable first;
    bool allKeys = true; // every name is its node's key: `first` is the table of the keys
};

NameHolders nameHolders(const Graph& graph) {
    NameHolders h;
    h.first.reserve(graph.nodes.size());
    HashesAhead hashes;
    hashes.reserve(graph.nodes.size());
    for (const Node& node : graph.nodes)
        hashes.add(node.name);
    h.notKey.assign(graph.nodes.size(), 0);
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
        const std::size_t hash = hashes.take(h.first);
        if (graph.nodes[i].name.empty()) {
            h.notKey[i] = 1;
            h.allKeys = false;
            continue;
        }
        const auto [holder, inserted] = h.first.tryEmplace(graph.nodes[i].name, hash, static_cast<int>(i));
        if (!inserted) {
            h.notKey[static_cast<std::size_t>(holder)] = h.notKey[i] = 1;
            h.allKeys = false;
        }
    }
    return h;
}

std::string generatedKey(std::size_t index) {
    return "#" + std::to_string(index);
}
} // namespace

namespace {
// The keys of a graph's nodes under `prefix` (a body's: its owner's key and attribute), given which
// names are not keys (nameHolders).
std::vector<std::string> keysOf(const Graph& graph, const std::string& prefix,
                                const std::vector<char>& notKey) {
    std::vector<std::string> keys;
    keys.reserve(graph.nodes.size());
    for (std::size_t i = 0; i < graph.nodes.size(); ++i)
        keys.push_back(prefix + (notKey[i] ? generatedKey(i) : graph.nodes[i].name));
    return keys;
}

std::vector<std::string> nodeKeys(const Graph& graph, const std::string& prefix) {
    return keysOf(graph, prefix, nameHolders(graph).notKey);
}
} // namespace

std::vector<std::string> localNodeKeys(const Graph& graph) {
    return nodeKeys(graph, {});
}

namespace {
// The main graph's keys and their hashes, made by another thread on big graphs while the index links
// the tensors (the keys need only the nodes' names).
struct MainKeys {
    std::vector<std::string> keys;
    std::vector<std::size_t> hashes;
};

MainKeys mainKeys(const Graph& graph) {
    MainKeys k;
    k.keys = localNodeKeys(graph);
    k.hashes.reserve(k.keys.size());
    for (const std::string& key : k.keys)
        k.hashes.push_back(NameTable::hashOf(key));
    return k;
}
} // namespace

// Keys made by another thread after the index is built (nothing nested in the model: every instance is
// a main-graph node), and taken by the first key() or find().
struct GraphIndex::PendingKeys {
    std::future<Keys> made;
    std::mutex taking;
    std::atomic<bool> ready{false}; // `taken` holds them: key() is asked in loops over every node
    Keys taken;
};

namespace {
// The table from key to instance, over keys whose first `hashes.size()` hashes are known.
void fillKeyTable(std::vector<std::string>& keys, const std::vector<std::size_t>& hashes, NameTable& table) {
    table.reserve(keys.size());
    HashesAhead ahead;
    ahead.reserve(keys.size());
    ahead.add(hashes);
    for (std::size_t i = hashes.size(); i < keys.size(); ++i)
        ahead.add(keys[i]);
    for (std::size_t i = 0; i < keys.size(); ++i) // a repeated key: the first holder
        table.tryEmplace(keys[i], ahead.take(table), static_cast<int>(i));
}

// The hashes of the names in every node's `list` (inputs or outputs), in order, empty names skipped.
HashesAhead hashesOfNames(const Graph& graph, NameList Node::*list) {
    HashesAhead hashes;
    for (const Node& node : graph.nodes)
        for (std::string_view name : node.*list)
            if (!name.empty()) hashes.add(name);
    return hashes;
}
} // namespace

GraphIndex::GraphIndex(GraphIndex&&) noexcept = default;
GraphIndex& GraphIndex::operator=(GraphIndex&&) noexcept = default;
GraphIndex::~GraphIndex() = default; // waits for keys still being made

const GraphIndex::Keys& GraphIndex::keys() const {
    if (!pendingKeys_) return keys_;
    PendingKeys& pending = *pendingKeys_;
    if (pending.ready.load(std::memory_order_acquire)) return pending.taken;
    std::lock_guard<std::mutex> lock(pending.taking);
    if (!pending.ready.load(std::memory_order_relaxed)) {
        pending.taken = pending.made.get();
        pending.ready.store(true, std::memory_order_release);
    }
    return pending.taken;
}

OpKind opKindOf(const std::string& opType) {
    switch (opType.size()) { // by length first: asked of every node of a graph
    case 4:
        return opType == "Cast" ? OpKind::WeightTransform : OpKind::Other;
    case 7:
        return opType == "Reshape" || opType == "Squeeze" || opType == "Flatten" ? OpKind::WeightTransform
                                                                                 : OpKind::Other;
    case 8:
        return opType == "Constant"   ? OpKind::Constant
               : opType == "Identity" ? OpKind::Identity
               : opType == "CastLike" ? OpKind::WeightTransform
                                      : OpKind::Other;
    case 9:
        return opType == "Transpose" || opType == "Unsqueeze" ? OpKind::WeightTransform : OpKind::Other;
    case 16:
        return opType == "DequantizeLinear" ? OpKind::WeightTransform : OpKind::Other;
    default:
        return OpKind::Other;
    }
}

GraphIndex::GraphIndex(std::shared_ptr<const Model> model, std::size_t keysOnAnotherThreadFrom)
    : model_(std::move(model)) {
    Scope root;
    const Graph& main = model_->main();
    hasBodies_ = std::any_of(model_->graphs.begin(), model_->graphs.end(),
                             [](const Graph& g) { return g.kind == GraphKind::Subgraph; });
    // Sizes known up front: no rehashing or regrowth of the big tables on large graphs.
    std::size_t nodes = 0, values = main.initializers.size() + main.inputs.size() + main.outputs.size();
    for (const auto& g : model_->graphs) {
        nodes += g.nodes.size();
        for (const auto& n : g.nodes)
            values += n.outputs.size();
    }
    checkFunctionExpansion(*model_, nodes);
    // below 16k nodes a thread costs about what it saves
    const bool otherThread =
        main.nodes.size() >= keysOnAnotherThreadFrom && std::thread::hardware_concurrency() >= 2;
    // Nothing nested: no key is needed while the index is built (bodies' keys start with their owner's),
    // so the other thread hashes the names meanwhile, and makes the keys afterwards.
    const bool keysAfter = otherThread && nothingNested();
    std::future<MainKeys> keys; // on big graphs with bodies, made meanwhile by another thread
    if (otherThread && !keysAfter)
        keys = std::async(std::launch::async, [&main] {
            adviseHugePagesForThisThread(); // common/huge_pages.h
            return mainKeys(main);
        });
    instances_.reserve(nodes);
    opKinds_.reserve(nodes);
    nodeLinks_.reserve(nodes);
    inputs_.reserve(values); // about one input per value
    outputs_.reserve(values);
    consumerPairs_.reserve(values);
    tensors_.reserve(values);
    root.names.reserve(values);
    auto declare = [&](const ValueInfo& vi, bool input) {
        int t = internTensor(root, vi.name);
        tensors_[static_cast<std::size_t>(t)].info = &vi;
        if (input) tensors_[static_cast<std::size_t>(t)].graphInput = true;
    };
    for (const auto& init : main.initializers) {
        int t = internTensor(root, init.name);
        tensors_[static_cast<std::size_t>(t)].initializer = true;
        tensors_[static_cast<std::size_t>(t)].init = &init;
        initializers_.push_back(t);
    }
    for (const auto& vi : main.inputs)
        if (!tensors_.empty() && root.lookup(vi.name) >= 0 &&
            tensors_[static_cast<std::size_t>(root.lookup(vi.name))].initializer)
            tensors_[static_cast<std::size_t>(root.lookup(vi.name))].info =
                &vi; // old IRs list initializers as inputs
        else
            declare(vi, true);
    addNodes(0, -1, root, 0, keysAfter);
    std::vector<std::size_t> mainHashes;
    if (keys.valid()) {
        MainKeys made = keys.get();
        takeKeys(0, std::move(made.keys));
        mainHashes = std::move(made.hashes);
    } else if (!keysAfter) {
        takeKeys(0, localNodeKeys(main));
    }
    addBodies(0, 0, root, 0);
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
    linkChildrenAndConsumers();
    mainTensors_ = std::move(root.names); // views of the model's strings, as the index keeps the model
    if (keysAfter) {
        pendingKeys_ = std::make_unique<PendingKeys>();
        pendingKeys_->made = std::async(std::launch::async, [model = model_] {
            adviseHugePagesForThisThread(); // common/huge_pages.h
            const Graph& graph = model->main();
            NameHolders holders = nameHolders(graph);
            Keys keys;
            keys.of = keysOf(graph, {}, holders.notKey);
            // Every key a name: the table of the names (views of the model's strings) is the table of
            // the keys, and is not made twice.
            if (holders.allKeys)
                keys.byKey = std::move(holders.first);
            else
                fillKeyTable(keys.of, {}, keys.byKey);
            return keys;
        });
        return;
    }
    // The table holds views of the keys' own strings, which stay where they are once all exist.
    fillKeyTable(keys_.of, mainHashes, keys_.byKey);
}

int GraphIndex::internTensor(Scope& scope, std::string_view name) {
    return internTensor(scope, name, NameTable::hashOf(name));
}

int GraphIndex::internTensor(Scope& scope, std::string_view name, std::size_t hash) {
    const int next = static_cast<int>(tensors_.size());
    // `name` is one of the model's strings: the table keeps a view of it.
    const auto [bound, inserted] = scope.names.tryEmplace(name, hash, next); // one probe
    if (!inserted) return bound;
    tensors_.emplace_back();
    tensors_.back().name = name;
    return next;
}

void GraphIndex::addGraph(int graphIndex, int parentInstance, const std::string& keyPrefix, Scope& scope,
                          int depth) {
    const std::size_t first = instances_.size();
    addNodes(graphIndex, parentInstance, scope, depth);
    takeKeys(first, nodeKeys(model_->graphs[static_cast<std::size_t>(graphIndex)], keyPrefix));
    addBodies(graphIndex, first, scope, depth);
}

// Keys given to the instances [first, first + keys.size()).
void GraphIndex::takeKeys(std::size_t first, std::vector<std::string>&& keys) {
    if (keys_.of.size() < first + keys.size()) keys_.of.resize(first + keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i)
        keys_.of[first + i] = std::move(keys[i]);
}

// Passes 1 and 2 over a graph's nodes: their instances (keys set after) and dataflow.
void GraphIndex::addNodes(int graphIndex, int parentInstance, Scope& scope, int depth, bool hashNamesAside) {
    const Graph& graph = model_->graphs[static_cast<std::size_t>(graphIndex)];
    std::size_t first = instances_.size();
    // The names each of the two passes looks up, hashed ahead of it: by another thread, outputs then
    // inputs, when the caller asks (a big main graph with nothing nested), while this one makes the
    // instances.
    std::promise<HashesAhead> outputsHashed;
    std::future<HashesAhead> outputHashes = outputsHashed.get_future(), inputHashes;
    if (hashNamesAside)
        inputHashes = std::async(std::launch::async, [&graph, &outputsHashed] {
            adviseHugePagesForThisThread(); // common/huge_pages.h
            try {
                outputsHashed.set_value(hashesOfNames(graph, &Node::outputs));
            } catch (...) { // memory: this thread must not wait for them forever
                outputsHashed.set_exception(std::current_exception());
                throw;
            }
            return hashesOfNames(graph, &Node::inputs);
        });
    else
        outputsHashed.set_value(hashesOfNames(graph, &Node::outputs));
    // Pass 1: create the instances, then the tensors they produce, so consumers see producers
    // regardless of the order nodes are listed in.
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
        instances_.push_back({graphIndex, static_cast<int>(i), parentInstance, depth});
        opKinds_.push_back(opKindOf(graph.nodes[i].opType));
        nodeLinks_.emplace_back();
    }
    HashesAhead hashes = outputHashes.get();
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
        const int id = static_cast<int>(first + i);
        NodeLinks& links = nodeLinks_[static_cast<std::size_t>(id)];
        links.outputs.first = static_cast<std::uint32_t>(outputs_.size());
        for (const auto& out : graph.nodes[i].outputs) {
            if (out.empty()) continue;
            int t = internTensor(scope, out, hashes.take(scope.names));
            tensors_[static_cast<std::size_t>(t)].producer = id;
            outputs_.push_back(t);
        }
        links.outputs.count = static_cast<std::uint32_t>(outputs_.size()) - links.outputs.first;
    }
    if (graphIndex == 0) mainCount_ = instances_.size();
    // Pass 2: inputs, resolved through the enclosing scopes.
    hashes = inputHashes.valid() ? inputHashes.get() : hashesOfNames(graph, &Node::inputs);
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
        int id = static_cast<int>(first + i);
        Run& inputs = nodeLinks_[static_cast<std::size_t>(id)].inputs;
        inputs.first = static_cast<std::uint32_t>(inputs_.size());
        for (const auto& in : graph.nodes[i].inputs) {
            if (in.empty()) continue;
            const std::size_t hash = hashes.take(scope.names);
            int t = scope.lookup(in, hash);
            if (t < 0) t = internTensor(scope, in, hash); // dangling in the file: keep it visible
            inputs_.push_back(t);
            addConsumer(t, id);
        }
        inputs.count = static_cast<std::uint32_t>(inputs_.size()) - inputs.first;
    }
}

// Pass 3: nested bodies and function calls, each under its node instance (whose key is set).
void GraphIndex::addBodies(int graphIndex, std::size_t first, Scope& scope, int depth) {
    if (nothingNested()) return; // the common case
    const Graph& graph = model_->graphs[static_cast<std::size_t>(graphIndex)];
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
        int id = static_cast<int>(first + i);
        const Node& node = graph.nodes[i];
        const bool hasBodies = std::any_of(node.attributes.begin(), node.attributes.end(),
                                           [](const Attribute& a) { return !a.subgraphs.empty(); });
        if (!hasBodies && model_->functions.empty()) continue; // the common case: nothing nested
        std::string prefix = keys_.of[static_cast<std::size_t>(id)] + "::";
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
                    if (t >= 0) addConsumer(t, id);
                }
            }
        int fn = model_->findFunction(node.domain, node.opType);
        if (fn >= 0 && depth < kMaxFunctionDepth) {
            const Function& function = model_->functions[static_cast<std::size_t>(fn)];
            Scope inner; // function bodies see only their formal parameters, not the caller's names
            for (std::size_t k = 0; k < function.inputs.size(); ++k) {
                std::size_t position = k;
                if (position < node.inputs.size() && !node.inputs[position].empty())
                    inner.names.tryEmplace(function.inputs[k], scope.lookup(node.inputs[position]));
            } // inputs fed by nothing stay unbound (-1), which reads as absent
            addGraph(function.body, id, prefix, inner, depth + 1);
            for (const auto& out : function.outputs) {
                const int found = inner.names.find(out);
                if (found >= 0) addConsumer(found, id);
            }
        }
    }
}

// Children and consumers arrive out of order while bodies are walked: laid out once at the end, in
// the order they arrived (a stable counting sort).
void GraphIndex::linkChildrenAndConsumers() {
    std::vector<std::uint32_t> childCount(instances_.size(), 0);
    for (const auto& inst : instances_)
        if (inst.parent >= 0) ++childCount[static_cast<std::size_t>(inst.parent)];
    std::uint32_t offset = 0;
    for (std::size_t i = 0; i < instances_.size(); ++i) {
        nodeLinks_[i].children = {offset, 0};
        offset += childCount[i];
    }
    children_.resize(offset);
    for (std::size_t i = 0; i < instances_.size(); ++i) // ids grow in creation order
        if (instances_[i].parent >= 0) {
            Run& run = nodeLinks_[static_cast<std::size_t>(instances_[i].parent)].children;
            children_[run.first + run.count++] = static_cast<int>(i);
        }
    consumerRuns_.assign(tensors_.size(), Run{});
    for (const auto& [t, node] : consumerPairs_)
        ++consumerRuns_[static_cast<std::size_t>(t)].count;
    offset = 0;
    for (Run& run : consumerRuns_) {
        run.first = offset;
        offset += run.count;
        run.count = 0;
    }
    consumers_.resize(offset);
    for (const auto& [t, node] : consumerPairs_) {
        Run& run = consumerRuns_[static_cast<std::size_t>(t)];
        consumers_[run.first + run.count++] = node;
    }
    consumerPairs_.clear();
    consumerPairs_.shrink_to_fit();
}

const Node& GraphIndex::node(int i) const {
    const NodeInstance& inst = instance(i);
    return model_->graphs[static_cast<std::size_t>(inst.graph)].nodes[static_cast<std::size_t>(inst.node)];
}

int GraphIndex::find(const std::string& key) const {
    return keys().byKey.find(key);
}

int GraphIndex::find(const std::string& key, int hint) const {
    // Keys are unique unless a name equals a generated key ("#3", "If_0::then_branch::Add"); then the first
    // holder is the answer, and only the table knows it.
    if (hint >= 0 && static_cast<std::size_t>(hint) < size() && keys().byKey.size() == size() &&
        this->key(hint) == key)
        return hint;
    return find(key);
}

int GraphIndex::findTensor(std::string_view name, int hint) const {
    if (nothingNested() && hint >= 0 && static_cast<std::size_t>(hint) < tensors_.size() &&
        tensors_[static_cast<std::size_t>(hint)].name == name)
        return hint;
    return mainTensors_.find(name);
}

int GraphIndex::findTensor(const std::string& name) const {
    return mainTensors_.find(name);
}

void GraphIndex::producersOf(int i, std::vector<int>& out) const {
    out.clear();
    for (int t : inputs(i)) {
        int p = tensor(t).producer;
        if (p >= 0 && p != i && std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    }
}

void GraphIndex::consumersOf(int i, std::vector<int>& out) const {
    out.clear();
    for (int t : outputs(i))
        for (int c : consumers(t))
            if (c != i && std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
}

std::vector<int> GraphIndex::producersOf(int i) const {
    std::vector<int> result;
    producersOf(i, result);
    return result;
}

std::vector<int> GraphIndex::consumersOf(int i) const {
    std::vector<int> result;
    consumersOf(i, result);
    return result;
}

bool GraphIndex::inSourceOrder() const {
    const int n = static_cast<int>(mainCount_);
    for (int i = 0; i < n; ++i)
        for (int t : inputs(i)) {
            const int p = tensor(t).producer;
            if (p > i && p < n) return false;
        }
    return true;
}

std::vector<int> GraphIndex::topologicalOrder() const {
    int n = static_cast<int>(mainCount_);
    // Most files list their nodes in an order that is topological already: then the heap below would
    // give the same order (the smallest ready node is always the next one), 126k pushes and pops later.
    if (inSourceOrder()) {
        std::vector<int> order(static_cast<std::size_t>(n));
        std::iota(order.begin(), order.end(), 0);
        return order;
    }
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
