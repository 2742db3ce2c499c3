#pragma once
// Graph index: every node instance of a model (main graph, If/Loop/Scan bodies, and one copy of a
// local function's body per call) in flat tables, with stable keys and dataflow between them.
#include "graph/name_table.h"
#include "model/model.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hs {

// Op types graph analyses ask about on every visit, read once while indexing (a Node lives wherever
// the loader put it; comparing its op type again is a cache miss per node). `WeightTransform`: an op
// that can carry a weight to its user unchanged in meaning (Transpose, Cast, CastLike, Reshape,
// Unsqueeze, Squeeze, Flatten, DequantizeLinear); Identity is one too.
enum class OpKind : std::uint8_t { Other, Constant, Identity, WeightTransform };
OpKind opKindOf(const std::string& opType);

// One executed node: a main-graph node, a node of a control-flow body, or a function body node
// under one particular call node.
struct NodeInstance {
    int graph = -1;  // index into Model::graphs
    int node = -1;   // index into that graph's nodes
    int parent = -1; // instance of the If/Loop/Scan or function call node that contains it, or -1
    int depth = 0;   // nesting depth: 0 for main-graph nodes
};

// What inference reads on every visit comes first: it then sits in one cache line.
struct TensorEntry {
    int producer = -1;        // instance producing it, -1 for graph inputs, initializers and outer values
    bool graphInput = false;  // an input of the main graph
    bool graphOutput = false; // an output of the main graph
    bool initializer = false;
    std::string_view name;             // the model's own string (the index keeps the model)
    const ValueInfo* info = nullptr;   // declared type, when the model has one
    const Initializer* init = nullptr; // when it is an initializer
};

// A read-only run of indices inside one of the index's flat tables (a node's inputs, a tensor's
// consumers, ...). Valid as long as the index.
class IndexSpan {
public:
    IndexSpan() = default;
    IndexSpan(const int* first, const int* last) : first_(first), last_(last) {}
    const int* begin() const { return first_; }
    const int* end() const { return last_; }
    std::size_t size() const { return static_cast<std::size_t>(last_ - first_); }
    bool empty() const { return first_ == last_; }
    int operator[](std::size_t i) const { return first_[i]; }
    int front() const { return *first_; }
    int back() const { return last_[-1]; }

private:
    const int* first_ = nullptr;
    const int* last_ = nullptr;
};

class GraphIndex {
public:
    // The main graph's keys are made by another thread from `keysOnAnotherThreadFrom` nodes (tests
    // lower it to compare both ways on small models). When nothing is nested in the model (no bodies,
    // no local functions), that thread makes them after the index is built, while its first user
    // (inference, which needs no keys) runs: key() and find() wait for them.
    explicit GraphIndex(std::shared_ptr<const Model> model, std::size_t keysOnAnotherThreadFrom = 16384);
    // Its key table holds views of its own keys: moved, not copied.
    GraphIndex(const GraphIndex&) = delete;
    GraphIndex& operator=(const GraphIndex&) = delete;
    GraphIndex(GraphIndex&&) noexcept;
    GraphIndex& operator=(GraphIndex&&) noexcept;
    ~GraphIndex();

    const Model& model() const { return *model_; }
    std::shared_ptr<const Model> modelPtr() const { return model_; }

    std::size_t size() const { return instances_.size(); }
    const NodeInstance& instance(int i) const { return instances_[static_cast<std::size_t>(i)]; }
    const Node& node(int i) const;
    OpKind opKind(int i) const { return opKinds_[static_cast<std::size_t>(i)]; } // one byte per node
    // Stable identity of instance i (see DESIGN.md "Node identity").
    const std::string& key(int i) const { return keys().of[static_cast<std::size_t>(i)]; }
    int find(const std::string& key) const; // -1 when no such key
    // The same, trying `hint` first (a list of keys in graph order: the one after the last found).
    int find(const std::string& key, int hint) const;
    // Instances of main-graph nodes come first, in graph order: [0, mainCount()).
    std::size_t mainCount() const { return mainCount_; }

    // Dataflow, in flat tables: one allocation for all nodes, neighbours near each other in memory.
    IndexSpan inputs(int i) const { return span(inputs_, nodeLinks_[static_cast<std::size_t>(i)].inputs); }
    IndexSpan outputs(int i) const { return span(outputs_, nodeLinks_[static_cast<std::size_t>(i)].outputs); }
    IndexSpan children(int i) const {
        return span(children_, nodeLinks_[static_cast<std::size_t>(i)].children);
    }
    IndexSpan consumers(int t) const { return span(consumers_, consumerRuns_[static_cast<std::size_t>(t)]); }
    const TensorEntry& tensor(int t) const { return tensors_[static_cast<std::size_t>(t)]; }
    // torch's Identity copy of a weight (its one input is an initializer).
    bool isWeightCopy(int i) const {
        if (opKind(i) != OpKind::Identity) return false; // one byte per node: checked first
        const IndexSpan in = inputs(i);
        return in.size() == 1 && tensor(in[0]).initializer;
    }
    // Whether the node stands where the exporter's trace met it: torch's Identity copies of equal
    // weights stand at the top of the graph, wherever they are used, and torch 2 hoists Constant nodes
    // there too.
    bool inTraceOrder(int i) const { return opKind(i) != OpKind::Constant && !isWeightCopy(i); }
    std::size_t tensorCount() const { return tensors_.size(); }
    int findTensor(const std::string& mainGraphName) const; // main-graph tensors only, -1 if none
    // The same, trying tensor `hint` first (lists in the index's order, such as the value infos shape
    // inference writes node by node): taken without a lookup when nothing is nested in the model, so
    // that every tensor is a main-graph one and holds a name of its own.
    int findTensor(std::string_view mainGraphName, int hint) const;
    // No If/Loop/Scan body and no local function anywhere in the model.
    bool nothingNested() const { return !hasBodies_ && model_->functions.empty(); }
    // The table of tensor names whose entry t is tensor t, bound to t, when there is one: when nothing
    // is nested, every tensor is a main-graph one, named in the order it got its id. Null otherwise.
    const NameTable* tensorsById() const { return nothingNested() ? &mainTensors_ : nullptr; }
    // The tensors that are initializers (of the main graph), in the model's order.
    const std::vector<int>& initializers() const { return initializers_; }

    // Producers and consumers of a node's tensors (instances), without duplicates.
    std::vector<int> producersOf(int i) const;
    std::vector<int> consumersOf(int i) const;
    // The same into `out` (cleared first), for callers that reuse one buffer over many nodes.
    void producersOf(int i, std::vector<int>& out) const;
    void consumersOf(int i, std::vector<int>& out) const;

    // Main-graph instances in a topological order (graph order where the graph allows it).
    std::vector<int> topologicalOrder() const;
    // Whether every main-graph node comes after the nodes producing its inputs (a node reading its own
    // output aside, as topologicalOrder counts producers).
    bool inSourceOrder() const;

private:
    struct Scope;
    struct PendingKeys;
    // Every instance's key, and the table from key to instance (a repeated key maps to its first
    // holder): views of `of`, or of the nodes' names when every name is its node's key.
    struct Keys {
        std::vector<std::string> of;
        NameTable byKey;
    };
    const Keys& keys() const; // waits for the other thread's keys, if they are still being made
    struct Run {
        std::uint32_t first = 0, count = 0;
    };
    struct NodeLinks {
        Run inputs, outputs, children;
    };
    static IndexSpan span(const std::vector<int>& table, Run run) {
        const int* first = table.data() + run.first;
        return {first, first + run.count};
    }
    void addGraph(int graph, int parentInstance, const std::string& keyPrefix, Scope& scope, int depth);
    void addNodes(int graph, int parentInstance, Scope& scope, int depth, bool hashNamesAside = false);
    void takeKeys(std::size_t first, std::vector<std::string>&& keys);
    void addBodies(int graph, std::size_t first, Scope& scope, int depth);
    int internTensor(Scope& scope, std::string_view name);
    int internTensor(Scope& scope, std::string_view name, std::size_t hash);
    void addConsumer(int tensor, int node) { consumerPairs_.push_back({tensor, node}); }
    void linkChildrenAndConsumers();

    std::shared_ptr<const Model> model_;
    std::vector<NodeInstance> instances_;
    std::vector<OpKind> opKinds_; // per instance
    std::vector<NodeLinks> nodeLinks_;
    std::vector<int> inputs_, outputs_, children_, consumers_;
    std::vector<Run> consumerRuns_;                  // per tensor, into consumers_
    std::vector<std::pair<int, int>> consumerPairs_; // (tensor, node) while building
    std::vector<TensorEntry> tensors_;
    std::vector<int> initializers_;
    Keys keys_;
    std::unique_ptr<PendingKeys> pendingKeys_; // keys another thread is making, until taken
    NameTable mainTensors_;                    // views of the model's tensor names
    std::size_t mainCount_ = 0;
    bool hasBodies_ = false; // any If/Loop/Scan body in the model
};

// Key of node `index` of `graph` as DESIGN.md defines it (without a parent prefix).
std::vector<std::string> localNodeKeys(const Graph& graph);

} // namespace hs
