#include "sidecar/discovery.h"

#include "common/error.h"
#include "common/huge_pages.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <future>
#include <system_error>
#include <thread>

namespace hs {
namespace {

std::string withoutOnnxExtension(const std::string& modelPath) {
    const std::string ext = ".onnx";
    if (modelPath.size() <= ext.size()) return modelPath;
    const std::string tail = modelPath.substr(modelPath.size() - ext.size());
    const bool onnx = std::equal(tail.begin(), tail.end(), ext.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == b;
    });
    return onnx ? modelPath.substr(0, modelPath.size() - ext.size()) : modelPath;
}

} // namespace

std::vector<std::string> sidecarCandidates(const std::string& modelPath) {
    const std::string base = withoutOnnxExtension(modelPath);
    std::vector<std::string> names;
    for (const char* suffix : {".hierarchy.json", "_hierarchy.json", ".sidecar.json", "_sidecar.json",
                               "_seed_sidecar.json", "_htp_sidecar.json"})
        names.push_back(base + suffix);
    return names;
}

std::string findSidecarBeside(const std::string& modelPath) {
    std::error_code ec;
    for (const std::string& candidate : sidecarCandidates(modelPath))
        if (std::filesystem::is_regular_file(candidate, ec)) return candidate;
    return {};
}

std::string defaultSidecarPath(const std::string& modelPath) {
    return sidecarCandidates(modelPath).front();
}

ChosenSidecar chooseSidecar(const GraphIndex& graph, const std::string& modelPath, const std::string& given,
                            bool matchingOnly) {
    return SidecarReading(modelPath, given, matchingOnly).finish(graph);
}

struct SidecarReading::Read {
    ChosenSidecar chosen; // its path and whether it was found beside the model
    bool matchingOnly = false;
    std::future<Sidecar> sidecar; // readSidecar(chosen.path), when there is a path
};

namespace {
std::future<Sidecar> startReading(const std::string& path) {
    auto read = [path] {
        adviseHugePagesForThisThread(); // 126k entries are fresh memory (common/huge_pages.h)
        return readSidecar(path);
    };
    // Only a regular file is read ahead: opening a FIFO waits for a writer, and a reading nobody
    // finishes (the model failed to load) would wait for it too. Anything else is read in finish(), as
    // before, where readSidecar says what is wrong with it.
    std::error_code ec;
    const bool regular = std::filesystem::is_regular_file(path, ec);
    if (regular && std::thread::hardware_concurrency() >= 2) try {
            return std::async(std::launch::async, read);
        } catch (const std::system_error&) { // no thread to be had: read in finish()
        }
    return std::async(std::launch::deferred, read);
}
} // namespace

SidecarReading::SidecarReading(const std::string& modelPath, const std::string& given, bool matchingOnly)
    : read_(std::make_unique<Read>()) {
    ChosenSidecar& chosen = read_->chosen;
    chosen.path = given.empty() ? findSidecarBeside(modelPath) : given;
    chosen.foundBeside = given.empty() && !chosen.path.empty();
    read_->matchingOnly = matchingOnly && !given.empty();
    if (!chosen.path.empty()) read_->sidecar = startReading(chosen.path);
}

SidecarReading::~SidecarReading() = default; // a future of std::async waits for its read

ChosenSidecar SidecarReading::finish(const GraphIndex& graph) {
    ChosenSidecar chosen = std::move(read_->chosen);
    if (chosen.path.empty()) return chosen;
    // The check compares the model's structural digest (modelDigest remembers it per model; deep-1000's
    // takes 22 ms): made now, while the read goes on, rather than after it.
    if (read_->sidecar.wait_for(std::chrono::seconds(0)) == std::future_status::timeout) modelDigest(graph);
    if (read_->matchingOnly) { // given for a related model: its errors are the user's to see
        chosen.sidecar = matchingPartFor(graph, read_->sidecar.get(), chosen.partial);
        return chosen;
    }
    try {
        chosen.sidecar = fitToModel(graph, read_->sidecar.get());
    } catch (const Error& e) {
        if (!chosen.foundBeside) throw;
        chosen.note = std::string("sidecar found beside the model not applied: ") + e.what();
    }
    return chosen;
}

} // namespace hs
