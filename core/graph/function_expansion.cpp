// How many node instances expanding a model's local functions makes, counted before the index expands
// them (GraphIndex).
#include "graph/function_expansion.h"

#include "common/display_text.h"
#include "common/error.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace hs {

namespace {
// Node instances that expanding local functions may add to the nodes written in the file: about a
// million, as many as the biggest graphs opened today (1.3 M function instances take 20 s and 1.3 GB).
// torch's export_modules_as_functions adds a few per node written (bert_like_functions: 21 written,
// 300 in all); a 243-byte function calling itself 4 times would add 4^16.
constexpr std::uint64_t kMaxFunctionInstances = std::uint64_t{1} << 20;
// How many node instances the index will hold, counted before anything is expanded: per (graph,
// depth) as addGraph walks them (bodies one level down, function calls expanded above
// kMaxFunctionDepth), saturating at `limit`. Remembers the outermost function whose calls alone go
// past the limit.
class InstanceCount {
public:
    InstanceCount(const Model& model, std::uint64_t limit) : model_(model), limit_(limit) {
        // Model::findFunction searches the list: a map, so that thousands of functions cost no more.
        for (std::size_t f = 0; f < model.functions.size(); ++f)
            functions_.emplace(model.functions[f].domain + '\n' + model.functions[f].name,
                               static_cast<int>(f));
    }

    std::uint64_t of(int graph, int depth) {
        const std::uint64_t key = static_cast<std::uint64_t>(graph) << 32 | static_cast<std::uint32_t>(depth);
        if (auto it = memo_.find(key); it != memo_.end()) return it->second;
        std::uint64_t n = 0;
        for (const Node& node : model_.graphs[static_cast<std::size_t>(graph)].nodes) {
            n = add(n, 1);
            for (const auto& attr : node.attributes)
                for (int sub : attr.subgraphs)
                    n = add(n, of(sub, depth + 1));
            if (depth >= kMaxFunctionDepth) continue;
            key_.assign(node.domain).append(1, '\n').append(node.opType);
            const auto found = functions_.find(key_);
            if (found == functions_.end()) continue;
            const int fn = found->second;
            const std::uint64_t body = of(model_.functions[static_cast<std::size_t>(fn)].body, depth + 1);
            n = add(n, body);
            if (body >= limit_) culprit = fn; // outer calls are counted last: the outermost stays
        }
        return memo_[key] = n;
    }
    std::uint64_t add(std::uint64_t a, std::uint64_t b) const { return std::min(limit_, a + b); }

    int culprit = -1; // the function, -1 when no single one is past the limit

private:
    const Model& model_;
    const std::uint64_t limit_;
    std::unordered_map<std::uint64_t, std::uint64_t> memo_;
    std::unordered_map<std::string, int> functions_; // "domain\nname" -> the first of that name
    std::string key_;
};

} // namespace

void checkFunctionExpansion(const Model& model, std::size_t writtenNodes) {
    if (model.functions.empty()) return;
    const std::uint64_t limit = writtenNodes + kMaxFunctionInstances + 1;
    InstanceCount count(model, limit);
    const std::uint64_t total = count.of(0, 0);
    if (total < limit) return;
    const Function* f =
        count.culprit >= 0 ? &model.functions[static_cast<std::size_t>(count.culprit)] : nullptr;
    throw Error(model.path + ": " +
                (f ? "local function " + quoteInput(f->domain.empty() ? f->name : f->domain + "." + f->name)
                   : std::string("the local functions")) +
                " expands into more than " + std::to_string(limit - 1) +
                " node instances (each call copies its function's body); at most " +
                std::to_string(kMaxFunctionInstances) + " beyond the " + std::to_string(writtenNodes) +
                " nodes written in the file are supported");
}

} // namespace hs
