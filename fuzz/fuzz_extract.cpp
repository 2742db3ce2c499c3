// Extraction planning on arbitrary models: load, infer, then plan the first module with nodes below the
// root and a selection of the first few nodes, and write that selection (ONNX checker and strict shape
// inference included). Planning runs ONNX's shape inference (with data propagation) on the whole flat
// program: this is where a hostile graph meets the ONNX library.
#include "fuzz_support.h"

#include "common/error.h"
#include "extract/extract.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"

namespace {

void planFirstModule(const hs::GraphIndex& graph, const hs::Hierarchy& hierarchy) {
    for (std::size_t m = 1; m < hierarchy.modules.size(); ++m)
        if (hierarchy.modules[m].totalNodes > 0) {
            try {
                (void)hs::planExtraction(graph, hierarchy, hierarchy.modules[m].scope);
            } catch (const hs::Error&) {
            }
            return;
        }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    hs::fuzz::withAnalysedModel(
        data, size, [](const std::string& path, const hs::GraphIndex& graph, const hs::Hierarchy& hierarchy) {
            planFirstModule(graph, hierarchy);
            std::vector<int> first;
            for (std::size_t i = 0; i < graph.size() && i < 3; ++i)
                first.push_back(static_cast<int>(i));
            hs::ExtractionPlan plan = hs::planSelection(graph, first, "the first nodes");
            if (!plan.outputs.empty()) (void)hs::extractModel(plan, path + ".out.onnx");
        });
    return 0;
}
