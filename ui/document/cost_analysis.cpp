#include "document/cost_analysis.h"

#include "graph/graph.h"
#include "hierarchy/hierarchy.h"

#include <future>

namespace hs::ui {

std::shared_ptr<CostAnalysis> analyseCost(const GraphIndex& graph) {
    auto analysis = std::make_shared<CostAnalysis>();
    // Costs need concrete shapes: the inputs' symbolic dims bound to 1 let data propagation compute
    // what symbols stop (the CLI's `cost` without --dim does the same).
    const DimBindings ones;
    TensorTypes bound;
    try {
        // The two inferences share only the index, which is read-only: on a second core the bound one
        // runs beside the other (the background analysis of a 130k-node model took the sum of both);
        // without a thread to spare, it runs in get().
        auto boundTypes = std::async(std::launch::async | std::launch::deferred,
                                     [&] { return inferTensorTypes(graph, &ones); });
        TensorTypes symbolic;
        try {
            symbolic = inferTensorTypes(graph);
        } catch (...) {
            boundTypes.wait(); // it reads `graph`; its own exception, if any, is dropped with the future
            throw;
        }
        bound = boundTypes.get();
        analysis->types = std::move(symbolic);
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
