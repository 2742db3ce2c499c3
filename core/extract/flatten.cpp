// The flat program (extract.h): a selection's nodes with partly selected function calls inlined, and
// ONNX nodes rebuilt from it (renamed, attribute references resolved against the call).
#include "extract/internal.h"

#include "common/error.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"

#include <google/protobuf/unknown_field_set.h>

#include <unordered_set>

namespace hs::extraction {

// Names a graph (and the bodies nested in it) uses from its enclosing scopes.
namespace {

void outerReferences(const Model& m, int graphIndex, std::vector<std::string>& out) {
    const Graph& g = m.graphs[static_cast<std::size_t>(graphIndex)];
    std::unordered_set<std::string> defined;
    for (const auto& vi : g.inputs)
        defined.insert(vi.name);
    for (const auto& init : g.initializers)
        defined.insert(init.name);
    for (const auto& n : g.nodes)
        for (const auto& o : n.outputs)
            defined.emplace(o);
    std::unordered_set<std::string> seen;
    auto use = [&](std::string_view view) {
        if (view.empty()) return;
        std::string name(view);
        if (!defined.count(name) && seen.insert(name).second) out.push_back(name);
    };
    for (const auto& n : g.nodes) {
        for (const auto& in : n.inputs)
            use(in);
        for (const auto& a : n.attributes)
            for (int sub : a.subgraphs) {
                std::vector<std::string> inner;
                outerReferences(m, sub, inner);
                for (const auto& name : inner)
                    use(name);
            }
    }
    for (const auto& vi : g.outputs)
        use(vi.name);
}

} // namespace

std::vector<std::string> nodeOuterReferences(const Model& m, const Node& n) {
    std::vector<std::string> out;
    std::unordered_set<std::string> seen;
    for (const auto& a : n.attributes)
        for (int sub : a.subgraphs) {
            std::vector<std::string> inner;
            outerReferences(m, sub, inner);
            for (const auto& name : inner)
                if (seen.insert(name).second) out.push_back(name);
        }
    return out;
}

Flattener::Flattener(const GraphIndex& g, std::vector<char> selected, bool expandAll, bool unitNames,
                     const std::vector<char>* within)
    : g_(g), m_(g.model()), sel_(std::move(selected)), unitNames_(unitNames), partial_(within != nullptr) {
    std::size_t n = g_.size();
    any_.assign(n, 0);
    all_.assign(n, 1);
    for (std::size_t k = n; k-- > 0;) {
        int i = static_cast<int>(k);
        for (int c : g_.children(i)) {
            std::size_t cc = static_cast<std::size_t>(c);
            if (sel_[cc] || any_[cc]) any_[k] = 1;
            if (!sel_[cc] || !all_[cc]) all_[k] = 0;
        }
    }
    expand_.assign(n, 0);
    for (std::size_t k = 0; k < n; ++k) {
        int i = static_cast<int>(k);
        if (!isCall(i) || g_.children(i).empty()) continue;
        expand_[k] = expandAll ? 1 : (any_[k] && !(sel_[k] && all_[k]));
    }
    units.reserve(n);
    // Source order, made topological where the source is not (some converters write unsorted graphs).
    for (int i : g_.topologicalOrder())
        if (!within || (*within)[static_cast<std::size_t>(i)]) walk(i);
}

std::vector<char> upstreamCone(const GraphIndex& g, const std::vector<int>& starts) {
    std::vector<char> in(g.size(), 0);
    std::vector<int> todo;
    auto add = [&](int i) {
        if (i < 0 || in[static_cast<std::size_t>(i)]) return;
        in[static_cast<std::size_t>(i)] = 1;
        todo.push_back(i);
    };
    for (int i : starts)
        add(i);
    while (!todo.empty()) {
        const int i = todo.back();
        todo.pop_back();
        add(g.instance(i).parent);
        for (int c : g.children(i))
            add(c);
        for (int t : g.inputs(i))
            add(g.tensor(t).producer); // a body's names of an enclosing graph too: the index links them
    }
    return in;
}

void markWithOwners(const GraphIndex& g, int i, std::vector<char>& marks) {
    for (; i >= 0 && !marks[static_cast<std::size_t>(i)]; i = g.instance(i).parent)
        marks[static_cast<std::size_t>(i)] = 1;
}

bool Flattener::isCall(int i) const {
    const Node& n = g_.node(i);
    return m_.findFunction(n.domain, n.opType) >= 0;
}

std::string Flattener::flatName(int i, std::string_view local) const {
    if (local.empty()) return {};
    int p = g_.instance(i).parent;
    if (p < 0 || !expanded(p)) return std::string(local);
    const Node& call = g_.node(p);
    const Function& fn = m_.functions[static_cast<std::size_t>(m_.findFunction(call.domain, call.opType))];
    for (std::size_t k = 0; k < fn.inputs.size(); ++k)
        if (fn.inputs[k] == local)
            return k < call.inputs.size() ? flatName(p, call.inputs[k]) : std::string();
    for (std::size_t k = 0; k < fn.outputs.size(); ++k)
        if (fn.outputs[k] == local && k < call.outputs.size() && !call.outputs[k].empty())
            return flatName(p, call.outputs[k]);
    std::string flat = g_.key(p) + "::";
    return flat.append(local);
}

void Flattener::walk(int i) {
    if (expanded(i)) {
        expandedCalls.push_back(i);
        for (int c : g_.children(i))
            walk(c);
        return;
    }
    Unit u;
    u.instance = i;
    u.selected = sel_[static_cast<std::size_t>(i)] || any_[static_cast<std::size_t>(i)];
    int p = g_.instance(i).parent;
    u.call = p >= 0 && expanded(p) ? p : -1;
    if (!unitNames_ && u.call < 0) {
        units.push_back(std::move(u));
        return;
    }
    const Node& n = g_.node(i);
    for (const auto& in : n.inputs)
        u.inputs.push_back(flatName(i, in));
    for (const auto& out : n.outputs)
        u.outputs.push_back(flatName(i, out));
    for (const auto& name : nodeOuterReferences(m_, n)) {
        std::string flat = flatName(i, name);
        u.outerRefs.push_back(flat);
        if (u.call >= 0 && flat != name) u.outerRenames.emplace_back(name, flat);
    }
    units.push_back(std::move(u));
}

void AttributeResolver::resolve(onnx::NodeProto& node, int call) {
    if (call < 0) return;
    const onnx::NodeProto& caller = callNode(call);
    auto* attrs = node.mutable_attribute();
    for (int k = 0; k < attrs->size();) {
        onnx::AttributeProto& a = (*attrs)[k];
        if (a.ref_attr_name().empty()) {
            ++k;
            continue;
        }
        const onnx::AttributeProto* value = nullptr;
        for (const auto& ca : caller.attribute())
            if (ca.name() == a.ref_attr_name()) value = &ca;
        if (!value) value = defaultAttribute(call, a.ref_attr_name());
        if (!value) {
            attrs->DeleteSubrange(k, 1); // not given by the caller: the attribute is absent
            continue;
        }
        std::string name = a.name();
        a = *value;
        a.set_name(name);
        ++k;
    }
}

// FunctionProto.attribute_proto (field 11, IR 9: attributes with defaults) is unknown to ONNX 1.12's
// classes: read it from the unknown fields.
const onnx::AttributeProto* AttributeResolver::defaultAttribute(int call, const std::string& name) {
    const Model& m = g_.model();
    const Node& n = g_.node(call);
    int fn = m.findFunction(n.domain, n.opType);
    if (fn < 0) return nullptr;
    auto it = defaults_.find(fn);
    if (it == defaults_.end()) {
        std::vector<onnx::AttributeProto> list;
        const Function& f = m.functions[static_cast<std::size_t>(fn)];
        auto proto = parseSpan<onnx::FunctionProto>(m, f.span, "function", f.name);
        const auto& unknown = proto.GetReflection()->GetUnknownFields(proto);
        for (int k = 0; k < unknown.field_count(); ++k) {
            const auto& field = unknown.field(k);
            if (field.number() != 11 || field.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED)
                continue;
            onnx::AttributeProto a;
            if (a.ParseFromString(field.length_delimited())) list.push_back(std::move(a));
        }
        it = defaults_.emplace(fn, std::move(list)).first;
    }
    for (const auto& a : it->second)
        if (a.name() == name) return &a;
    return nullptr;
}

const onnx::NodeProto& AttributeResolver::callNode(int call) {
    auto it = cache_.find(call);
    if (it != cache_.end()) return it->second;
    const Model& m = g_.model();
    auto node = parseSpan<onnx::NodeProto>(m, g_.node(call).span, "node", g_.key(call));
    int parent = g_.instance(call).parent;
    if (parent >= 0 && flat_.expanded(parent)) resolve(node, parent);
    return cache_.emplace(call, std::move(node)).first->second;
}

namespace {

void renameOuter(onnx::GraphProto& graph, const std::unordered_map<std::string, std::string>& renames) {
    // Names defined in this body shadow nothing in valid (SSA) models: rename every use.
    for (auto& n : *graph.mutable_node()) {
        for (auto& in : *n.mutable_input()) {
            auto it = renames.find(in);
            if (it != renames.end()) in = it->second;
        }
        for (auto& a : *n.mutable_attribute()) {
            if (a.has_g()) renameOuter(*a.mutable_g(), renames);
            for (auto& sub : *a.mutable_graphs())
                renameOuter(sub, renames);
        }
    }
    for (auto& o : *graph.mutable_output()) {
        auto it = renames.find(o.name());
        if (it != renames.end()) o.set_name(it->second);
    }
}

} // namespace

onnx::NodeProto buildNode(const GraphIndex& g, const Unit& u, AttributeResolver& resolver) {
    onnx::NodeProto node;
    buildNodeInto(g, u, resolver, node);
    return node;
}

void buildNodeInto(const GraphIndex& g, const Unit& u, AttributeResolver& resolver, onnx::NodeProto& node) {
    parseSpanInto(g.model(), g.node(u.instance).span, "node", g.key(u.instance), node);
    if (u.call >= 0) {
        node.set_name(g.key(u.instance));
        node.clear_input();
        for (const auto& in : u.inputs)
            node.add_input(in);
        node.clear_output();
        for (const auto& out : u.outputs)
            node.add_output(out);
        resolver.resolve(node, u.call);
        if (!u.outerRenames.empty()) {
            std::unordered_map<std::string, std::string> renames(u.outerRenames.begin(),
                                                                 u.outerRenames.end());
            for (auto& a : *node.mutable_attribute()) {
                if (a.has_g()) renameOuter(*a.mutable_g(), renames);
                for (auto& sub : *a.mutable_graphs())
                    renameOuter(sub, renames);
            }
        }
    }
}

// Functions called (transitively) by the nodes of a graph and its bodies.
static void collectFunctions(const Model& m, int graphIndex, std::set<int>& out);
void collectFunctionsOfNode(const Model& m, const Node& n, std::set<int>& out) {
    int fn = m.findFunction(n.domain, n.opType);
    if (fn >= 0 && out.insert(fn).second)
        collectFunctions(m, m.functions[static_cast<std::size_t>(fn)].body, out);
    for (const auto& a : n.attributes)
        for (int sub : a.subgraphs)
            collectFunctions(m, sub, out);
}

static void collectFunctions(const Model& m, int graphIndex, std::set<int>& out) {
    if (graphIndex < 0) return;
    for (const auto& n : m.graphs[static_cast<std::size_t>(graphIndex)].nodes)
        collectFunctionsOfNode(m, n, out);
}

} // namespace hs::extraction
