#pragma once
// What flows and what it costs, for the opened model (core/analysis/): tensor types, per-node MACs and
// activation memory, summed per module, and a loaded ONNX Runtime profile. The types and node costs are
// computed once on a worker thread after the model is shown; module sums are redone after re-tagging.
#include "analysis/cost.h"
#include "analysis/profile.h"
#include "analysis/tensor_types.h"

#include <memory>
#include <vector>

namespace hs {
class GraphIndex;
struct Hierarchy;
} // namespace hs

namespace hs::ui {

struct CostAnalysis {
    TensorTypes types; // for display: symbolic dims kept ("batch")
    CostReport cost;   // node costs with symbolic dims = 1; module sums follow the hierarchy
};

// Runs on a worker thread: reads only the graph index (immutable after loading).
std::shared_ptr<CostAnalysis> analyseCost(const GraphIndex& graph);

struct ProfileTimes {
    std::shared_ptr<const Profile> profile;
    std::vector<ModuleTime> modules; // per module; redone after re-tagging
};

} // namespace hs::ui
