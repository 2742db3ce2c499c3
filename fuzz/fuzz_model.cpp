// Model loader + GraphIndex + hierarchy inference on arbitrary bytes: a malformed model must give
// hs::Error (a message naming the file), never a crash, a sanitizer report or another exception type.
#include "fuzz_support.h"

#include "graph/graph.h"
#include "hierarchy/hierarchy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    hs::fuzz::withAnalysedModel(
        data, size, [](const std::string&, const hs::GraphIndex& graph, const hs::Hierarchy& hierarchy) {
            for (std::size_t i = 0; i < graph.size() && i < 8; ++i) {
                (void)hierarchy.explain(graph, static_cast<int>(i));
                (void)hierarchy.deeperCandidates(graph, static_cast<int>(i));
            }
        });
    return 0;
}
