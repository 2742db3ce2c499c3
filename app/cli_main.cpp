// hierscope-cli: the core engine for scripts and pipelines.
// Exit codes: 0 success, 1 bad input (unreadable model or sidecar, sidecar for another model),
// 2 usage error.
#include "analysis/tensor_types.h"
#include "cli_args.h"
#include "cli_format.h"
#include "cli_json.h"
#include "common/error.h"
#include "common/huge_pages.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "hierscope_version.h"
#include "model/model.h"
#include "sidecar/discovery.h"
#include "sidecar/sidecar.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace {

using json = nlohmann::ordered_json;

const char* kUsage = R"(hierscope-cli: which PyTorch module every ONNX node came from

usage:
  hierscope-cli info MODEL [--sidecar FILE] [--json]
  hierscope-cli tree MODEL [--sidecar FILE] [--depth N] [--short] [--json]
  hierscope-cli tag  MODEL [--sidecar IN] [-o OUT.json] [--accept-suggestions] [--json]
  hierscope-cli extract MODEL (--module SCOPE | --nodes KEY,...) -o OUT.onnx [--sidecar FILE] [--json]
  hierscope-cli embed MODEL -o OUT.onnx [--sidecar FILE] [--copy-external] [--json]
  hierscope-cli diff A.onnx B.onnx [--sidecar-a F] [--sidecar-b F] [--json] [--changed-only] [--depth N]
  hierscope-cli cost MODEL [--depth N] [--dim NAME=V] [--profile TRACE.json] [--json] [--sort macs|params|time]
  hierscope-cli COMMAND --help
  hierscope-cli --version

Without --sidecar, a sidecar beside MODEL is used: MODEL.hierarchy.json, MODEL_hierarchy.json,
MODEL.sidecar.json, MODEL_sidecar.json, MODEL_seed_sidecar.json or MODEL_htp_sidecar.json (MODEL without
.onnx; the first that exists). Which sidecar was used is printed on stderr.

exit codes: 0 success, 1 bad input (the message names the file and the problem), 2 usage error
)";

const char* commandHelp(const std::string& command) {
    if (command == "info")
        return "hierscope-cli info MODEL [--sidecar FILE] [--json]\n"
               "  Producer, IR version, opsets, node/tensor/initializer counts, weight bytes, module count "
               "and\n"
               "  assignments by confidence level and source; tensor types: how many tensors (initializers "
               "aside)\n"
               "  have a type and shape declared in the file, inferred by ONNX shape inference, or "
               "unknown; with\n"
               "  --json, every vague node's suggested deeper module (`suggestions`: node, scope, level,\n"
               "  suggested_scope, reason).\n";
    if (command == "tree")
        return "hierscope-cli tree MODEL [--sidecar FILE] [--depth N] [--short] [--json]\n"
               "  The module tree, indented, each module by its full scope (what extract --module takes),\n"
               "  with node counts (own/total), parameter elements in the subtree and the lowest confidence\n"
               "  inside. --short names each module by the part of its scope below its parent.\n";
    if (command == "tag")
        return "hierscope-cli tag MODEL [--sidecar IN] [-o OUT.json] [--accept-suggestions] [--json]\n"
               "  Computes every node's module and writes a format 1.1 sidecar (default: MODEL's name with\n"
               "  .hierarchy.json). A sidecar given with --sidecar, or else found beside MODEL, is used as\n"
               "  evidence: its manual tags and every claim it made are kept. Another tool's file is never\n"
               "  replaced in place.\n"
               "  --accept-suggestions: every vague node with a suggested deeper module (the GUI's Accept\n"
               "  Suggested Module) is written there, with source \"suggestion\" and level \"medium\".\n";
    if (command == "extract")
        return "hierscope-cli extract MODEL (--module SCOPE | --nodes KEY,...) -o OUT.onnx [--sidecar FILE] "
               "[--json]\n"
               "  Writes a module or a set of nodes as a standalone ONNX model (see hierscope-cli extract "
               "--help).\n";
    return nullptr;
}

struct Options {
    std::string command;
    std::string model;
    std::string sidecar;
    std::string output;
    int depth = -1;
    bool json = false;
    bool help = false;
    bool acceptSuggestions = false; // tag only
    bool shortNames = false;        // tree --short
};

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

Options parseArgs(int argc, char** argv) {
    Options o;
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) throw UsageError("no command given");
    o.command = args[0];
    if (o.command == "--help" || o.command == "-h") {
        o.help = true;
        return o;
    }
    if (!commandHelp(o.command)) throw UsageError("unknown command '" + o.command + "'");
    for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&]() -> std::string {
            std::string v;
            if (!hs::cli::optionValue(args, i, v)) throw UsageError(a + " needs a value");
            return v;
        };
        if (a == "--help" || a == "-h")
            o.help = true;
        else if (a == "--json")
            o.json = true;
        else if (a == "--accept-suggestions" && o.command == "tag")
            o.acceptSuggestions = true;
        else if (a == "--short" && o.command == "tree")
            o.shortNames = true;
        else if (a == "--sidecar")
            o.sidecar = value();
        else if (a == "-o" || a == "--output")
            o.output = value();
        else if (a == "--depth") {
            std::string v = value();
            try {
                o.depth = std::stoi(v);
            } catch (const std::exception&) {
                throw UsageError("--depth needs a number, got '" + v + "'");
            }
        } else if (!a.empty() && a[0] == '-')
            throw UsageError("unknown option '" + a + "'");
        else if (o.model.empty())
            o.model = a;
        else
            throw UsageError("unexpected argument '" + a + "'");
    }
    if (!o.help && o.model.empty()) throw UsageError(o.command + " needs a MODEL");
    return o;
}

} // namespace

// Which sidecar was used, on stderr (stdout stays what a script parses). Shared with cli_extract.cpp.
void printSidecarChoice(const hs::ChosenSidecar& chosen) {
    if (!chosen.note.empty()) std::cerr << "hierscope-cli: note: " << chosen.note << "\n";
    if (!chosen.sidecar) return;
    std::cerr << "hierscope-cli: sidecar " << chosen.path << " ("
              << (chosen.foundBeside ? "found beside the model" : "given with --sidecar") << ", format "
              << chosen.sidecar->format << ")\n";
}

namespace {

struct Loaded {
    std::shared_ptr<const hs::Model> model;
    std::unique_ptr<hs::GraphIndex> graph;
    std::optional<hs::Sidecar> sidecar; // the one applied
    hs::Hierarchy hierarchy;
};

Loaded load(const Options& o) {
    Loaded l;
    hs::SidecarReading sidecarReading(o.model, o.sidecar); // read while the model loads
    l.model = hs::loadModel(o.model);
    l.graph = std::make_unique<hs::GraphIndex>(l.model);
    hs::ChosenSidecar chosen = sidecarReading.finish(*l.graph);
    printSidecarChoice(chosen);
    l.sidecar = std::move(chosen.sidecar);
    l.hierarchy = hs::inferHierarchy(*l.graph, l.sidecar ? &*l.sidecar : nullptr);
    // Suggestions a person or --accept-suggestions took stay taken (the GUI reads sidecars the same way).
    if (l.sidecar) hs::retakeSuggestions(*l.graph, *l.sidecar, l.hierarchy);
    return l;
}

json statisticsJson(const hs::HierarchyStatistics& s) {
    json byLevel = json::object(), bySource = json::object();
    for (int k = 0; k < 4; ++k)
        byLevel[hs::levelName(static_cast<hs::Level>(k))] = s.byLevel[k];
    for (int k = 0; k < hs::kSourceCount; ++k)
        if (s.bySource[k]) bySource[hs::sourceName(static_cast<hs::Source>(k))] = s.bySource[k];
    return {{"nodes", s.nodes}, {"conflicts", s.conflicts}, {"by_level", byLevel}, {"by_source", bySource}};
}

// Each vague node's suggested deeper module (never its placement), with the reason in words.
json suggestionsJson(const Loaded& l) {
    json list = json::array();
    for (std::size_t i = 0; i < l.hierarchy.assignments.size(); ++i) {
        const hs::Assignment& a = l.hierarchy.assignments[i];
        if (a.suggestion.module < 0) continue;
        const int node = static_cast<int>(i);
        list.push_back(
            {{"node", l.graph->key(node)},
             {"scope", l.hierarchy.modules[static_cast<std::size_t>(a.module)].scope},
             {"level", hs::levelName(a.level)},
             {"suggested_scope", l.hierarchy.modules[static_cast<std::size_t>(a.suggestion.module)].scope},
             {"reason", l.hierarchy.suggestionReason(*l.graph, node)}});
    }
    return list;
}

std::string suggestionsLine(std::size_t count) {
    return std::to_string(count) + (count == 1 ? " vague node has" : " vague nodes have") +
           " a suggested deeper module (suggested_scope)";
}

std::string statisticsLine(const hs::HierarchyStatistics& s) {
    std::ostringstream out;
    out << hs::cli::counted(s.nodes, "node") << ":";
    for (int k = 0; k < 4; ++k)
        out << " " << s.byLevel[k] << " " << hs::levelName(static_cast<hs::Level>(k)) << ",";
    out << " " << hs::cli::counted(s.conflicts, "conflict") << "; by source:";
    for (int k = 0; k < hs::kSourceCount; ++k)
        if (s.bySource[k]) out << " " << hs::sourceName(static_cast<hs::Source>(k)) << " " << s.bySource[k];
    return out.str();
}

int runInfo(const Options& o) {
    Loaded l = load(o);
    const hs::Model& m = *l.model;
    std::size_t nodes = 0;
    for (const auto& g : m.graphs)
        nodes += g.nodes.size();
    auto stats = l.hierarchy.statistics();
    json j;
    j["model"] = o.model;
    j["producer"] = m.producerName + (m.producerVersion.empty() ? "" : " " + m.producerVersion);
    j["ir_version"] = m.irVersion;
    json opsets = json::object();
    for (const auto& op : m.opsets)
        opsets[op.domain.empty() ? "ai.onnx" : op.domain] = op.version;
    j["opsets"] = opsets;
    j["nodes"] = m.main().nodes.size();
    j["node_instances"] = l.graph->size();
    j["nodes_in_all_graphs"] = nodes;
    j["subgraphs"] = m.graphs.size() - 1 - m.functions.size();
    j["functions"] = m.functions.size();
    j["tensors"] = l.graph->tensorCount();
    // Tensors other than initializers: what the file declares, and what shape inference adds. With the
    // inputs' symbolic dims bound (to 1) torch's shape arithmetic is evaluated too, as `cost` does.
    const std::map<std::string, std::int64_t> unbound;
    const hs::TensorTypes types = hs::inferTensorTypes(*l.graph, &unbound);
    const hs::TypeCounts typeCounts = types.counts(*l.graph);
    j["tensor_types"] = {{"declared", typeCounts.declared},
                         {"inferred", typeCounts.inferred},
                         {"unknown", typeCounts.unknown},
                         {"total", typeCounts.total}};
    j["initializers"] = m.initializerCount();
    j["weight_bytes"] = m.weightBytes();
    j["external_weight_bytes"] = m.externalWeightBytes();
    j["file_bytes"] = m.fileSize;
    j["modules"] = l.hierarchy.modules.size();
    j["assignments"] = statisticsJson(stats);
    j["suggestions"] = suggestionsJson(l);
    j["module_tree_from"] = hs::sourcesSummary(stats);
    j["notes"] = l.hierarchy.notes;
    if (m.irVersion > hs::knownIrVersion())
        j["notes"].push_back("IR version " + std::to_string(m.irVersion) +
                             " is newer than this build's ONNX library knows (" +
                             std::to_string(hs::knownIrVersion()) + "): its checker is skipped");
    if (o.json) {
        std::cout << hs::cli::escapedJson(j).dump(2) << "\n";
        return 0;
    }
    std::cout << "model:        " << o.model << "\n"
              << "producer:     " << j["producer"].get<std::string>() << "\n"
              << "IR version:   " << m.irVersion << "\n"
              << "opsets:       ";
    bool first = true;
    for (const auto& op : m.opsets)
        std::cout << (first ? "" : ", ") << (op.domain.empty() ? "ai.onnx" : op.domain) << " " << op.version,
            first = false;
    std::cout << "\n"
              << "nodes:        " << m.main().nodes.size() << " in the main graph, " << l.graph->size()
              << " instances in all (subgraphs: " << j["subgraphs"].get<std::size_t>()
              << ", functions: " << m.functions.size() << ")\n"
              << "tensors:      " << l.graph->tensorCount() << "\n"
              << "tensor types: " << typeCounts.declared << " declared, " << typeCounts.inferred
              << " inferred, " << typeCounts.unknown << " unknown of " << typeCounts.total
              << " (initializers aside)\n"
              << "initializers: " << m.initializerCount() << ", " << hs::cli::humanBytes(m.weightBytes())
              << " of weights (" << hs::cli::humanBytes(m.externalWeightBytes()) << " external)\n"
              << "modules:      " << l.hierarchy.modules.size() << "\n"
              << "module tree:  from " << hs::sourcesSummary(stats) << "\n"
              << "assignments:  " << statisticsLine(stats) << "\n"
              << "suggestions:  " << suggestionsLine(j["suggestions"].size()) << "\n";
    for (const auto& note : j["notes"])
        std::cout << "note:         " << note.get<std::string>() << "\n";
    return 0;
}

// Pre-order with an explicit stack (children pushed last first): no recursion per level. Each module by
// its full scope (what `extract --module` takes), indented by depth; --short prints the part below the
// parent only.
void printTree(const hs::Hierarchy& h, int maxDepth, bool shortNames) {
    std::vector<std::pair<int, int>> stack{{0, 0}}; // (module, depth)
    while (!stack.empty()) {
        const auto [module, depth] = stack.back();
        stack.pop_back();
        const hs::Module& m = h.modules[static_cast<std::size_t>(module)];
        std::string label = module == 0 ? "(root)" : shortNames ? m.name : m.scope;
        if (!m.className.empty()) label += " : " + m.className;
        if (m.fromConverterNames) label += " (layer path)";
        std::cout << std::string(static_cast<std::size_t>(depth) * 2, ' ') << label << "  [" << m.nodes.size()
                  << "/" << hs::cli::counted(m.totalNodes, "node") << ", "
                  << hs::cli::grouped(m.totalParameters)
                  << (m.totalParameters == 1 ? " parameter" : " parameters") << ", lowest "
                  << hs::levelName(m.lowestLevel)
                  << (m.uncertainNodes ? ", " + std::to_string(m.uncertainNodes) + " uncertain" : "")
                  << "]\n";
        if (maxDepth >= 0 && depth >= maxDepth) continue;
        for (auto child = m.children.rbegin(); child != m.children.rend(); ++child)
            stack.emplace_back(*child, depth + 1);
    }
}

// `tree --json`, written as it goes, the same text as json::dump(2) of the tree: an explicit stack, no
// recursion, and no JSON value of the whole tree (160k modules 64 levels deep took 2.5 GB as one).
class TreeJsonWriter {
public:
    TreeJsonWriter(std::ostream& out, const hs::Hierarchy& h, int maxDepth)
        : out_(out), h_(h), maxDepth_(maxDepth) {}

    void write(const std::string& sources) {
        struct Frame {
            int module, depth;
            std::size_t next; // the next child to write
        };
        std::vector<Frame> stack;
        if (begin(0, 0)) stack.push_back({0, 0, 0});
        while (!stack.empty()) {
            const Frame f = stack.back();
            const auto& children = h_.modules[static_cast<std::size_t>(f.module)].children;
            if (f.next < children.size()) {
                ++stack.back().next;
                out_ << (f.next ? ",\n" : "") << indent(2 * f.depth + 2);
                const int child = children[f.next];
                if (begin(child, f.depth + 1)) stack.push_back({child, f.depth + 1, 0});
                continue;
            }
            stack.pop_back();
            out_ << "\n" << indent(2 * f.depth + 1) << "]";
            end(f.module, f.depth, sources);
        }
        if (h_.modules[0].children.empty() || maxDepth_ == 0) end(0, 0, sources);
    }

private:
    static std::string text(const std::string& s) { return json(hs::utf8Escaped(s)).dump(); }
    static std::string indent(int level) { return std::string(static_cast<std::size_t>(level) * 2, ' '); }

    // Writes the module's members up to its children; true when they follow (the stack writes them).
    bool begin(int module, int depth) {
        const hs::Module& m = h_.modules[static_cast<std::size_t>(module)];
        const std::string in = indent(2 * depth + 1);
        out_ << "{\n"
             << in << "\"scope\": " << text(m.scope) << ",\n"
             << in << "\"name\": " << text(m.name) << ",\n"
             << in << "\"class\": " << text(m.className) << ",\n"
             << in << "\"path\": " << text(m.path) << ",\n"
             << in << "\"nodes\": " << m.nodes.size() << ",\n"
             << in << "\"total_nodes\": " << m.totalNodes << ",\n"
             << in << "\"parameters\": " << m.totalParameters << ",\n"
             << in << "\"lowest_level\": " << text(hs::levelName(m.lowestLevel)) << ",\n"
             << in << "\"uncertain_nodes\": " << m.uncertainNodes << ",\n"
             << in << "\"from_converter_names\": " << (m.fromConverterNames ? "true" : "false") << ",\n"
             << in << "\"children\": ";
        if (m.children.empty() || (maxDepth_ >= 0 && depth >= maxDepth_)) {
            out_ << "[]";
            if (module != 0) end(module, depth, {});
            return false;
        }
        out_ << "[\n";
        return true;
    }
    void end(int module, int depth, const std::string& sources) {
        if (module == 0)
            out_ << ",\n" << indent(1) << "\"sources\": " << text(sources) << "\n}";
        else
            out_ << "\n" << indent(2 * depth) << "}";
    }

    std::ostream& out_;
    const hs::Hierarchy& h_;
    const int maxDepth_;
};

int runTree(const Options& o) {
    Loaded l = load(o);
    if (o.json) {
        TreeJsonWriter(std::cout, l.hierarchy, o.depth).write(hs::sourcesSummary(l.hierarchy.statistics()));
        std::cout << "\n";
    } else {
        std::cout << "# module tree from " << hs::sourcesSummary(l.hierarchy.statistics()) << "\n";
        printTree(l.hierarchy, o.depth, o.shortNames);
    }
    return 0;
}

int runTag(const Options& o) {
    Loaded l = load(o);
    const std::size_t accepted = o.acceptSuggestions ? hs::acceptSuggestions(l.hierarchy, *l.graph) : 0;
    std::string out = o.output.empty() ? hs::defaultSidecarPath(o.model) : o.output;
    // Another tool's file (or another format) is read, never replaced in place.
    std::error_code ec;
    if (l.sidecar && !hs::writtenByHierscope(*l.sidecar) &&
        std::filesystem::equivalent(out, l.sidecar->filePath, ec))
        throw hs::Error(out + ": not replaced: it is a format " + l.sidecar->format +
                        " sidecar from another tool; write ours elsewhere with -o OUT.json");
    hs::saveSidecar(out, *l.graph, l.hierarchy, l.sidecar ? &*l.sidecar : nullptr);
    auto stats = l.hierarchy.statistics();
    if (o.json) {
        json j = {{"sidecar", out},
                  {"sidecar_used", l.sidecar ? json(l.sidecar->filePath) : json()},
                  {"modules", l.hierarchy.modules.size()},
                  {"assignments", statisticsJson(stats)},
                  {"suggestions", suggestionsJson(l)}};
        if (o.acceptSuggestions) j["suggestions_accepted"] = accepted;
        std::cout << hs::cli::escapedJson(j).dump(2) << "\n";
    } else {
        std::cout << "wrote " << out;
        if (o.output.empty()) // the model's folder, chosen for the user: say so, and how to choose
            std::cout << " (beside the model, where it is found when the model is opened; -o OUT.json "
                         "writes elsewhere)";
        std::cout << "\n"
                  << hs::cli::counted(l.hierarchy.modules.size(), "module") << "; " << statisticsLine(stats)
                  << "\n"
                  << suggestionsLine(l.hierarchy.suggestionCount()) << "\n";
        if (o.acceptSuggestions) std::cout << "accepted the suggestion of " << accepted << " nodes\n";
    }
    return 0;
}

} // namespace

int runExtract(const std::vector<std::string>& args); // cli_extract.cpp
int runDiff(const std::vector<std::string>& args);    // cli_diff.cpp
int runEmbed(const std::vector<std::string>& args);   // cli_embed.cpp
int runCost(const std::vector<std::string>& args);    // cli_cost.cpp

namespace {
// The restart for huge pages (common/huge_pages.h) costs an exec, a few milliseconds: worth it when the
// command reads a file big enough to hold a graph of tens of thousands of nodes, not for the small files
// a script may run it over by the thousand.
bool namesFileOfAtLeast(int argc, char** argv, off_t bytes) {
    struct stat st {};
    for (int i = 1; i < argc; ++i)
        if (::stat(argv[i], &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= bytes) return true;
    return false;
}
} // namespace

int main(int argc, char** argv) {
    if (namesFileOfAtLeast(argc, argv, off_t{32} << 20)) hs::restartWithHugePages(argv);
    if (argc == 2 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "-V") == 0)) {
        std::cout << "hierscope-cli " HIERSCOPE_VERSION "\n";
        return 0;
    }
    if (argc >= 2 && std::strcmp(argv[1], "extract") == 0)
        return runExtract(std::vector<std::string>(argv + 2, argv + argc));
    if (argc >= 2 && std::strcmp(argv[1], "diff") == 0)
        return runDiff(std::vector<std::string>(argv + 2, argv + argc));
    if (argc >= 2 && std::strcmp(argv[1], "embed") == 0)
        return runEmbed(std::vector<std::string>(argv + 2, argv + argc));
    if (argc >= 2 && std::strcmp(argv[1], "cost") == 0)
        return runCost(std::vector<std::string>(argv + 2, argv + argc));
    Options o;
    try {
        o = parseArgs(argc, argv);
    } catch (const UsageError& e) {
        std::cerr << "hierscope-cli: " << e.what() << "\n\n" << kUsage;
        return 2;
    }
    if (o.help) {
        std::cout << (o.command == "--help" || o.command == "-h" ? kUsage : commandHelp(o.command));
        return 0;
    }
    return hs::cli::reportingErrors(o.model, [&] {
        if (o.command == "info") return runInfo(o);
        if (o.command == "tree") return runTree(o);
        if (o.command == "tag") return runTag(o);
        return 2;
    });
}
