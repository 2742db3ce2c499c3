// The sidecar reader, then the check against a fixture model and inference with the sidecar as
// evidence when the check accepts it: hs::Error or success, nothing else.
#include "fuzz_support.h"

#include "common/error.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "model/model.h"
#include "sidecar/sidecar.h"

namespace {

const hs::GraphIndex& fixtureGraph() {
    static const hs::GraphIndex graph(hs::loadModel(HS_FUZZ_MODEL));
    return graph;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const hs::GraphIndex& graph = fixtureGraph();
    std::string path = hs::fuzz::writeInput(data, size, ".json");
    try {
        hs::Sidecar sidecar = hs::readSidecar(path);
        hs::SidecarCheck check = hs::checkSidecar(graph, sidecar);
        if (check.applicable) (void)hs::inferHierarchy(graph, &sidecar);
    } catch (const hs::Error&) {
    }
    return 0;
}
