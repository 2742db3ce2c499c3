#include "document/cost_analysis.h"

#include "graph/graph.h"
#include "hierarchy/hierarchy.h"

#include <future>
#include <thread>

namespace hs::ui {

std::shared_ptr<CostAnalysis> analyseCost(const GraphIndex& graph) {
    auto analysis = std::make_shared<CostAnalysis>();
    // Costs need concrete shapes: the inputs' symbolic dims bound to 1 let data propagation compute
    // what symbols stop (the CLI's `cost` without --dim does the same).
    const DimBindings ones;
    TensorTypes bound;
    try {
        // The two inferences share nothing but the index: the one with dims bound (what the costs need)
        // runs on another thread while this one keeps the symbols (deep-1000: about 400 ms each).
        const auto policy =
            std::thread::hardware_concurrency() >= 2 ? std::launch::async : std::launch::deferred;
        auto boundTypes = std::async(policy, [&graph, &ones] { return inferTensorTypes(graph, &ones); });
        try {
            analysis->types = inferTensorTypes(graph);
        } catch (...) {
            if (policy == std::launch::async) boundTypes.wait(); // it reads the index, which may go next
            throw;
        }
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
