// The program shape inference runs on: the model's main graph fully inlined (extract/flatten.cpp),
// without its weights, built from the index (extract/internal.h, buildInferenceModel). Inferred by
// extract/types.cpp and extract/index_types.cpp.
#include "extract/internal.h"
#include "extract/shape_values.h"

#include "graph/graph.h"

#include <algorithm>
#include <string>
#include <unordered_set>

namespace hs::extraction {

onnx::ModelProto inferenceModel(const GraphIndex& g, const Flattener& flat) {
    onnx::ModelProto mp;
    buildInferenceModel(g, flat, mp);
    return mp;
}

namespace {

// Whether shape inference may read an initializer's values, not only its type: the values it reads are
// shape-sized (Reshape's shape, Slice's starts, Resize's scales, Range's limits; our folding reads 64
// elements at most). Integers up to kSmallTensor keep their data as before; other types only up to a
// thousand elements: on a model of many small layers, copying every float weight under 64 KB into the
// inference program was a tenth of shape inference (200 MB on the 130k-node benchmark model).
bool valuesMayShape(const Initializer& init) {
    if (init.byteSize() > kSmallTensor) return false;
    if (isInteger(init.dataType)) return true;
    constexpr std::int64_t kShapeSized = 1024;
    std::int64_t elements = 1;
    for (auto d : init.dims) {
        if (d < 0 || d > kShapeSized) return false;
        elements *= d;
        if (elements > kShapeSized) return false;
    }
    return true;
}

// Main-graph tensors the units read (`read`) and make (`made`), by tensor id: a node's own names where
// it stands in the main graph, its flat names where it was inlined, and the names its bodies read.
void markReadAndMade(const GraphIndex& g, const Flattener& flat, std::vector<char>& read,
                     std::vector<char>& made) {
    read.assign(g.tensorCount(), 0);
    made.assign(g.tensorCount(), 0);
    auto mark = [&](std::vector<char>& marks, const std::string& flatName) {
        if (flatName.empty()) return;
        const int t = g.findTensor(flatName);
        if (t >= 0) marks[static_cast<std::size_t>(t)] = 1;
    };
    for (const Unit& u : flat.units) {
        if (u.call >= 0) {
            for (const auto& name : u.inputs)
                mark(read, name);
            for (const auto& name : u.outputs)
                mark(made, name);
        } else {
            for (int t : g.inputs(u.instance))
                read[static_cast<std::size_t>(t)] = 1;
            for (int t : g.outputs(u.instance))
                made[static_cast<std::size_t>(t)] = 1;
        }
        for (const auto& name : u.outerRefs)
            mark(read, name);
    }
}

bool isMarked(const GraphIndex& g, const std::vector<char>& marks, const std::string& name) {
    const int t = g.findTensor(name);
    return t >= 0 && marks[static_cast<std::size_t>(t)];
}

} // namespace

void buildInferenceModel(const GraphIndex& g, const Flattener& flat, onnx::ModelProto& mp) {
    const Model& m = g.model();
    const SpanReadScope spans(m); // every node it builds is parsed: none of the file's pages mapped
    mp.set_ir_version(std::min<std::int64_t>(m.irVersion, onnx::IR_VERSION));
    addOpsets(m, mp);
    auto* graph = mp.mutable_graph();
    graph->set_name("inference");
    AttributeResolver resolver(g, flat);
    graph->mutable_node()->Reserve(static_cast<int>(flat.units.size()));
    for (const Unit& u : flat.units)
        buildNodeInto(g, u, resolver, *graph->add_node());
    std::unordered_set<std::string> inputs;
    for (const auto& vi : m.main().inputs)
        if (inputs.insert(vi.name).second)
            *graph->add_input() = parseSpan<onnx::ValueInfoProto>(m, vi.span, "input", vi.name);
    // A part of the model takes the initializers its nodes read and the outputs they make, not the
    // others: an output nothing in the program makes would be a name without a producer.
    std::vector<char> read, made; // per main-graph tensor
    if (flat.partial()) markReadAndMade(g, flat, read, made);
    for (const auto& init : m.main().initializers) {
        if (flat.partial() && !isMarked(g, read, init.name)) continue;
        if (valuesMayShape(init)) {
            inlineTensorInto(m, init, *graph->add_initializer());
        } else if (inputs.insert(init.name).second) {
            *graph->add_input() = initializerAsInput(init);
        }
    }
    // Declared value_info and output types are left out: inference computes them from the nodes, and a
    // wrong declaration (some converters write them) would stop it.
    for (const auto& vi : m.main().outputs)
        if (!flat.partial() || isMarked(g, made, vi.name)) graph->add_output()->set_name(vi.name);
    for (const auto& fn : m.functions)
        *mp.add_functions() = parseSpan<onnx::FunctionProto>(m, fn.span, "function", fn.name);
}

} // namespace hs::extraction
