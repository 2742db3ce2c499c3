// hierscope-cli extract: a module or a set of nodes as a standalone, checked ONNX model.
#include "cli_args.h"
#include "cli_format.h"
#include "cli_json.h"
#include "common/error.h"
#include "extract/extract.h"
#include "extract/extracted_sidecar.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "model/model.h"
#include "shape_json.h"
#include "sidecar/discovery.h"
#include "sidecar/sidecar.h"

#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

void printSidecarChoice(const hs::ChosenSidecar& chosen); // cli_main.cpp

namespace {

using json = nlohmann::ordered_json;

const char* kExtractHelp =
    "hierscope-cli extract MODEL (--module SCOPE | --nodes KEY,...) -o OUT.onnx [--sidecar FILE] [--json]\n"
    "  Writes the module SCOPE (all its nodes and its descendants', \"\" or / for the root) or the nodes "
    "with\n"
    "  the given keys as a standalone ONNX model that passes the ONNX checker: inputs are the tensors they "
    "use\n"
    "  from outside, outputs the tensors used outside or graph outputs; weights, Constants, local functions\n"
    "  come along. Prints the boundary (names, types, shapes) and the node and weight counts. With "
    "--sidecar,\n"
    "  the sidecar's hierarchy (manual re-tags included) decides what belongs to the module (without it,\n"
    "  a sidecar found beside MODEL does). The module hierarchy of the result is written beside it as\n"
    "  OUT.hierarchy.json (found when OUT is opened).\n"
    "  Where the linked ONNX library cannot judge everything (opsets newer than it knows, ONNX Runtime's\n"
    "  contrib ops), it checks what it knows, Hierscope checks the structure of all, and `checked:` lines\n"
    "  say which; a boundary tensor whose element type nothing can tell is named, and nothing is written.\n";

std::vector<std::string> splitKeys(const std::string& text) {
    std::vector<std::string> keys;
    std::string current;
    for (char c : text) {
        if (c == ',') {
            if (!current.empty()) keys.push_back(current);
            current.clear();
        } else {
            current += c;
        }
    }
    if (!current.empty()) keys.push_back(current);
    return keys;
}

json tensorJson(const hs::BoundaryTensor& b) {
    json j = {{"name", b.name},
              {"type", hs::formatType(b.type)},
              {"elem_type", hs::dataTypeName(b.type.elemType)},
              {"shape", b.type.hasShape ? hs::shapeJson<json>(b.type) : json(nullptr)}};
    if (b.inferred) j["inferred"] = true;
    if (b.graphInput) j["graph_input"] = true;
    if (b.graphOutput) j["graph_output"] = true;
    return j;
}

} // namespace

int runExtract(const std::vector<std::string>& args) {
    std::string model, module, nodes, output, sidecarPath;
    bool haveModule = false, haveNodes = false, asJson = false;
    auto usage = [](const std::string& message) { return hs::cli::usageError(message, kExtractHelp); };
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&](std::string& into) { return hs::cli::optionValue(args, i, into); };
        if (a == "--help" || a == "-h") {
            std::cout << kExtractHelp;
            return 0;
        } else if (a == "--json")
            asJson = true;
        else if (a == "--module") {
            if (!value(module)) return usage("--module needs a value");
            haveModule = true;
        } else if (a == "--nodes") {
            if (!value(nodes)) return usage("--nodes needs a value");
            haveNodes = true;
        } else if (a == "-o" || a == "--output") {
            if (!value(output)) return usage(a + " needs a value");
        } else if (a == "--sidecar") {
            if (!value(sidecarPath)) return usage("--sidecar needs a value");
        } else if (!a.empty() && a[0] == '-')
            return usage("unknown option '" + a + "'");
        else if (model.empty())
            model = a;
        else
            return usage("unexpected argument '" + a + "'");
    }
    if (model.empty()) return usage("extract needs a MODEL");
    if (haveModule == haveNodes)
        return usage("extract needs exactly one of --module SCOPE and --nodes KEY,...");
    if (output.empty()) return usage("extract needs -o OUT.onnx");
    if (module == "/") module.clear();

    return hs::cli::reportingErrors(model, [&] {
        hs::SidecarReading sidecarReading(model, sidecarPath); // read while the model loads
        auto loaded = hs::loadModel(model);
        hs::GraphIndex graph(loaded);
        hs::ChosenSidecar chosen = sidecarReading.finish(graph);
        printSidecarChoice(chosen);
        // The hierarchy decides a module's nodes, and travels with the result in its sidecar.
        const hs::Hierarchy hierarchy =
            hs::inferHierarchy(graph, chosen.sidecar ? &*chosen.sidecar : nullptr);
        hs::ExtractionPlan plan = haveModule ? hs::planExtraction(graph, hierarchy, module)
                                             : hs::planExtraction(graph, splitKeys(nodes));
        hs::ExtractionResult result = hs::extractModel(plan, output);
        const std::string extractedSidecar = hs::writeExtractionSidecar(plan, hierarchy, result.outputPath);

        std::size_t own = 0;
        for (const auto& n : plan.nodes)
            if (!n.copiedConstant) ++own;
        if (asJson) {
            json j;
            j["model"] = model;
            j["output"] = result.outputPath;
            if (!result.externalDataPath.empty()) j["external_data"] = result.externalDataPath;
            j["selection"] = plan.label;
            if (plan.fromModule) j["module"] = plan.scope;
            json inputs = json::array(), outputs = json::array();
            for (const auto& b : plan.inputs)
                inputs.push_back(tensorJson(b));
            for (const auto& b : plan.outputs)
                outputs.push_back(tensorJson(b));
            j["inputs"] = inputs;
            j["outputs"] = outputs;
            j["nodes"] = result.nodes;
            j["selected_nodes"] = own;
            j["copied_constants"] = plan.copiedConstants;
            j["inlined_calls"] = plan.expandedCalls.size();
            j["initializers"] = result.initializers;
            j["weight_bytes"] = plan.weightBytes;
            j["functions"] = result.functions;
            j["ir_version"] = result.irVersion;
            j["file_bytes"] = result.fileBytes;
            j["notes"] = result.notes;
            if (!result.checking.empty()) j["checking"] = result.checking;
            j["sidecar"] = extractedSidecar;
            std::cout << hs::cli::escapedJson(j).dump(2) << "\n";
            return 0;
        }
        std::cout << "extracted " << plan.label << " of " << model << "\n"
                  << "wrote " << result.outputPath << " (" << hs::cli::humanBytes(result.fileBytes) << ")";
        if (!result.externalDataPath.empty())
            std::cout << " + " << result.externalDataPath << " (" << hs::cli::humanBytes(result.externalBytes)
                      << ")";
        std::cout << "\nwrote " << extractedSidecar << " (its module hierarchy)";
        std::cout << "\ninputs (" << plan.inputs.size() << "):\n";
        for (const auto& b : plan.inputs)
            std::cout << "  " << b.name << " : " << hs::formatType(b.type)
                      << (b.inferred ? "  (inferred)" : "") << (b.graphInput ? "  (graph input)" : "")
                      << "\n";
        std::cout << "outputs (" << plan.outputs.size() << "):\n";
        for (const auto& b : plan.outputs)
            std::cout << "  " << b.name << " : " << hs::formatType(b.type)
                      << (b.inferred ? "  (inferred)" : "") << (b.graphOutput ? "  (graph output)" : "")
                      << "\n";
        std::cout << "nodes: " << result.nodes << " (" << own << " selected, "
                  << hs::cli::counted(plan.copiedConstants, "constant") << " copied in";
        if (!plan.expandedCalls.empty())
            std::cout << ", " << hs::cli::counted(plan.expandedCalls.size(), "function call") << " inlined";
        std::cout << ")\nweights: " << hs::cli::counted(result.initializers, "initializer") << ", "
                  << hs::cli::humanBytes(plan.weightBytes) << "\n"
                  << "functions: " << result.functions << "\n";
        for (const auto& note : result.notes)
            std::cout << "note: " << note << "\n";
        for (const auto& c : result.checking) // where the ONNX library could not judge everything
            std::cout << "checked: " << c << "\n";
        return 0;
    });
}
