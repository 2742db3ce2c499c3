// Extraction planning (extract.h): which nodes, boundary tensors, weights and functions a selection
// takes, and the boundary's types.
#include "extract/internal.h"
#include "extract/type_rules.h"

#include "common/display_text.h"
#include "common/error.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "hierarchy/module_lookup.h"

#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace hs {

using namespace extraction;

namespace {

bool isIdentityOp(const Node& n) {
    return n.opType == "Identity" && (n.domain.empty() || n.domain == "ai.onnx");
}

// The nodes planning reads, as the main-graph instances holding them: the main-graph nodes holding the
// selection with all of their bodies and calls' bodies (the units planning takes whole or in part), the
// producers of what those read (through chains of Identity copies, which may be copied in with the
// constant or weight they end at) and the readers of what they make (which of its tensors leave it).
// On a deep model the rest is most of the graph, and flattening it (names of every node, tables of
// them) was most of planning one layer.
std::vector<char> nodesPlanningReads(const GraphIndex& g, const std::vector<char>& sel) {
    std::vector<char> reads(g.size(), 0), followed(g.size(), 0), holding(g.size(), 0);
    std::vector<int> identities; // producers whose inputs' producers are read too
    auto markProducerOf = [&](int t) {
        const int p = g.tensor(t).producer;
        if (p < 0) return;
        markWithOwners(g, p, reads);
        if (g.opKind(p) == OpKind::Identity && !followed[static_cast<std::size_t>(p)]) {
            followed[static_cast<std::size_t>(p)] = 1;
            identities.push_back(p);
        }
    };
    std::vector<int> todo;
    for (std::size_t i = 0; i < g.size(); ++i) {
        if (!sel[i]) continue;
        int top = static_cast<int>(i);
        while (g.instance(top).parent >= 0)
            top = g.instance(top).parent;
        if (!holding[static_cast<std::size_t>(top)])
            holding[static_cast<std::size_t>(top)] = 1, todo.push_back(top);
    }
    while (!todo.empty()) { // the holders and everything inside them
        const int n = todo.back();
        todo.pop_back();
        markWithOwners(g, n, reads);
        for (int t : g.inputs(n)) // a body's names of an enclosing graph too
            markProducerOf(t);
        for (int t : g.outputs(n))
            for (int c : g.consumers(t)) // bodies reading it from an enclosing graph too
                markWithOwners(g, c, reads);
        for (int c : g.children(n))
            if (!holding[static_cast<std::size_t>(c)])
                holding[static_cast<std::size_t>(c)] = 1, todo.push_back(c);
    }
    while (!identities.empty()) {
        const int p = identities.back();
        identities.pop_back();
        for (int t : g.inputs(p))
            markProducerOf(t);
    }
    return reads;
}

// Constants from outside the selection are copied in; so are (chains of) Identity copies of weights
// and Constants (torch writes one per shared parameter), so that weights stay initializers instead of
// becoming inputs. Chains are followed without recursion: a fuzzed model had an Identity cycle, and a
// long chain would overflow the stack just the same.
void markCopiedConstants(const GraphIndex& graph, std::vector<Unit>& units,
                         const std::unordered_map<std::string, int>& producer) {
    enum : signed char { Unknown = -1, No = 0, Yes = 1, InChain = 2 };
    std::vector<signed char> state(units.size(), Unknown);
    std::vector<std::size_t> chain;
    auto copyable = [&](std::string name) {
        chain.clear();
        bool answer = false;
        for (;;) {
            auto it = producer.find(name);
            if (it == producer.end()) {
                int t = graph.findTensor(name);
                answer = t >= 0 && graph.tensor(t).initializer;
                break;
            }
            auto k = static_cast<std::size_t>(it->second);
            const Unit& p = units[k];
            if (state[k] == Yes || state[k] == No) {
                answer = state[k] == Yes;
                break;
            }
            if (state[k] == InChain || p.selected) break; // a cycle, or computed inside the selection
            const Node& n = graph.node(p.instance);
            if (isConstantOp(n)) {
                answer = true;
                chain.push_back(k);
                break;
            }
            if (!isIdentityOp(n) || p.inputs.size() != 1 || !p.outerRefs.empty()) {
                state[k] = No;
                break;
            }
            state[k] = InChain;
            chain.push_back(k);
            name = p.inputs[0];
        }
        for (std::size_t k : chain) {
            state[k] = answer ? Yes : No;
            units[k].copied = answer;
        }
    };
    for (const Unit& u : units) {
        if (!u.selected) continue;
        for (const auto* names : {&u.inputs, &u.outerRefs})
            for (const auto& in : *names)
                if (producer.count(in)) copyable(in);
    }
}

// torch's Identity copies of a weight belong to the module they are named after; when that module's
// ops were moved elsewhere (a manual re-tag), a copy none of the selection uses would only become a
// useless output: a weight copy goes where its users go (copied in above when they are selected).
void dropUnusedWeightCopies(const GraphIndex& graph, std::vector<char>& sel) {
    for (std::size_t i = 0; i < graph.size(); ++i) {
        const int node = static_cast<int>(i);
        if (!sel[i] || !isIdentityOp(graph.node(node)) || graph.inputs(node).size() != 1) continue;
        const TensorEntry& in = graph.tensor(graph.inputs(node)[0]);
        if (!in.initializer) continue;
        bool used = false;
        for (int t : graph.outputs(node)) {
            used = used || graph.tensor(t).graphOutput;
            for (int c : graph.consumers(t))
                used = used || sel[static_cast<std::size_t>(c)];
        }
        if (!used) sel[i] = 0;
    }
}

// Why nothing can tell a boundary tensor's element type: walking back through producers whose inputs are
// untyped, the first op nobody knows (or the model's silence about an input).
std::string unknownTypeReason(const GraphIndex& graph, const std::string& name,
                              const std::map<std::string, TensorType>& inferred, const std::string& problem) {
    auto typed = [&](const std::string& tensor) {
        TensorType t;
        auto it = inferred.find(tensor);
        return (it != inferred.end() && it->second.elemType != 0) ||
               (declaredType(graph, tensor, t) && t.elemType);
    };
    auto opName = [&](const Node& n) {
        return (n.domain.empty() || n.domain == "ai.onnx" ? std::string() : n.domain + ".") + n.opType;
    };
    std::string tensor = name, why = "the model declares no type for it and nothing produces it";
    for (int step = 0; step < 1000; ++step) {
        int t = graph.findTensor(tensor);
        int producer = t >= 0 ? graph.tensor(t).producer : -1;
        if (producer < 0) {
            if (tensor != name)
                why = "it is computed from " + quoteInput(tensor) + ", whose type the model does not declare";
            break;
        }
        const Node& n = graph.node(producer);
        std::string domain = n.domain == "ai.onnx" ? std::string() : n.domain;
        std::string next;
        for (const std::string_view in : n.inputs)
            if (!in.empty() && !typed(std::string(in))) {
                next = in;
                break;
            }
        if (!hasTypeRule(n.opType, domain) || next.empty()) {
            why = (tensor == name ? "it is computed by " : "it is computed from the output of ") +
                  quoteInput(graph.key(producer)) + " (" + quoteInput(opName(n)) +
                  "), an op for which neither the ONNX " + onnxLibraryVersion() +
                  " library nor Hierscope's type rules know an output type";
            break;
        }
        tensor = next;
    }
    return "the element type of boundary tensor " + quoteInput(name) + " is unknown: " + why +
           (problem.empty() ? "" : " (shape inference: " + problem + ")");
}

// What the check before writing will cover where the linked ONNX library cannot judge all of it.
std::vector<std::string> checkingSummary(const GraphIndex& graph, const ExtractionPlan& plan) {
    const Model& m = graph.model();
    std::map<std::string, std::int64_t> opsets;
    for (const auto& op : m.opsets)
        opsets[op.domain == "ai.onnx" ? std::string() : op.domain] = op.version;
    std::map<std::string, std::size_t> unknownDomains;       // domain -> nodes
    std::map<std::string, std::size_t> ortOps;               // ONNX Runtime's ops in the ONNX domain -> nodes
    std::map<std::string, std::set<std::string>> unchecked;  // domain -> ops left to our checks
    std::map<std::string, std::size_t> nodesOf, uncheckedOf; // per domain newer than the library knows
    for (const auto& pn : plan.nodes) {
        const Node& n = graph.node(pn.instance);
        std::string d = n.domain == "ai.onnx" ? std::string() : n.domain;
        auto v = opsets.find(d);
        std::int64_t max = maxKnownOpset(d);
        if (max < 0) {
            if (m.findFunction(n.domain, n.opType) < 0) ++unknownDomains[d];
            continue;
        }
        if (v == opsets.end()) continue;
        if (v->second > max) ++nodesOf[d];
        if (libraryJudges(n.opType, d, v->second)) continue;
        std::string op = (d.empty() ? std::string() : d + ".") + n.opType;
        if (v->second > max)
            unchecked[d].insert(op), ++uncheckedOf[d];
        else
            ++ortOps[op];
    }
    std::vector<std::string> out;
    for (const auto& [d, count] : nodesOf) { // only domains the selection uses
        std::int64_t version = opsets[d], max = maxKnownOpset(d);
        std::string ops;
        for (const auto& op : unchecked[d])
            ops += (ops.empty() ? "" : ", ") + op;
        std::size_t left = uncheckedOf[d];
        std::string head = "opset " + std::to_string(version) + " of " +
                           (d.empty() ? std::string("ai.onnx") : d) + ": the ONNX " + onnxLibraryVersion() +
                           " checker knows it up to " + std::to_string(max);
        if (!d.empty() || version > newestListedOpset())
            out.push_back(head + "; Hierscope lists the ops changed only up to opset " +
                          std::to_string(newestListedOpset()) + " of ai.onnx: all " + std::to_string(count) +
                          " node(s) checked for structure only");
        else if (left)
            out.push_back(head + "; " + std::to_string(left) + " node(s) of ops defined anew since (" + ops +
                          ") checked for structure only, the others against their schemas");
        else
            out.push_back(head + "; no op here changed since: all checked against their schemas");
    }
    for (const auto& [op, count] : ortOps)
        out.push_back(std::to_string(count) + " " + quoteInput(op) +
                      " node(s): ONNX Runtime's own op in the ONNX " + "domain, no schema in the ONNX " +
                      onnxLibraryVersion() +
                      " library, checked for structure only; output types from Hierscope's type rules");
    for (const auto& [d, count] : unknownDomains)
        out.push_back(std::to_string(count) + " node(s) of domain " + quoteInput(d) +
                      ": no schema in the ONNX " + onnxLibraryVersion() +
                      " library, checked for structure only; their output types " +
                      "from Hierscope's type rules");
    if (!out.empty())
        out.push_back(
            "structure checked on all nodes: every input produced, a graph input or an initializer, " +
            std::string("topological order, unique names, opset imports and functions carried"));
    return out;
}

} // namespace

ExtractionPlan planSelection(const GraphIndex& graph, std::vector<int> instances, const std::string& label) {
    ExternalScope externalFiles;
    const Model& m = graph.model();
    std::vector<char> sel(graph.size(), 0);
    for (int i : instances)
        if (i >= 0 && static_cast<std::size_t>(i) < graph.size()) sel[static_cast<std::size_t>(i)] = 1;
    // A selected node brings its bodies.
    for (std::size_t i = 0; i < graph.size(); ++i) {
        int p = graph.instance(static_cast<int>(i)).parent;
        if (p >= 0 && sel[static_cast<std::size_t>(p)]) sel[i] = 1; // parents have lower indices
    }
    dropUnusedWeightCopies(graph, sel);
    ExtractionPlan plan;
    plan.graph = &graph;
    plan.modelPath = m.path;
    plan.label = label;
    for (std::size_t i = 0; i < graph.size(); ++i)
        if (sel[i]) plan.selected.push_back(static_cast<int>(i));
    if (plan.selected.empty()) throw Error(m.path + ": nothing to extract: " + label + " has no nodes");

    const std::vector<char> reads = nodesPlanningReads(graph, sel);
    Flattener flat(graph, sel, false, true, &reads);
    plan.expandedCalls = flat.expandedCalls;
    std::vector<Unit>& units = flat.units;

    std::unordered_map<std::string, int> producer;
    std::unordered_map<std::string, std::vector<int>> consumers;
    for (std::size_t u = 0; u < units.size(); ++u) {
        for (const auto& o : units[u].outputs)
            if (!o.empty()) producer.emplace(o, static_cast<int>(u));
        for (const auto& in : units[u].inputs)
            if (!in.empty()) consumers[in].push_back(static_cast<int>(u));
        for (const auto& in : units[u].outerRefs)
            consumers[in].push_back(static_cast<int>(u));
    }
    // Notes on whole nodes taken because part of their bodies is selected.
    for (const Unit& u : units) {
        if (!u.selected) continue;
        int i = u.instance;
        if (!flat.isSelected(i))
            plan.notes.push_back("node " + quoteInput(graph.key(i)) + " (" +
                                 quoteInput(graph.node(i).opType) +
                                 ") is included whole: nodes of its bodies are selected");
        else if (!graph.children(i).empty() && !flat.allDescendants(i) && !flat.isCall(i))
            plan.notes.push_back("node " + quoteInput(graph.key(i)) + " (" +
                                 quoteInput(graph.node(i).opType) +
                                 ") is included with all of its bodies, also nodes assigned elsewhere");
    }
    markCopiedConstants(graph, units, producer);
    std::unordered_set<std::string> seenIn, seenInit, seenOut;
    std::set<int> functions;
    for (std::size_t k = 0; k < units.size(); ++k) {
        const Unit& u = units[k];
        if (!u.selected && !u.copied) continue;
        PlannedNode pn;
        pn.instance = u.instance;
        pn.copiedConstant = u.copied;
        pn.inlined = u.call >= 0;
        pn.call = u.call;
        pn.inputs = u.inputs;
        pn.outputs = u.outputs;
        plan.nodes.push_back(pn);
        if (u.copied) ++plan.copiedConstants;
        collectFunctionsOfNode(m, graph.node(u.instance), functions);
        std::vector<std::pair<std::string, bool>> uses;
        for (const auto& in : u.inputs)
            uses.emplace_back(in, false);
        for (const auto& in : u.outerRefs)
            uses.emplace_back(in, true);
        for (const auto& [name, outer] : uses) {
            if (name.empty()) continue;
            auto it = producer.find(name);
            if (it != producer.end()) {
                const Unit& p = units[static_cast<std::size_t>(it->second)];
                if (p.selected || p.copied) continue;
            }
            int t = graph.findTensor(name);
            bool isInit = it == producer.end() && t >= 0 && graph.tensor(t).initializer;
            if (isInit) {
                if (seenInit.insert(name).second) {
                    plan.initializers.push_back(name);
                    plan.weightBytes += graph.tensor(t).init->byteSize();
                }
                continue;
            }
            if (!seenIn.insert(name).second) continue;
            BoundaryTensor b;
            b.name = name;
            b.graphInput = t >= 0 && graph.tensor(t).graphInput;
            plan.inputs.push_back(b);
            if (outer) plan.outerInputs.push_back(name);
        }
    }
    for (const Unit& u : units) {
        if (!u.selected) continue;
        for (const auto& o : u.outputs) {
            if (o.empty() || seenOut.count(o)) continue;
            int t = graph.findTensor(o);
            bool isGraphOutput = t >= 0 && graph.tensor(t).graphOutput;
            bool outside = false;
            auto it = consumers.find(o);
            if (it != consumers.end())
                for (int c : it->second)
                    if (!units[static_cast<std::size_t>(c)].selected) outside = true;
            if (!isGraphOutput && !outside) {
                TensorType type;
                if (declaredType(graph, o, type)) plan.valueInfo.push_back(o);
                continue;
            }
            seenOut.insert(o);
            BoundaryTensor b;
            b.name = o;
            b.graphOutput = isGraphOutput;
            plan.outputs.push_back(b);
        }
    }
    plan.functions.assign(functions.begin(), functions.end());
    if (plan.outputs.empty())
        throw Error(m.path + ": nothing to extract: " + label +
                    " computes no tensor used outside it and no graph output");

    // Types: declared ones, checked against shape inference on the fully inlined program (ONNX 1.12
    // infers no shapes through local function calls, and flat names do not depend on which calls are
    // inlined). Inference completes declared types without a shape (the checker wants one on every
    // graph input and output) and replaces declared types that contradict the producing node.
    // Only what lies upstream of the selection is inferred: inference runs forward, so the selection's
    // tensors get the types the whole model would give them, and an early layer of a deep model is
    // planned without inferring the layers after it.
    std::string problem;
    const std::vector<char> cone = upstreamCone(graph, plan.selected);
    Flattener inlined(graph, std::vector<char>(graph.size(), 1), true, true, &cone);
    auto inferred = inferTypes(graph, inlined, problem);
    // The library's messages quote node names raw: cut, then escape what is not UTF-8.
    if (problem.size() > 400) problem = problem.substr(0, 400) + "...";
    problem = utf8Escaped(problem);
    plan.inferenceProblem = problem;
    std::vector<std::string> unknown, shapeless, contradicted;
    for (auto* list : {&plan.inputs, &plan.outputs})
        for (auto& b : *list) {
            bool declared = declaredType(graph, b.name, b.type);
            auto it = inferred.find(b.name);
            bool haveInferred = it != inferred.end();
            if (declared && haveInferred && !compatible(b.type, it->second)) {
                contradicted.push_back(quoteInput(b.name) + " (declared " + formatType(b.type) +
                                       ", computed " + formatType(it->second) + ")");
                b.type = it->second;
                b.inferred = true;
            } else if ((!declared || !b.type.hasShape) && haveInferred &&
                       (it->second.hasShape || b.type.elemType == 0)) {
                b.type = it->second;
                b.inferred = true;
            }
            if (b.type.elemType == 0) {
                unknown.push_back(quoteInput(b.name));
                if (plan.blocker.empty()) plan.blocker = unknownTypeReason(graph, b.name, inferred, problem);
            } else if (!b.type.hasShape) {
                shapeless.push_back(quoteInput(b.name));
            }
        }
    std::vector<std::string> kept;
    for (const auto& name : plan.valueInfo) {
        TensorType declared;
        declaredType(graph, name, declared);
        auto it = inferred.find(name);
        if (it == inferred.end() || compatible(declared, it->second)) kept.push_back(name);
    }
    plan.valueInfo = std::move(kept);
    auto listText = [](const std::vector<std::string>& names) {
        std::string list;
        for (std::size_t k = 0; k < names.size() && k < 5; ++k)
            list += (k ? ", " : "") + names[k];
        return list;
    };
    if (!contradicted.empty())
        plan.notes.push_back("the source declares types its nodes do not compute for " +
                             std::to_string(contradicted.size()) +
                             " boundary tensor(s), the computed ones are used: " + listText(contradicted));
    if (!unknown.empty())
        plan.notes.push_back("no element type known for " + std::to_string(unknown.size()) +
                             " boundary tensor(s): " + listText(unknown) + "; it cannot be written");
    if (!shapeless.empty())
        plan.notes.push_back(std::to_string(shapeless.size()) +
                             " boundary tensor(s) written without a shape " +
                             "(element type known, rank not): " + listText(shapeless) +
                             "; valid ONNX, which ONNX Runtime accepts");
    plan.checking = checkingSummary(graph, plan);
    if (!plan.checking.empty()) {
        std::unordered_set<std::string> boundary;
        for (const auto* list : {&plan.inputs, &plan.outputs})
            for (const auto& b : *list)
                boundary.insert(b.name);
        for (const auto& pn : plan.nodes)
            for (const auto& o : pn.outputs) {
                auto it = inferred.find(o);
                if (o.empty() || boundary.count(o) || it == inferred.end()) continue;
                BoundaryTensor b;
                b.name = o;
                b.type = it->second;
                b.inferred = true;
                plan.internalTypes.push_back(std::move(b));
            }
    }
    return plan;
}

ExtractionPlan planExtraction(const GraphIndex& graph, const Hierarchy& hierarchy, const std::string& named) {
    const Model& m = graph.model();
    const ModuleLookup lookup = lookupModule(hierarchy, named);
    const int module = lookup.module;
    if (module < 0) throw Error(m.path + ": " + lookupProblem(hierarchy, named, lookup));
    const std::string& scope = hierarchy.modules[static_cast<std::size_t>(module)].scope;
    std::vector<int> instances;
    for (std::size_t i = 0; i < graph.size() && i < hierarchy.assignments.size(); ++i)
        if (hierarchy.isAncestorOrSelf(module, hierarchy.assignments[i].module))
            instances.push_back(static_cast<int>(i));
    const Module& mod = hierarchy.modules[static_cast<std::size_t>(module)];
    std::string label = scope.empty() ? std::string("the root module") : "module " + quoteInput(scope);
    if (instances.empty()) throw Error(m.path + ": nothing to extract: " + label + " has no nodes");
    ExtractionPlan plan = planSelection(graph, std::move(instances), label);
    plan.scope = scope;
    plan.fromModule = true;
    plan.modulePath = mod.path;
    plan.moduleClass = mod.className;
    return plan;
}

ExtractionPlan planExtraction(const GraphIndex& graph, const std::vector<std::string>& nodeKeys) {
    const Model& m = graph.model();
    std::vector<int> instances;
    for (const auto& key : nodeKeys) {
        int i = graph.find(key);
        if (i < 0) throw Error(m.path + ": no node with key " + quoteInput(key));
        instances.push_back(i);
    }
    if (instances.empty()) throw Error(m.path + ": nothing to extract: no node keys given");
    std::string label =
        nodeKeys.size() == 1 ? "node " + quoteInput(nodeKeys[0]) : std::to_string(nodeKeys.size()) + " nodes";
    return planSelection(graph, std::move(instances), label);
}

} // namespace hs
