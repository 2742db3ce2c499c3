// hierscope-cli embed: a copy of the model whose nodes carry their module in metadata_props.
#include "cli_args.h"
#include "cli_format.h"
#include "cli_json.h"
#include "common/display_text.h"
#include "common/error.h"
#include "embed/embed.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "model/model.h"
#include "sidecar/discovery.h"
#include "sidecar/sidecar.h"

#include <nlohmann/json.hpp>

#include <iostream>
#include <string>
#include <vector>

void printSidecarChoice(const hs::ChosenSidecar& chosen); // cli_main.cpp

namespace {

using json = nlohmann::ordered_json;

const char* kEmbedHelp =
    "hierscope-cli embed MODEL -o OUT.onnx [--sidecar FILE] [--copy-external] [--json]\n"
    "  Writes a copy of MODEL in which every node carries its module in metadata_props: `namespace`\n"
    "  (encoder/layer.0/attention/self, what Model Explorer groups by), pkg.torch.onnx.name_scopes and\n"
    "  pkg.torch.onnx.class_hierarchy (torch's dynamo exporter's format) and hierscope.* (source, level,\n"
    "  confidence, ...), so that opening OUT restores the same hierarchy without a sidecar. The hierarchy\n"
    "  is the one `tag` computes: with --sidecar, or a sidecar found beside MODEL, manual tags included.\n"
    "  Weights are copied byte for byte; metadata a node already had is kept. A model with external data\n"
    "  must be copied into its own folder, or with --copy-external, which copies the data files beside\n"
    "  OUT.\n";

} // namespace

int runEmbed(const std::vector<std::string>& args) {
    std::string model, output, sidecarPath;
    bool asJson = false, copyExternal = false;
    auto usage = [](const std::string& message) { return hs::cli::usageError(message, kEmbedHelp); };
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&](std::string& into) { return hs::cli::optionValue(args, i, into); };
        if (a == "--help" || a == "-h") {
            std::cout << kEmbedHelp;
            return 0;
        } else if (a == "--json")
            asJson = true;
        else if (a == "--copy-external")
            copyExternal = true;
        else if (a == "-o" || a == "--output") {
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
    if (model.empty()) return usage("embed needs a MODEL");
    if (output.empty()) return usage("embed needs -o OUT.onnx");

    return hs::cli::reportingErrors(model, [&] {
        hs::SidecarReading sidecarReading(model, sidecarPath); // read while the model loads
        auto loaded = hs::loadModel(model);
        hs::GraphIndex graph(loaded);
        hs::ChosenSidecar chosen = sidecarReading.finish(graph);
        printSidecarChoice(chosen);
        const hs::Hierarchy hierarchy =
            hs::inferHierarchy(graph, chosen.sidecar ? &*chosen.sidecar : nullptr);
        hs::EmbedOptions options;
        options.copyExternal = copyExternal;
        const hs::EmbedResult result = hs::embedHierarchy(graph, hierarchy, output, options);
        if (asJson) {
            json j = {{"model", model},
                      {"output", result.outputPath},
                      {"file_bytes", result.bytesWritten},
                      {"nodes_tagged", result.nodesTagged},
                      {"nodes_skipped", result.nodesSkipped},
                      {"external_files_copied", result.externalFilesCopied},
                      {"ir_version", loaded->irVersion}};
            std::cout << hs::cli::escapedJson(j).dump(2) << "\n";
            return 0;
        }
        std::cout << "wrote " << result.outputPath << " (" << hs::cli::humanBytes(result.bytesWritten)
                  << ", IR version " << loaded->irVersion << " as in " << model << ")\n"
                  << result.nodesTagged << " nodes carry their module";
        if (result.nodesSkipped)
            std::cout << "; " << result.nodesSkipped
                      << " function body nodes left as they were (their calls place them differently)";
        std::cout << "\n";
        for (const auto& f : result.externalFilesCopied)
            std::cout << "copied external data to " << f << "\n";
        return 0;
    });
}
