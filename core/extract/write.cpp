// Writing an extracted model (extract.h): the ONNX model built from a plan, weights inline or as
// external data, the full ONNX check on a screened copy, atomic replacement of the output file.
#include "extract/internal.h"

#include "common/display_text.h"
#include "common/error.h"
#include "common/temp_file.h"
#include "graph/graph.h"

#include <google/protobuf/unknown_field_set.h>
#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>

namespace hs {

using namespace extraction;

namespace {

namespace fs = std::filesystem;

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

// ----- writing --------------------------------------------------------------------------------------

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

// Where the extracted model comes from: producer, doc string and hierscope.* metadata.
void addProvenance(onnx::ModelProto& mp, const GraphIndex& g, const ExtractionPlan& plan) {
    const Model& m = g.model();
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
}

// The cause in a library's exception, for a message: bounded, and escaped where it quotes input bytes.
std::string libraryText(const std::exception& e) {
    std::string text = e.what();
    if (text.size() > 400) text = text.substr(0, 400) + "...";
    return utf8Escaped(text);
}

// ONNX 1.12's check_model, except that a main-graph input or output with a tensor type but no shape
// passes: valid ONNX (the shape is optional), which its checker refuses. It is check_model's own steps
// (checker.cc of 1.12) with the value-info check of shapeless boundary tensors left out.
void checkModel(const onnx::ModelProto& mp) {
    bool shapeless = false;
    for (const auto* list : {&mp.graph().input(), &mp.graph().output()})
        for (const auto& vi : *list)
            shapeless = shapeless || (vi.type().has_tensor_type() && !vi.type().tensor_type().has_shape());
    if (!shapeless) return onnx::checker::check_model(mp);
    if (mp.ir_version() <= 0 || mp.ir_version() > onnx::IR_VERSION)
        return onnx::checker::check_model(mp); // its own message
    onnx::checker::CheckerContext ctx;
    ctx.set_ir_version(static_cast<int>(mp.ir_version()));
    std::unordered_map<std::string, int> imports;
    for (const auto& op : mp.opset_import())
        imports[op.domain()] = static_cast<int>(op.version());
    if (imports.empty()) return onnx::checker::check_model(mp);
    ctx.set_opset_imports(imports);
    onnx::checker::LexicalScopeContext lex;
    ctx.set_is_main_graph(false); // what it relaxes: the value-info checks of the graph's inputs/outputs
    onnx::checker::check_graph(mp.graph(), ctx, lex);
    ctx.set_is_main_graph(true);
    for (const auto* list : {&mp.graph().input(), &mp.graph().output()})
        for (const auto& vi : *list)
            if (!vi.type().has_tensor_type() || vi.type().tensor_type().has_shape())
                onnx::checker::check_value_info(vi, ctx);
    if (mp.ir_version() >= 8) onnx::checker::check_model_local_functions(mp, ctx, lex);
}

// The full check: checker plus strict shape inference (on a copy without large weight data). `subject`
// starts the messages ("out.onnx: the extracted model of module 'x'"). `internal` types (by our rules,
// where the library cannot infer) let inference check the nodes it knows downstream of those it skips.
void checkExtracted(onnx::ModelProto& mp, const std::string& dataFilePath, const std::string& dataName,
                    const std::string& subject, const std::vector<BoundaryTensor>& internal) {
    auto* graph = mp.mutable_graph();
    // ONNX 1.12 resolves external locations against the working directory here: point them at the
    // temporary data file for the check.
    std::vector<onnx::StringStringEntryProto*> locations;
    if (!dataFilePath.empty())
        for (auto& t : *graph->mutable_initializer())
            for (auto& e : *t.mutable_external_data())
                if (e.key() == "location") {
                    e.set_value(fs::absolute(dataFilePath).string());
                    locations.push_back(&e);
                }
    try {
        checkModel(mp);
        for (auto* e : locations)
            e->set_value(dataName);
    } catch (const std::exception& e) {
        throw Error(subject + " fails the ONNX checker, nothing written: " + libraryText(e));
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
    for (const auto& b : internal)
        *light.mutable_graph()->add_value_info() = valueInfoFor(b.name, &b.type);
    try {
        onnx::shape_inference::InferShapes(light, onnx::OpSchemaRegistry::Instance(),
                                           onnx::ShapeInferenceOptions(true, 1, false));
    } catch (const std::exception& e) {
        throw Error(subject +
                    " fails strict shape inference (part of the full ONNX check), nothing written: " +
                    libraryText(e));
    }
}

// Tensors of element types newer than the library knows (float8: IR 9, 4-bit: IR 10), set aside while it
// checks a model of a newer IR as its own newest: initializers become typed graph inputs (the checker only
// asks that an input has an element type), their payload sizes checked here instead. restore() puts
// everything back as it was.
class NewerTypes {
public:
    NewerTypes(onnx::ModelProto& mp, const std::string& subject) : mp_(mp), ir_(mp.ir_version()) {
        if (ir_ <= onnx::IR_VERSION) return;
        mp.set_ir_version(onnx::IR_VERSION);
        auto* inits = mp.mutable_graph()->mutable_initializer();
        inputsBefore_ = mp.graph().input_size();
        for (int k = inits->size(); k-- > 0;) {
            const auto& t = (*inits)[k];
            if (t.data_type() <= onnx::TensorProto_DataType_BFLOAT16) continue;
            if (std::string problem = payloadProblem(t); !problem.empty())
                throw Error(subject + " is malformed: " + problem + "; nothing written");
            *mp.mutable_graph()->add_input() = valueInfoFor(t.name(), nullptr);
            auto* tt = mp.mutable_graph()->mutable_input()->rbegin()->mutable_type()->mutable_tensor_type();
            tt->set_elem_type(t.data_type());
            for (auto d : t.dims())
                tt->mutable_shape()->add_dim()->set_dim_value(d);
            aside_.emplace_back(k, t);
            inits->DeleteSubrange(k, 1);
        }
    }
    void restore() {
        if (ir_ <= onnx::IR_VERSION) return;
        mp_.set_ir_version(ir_);
        auto* inputs = mp_.mutable_graph()->mutable_input();
        inputs->DeleteSubrange(inputsBefore_, inputs->size() - inputsBefore_);
        auto* inits = mp_.mutable_graph()->mutable_initializer();
        for (auto it = aside_.rbegin(); it != aside_.rend(); ++it) { // ascending positions
            *inits->Add() = std::move(it->second);
            for (int k = inits->size() - 1; k > it->first; --k)
                inits->SwapElements(k, k - 1);
        }
    }

private:
    // float8 types take a byte per element, 4-bit types two elements per byte (onnx.proto, IR 9 and 10).
    static std::string payloadProblem(const onnx::TensorProto& t) {
        std::uint64_t count = 1;
        for (auto d : t.dims()) {
            if (d < 0) return "tensor " + quoteInput(t.name()) + " has a negative dimension";
            count *= static_cast<std::uint64_t>(d);
        }
        std::int32_t type = t.data_type();
        std::uint64_t bytes = type >= 17 && type <= 20   ? count
                              : type == 21 || type == 22 ? (count + 1) / 2
                                                         : 0;
        if (!bytes && count)
            return "tensor " + quoteInput(t.name()) + " has element type " + std::to_string(type) +
                   ", which this build cannot check";
        std::uint64_t have = t.raw_data().size();
        for (const auto& e : t.external_data())
            if (e.key() == "length") have = std::strtoull(e.value().c_str(), nullptr, 10);
        if (have != bytes)
            return "tensor " + quoteInput(t.name()) + " of element type " + dataTypeName(type) + " and " +
                   std::to_string(count) + " elements holds " + std::to_string(have) + " bytes, not " +
                   std::to_string(bytes);
        return {};
    }

    onnx::ModelProto& mp_;
    std::int64_t ir_;
    int inputsBefore_ = 0;
    std::vector<std::pair<int, onnx::TensorProto>> aside_; // original position, tensor (descending)
};

// The extracted model without weights: IR, opsets, provenance, nodes, boundary and value infos. `result`
// gets the node count and the notes on the IR.
onnx::ModelProto buildStructure(const ExtractionPlan& plan, ExtractionResult& result) {
    const GraphIndex& g = *plan.graph;
    const Model& m = g.model();
    // Rebuild the flattener state the plan was made with.
    std::vector<char> sel(g.size(), 0);
    for (int i : plan.selected)
        sel[static_cast<std::size_t>(i)] = 1;
    // Units only for the planned nodes (and the calls and bodies holding them): those are built.
    std::vector<char> holding(g.size(), 0);
    for (const auto& pn : plan.nodes)
        markWithOwners(g, pn.instance, holding);
    Flattener flat(g, sel, false, true, &holding);
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
        std::int32_t newer = 0;
        for (auto t : types)
            if (t > onnx::TensorProto_DataType_BFLOAT16) newer = t;
        if (newer) {
            // The file keeps its IR: the check sees it as IR `known`, those tensors set aside
            // (NewerTypes), their payload sizes checked by us.
            result.notes.push_back("IR version " + std::to_string(ir) +
                                   " kept: the model uses element type " + dataTypeName(newer) + " of IR " +
                                   std::to_string(ir) + "; the ONNX " + onnxLibraryVersion() +
                                   " checker (IR " + std::to_string(known) +
                                   ") checked the rest, Hierscope the payload sizes of those tensors");
        } else {
            result.notes.push_back("IR version lowered from " + std::to_string(ir) + " to " +
                                   std::to_string(known) +
                                   " (the newest this build's ONNX library can check); the model uses no "
                                   "newer IR feature");
            ir = known;
        }
    }
    mp.set_ir_version(ir);
    addOpsets(m, mp);
    addProvenance(mp, g, plan);

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

    return mp;
}

// The local functions the plan uses. `where` starts the messages ("out.onnx: ").
void addFunctions(onnx::ModelProto& mp, const ExtractionPlan& plan, const std::string& where) {
    const Model& m = plan.graph->model();
    const std::int64_t known = onnx::IR_VERSION;
    for (int f : plan.functions) {
        const Function& fn = m.functions[static_cast<std::size_t>(f)];
        auto proto = parseSpan<onnx::FunctionProto>(m, fn.span, "function", fn.name);
        if (proto.GetReflection()->GetUnknownFields(proto).field_count() > 0 && m.irVersion > known)
            throw Error(where + "cannot extract " + plan.label + ": local function " + quoteInput(fn.name) +
                        " uses IR " + std::to_string(m.irVersion) +
                        " features this build's ONNX library (IR " + std::to_string(known) +
                        ") cannot check; nothing written");
        *mp.add_functions() = std::move(proto);
    }
}

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
    result.checking = plan.checking;
    if (!plan.blocker.empty())
        throw Error(outputPath + ": cannot extract " + plan.label + " from " + m.path + ": " + plan.blocker +
                    "; nothing written");

    onnx::ModelProto mp = buildStructure(plan, result);
    auto* graph = mp.mutable_graph();
    const std::int64_t ir = mp.ir_version();

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
    addFunctions(mp, plan, outputPath + ": ");
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
    if (options.check) {
        std::string subject = outputPath + ": the extracted model of " + plan.label;
        if (std::string problem = structureProblem(mp); !problem.empty())
            throw Error(subject + " is malformed: " + problem + "; nothing written");
        // The library judges what it knows in the model's version (library_view.cpp); the checker and
        // inference trust payload sizes and schemas: screen first.
        LibraryView view = narrowToLibrary(mp);
        NewerTypes aside(mp, subject);
        if (std::string problem = modelProblem(mp); !problem.empty())
            throw Error(outputPath + ": cannot extract " + plan.label + " from " + m.path +
                        ": the model is malformed there: " + problem + "; nothing written");
        checkExtracted(mp, dataFile ? dataFile->path() : std::string(), dataName, subject,
                       plan.internalTypes);
        aside.restore();
        restoreFromLibrary(mp, view);
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

std::string checkPlan(const ExtractionPlan& plan) {
    if (!plan.graph) return "empty plan";
    if (!plan.blocker.empty()) return plan.blocker;
    ExternalScope externalFiles;
    const GraphIndex& g = *plan.graph;
    const std::string subject = "the extracted model of " + plan.label;
    try {
        ExtractionResult scratch;
        onnx::ModelProto mp = buildStructure(plan, scratch);
        addFunctions(mp, plan, "");
        // Small weights inline (shapes computed from them), the others as typed inputs: the checker judges
        // their type and dims here, their bytes when they are written.
        for (const auto& name : plan.initializers) {
            const Initializer* init = g.tensor(g.findTensor(name)).init;
            if (init->byteSize() <= kSmallTensor)
                *mp.mutable_graph()->add_initializer() = inlineTensor(g.model(), *init);
            else
                *mp.mutable_graph()->add_input() = initializerAsInput(*init);
        }
        if (std::string problem = structureProblem(mp); !problem.empty())
            return subject + " is malformed: " + problem;
        LibraryView view = narrowToLibrary(mp);
        NewerTypes aside(mp, subject);
        if (std::string problem = modelProblem(mp); !problem.empty())
            return "the model is malformed there: " + problem;
        checkExtracted(mp, {}, {}, subject, plan.internalTypes);
    } catch (const std::exception& e) {
        std::string text = e.what();
        for (const char* written : {", nothing written", "; nothing written"}) // nothing is being written
            for (auto at = text.find(written); at != std::string::npos; at = text.find(written))
                text.erase(at, std::string(written).size());
        return text;
    }
    return {};
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
