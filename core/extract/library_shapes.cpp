// ONNX 1.12's shape inference of a model's main graph (onnx::shape_inference::InferShapes with
// ShapeInferenceOptions(false, 0, true)), node by node as the library does it, with the same schemas,
// inference and data-propagation functions, merges, symbols and errors. What differs is only how each
// node's context is built: the library builds an InferenceContextImpl and a DataPropagationContextImpl
// per node, each with hash maps of the node's attributes and inputs (and string copies of its names),
// about half its time on 130k-node models; the contexts here look up what a function asks for, when it
// asks. Bodies of If/Loop/Scan nodes and function calls go to the library's own code unchanged. The
// result (the graph's value infos, outputs and exceptions) is the library's, byte for byte:
// tests/extract/test_library_shapes.cpp compares both on every fixture model.
#include "extract/internal.h"
#include "graph/name_table.h"

#include <google/protobuf/arena.h>
#include <onnx/defs/schema.h>
#include <onnx/defs/tensor_proto_util.h>
#include <onnx/shape_inference/implementation.h>

#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

namespace hs::extraction {

namespace {

using onnx::AttributeProto;
using onnx::NodeProto;
using onnx::SparseTensorProto;
using onnx::TensorProto;
using onnx::TensorShapeProto;
using onnx::TypeProto;
using TypeMap = std::unordered_map<std::string, TypeProto*>;
using DataMap = std::unordered_map<std::string, const TensorProto*>;
using SparseMap = std::unordered_map<std::string, const SparseTensorProto*>;
using ShapeDataMap = std::unordered_map<std::string, TensorShapeProto>;

// GetModelLocalFunctionsMapIdentifier (not in the library's headers).
std::string functionKey(const std::string& domain, const std::string& name) {
    return domain + ":" + name;
}

// The library's context maps an attribute name to the last attribute of that name.
const AttributeProto* findAttribute(NodeProto& n, const std::string& name) {
    for (int k = n.attribute_size() - 1; k >= 0; --k)
        if (n.attribute(k).name() == name) return n.mutable_attribute(k);
    return nullptr;
}

[[noreturn]] void outOfBounds(const char* what, std::size_t index) {
    ONNX_THROW(std::string(what) + " " + onnx::to_string(index) + " is out of bounds.");
}

// What the library keeps in four hash maps keyed by copies of the names (types, types of outputs
// declared without one, constant data, sparse constant data), in one table of views of the graph's
// names: a lookup per input instead of up to four, no string copied, no map node freed one by one.
// The names are the graph's own strings (value infos, inputs, outputs, initializers, node outputs),
// which stay where they are while inference runs (it only adds value infos).
struct Known {
    TypeProto* type = nullptr;
    TypeProto* undefined = nullptr;
    const TensorProto* data = nullptr;
    const SparseTensorProto* sparse = nullptr;
    const TensorShapeProto* shapeData = nullptr; // data propagation's result (ShapeData)
};

class Names {
public:
    explicit Names(ProgramNames& ids) : ids_(ids), known_(ids.size()) {}
    // The entry of a name (its id; -1, an empty name, by its string), added empty if new (valid until
    // the next call).
    Known& at(int id, const std::string& name) {
        if (id < 0) id = ids_.add(name);
        if (static_cast<std::size_t>(id) >= known_.size()) known_.resize(ids_.size());
        return known_[static_cast<std::size_t>(id)];
    }
    Known& at(const std::string& name) { return at(-1, name); }
    const Known* find(int id, const std::string& name) const {
        if (id < 0) id = ids_.find(name);
        return id < 0 || static_cast<std::size_t>(id) >= known_.size()
                   ? nullptr
                   : &known_[static_cast<std::size_t>(id)];
    }
    const Known* find(const std::string& name) const { return find(-1, name); }
    std::size_t size() const { return known_.size(); }
    std::string_view key(std::size_t k) const { return ids_.name(static_cast<int>(k)); }
    const Known& entry(std::size_t k) const { return known_[k]; }

private:
    ProgramNames& ids_;
    std::vector<Known> known_; // by id
};

// The library's generated shape data (a map from copies of the names to the shapes data propagation
// computed, a third of which were initializer values read once), kept in the names' entries with the
// shapes on an arena: on deep-1000, 61k entries whose map took 50 ms to free. The library's own code
// (contexts of nodes with graph attributes, calls of functions) reads and writes its map: from the first
// such node on, the entries move into it and stay there.
class ShapeData {
public:
    // `programArena`: the program's own, when it lives on one (the shapes then go there), else null (to
    // an arena of their own).
    ShapeData(Names& names, ShapeDataMap& map, google::protobuf::Arena* programArena)
        : names_(names), map_(map) {
        if (programArena)
            shapes_ = programArena;
        else
            shapes_ = &own_.emplace(arenaOptions());
    }

    // Names by id and string (Names::find).
    const TensorShapeProto* find(int id, const std::string& name) const {
        if (inMap_) {
            auto it = map_.find(name);
            return it == map_.end() ? nullptr : &it->second;
        }
        const Known* k = names_.find(id, name);
        return k ? k->shapeData : nullptr;
    }
    // The data now recorded for the name, or null when it had some already.
    const TensorShapeProto* add(int id, const std::string& name, TensorShapeProto&& shape) {
        if (inMap_) {
            auto [it, added] = map_.insert({name, std::move(shape)});
            return added ? &it->second : nullptr;
        }
        Known& k = names_.at(id, name);
        if (k.shapeData) return nullptr;
        auto* kept = google::protobuf::Arena::CreateMessage<TensorShapeProto>(shapes_);
        // A copy of a few dims. Swap across arenas made a third message and went through reflection:
        // a fifth of the library's loop on deep-1000.
        kept->CopyFrom(shape);
        k.shapeData = kept;
        return kept;
    }
    // The library's map, filled before its own code runs.
    ShapeDataMap& map() {
        if (!inMap_) {
            for (std::size_t k = 0; k < names_.size(); ++k)
                if (const TensorShapeProto* shape = names_.entry(k).shapeData)
                    map_.emplace(std::string(names_.key(k)), *shape);
            inMap_ = true;
        }
        return map_;
    }

private:
    static google::protobuf::ArenaOptions arenaOptions() {
        google::protobuf::ArenaOptions options;
        options.start_block_size = std::size_t{16} << 10;
        options.max_block_size = std::size_t{1} << 20;
        return options;
    }

    Names& names_;
    ShapeDataMap& map_;
    google::protobuf::Arena* shapes_ = nullptr;
    std::optional<google::protobuf::Arena> own_;
    bool inMap_ = false;
};

// InferenceContextImpl's answers for a node without graph attributes, looked up on demand. The maps
// do not change while the node's inference function runs (they change after it, in updateType).
class LazyInferenceContext final : public onnx::InferenceContext {
public:
    // `ids`: the ids of the node's inputs (ProgramNames::io).
    LazyInferenceContext(NodeProto& n, const int* ids, const Names& names, const ShapeData& shapeData)
        : n_(n), ids_(ids), names_(names), shapeData_(shapeData),
          outputs_(static_cast<std::size_t>(n.output_size())),
          found_(static_cast<std::size_t>(n.input_size()), &unasked) {}

    const AttributeProto* getAttribute(const std::string& name) const override {
        return findAttribute(n_, name);
    }
    size_t getNumInputs() const override { return static_cast<size_t>(n_.input_size()); }
    const TypeProto* getInputType(size_t index) const override {
        const Known* k = known(index);
        return k ? k->type : nullptr;
    }
    const TensorProto* getInputData(size_t index) const override {
        const Known* k = known(index);
        return k ? k->data : nullptr;
    }
    // The library looks for sparse data only where there is no dense data, and for propagated shape
    // data only where there is neither.
    const SparseTensorProto* getInputSparseData(size_t index) const override {
        const Known* k = known(index);
        return k && !k->data ? k->sparse : nullptr;
    }
    const TensorShapeProto* getSymbolicInput(size_t index) const override {
        if (const Known* k = known(index); k && (k->data || k->sparse)) return nullptr;
        return shapeData_.find(ids_[index], n_.input(static_cast<int>(index)));
    }
    size_t getNumOutputs() const override { return outputs_.size(); }
    TypeProto* getOutputType(size_t index) override {
        if (index >= outputs_.size()) outOfBounds("Output", index);
        return &outputs_[index];
    }
    onnx::GraphInferencer* getGraphAttributeInferencer(const std::string& name) override {
        fail_type_inference("Attribute ", name, " does not contain a graph."); // no attribute holds one
    }

private:
    // Input `index`'s entry, looked up once: functions ask for the same input's type many times, and
    // nothing the entries hold changes while the node's function runs.
    const Known* known(size_t index) const {
        if (index >= found_.size()) outOfBounds("Input", index);
        const Known*& k = found_[index];
        if (k == &unasked) k = names_.find(ids_[index], n_.input(static_cast<int>(index)));
        return k;
    }
    static inline const Known unasked{}; // its address marks an input not looked up yet

    NodeProto& n_;
    const int* ids_;
    const Names& names_;
    const ShapeData& shapeData_;
    std::vector<TypeProto> outputs_;
    mutable std::vector<const Known*> found_;
};

// DataPropagationContextImpl's answers, looked up on demand (its side effects kept: an initializer's
// values read as shape data are added to the shape data, as the library does).
class LazyPropagationContext final : public onnx::DataPropagationContext {
public:
    // `ids`: the ids of the node's inputs, then its outputs (ProgramNames::io).
    LazyPropagationContext(NodeProto& n, const int* ids, const Names& names, ShapeData& shapeData)
        : n_(n), ids_(ids), names_(names), shapeData_(shapeData) {}

    const AttributeProto* getAttribute(const std::string& name) const override {
        return findAttribute(n_, name);
    }
    size_t getNumInputs() const override { return static_cast<size_t>(n_.input_size()); }
    const TypeProto* getInputType(size_t index) const override {
        if (index >= static_cast<size_t>(n_.input_size())) outOfBounds("Input", index);
        const Known* k = names_.find(ids_[index], n_.input(static_cast<int>(index)));
        return k ? k->type : nullptr;
    }
    size_t getNumOutputs() const override { return static_cast<size_t>(n_.output_size()); }
    const TypeProto* getOutputType(size_t index) const override {
        static const TypeProto empty; // the library's are default-constructed and never written
        if (index >= static_cast<size_t>(n_.output_size())) outOfBounds("Output", index);
        return &empty;
    }
    const TensorShapeProto* getInputData(size_t index) override {
        if (index >= static_cast<size_t>(n_.input_size())) outOfBounds("Input", index);
        const std::string& name = n_.input(static_cast<int>(index));
        const int id = ids_[index];
        if (const TensorShapeProto* known = shapeData_.find(id, name)) return known;
        const Known* k = names_.find(id, name);
        const TensorProto* t = k ? k->data : nullptr;
        if (t == nullptr || t->dims_size() > 1) return nullptr;
        TensorShapeProto tsp;
        if (t->data_type() == TensorProto::INT64) {
            for (auto v : onnx::ParseData<int64_t>(t))
                tsp.add_dim()->set_dim_value(v);
        } else if (t->data_type() == TensorProto::INT32) {
            for (auto v : onnx::ParseData<int32_t>(t))
                tsp.add_dim()->set_dim_value(v);
        } else {
            return nullptr;
        }
        return shapeData_.add(id, name, std::move(tsp));
    }
    void addOutputData(size_t index, TensorShapeProto&& tsp) override {
        if (index >= static_cast<size_t>(n_.output_size())) outOfBounds("Input", index); // sic
        const int id = ids_[static_cast<std::size_t>(n_.input_size()) + index];
        if (!shapeData_.add(id, n_.output(static_cast<int>(index)), std::move(tsp)))
            fail_shape_inference("Data for input  " + onnx::to_string(index) + " already exists.");
    }

private:
    NodeProto& n_;
    const int* ids_;
    const Names& names_;
    ShapeData& shapeData_;
};

bool hasGraphAttribute(const NodeProto& n) {
    for (const auto& a : n.attribute())
        if (a.has_g()) return true;
    return false;
}

// ShapeInferenceImplBase (onnx/shape_inference/implementation.cc, 1.12) on a main graph, options
// (check_type false, error_mode 0, data propagation on): node errors are dropped, as error mode 0 does.
class MainGraphInference {
public:
    MainGraphInference(onnx::ModelProto& m, ProgramNames& ids,
                       const std::unordered_map<std::string, int>& opsets,
                       const onnx::shape_inference::ModelLocalFunctionsMap& functions)
        : g_(*m.mutable_graph()), opsets_(opsets), functions_(functions),
          registry_(onnx::OpSchemaRegistry::Instance()), irVersion_(static_cast<int>(m.ir_version())),
          ids_(ids), names_(ids), graphContext_{typeMap_,  opsets_,        &symbols_, functions_,
                                                registry_, &shapeDataMap_, irVersion_} {}

    void run() {
        onnx::shape_inference::TraverseGraphsToAddExistingSymbols(g_, symbols_);
        for (int p = 0; p < g_.value_info_size(); ++p)
            registerType(ids_.valueInfos[static_cast<std::size_t>(p)], *g_.mutable_value_info(p));
        for (int p = 0; p < g_.input_size(); ++p)
            registerType(ids_.inputs[static_cast<std::size_t>(p)], *g_.mutable_input(p));
        for (int p = 0; p < g_.output_size(); ++p)
            registerType(ids_.outputs[static_cast<std::size_t>(p)], *g_.mutable_output(p));
        for (int p = 0; p < g_.initializer_size(); ++p) {
            const TensorProto& tp = g_.initializer(p);
            const int id = ids_.initializers[static_cast<std::size_t>(p)];
            TypeProto type;
            auto* tt = type.mutable_tensor_type();
            tt->set_elem_type(tp.data_type());
            auto* shape = tt->mutable_shape();
            for (int i = 0; i < tp.dims_size(); ++i)
                shape->add_dim()->set_dim_value(tp.dims(i));
            Known& known = names_.at(id, tp.name());
            known.data = &tp;
            processInitializer(known, std::move(type));
        }
        for (const auto& tp : g_.sparse_initializer()) {
            TypeProto type;
            auto* st = type.mutable_sparse_tensor_type();
            st->set_elem_type(tp.values().data_type());
            auto* shape = st->mutable_shape();
            for (int i = 0; i < tp.dims_size(); ++i)
                shape->add_dim()->set_dim_value(tp.dims(i));
            Known& known = names_.at(tp.values().name());
            known.sparse = &tp;
            processInitializer(known, std::move(type));
        }
        // The library also notes experimental ops here, which only decides whether node errors are
        // collected; error mode 0 drops them.
        for (int k = 0; k < g_.node_size(); ++k) {
            const NodeProto& n = g_.node(k);
            if (n.op_type() != "Constant" || n.output().size() != 1) continue;
            const int id = ids_.output(k, n.input_size(), 0);
            for (const auto& attr : n.attribute()) {
                if (attr.name() != "value") continue;
                if (attr.type() == AttributeProto::TENSOR && attr.has_t())
                    names_.at(id, n.output(0)).data = &attr.t();
                else if (attr.type() == AttributeProto::SPARSE_TENSOR && attr.has_sparse_tensor())
                    names_.at(id, n.output(0)).sparse = &attr.sparse_tensor();
            }
        }
        for (int k = 0; k < g_.node_size(); ++k)
            process(*g_.mutable_node(k), ids_.io.data() + ids_.ioStart(k));
    }

private:
    void registerType(int id, onnx::ValueInfoProto& vi) {
        if (vi.has_type())
            names_.at(id, vi.name()).type = vi.mutable_type();
        else
            names_.at(id, vi.name()).undefined = vi.mutable_type();
    }

    void processInitializer(Known& k, TypeProto type) {
        if (k.type) {
            onnx::shape_inference::checkShapesAndTypes(type, *k.type);
        } else if (irVersion_ >= 4) {
            initializerTypes_.push_back(std::move(type));
            k.type = &initializerTypes_.back();
        }
    }

    // `id`: the name's (a node output's, not empty).
    void updateType(int id, const std::string& name, TypeProto* inferred) {
        if (inferred->value_case() == TypeProto::ValueCase::VALUE_NOT_SET) return;
        onnx::shape_inference::MaterializeSymbolicShape(inferred, symbols_);
        Known& k = names_.at(id, name);
        TypeProto* existing = k.type;
        if (!existing) {
            auto* vi = g_.add_value_info();
            vi->set_name(name);
            ids_.valueInfos.push_back(id);
            existing = vi->mutable_type();
            if (k.undefined) *k.undefined = *inferred;
        }
        onnx::shape_inference::mergeShapesAndTypes(*inferred, existing);
        k.type = existing;
        if (mirrored_) typeMap_[name] = existing;
    }

    // The library's maps, for the library's context of a node with graph attributes (If, Loop, Scan):
    // built at the first such node, kept up to date after it.
    void mirror() {
        if (mirrored_) return;
        for (std::size_t k = 0; k < names_.size(); ++k) {
            const Known& e = names_.entry(k);
            if (!e.type && !e.data && !e.sparse) continue;
            const std::string name(names_.key(k));
            if (e.type) typeMap_[name] = e.type;
            if (e.data) dataMap_[name] = e.data;
            if (e.sparse) sparseMap_[name] = e.sparse;
        }
        mirrored_ = true;
    }

    // Runs the node's inference with `ctx`; false where the library skips the node or drops its error.
    bool infer(NodeProto& n, const onnx::OpSchema* schema, onnx::InferenceContext& ctx) {
        using onnx::shape_inference::InferShapeForFunctionNode;
        try {
            if (schema) {
                if (schema->has_type_and_shape_inference_function()) {
                    schema->GetTypeAndShapeInferenceFunction()(ctx);
                } else if (schema->HasFunction()) {
                    InferShapeForFunctionNode(*schema->GetFunction(), registry_, ctx, options_, functions_,
                                              &symbols_, &shapeData_.map());
                } else {
                    return false;
                }
            } else if (!functions_.empty()) {
                auto it = functions_.find(functionKey(n.domain(), n.op_type()));
                if (it == functions_.end()) return false;
                InferShapeForFunctionNode(*it->second, registry_, ctx, options_, functions_, &symbols_,
                                          &shapeData_.map());
            } else {
                return false;
            }
        } catch (const onnx::InferenceError&) {
            return false;
        }
        return true;
    }

    // The registry's schema of the node's op at its domain's version, asked once per op and domain (the
    // version follows from the domain): three nested maps keyed by strings, per node, were a tenth of
    // the loop.
    const onnx::OpSchema* schemaOf(const NodeProto& n, int version) {
        std::string key = std::to_string(n.domain().size()); // the length first: no two pairs alike
        key += ':';
        key += n.domain();
        key += n.op_type();
        auto it = schemas_.find(key);
        if (it == schemas_.end())
            it = schemas_.emplace(std::move(key), registry_->GetSchema(n.op_type(), version, n.domain()))
                     .first;
        return it->second;
    }

    // `ids`: the node's input then output ids.
    void process(NodeProto& n, const int* ids) {
        auto dit = opsets_.find(n.domain());
        if (dit == opsets_.end()) {
            if (n.domain().empty()) dit = opsets_.find("ai.onnx");
            if (dit == opsets_.end())
                fail_type_inference("Cannot infer type and shape for node name ", n.name(),
                                    ". No opset import for domain", n.domain(), " optype ", n.op_type());
        }
        const onnx::OpSchema* schema = schemaOf(n, dit->second);
        std::optional<LazyInferenceContext> lazy;
        std::optional<onnx::shape_inference::InferenceContextImpl> full;
        onnx::InferenceContext* ctx = nullptr;
        if (hasGraphAttribute(n)) {
            mirror();
            ctx = &full.emplace(n, typeMap_, dataMap_, sparseMap_, &shapeData_.map(), &graphContext_);
        } else {
            ctx = &lazy.emplace(n, ids, names_, shapeData_);
        }
        if (!infer(n, schema, *ctx)) return;
        try {
            for (int i = 0; i < n.output_size(); ++i)
                if (!n.output(i).empty())
                    updateType(ids[n.input_size() + i], n.output(i),
                               ctx->getOutputType(static_cast<size_t>(i)));
            if (schema && schema->has_data_propagation_function()) {
                LazyPropagationContext propagation(n, ids, names_, shapeData_);
                schema->GetDataPropagationFunction()(propagation);
            }
        } catch (const std::runtime_error& err) {
            fail_shape_inference(onnx::shape_inference::GetErrorWithNodeInfo(n, err));
        }
    }

    onnx::GraphProto& g_;
    const std::unordered_map<std::string, int>& opsets_;
    const onnx::shape_inference::ModelLocalFunctionsMap& functions_;
    const onnx::ISchemaRegistry* registry_;
    const int irVersion_;
    const onnx::ShapeInferenceOptions options_{false, 0, true};
    onnx::shape_inference::SymbolTableImpl symbols_;
    ProgramNames& ids_;
    Names names_;
    ShapeDataMap shapeDataMap_; // the library's: filled by shapeData_.map() before its own code runs
    ShapeData shapeData_{names_, shapeDataMap_, g_.GetArena()};
    std::deque<TypeProto> initializerTypes_;                         // addresses stay
    std::unordered_map<std::string, const onnx::OpSchema*> schemas_; // by domain and op (schemaOf)
    bool mirrored_ = false;
    TypeMap typeMap_;
    DataMap dataMap_;
    SparseMap sparseMap_;
    onnx::shape_inference::GraphInferenceContext graphContext_;
};

} // namespace

void inferShapesLikeLibrary(onnx::ModelProto& m) {
    ProgramNames names = nameProgram(*m.mutable_graph(), false);
    inferShapesLikeLibrary(m, names);
}

void inferShapesLikeLibrary(onnx::ModelProto& m, ProgramNames& names) {
    std::unordered_map<std::string, int> opsets;
    for (const auto& op : m.opset_import())
        opsets[op.domain()] = static_cast<int>(op.version());
    onnx::shape_inference::ModelLocalFunctionsMap functions;
    for (const auto& f : m.functions())
        functions.insert({functionKey(f.domain(), f.name()), &f});
    MainGraphInference(m, names, opsets, functions).run();
}

} // namespace hs::extraction
