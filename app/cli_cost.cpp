// hierscope-cli cost: what each module costs (parameters, MACs, activation memory and, from an ONNX
// Runtime profile, measured time), as a torchinfo-like table of the module tree or as JSON.
#include "analysis/cost.h"
#include "analysis/profile.h"
#include "analysis/tensor_types.h"
#include "cli_args.h"
#include "cli_format.h"
#include "cli_json.h"
#include "common/error.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "model/model.h"
#include "sidecar/discovery.h"
#include "sidecar/sidecar.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

void printSidecarChoice(const hs::ChosenSidecar& chosen); // cli_main.cpp

namespace {

using json = nlohmann::ordered_json;

const char* kCostHelp =
    "hierscope-cli cost MODEL [--depth N] [--dim NAME=V]... [--profile TRACE.json] [--json]\n"
    "                   [--sort macs|params|time] [--sidecar FILE]\n"
    "  What each module costs: parameters, multiply-accumulates (MACs) and activation memory (the bytes\n"
    "  its nodes' outputs take), in the module and in its whole subtree, as a table of the module tree\n"
    "  with the totals at the bottom. Shapes are the declared ones, completed by ONNX shape inference.\n"
    "  MACs count Conv, ConvTranspose, Gemm, MatMul, two-operand Einsum, their quantized forms, "
    "LSTM/GRU/RNN\n"
    "  and ONNX Runtime's Attention, MultiHeadAttention, FusedMatMul; normalizations, pooling, softmax and\n"
    "  elementwise ops are counted as elements, apart. A compute node whose shapes are not known is\n"
    "  listed as unknown (never counted as 0).\n"
    "  --dim NAME=V     value of a symbolic dimension (repeatable); unbound ones count as 1\n"
    "  --depth N        show modules down to depth N (the totals always cover everything)\n"
    "  --profile T      an ONNX Runtime profile (JSON trace, enableProfiling) of this model: mean kernel\n"
    "                   time per run, per module (own and total), its share and the op types taking it.\n"
    "                   Profile with graphOptimizationLevel 'disabled' so every event names a node.\n"
    "  --sort KEY       siblings by total macs, params or time (largest first); default: run order\n"
    "  --json           {total, tensor_types, modules: [{scope, own, total}], unknown_nodes, profile}\n";

enum class SortKey { None, Macs, Params, Time };

struct CostOptions {
    std::string model, sidecar, profile;
    int depth = -1;
    bool json = false;
    SortKey sort = SortKey::None;
    hs::DimBindings dims;
};

// "4.09 G": three significant digits with a metric prefix.
std::string humanCount(std::uint64_t n) {
    static const char* const units[] = {"", "K", "M", "G", "T", "P"};
    double v = static_cast<double>(n);
    int u = 0;
    while (v >= 1000 && u < 5)
        v /= 1000, ++u;
    std::ostringstream out;
    out << std::fixed << std::setprecision(u == 0 ? 0 : v >= 100 ? 1 : 2); // three significant digits
    out << v << (u ? " " : "") << units[u];
    return out.str();
}

std::string milliseconds(double us) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(3) << us / 1000.0 << " ms";
    return out.str();
}

struct Report {
    std::shared_ptr<const hs::Model> model;
    std::unique_ptr<hs::GraphIndex> graph;
    hs::Hierarchy hierarchy;
    hs::TensorTypes types;
    hs::CostReport cost;
    std::optional<hs::Profile> profile;
    std::vector<hs::ModuleTime> times;
};

Report build(const CostOptions& o) {
    Report r;
    hs::SidecarReading sidecarReading(o.model, o.sidecar); // read while the model loads
    r.model = hs::loadModel(o.model);
    r.graph = std::make_unique<hs::GraphIndex>(r.model);
    hs::ChosenSidecar chosen = sidecarReading.finish(*r.graph);
    printSidecarChoice(chosen);
    r.hierarchy = hs::inferHierarchy(*r.graph, chosen.sidecar ? &*chosen.sidecar : nullptr);
    r.types = hs::inferTensorTypes(*r.graph, &o.dims); // shapes for these dims
    r.cost = hs::computeCost(*r.graph, r.hierarchy, r.types, o.dims);
    if (!o.profile.empty()) {
        r.profile = hs::readProfile(o.profile, *r.graph);
        r.times = hs::moduleTimes(*r.profile, *r.graph, r.hierarchy);
    }
    return r;
}

// Children of a module in the order the table shows them.
std::vector<int> orderedChildren(const Report& r, int module, SortKey sort) {
    std::vector<int> children = r.hierarchy.modules[static_cast<std::size_t>(module)].children;
    auto key = [&](int m) -> double {
        std::size_t k = static_cast<std::size_t>(m);
        switch (sort) {
        case SortKey::Macs:
            return static_cast<double>(r.cost.modules[k].total.macs);
        case SortKey::Params:
            return static_cast<double>(r.hierarchy.modules[k].totalParameters);
        case SortKey::Time:
            return r.times.empty() ? 0.0 : r.times[k].totalUs;
        case SortKey::None:
            break;
        }
        return 0.0;
    };
    if (sort != SortKey::None)
        std::stable_sort(children.begin(), children.end(), [&](int a, int b) { return key(a) > key(b); });
    return children;
}

void visit(const Report& r, int module, int depth, const CostOptions& o,
           std::vector<std::pair<int, int>>& out) {
    out.push_back({module, depth});
    if (o.depth >= 0 && depth >= o.depth) return;
    for (int c : orderedChildren(r, module, o.sort))
        visit(r, c, depth + 1, o, out);
}

// The op types taking a module's time, the most first.
std::vector<std::pair<double, std::string>> opsByTime(const hs::ModuleTime& time) {
    std::vector<std::pair<double, std::string>> byTime;
    for (const auto& [op, us] : time.opsUs)
        byTime.push_back({us, op});
    std::sort(byTime.rbegin(), byTime.rend());
    return byTime;
}

// `timeUs`: mean kernel time per run, when a profile was given.
json totalsJson(const hs::CostTotals& t, std::uint64_t parameters, const double* timeUs) {
    json j = {{"parameters", parameters},
              {"macs", t.macs},
              {"activation_bytes", t.activationBytes},
              {"elements", t.elements},
              {"compute_nodes", t.computeNodes},
              {"unknown_macs_nodes", t.unknownNodes}};
    if (timeUs) j["time_us"] = *timeUs;
    return j;
}

json costJson(const Report& r, const CostOptions& o, const std::vector<std::pair<int, int>>& shown) {
    json j;
    j["model"] = o.model;
    json dims = json::object();
    for (const auto& [name, value] : o.dims)
        dims[name] = value;
    j["dims"] = dims;
    const hs::Module& root = r.hierarchy.modules[0];
    json total = totalsJson(r.cost.total, root.totalParameters, nullptr);
    if (r.profile) total["time_us"] = r.profile->totalUs;
    j["total"] = total;
    hs::TypeCounts c = r.types.counts(*r.graph);
    j["tensor_types"] = {
        {"declared", c.declared}, {"inferred", c.inferred}, {"unknown", c.unknown}, {"total", c.total}};
    json modules = json::array();
    for (const auto& [m, depth] : shown) {
        std::size_t k = static_cast<std::size_t>(m);
        const hs::Module& mod = r.hierarchy.modules[k];
        const hs::ModuleCost& cost = r.cost.modules[k];
        const hs::ModuleTime* time = r.profile ? &r.times[k] : nullptr;
        json entry = {{"scope", mod.scope}, {"class", mod.className}, {"depth", depth}};
        entry["own"] = totalsJson(cost.own, mod.parameters, time ? &time->ownUs : nullptr);
        entry["total"] = totalsJson(cost.total, mod.totalParameters, time ? &time->totalUs : nullptr);
        if (time) {
            entry["time_share"] = r.profile->totalUs > 0 ? time->totalUs / r.profile->totalUs : 0.0;
            json ops = json::object();
            for (const auto& [us, op] : opsByTime(*time))
                ops[op] = us;
            entry["time_by_op_us"] = ops;
        }
        modules.push_back(entry);
    }
    j["modules"] = modules;
    json unknown = json::array();
    for (std::size_t i = 0; i < r.cost.nodes.size(); ++i) {
        const hs::NodeCost& n = r.cost.nodes[i];
        if (n.kind != hs::CostKind::Compute || n.known) continue;
        int module = r.hierarchy.assignments[i].module;
        unknown.push_back({{"node", r.graph->key(static_cast<int>(i))},
                           {"op_type", r.graph->node(static_cast<int>(i)).opType},
                           {"module", r.hierarchy.modules[static_cast<std::size_t>(module)].scope},
                           {"why", n.why}});
    }
    j["unknown_nodes"] = unknown;
    if (r.profile) {
        const hs::Profile& p = *r.profile;
        j["profile"] = {{"file", p.path},
                        {"runs", p.runs},
                        {"events", p.events},
                        {"matched", p.matched},
                        {"unmatched", p.unmatched},
                        {"unmatched_names", p.unmatchedNames},
                        {"time_us", p.totalUs},
                        {"matched_time_us", p.matchedUs},
                        {"note", hs::unmatchedNote(p)}};
    }
    if (!r.types.problem.empty()) j["notes"] = json::array({"shape inference: " + r.types.problem});
    return j;
}

void printTable(const Report& r, const CostOptions& o, const std::vector<std::pair<int, int>>& shown) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> header = {"module", "class", "params", "MACs", "activations"};
    if (r.profile) header.insert(header.end(), {"time", "share", "top ops"});
    rows.push_back(header);
    for (const auto& [m, depth] : shown) {
        std::size_t k = static_cast<std::size_t>(m);
        const hs::Module& mod = r.hierarchy.modules[k];
        const hs::CostTotals& t = r.cost.modules[k].total;
        std::string macs = humanCount(t.macs);
        if (t.unknownNodes) macs += " +" + std::to_string(t.unknownNodes) + "?";
        std::vector<std::string> row = {
            std::string(static_cast<std::size_t>(depth) * 2, ' ') + (m == 0 ? "(root)" : mod.name),
            mod.className, humanCount(mod.totalParameters), macs, hs::cli::humanBytes(t.activationBytes)};
        if (r.profile) {
            const hs::ModuleTime& time = r.times[k];
            std::ostringstream share, ops;
            share << std::fixed << std::setprecision(1)
                  << (r.profile->totalUs > 0 ? 100.0 * time.totalUs / r.profile->totalUs : 0.0) << "%";
            const auto byTime = opsByTime(time);
            for (std::size_t n = 0; n < byTime.size() && n < 3; ++n)
                ops << (n ? ", " : "") << byTime[n].second << " "
                    << std::lround(time.totalUs > 0 ? 100.0 * byTime[n].first / time.totalUs : 0) << "%";
            row.insert(row.end(), {milliseconds(time.totalUs), share.str(), ops.str()});
        }
        rows.push_back(row);
    }
    std::vector<std::size_t> width(header.size(), 0);
    for (const auto& row : rows)
        for (std::size_t c = 0; c < row.size(); ++c)
            width[c] = std::max(width[c], std::min<std::size_t>(row[c].size(), 60));
    for (std::size_t n = 0; n < rows.size(); ++n) {
        const auto& row = rows[n];
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c) {
            bool number = c >= 2 && c <= 6 && header[c] != "top ops"; // params, MACs, bytes, time, share
            std::string cell = row[c].size() > 60 ? row[c].substr(0, 57) + "..." : row[c];
            std::string pad(width[c] - cell.size(), ' ');
            line += (c ? "  " : "") + (number && n ? pad + cell : cell + (c + 1 < row.size() ? pad : ""));
        }
        std::cout << line << "\n";
        if (n == 0) std::cout << std::string(line.size(), '-') << "\n";
    }
    const hs::CostTotals& t = r.cost.total;
    hs::TypeCounts c = r.types.counts(*r.graph);
    std::cout << std::string(20, '-') << "\n"
              << "parameters:    " << r.hierarchy.modules[0].totalParameters << "\n"
              << "MACs:          " << t.macs << " (" << humanCount(t.macs) << ") in " << t.computeNodes
              << " compute nodes";
    if (t.unknownNodes) std::cout << ", " << t.unknownNodes << " of them unknown";
    std::cout << "\n"
              << "elements:      " << t.elements << " (" << humanCount(t.elements)
              << ", normalizations, pooling, softmax, elementwise)\n"
              << "activations:   " << t.activationBytes << " bytes ("
              << hs::cli::humanBytes(t.activationBytes) << ")";
    if (t.unknownActivations)
        std::cout << ", " << t.unknownActivations << " nodes with outputs of unknown size";
    std::cout << "\n"
              << "tensor types:  " << c.declared << " declared, " << c.inferred << " inferred, " << c.unknown
              << " unknown of " << c.total << "\n";
    if (!o.dims.empty()) {
        std::cout << "dims:         ";
        for (const auto& [name, value] : o.dims)
            std::cout << " " << name << "=" << value;
        std::cout << " (other symbolic dimensions count as 1)\n";
    } else {
        std::cout << "dims:          symbolic dimensions count as 1 (bind them with --dim NAME=V)\n";
    }
    if (r.profile) {
        const hs::Profile& p = *r.profile;
        std::cout << "time:          " << milliseconds(p.totalUs) << " of kernels per run (" << p.runs
                  << " runs, " << p.events << " events, " << p.matched << " matched, " << p.unmatched
                  << " unmatched)\n";
        if (p.unmatched) {
            std::cout << "note:          " << hs::unmatchedNote(p) << "; first:";
            for (std::size_t n = 0; n < p.unmatchedNames.size() && n < 5; ++n)
                std::cout << " " << p.unmatchedNames[n];
            std::cout << "\n";
        }
    }
    std::size_t listed = 0;
    for (std::size_t i = 0; i < r.cost.nodes.size() && listed < 10; ++i) {
        const hs::NodeCost& n = r.cost.nodes[i];
        if (n.kind != hs::CostKind::Compute || n.known) continue;
        std::cout << "unknown MACs:  " << r.graph->key(static_cast<int>(i)) << " ("
                  << r.graph->node(static_cast<int>(i)).opType << "): " << n.why << "\n";
        ++listed;
    }
    if (t.unknownNodes > listed)
        std::cout << "unknown MACs:  ... " << t.unknownNodes - listed << " more (--json lists all)\n";
    if (!r.types.problem.empty()) std::cout << "note:          shape inference: " << r.types.problem << "\n";
}

bool parseDim(const std::string& text, hs::DimBindings& dims) {
    std::size_t eq = text.find('=');
    if (eq == 0 || eq == std::string::npos || eq + 1 == text.size()) return false;
    std::size_t used = 0;
    long long v = 0;
    try {
        v = std::stoll(text.substr(eq + 1), &used);
    } catch (const std::exception&) {
        return false;
    }
    if (used != text.size() - eq - 1 || v < 0) return false;
    dims[text.substr(0, eq)] = v;
    return true;
}

} // namespace

int runCost(const std::vector<std::string>& args) {
    CostOptions o;
    auto usage = [](const std::string& message) { return hs::cli::usageError(message, kCostHelp); };
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        std::string v;
        auto value = [&]() { return hs::cli::optionValue(args, i, v); };
        if (a == "--help" || a == "-h") {
            std::cout << kCostHelp;
            return 0;
        } else if (a == "--json") {
            o.json = true;
        } else if (a == "--sidecar" || a == "--profile") {
            if (!value()) return usage(a + " needs a value");
            (a == "--sidecar" ? o.sidecar : o.profile) = v;
        } else if (a == "--depth") {
            if (!value()) return usage("--depth needs a value");
            try {
                o.depth = std::stoi(v);
            } catch (const std::exception&) {
                return usage("--depth needs a number, got '" + v + "'");
            }
        } else if (a == "--dim") {
            if (!value() || !parseDim(v, o.dims))
                return usage("--dim needs NAME=VALUE with a whole number >= 0");
        } else if (a == "--sort") {
            if (!value()) return usage("--sort needs macs, params or time");
            if (v == "macs")
                o.sort = SortKey::Macs;
            else if (v == "params")
                o.sort = SortKey::Params;
            else if (v == "time")
                o.sort = SortKey::Time;
            else
                return usage("--sort needs macs, params or time, got '" + v + "'");
        } else if (!a.empty() && a[0] == '-') {
            return usage("unknown option '" + a + "'");
        } else if (o.model.empty()) {
            o.model = a;
        } else {
            return usage("unexpected argument '" + a + "'");
        }
    }
    if (o.model.empty()) return usage("cost needs a MODEL");
    if (o.sort == SortKey::Time && o.profile.empty()) return usage("--sort time needs --profile TRACE.json");
    return hs::cli::reportingErrors(o.model, [&] {
        Report r = build(o);
        std::vector<std::pair<int, int>> shown;
        visit(r, 0, 0, o, shown);
        if (o.json)
            std::cout << hs::cli::escapedJson(costJson(r, o, shown)).dump(2) << "\n";
        else
            printTable(r, o, shown);
        return 0;
    });
}
