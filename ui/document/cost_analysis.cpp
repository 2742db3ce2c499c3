#include "document/cost_analysis.h"

#include "graph/graph.h"
#include "hierarchy/hierarchy.h"

namespace hs::ui {

std::shared_ptr<CostAnalysis> analyseCost(const GraphIndex& graph) {
    auto analysis = std::make_shared<CostAnalysis>();
    // Costs need concrete shapes: the inputs' symbolic dims bound to 1 let data propagation compute
    // what symbols stop (the CLI's `cost` without --dim does the same).
    const DimBindings ones;
    TensorTypes bound;
    try {
        analysis->types = inferTensorTypes(graph);
        bound = inferTensorTypes(graph, &ones);
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
