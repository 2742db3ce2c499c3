#include "extract/extracted_sidecar.h"

#include "extract/extract.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "model/model.h"
#include "sidecar/discovery.h"
#include "sidecar/sidecar.h"

#include <filesystem>
#include <vector>

namespace hs {
namespace {

// The source instance each instance of the written model was copied from (-1 when unknown). Main-graph
// nodes follow the plan in order; nodes of bodies (If/Loop/Scan, functions) are found by the same
// position under the same parent, since bodies are copied whole.
std::vector<int> sourceInstances(const GraphIndex& written, const ExtractionPlan& plan) {
    const GraphIndex& source = *plan.graph;
    std::vector<int> from(written.size(), -1);
    auto match = [&](int mine, int theirs) {
        if (theirs >= 0 && source.node(theirs).opType == written.node(mine).opType)
            from[static_cast<std::size_t>(mine)] = theirs;
    };
    for (std::size_t i = 0; i < written.mainCount() && i < plan.nodes.size(); ++i)
        match(static_cast<int>(i), plan.nodes[i].instance);
    for (std::size_t i = 0; i < written.size(); ++i) { // a parent is matched before its children
        const int s = from[i];
        if (s < 0) continue;
        const IndexSpan mine = written.children(static_cast<int>(i)), theirs = source.children(s);
        for (std::size_t k = 0; k < mine.size() && k < theirs.size(); ++k)
            match(mine[k], theirs[k]);
    }
    return from;
}

} // namespace

std::string writeExtractionSidecar(const ExtractionPlan& plan, const Hierarchy& hierarchy,
                                   const std::string& outputPath) {
    const GraphIndex written(loadModel(outputPath));
    const std::vector<int> from = sourceInstances(written, plan);
    const Sidecar whole = makeSidecar(*plan.graph, hierarchy);

    Sidecar sidecar;
    sidecar.format = "1.1";
    sidecar.onnxModel = std::filesystem::path(outputPath).filename().string();
    sidecar.modelDigest = modelDigest(written);
    std::vector<bool> used(hierarchy.modules.size(), false);
    for (std::size_t i = 0; i < written.size(); ++i) {
        const int s = from[i];
        if (s < 0) continue;
        SidecarEntry e = whole.entries[static_cast<std::size_t>(s)];
        e.key = written.key(static_cast<int>(i));
        sidecar.entries.push_back(std::move(e));
        for (int m = hierarchy.assignments[static_cast<std::size_t>(s)].module;
             m >= 0 && !used[static_cast<std::size_t>(m)];
             m = hierarchy.modules[static_cast<std::size_t>(m)].parent)
            used[static_cast<std::size_t>(m)] = true;
    }
    for (std::size_t m = 0; m < hierarchy.modules.size(); ++m)
        if (used[m]) sidecar.modules.push_back(whole.modules[m]);
    const std::string path = defaultSidecarPath(outputPath);
    writeSidecar(path, sidecar);
    return path;
}

} // namespace hs
