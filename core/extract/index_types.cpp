// Inferred types for every tensor of a graph index (extract.h, inferIndexTypes): the guarded, weight-free
// shape inference extraction runs for its boundary types, read back by tensor for core/analysis/.
#include "extract/internal.h"

#include "common/display_text.h"
#include "common/huge_page_array.h"
#include "graph/graph.h"

#include <google/protobuf/arena.h>

#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <thread>
#include <unordered_map>

namespace hs {

namespace {

// Whether instance i lies in the flat program under its own names: in the main graph or only inside
// inlined function calls. Nodes of If/Loop/Scan bodies are not: inference types their bodies' tensors
// inside the body, not in the flat program's value_info.
bool inFlatProgram(const GraphIndex& g, const extraction::Flattener& flat, int i) {
    for (int p = g.instance(i).parent; p >= 0; p = g.instance(p).parent)
        if (!flat.expanded(p)) return false;
    return true;
}

void bindInputDims(onnx::ModelProto& mp, const std::map<std::string, std::int64_t>& values) {
    for (auto& input : *mp.mutable_graph()->mutable_input()) {
        if (!input.type().has_tensor_type() || !input.type().tensor_type().has_shape()) continue;
        for (auto& d : *input.mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim()) {
            if (d.has_dim_value()) continue;
            auto it = d.has_dim_param() ? values.find(d.dim_param()) : values.end();
            d.set_dim_value(it == values.end() ? 1 : it->second); // clears dim_param (a oneof)
        }
    }
}

// The bodies of the program's If/Loop/Scan nodes as inference left them: the library infers each body
// with the outer scope's types, Loop/Scan body inputs from the node's inputs, and writes the body's
// value infos in place. Found by instance: a flat node by its unit, a body node by its index in its body.
class BodyGraphs {
public:
    // Before inference: the flat program's nodes are its units, in order (inference reorders them and
    // drops some, but keeps the messages, so the pointers stay valid).
    BodyGraphs(const GraphIndex& g, const extraction::Flattener& flat, onnx::ModelProto& mp) : g_(g) {
        if (g.nothingNested()) return; // no node has a body (a walk over every node's attributes)
        auto* nodes = mp.mutable_graph()->mutable_node();
        for (std::size_t k = 0; k < flat.units.size() && k < static_cast<std::size_t>(nodes->size()); ++k) {
            onnx::NodeProto* n = nodes->Mutable(static_cast<int>(k));
            for (const auto& a : n->attribute())
                if (a.has_g() || a.graphs_size() > 0) {
                    flatNodes_[flat.units[k].instance] = n;
                    break;
                }
        }
    }
    // The body graph instance i belongs to, or null (not a control-flow body, or not in the program).
    const onnx::GraphProto* bodyOf(int i) {
        const NodeInstance& inst = g_.instance(i);
        if (inst.parent < 0) return nullptr;
        auto key = std::make_pair(inst.parent, inst.graph);
        if (auto it = bodies_.find(key); it != bodies_.end()) return it->second;
        onnx::GraphProto* body = nullptr;
        if (onnx::NodeProto* parent = nodeOf(inst.parent)) {
            for (const Attribute& a : g_.node(inst.parent).attributes) {
                for (std::size_t pos = 0; pos < a.subgraphs.size(); ++pos) {
                    if (a.subgraphs[pos] != inst.graph) continue;
                    for (auto& pa : *parent->mutable_attribute()) {
                        if (pa.name() != a.name) continue;
                        if (pa.has_g() && pos == 0)
                            body = pa.mutable_g();
                        else if (static_cast<int>(pos) < pa.graphs_size())
                            body = pa.mutable_graphs(static_cast<int>(pos));
                    }
                }
            }
        }
        return bodies_[key] = body;
    }

private:
    onnx::NodeProto* nodeOf(int i) {
        if (auto it = flatNodes_.find(i); it != flatNodes_.end()) return it->second;
        auto* body = const_cast<onnx::GraphProto*>(bodyOf(i)); // nesting is bounded by the index (32)
        int k = g_.instance(i).node;
        return body && k >= 0 && k < body->node_size() ? body->mutable_node(k) : nullptr;
    }

    const GraphIndex& g_;
    std::unordered_map<int, onnx::NodeProto*> flatNodes_;
    std::map<std::pair<int, int>, onnx::GraphProto*> bodies_;
};

// A body's typed names: its inputs (Loop/Scan's set from the node), value infos and outputs.
std::unordered_map<std::string, TensorType> bodyTypes(const onnx::GraphProto& body) {
    std::unordered_map<std::string, TensorType> types;
    for (const auto* list : {&body.input(), &body.value_info(), &body.output()})
        for (const auto& vi : *list)
            if (TensorType t; extraction::typeFromProto(vi.type(), t) && t.elemType != 0)
                types.emplace(vi.name(), t);
    return types;
}

// Types of the tensors of control-flow bodies (nested ones too), read back from the bodies of `mp`.
void readBodyTypes(const GraphIndex& g, const extraction::Flattener& flat, BodyGraphs& bodies,
                   std::vector<TensorType>& types) {
    std::map<const onnx::GraphProto*, std::unordered_map<std::string, TensorType>> cache;
    for (int i = static_cast<int>(g.mainCount()); i < static_cast<int>(g.size()); ++i) {
        if (inFlatProgram(g, flat, i)) continue;
        const onnx::GraphProto* body = bodies.bodyOf(i);
        if (!body) continue;
        auto c = cache.find(body);
        if (c == cache.end()) c = cache.emplace(body, bodyTypes(*body)).first;
        auto take = [&](int t, const std::string& name) {
            TensorType& slot = types[static_cast<std::size_t>(t)];
            if (slot.elemType != 0) return; // an outer value the enclosing graph typed
            if (auto it = c->second.find(name); it != c->second.end()) slot = it->second;
        };
        const Node& n = g.node(i);
        IndexSpan ins = g.inputs(i), outs = g.outputs(i);
        std::size_t k = 0;
        for (const std::string_view name : n.outputs)
            if (!name.empty() && k < outs.size()) take(outs[k++], std::string(name));
        k = 0;
        for (const std::string_view name : n.inputs)
            if (!name.empty() && k < ins.size()) take(ins[k++], std::string(name));
    }
}

// Types of the flat program's tensors, read from the inferred graph into the index's order (no map of
// every name): what folding computed wins over the graph's entries, as in inferModelTypes' result.
std::vector<TensorType> readFlatTypes(const GraphIndex& g, const extraction::Flattener& flat,
                                      const onnx::GraphProto& graph,
                                      const std::map<std::string, TensorType>& folded) {
    std::vector<TensorType> types(g.tensorCount());
    int next = 0; // inference lists value infos node by node, mostly in the index's order of tensors
    extraction::TypedEntries::forEach(graph, [&](const std::string& name, const onnx::TypeProto& type) {
        int t = g.findTensor(name, next);
        if (t < 0) return;
        extraction::typeFromProto(type, types[static_cast<std::size_t>(t)]);
        next = t + 1;
    });
    for (const auto& [name, type] : folded) {
        int t = g.findTensor(name);
        if (t >= 0) types[static_cast<std::size_t>(t)] = type;
    }
    // Tensors inside inlined function bodies have flat names `<call key>::<local name>`; the index
    // lists a node's non-empty input and output names in order.
    std::optional<extraction::TypedEntries> typed;
    auto take = [&](int t, const std::string& flatName) {
        if (auto f = folded.find(flatName); f != folded.end()) {
            types[static_cast<std::size_t>(t)] = f->second;
        } else if (const onnx::TypeProto* type = typed->find(flatName)) {
            extraction::typeFromProto(*type, types[static_cast<std::size_t>(t)]);
        }
    };
    for (int i = static_cast<int>(g.mainCount()); i < static_cast<int>(g.size()); ++i) {
        if (!inFlatProgram(g, flat, i)) continue;
        if (!typed) typed.emplace(graph);
        const Node& n = g.node(i);
        IndexSpan ins = g.inputs(i), outs = g.outputs(i);
        std::size_t k = 0;
        for (const auto& name : n.inputs)
            if (!name.empty() && k < ins.size()) take(ins[k++], flat.flatName(i, name));
        k = 0;
        for (const auto& name : n.outputs)
            if (!name.empty() && k < outs.size()) take(outs[k++], flat.flatName(i, name));
    }
    return types;
}

// The arena's blocks grow to 2 MB, each mapped on its own with the kernel asked for a huge page: with
// protobuf's default (blocks of at most 8 KB from malloc) the program of a 130k-node model was ten
// thousand blocks of fresh 4 KB pages, and faulting them in was most of building it the first time.
void* allocateProgramBlock(std::size_t bytes) {
    std::size_t mapped = 0;
    void* p = bytes < huge_pages::kPageSize ? std::malloc(bytes) : huge_pages::allocate(bytes, mapped);
    if (!p) throw std::bad_alloc();
    return p;
}

void releaseProgramBlock(void* p, std::size_t bytes) {
    if (bytes < huge_pages::kPageSize)
        std::free(p);
    else
        huge_pages::release(p, huge_pages::mappedSize(bytes));
}

// A program's arena is freed on another thread: its destruction frees every string the program holds
// (names of 130k nodes and of the value infos inference added: 400k blocks), 40 ms of deep-1000's 350.
// One at a time: the next inference waits for it, and the last is waited for at exit. Callers gain
// when they do something else next (the GUI's analysis computes costs, the CLI prints).
class ProgramsFreedLater {
public:
    ~ProgramsFreedLater() { wait(); }
    void add(std::unique_ptr<google::protobuf::Arena> arena) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (freeing_.valid()) freeing_.wait();
        if (std::thread::hardware_concurrency() < 2) return; // freed here, as `arena` goes
        freeing_ = std::async(std::launch::async, [doomed = std::move(arena)]() mutable { doomed.reset(); });
    }
    void wait() {
        std::lock_guard<std::mutex> lock(mutex_);
        if (freeing_.valid()) freeing_.wait();
    }

private:
    std::mutex mutex_;
    std::future<void> freeing_;
};

ProgramsFreedLater& programsFreedLater() {
    static ProgramsFreedLater programs;
    return programs;
}

google::protobuf::ArenaOptions programArenaOptions() {
    google::protobuf::ArenaOptions options;
    options.start_block_size = std::size_t{64} << 10;
    options.max_block_size = std::size_t{2} << 20;
    options.block_alloc = allocateProgramBlock;
    options.block_dealloc = releaseProgramBlock;
    return options;
}

} // namespace

std::vector<TensorType> inferIndexTypes(const GraphIndex& g, std::string& problem,
                                        const std::map<std::string, std::int64_t>* inputDims) {
    using namespace extraction;
    // On an arena: the program, its 130k nodes and the value infos inference adds are freed at once
    // (freed one by one, glibc's consolidation of the small blocks took a fifth of the time). Made first:
    // it waits for a program still being freed before this one is built.
    std::unique_ptr<google::protobuf::Arena> arena = newProgramArena();
    ExternalScope externalFiles;
    // The flattening parses function bodies and call nodes too: their spans are read as the program's
    // (buildInferenceModel's own scope then reads through this one).
    const SpanReadScope spans(g.model());
    Flattener flat(g, std::vector<char>(g.size(), 1), true, false);
    onnx::ModelProto& mp = *google::protobuf::Arena::CreateMessage<onnx::ModelProto>(arena.get());
    buildInferenceModel(g, flat, mp);
    BodyGraphs bodies(g, flat, mp);
    std::map<std::string, TensorType> folded;
    if (inputDims) bindInputDims(mp, *inputDims); // bound dims make torch's shape arithmetic constant
    const ProgramSeed seed{g, flat};
    inferModelInPlace(mp, problem, inputDims ? &folded : nullptr, &seed);
    // The library's messages quote node names raw: cut, then escape what is not UTF-8.
    if (problem.size() > 400) problem = problem.substr(0, 400) + "...";
    problem = utf8Escaped(problem);
    std::vector<TensorType> types = readFlatTypes(g, flat, mp.graph(), folded);
    readBodyTypes(g, flat, bodies, types);
    freeProgramLater(std::move(arena));
    return types;
}

void waitForFreedPrograms() {
    programsFreedLater().wait();
}

namespace extraction {

std::unique_ptr<google::protobuf::Arena> newProgramArena() {
    // A program still being freed is waited for: freed while this one is built, the two contended for
    // the allocator, and inferences one after another were slower than freeing in line.
    programsFreedLater().wait();
    return std::make_unique<google::protobuf::Arena>(programArenaOptions());
}

void freeProgramLater(std::unique_ptr<google::protobuf::Arena> arena) {
    programsFreedLater().add(std::move(arena));
}

} // namespace extraction

} // namespace hs
