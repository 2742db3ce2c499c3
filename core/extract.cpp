#include "extract.h"

#include "error.h"
#include "graph.h"
#include "hierarchy.h"
#include "mapped_file.h"

#include <google/protobuf/unknown_field_set.h>
#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>

namespace hs {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kSmallTensor = 64 * 1024; // kept with data in the weight-free inference copy

bool isConstantOp(const Node& n) {
    return n.opType == "Constant" && (n.domain.empty() || n.domain == "ai.onnx");
}

std::string sizeText(std::uint64_t bytes) {
    char buf[64];
    if (bytes >= (std::uint64_t{1} << 30))
        std::snprintf(buf, sizeof buf, "%.2f GiB", double(bytes) / double(1u << 30));
    else if (bytes >= (1u << 20))
        std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / double(1u << 20));
    else
        std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
    return buf;
}

// Names a graph (and the bodies nested in it) uses from its enclosing scopes.
void outerReferences(const Model& m, int graphIndex, std::vector<std::string>& out) {
    const Graph& g = m.graphs[static_cast<std::size_t>(graphIndex)];
    std::unordered_set<std::string> defined;
    for (const auto& vi : g.inputs)
        defined.insert(vi.name);
    for (const auto& init : g.initializers)
        defined.insert(init.name);
    for (const auto& n : g.nodes)
        for (const auto& o : n.outputs)
            defined.insert(o);
    std::unordered_set<std::string> seen;
    auto use = [&](const std::string& name) {
        if (!name.empty() && !defined.count(name) && seen.insert(name).second) out.push_back(name);
    };
    for (const auto& n : g.nodes) {
        for (const auto& in : n.inputs)
            use(in);
        for (const auto& a : n.attributes)
            for (int sub : a.subgraphs) {
                std::vector<std::string> inner;
                outerReferences(m, sub, inner);
                for (const auto& name : inner)
                    use(name);
            }
    }
    for (const auto& vi : g.outputs)
        use(vi.name);
}

std::vector<std::string> nodeOuterReferences(const Model& m, const Node& n) {
    std::vector<std::string> out;
    std::unordered_set<std::string> seen;
    for (const auto& a : n.attributes)
        for (int sub : a.subgraphs) {
            std::vector<std::string> inner;
            outerReferences(m, sub, inner);
            for (const auto& name : inner)
                if (seen.insert(name).second) out.push_back(name);
        }
    return out;
}

// ----- the flat program -----------------------------------------------------------------------------

struct Unit {
    int instance = -1;
    bool selected = false;
    bool copied = false; // a Constant copied in
    int call = -1;       // inlined: the call instance it comes from
    std::vector<std::string> inputs, outputs;
    std::vector<std::string> outerRefs; // (renamed) names its bodies use from the enclosing scope
    std::vector<std::pair<std::string, std::string>> outerRenames; // local -> flat, inlined nodes with bodies
};

class Flattener {
public:
    Flattener(const GraphIndex& g, std::vector<char> selected, bool expandAll)
        : g_(g), m_(g.model()), sel_(std::move(selected)) {
        std::size_t n = g_.size();
        any_.assign(n, 0);
        all_.assign(n, 1);
        for (std::size_t k = n; k-- > 0;) {
            int i = static_cast<int>(k);
            for (int c : g_.children(i)) {
                std::size_t cc = static_cast<std::size_t>(c);
                if (sel_[cc] || any_[cc]) any_[k] = 1;
                if (!sel_[cc] || !all_[cc]) all_[k] = 0;
            }
        }
        expand_.assign(n, 0);
        for (std::size_t k = 0; k < n; ++k) {
            int i = static_cast<int>(k);
            if (!isCall(i) || g_.children(i).empty()) continue;
            expand_[k] = expandAll ? 1 : (any_[k] && !(sel_[k] && all_[k]));
        }
        // Source order, made topological where the source is not (some converters write unsorted graphs).
        for (int i : g_.topologicalOrder())
            walk(i);
    }

    bool isCall(int i) const {
        const Node& n = g_.node(i);
        return m_.findFunction(n.domain, n.opType) >= 0;
    }
    bool expanded(int i) const { return expand_[static_cast<std::size_t>(i)] != 0; }
    bool anyDescendant(int i) const { return any_[static_cast<std::size_t>(i)] != 0; }
    bool allDescendants(int i) const { return all_[static_cast<std::size_t>(i)] != 0; }
    bool isSelected(int i) const { return sel_[static_cast<std::size_t>(i)] != 0; }

    // The name `local` (as written in instance i's graph) has in the flat program.
    std::string flatName(int i, const std::string& local) const {
        if (local.empty()) return local;
        int p = g_.instance(i).parent;
        if (p < 0 || !expanded(p)) return local;
        const Node& call = g_.node(p);
        const Function& fn =
            m_.functions[static_cast<std::size_t>(m_.findFunction(call.domain, call.opType))];
        for (std::size_t k = 0; k < fn.inputs.size(); ++k)
            if (fn.inputs[k] == local)
                return k < call.inputs.size() ? flatName(p, call.inputs[k]) : std::string();
        for (std::size_t k = 0; k < fn.outputs.size(); ++k)
            if (fn.outputs[k] == local && k < call.outputs.size() && !call.outputs[k].empty())
                return flatName(p, call.outputs[k]);
        return g_.key(p) + "::" + local;
    }

    std::vector<Unit> units;
    std::vector<int> expandedCalls;

private:
    void walk(int i) {
        if (expanded(i)) {
            expandedCalls.push_back(i);
            for (int c : g_.children(i))
                walk(c);
            return;
        }
        Unit u;
        u.instance = i;
        u.selected = sel_[static_cast<std::size_t>(i)] || any_[static_cast<std::size_t>(i)];
        int p = g_.instance(i).parent;
        u.call = p >= 0 && expanded(p) ? p : -1;
        const Node& n = g_.node(i);
        for (const auto& in : n.inputs)
            u.inputs.push_back(flatName(i, in));
        for (const auto& out : n.outputs)
            u.outputs.push_back(flatName(i, out));
        for (const auto& name : nodeOuterReferences(m_, n)) {
            std::string flat = flatName(i, name);
            u.outerRefs.push_back(flat);
            if (u.call >= 0 && flat != name) u.outerRenames.emplace_back(name, flat);
        }
        units.push_back(std::move(u));
    }

    const GraphIndex& g_;
    const Model& m_;
    std::vector<char> sel_, any_, all_, expand_;
};

// ----- ONNX building blocks -------------------------------------------------------------------------

// External-data files mapped during one public call (planning, extraction, capture), released after it.
using ExternalCache = std::map<std::string, std::shared_ptr<const MappedFile>>;
thread_local ExternalCache* currentExternalCache = nullptr;

class ExternalScope {
public:
    ExternalScope() {
        if (!currentExternalCache) currentExternalCache = &cache_, owner_ = true;
    }
    ~ExternalScope() {
        if (owner_) currentExternalCache = nullptr;
    }
    ExternalScope(const ExternalScope&) = delete;
    ExternalScope& operator=(const ExternalScope&) = delete;

private:
    ExternalCache cache_;
    bool owner_ = false;
};

const MappedFile& externalFile(const std::string& path) {
    ExternalCache& cache = *currentExternalCache; // set by the ExternalScope of the public entry point
    auto it = cache.find(path);
    if (it == cache.end()) it = cache.emplace(path, MappedFile::open(path)).first;
    return *it->second;
}

std::string_view spanBytes(const Model& m, const ByteSpan& span) {
    return m.file->bytes(span.offset, span.length);
}

template <typename Proto>
Proto parseSpan(const Model& m, const ByteSpan& span, const char* what, const std::string& name) {
    Proto p;
    std::string_view bytes = spanBytes(m, span);
    if (!p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
        throw Error(m.path + ": cannot parse the " + std::string(what) + " '" + name + "' at byte " +
                    std::to_string(span.offset));
    return p;
}

std::string_view externalBytes(const Initializer& init) {
    return externalFile(init.externalPath).bytes(init.externalOffset, init.externalLength);
}

// The initializer as a self-contained TensorProto (external data read in).
onnx::TensorProto inlineTensor(const Model& m, const Initializer& init) {
    auto t = parseSpan<onnx::TensorProto>(m, init.span, "initializer", init.name);
    if (init.external) {
        std::string_view data = externalBytes(init);
        t.clear_external_data();
        t.set_data_location(onnx::TensorProto_DataLocation_DEFAULT);
        t.set_raw_data(data.data(), data.size());
    }
    return t;
}

// Name, type and dims only: for the weight-free copy shape inference runs on.
onnx::ValueInfoProto initializerAsInput(const Initializer& init) {
    onnx::ValueInfoProto vi;
    vi.set_name(init.name);
    auto* tt = vi.mutable_type()->mutable_tensor_type();
    tt->set_elem_type(init.dataType);
    auto* shape = tt->mutable_shape();
    for (auto d : init.dims)
        shape->add_dim()->set_dim_value(d);
    return vi;
}

onnx::ValueInfoProto valueInfoFor(const std::string& name, const TensorType* type) {
    onnx::ValueInfoProto vi;
    vi.set_name(name);
    if (!type || type->elemType == 0) return vi;
    auto* tt = vi.mutable_type()->mutable_tensor_type();
    tt->set_elem_type(type->elemType);
    if (type->hasShape) {
        auto* shape = tt->mutable_shape();
        for (const Dim& d : type->dims) {
            auto* dim = shape->add_dim();
            if (d.value >= 0)
                dim->set_dim_value(d.value);
            else if (!d.param.empty())
                dim->set_dim_param(d.param);
        }
    }
    return vi;
}

bool typeFromProto(const onnx::TypeProto& tp, TensorType& out) {
    if (!tp.has_tensor_type() || tp.tensor_type().elem_type() == 0) return false;
    out = {};
    out.elemType = tp.tensor_type().elem_type();
    if (tp.tensor_type().has_shape()) {
        out.hasShape = true;
        for (const auto& d : tp.tensor_type().shape().dim()) {
            Dim dim;
            if (d.has_dim_value())
                dim.value = d.dim_value();
            else if (d.has_dim_param() && d.dim_param().compare(0, 5, "unk__") != 0)
                dim.param = d.dim_param(); // not inference's made-up names
            out.dims.push_back(dim);
        }
    }
    return true;
}

// Resolves attribute references (`ref_attr_name`) of an inlined body node against its call node.
class AttributeResolver {
public:
    AttributeResolver(const GraphIndex& g, const Flattener& flat) : g_(g), flat_(flat) {}

    void resolve(onnx::NodeProto& node, int call) {
        if (call < 0) return;
        const onnx::NodeProto& caller = callNode(call);
        auto* attrs = node.mutable_attribute();
        for (int k = 0; k < attrs->size();) {
            onnx::AttributeProto& a = (*attrs)[k];
            if (a.ref_attr_name().empty()) {
                ++k;
                continue;
            }
            const onnx::AttributeProto* value = nullptr;
            for (const auto& ca : caller.attribute())
                if (ca.name() == a.ref_attr_name()) value = &ca;
            if (!value) value = defaultAttribute(call, a.ref_attr_name());
            if (!value) {
                attrs->DeleteSubrange(k, 1); // not given by the caller: the attribute is absent
                continue;
            }
            std::string name = a.name();
            a = *value;
            a.set_name(name);
            ++k;
        }
    }

private:
    // FunctionProto.attribute_proto (field 11, IR 9: attributes with defaults) is unknown to ONNX 1.12's
    // classes: read it from the unknown fields.
    const onnx::AttributeProto* defaultAttribute(int call, const std::string& name) {
        const Model& m = g_.model();
        const Node& n = g_.node(call);
        int fn = m.findFunction(n.domain, n.opType);
        if (fn < 0) return nullptr;
        auto it = defaults_.find(fn);
        if (it == defaults_.end()) {
            std::vector<onnx::AttributeProto> list;
            const Function& f = m.functions[static_cast<std::size_t>(fn)];
            auto proto = parseSpan<onnx::FunctionProto>(m, f.span, "function", f.name);
            const auto& unknown = proto.GetReflection()->GetUnknownFields(proto);
            for (int k = 0; k < unknown.field_count(); ++k) {
                const auto& field = unknown.field(k);
                if (field.number() != 11 ||
                    field.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED)
                    continue;
                onnx::AttributeProto a;
                if (a.ParseFromString(field.length_delimited())) list.push_back(std::move(a));
            }
            it = defaults_.emplace(fn, std::move(list)).first;
        }
        for (const auto& a : it->second)
            if (a.name() == name) return &a;
        return nullptr;
    }

    const onnx::NodeProto& callNode(int call) {
        auto it = cache_.find(call);
        if (it != cache_.end()) return it->second;
        const Model& m = g_.model();
        auto node = parseSpan<onnx::NodeProto>(m, g_.node(call).span, "node", g_.key(call));
        int parent = g_.instance(call).parent;
        if (parent >= 0 && flat_.expanded(parent)) resolve(node, parent);
        return cache_.emplace(call, std::move(node)).first->second;
    }

    const GraphIndex& g_;
    const Flattener& flat_;
    std::unordered_map<int, onnx::NodeProto> cache_;
    std::unordered_map<int, std::vector<onnx::AttributeProto>> defaults_;
};

void renameOuter(onnx::GraphProto& graph, const std::unordered_map<std::string, std::string>& renames) {
    // Names defined in this body shadow nothing in valid (SSA) models: rename every use.
    for (auto& n : *graph.mutable_node()) {
        for (auto& in : *n.mutable_input()) {
            auto it = renames.find(in);
            if (it != renames.end()) in = it->second;
        }
        for (auto& a : *n.mutable_attribute()) {
            if (a.has_g()) renameOuter(*a.mutable_g(), renames);
            for (auto& sub : *a.mutable_graphs())
                renameOuter(sub, renames);
        }
    }
    for (auto& o : *graph.mutable_output()) {
        auto it = renames.find(o.name());
        if (it != renames.end()) o.set_name(it->second);
    }
}

onnx::NodeProto buildNode(const GraphIndex& g, const Unit& u, AttributeResolver& resolver) {
    const Model& m = g.model();
    auto node = parseSpan<onnx::NodeProto>(m, g.node(u.instance).span, "node", g.key(u.instance));
    if (u.call >= 0) {
        node.set_name(g.key(u.instance));
        node.clear_input();
        for (const auto& in : u.inputs)
            node.add_input(in);
        node.clear_output();
        for (const auto& out : u.outputs)
            node.add_output(out);
        resolver.resolve(node, u.call);
        if (!u.outerRenames.empty()) {
            std::unordered_map<std::string, std::string> renames(u.outerRenames.begin(),
                                                                 u.outerRenames.end());
            for (auto& a : *node.mutable_attribute()) {
                if (a.has_g()) renameOuter(*a.mutable_g(), renames);
                for (auto& sub : *a.mutable_graphs())
                    renameOuter(sub, renames);
            }
        }
    }
    return node;
}

void addOpsets(const Model& m, onnx::ModelProto& mp) {
    for (const auto& op : m.opsets) {
        auto* o = mp.add_opset_import();
        o->set_domain(op.domain);
        o->set_version(op.version);
    }
}

// Functions called (transitively) by the nodes of a graph and its bodies.
void collectFunctions(const Model& m, int graphIndex, std::set<int>& out);
void collectFunctionsOfNode(const Model& m, const Node& n, std::set<int>& out) {
    int fn = m.findFunction(n.domain, n.opType);
    if (fn >= 0 && out.insert(fn).second)
        collectFunctions(m, m.functions[static_cast<std::size_t>(fn)].body, out);
    for (const auto& a : n.attributes)
        for (int sub : a.subgraphs)
            collectFunctions(m, sub, out);
}
void collectFunctions(const Model& m, int graphIndex, std::set<int>& out) {
    if (graphIndex < 0) return;
    for (const auto& n : m.graphs[static_cast<std::size_t>(graphIndex)].nodes)
        collectFunctionsOfNode(m, n, out);
}

// The whole flat program as a model without large weights, for shape inference.
onnx::ModelProto inferenceModel(const GraphIndex& g, const Flattener& flat) {
    const Model& m = g.model();
    onnx::ModelProto mp;
    mp.set_ir_version(std::min<std::int64_t>(m.irVersion, onnx::IR_VERSION));
    addOpsets(m, mp);
    auto* graph = mp.mutable_graph();
    graph->set_name("inference");
    AttributeResolver resolver(g, flat);
    for (const Unit& u : flat.units)
        *graph->add_node() = buildNode(g, u, resolver);
    std::unordered_set<std::string> inputs;
    for (const auto& vi : m.main().inputs)
        if (inputs.insert(vi.name).second)
            *graph->add_input() = parseSpan<onnx::ValueInfoProto>(m, vi.span, "input", vi.name);
    for (const auto& init : m.main().initializers) {
        if (init.byteSize() <= kSmallTensor) {
            *graph->add_initializer() = inlineTensor(m, init);
        } else if (inputs.insert(init.name).second) {
            *graph->add_input() = initializerAsInput(init);
        }
    }
    // Declared value_info and output types are left out: inference computes them from the nodes, and a
    // wrong declaration (some converters write them) would stop it.
    for (const auto& vi : m.main().outputs)
        graph->add_output()->set_name(vi.name);
    for (const auto& fn : m.functions)
        *mp.add_functions() = parseSpan<onnx::FunctionProto>(m, fn.span, "function", fn.name);
    return mp;
}

// Rank of a node's output where ONNX 1.12's inference gives a type without a shape (Slice with computed
// bounds, and everything downstream of it), from the ranks of its inputs: -1 when it cannot tell.
int outputRank(const onnx::NodeProto& n, const std::function<int(const std::string&)>& rank) {
    static const std::unordered_set<std::string> sameAsFirst = {"Slice",
                                                                "Identity",
                                                                "Cast",
                                                                "CastLike",
                                                                "Relu",
                                                                "Sigmoid",
                                                                "Tanh",
                                                                "Erf",
                                                                "Sqrt",
                                                                "Neg",
                                                                "Abs",
                                                                "Exp",
                                                                "Log",
                                                                "Softmax",
                                                                "LogSoftmax",
                                                                "LayerNormalization",
                                                                "Dropout",
                                                                "Clip",
                                                                "LeakyRelu",
                                                                "Gelu",
                                                                "HardSigmoid",
                                                                "HardSwish",
                                                                "Not",
                                                                "Reciprocal",
                                                                "Floor",
                                                                "Ceil",
                                                                "Round",
                                                                "Sin",
                                                                "Cos",
                                                                "Trilu",
                                                                "CumSum",
                                                                "BatchNormalization",
                                                                "InstanceNormalization",
                                                                "Softplus",
                                                                "Elu",
                                                                "Selu",
                                                                "Transpose",
                                                                "Concat",
                                                                "Sign",
                                                                "IsNaN",
                                                                "IsInf",
                                                                "Mish",
                                                                "Celu",
                                                                "ThresholdedRelu",
                                                                "Shrink",
                                                                "Hardmax",
                                                                "SimplifiedLayerNormalization"};
    static const std::unordered_set<std::string> broadcast = {"Add",
                                                              "Sub",
                                                              "Mul",
                                                              "Div",
                                                              "Pow",
                                                              "Where",
                                                              "Equal",
                                                              "Less",
                                                              "Greater",
                                                              "LessOrEqual",
                                                              "GreaterOrEqual",
                                                              "And",
                                                              "Or",
                                                              "Xor",
                                                              "Max",
                                                              "Min",
                                                              "Mod",
                                                              "PRelu",
                                                              "Sum",
                                                              "Mean",
                                                              "BitShift"};
    if (n.input_size() == 0) return -1;
    const std::string& op = n.op_type();
    if (sameAsFirst.count(op)) return rank(n.input(0));
    if (broadcast.count(op)) {
        int r = 0;
        for (const auto& in : n.input()) {
            if (in.empty()) continue;
            int k = rank(in);
            if (k < 0) return -1;
            r = std::max(r, k);
        }
        return r;
    }
    if (op == "Gather" && n.input_size() >= 2) {
        int a = rank(n.input(0)), b = rank(n.input(1));
        return a < 1 || b < 0 ? -1 : a + b - 1;
    }
    if (op == "MatMul" && n.input_size() >= 2) {
        int a = rank(n.input(0)), b = rank(n.input(1));
        return a < 2 || b < 2 ? -1 : std::max(a, b);
    }
    return -1;
}

std::map<std::string, TensorType> inferTypes(const GraphIndex& g, const Flattener& flat,
                                             std::string& problem) {
    std::map<std::string, TensorType> types;
    onnx::ModelProto mp = inferenceModel(g, flat);
    for (int round = 0; round < 8; ++round) {
        try {
            onnx::shape_inference::InferShapes(mp, onnx::OpSchemaRegistry::Instance(),
                                               onnx::ShapeInferenceOptions(false, 0, true));
        } catch (const std::exception& e) {
            problem = e.what();
            break;
        }
        // Complete the ranks inference left open, then let inference run again from there.
        auto* graph = mp.mutable_graph();
        std::unordered_map<std::string, onnx::ValueInfoProto*> known;
        std::unordered_map<std::string, int> ranks;
        for (auto* list : {graph->mutable_input(), graph->mutable_value_info(), graph->mutable_output()})
            for (auto& vi : *list) {
                known.emplace(vi.name(), &vi);
                if (vi.type().tensor_type().has_shape())
                    ranks[vi.name()] = vi.type().tensor_type().shape().dim_size();
            }
        for (const auto& init : graph->initializer())
            ranks[init.name()] = init.dims_size();
        auto rank = [&](const std::string& name) {
            auto it = ranks.find(name);
            return it == ranks.end() ? -1 : it->second;
        };
        bool changed = false;
        for (const auto& n : graph->node())
            for (const auto& out : n.output()) {
                if (out.empty() || rank(out) >= 0) continue;
                auto it = known.find(out);
                if (it == known.end() || it->second->type().tensor_type().elem_type() == 0) continue;
                int r = outputRank(n, rank);
                if (r < 0) continue;
                auto* shape = it->second->mutable_type()->mutable_tensor_type()->mutable_shape();
                for (int k = 0; k < r; ++k)
                    shape->add_dim();
                ranks[out] = r;
                changed = true;
            }
        if (!changed) break;
    }
    auto take = [&](const onnx::ValueInfoProto& vi) {
        TensorType t;
        if (typeFromProto(vi.type(), t)) types[vi.name()] = t;
    };
    for (const auto& vi : mp.graph().value_info())
        take(vi);
    for (const auto& vi : mp.graph().output())
        take(vi);
    for (const auto& vi : mp.graph().input())
        take(vi);
    return types;
}

// Can both describe the same tensor?
bool compatible(const TensorType& a, const TensorType& b) {
    if (a.elemType && b.elemType && a.elemType != b.elemType) return false;
    if (!a.hasShape || !b.hasShape) return true;
    if (a.dims.size() != b.dims.size()) return false;
    for (std::size_t k = 0; k < a.dims.size(); ++k)
        if (a.dims[k].value >= 0 && b.dims[k].value >= 0 && a.dims[k].value != b.dims[k].value) return false;
    return true;
}

bool declaredType(const GraphIndex& g, const std::string& name, TensorType& out) {
    int t = g.findTensor(name);
    if (t < 0) return false;
    const TensorEntry& e = g.tensor(t);
    if (e.info && e.info->type.elemType != 0) {
        out = e.info->type;
        return true;
    }
    if (e.init) {
        out = {};
        out.elemType = e.init->dataType;
        out.hasShape = true;
        for (auto d : e.init->dims)
            out.dims.push_back({d, {}});
        return true;
    }
    return false;
}

// ----- writing --------------------------------------------------------------------------------------

std::string errnoText() {
    return std::strerror(errno);
}

// A temporary file beside `target`, removed unless committed.
class TempFile {
public:
    explicit TempFile(const std::string& target) : target_(target) {
        fs::path p(target);
        fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
        std::string pattern = (dir / ("." + p.filename().string() + ".tmp-XXXXXX")).string();
        std::vector<char> buf(pattern.begin(), pattern.end());
        buf.push_back('\0');
        fd_ = ::mkstemp(buf.data());
        if (fd_ < 0) throw Error(target + ": cannot write the output file (" + errnoText() + ")");
        path_ = buf.data();
        ::fchmod(fd_, 0644);
    }
    ~TempFile() {
        if (fd_ >= 0) ::close(fd_);
        if (!committed_ && !path_.empty()) ::unlink(path_.c_str());
    }
    int fd() const { return fd_; }
    const std::string& path() const { return path_; }
    void write(const char* data, std::size_t size) {
        while (size > 0) {
            ssize_t n = ::write(fd_, data, size);
            if (n < 0) {
                if (errno == EINTR) continue;
                throw Error(target_ + ": cannot write the output file (" + errnoText() + ")");
            }
            data += n;
            size -= static_cast<std::size_t>(n);
        }
    }
    // Writes at the current end, leaving a hole for runs of zeros (big generated models stay sparse).
    void writeSparse(std::string_view data) {
        constexpr std::size_t kBlock = 1 << 16;
        static const std::string zeros(kBlock, '\0');
        std::size_t pos = 0;
        while (pos < data.size()) {
            std::size_t n = std::min(kBlock, data.size() - pos);
            if (n == kBlock && std::memcmp(data.data() + pos, zeros.data(), n) == 0) {
                if (::lseek(fd_, static_cast<off_t>(n), SEEK_CUR) < 0)
                    throw Error(target_ + ": cannot write (" + errnoText() + ")");
            } else {
                write(data.data() + pos, n);
            }
            pos += n;
        }
    }
    std::uint64_t position() const { return static_cast<std::uint64_t>(::lseek(fd_, 0, SEEK_CUR)); }
    void padTo(std::uint64_t size) {
        if (::ftruncate(fd_, static_cast<off_t>(size)) != 0)
            throw Error(target_ + ": cannot write (" + errnoText() + ")");
        ::lseek(fd_, static_cast<off_t>(size), SEEK_SET);
    }
    void finish() {
        if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
            fd_ = -1;
            throw Error(target_ + ": cannot write the output file (" + errnoText() + ")");
        }
        fd_ = -1;
    }
    void commit() {
        if (::rename(path_.c_str(), target_.c_str()) != 0)
            throw Error(target_ + ": cannot write the output file (" + errnoText() + ")");
        committed_ = true;
    }

private:
    std::string target_, path_;
    int fd_ = -1;
    bool committed_ = false;
};

void serializeInto(const onnx::ModelProto& mp, TempFile& file, const std::string& target) {
    if (mp.ByteSizeLong() > static_cast<std::size_t>(INT32_MAX))
        throw Error(target + ": the model structure alone is over 2 GB and cannot be serialized");
    if (!mp.SerializeToFileDescriptor(file.fd()))
        throw Error(target + ": cannot write the output file (serialization failed)");
}

void checkParentWritable(const std::string& output) {
    fs::path p(output);
    if (output.empty()) throw Error("extract: no output path given");
    std::error_code ec;
    if (fs::is_directory(p, ec)) throw Error(output + ": cannot write the output file (it is a directory)");
    fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
    if (!fs::is_directory(dir, ec))
        throw Error(output + ": cannot write the output file (folder " + dir.string() + " does not exist)");
    if (::access(dir.c_str(), W_OK) != 0)
        throw Error(output + ": cannot write the output file (folder " + dir.string() + ": " + errnoText() +
                    ")");
}

std::int64_t maxKnownOpset(const std::string& domain) {
    const auto& map = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
    auto it = map.find(domain.empty() ? std::string("") : domain == "ai.onnx" ? std::string("") : domain);
    return it == map.end() ? -1 : it->second.second;
}

} // namespace

// ----- planning ---------------------------------------------------------------------------------------

ExtractionPlan planSelection(const GraphIndex& graph, std::vector<int> instances, const std::string& label) {
    ExternalScope externalFiles;
    const Model& m = graph.model();
    std::vector<char> sel(graph.size(), 0);
    for (int i : instances)
        if (i >= 0 && static_cast<std::size_t>(i) < graph.size()) sel[static_cast<std::size_t>(i)] = 1;
    // A selected node brings its bodies.
    for (std::size_t i = 0; i < graph.size(); ++i) {
        int p = graph.instance(static_cast<int>(i)).parent;
        if (p >= 0 && sel[static_cast<std::size_t>(p)]) sel[i] = 1; // parents have lower indices
    }
    ExtractionPlan plan;
    plan.graph = &graph;
    plan.modelPath = m.path;
    plan.label = label;
    for (std::size_t i = 0; i < graph.size(); ++i)
        if (sel[i]) plan.selected.push_back(static_cast<int>(i));
    if (plan.selected.empty()) throw Error(m.path + ": nothing to extract: " + label + " has no nodes");

    Flattener flat(graph, sel, false);
    plan.expandedCalls = flat.expandedCalls;
    std::vector<Unit>& units = flat.units;

    std::unordered_map<std::string, int> producer;
    std::unordered_map<std::string, std::vector<int>> consumers;
    for (std::size_t u = 0; u < units.size(); ++u) {
        for (const auto& o : units[u].outputs)
            if (!o.empty()) producer.emplace(o, static_cast<int>(u));
        for (const auto& in : units[u].inputs)
            if (!in.empty()) consumers[in].push_back(static_cast<int>(u));
        for (const auto& in : units[u].outerRefs)
            consumers[in].push_back(static_cast<int>(u));
    }
    // Notes on whole nodes taken because part of their bodies is selected.
    for (const Unit& u : units) {
        if (!u.selected) continue;
        int i = u.instance;
        if (!flat.isSelected(i))
            plan.notes.push_back("node '" + graph.key(i) + "' (" + graph.node(i).opType +
                                 ") is included whole: nodes of its bodies are selected");
        else if (!graph.children(i).empty() && !flat.allDescendants(i) && !flat.isCall(i))
            plan.notes.push_back("node '" + graph.key(i) + "' (" + graph.node(i).opType +
                                 ") is included with all of its bodies, also nodes assigned elsewhere");
    }
    // Constants from outside, copied in; so are Identity copies of weights (torch writes one per shared
    // parameter), so that weights stay initializers instead of becoming inputs.
    std::function<bool(const std::string&)> copyable = [&](const std::string& name) -> bool {
        auto it = producer.find(name);
        if (it == producer.end()) {
            int t = graph.findTensor(name);
            return t >= 0 && graph.tensor(t).initializer;
        }
        Unit& p = units[static_cast<std::size_t>(it->second)];
        if (p.copied) return true;
        if (p.selected) return false;
        const Node& n = graph.node(p.instance);
        bool constant =
            isConstantOp(n) || (n.opType == "Identity" && (n.domain.empty() || n.domain == "ai.onnx") &&
                                p.inputs.size() == 1 && p.outerRefs.empty() && copyable(p.inputs[0]));
        if (constant) p.copied = true;
        return constant;
    };
    for (Unit& u : units) {
        if (!u.selected) continue;
        for (const auto& in : u.inputs)
            if (producer.count(in)) copyable(in);
        for (const auto& in : u.outerRefs)
            if (producer.count(in)) copyable(in);
    }
    std::unordered_set<std::string> seenIn, seenInit, seenOut;
    std::set<int> functions;
    for (std::size_t k = 0; k < units.size(); ++k) {
        const Unit& u = units[k];
        if (!u.selected && !u.copied) continue;
        PlannedNode pn;
        pn.instance = u.instance;
        pn.copiedConstant = u.copied;
        pn.inlined = u.call >= 0;
        pn.call = u.call;
        pn.inputs = u.inputs;
        pn.outputs = u.outputs;
        plan.nodes.push_back(pn);
        if (u.copied) ++plan.copiedConstants;
        collectFunctionsOfNode(m, graph.node(u.instance), functions);
        std::vector<std::pair<std::string, bool>> uses;
        for (const auto& in : u.inputs)
            uses.emplace_back(in, false);
        for (const auto& in : u.outerRefs)
            uses.emplace_back(in, true);
        for (const auto& [name, outer] : uses) {
            if (name.empty()) continue;
            auto it = producer.find(name);
            if (it != producer.end()) {
                const Unit& p = units[static_cast<std::size_t>(it->second)];
                if (p.selected || p.copied) continue;
            }
            int t = graph.findTensor(name);
            bool isInit = it == producer.end() && t >= 0 && graph.tensor(t).initializer;
            if (isInit) {
                if (seenInit.insert(name).second) {
                    plan.initializers.push_back(name);
                    plan.weightBytes += graph.tensor(t).init->byteSize();
                }
                continue;
            }
            if (!seenIn.insert(name).second) continue;
            BoundaryTensor b;
            b.name = name;
            b.graphInput = t >= 0 && graph.tensor(t).graphInput;
            plan.inputs.push_back(b);
            if (outer) plan.outerInputs.push_back(name);
        }
    }
    for (const Unit& u : units) {
        if (!u.selected) continue;
        for (const auto& o : u.outputs) {
            if (o.empty() || seenOut.count(o)) continue;
            int t = graph.findTensor(o);
            bool isGraphOutput = t >= 0 && graph.tensor(t).graphOutput;
            bool outside = false;
            auto it = consumers.find(o);
            if (it != consumers.end())
                for (int c : it->second)
                    if (!units[static_cast<std::size_t>(c)].selected) outside = true;
            if (!isGraphOutput && !outside) {
                TensorType type;
                if (declaredType(graph, o, type)) plan.valueInfo.push_back(o);
                continue;
            }
            seenOut.insert(o);
            BoundaryTensor b;
            b.name = o;
            b.graphOutput = isGraphOutput;
            plan.outputs.push_back(b);
        }
    }
    plan.functions.assign(functions.begin(), functions.end());
    if (plan.outputs.empty())
        throw Error(m.path + ": nothing to extract: " + label +
                    " computes no tensor used outside it and no graph output");

    // Types: declared ones, checked against shape inference on the fully inlined program (ONNX 1.12
    // infers no shapes through local function calls, and flat names do not depend on which calls are
    // inlined). Inference completes declared types without a shape (the checker wants one on every
    // graph input and output) and replaces declared types that contradict the producing node.
    std::string problem;
    Flattener inlined(graph, std::vector<char>(graph.size(), 1), true);
    auto inferred = inferTypes(graph, inlined, problem);
    std::vector<std::string> unknown, contradicted;
    for (auto* list : {&plan.inputs, &plan.outputs})
        for (auto& b : *list) {
            bool declared = declaredType(graph, b.name, b.type);
            auto it = inferred.find(b.name);
            bool haveInferred = it != inferred.end();
            if (declared && haveInferred && !compatible(b.type, it->second)) {
                contradicted.push_back(b.name + "' (declared " + formatType(b.type) + ", computed " +
                                       formatType(it->second) + ")");
                b.type = it->second;
                b.inferred = true;
            } else if ((!declared || !b.type.hasShape) && haveInferred &&
                       (it->second.hasShape || b.type.elemType == 0)) {
                b.type = it->second;
                b.inferred = true;
            }
            if (b.type.elemType == 0 || !b.type.hasShape) unknown.push_back(b.name);
        }
    std::vector<std::string> kept;
    for (const auto& name : plan.valueInfo) {
        TensorType declared;
        declaredType(graph, name, declared);
        auto it = inferred.find(name);
        if (it == inferred.end() || compatible(declared, it->second)) kept.push_back(name);
    }
    plan.valueInfo = std::move(kept);
    auto listText = [](const std::vector<std::string>& names) {
        std::string list;
        for (std::size_t k = 0; k < names.size() && k < 5; ++k)
            list += (k ? ", '" : "'") + names[k] + (names[k].back() == ')' ? "" : "'");
        return list;
    };
    if (!contradicted.empty())
        plan.notes.push_back("the source declares types its nodes do not compute for " +
                             std::to_string(contradicted.size()) +
                             " boundary tensor(s), the computed ones are used: " + listText(contradicted));
    if (!unknown.empty())
        plan.notes.push_back("no type or shape known for " + std::to_string(unknown.size()) +
                             " boundary tensor(s): " + listText(unknown) +
                             (problem.empty() ? "" : " (shape inference: " + problem + ")"));
    return plan;
}

ExtractionPlan planExtraction(const GraphIndex& graph, const Hierarchy& hierarchy, const std::string& scope) {
    const Model& m = graph.model();
    int module = hierarchy.findModule(scope);
    if (module < 0) throw Error(m.path + ": unknown module '" + scope + "'");
    std::vector<int> instances;
    for (std::size_t i = 0; i < graph.size() && i < hierarchy.assignments.size(); ++i)
        if (hierarchy.isAncestorOrSelf(module, hierarchy.assignments[i].module))
            instances.push_back(static_cast<int>(i));
    const Module& mod = hierarchy.modules[static_cast<std::size_t>(module)];
    std::string label = scope.empty() ? std::string("the root module") : "module '" + scope + "'";
    if (instances.empty()) throw Error(m.path + ": nothing to extract: " + label + " has no nodes");
    ExtractionPlan plan = planSelection(graph, std::move(instances), label);
    plan.scope = scope;
    plan.fromModule = true;
    plan.modulePath = mod.path;
    plan.moduleClass = mod.className;
    return plan;
}

ExtractionPlan planExtraction(const GraphIndex& graph, const std::vector<std::string>& nodeKeys) {
    const Model& m = graph.model();
    std::vector<int> instances;
    for (const auto& key : nodeKeys) {
        int i = graph.find(key);
        if (i < 0) throw Error(m.path + ": no node with key '" + key + "'");
        instances.push_back(i);
    }
    if (instances.empty()) throw Error(m.path + ": nothing to extract: no node keys given");
    std::string label =
        nodeKeys.size() == 1 ? "node '" + nodeKeys[0] + "'" : std::to_string(nodeKeys.size()) + " nodes";
    return planSelection(graph, std::move(instances), label);
}

// ----- building and writing ---------------------------------------------------------------------------

namespace {

struct BuiltModel {
    onnx::ModelProto proto;
    std::vector<const Initializer*> externalTensors; // written to the data file, in order
    std::vector<std::uint64_t> externalOffsets;
    std::uint64_t externalSize = 0;
};

} // namespace

ExtractionResult extractModel(const ExtractionPlan& plan, const std::string& outputPath,
                              const ExtractOptions& options) {
    ExternalScope externalFiles;
    if (!plan.graph) throw Error("extract: empty plan");
    const GraphIndex& g = *plan.graph;
    const Model& m = g.model();
    checkParentWritable(outputPath);
    ExtractionResult result;
    result.outputPath = outputPath;
    result.notes = plan.notes;
    for (const auto* list : {&plan.inputs, &plan.outputs})
        for (const auto& b : *list)
            if (b.type.elemType == 0 || !b.type.hasShape)
                throw Error(
                    outputPath + ": cannot extract " + plan.label + ": the " +
                    (b.type.elemType ? "shape" : "type") + " of boundary tensor '" + b.name +
                    "' is unknown (not declared in " + m.path +
                    " and shape inference cannot tell), and the ONNX checker requires it; nothing written");

    // Rebuild the flattener state the plan was made with.
    std::vector<char> sel(g.size(), 0);
    for (int i : plan.selected)
        sel[static_cast<std::size_t>(i)] = 1;
    Flattener flat(g, sel, false);
    AttributeResolver resolver(g, flat);

    onnx::ModelProto mp;
    std::int64_t ir = m.irVersion;
    std::int64_t known = onnx::IR_VERSION;
    if (ir > known) {
        // Lowering is safe when nothing of the newer IRs is used: element types past bfloat16 (float8:
        // IR 9, 4-bit: IR 10) and function fields ONNX 1.12 does not know are refused below.
        std::vector<std::int32_t> types;
        for (const auto* list : {&plan.inputs, &plan.outputs})
            for (const auto& b : *list)
                types.push_back(b.type.elemType);
        for (const auto& name : plan.initializers)
            types.push_back(g.tensor(g.findTensor(name)).init->dataType);
        for (auto t : types)
            if (t > onnx::TensorProto_DataType_BFLOAT16)
                throw Error(outputPath + ": cannot extract " + plan.label + ": it uses element type " +
                            std::to_string(t) + " of IR " + std::to_string(m.irVersion) +
                            ", which this build's ONNX library (IR " + std::to_string(known) +
                            ") cannot check; nothing written");
        result.notes.push_back(
            "IR version lowered from " + std::to_string(ir) + " to " + std::to_string(known) +
            " (the newest this build's ONNX library can check); the model uses no newer IR feature");
        ir = known;
    }
    mp.set_ir_version(ir);
    for (const auto& op : m.opsets) {
        std::int64_t max = maxKnownOpset(op.domain);
        if ((op.domain.empty() || op.domain == "ai.onnx" || op.domain == "ai.onnx.ml") && max >= 0 &&
            op.version > max)
            throw Error(outputPath + ": cannot extract " + plan.label + ": " + m.path + " imports opset " +
                        std::to_string(op.version) + " of " +
                        (op.domain.empty() ? std::string("ai.onnx") : op.domain) +
                        ", newer than this build's ONNX library knows (" + std::to_string(max) +
                        "), so the result cannot be checked; nothing written");
    }
    addOpsets(m, mp);
    mp.set_producer_name("hierscope");
    mp.set_producer_version("0.1");
    if (!m.domain.empty()) mp.set_domain(m.domain);
    mp.set_model_version(m.modelVersion);
    mp.set_doc_string("Extracted by hierscope from " + fs::path(m.path).filename().string() + ": " +
                      plan.label);
    auto meta = [&](const std::string& k, const std::string& v) {
        auto* e = mp.add_metadata_props();
        e->set_key(k);
        e->set_value(v);
    };
    meta("hierscope.source_model", fs::path(m.path).filename().string());
    meta("hierscope.source_path", fs::absolute(m.path).lexically_normal().string());
    if (!m.producerName.empty())
        meta("hierscope.source_producer",
             m.producerName + (m.producerVersion.empty() ? "" : " " + m.producerVersion));
    if (plan.fromModule) {
        meta("hierscope.module", plan.scope);
        if (!plan.modulePath.empty()) meta("hierscope.module_path", plan.modulePath);
        if (!plan.moduleClass.empty()) meta("hierscope.module_class", plan.moduleClass);
    } else {
        std::string keys;
        std::size_t count = 0;
        for (const auto& pn : plan.nodes)
            if (!pn.copiedConstant && count++ < 50) keys += (keys.empty() ? "" : ",") + g.key(pn.instance);
        meta("hierscope.nodes", keys);
    }
    meta("hierscope.selection", plan.label);

    auto* graph = mp.mutable_graph();
    std::string graphName =
        plan.fromModule ? (plan.scope.empty() ? std::string("root") : plan.scope) : std::string("selection");
    graph->set_name(graphName);
    // Nodes: the plan's list equals the flattener's selected and copied units, in order.
    std::unordered_map<int, const PlannedNode*> planned;
    for (const auto& pn : plan.nodes)
        planned.emplace(pn.instance, &pn);
    for (const Unit& u : flat.units) {
        auto it = planned.find(u.instance);
        if (it == planned.end()) continue;
        Unit copy = u;
        copy.inputs = it->second->inputs;
        copy.outputs = it->second->outputs;
        *graph->add_node() = buildNode(g, copy, resolver);
    }
    result.nodes = static_cast<std::size_t>(graph->node_size());

    // Inputs and outputs with their types.
    for (const auto& b : plan.inputs)
        *graph->add_input() = valueInfoFor(b.name, &b.type);
    for (const auto& b : plan.outputs)
        *graph->add_output() = valueInfoFor(b.name, &b.type);
    for (const auto& name : plan.valueInfo) {
        const TensorEntry& e = g.tensor(g.findTensor(name));
        if (e.info)
            *graph->add_value_info() = parseSpan<onnx::ValueInfoProto>(m, e.info->span, "value_info", name);
    }

    // Weights: inline under the limit, else external data beside the output.
    std::uint64_t structure = 0;
    for (const auto& pn : plan.nodes)
        structure += g.node(pn.instance).span.length;
    for (int f : plan.functions)
        structure += m.functions[static_cast<std::size_t>(f)].span.length;
    bool external = plan.weightBytes + structure > options.inlineLimit;
    std::string dataName = fs::path(outputPath).filename().string() + ".data";
    std::string dataPath = (fs::path(outputPath).parent_path() / dataName).string();
    std::vector<std::pair<const Initializer*, std::uint64_t>> toWrite; // tensor, offset in the data file
    std::uint64_t dataSize = 0;
    std::uint64_t copied = 0;
    auto progress = [&](std::uint64_t bytes) {
        copied += bytes;
        if (options.progress && !options.progress(copied, plan.weightBytes))
            throw Error(outputPath + ": extraction of " + plan.label + " cancelled; nothing written");
    };
    for (const auto& name : plan.initializers) {
        const Initializer* init = g.tensor(g.findTensor(name)).init;
        if (!external || init->byteSize() < 1024) progress(init->byteSize());
        if (external && init->byteSize() >= 1024) {
            auto t = parseSpan<onnx::TensorProto>(m, init->span, "initializer", init->name);
            bool raw = init->external || t.has_raw_data();
            if (raw) {
                std::uint64_t offset = (dataSize + 4095) / 4096 * 4096;
                std::uint64_t length = init->external ? init->externalLength : t.raw_data().size();
                t.clear_raw_data();
                t.clear_external_data();
                t.set_data_location(onnx::TensorProto_DataLocation_EXTERNAL);
                auto entry = [&](const std::string& k, const std::string& v) {
                    auto* e = t.add_external_data();
                    e->set_key(k);
                    e->set_value(v);
                };
                entry("location", dataName);
                entry("offset", std::to_string(offset));
                entry("length", std::to_string(length));
                toWrite.emplace_back(init, offset);
                dataSize = offset + length;
                result.externalBytes += length;
                *graph->add_initializer() = std::move(t);
                continue;
            }
            *graph->add_initializer() = std::move(t); // typed data fields: small enough to stay inline
            continue;
        }
        *graph->add_initializer() = inlineTensor(m, *init);
    }
    result.initializers = plan.initializers.size();
    if (ir < 4) // before IR 4, initializers had to be listed as graph inputs too
        for (const auto& name : plan.initializers) {
            const Initializer* init = g.tensor(g.findTensor(name)).init;
            *graph->add_input() = initializerAsInput(*init);
        }
    for (int f : plan.functions) {
        const Function& fn = m.functions[static_cast<std::size_t>(f)];
        auto proto = parseSpan<onnx::FunctionProto>(m, fn.span, "function", fn.name);
        if (proto.GetReflection()->GetUnknownFields(proto).field_count() > 0 && m.irVersion > known)
            throw Error(outputPath + ": cannot extract " + plan.label + ": local function '" + fn.name +
                        "' uses IR " + std::to_string(m.irVersion) +
                        " features this build's ONNX library (IR " + std::to_string(known) +
                        ") cannot check; nothing written");
        *mp.add_functions() = std::move(proto);
    }
    result.functions = plan.functions.size();
    result.irVersion = ir;

    // External data first, into a temporary file beside the output: the checker looks for it.
    std::unique_ptr<TempFile> dataFile;
    if (!toWrite.empty()) {
        dataFile = std::make_unique<TempFile>(dataPath);
        for (const auto& [init, offset] : toWrite) {
            dataFile->padTo(offset);
            if (init->external) {
                std::string_view bytes = externalBytes(*init);
                constexpr std::size_t kChunk = 64 << 20;
                for (std::size_t pos = 0; pos < bytes.size(); pos += kChunk) {
                    std::size_t n = std::min(kChunk, bytes.size() - pos);
                    dataFile->writeSparse(bytes.substr(pos, n));
                    progress(n);
                }
            } else {
                auto t = parseSpan<onnx::TensorProto>(m, init->span, "initializer", init->name);
                dataFile->writeSparse(t.raw_data());
                progress(t.raw_data().size());
            }
        }
        dataFile->padTo(dataSize);
        dataFile->finish();
        result.externalDataPath = dataPath;
    }
    // The full check: checker plus strict shape inference (on a copy without large weight data).
    if (options.check) {
        // ONNX 1.12 resolves external locations against the working directory here: point them at the
        // temporary data file for the check.
        std::vector<onnx::StringStringEntryProto*> locations;
        if (dataFile)
            for (auto& t : *graph->mutable_initializer())
                for (auto& e : *t.mutable_external_data())
                    if (e.key() == "location") {
                        e.set_value(fs::absolute(dataFile->path()).string());
                        locations.push_back(&e);
                    }
        try {
            onnx::checker::check_model(mp);
            for (auto* e : locations)
                e->set_value(dataName);
        } catch (const std::exception& e) {
            throw Error(outputPath + ": the extracted model of " + plan.label +
                        " fails the ONNX checker, nothing written: " + e.what());
        }
        google::protobuf::RepeatedPtrField<onnx::TensorProto> weights;
        weights.Swap(graph->mutable_initializer());
        onnx::ModelProto light;
        light.CopyFrom(mp);
        weights.Swap(graph->mutable_initializer());
        for (const auto& t : graph->initializer()) {
            bool small = (t.has_raw_data() ? t.raw_data().size() : 0) <= kSmallTensor &&
                         t.data_location() != onnx::TensorProto_DataLocation_EXTERNAL;
            if (small) {
                *light.mutable_graph()->add_initializer() = t;
            } else {
                auto* copy = light.mutable_graph()->add_initializer();
                copy->set_name(t.name());
                copy->set_data_type(t.data_type());
                for (auto d : t.dims())
                    copy->add_dims(d);
            }
        }
        try {
            onnx::shape_inference::InferShapes(light, onnx::OpSchemaRegistry::Instance(),
                                               onnx::ShapeInferenceOptions(true, 1, false));
        } catch (const std::exception& e) {
            throw Error(
                outputPath + ": the extracted model of " + plan.label +
                " fails strict shape inference (part of the full ONNX check), nothing written: " + e.what());
        }
    }

    TempFile modelFile(outputPath);
    serializeInto(mp, modelFile, outputPath);
    result.fileBytes = modelFile.position();
    modelFile.finish();
    if (dataFile) dataFile->commit();
    modelFile.commit();
    if (external)
        result.notes.push_back("weights (" + sizeText(plan.weightBytes) + ") written as external data to " +
                               dataName + ": inline they would exceed " + sizeText(options.inlineLimit));
    return result;
}

void writeCaptureModel(const GraphIndex& g, const std::vector<std::string>& extraOutputs,
                       const std::string& outputPath) {
    ExternalScope externalFiles;
    const Model& m = g.model();
    checkParentWritable(outputPath);
    std::vector<char> all(g.size(), 1);
    Flattener flat(g, all, true);
    onnx::ModelProto mp = inferenceModel(g, flat);
    mp.set_ir_version(std::min<std::int64_t>(m.irVersion, onnx::IR_VERSION));
    // Real weights instead of typed placeholders.
    auto* graph = mp.mutable_graph();
    graph->clear_initializer();
    graph->clear_input();
    graph->clear_output();
    for (const auto& vi : m.main().outputs)
        *graph->add_output() = parseSpan<onnx::ValueInfoProto>(m, vi.span, "output", vi.name);
    for (const auto& vi : m.main().inputs) {
        int t = g.findTensor(vi.name);
        if (t >= 0 && g.tensor(t).initializer && m.irVersion >= 4) continue;
        *graph->add_input() = parseSpan<onnx::ValueInfoProto>(m, vi.span, "input", vi.name);
    }
    for (const auto& init : m.main().initializers)
        *graph->add_initializer() = inlineTensor(m, init);
    std::unordered_set<std::string> outputs;
    for (const auto& o : graph->output())
        outputs.insert(o.name());
    std::vector<std::string> missing;
    for (const auto& name : extraOutputs)
        if (outputs.insert(name).second) missing.push_back(name);
    std::map<std::string, TensorType> inferred;
    bool inferredDone = false;
    for (const auto& name : missing) {
        TensorType type;
        bool known = declaredType(g, name, type);
        if (!known) {
            if (!inferredDone) {
                std::string problem;
                inferred = inferTypes(g, flat, problem);
                inferredDone = true;
            }
            auto it = inferred.find(name);
            if (it != inferred.end()) type = it->second, known = true;
        }
        *graph->add_output() = valueInfoFor(name, known ? &type : nullptr);
    }
    TempFile file(outputPath);
    serializeInto(mp, file, outputPath);
    file.finish();
    file.commit();
}

} // namespace hs
