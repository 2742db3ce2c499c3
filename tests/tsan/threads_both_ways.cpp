// Under ThreadSanitizer (tests/run_all.sh builds it with -DHIERSCOPE_TSAN=ON): the code that starts threads
// of its own, on every fixture and vendored model and on cuts of one. The loader's second thread (counting
// the nodes, reading what follows them) and the index's key thread are made to run on small models by
// lowering their thresholds to one node (the keys then asked for by two threads at once); each way of reading
// must give the same model or the same error as one thread through the mapping. Only core/model, core/graph
// and core/common are built with the sanitizer: no uninstrumented library runs inside these threads.
#include "common/error.h"
#include "graph/graph.h"
#include "model/model.h"
#include "model_text.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string readAs(const std::string& path, const hs::LoadOptions& options) {
    try {
        auto model = hs::loadModel(path, options);
        const hs::GraphIndex threaded(model, 1), inLine(model, std::numeric_limits<std::size_t>::max());
        // Two threads ask for the keys at once: the first to ask takes them from the thread making them.
        int foundElsewhere = 0;
        std::thread finder([&] {
            for (int i = 0; i < static_cast<int>(inLine.size()); ++i)
                foundElsewhere += threaded.find(inLine.key(i)) >= 0;
        });
        std::string keysDiffer;
        for (int i = 0; i < static_cast<int>(inLine.size()) && keysDiffer.empty(); ++i)
            if (threaded.key(i) != inLine.key(i)) keysDiffer = "keys differ at instance " + std::to_string(i);
        finder.join();
        if (!keysDiffer.empty()) return keysDiffer;
        if (foundElsewhere != static_cast<int>(inLine.size()))
            return "a key was not found from another thread";
        // The inputs hashed by the other thread resolve as the ones hashed in line.
        for (int i = 0; i < static_cast<int>(inLine.size()); ++i)
            if (!std::equal(threaded.inputs(i).begin(), threaded.inputs(i).end(), inLine.inputs(i).begin(),
                            inLine.inputs(i).end()))
                return "inputs differ at instance " + std::to_string(i);
        return hstest::describe(*model);
    } catch (const hs::Error& e) {
        return std::string("error: ") + e.what();
    }
}

// Every way of reading against one thread through the mapping; false (and a line) on a difference.
bool readsAlike(const std::string& path) {
    // The nodes also in chunks of 1 and 2, parsed by both threads at once (NodeChunks).
    const hs::LoadOptions ways[] = {{1}, {1, 24}, {1, 300}, {1, std::size_t{2} << 20, 1}, {1, 300, 2}};
    const std::string one = readAs(path, {std::numeric_limits<std::size_t>::max(), 0});
    for (const hs::LoadOptions& way : ways)
        if (readAs(path, way) != one) {
            std::printf("DIFFERENT: %s with buffers of %zu bytes, chunks of %zu nodes\n", path.c_str(),
                        way.readBufferBytes, way.nodesPerChunk);
            return false;
        }
    return true;
}

} // namespace

int main() {
    std::vector<std::string> paths;
    for (const char* folder : {HS_FIXTURES, HS_TEST_MODELS})
        for (const auto& e : std::filesystem::recursive_directory_iterator(folder))
            if (e.path().extension() == ".onnx") paths.push_back(e.path().string());
    // Cut anywhere: the count, the loader and the rest meet their errors on different threads.
    const std::string source = std::string(HS_FIXTURES) + "/bert_like_op17.onnx";
    std::ifstream in(source, std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const std::filesystem::path cuts = std::filesystem::temp_directory_path() / "hierscope-tsan-cuts";
    std::filesystem::create_directories(cuts);
    for (std::size_t k = 1; k < 40; ++k) {
        const std::string path = (cuts / ("cut" + std::to_string(k) + ".onnx")).string();
        std::ofstream(path, std::ios::binary) << bytes.substr(0, bytes.size() * k / 40);
        paths.push_back(path);
    }
    int different = 0;
    for (const std::string& path : paths)
        different += !readsAlike(path);
    std::filesystem::remove_all(cuts);
    std::printf("%zu files read in 4 ways each, %d read differently\n", paths.size(), different);
    return different == 0 && paths.size() > 70 ? 0 : 1;
}
