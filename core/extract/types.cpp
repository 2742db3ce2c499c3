// Types of the tensors of a flat program: declared ones, and ONNX's shape inference (with data
// propagation) on the weight-free, fully inlined program, screened first (extract/guard.cpp) and narrowed
// to what the library knows (extract/library_view.cpp), alternating with Hierscope's type rules
// (extract/type_rules.h), which fill what it leaves open.
#include "extract/internal.h"
#include "extract/shape_values.h"
#include "extract/type_rules.h"

#include "common/error.h"
#include "graph/graph.h"
#include "graph/name_table.h"

#include <google/protobuf/arena.h>
#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <functional>
#include <string_view>
#include <unordered_map>

namespace hs::extraction {

namespace {

// The values of a small int64 tensor (axes, split sizes, shapes), when it holds them.
bool smallInt64Values(const onnx::TensorProto& t, std::vector<std::int64_t>& out) {
    constexpr int kMax = 64;
    if (t.data_type() != onnx::TensorProto::INT64 || t.dims_size() > 1 ||
        t.data_location() == onnx::TensorProto::EXTERNAL)
        return false;
    out.clear();
    if (t.has_raw_data()) {
        const std::string& raw = t.raw_data();
        if (raw.size() % 8 != 0 || raw.size() / 8 > kMax) return false;
        for (std::size_t k = 0; k < raw.size(); k += 8) {
            std::uint64_t v = 0;
            for (int b = 7; b >= 0; --b) // little-endian (onnx.proto)
                v = (v << 8) | static_cast<unsigned char>(raw[k + static_cast<std::size_t>(b)]);
            out.push_back(static_cast<std::int64_t>(v));
        }
    } else {
        if (t.int64_data_size() > kMax) return false;
        out.assign(t.int64_data().begin(), t.int64_data().end());
    }
    std::int64_t count = t.dims_size() ? t.dims(0) : 1;
    return count == static_cast<std::int64_t>(out.size());
}

// What applyTypeRules knows of the graph's tensors: value infos and initializers by name id, read into
// our types only for the nodes a rule runs on (most nodes are typed by the library: converting every
// value info of a 130k-node model each round cost more than the rules).
class KnownTensors {
public:
    KnownTensors(onnx::GraphProto& graph, const ProgramNames& names) : slots_(names.size()) {
        // The first value info (inputs, value infos, outputs) and the first initializer of a name.
        auto take = [&](google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>& list,
                        const std::vector<int>& ids) {
            for (int p = 0; p < list.size(); ++p)
                if (Slot& s = slots_[static_cast<std::size_t>(ids[static_cast<std::size_t>(p)])]; !s.entry)
                    s.entry = list.Mutable(p);
        };
        take(*graph.mutable_input(), names.inputs);
        take(*graph.mutable_value_info(), names.valueInfos);
        take(*graph.mutable_output(), names.outputs);
        for (int p = 0; p < graph.initializer_size(); ++p)
            if (Slot& s = slots_[static_cast<std::size_t>(names.initializers[static_cast<std::size_t>(p)])];
                !s.init)
                s.init = &graph.initializer(p);
    }
    onnx::ValueInfoProto* entry(int id) const { return slot(id).entry; }
    // An element type and every dim (a value or a name): nothing a rule could add.
    bool settled(int id) const {
        const Slot& s = slot(id);
        if (s.ruled >= 0) return complete(ruled_[static_cast<std::size_t>(s.ruled)]);
        if (s.init) return true;
        const onnx::ValueInfoProto* vi = s.entry;
        if (!vi || !vi->type().has_tensor_type() || vi->type().tensor_type().elem_type() == 0 ||
            !vi->type().tensor_type().has_shape())
            return false;
        for (const auto& d : vi->type().tensor_type().shape().dim())
            if (!d.has_dim_value() && (!d.has_dim_param() || d.dim_param().compare(0, 5, "unk__") == 0))
                return false;
        return true;
    }
    static bool complete(const TensorType& t) {
        if (!t.hasShape) return false;
        for (const auto& d : t.dims)
            if (d.value < 0 && d.param.empty()) return false;
        return true;
    }
    // Initializers first, then what a rule set, then the value info.
    TensorType type(int id) const {
        TensorType t;
        const Slot& s = slot(id);
        if (const onnx::TensorProto* init = s.init) {
            t.elemType = init->data_type();
            t.hasShape = true;
            for (auto d : init->dims())
                t.dims.push_back({d, {}});
        } else if (s.ruled >= 0) {
            t = ruled_[static_cast<std::size_t>(s.ruled)];
        } else if (const onnx::ValueInfoProto* vi = s.entry) {
            typeFromProto(vi->type(), t);
        }
        return t;
    }
    // The values of a small int64 tensor: a Constant's (recorded in order) or an initializer's.
    const std::vector<std::int64_t>* values(int id) {
        if (auto it = values_.find(id); it != values_.end()) return &it->second;
        const onnx::TensorProto* init = slot(id).init;
        std::vector<std::int64_t> v;
        if (!init || !smallInt64Values(*init, v)) return nullptr;
        return &(values_[id] = std::move(v));
    }
    void setValues(int id, std::vector<std::int64_t> v) { values_[id] = std::move(v); }
    // Only for a name with a value info (entry(id) not null), as applyTypeRules asks.
    void setType(int id, const TensorType& t) {
        Slot& s = slots_[static_cast<std::size_t>(id)];
        if (s.ruled < 0) {
            s.ruled = static_cast<int>(ruled_.size());
            ruled_.push_back(t);
        } else {
            ruled_[static_cast<std::size_t>(s.ruled)] = t;
        }
    }

private:
    struct Slot {
        onnx::ValueInfoProto* entry = nullptr;
        const onnx::TensorProto* init = nullptr;
        int ruled = -1; // position in ruled_, -1: no rule typed it
    };
    const Slot& slot(int id) const { return slots_[static_cast<std::size_t>(id)]; }

    std::vector<Slot> slots_;       // by name id
    std::vector<TensorType> ruled_; // what rules set, by slot (a map by name copied every name)
    std::unordered_map<int, std::vector<std::int64_t>> values_; // by name id
};

// The node as our type rules read it: its original domain and version, its inputs' types (and values) as
// known so far, the attributes the rules use. `ids`: its inputs' name ids.
OpSignature signatureOf(const onnx::NodeProto& n, const int* ids,
                        const std::map<std::string, std::int64_t>& opsets, KnownTensors& known) {
    OpSignature op;
    op.opType = n.op_type();
    op.domain = originalDomain(n.domain());
    if (op.domain == "ai.onnx") op.domain.clear();
    auto v = opsets.find(op.domain);
    op.opset = v == opsets.end() ? 0 : v->second;
    for (int k = 0; k < n.input_size(); ++k) {
        const int id = n.input(k).empty() ? -1 : ids[k];
        op.inputs.push_back(id < 0 ? TensorType{} : known.type(id));
        op.present.push_back(id >= 0);
        if (const auto* values = id < 0 ? nullptr : known.values(id))
            op.values[op.inputs.size() - 1] = *values;
    }
    op.outputs = static_cast<std::size_t>(n.output_size());
    for (const auto& a : n.attribute()) {
        switch (a.type()) {
        case onnx::AttributeProto::INT:
            op.ints[a.name()] = a.i();
            break;
        case onnx::AttributeProto::FLOAT:
            op.ints[a.name()] = 0;
            break; // rules ask only whether it is set
        case onnx::AttributeProto::INTS:
            op.intLists[a.name()].assign(a.ints().begin(), a.ints().end());
            break;
        case onnx::AttributeProto::FLOATS:
            op.intLists[a.name()].assign(static_cast<std::size_t>(a.floats_size()), 0);
            break;
        case onnx::AttributeProto::TENSOR: {
            TensorType t;
            t.elemType = a.t().data_type();
            t.hasShape = true;
            for (auto d : a.t().dims())
                t.dims.push_back({d, {}});
            op.tensors[a.name()] = t;
            break;
        }
        default:
            break;
        }
    }
    return op;
}

// What a rule adds to what is known: the element type where none is known, a shape where none is.
bool mergeRule(TensorType& known, const TensorType& rule) {
    if (rule.elemType == 0) return false;
    if (known.elemType == 0) {
        known = rule;
        return true;
    }
    if (known.elemType != rule.elemType || !rule.hasShape) return false;
    if (!known.hasShape) {
        known.hasShape = true;
        known.dims = rule.dims;
        return true;
    }
    // A partial shape (a rule ran before its inputs were known: FusedMatMul's [?, 2, ?, ?]) takes the
    // dims a later round knows.
    if (known.dims.size() != rule.dims.size()) return false;
    bool changed = false;
    for (std::size_t d = 0; d < known.dims.size(); ++d) {
        Dim& k = known.dims[d];
        const Dim& r = rule.dims[d];
        if (k.value >= 0 || !k.param.empty() || (r.value < 0 && r.param.empty())) continue;
        k = r;
        changed = true;
    }
    return changed;
}

// One pass of our rules over the program in (topological) order, after the library's inference: fills
// the value infos of outputs the library left untyped (ops it has no schema for, everything downstream
// of them, shapes it gave up on). Returns whether anything was added.
bool applyTypeRules(onnx::GraphProto& graph, const std::map<std::string, std::int64_t>& opsets,
                    const ProgramNames& names) {
    KnownTensors known(graph, names);
    bool changed = false;
    for (int k = 0; k < graph.node_size(); ++k) {
        const onnx::NodeProto& n = graph.node(k);
        const int* ids = names.io.data() + names.ioStart(k);
        const int* outputIds = ids + n.input_size();
        if (n.op_type() == "Constant" && n.output_size() == 1)
            for (const auto& a : n.attribute()) {
                std::vector<std::int64_t> v;
                if (a.name() == "value" && a.has_t() && smallInt64Values(a.t(), v))
                    known.setValues(outputIds[0], std::move(v));
                else if (a.name() == "value_ints")
                    known.setValues(outputIds[0], {a.ints().begin(), a.ints().end()});
            }
        bool settled = true;
        for (int o = 0; o < n.output_size() && settled; ++o)
            settled = outputIds[o] < 0 || known.settled(outputIds[o]);
        if (settled) continue;
        std::vector<TensorType> rules = ruleOutputTypes(signatureOf(n, ids, opsets, known));
        for (int o = 0; o < n.output_size() && static_cast<std::size_t>(o) < rules.size(); ++o) {
            const int id = outputIds[o];
            onnx::ValueInfoProto* entry = id < 0 ? nullptr : known.entry(id);
            if (!entry) continue;
            TensorType type = known.type(id);
            if (!mergeRule(type, rules[static_cast<std::size_t>(o)])) continue;
            setTypeProto(type, *entry->mutable_type());
            known.setType(id, type);
            changed = true;
        }
    }
    return changed;
}

} // namespace

std::map<std::string, TensorType> inferTypes(const GraphIndex& g, const Flattener& flat,
                                             std::string& problem) {
    // On the heap, the program of deep-1000 (126k nodes) was freed message by message: a fifth of
    // planning an extraction from it went to glibc's consolidation of those blocks.
    std::unique_ptr<google::protobuf::Arena> arena = newProgramArena();
    onnx::ModelProto& mp = *google::protobuf::Arena::CreateMessage<onnx::ModelProto>(arena.get());
    buildInferenceModel(g, flat, mp);
    std::map<std::string, TensorType> types = inferModelTypesInPlace(mp, problem);
    freeProgramLater(std::move(arena));
    return types;
}

namespace {

std::map<std::string, TensorType> collectTypes(const onnx::GraphProto& graph) {
    std::map<std::string, TensorType> types;
    TypedEntries::forEach(graph, [&](const std::string& name, const onnx::TypeProto& type) {
        typeFromProto(type, types[name]);
    });
    return types;
}

// Every node output has a type with only fixed dims: the type entry TypedEntries would find for it, by
// name id (no map of types, no table of names built).
bool allShapesConcrete(const onnx::GraphProto& graph, const ProgramNames& names) {
    std::vector<const onnx::TypeProto*> typed(names.size(), nullptr);
    TypedEntries::forEachList(graph, [&](const auto& list, auto ids) {
        for (int p = 0; p < list.size(); ++p) // a later entry replaces an earlier
            if (TypedEntries::isEntry(list.Get(p)))
                typed[static_cast<std::size_t>((names.*ids)[static_cast<std::size_t>(p)])] =
                    &list.Get(p).type();
    });
    for (int k = 0; k < graph.node_size(); ++k) {
        const std::size_t start = names.ioStart(k) + static_cast<std::size_t>(graph.node(k).input_size());
        for (std::size_t i = start; i < names.ioStart(k + 1); ++i) {
            if (names.io[i] < 0) continue;
            const onnx::TypeProto* type = typed[static_cast<std::size_t>(names.io[i])];
            if (!type || !type->tensor_type().has_shape()) return false;
            for (const auto& d : type->tensor_type().shape().dim())
                if (!d.has_dim_value() || d.dim_value() < 0) return false;
        }
    }
    return true;
}

// The graph inputs' types, before any inference: what folding can start from.
std::map<std::string, TensorType> inputTypes(const onnx::GraphProto& graph) {
    std::map<std::string, TensorType> types;
    for (const auto& vi : graph.input())
        if (TensorType t; typeFromProto(vi.type(), t)) types[vi.name()] = t;
    return types;
}

} // namespace

// A Loop body's first two inputs are, by the spec, the iteration number (int64 scalar) and the condition
// (bool scalar); ONNX 1.12 gives the iteration number no shape, so every tensor computed from it stays
// unshaped. Set where the file leaves them open, in nested bodies too (bounded by the index's nesting).
void typeLoopCounters(onnx::GraphProto& graph) {
    for (auto& n : *graph.mutable_node())
        for (auto& a : *n.mutable_attribute()) {
            if (a.has_g()) {
                onnx::GraphProto& body = *a.mutable_g();
                typeLoopCounters(body);
                bool loop = n.op_type() == "Loop" && (n.domain().empty() || n.domain() == "ai.onnx");
                if (!loop || a.name() != "body" || body.input_size() < 2) continue;
                const int types[] = {onnx::TensorProto::INT64, onnx::TensorProto::BOOL};
                for (int k = 0; k < 2; ++k) {
                    auto* tt = body.mutable_input(k)->mutable_type()->mutable_tensor_type();
                    if (tt->elem_type() == 0) tt->set_elem_type(types[k]);
                    if (!tt->has_shape() && tt->elem_type() == types[k]) tt->mutable_shape();
                }
            }
            for (auto& sub : *a.mutable_graphs())
                typeLoopCounters(sub);
        }
}

std::map<std::string, TensorType> inferModelTypes(onnx::ModelProto mp, std::string& problem,
                                                  std::map<std::string, TensorType>* folded) {
    return inferModelTypesInPlace(mp, problem, folded);
}

std::map<std::string, TensorType> inferModelTypesInPlace(onnx::ModelProto& mp, std::string& problem,
                                                         std::map<std::string, TensorType>* folded) {
    inferModelInPlace(mp, problem, folded);
    return collectTypes(mp.graph());
}

TypedEntries::TypedEntries(const onnx::GraphProto& graph) {
    const auto n =
        static_cast<std::size_t>(graph.value_info_size() + graph.output_size() + graph.input_size());
    names_.reserve(n);
    types_.reserve(n);
    forEach(graph, [&](const std::string& name, const onnx::TypeProto& type) {
        auto [k, added] = names_.tryEmplace(name, static_cast<int>(types_.size()));
        if (added)
            types_.push_back(&type);
        else
            types_[static_cast<std::size_t>(k)] = &type; // a later entry replaces an earlier
    });
}

namespace {

// The main graph's Constant nodes that may become initializers unnoticed: one `value` tensor, a name
// produced once, not a graph input, output or initializer, read only by later nodes. By name id: the
// index of the node producing it, -1 when it is not replaceable after all, kNoConstant for other names.
constexpr int kNoConstant = -2;

// `seed`: the index the program was built from, its node k still unit k; most nodes are then passed
// over by their kind in the index (a byte), not by reading their message.
std::vector<int> replaceableConstants(const onnx::GraphProto& graph, const ProgramNames& names,
                                      const ProgramSeed* seed) {
    std::vector<int> node(names.size(), kNoConstant);
    bool any = false;
    for (int k = 0; k < graph.node_size(); ++k) {
        if (seed &&
            seed->index.opKind(seed->flat.units[static_cast<std::size_t>(k)].instance) != OpKind::Constant)
            continue;
        const onnx::NodeProto& n = graph.node(k);
        if (n.op_type() != "Constant" || !(n.domain().empty() || n.domain() == "ai.onnx") ||
            n.input_size() != 0 || n.output_size() != 1 || n.output(0).empty() || n.attribute_size() != 1)
            continue;
        const onnx::AttributeProto& a = n.attribute(0);
        if (a.name() != "value" || a.type() != onnx::AttributeProto::TENSOR || !a.has_t()) continue;
        int& at = node[static_cast<std::size_t>(names.output(k, 0, 0))];
        at = at == kNoConstant ? k : -1;
        any = true;
    }
    if (!any) return {};
    auto exclude = [&](int id) {
        if (id >= 0 && node[static_cast<std::size_t>(id)] != kNoConstant)
            node[static_cast<std::size_t>(id)] = -1;
    };
    for (const auto* list : {&names.inputs, &names.outputs, &names.initializers})
        for (int id : *list)
            exclude(id);
    // Where a node's outputs start is read from its message only for the nodes naming a candidate: the
    // rest are passed over in the ids alone.
    constexpr std::size_t kUnread = ~std::size_t{0};
    for (int k = 0; k < graph.node_size(); ++k) {
        const std::size_t start = names.ioStart(k), end = names.ioStart(k + 1);
        std::size_t inputs = kUnread;
        for (std::size_t i = start; i < end; ++i) {
            const int id = names.io[i];
            if (id < 0) continue;
            int& at = node[static_cast<std::size_t>(id)];
            if (at < 0) continue; // not a candidate, or not replaceable already
            if (inputs == kUnread) inputs = start + static_cast<std::size_t>(graph.node(k).input_size());
            if (i < inputs ? at >= k : at != k) at = -1;
        }
    }
    return node;
}

// Constant nodes holding a tensor become initializers, their output's (empty) value info given the
// tensor's type: what the library's inference of a Constant gives (element type and dims of the tensor,
// its data readable downstream), without a node to infer. torch exports are a third Constants: every
// later pass over the nodes (the library's, our rules, the fold) skips them.
void constantsAsInitializers(onnx::ModelProto& mp, ProgramNames& names, const ProgramSeed* seed) {
    if (mp.ir_version() < 4) return; // before IR 4 an initializer must be a graph input too
    // Without the ONNX domain imported the library stops at the first node, naming it: keep them all.
    if (std::none_of(mp.opset_import().begin(), mp.opset_import().end(), [](const auto& op) {
            return (op.domain().empty() || op.domain() == "ai.onnx") && op.version() >= 1;
        }))
        return;
    onnx::GraphProto& graph = *mp.mutable_graph();
    std::vector<int> node = replaceableConstants(graph, names, seed);
    if (node.empty()) return;
    std::vector<onnx::ValueInfoProto*> entries(node.size(), nullptr); // by name id
    for (int p = 0; p < graph.value_info_size(); ++p) {
        const auto id = static_cast<std::size_t>(names.valueInfos[static_cast<std::size_t>(p)]);
        if (node[id] < 0) continue;
        onnx::ValueInfoProto& vi = *graph.mutable_value_info(p);
        if (vi.type().has_tensor_type() && vi.type().tensor_type().elem_type() != 0) node[id] = -1;
        if (entries[id])
            node[id] = -1; // named twice
        else
            entries[id] = &vi;
    }
    std::vector<char> drop(static_cast<std::size_t>(graph.node_size()), 0);
    bool dropping = false;
    for (std::size_t id = 0; id < node.size(); ++id)
        if (node[id] >= 0 && entries[id]) {
            drop[static_cast<std::size_t>(node[id])] = 1;
            dropping = true;
        }
    if (!dropping) return;
    auto* nodes = graph.mutable_node();
    int kept = 0;
    for (int k = 0; k < nodes->size(); ++k) {
        if (drop[static_cast<std::size_t>(k)]) {
            onnx::NodeProto& n = (*nodes)[k];
            const int id = names.output(k, 0, 0);
            onnx::ValueInfoProto* entry = entries[static_cast<std::size_t>(id)];
            onnx::TensorProto* init = graph.add_initializer();
            init->Swap(n.mutable_attribute(0)->mutable_t());
            init->mutable_name()->swap(*n.mutable_output(0)); // the node is dropped: no copy
            names.initializers.push_back(id);
            auto* tt = entry->mutable_type()->mutable_tensor_type();
            tt->set_elem_type(init->data_type());
            auto* shape = tt->mutable_shape(); // a scalar has a shape too, of no dims
            for (auto d : init->dims())
                shape->add_dim()->set_dim_value(d);
            continue;
        }
        if (kept != k) nodes->SwapElements(kept, k);
        ++kept;
    }
    nodes->DeleteSubrange(kept, nodes->size() - kept);
    names.keepNodes(drop);
}

} // namespace

void inferModelInPlace(onnx::ModelProto& mp, std::string& problem, std::map<std::string, TensorType>* folded,
                       const ProgramSeed* seed) {
    // The library infers only what it knows in the model's version; our rules do the rest.
    narrowToLibrary(mp);
    ProgramNames names;
    problem = screenForInference(mp, names, seed);
    // A seeded program comes from an index with nothing nested: no Loop body to type (a walk over every
    // node's attributes, 4 ms on deep-1000).
    if (!names.seeded()) typeLoopCounters(*mp.mutable_graph());
    // A seed holds while the program's nodes are the ones built from it (screening dropped none).
    constantsAsInitializers(mp, names, names.seeded() ? seed : nullptr);
    expectNamesInStep(mp.graph(), names, "the Constant handover");
    std::map<std::string, std::int64_t> opsets;
    for (const auto& op : mp.opset_import())
        opsets[op.domain() == "ai.onnx" ? std::string() : op.domain()] = op.version();
    // Shape arithmetic on the inputs' shapes alone (a position-id Slice up to the sequence length) is
    // folded before the first round: the library then shapes what follows at once, and the round it
    // would otherwise take (a whole inference on 130k-node models) is saved.
    if (folded) foldShapeArithmetic(mp, inputTypes(mp.graph()), *folded, names);
    expectNamesInStep(mp.graph(), names, "the first fold");
    bool library = true; // until its inference gives up on this model; our rules go on without it
    // Rounds: each fold lets the library shape one more stretch of a model whose every block's shapes
    // come from arithmetic it does not follow (torchvision's Swin-T takes 16).
    for (int round = 0; round < 32; ++round) {
        try {
            if (library) inferShapesLikeLibrary(mp, names);
        } catch (const std::exception& e) {
            problem += (problem.empty() ? "" : "; ") + std::string(e.what());
            library = false;
        }
        expectNamesInStep(mp.graph(), names, "the library's inference"); // even when it stopped midway
        // Fill in what inference left open, then let inference run again from there.
        bool again = applyTypeRules(*mp.mutable_graph(), opsets, names);
        // Most exports are fully typed now; otherwise evaluate the shape arithmetic the library does
        // not, and go on when that computed something a node without a concrete shape reads.
        if (folded && !allShapesConcrete(mp.graph(), names))
            again = foldShapeArithmetic(mp, collectTypes(mp.graph()), *folded, names) > 0 || again;
        expectNamesInStep(mp.graph(), names, "a fold");
        if (!again) break;
    }
}

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

} // namespace hs::extraction
