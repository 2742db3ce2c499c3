// Model loader + GraphIndex + hierarchy inference on arbitrary bytes: a malformed model must give
// hs::Error (a message naming the file), never a crash, a sanitizer report or another exception type.
// Differential: the loader's other ways of reading (two threads, with buffers so small that fields
// cross their ends) must read the same model or fail with the same message, and an index whose keys
// another thread made must hold the same keys; anything else aborts.
#include "fuzz_support.h"

#include "../tests/core/model_text.h"
#include "common/error.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"

#include <cstdlib>
#include <iterator>
#include <limits>

namespace {

std::string readAs(const std::string& path, const hs::LoadOptions& options) {
    try {
        return hstest::describe(*hs::loadModel(path, options));
    } catch (const hs::Error& e) {
        return std::string("error: ") + e.what();
    }
}

// One other way per input (chosen by its size), against one thread through the mapping.
void expectOtherReadingsAgree(const std::string& path, std::size_t size) {
    // The last two: the nodes in chunks of 1 and 2, parsed by both threads (NodeChunks), the other
    // thread before the loader starts in the last.
    static const hs::LoadOptions kOtherWays[] = {
        {1}, {1, 24}, {1, 300}, {1, std::size_t{2} << 20, 1}, {1, 300, 2, true}};
    const std::string one = readAs(path, {std::numeric_limits<std::size_t>::max(), 0});
    if (readAs(path, kOtherWays[size % std::size(kOtherWays)]) != one) std::abort();
}

void expectThreadedKeysAgree(const hs::GraphIndex& graph) {
    // Function fans near the instance budget take a minute each under ASan: indexed once is enough.
    if (graph.size() > 65536) return;
    const hs::GraphIndex threaded(graph.modelPtr(), 1);
    if (threaded.size() != graph.size()) std::abort();
    for (int i = 0; i < static_cast<int>(graph.size()); ++i)
        if (threaded.key(i) != graph.key(i) || threaded.find(graph.key(i)) != graph.find(graph.key(i)))
            std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    hs::fuzz::withAnalysedModel(
        data, size, [](const std::string&, const hs::GraphIndex& graph, const hs::Hierarchy& hierarchy) {
            expectThreadedKeysAgree(graph);
            for (std::size_t i = 0; i < graph.size() && i < 8; ++i) {
                (void)hierarchy.explain(graph, static_cast<int>(i));
                (void)hierarchy.deeperCandidates(graph, static_cast<int>(i));
            }
        });
    expectOtherReadingsAgree(hs::fuzz::writeInput(data, size, ".onnx"), size);
    return 0;
}
