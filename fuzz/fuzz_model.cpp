// Model loader + GraphIndex + hierarchy inference on arbitrary bytes: a malformed model must give
// hs::Error (a message naming the file), never a crash, a sanitizer report or another exception type.
#include "fuzz_support.h"

#include "error.h"
#include "graph.h"
#include "hierarchy.h"
#include "model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string path = hs::fuzz::writeInput(data, size, ".onnx");
    try {
        auto model = hs::loadModel(path);
        hs::GraphIndex graph(model);
        hs::Hierarchy hierarchy = hs::inferHierarchy(graph);
        for (std::size_t i = 0; i < graph.size() && i < 8; ++i)
            (void)hierarchy.explain(graph, static_cast<int>(i));
    } catch (const hs::Error&) {
    }
    return 0;
}
