// ONNX Runtime profile traces (analysis/profile.*) on arbitrary bytes, matched against a fixture model:
// hs::Error or a profile, nothing else. And a differential check of the plain-JSON scanner
// (analysis/plain_json.h): whatever it reads, nlohmann's parser reads too, event for event.
#include "fuzz_support.h"

#include "../tests/cost/json_events.h"
#include "analysis/profile.h"
#include "common/error.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "model/model.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

struct Model {
    hs::GraphIndex graph{hs::loadModel(HS_FUZZ_MODEL)};
    hs::Hierarchy hierarchy = hs::inferHierarchy(graph);
};

const Model& fixture() {
    static const Model model;
    return model;
}

void scannerAgreesWithNlohmann(std::string_view text) {
    if (hstest::plainAgreesWithNlohmann(text)) return;
    std::fprintf(stderr, "plain_json::scan read what nlohmann reads otherwise\n");
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Model& model = fixture();
    scannerAgreesWithNlohmann(std::string_view(reinterpret_cast<const char*>(data), size));
    const std::string path = hs::fuzz::writeInput(data, size, ".json");
    try {
        const hs::Profile profile = hs::readProfile(path, model.graph);
        (void)hs::moduleTimes(profile, model.graph, model.hierarchy);
        (void)hs::unmatchedNote(profile);
    } catch (const hs::Error&) {
    }
    return 0;
}
