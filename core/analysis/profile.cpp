// ONNX Runtime profile traces, matched to node instances by name.
#include "analysis/profile.h"

#include "common/display_text.h"
#include "common/error.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <unordered_map>

namespace hs {

namespace {

const std::string kKernelSuffix = "_kernel_time";

// Main-graph node names (ONNX Runtime's node names) and instance keys, to instances; a name two nodes
// share matches neither.
std::unordered_map<std::string, int> nodesByName(const GraphIndex& g) {
    std::unordered_map<std::string, int> byName;
    std::set<std::string> shared;
    for (int i = 0; i < static_cast<int>(g.mainCount()); ++i) {
        const std::string& name = g.node(i).name;
        if (name.empty()) continue;
        if (!byName.emplace(name, i).second) shared.insert(name);
    }
    for (const auto& name : shared)
        byName.erase(name);
    return byName;
}

nlohmann::json readTrace(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot read the profile");
    nlohmann::json trace;
    try {
        trace = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw Error(path + ": not a JSON profile trace (" + quoteInput(e.what(), 120) + ")");
    }
    // ONNX Runtime writes a bare array; Chrome's trace format also allows {"traceEvents": [...]}.
    if (trace.is_object() && trace.contains("traceEvents")) trace = trace["traceEvents"];
    if (!trace.is_array())
        throw Error(path + ": not an ONNX Runtime profile: expected a list of trace events");
    return trace;
}

} // namespace

Profile readProfile(const std::string& tracePath, const GraphIndex& graph) {
    nlohmann::json trace = readTrace(tracePath);
    Profile p;
    p.path = tracePath;
    p.nodeUs.assign(graph.size(), 0.0);
    auto byName = nodesByName(graph);
    std::set<std::string> unmatchedSeen;
    double total = 0, matched = 0;
    for (const auto& e : trace) {
        if (!e.is_object()) continue;
        auto name = e.find("name");
        if (name == e.end() || !name->is_string()) continue;
        const std::string& n = name->get_ref<const std::string&>();
        if (n == "model_run") {
            ++p.runs;
            continue;
        }
        if (n.size() <= kKernelSuffix.size() ||
            n.compare(n.size() - kKernelSuffix.size(), kKernelSuffix.size(), kKernelSuffix) != 0)
            continue;
        auto dur = e.find("dur");
        if (dur == e.end() || !dur->is_number()) continue;
        double us = dur->get<double>();
        ++p.events;
        total += us;
        std::string node = n.substr(0, n.size() - kKernelSuffix.size());
        auto it = byName.find(node);
        if (it == byName.end()) {
            int key = graph.find(node);
            if (key >= 0) it = byName.emplace(node, key).first;
        }
        if (it != byName.end()) {
            ++p.matched;
            matched += us;
            p.nodeUs[static_cast<std::size_t>(it->second)] += us;
            continue;
        }
        ++p.unmatched;
        if (unmatchedSeen.size() < 20 && unmatchedSeen.insert(node).second) p.unmatchedNames.push_back(node);
        std::string op = "?";
        auto args = e.find("args");
        if (args != e.end() && args->is_object() && args->contains("op_name") &&
            (*args)["op_name"].is_string())
            op = (*args)["op_name"].get<std::string>();
        p.unmatchedOpsUs[op] += us;
    }
    if (p.events == 0)
        throw Error(tracePath + ": no kernel events (\"<node>_kernel_time\") in the profile: is it an ONNX "
                                "Runtime trace of a run of this model?");
    std::size_t runs = std::max<std::size_t>(p.runs, 1);
    p.runs = runs;
    p.totalUs = total / static_cast<double>(runs);
    p.matchedUs = matched / static_cast<double>(runs);
    for (auto& us : p.nodeUs)
        us /= static_cast<double>(runs);
    for (auto& [op, us] : p.unmatchedOpsUs)
        us /= static_cast<double>(runs);
    return p;
}

std::string unmatchedNote(const Profile& profile) {
    if (profile.unmatched == 0) return {};
    return std::to_string(profile.unmatched) + " of " + std::to_string(profile.events) +
           " kernel events name no node of this model (ONNX Runtime fused or renamed them): profile with "
           "graphOptimizationLevel 'disabled', or open the optimized model ONNX Runtime saved "
           "(optimizedModelFilePath)";
}

namespace {

void sumTimes(const Hierarchy& h, int module, std::vector<ModuleTime>& out) {
    for (int c : h.modules[static_cast<std::size_t>(module)].children) {
        sumTimes(h, c, out);
        ModuleTime& m = out[static_cast<std::size_t>(module)];
        const ModuleTime& child = out[static_cast<std::size_t>(c)];
        m.totalUs += child.totalUs;
        for (const auto& [op, us] : child.opsUs)
            m.opsUs[op] += us;
    }
}

} // namespace

std::vector<ModuleTime> moduleTimes(const Profile& profile, const GraphIndex& graph,
                                    const Hierarchy& hierarchy) {
    std::vector<ModuleTime> out(hierarchy.modules.size());
    for (std::size_t i = 0; i < profile.nodeUs.size() && i < hierarchy.assignments.size(); ++i) {
        double us = profile.nodeUs[i];
        if (us == 0) continue;
        ModuleTime& m = out[static_cast<std::size_t>(hierarchy.assignments[i].module)];
        m.ownUs += us;
        m.totalUs += us;
        m.opsUs[graph.node(static_cast<int>(i)).opType] += us;
    }
    if (!out.empty()) sumTimes(hierarchy, 0, out);
    return out;
}

} // namespace hs
