#include "sidecar/discovery.h"

#include "common/error.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

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
    ChosenSidecar chosen;
    chosen.path = given.empty() ? findSidecarBeside(modelPath) : given;
    chosen.foundBeside = given.empty() && !chosen.path.empty();
    if (chosen.path.empty()) return chosen;
    if (matchingOnly && !given.empty()) {
        chosen.sidecar = readMatchingPartFor(graph, given, chosen.partial);
        return chosen;
    }
    try {
        chosen.sidecar = readSidecarFor(graph, chosen.path);
    } catch (const Error& e) {
        if (!chosen.foundBeside) throw;
        chosen.note = std::string("sidecar found beside the model not applied: ") + e.what();
    }
    return chosen;
}

} // namespace hs
