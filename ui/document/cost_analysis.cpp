#include "document/cost_analysis.h"

#include "common/huge_pages.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"

#include <future>
#include <thread>
#include <unistd.h>

namespace hs::ui {

namespace {

// Whether the two inferences may run side by side: a second core, and memory for a second inference
// program with room to spare. Side by side, deep-1000's (126k nodes) took 1.15-1.24 s instead of
// 1.59-1.67 s and peaked at 771-785 MB instead of 581 MB: about 1.6 KB more per node, counted here at
// 4 KB, against a quarter of the memory free now.
bool inferSideBySide(const GraphIndex& graph) {
    if (std::thread::hardware_concurrency() < 2) return false;
    const long pages = ::sysconf(_SC_AVPHYS_PAGES), pageSize = ::sysconf(_SC_PAGESIZE);
    if (pages <= 0 || pageSize <= 0) return false;
    constexpr double kBytesPerNode = 4096;
    return static_cast<double>(graph.size()) * kBytesPerNode <
           static_cast<double>(pages) * static_cast<double>(pageSize) / 4;
}

} // namespace

std::shared_ptr<CostAnalysis> analyseCost(const GraphIndex& graph) {
    adviseHugePagesForThisThread(); // a pool thread's arena (common/huge_pages.h)
    auto analysis = std::make_shared<CostAnalysis>();
    // Costs need concrete shapes: the inputs' symbolic dims bound to 1 let data propagation compute
    // what symbols stop (the CLI's `cost` without --dim does the same).
    const DimBindings ones;
    TensorTypes bound;
    try {
        // The two inferences share nothing but the index: the one with dims bound (what the costs need)
        // runs on another thread while this one keeps the symbols, when there is room (inferSideBySide).
        const auto policy = inferSideBySide(graph) ? std::launch::async : std::launch::deferred;
        // A future of std::async waits for its task when it goes, also when this one throws: the task
        // reads the index, which the caller may free next.
        auto boundTypes = std::async(policy, [&graph, &ones] {
            adviseHugePagesForThisThread();
            return inferTensorTypes(graph, &ones);
        });
        analysis->types = inferTensorTypes(graph);
        bound = boundTypes.get();
    } catch (const std::exception& e) {
        // A part of the file inference cannot even be handed (a node that does not parse): what the
        // file declares is still shown, and the costs it allows.
        analysis->types = declaredTensorTypes(graph);
        analysis->types.problem = e.what();
        bound = analysis->types;
    }
    analysis->cost.nodes.reserve(graph.size());
    for (int i = 0; i < static_cast<int>(graph.size()); ++i)
        analysis->cost.nodes.push_back(nodeCost(graph, bound, i, ones));
    return analysis;
}

} // namespace hs::ui
