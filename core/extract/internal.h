#pragma once
// Shared by the extraction translation units only (core/extract/*.cpp): the flat program, ONNX building
// blocks, type inference and the screening that keeps hostile graphs away from the ONNX library. It
// includes ONNX's classes, so nothing outside core/extract/ includes it.
#include "common/error.h"
#include "extract/extract.h"
#include "extract/program_names.h"
#include "graph/name_table.h"
#include "model/model.h"

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace hs {

class GraphIndex;
class MappedFile;
class SpanReader;

} // namespace hs

namespace google::protobuf {
class Arena;
} // namespace google::protobuf

namespace hs {

namespace extraction {

constexpr std::uint64_t kSmallTensor = 64 * 1024; // kept with data in the weight-free inference copy

inline bool isConstantOp(const Node& n) {
    return n.opType == "Constant" && (n.domain.empty() || n.domain == "ai.onnx");
}

// ----- the flat program (extract/flatten.cpp) ---------------------------------------------------------

// Names a node's bodies use from its enclosing scopes.
std::vector<std::string> nodeOuterReferences(const Model& m, const Node& n);

struct Unit {
    int instance = -1;
    bool selected = false;
    bool copied = false; // a Constant copied in
    int call = -1;       // inlined: the call instance it comes from
    std::vector<std::string> inputs, outputs;
    std::vector<std::string> outerRefs; // (renamed) names its bodies use from the enclosing scope
    std::vector<std::pair<std::string, std::string>> outerRenames; // local -> flat, inlined nodes with bodies
};

// The program of a selection: every node in (topological) source order, where a function call whose
// body is only partly selected (or every call, with expandAll) is replaced by its body's nodes.
class Flattener {
public:
    // Without `unitNames`, units of nodes not inlined keep no names (inputs, outputs, outerRefs): building
    // the program reads them only for inlined nodes (shape inference of a whole model needs no more).
    // With `within`, only the main-graph instances it marks become units (with their bodies): a part of
    // the model, such as the nodes upstream of an extraction (upstreamCone).
    Flattener(const GraphIndex& g, std::vector<char> selected, bool expandAll, bool unitNames = true,
              const std::vector<char>* within = nullptr);

    bool isCall(int i) const;
    bool expanded(int i) const { return expand_[static_cast<std::size_t>(i)] != 0; }
    bool anyDescendant(int i) const { return any_[static_cast<std::size_t>(i)] != 0; }
    bool allDescendants(int i) const { return all_[static_cast<std::size_t>(i)] != 0; }
    bool isSelected(int i) const { return sel_[static_cast<std::size_t>(i)] != 0; }
    // Made with `within`: the units are a part of the main graph, not all of it.
    bool partial() const { return partial_; }

    // The name `local` (as written in instance i's graph) has in the flat program.
    std::string flatName(int i, std::string_view local) const;

    std::vector<Unit> units;
    std::vector<int> expandedCalls;

private:
    void walk(int i);

    const GraphIndex& g_;
    const Model& m_;
    std::vector<char> sel_, any_, all_, expand_;
    bool unitNames_ = true;
    bool partial_ = false;
};

// The instances a selection's types depend on: the selected ones (`starts`) and every node upstream of
// them, with the owners and bodies of each (a body node runs inside its owner, and an owner's bodies come
// whole with it).
std::vector<char> upstreamCone(const GraphIndex& g, const std::vector<int>& starts);

// Marks instance `i` and its owners (the If/Loop/Scan or call nodes holding it) in `marks`, up to the first
// one marked already: every mark then stands with marks on the owners, down to the main-graph instance a
// Flattener made `within` the marks walks.
void markWithOwners(const GraphIndex& g, int i, std::vector<char>& marks);

// What the names of a program buildInferenceModel built are known as already: the index's tensors, and
// the flat program whose unit k is the program's node k.
struct ProgramSeed {
    const GraphIndex& index;
    const Flattener& flat;
};

// Resolves attribute references (`ref_attr_name`) of an inlined body node against its call node.
class AttributeResolver {
public:
    AttributeResolver(const GraphIndex& g, const Flattener& flat) : g_(g), flat_(flat) {}
    void resolve(onnx::NodeProto& node, int call);

private:
    const onnx::AttributeProto* defaultAttribute(int call, const std::string& name);
    const onnx::NodeProto& callNode(int call);

    const GraphIndex& g_;
    const Flattener& flat_;
    std::unordered_map<int, onnx::NodeProto> cache_;
    std::unordered_map<int, std::vector<onnx::AttributeProto>> defaults_;
};

// The unit's node as ONNX: parsed from the model, renamed and resolved when inlined.
onnx::NodeProto buildNode(const GraphIndex& g, const Unit& u, AttributeResolver& resolver);
// The same into `out` (which may live on an arena: a 130k-node program is parsed in place, not copied).
void buildNodeInto(const GraphIndex& g, const Unit& u, AttributeResolver& resolver, onnx::NodeProto& out);

// Functions called (transitively) by a node and its bodies.
void collectFunctionsOfNode(const Model& m, const Node& n, std::set<int>& out);

// ----- ONNX building blocks (extract/proto.cpp) -----------------------------------------------------

// External-data files mapped during one public call (planning, extraction, capture), released after it.
class ExternalScope {
public:
    ExternalScope();
    ~ExternalScope();
    ExternalScope(const ExternalScope&) = delete;
    ExternalScope& operator=(const ExternalScope&) = delete;

private:
    std::map<std::string, std::shared_ptr<const MappedFile>> cache_;
    bool owner_ = false;
};

// Spans of the model parsed during one pass over many of them (shape inference's program: every node
// and small initializer) read with pread, not through the mapping (model/span_reader.h): the pages of
// the weights around them are never mapped. Only the outermost scope of a thread reads; spans of other
// models still come from their mappings.
class SpanReadScope {
public:
    explicit SpanReadScope(const Model& m);
    ~SpanReadScope();
    SpanReadScope(const SpanReadScope&) = delete;
    SpanReadScope& operator=(const SpanReadScope&) = delete;

private:
    std::unique_ptr<SpanReader> reader_;
};

// The span's bytes, valid until the next call on this thread (parse them at once).
std::string_view spanBytes(const Model& m, const ByteSpan& span);
std::string_view externalBytes(const Initializer& init); // inside an ExternalScope

// Parses the bytes of `span` (read from the file, or the loader's copy of them) into `out` itself
// (cleared first), which may live on an arena: no copy made.
template <typename Proto>
void parseBytesInto(const Model& m, std::string_view bytes, const ByteSpan& span, const char* what,
                    const std::string& name, Proto& out) {
    if (!out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
        throw Error(m.path + ": cannot parse the " + std::string(what) + " '" + name + "' at byte " +
                    std::to_string(span.offset));
}

template <typename Proto>
void parseSpanInto(const Model& m, const ByteSpan& span, const char* what, const std::string& name,
                   Proto& out) {
    parseBytesInto(m, spanBytes(m, span), span, what, name, out);
}

template <typename Proto>
Proto parseSpan(const Model& m, const ByteSpan& span, const char* what, const std::string& name) {
    Proto p;
    parseSpanInto(m, span, what, name, p);
    return p;
}

// The initializer as a self-contained TensorProto (external data read in).
onnx::TensorProto inlineTensor(const Model& m, const Initializer& init);
// The same into `out` (which may live on an arena).
void inlineTensorInto(const Model& m, const Initializer& init, onnx::TensorProto& out);
// Name, type and dims only: for the weight-free copy shape inference runs on.
onnx::ValueInfoProto initializerAsInput(const Initializer& init);
onnx::ValueInfoProto valueInfoFor(const std::string& name, const TensorType* type);
// `out` replaced by the tensor type `type` (element type set).
void setTypeProto(const TensorType& type, onnx::TypeProto& out);
bool typeFromProto(const onnx::TypeProto& tp, TensorType& out);
void addOpsets(const Model& m, onnx::ModelProto& mp);
std::int64_t maxKnownOpset(const std::string& domain); // -1 for a domain ONNX does not know
std::string onnxLibraryVersion();                      // "1.12.0"

// ----- our structural check (extract/structure.cpp) -------------------------------------------------

// What the ONNX checker checks of a graph's structure, for every node whatever its op or version: every
// input produced earlier (topological order), a graph input or an initializer; names produced once;
// graph outputs produced; every node's domain imported. The first problem, "" when none.
std::string structureProblem(const onnx::ModelProto& mp);

// ----- what the ONNX library can judge (extract/library_view.cpp) ------------------------------------

// The newest ai.onnx opset whose changed ops library_view.cpp lists (21): beyond it, every op is unknown.
std::int64_t newestListedOpset();
// Does the library's schema of `opType` (its newest up to `known`) describe the op at `version`?
bool libraryKnowsOp(const std::string& opType, const std::string& domain, std::int64_t version,
                    std::int64_t known);
// Can the library judge a node of this op, domain and imported version (its checker and inference)? False
// for ops defined anew after the opset it knows, and ONNX Runtime's own ops in the ONNX domain; true for
// domains it does not know (it skips those by itself).
bool libraryJudges(const std::string& opType, const std::string& domain, std::int64_t version);
// The domain a node had before narrowToLibrary moved it (`hidden` set when it was moved).
std::string originalDomain(const std::string& domain, bool* hidden = nullptr);

struct LibraryView {
    struct Newer {
        std::string domain;
        std::int64_t declared = 0, known = 0;
    };
    std::vector<Newer> newer;        // opset imports newer than the library knows
    std::set<std::string> hiddenOps; // ops left to our own checks ("ReduceMean", "ai.onnx.ml.X")
    std::vector<std::pair<onnx::NodeProto*, std::string>> moved;             // node, its domain
    std::vector<std::pair<onnx::OperatorSetIdProto*, std::int64_t>> lowered; // import, its version
    std::vector<std::pair<onnx::FunctionProto*, google::protobuf::RepeatedPtrField<onnx::OperatorSetIdProto>>>
        functionImports;
    int importsBefore = -1;
    bool narrowed() const { return !newer.empty() || !moved.empty(); }
};
// Narrows `mp` in place to what the library knows: imports newer than it knows are lowered to its
// newest, nodes of ops changed since move to `hierscope.unchecked.<domain>` (which it skips).
LibraryView narrowToLibrary(onnx::ModelProto& mp);
// Undoes narrowToLibrary (nothing may have been added to or removed from the node lists in between).
void restoreFromLibrary(onnx::ModelProto& mp, const LibraryView& view);

// ----- the library's shape inference (extract/library_shapes.cpp) -------------------------------------

// What onnx::shape_inference::InferShapes(m, registry, ShapeInferenceOptions(false, 0, true)) does to
// `m` (value infos, outputs, exceptions), byte for byte, with cheaper per-node contexts.
void inferShapesLikeLibrary(onnx::ModelProto& m);
// The same with the graph's names (nameProgram), kept in step (value infos it adds).
void inferShapesLikeLibrary(onnx::ModelProto& m, ProgramNames& names);

// ----- types (extract/types.cpp) ----------------------------------------------------------------------

// The whole flat program as a model without large weights, for shape inference.
onnx::ModelProto inferenceModel(const GraphIndex& g, const Flattener& flat);
// The same into `mp` (empty), which may live on an arena.
void buildInferenceModel(const GraphIndex& g, const Flattener& flat, onnx::ModelProto& mp);
// Types of the flat program's tensors by shape inference; `problem` says why inference stopped early.
// The program lives on an arena (newProgramArena), freed afterwards on another thread.
std::map<std::string, TensorType> inferTypes(const GraphIndex& g, const Flattener& flat,
                                             std::string& problem);
// An arena for a program of a whole model (its blocks in huge pages from 2 MB on): its 130k nodes and the
// value infos inference adds are freed at once, not message by message (index_types.cpp).
std::unique_ptr<google::protobuf::Arena> newProgramArena();
// Frees a program's arena on another thread (one at a time; the next program waits for it, and the last
// is waited for at exit), or here on a machine with one core.
void freeProgramLater(std::unique_ptr<google::protobuf::Arena> arena);
// The same on an inference model already built (inferenceModel), which the caller may have changed.
// With `folded`, the graph inputs' dims must be bound: shape arithmetic is evaluated (before the first
// round and whenever inference stops short of concrete shapes) and the types of what it computed go there.
std::map<std::string, TensorType> inferModelTypes(onnx::ModelProto model, std::string& problem,
                                                  std::map<std::string, TensorType>* folded = nullptr);
// The same on `model` itself (inferred value infos added, folded nodes replaced).
std::map<std::string, TensorType> inferModelTypesInPlace(onnx::ModelProto& model, std::string& problem,
                                                         std::map<std::string, TensorType>* folded = nullptr);
// The same, leaving the types in `model` (read them with TypedEntries, then `folded` over them): no map
// of every tensor built (on 130k-node models building and freeing it cost as much as the rules).
// With `seed`, `model` is the program buildInferenceModel built from it (see nameProgram).
void inferModelInPlace(onnx::ModelProto& model, std::string& problem,
                       std::map<std::string, TensorType>* folded = nullptr,
                       const ProgramSeed* seed = nullptr);
// The type entry of each name of an inferred graph, as inferModelTypes reads them: the last one with an
// element type among its value infos, then outputs, then inputs. Keys view the graph's strings: valid
// while the graph is not changed.
class TypedEntries {
public:
    explicit TypedEntries(const onnx::GraphProto& graph);
    const onnx::TypeProto* find(std::string_view name) const {
        const int k = names_.find(name);
        return k < 0 ? nullptr : types_[static_cast<std::size_t>(k)];
    }
    // Calls f(name, type) for each entry in that order (a later one for a name replaces an earlier).
    template <typename F> static void forEach(const onnx::GraphProto& graph, F&& f) {
        forEachList(graph, [&](const auto& list, auto) {
            for (const auto& vi : list)
                if (isEntry(vi)) f(vi.name(), vi.type());
        });
    }
    // Calls f(list, ids) for the lists entries come from, in that order; `ids` points to the list's
    // member of ProgramNames (its names' ids).
    template <typename F> static void forEachList(const onnx::GraphProto& graph, F&& f) {
        f(graph.value_info(), &ProgramNames::valueInfos);
        f(graph.output(), &ProgramNames::outputs);
        f(graph.input(), &ProgramNames::inputs);
    }
    // A value info with an element type: an entry.
    static bool isEntry(const onnx::ValueInfoProto& vi) {
        return vi.type().has_tensor_type() && vi.type().tensor_type().elem_type() != 0;
    }

private:
    NameTable names_; // name -> position in types_ (a node-based map was a twentieth of `info`)
    std::vector<const onnx::TypeProto*> types_;
};
// Evaluates the integer shape arithmetic on known shapes and constants that ONNX 1.12 does not propagate
// (Shape -> Gather -> Div -> Concat before a Reshape) and replaces the nodes it computed with
// initializers, for the next round of inference; their types go to `folded`. Returns how many of them
// feed a node inference left without a concrete shape (0: another round would change nothing).
// Only meaningful with the graph inputs' dims bound (extract/shape_arithmetic.cpp).
// `names` are the graph's (nameProgram), kept in step.
std::size_t foldShapeArithmetic(onnx::ModelProto& model, const std::map<std::string, TensorType>& types,
                                std::map<std::string, TensorType>& folded, ProgramNames& names);
// Can both describe the same tensor?
bool compatible(const TensorType& a, const TensorType& b);
// The type the source declares (value_info, input, output) or an initializer has.
bool declaredType(const GraphIndex& g, const std::string& name, TensorType& out);

// ----- screening before the ONNX library (extract/guard.cpp) ------------------------------------------

// What is wrong with a tensor's payload for its type and dims ("" when nothing): ONNX 1.12 sizes its
// buffers from one and copies the other.
std::string tensorProblem(const onnx::TensorProto& t, bool externalAllowed);
// Takes out of the (weight-free, inlined) inference copy what the library cannot take safely: tensors
// with inconsistent payloads, nodes that do not match their operator's schema, functions with such
// nodes. Returns a note on what was left out ("" when nothing).
std::string screenForInference(onnx::ModelProto& mp);
// The same, with the screened main graph's names as ids in `names` (nameProgram with typeEveryName).
// With `seed`, the names are the index's tensor ids where the screening left the program as built.
std::string screenForInference(onnx::ModelProto& mp, ProgramNames& names, const ProgramSeed* seed = nullptr);
// The main graph's names as ids. With `typeEveryName`, every name a node reads or writes that has no
// typed entry (a value info with a type, an input, an initializer) gets an empty value info, and
// untyped inputs an empty type: ONNX 1.12's data propagation dereferences the type of each input
// without asking whether it has one. Bodies get the same (their enclosing scopes' names left alone).
// With `seed` (the index and flat program `g` was built from, untouched since), the names are the
// index's tensor ids and each node's are taken from the index.
ProgramNames nameProgram(onnx::GraphProto& g, bool typeEveryName, const ProgramSeed* seed = nullptr);
// What of `names` no longer matches the graph (its lists, each node's inputs and outputs), "" when nothing.
std::string namesOutOfStep(const onnx::GraphProto& g, const ProgramNames& names);
// In builds with assertions (Debug: the sanitizer runs of the core tests), throws std::logic_error
// naming the pass when namesOutOfStep finds something; nothing otherwise.
void expectNamesInStep(const onnx::GraphProto& g, const ProgramNames& names, const char* after);
// The first such problem of an extracted model ("" when none), before the checker sees it.
std::string modelProblem(const onnx::ModelProto& mp);

} // namespace extraction
} // namespace hs
