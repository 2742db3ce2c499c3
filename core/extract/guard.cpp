// Screening before the ONNX library: ONNX 1.12's shape inference and checker trust the protos they are
// given. A Constant whose int64 raw_data is 14 bytes for dims that need 8 makes ParseData write past
// its vector (heap overflow); a node that does not match its schema reaches inference functions that
// assume it does. The loader only checks the wire format, so everything handed to the library from a
// model file passes through here first.
#include "extract/internal.h"

#include "common/display_text.h"
#include "graph/graph.h"
#include "graph/name_table.h"

#include <onnx/defs/schema.h>

#include <set>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

namespace hs::extraction {

namespace {

using onnx::TensorProto;

// Values of the typed field a tensor of this type keeps its data in (complex: two per element), or -1
// for a type ONNX 1.12 does not know.
std::int64_t typedValues(const TensorProto& t) {
    switch (t.data_type()) {
    case TensorProto::FLOAT:
    case TensorProto::COMPLEX64:
        return t.float_data_size();
    case TensorProto::UINT8:
    case TensorProto::INT8:
    case TensorProto::UINT16:
    case TensorProto::INT16:
    case TensorProto::INT32:
    case TensorProto::BOOL:
    case TensorProto::FLOAT16:
    case TensorProto::BFLOAT16:
        return t.int32_data_size();
    case TensorProto::INT64:
        return t.int64_data_size();
    case TensorProto::STRING:
        return t.string_data_size();
    case TensorProto::DOUBLE:
    case TensorProto::COMPLEX128:
        return t.double_data_size();
    case TensorProto::UINT32:
    case TensorProto::UINT64:
        return t.uint64_data_size();
    default:
        return -1;
    }
}

std::string quotedName(const std::string& name) {
    return name.empty() ? std::string("(unnamed)") : quoteInput(name);
}

} // namespace

std::string tensorProblem(const TensorProto& t, bool externalAllowed) {
    // Named only when something is wrong: the screening checks every Constant of the program (a third
    // of torch exports' nodes), and nearly all are fine.
    auto what = [&t] { return "tensor " + quotedName(t.name()); };
    if (t.data_type() <= TensorProto::UNDEFINED || t.data_type() > TensorProto::BFLOAT16)
        return what() + " has data type " + std::to_string(t.data_type()) + ", which ONNX 1.12 does not know";
    if (t.has_segment()) return what() + " is segmented, which is not supported";
    constexpr std::int64_t kMaxElements = std::int64_t{1} << 48;
    std::int64_t elements = 1;
    for (std::int64_t d : t.dims()) {
        if (d < 0) return what() + " has a negative dimension (" + std::to_string(d) + ")";
        if (d > 0 && elements > kMaxElements / d)
            return what() + " has dimensions whose product is over 2^48 elements";
        elements *= d;
    }
    if (t.data_location() == TensorProto::EXTERNAL)
        return externalAllowed ? std::string()
                               : what() + " refers to external data where only inline data is allowed";
    bool complex = t.data_type() == TensorProto::COMPLEX64 || t.data_type() == TensorProto::COMPLEX128;
    if (t.has_raw_data()) {
        std::size_t width = dataTypeSize(t.data_type());
        if (width == 0) return what() + " of type " + dataTypeName(t.data_type()) + " has raw_data";
        std::uint64_t expected = static_cast<std::uint64_t>(elements) * width;
        if (t.raw_data().size() != expected)
            return what() + " has " + std::to_string(t.raw_data().size()) + " bytes of raw_data where its " +
                   std::to_string(t.dims_size()) + " dimension(s) of " + dataTypeName(t.data_type()) +
                   " need " + std::to_string(expected);
        return {};
    }
    std::int64_t expected = complex ? 2 * elements : elements;
    std::int64_t values = typedValues(t);
    if (values != expected)
        return what() + " holds " + std::to_string(values) + " values where its dimensions need " +
               std::to_string(expected);
    return {};
}

namespace {

// Checks every tensor of a node (attributes, nested bodies) and the node against its schema.
class NodeScreen {
public:
    NodeScreen(const google::protobuf::RepeatedPtrField<onnx::OperatorSetIdProto>& opsets) {
        for (const auto& o : opsets)
            opsets_[o.domain() == "ai.onnx" ? std::string() : o.domain()] = static_cast<int>(o.version());
    }

    std::string graphProblem(const onnx::GraphProto& g) const {
        for (const auto& t : g.initializer())
            if (auto p = tensorProblem(t, false); !p.empty()) return p;
        if (g.sparse_initializer_size() > 0) return "sparse initializers are not supported here";
        for (const auto& n : g.node())
            if (auto p = nodeProblem(n); !p.empty()) return p;
        return {};
    }

    std::string nodeProblem(const onnx::NodeProto& n) const {
        std::string problem = problemOf(n);
        if (problem.empty()) return problem;
        // Quoted only for the rare node that has a problem: quoting every name was 7% of `info`.
        return "node " + quotedName(n.name()) + " (" + quoteInput(n.op_type()) + "): " + problem;
    }

private:
    std::string problemOf(const onnx::NodeProto& n) const {
        for (const auto& a : n.attribute()) {
            if (a.has_t())
                if (auto p = tensorProblem(a.t(), false); !p.empty()) return p;
            for (const auto& t : a.tensors())
                if (auto p = tensorProblem(t, false); !p.empty()) return p;
            if (a.has_sparse_tensor() || a.sparse_tensors_size() > 0)
                return "sparse tensor attributes are not supported here";
            if (a.has_g())
                if (auto p = graphProblem(a.g()); !p.empty()) return "in its body: " + p;
            for (const auto& g : a.graphs())
                if (auto p = graphProblem(g); !p.empty()) return "in its body: " + p;
        }
        auto it = opsets_.find(n.domain() == "ai.onnx" ? std::string() : n.domain());
        if (it == opsets_.end()) return {}; // inference skips it (no opset)
        const onnx::OpSchema* schema = schemaOf(n.op_type(), *it);
        if (!schema) return {};
        try {
            schema->Verify(n);
        } catch (const std::exception& e) {
            return "does not match its operator's definition: " + quoteInput(e.what(), 160);
        }
        if (auto p = windowProblem(n); !p.empty()) return p;
        return {};
    }

    // ONNX 1.12's convolution and pooling shape inference divides by strides (and by the group):
    // a stride of 0 is an integer division by zero (SIGFPE, found by fuzz_extract). Their window
    // attributes must be positive.
    static std::string windowProblem(const onnx::NodeProto& n) {
        static const std::set<std::string> windowed = {"Conv",          "ConvInteger", "QLinearConv",
                                                       "ConvTranspose", "AveragePool", "MaxPool",
                                                       "LpPool",        "MaxUnpool",   "QLinearAveragePool"};
        if (!windowed.count(n.op_type())) return {};
        for (const auto& a : n.attribute()) {
            const std::string& name = a.name();
            if (name == "strides" || name == "dilations" || name == "kernel_shape") {
                for (std::int64_t v : a.ints())
                    if (v <= 0)
                        return "attribute '" + name + "' holds " + std::to_string(v) +
                               ", not a positive size";
            } else if (name == "group" && a.i() <= 0) {
                return "attribute 'group' is " + std::to_string(a.i()) + ", not a positive count";
            }
        }
        return {};
    }

    // The registry's schema of an op in an imported domain, asked once per op (a registry lookup is
    // several hash lookups of strings: half of the screening of a 130k-node model).
    const onnx::OpSchema* schemaOf(const std::string& op,
                                   const std::pair<const std::string, int>& opset) const {
        auto& byOp = schemas_[opset.first];
        auto found = byOp.find(op);
        if (found == byOp.end())
            found = byOp.emplace(op, onnx::OpSchemaRegistry::Schema(op, opset.second, opset.first)).first;
        return found->second;
    }

    std::map<std::string, int> opsets_;
    mutable std::map<std::string, std::unordered_map<std::string, const onnx::OpSchema*>> schemas_;
};

} // namespace

namespace {

// Whether `ids` (a node's tensors in the index) are the non-empty names of `list`, as far as their
// lengths tell: the program's nodes are parsed from the bytes the index read, so they only differ
// where screening changed the program (builds with assertions compare the names themselves, in
// expectNamesInStep).
bool linesUp(const google::protobuf::RepeatedPtrField<std::string>& list, IndexSpan ids,
             const ProgramNames& names) {
    std::size_t next = 0;
    for (const auto& name : list) {
        if (name.empty()) continue;
        if (next == ids.size()) return false;
        const int id = ids[next++];
        if (id < 0 || static_cast<std::size_t>(id) >= names.size() || names.name(id).size() != name.size())
            return false;
    }
    return next == ids.size();
}

bool hasBodies(const onnx::GraphProto& g) {
    for (const auto& n : g.node())
        for (const auto& a : n.attribute())
            if (a.has_g() || a.graphs_size() > 0) return true;
    return false;
}

// A graph's names as ids (nameProgram). ONNX 1.12's data-propagation functions (Shape, Unsqueeze,
// Concat, ...) dereference the type of each input without asking whether it has one: a graph input
// written without a type, a name nothing produces, or the output of a node inference could not type
// crashed it (SEGV at address 0x28). With `typeEveryName`, every name a node reads or writes therefore
// gets an entry, empty (element type undefined) where nothing else is known, which inference fills in
// when it can. `outer`: the names of the enclosing scopes (a body's), left alone: an entry there would
// hide the outer type.
// With `seed` (the main graph of a program inferIndexTypes built), names are the index's tensor ids,
// and each node's inputs and outputs are taken from the index, not hashed again (deep-1000: naming the
// nodes' 250k names took 40 ms of about 400 hashed, 25 taken from the index).
ProgramNames nameGraph(onnx::GraphProto& g, bool typeEveryName, const NameTable& outer,
                       const ProgramSeed* seed = nullptr) {
    const auto nodes = static_cast<std::size_t>(g.node_size());
    const NameTable* base = seed && seed->flat.units.size() == nodes ? seed->index.tensorsById() : nullptr;
    ProgramNames names = base ? ProgramNames(*base) : ProgramNames();
    names.reserve(static_cast<std::size_t>(g.input_size() + g.initializer_size() + g.value_info_size() +
                                           g.output_size()) +
                  2 * nodes);
    std::vector<char> known(names.size(), 0); // by id: the name has a typed entry here
    auto id = [&](const std::string& name) {
        const int k = names.add(name);
        if (static_cast<std::size_t>(k) >= known.size()) known.resize(static_cast<std::size_t>(k) + 1, 0);
        return k;
    };
    for (auto& vi : *g.mutable_input()) {
        if (typeEveryName && !vi.has_type()) vi.mutable_type()->mutable_tensor_type();
        names.inputs.push_back(id(vi.name()));
        known[static_cast<std::size_t>(names.inputs.back())] = 1;
    }
    for (const auto& t : g.initializer()) {
        names.initializers.push_back(id(t.name()));
        known[static_cast<std::size_t>(names.initializers.back())] = 1;
    }
    for (const auto& vi : g.value_info()) {
        names.valueInfos.push_back(id(vi.name()));
        if (vi.has_type()) known[static_cast<std::size_t>(names.valueInfos.back())] = 1;
    }
    for (const auto& vi : g.output())
        names.outputs.push_back(id(vi.name()));
    std::vector<std::pair<const std::string*, int>> missing;
    auto addId = [&](const std::string& name, int k) {
        names.io.push_back(k);
        if (known[static_cast<std::size_t>(k)]) return;
        known[static_cast<std::size_t>(k)] = 1;
        if (outer.find(name) < 0) missing.emplace_back(&name, k);
    };
    auto add = [&](const std::string& name) {
        if (name.empty())
            names.io.push_back(-1);
        else
            addId(name, id(name));
    };
    // A list of names with the ids the index gave its non-empty ones, in order.
    auto addIndexed = [&](const google::protobuf::RepeatedPtrField<std::string>& list, IndexSpan ids) {
        std::size_t next = 0;
        for (const auto& name : list)
            if (name.empty())
                names.io.push_back(-1);
            else
                addId(name, ids[next++]);
    };
    names.first.clear();
    names.first.reserve(nodes + 1);
    names.io.reserve(3 * nodes);
    for (std::size_t k = 0; k < nodes; ++k) {
        const onnx::NodeProto& n = g.node(static_cast<int>(k));
        names.first.push_back(names.io.size());
        if (base) {
            const int instance = seed->flat.units[k].instance;
            const IndexSpan ins = seed->index.inputs(instance), outs = seed->index.outputs(instance);
            if (linesUp(n.input(), ins, names) && linesUp(n.output(), outs, names)) {
                addIndexed(n.input(), ins);
                addIndexed(n.output(), outs);
                continue;
            }
        }
        for (const auto& in : n.input())
            add(in);
        for (const auto& out : n.output())
            add(out);
    }
    names.first.push_back(names.io.size());
    if (!typeEveryName) return names;
    for (const auto& [name, k] : missing) {
        auto* vi = g.add_value_info();
        vi->set_name(*name);
        vi->mutable_type()->mutable_tensor_type();
        names.valueInfos.push_back(k);
    }
    // A seeded program comes from an index with nothing nested: no node has a body.
    if (base || !hasBodies(g)) return names;
    // The bodies' enclosing scopes: the outer ones and this graph's names (views into `names`, which
    // outlives the walk).
    NameTable inner = outer;
    inner.reserve(outer.size() + names.size());
    for (std::size_t k = 0; k < names.size(); ++k)
        if (known[k]) inner.tryEmplace(names.name(static_cast<int>(k)), 0);
    for (auto& n : *g.mutable_node())
        for (auto& a : *n.mutable_attribute()) {
            if (a.has_g()) nameGraph(*a.mutable_g(), true, inner);
            for (auto& body : *a.mutable_graphs())
                nameGraph(body, true, inner);
        }
    return names;
}

// ONNX 1.12 infers a call to a local function by inferring its body, call by call and recursively: a
// function that calls itself (invalid, but a file can say so) overflows the stack (found by
// fuzz_structure), and a fan of calls (12 calls per body, 20 levels) is 12^19 bodies. Functions on a
// call cycle, deeper than kMaxCallDepth or expanding to more than kMaxInstances nodes are left out:
// their calls become unknown operators, whose outputs simply get no type.
class FunctionBudget {
public:
    static constexpr int kMaxCallDepth = 64;
    static constexpr std::uint64_t kMaxInstances = std::uint64_t{1} << 17;
    // All calls of the main graph together: as many as GraphIndex expands (graph.cpp).
    static constexpr std::uint64_t kMaxTotalInstances = std::uint64_t{1} << 20;

    explicit FunctionBudget(const onnx::ModelProto& mp) : mp_(mp), state_(mp.functions_size(), Unseen) {
        cost_.assign(state_.size(), 0);
        for (int f = 0; f < mp.functions_size(); ++f)
            byKey_.emplace(mp.functions(f).domain() + '\n' + mp.functions(f).name(), f);
    }

    // Functions to leave out, in increasing order.
    std::vector<int> unbounded() {
        std::vector<int> out;
        for (int f = 0; f < static_cast<int>(state_.size()); ++f)
            if (costOf(f, 0) >= kMaxInstances) out.push_back(f);
        return out;
    }
    int firstOnCycle = -1; // a function that calls itself, directly or not, once unbounded() ran

    // Node instances inference visits in the main graph, once the unbounded functions are left out.
    std::uint64_t mainGraphCost() { return graphCost(mp_.graph(), 0); }

private:
    enum State { Unseen, Visiting, Done };

    std::uint64_t costOf(int f, int depth) {
        if (state_[f] == Done) return cost_[f];
        if (state_[f] == Visiting && firstOnCycle < 0) firstOnCycle = f;
        if (state_[f] == Visiting || depth > kMaxCallDepth) return kMaxTotalInstances; // a cycle, too deep
        state_[f] = Visiting;
        std::uint64_t n = 0;
        for (const auto& node : mp_.functions(f).node())
            n = add(n, nodeCost(node, depth + 1));
        state_[f] = Done;
        return cost_[f] = n;
    }
    std::uint64_t graphCost(const onnx::GraphProto& g, int depth) {
        std::uint64_t n = 0;
        for (const auto& node : g.node())
            n = add(n, nodeCost(node, depth));
        return n;
    }
    std::uint64_t nodeCost(const onnx::NodeProto& node, int depth) {
        if (depth > kMaxCallDepth) return kMaxTotalInstances;
        std::uint64_t n = 1;
        for (const auto& a : node.attribute()) {
            if (a.has_g()) n = add(n, graphCost(a.g(), depth + 1));
            for (const auto& g : a.graphs())
                n = add(n, graphCost(g, depth + 1));
        }
        auto it = byKey_.find(node.domain() + '\n' + node.op_type());
        if (it != byKey_.end()) n = add(n, costOf(it->second, depth));
        return n;
    }
    static std::uint64_t add(std::uint64_t a, std::uint64_t b) { return std::min(kMaxTotalInstances, a + b); }

    const onnx::ModelProto& mp_;
    std::vector<State> state_;
    std::vector<std::uint64_t> cost_;
    std::unordered_map<std::string, int> byKey_; // "domain\nname" -> the first of that name
};

// Leaves out the functions FunctionBudget finds unbounded, then all of them when their calls together
// still expand past the budget. Returns how many were left out.
int leaveOutUnboundedFunctions(onnx::ModelProto& mp) {
    std::vector<int> out = FunctionBudget(mp).unbounded();
    auto* functions = mp.mutable_functions();
    for (auto k = out.rbegin(); k != out.rend(); ++k)
        functions->DeleteSubrange(*k, 1);
    int removed = static_cast<int>(out.size());
    if (functions->size() > 0 && FunctionBudget(mp).mainGraphCost() >= FunctionBudget::kMaxTotalInstances) {
        removed += functions->size();
        functions->Clear();
    }
    return removed;
}

} // namespace

ProgramNames nameProgram(onnx::GraphProto& g, bool typeEveryName, const ProgramSeed* seed) {
    return nameGraph(g, typeEveryName, NameTable{}, seed);
}

std::string namesOutOfStep(const onnx::GraphProto& g, const ProgramNames& names) {
    auto list = [&](const char* what, const google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>& entries,
                    const std::vector<int>& ids) -> std::string {
        if (static_cast<std::size_t>(entries.size()) != ids.size())
            return std::string(what) + ": " + std::to_string(entries.size()) + " entries, " +
                   std::to_string(ids.size()) + " ids";
        for (int p = 0; p < entries.size(); ++p)
            if (names.name(ids[static_cast<std::size_t>(p)]) != entries.Get(p).name())
                return std::string(what) + " " + std::to_string(p) + " is not its id's name";
        return {};
    };
    for (auto problem : {list("input", g.input(), names.inputs), list("output", g.output(), names.outputs),
                         list("value info", g.value_info(), names.valueInfos)})
        if (!problem.empty()) return problem;
    if (static_cast<std::size_t>(g.initializer_size()) != names.initializers.size())
        return "initializers: " + std::to_string(g.initializer_size()) + ", ids " +
               std::to_string(names.initializers.size());
    for (int p = 0; p < g.initializer_size(); ++p)
        if (names.name(names.initializers[static_cast<std::size_t>(p)]) != g.initializer(p).name())
            return "initializer " + std::to_string(p) + " is not its id's name";
    if (names.first.size() != static_cast<std::size_t>(g.node_size()) + 1)
        return "nodes: " + std::to_string(g.node_size()) + ", " + std::to_string(names.first.size()) +
               " starts";
    for (int k = 0; k < g.node_size(); ++k) {
        const onnx::NodeProto& n = g.node(k);
        if (names.ioStart(k + 1) - names.ioStart(k) !=
            static_cast<std::size_t>(n.input_size() + n.output_size()))
            return "node " + std::to_string(k) + ": another count of names";
        std::size_t i = names.ioStart(k);
        for (const auto* list : {&n.input(), &n.output()})
            for (const std::string& name : *list) {
                const int id = names.io[i++];
                if (name.empty() ? id != -1 : id < 0 || names.name(id) != name)
                    return "node " + std::to_string(k) + ": '" + name + "' is not its id's name";
            }
    }
    return {};
}

void expectNamesInStep(const onnx::GraphProto& g, const ProgramNames& names, const char* after) {
#ifndef NDEBUG
    if (std::string problem = namesOutOfStep(g, names); !problem.empty())
        throw std::logic_error(std::string("program names out of step with the graph after ") + after + ": " +
                               problem);
#else
    (void)g, (void)names, (void)after;
#endif
}

std::string screenForInference(onnx::ModelProto& mp) {
    ProgramNames names;
    return screenForInference(mp, names);
}

std::string screenForInference(onnx::ModelProto& mp, ProgramNames& names, const ProgramSeed* seed) {
    std::size_t removed = 0;
    std::string first;
    auto note = [&](const std::string& problem) {
        if (removed++ == 0) first = problem;
    };
    auto* graph = mp.mutable_graph();
    // Initializers with an inconsistent payload become typed inputs (their dims can still be right).
    auto* inits = graph->mutable_initializer();
    for (int k = inits->size(); k-- > 0;) {
        std::string problem = tensorProblem((*inits)[k], false);
        if (problem.empty()) continue;
        const TensorProto& t = (*inits)[k];
        // Element types past bfloat16 (float8, 4-bit: 17 to 22) are newer than ONNX 1.12, whose payload
        // check reports them: not malformed, and their type and dims still type the nodes reading them.
        bool newer = t.data_type() > TensorProto::BFLOAT16 && t.data_type() <= 22;
        if (!newer) note(problem);
        bool typed = t.data_type() > TensorProto::UNDEFINED && t.data_type() <= 22;
        for (auto d : t.dims())
            typed = typed && d >= 0;
        for (const auto& input : graph->input()) // before IR 4 initializers are listed as inputs too
            typed = typed && input.name() != t.name();
        if (typed) {
            auto* vi = graph->add_input();
            vi->set_name(t.name());
            auto* tt = vi->mutable_type()->mutable_tensor_type();
            tt->set_elem_type(t.data_type());
            auto* shape = tt->mutable_shape();
            for (auto d : t.dims())
                shape->add_dim()->set_dim_value(d);
        }
        inits->DeleteSubrange(k, 1);
        seed = nullptr; // the program is no longer the index's
    }
    graph->clear_sparse_initializer();
    // Nodes the library could crash on are left out: their outputs simply get no type.
    NodeScreen screen(mp.opset_import());
    auto* nodes = graph->mutable_node();
    int kept = 0;
    for (int k = 0; k < nodes->size(); ++k) {
        std::string problem = screen.nodeProblem((*nodes)[k]);
        if (!problem.empty()) {
            note(problem);
            continue;
        }
        if (kept != k) nodes->SwapElements(kept, k);
        ++kept;
    }
    if (kept < nodes->size()) {
        nodes->DeleteSubrange(kept, nodes->size() - kept);
        seed = nullptr;
    }
    // A local function with a bad body is dropped whole: its calls become unknown operators.
    auto* functions = mp.mutable_functions();
    for (int k = functions->size(); k-- > 0;) {
        const auto& fn = (*functions)[k];
        NodeScreen fnScreen(fn.opset_import());
        for (const auto& n : fn.node())
            if (auto p = fnScreen.nodeProblem(n); !p.empty()) {
                note("function " + quotedName(fn.name()) + ": " + p);
                functions->DeleteSubrange(k, 1);
                break;
            }
    }
    if (int unbounded = leaveOutUnboundedFunctions(mp); unbounded > 0) {
        note(std::to_string(unbounded) + " local function(s) calling themselves or expanding to over " +
             std::to_string(FunctionBudget::kMaxInstances) + " nodes");
        removed += static_cast<std::size_t>(unbounded) - 1; // each function is a part left out
    }
    names = nameProgram(*graph, true, seed);
    if (removed == 0) return {};
    return std::to_string(removed) +
           " part(s) of the model left out of shape inference as malformed, first: " + first;
}

std::string modelProblem(const onnx::ModelProto& mp) {
    for (const auto& t : mp.graph().initializer())
        if (auto p = tensorProblem(t, true); !p.empty()) return p;
    if (mp.graph().sparse_initializer_size() > 0) return "sparse initializers are not supported here";
    NodeScreen screen(mp.opset_import());
    for (const auto& n : mp.graph().node())
        if (auto p = screen.nodeProblem(n); !p.empty()) return p;
    FunctionBudget budget(mp);
    if (std::vector<int> unbounded = budget.unbounded(); !unbounded.empty()) {
        if (budget.firstOnCycle >= 0)
            return "local function " + quotedName(mp.functions(budget.firstOnCycle).name()) +
                   " calls itself (directly or through other functions), which ONNX's checks cannot follow";
        return "local function " + quotedName(mp.functions(unbounded.front()).name()) + " expands to over " +
               std::to_string(FunctionBudget::kMaxInstances) + " nodes (or calls deeper than " +
               std::to_string(FunctionBudget::kMaxCallDepth) + " levels), which ONNX's checks cannot follow";
    }
    for (const auto& fn : mp.functions()) {
        NodeScreen fnScreen(fn.opset_import());
        for (const auto& n : fn.node())
            if (auto p = fnScreen.nodeProblem(n); !p.empty())
                return "function " + quotedName(fn.name()) + ": " + p;
    }
    return {};
}

} // namespace hs::extraction
