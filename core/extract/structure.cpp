// Our structural check of an extracted model (internal.h): what the ONNX checker verifies of a graph's
// structure, done for every node, including those the linked library has no schema for (contrib ops,
// ops of opsets newer than it knows), which its checker skips.
#include "extract/internal.h"

#include "common/display_text.h"

#include <set>
#include <unordered_set>

namespace hs::extraction {

namespace {

std::string nodeText(const onnx::NodeProto& n) {
    std::string op = (n.domain().empty() ? std::string() : n.domain() + ".") + n.op_type();
    return "node " + quoteInput(n.name().empty() ? std::string("(unnamed)") : n.name()) + " (" +
           quoteInput(op) + ")";
}

// `available`: the names of enclosing scopes. Bodies see them and their own inputs and initializers.
std::string graphProblem(const onnx::GraphProto& g, std::unordered_set<std::string> available,
                         const std::set<std::string>& domains, bool main) {
    std::unordered_set<std::string> own;
    auto define = [&](const std::string& name, const std::string& what) -> std::string {
        if (name.empty()) return {};
        if (!own.insert(name).second)
            return "tensor " + quoteInput(name) + " is defined twice (" + what + ")";
        available.insert(name);
        return {};
    };
    for (const auto& vi : g.input())
        if (auto p = define(vi.name(), "graph input"); !p.empty() && main) return p;
    for (const auto& t : g.initializer())
        if (!own.count(t.name()))
            if (auto p = define(t.name(), "initializer"); !p.empty()) return p;
    for (const auto& n : g.node()) {
        if (!domains.count(n.domain() == "ai.onnx" ? std::string() : n.domain()))
            return nodeText(n) + ": its domain has no opset import";
        for (const auto& in : n.input())
            if (!in.empty() && !available.count(in))
                return nodeText(n) + " reads " + quoteInput(in) +
                       ", which no earlier node produces and which is no graph input or initializer";
        for (const auto& a : n.attribute()) {
            if (a.has_g())
                if (auto p = graphProblem(a.g(), available, domains, false); !p.empty())
                    return nodeText(n) + ", body " + quoteInput(a.name()) + ": " + p;
            for (const auto& body : a.graphs())
                if (auto p = graphProblem(body, available, domains, false); !p.empty())
                    return nodeText(n) + ", body " + quoteInput(a.name()) + ": " + p;
        }
        for (const auto& out : n.output())
            if (auto p = define(out, "output of " + nodeText(n)); !p.empty()) return p;
    }
    for (const auto& vi : g.output())
        if (!available.count(vi.name()))
            return "graph output " + quoteInput(vi.name()) + " is produced by no node and is no input";
    return {};
}

} // namespace

std::string structureProblem(const onnx::ModelProto& mp) {
    std::set<std::string> domains;
    for (const auto& op : mp.opset_import())
        domains.insert(op.domain() == "ai.onnx" ? std::string() : op.domain());
    std::string p = graphProblem(mp.graph(), {}, domains, true);
    if (!p.empty()) return p;
    for (const auto& fn : mp.functions()) {
        std::set<std::string> fnDomains = domains; // a body may call the model's local functions
        for (const auto& op : fn.opset_import())
            fnDomains.insert(op.domain() == "ai.onnx" ? std::string() : op.domain());
        onnx::GraphProto body;
        for (const auto& in : fn.input())
            body.add_input()->set_name(in);
        *body.mutable_node() = fn.node();
        for (const auto& out : fn.output())
            body.add_output()->set_name(out);
        if (auto q = graphProblem(body, {}, fnDomains, true); !q.empty())
            return "function " + quoteInput(fn.name()) + ": " + q;
    }
    return {};
}

} // namespace hs::extraction
