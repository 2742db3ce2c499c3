#include "fuzz_support.h"

#include "common/error.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "model/model.h"

#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

namespace hs::fuzz {

namespace {

// One folder per process, on tmpfs when there is one: the loaders map files, they never read memory.
const std::string& inputFolder() {
    static const std::string folder = [] {
        std::string base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        std::string pattern = base + "/hs-fuzz-XXXXXX";
        if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary folder");
        return pattern;
    }();
    return folder;
}

} // namespace

std::string writeInput(const std::uint8_t* data, std::size_t size, const char* suffix) {
    std::string path = inputFolder() + "/input" + suffix;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) std::abort();
    std::size_t done = 0;
    while (done < size) {
        ssize_t n = ::write(fd, data + done, size - done);
        if (n <= 0) std::abort();
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return path;
}

void withAnalysedModel(
    const std::uint8_t* data, std::size_t size,
    const std::function<void(const std::string&, const GraphIndex&, const Hierarchy&)>& use) {
    std::string path = writeInput(data, size, ".onnx");
    try {
        auto model = loadModel(path);
        GraphIndex graph(model);
        Hierarchy hierarchy = inferHierarchy(graph);
        use(path, graph, hierarchy);
    } catch (const Error&) {
    }
}

} // namespace hs::fuzz
