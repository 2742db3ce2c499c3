// Numeric check of extraction (issue 4), driven by ctest:
//   extract_numeric --work DIR MODEL [--range NAME=LO,HI] [--dim NAME=N] [--modules SCOPE,...]
//                   [--tolerance T] [--allow-errors] [--retag KEY=SCOPE] [MODEL ...]
// `--ort-optimized` after a MODEL: ONNX Runtime's own optimization of it (tests/numeric/optimize_model.js,
// saved through optimizedModelFilePath into DIR) is checked instead.
// A MODEL written `shared:NAME` is a third-party model found by hstest::sharedModel (tests/model_paths.h):
// when it may not be vendored and is absent, it is skipped with the reason (all absent: exit 77).
// For every module of every MODEL (or the listed ones): extracts it (the extraction runs the full ONNX
// check), collects its boundary, writes the capture model (the full model, local functions inlined, with
// every boundary tensor as an output) and a manifest, then runs tests/numeric/check_extract.js in
// ONNX Runtime (onnxruntime-node), which compares each extracted model's outputs with the captured ones.
// Exit: 0 all good, 1 a failure, 77 (ctest skip) when onnxruntime-node is not installed.
#include "common/error.h"
#include "extract/extract.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "model/model.h"
#include "model_paths.h"
#include "shape_json.h"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

struct ModelSpec {
    std::string path;
    json ranges = json::object();
    json dims = json::object();
    std::vector<std::string> modules; // empty: all
    bool allowErrors = false;  // extraction errors are reported, not failures (models the checker rejects)
    bool ortOptimized = false; // check ONNX Runtime's saved optimization of the model instead
    double tolerance = -1;     // per model; -1: the manifest's default
    std::vector<std::pair<std::string, std::string>>
        retags; // node key -> module scope, as a person would move it
};

std::string safeName(const std::string& scope) {
    std::string s = scope.empty() ? std::string("_root") : scope;
    for (char& c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
    return s;
}

std::string shellQuote(const std::string& s) {
    std::string q = "'";
    for (char c : s)
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

} // namespace

int main(int argc, char** argv) {
    std::string work;
    std::vector<ModelSpec> specs;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << "extract_numeric: " << a << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--work")
            work = next();
        else if ((a == "--allow-errors" || a == "--tolerance" || a == "--ort-optimized") && specs.empty()) {
            std::cerr << "extract_numeric: " << a << " must follow a MODEL\n";
            return 2;
        } else if (a == "--allow-errors")
            specs.back().allowErrors = true;
        else if (a == "--ort-optimized")
            specs.back().ortOptimized = true;
        else if (a == "--tolerance")
            specs.back().tolerance = std::stod(next());
        else if (a == "--retag") {
            if (specs.empty()) {
                std::cerr << "extract_numeric: --retag must follow a MODEL\n";
                return 2;
            }
            std::string v = next();
            auto eq = v.rfind('=');
            specs.back().retags.emplace_back(v.substr(0, eq),
                                             eq == std::string::npos ? "" : v.substr(eq + 1));
        } else if (a == "--range" || a == "--dim" || a == "--modules") {
            if (specs.empty()) {
                std::cerr << "extract_numeric: " << a << " must follow a MODEL\n";
                return 2;
            }
            std::string v = next();
            if (a == "--modules") {
                std::string cur;
                for (char c : v + ",") {
                    if (c == ',')
                        specs.back().modules.push_back(cur), cur.clear();
                    else
                        cur += c;
                }
                continue;
            }
            auto eq = v.find('=');
            std::string name = v.substr(0, eq), value = eq == std::string::npos ? "" : v.substr(eq + 1);
            if (a == "--dim")
                specs.back().dims[name] = std::stoll(value);
            else {
                auto comma = value.find(',');
                specs.back().ranges[name] = {std::stod(value.substr(0, comma)),
                                             std::stod(value.substr(comma + 1))};
            }
        } else if (a.size() > 1 && a[0] == '-') {
            std::cerr << "extract_numeric: unknown option " << a << "\n";
            return 2;
        } else if (a.rfind("shared:", 0) == 0) {
            specs.push_back({hstest::sharedModel(a.substr(7))});
        } else
            specs.push_back({a});
    }
    std::size_t given = specs.size();
    for (auto it = specs.begin(); it != specs.end();) {
        std::string why = hstest::absentModelReason(it->path);
        if (why.empty()) {
            ++it;
            continue;
        }
        std::cout << "SKIP " << why << "\n";
        it = specs.erase(it);
    }
    if (given > 0 && specs.empty()) return 77;
    if (work.empty() || specs.empty()) {
        std::cerr << "usage: extract_numeric --work DIR MODEL [--range NAME=LO,HI] [--dim NAME=N] [--modules "
                     "S,...] [--tolerance T] [--allow-errors] [--retag KEY=SCOPE] ...\n";
        return 2;
    }
    fs::path numericDir = HS_NUMERIC_DIR;
    bool haveRuntime = fs::exists(numericDir / "node_modules" / "onnxruntime-node");
    fs::remove_all(work);
    fs::create_directories(work);

    int failures = 0;
    for (auto it = specs.begin(); it != specs.end();) {
        if (!it->ortOptimized) {
            ++it;
            continue;
        }
        fs::path out = fs::path(work) / (fs::path(it->path).stem().string() + "_ort.onnx");
        std::string command = "node " + shellQuote((numericDir / "optimize_model.js").string()) + " " +
                              shellQuote(it->path) + " " + shellQuote(out.string());
        int status = std::system(command.c_str());
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
        if (code == 0) {
            std::cout << "ONNX Runtime's optimization of " << it->path << ": " << out.string() << "\n";
            it->path = out.string();
            ++it;
            continue;
        }
        std::cout << (code == 77 ? "SKIP " : "FAIL ") << it->path << ": ONNX Runtime could not optimize it\n";
        if (code != 77) ++failures;
        it = specs.erase(it);
    }
    if (specs.empty()) return failures ? 1 : 77;
    json manifest = {{"tolerance", 1e-6}, {"models", json::array()}};
    for (const auto& spec : specs) {
        std::string stem = fs::path(spec.path).stem().string();
        fs::path dir = fs::path(work) / stem;
        fs::create_directories(dir);
        auto model = hs::loadModel(spec.path);
        hs::GraphIndex graph(model);
        hs::Hierarchy hierarchy = hs::inferHierarchy(graph);
        for (const auto& [key, scope] : spec.retags) {
            int node = graph.find(key), module = hierarchy.findModule(scope);
            if (node < 0 || module < 0) {
                std::cout << "FAIL " << spec.path << ": --retag " << key << "=" << scope
                          << ": no such node or module\n";
                return 1;
            }
            hierarchy.assignManually(node, module);
            std::cout << "re-tagged " << key << " to " << scope << "\n";
        }
        hierarchy.refreshModuleSummaries();
        json entry = {{"full", fs::absolute(spec.path).string()},
                      {"capture", (dir / "capture.onnx").string()},
                      {"inputs", json::array()},
                      {"dims", spec.dims},
                      {"ranges", spec.ranges},
                      {"cases", json::array()}};
        if (spec.tolerance >= 0) entry["tolerance"] = spec.tolerance;
        for (const auto& vi : model->main().inputs) {
            int t = graph.findTensor(vi.name);
            if (t >= 0 && graph.tensor(t).initializer) continue;
            entry["inputs"].push_back(
                {{"name", vi.name}, {"elem_type", vi.type.elemType}, {"shape", hs::shapeJson(vi.type)}});
        }
        std::vector<std::string> scopes = spec.modules;
        if (scopes.empty())
            for (const auto& m : hierarchy.modules)
                scopes.push_back(m.scope);
        std::vector<std::string> extra;
        std::set<std::string> seen;
        std::size_t extracted = 0, nodes = 0;
        std::size_t empty = 0;
        for (const auto& scope : scopes) {
            int module = hierarchy.findModule(scope);
            if (module >= 0 && hierarchy.modules[static_cast<std::size_t>(module)].totalNodes == 0) {
                ++empty; // a module the hierarchy knows but no node is assigned to: nothing to extract
                continue;
            }
            try {
                hs::ExtractionPlan plan = hs::planExtraction(graph, hierarchy, scope);
                fs::path out = dir / (safeName(scope) + ".onnx");
                hs::ExtractionResult result = hs::extractModel(plan, out.string());
                json c = {{"label", scope.empty() ? std::string("(root)") : scope},
                          {"model", out.string()},
                          {"inputs", json::array()},
                          {"outputs", json::array()}};
                for (const auto& b : plan.inputs) {
                    c["inputs"].push_back(b.name);
                    if (!b.graphInput && seen.insert(b.name).second) extra.push_back(b.name);
                }
                for (const auto& b : plan.outputs) {
                    c["outputs"].push_back(b.name);
                    if (seen.insert(b.name).second) extra.push_back(b.name);
                }
                entry["cases"].push_back(c);
                ++extracted;
                nodes += result.nodes;
            } catch (const std::exception& e) {
                std::cout << (spec.allowErrors ? "not extractable: " : "FAIL ") << stem << " "
                          << (scope.empty() ? "(root)" : scope) << ": " << e.what() << "\n";
                if (!spec.allowErrors) ++failures;
            }
        }
        std::cout << stem << ": " << extracted << "/" << scopes.size() - empty
                  << " modules extracted and checked (" << nodes << " nodes written"
                  << (empty ? ", " + std::to_string(empty) + " modules without nodes skipped" : std::string())
                  << ")" << std::endl;
        try {
            hs::writeCaptureModel(graph, extra, entry["capture"].get<std::string>());
        } catch (const std::exception& e) {
            std::cout << "FAIL " << stem << ": capture model: " << e.what() << "\n";
            ++failures;
            continue;
        }
        manifest["models"].push_back(entry);
    }
    fs::path manifestPath = fs::path(work) / "manifest.json";
    std::ofstream(manifestPath) << manifest.dump(1) << "\n";
    if (!haveRuntime) {
        std::cout << "SKIP numeric comparison: onnxruntime-node is not installed in "
                  << (numericDir / "node_modules").string()
                  << " (run: cd tests/numeric && ONNXRUNTIME_NODE_INSTALL=skip npm ci)\n";
        return failures ? 1 : 77;
    }
    std::string command = "node " + shellQuote((numericDir / "check_extract.js").string()) + " " +
                          shellQuote(manifestPath.string());
    std::cout.flush();
    int status = std::system(command.c_str());
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    if (code == 77 && !failures) return 77;
    return failures || code ? 1 : 0;
}
