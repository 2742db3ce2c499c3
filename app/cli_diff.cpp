// hierscope-cli diff: two exports of one model compared module by module (core/compare/compare.h).
#include "analysis/profile.h"
#include "cli_args.h"
#include "common/display_text.h"
#include "common/error.h"
#include "compare/compare.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "model/model.h"
#include "sidecar/sidecar.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

using json = nlohmann::ordered_json;

const char* kDiffHelp =
    "hierscope-cli diff A.onnx B.onnx [--sidecar-a F] [--sidecar-b F] [--json] [--changed-only] [--depth N]\n"
    "                  [--profile-a TRACE.json --profile-b TRACE.json]\n"
    "  Compares two exports of one model (another opset, exporter or optimizer) module by module: modules\n"
    "  are matched by scope (or by scope below a wrapper one side puts the whole model in: A's model.stft\n"
    "  is B's stft), else by the parameter names their nodes use, else (below matched parents) by\n"
    "  signature: what a module is made of, unique among its unmatched siblings (initializer shapes, op\n"
    "  counts, children; or initializer shapes alone; numbered siblings pair by number), else by place\n"
    "  among siblings. For each, the nodes by op type and the parameter elements on both sides, added and\n"
    "  removed modules, and named nodes whose module changed. Prints the module tree with a one-line\n"
    "  summary per changed module ('~' changed, '+' only in B, '-' only in A, in the first column; depth\n"
    "  is the indentation); --changed-only keeps changed modules and the modules around them, --depth N\n"
    "  stops the tree at depth N (saying how many changed modules it leaves out), --json writes the\n"
    "  comparison for scripts.\n"
    "  With an ONNX Runtime profile of each side (as for `cost --profile`), every module also shows its\n"
    "  measured kernel time per run on both sides ('time 120.0 -> 95.5 us'; --json: time_us [A, B]).\n";

struct Side {
    std::string path;
    std::shared_ptr<const hs::Model> model;
    std::unique_ptr<hs::GraphIndex> graph;
    hs::Hierarchy hierarchy;
    std::optional<hs::Profile> profile;
    std::vector<hs::ModuleTime> times; // per module, with a profile
    // A module's total time per run; negative without a profile or module.
    double timeUs(int module) const {
        return module >= 0 && static_cast<std::size_t>(module) < times.size()
                   ? times[static_cast<std::size_t>(module)].totalUs
                   : -1.0;
    }
};

void loadProfile(Side& s, const std::string& tracePath) {
    if (tracePath.empty()) return;
    s.profile = hs::readProfile(tracePath, *s.graph);
    s.times = hs::moduleTimes(*s.profile, *s.graph, s.hierarchy);
}

std::string microseconds(double us) {
    if (us < 0) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", us);
    return buf;
}

Side loadSide(const std::string& path, const std::string& sidecarPath) {
    Side s;
    s.path = path;
    s.model = hs::loadModel(path);
    s.graph = std::make_unique<hs::GraphIndex>(s.model);
    std::optional<hs::Sidecar> sidecar;
    if (!sidecarPath.empty()) {
        sidecar = hs::readSidecar(sidecarPath);
        hs::SidecarCheck check = hs::checkSidecar(*s.graph, *sidecar);
        if (!check.applicable) throw hs::Error(check.message);
    }
    s.hierarchy = hs::inferHierarchy(*s.graph, sidecar ? &*sidecar : nullptr);
    return s;
}

struct DiffOptions {
    std::string a, b, sidecarA, sidecarB, profileA, profileB;
    bool json = false, changedOnly = false;
    int depth = -1;
};

int depthOf(const hs::HierarchyComparison& c, int delta) {
    int depth = 0;
    for (int p = c.modules[static_cast<std::size_t>(delta)].parent; p >= 0;
         p = c.modules[static_cast<std::size_t>(p)].parent)
        ++depth;
    return depth;
}

// The part of a scope below its parent's ("layer.0" under "encoder"); the whole scope otherwise.
std::string shortName(const hs::HierarchyComparison& c, const hs::ModuleDelta& d) {
    if (d.parent < 0) return "(root)";
    const std::string& parent = c.modules[static_cast<std::size_t>(d.parent)].scope;
    if (!parent.empty() && d.scope.size() > parent.size() + 1 &&
        d.scope.compare(0, parent.size(), parent) == 0 && d.scope[parent.size()] == '.')
        return d.scope.substr(parent.size() + 1);
    return d.scope;
}

char marker(const hs::ModuleDelta& d) {
    if (d.match == hs::ModuleMatch::Added) return '+';
    if (d.match == hs::ModuleMatch::Removed) return '-';
    return d.changed ? '~' : ' ';
}

// Changed modules strictly below a delta (what a cut by --depth leaves out). Module trees are at most
// kMaxModuleDepth deep, so the recursion is bounded.
std::size_t changedBelow(const hs::HierarchyComparison& c, const hs::ModuleDelta& d) {
    std::size_t count = 0;
    for (int k : d.children) {
        const hs::ModuleDelta& child = c.modules[static_cast<std::size_t>(k)];
        count += (child.changed ? 1 : 0) + changedBelow(c, child);
    }
    return count;
}

// Pre-order with an explicit stack (children pushed last first): no recursion per level. The marker sits
// in a gutter (column 0), the name is indented by depth: a changed child never reads as its parent's
// sibling.
void printTree(const hs::HierarchyComparison& c, const Side& a, const Side& b, const DiffOptions& o) {
    std::vector<std::pair<int, int>> stack{{0, 0}}; // (delta, depth)
    while (!stack.empty()) {
        const auto [delta, depth] = stack.back();
        stack.pop_back();
        const hs::ModuleDelta& d = c.modules[static_cast<std::size_t>(delta)];
        if (o.changedOnly && !d.subtreeChanged) continue;
        std::string line = std::string(1, marker(d)) + " " +
                           std::string(static_cast<std::size_t>(depth) * 2, ' ') +
                           hs::utf8Escaped(shortName(c, d));
        if (!d.className.empty()) line += " : " + hs::utf8Escaped(d.className);
        if (d.match == hs::ModuleMatch::Wrapper)
            line += std::string(" (") + (d.moduleA >= 0 ? "A" : "B") + " wraps the model in it; " +
                    (d.moduleA >= 0 ? "B" : "A") + "'s root)";
        else if (!d.scopeB.empty())
            line +=
                " (B: " + hs::utf8Escaped(d.scopeB) + ", matched by " + hs::moduleMatchName(d.match) + ")";
        line += "  [nodes " + std::to_string(d.totalNodesA) + " -> " + std::to_string(d.totalNodesB) +
                ", parameters " + std::to_string(d.totalParametersA) + " -> " +
                std::to_string(d.totalParametersB);
        if (a.profile && b.profile)
            line += ", time " + microseconds(a.timeUs(d.moduleA)) + " -> " +
                    microseconds(b.timeUs(d.moduleB)) + " us";
        std::cout << line << "]\n";
        std::string indent(static_cast<std::size_t>(depth) * 2 + 6, ' ');
        if (d.changed) std::cout << indent << d.summary << "\n";
        if (d.movedIn || d.movedOut)
            std::cout << indent << d.movedIn << " named nodes moved in, " << d.movedOut << " moved out\n";
        if (o.depth >= 0 && depth >= o.depth) {
            // Cut here: say how many changes are left out and how to see them, never promise them.
            const std::size_t hidden = changedBelow(c, d);
            if (hidden)
                std::cout << indent << "and " << hidden
                          << (hidden == 1 ? " changed module" : " changed modules")
                          << " below, not shown (deeper than --depth " << o.depth << ")\n";
            continue;
        }
        for (auto child = d.children.rbegin(); child != d.children.rend(); ++child)
            stack.emplace_back(*child, depth + 1);
    }
}

json opsJson(const std::vector<hs::OpCount>& ops) {
    json j = json::object();
    for (const auto& op : ops)
        j[hs::utf8Escaped(op.opType)] = op.count;
    return j;
}

json sideJson(const Side& s) {
    json j = {{"model", hs::utf8Escaped(s.path)},
              {"nodes", s.graph->size()},
              {"modules", s.hierarchy.modules.size()},
              {"module_tree_from", hs::sourcesSummary(s.hierarchy.statistics())}};
    if (s.profile)
        j["profile"] = {{"runs", s.profile->runs},
                        {"events", s.profile->events},
                        {"matched", s.profile->matched},
                        {"unmatched", s.profile->unmatched},
                        {"time_us", s.profile->totalUs}};
    return j;
}

json comparisonJson(const hs::HierarchyComparison& c, const Side& a, const Side& b, const DiffOptions& o) {
    json j;
    j["a"] = sideJson(a);
    j["b"] = sideJson(b);
    j["changed_modules"] = c.changedModules;
    j["added_modules"] = c.addedModules;
    j["removed_modules"] = c.removedModules;
    j["matched_by_parameters"] = c.matchedByParameters;
    j["matched_by_position"] = c.matchedByPosition;
    j["matched_by_signature"] = c.matchedBySignature;
    j["matched_by_prefix"] = c.matchedByPrefix;
    j["wrapper_a"] = c.wrapperA.empty() ? json() : json(hs::utf8Escaped(c.wrapperA));
    j["wrapper_b"] = c.wrapperB.empty() ? json() : json(hs::utf8Escaped(c.wrapperB));
    json modules = json::array();
    for (std::size_t k = 0; k < c.modules.size(); ++k) {
        const hs::ModuleDelta& d = c.modules[k];
        int depth = depthOf(c, static_cast<int>(k));
        if ((o.changedOnly && !d.changed) || (o.depth >= 0 && depth > o.depth)) continue;
        json m = {{"scope", hs::utf8Escaped(d.scope)},
                  {"scope_b", hs::utf8Escaped(d.scopeB.empty() ? d.scope : d.scopeB)},
                  {"class", hs::utf8Escaped(d.className)},
                  {"depth", depth},
                  {"match", hs::moduleMatchName(d.match)},
                  {"changed", d.changed},
                  {"subtree_changed", d.subtreeChanged},
                  {"nodes", {d.nodesA, d.nodesB}},
                  {"total_nodes", {d.totalNodesA, d.totalNodesB}},
                  {"parameters", {d.parametersA, d.parametersB}},
                  {"total_parameters", {d.totalParametersA, d.totalParametersB}},
                  {"ops_a", opsJson(d.opsA)},
                  {"ops_b", opsJson(d.opsB)},
                  {"moved_in", d.movedIn},
                  {"moved_out", d.movedOut},
                  {"summary", d.summary}};
        if (a.profile && b.profile) {
            auto us = [](double t) { return t < 0 ? json() : json(t); };
            m["time_us"] = {us(a.timeUs(d.moduleA)), us(b.timeUs(d.moduleB))};
        }
        if (d.match == hs::ModuleMatch::Removed) m["scope_b"] = nullptr;
        if (d.match == hs::ModuleMatch::Added) m["scope"] = nullptr;
        if (d.match == hs::ModuleMatch::Wrapper) // the other side's counterpart is its root
            m[d.moduleA >= 0 ? "scope_b" : "scope"] = "";
        modules.push_back(m);
    }
    j["modules"] = modules;
    json moved = json::array();
    for (const hs::MovedNode& n : c.moved)
        moved.push_back({{"node", hs::utf8Escaped(n.key)},
                         {"op_type", hs::utf8Escaped(n.opType)},
                         {"module_a", hs::utf8Escaped(c.modules[static_cast<std::size_t>(n.deltaA)].scope)},
                         {"module_b", hs::utf8Escaped(c.modules[static_cast<std::size_t>(n.deltaB)].scope)}});
    j["moved_nodes"] = moved;
    return j;
}

void printText(const hs::HierarchyComparison& c, const Side& a, const Side& b, const DiffOptions& o) {
    std::cout << "# A: " << hs::utf8Escaped(a.path) << " (" << a.graph->size() << " nodes, "
              << a.hierarchy.modules.size() << " modules)\n"
              << "# B: " << hs::utf8Escaped(b.path) << " (" << b.graph->size() << " nodes, "
              << b.hierarchy.modules.size() << " modules)\n"
              << "# " << c.changedModules << " modules changed (" << c.addedModules << " only in B, "
              << c.removedModules << " only in A), " << c.moved.size() << " named nodes changed module";
    if (c.matchedByParameters || c.matchedBySignature || c.matchedByPosition)
        std::cout << "; matched under other scopes: " << c.matchedByParameters << " by parameters, "
                  << c.matchedBySignature << " by signature, " << c.matchedByPosition << " by position";
    std::cout << "\n";
    if (!c.wrapperA.empty() || !c.wrapperB.empty())
        std::cout << "# " << (c.wrapperA.empty() ? "B" : "A") << " wraps the model in '"
                  << hs::utf8Escaped(c.wrapperA.empty() ? c.wrapperB : c.wrapperA)
                  << "': " << c.matchedByPrefix << " modules matched by their scope below it\n";
    if (o.changedOnly && c.changedModules == 0 && c.moved.empty()) {
        std::cout << "no module changed\n";
        return;
    }
    printTree(c, a, b, o);
    constexpr std::size_t kMovedShown = 20;
    for (std::size_t k = 0; k < c.moved.size() && k < kMovedShown; ++k) {
        const hs::MovedNode& n = c.moved[k];
        std::cout << "moved " << hs::utf8Escaped(n.key) << " (" << hs::utf8Escaped(n.opType) << "): '"
                  << hs::utf8Escaped(c.modules[static_cast<std::size_t>(n.deltaA)].scope) << "' -> '"
                  << hs::utf8Escaped(c.modules[static_cast<std::size_t>(n.deltaB)].scope) << "'\n";
    }
    if (c.moved.size() > kMovedShown)
        std::cout << "... and " << c.moved.size() - kMovedShown << " more moved nodes (--json lists all)\n";
}

// Returns 0 when parsed, else the exit code (0 for --help, 2 for a usage error).
int parseDiffArgs(const std::vector<std::string>& args, DiffOptions& o, bool& done) {
    auto usage = [&](const std::string& message) {
        done = true;
        return hs::cli::usageError(message, kDiffHelp);
    };
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&](std::string& into) { return hs::cli::optionValue(args, i, into); };
        if (a == "--help" || a == "-h") {
            std::cout << kDiffHelp;
            done = true;
            return 0;
        } else if (a == "--json") {
            o.json = true;
        } else if (a == "--changed-only") {
            o.changedOnly = true;
        } else if (a == "--sidecar-a" || a == "--sidecar-b") {
            if (!value(a == "--sidecar-a" ? o.sidecarA : o.sidecarB)) return usage(a + " needs a value");
        } else if (a == "--profile-a" || a == "--profile-b") {
            if (!value(a == "--profile-a" ? o.profileA : o.profileB)) return usage(a + " needs a value");
        } else if (a == "--depth") {
            std::string v;
            if (!value(v)) return usage("--depth needs a value");
            try {
                std::size_t used = 0;
                o.depth = std::stoi(v, &used);
                if (used != v.size() || o.depth < 0) throw std::invalid_argument(v);
            } catch (const std::exception&) {
                return usage("--depth needs a number >= 0, got " + hs::quoteInput(v));
            }
        } else if (!a.empty() && a[0] == '-') {
            return usage("unknown option " + hs::quoteInput(a));
        } else if (o.a.empty()) {
            o.a = a;
        } else if (o.b.empty()) {
            o.b = a;
        } else {
            return usage("unexpected argument " + hs::quoteInput(a));
        }
    }
    if (o.b.empty()) return usage("diff needs two models, A.onnx and B.onnx");
    if (o.profileA.empty() != o.profileB.empty())
        return usage("time deltas need a profile of each side: --profile-a and --profile-b");
    return 0;
}

} // namespace

int runDiff(const std::vector<std::string>& args) {
    DiffOptions o;
    bool done = false;
    int code = parseDiffArgs(args, o, done);
    if (done) return code;
    std::string current = o.a;
    try {
        Side a = loadSide(o.a, o.sidecarA);
        current = o.profileA.empty() ? o.a : o.profileA;
        loadProfile(a, o.profileA);
        current = o.b;
        Side b = loadSide(o.b, o.sidecarB);
        current = o.profileB.empty() ? o.b : o.profileB;
        loadProfile(b, o.profileB);
        hs::HierarchyComparison c = hs::compareHierarchies({*a.graph, a.hierarchy}, {*b.graph, b.hierarchy});
        if (o.json)
            std::cout << comparisonJson(c, a, b, o).dump(2) << "\n";
        else
            printText(c, a, b, o);
        return 0;
    } catch (const hs::Error& e) {
        std::cerr << "hierscope-cli: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "hierscope-cli: " << hs::quoteInput(current) << ": " << e.what() << "\n";
        return 1;
    }
}
