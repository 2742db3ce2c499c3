#pragma once
// Where tests find third-party models: the copies vendored in tests/models/ (HS_TEST_MODELS), or, for the
// few whose licence forbids copying them here, a folder named by $HIERSCOPE_EXTRA_MODELS (tests/run_all.sh
// sets it to ../shared/models when that folder exists). Tests read nothing else outside the checkout.
// Used by the core tests (test_support.h) and the GUI tests (gui_test_support.h).
#include <cstdlib>
#include <filesystem>
#include <string>

namespace hstest {

// Why a model the tests know is not in tests/models/; nullptr for the vendored ones.
inline const char* notRedistributableReason(const std::string& name) {
    if (name.rfind("openwakeword_", 0) == 0) return "CC BY-NC-SA 4.0, may not be redistributed";
    if (name.rfind("dynamo_seg3d_", 0) == 0) return "unknown licence, may not be redistributed";
    return nullptr;
}

// The path of a third-party model (name relative to tests/models/, e.g. "silero_vad_16k_op15_torch2.3.onnx").
inline std::string sharedModel(const std::string& name) {
    const std::string vendored = std::string(HS_TEST_MODELS) + "/" + name;
    const char* extra = std::getenv("HIERSCOPE_EXTRA_MODELS");
    if (notRedistributableReason(name) && extra && *extra) return std::string(extra) + "/" + name;
    return vendored;
}

// The reason to skip a test on this path: non-empty only for an absent model that is not vendored (an
// absent vendored model is a broken checkout, and its test fails).
inline std::string absentModelReason(const std::string& path) {
    const std::string name = std::filesystem::path(path).filename().string() == "model.onnx"
                                 ? std::filesystem::path(path).parent_path().filename().string()
                                 : std::filesystem::path(path).filename().string();
    const char* why = notRedistributableReason(name);
    if (!why || std::filesystem::exists(path)) return {};
    return name + " is not in this checkout (" + why +
           "); set HIERSCOPE_EXTRA_MODELS to a folder holding it to run this test";
}

} // namespace hstest

// Skips the current test (or data row) with the reason when PATH is a non-redistributable model that is
// absent. Needs QtTest.
#define HSTEST_SKIP_IF_ABSENT(path)                                                                          \
    do {                                                                                                     \
        const std::string hstestReason_ = hstest::absentModelReason(path);                                   \
        if (!hstestReason_.empty()) QSKIP(hstestReason_.c_str());                                            \
    } while (false)
