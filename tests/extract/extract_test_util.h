#pragma once
// Helpers shared by the extraction test suites.
#include "common/error.h"
#include "extract/extract.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <QString>
#include <QStringList>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace hstest {

inline onnx::ModelProto readModel(const std::string& path) {
    onnx::ModelProto m;
    std::ifstream in(path, std::ios::binary);
    if (!m.ParseFromIstream(&in)) throw std::runtime_error("cannot parse " + path);
    return m;
}

// The hs::Error message `fn` throws, or "" when it succeeds.
inline QString errorOf(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const hs::Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

inline std::vector<std::string> names(const std::vector<hs::BoundaryTensor>& list) {
    std::vector<std::string> out;
    for (const auto& b : list)
        out.push_back(b.name);
    return out;
}

inline QString joined(const std::vector<std::string>& list) {
    QStringList out;
    for (const auto& s : list)
        out << QString::fromStdString(s);
    return out.join(", ");
}

// The checker on the written file (it also checks external data files beside it).
inline QString checkerError(const std::string& path) {
    try {
        onnx::checker::check_model(path);
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

inline std::string metadata(const onnx::ModelProto& m, const std::string& key) {
    for (const auto& e : m.metadata_props())
        if (e.key() == key) return e.value();
    return {};
}

inline std::size_t selectedNodes(const hs::ExtractionPlan& plan) {
    return static_cast<std::size_t>(std::count_if(
        plan.nodes.begin(), plan.nodes.end(), [](const hs::PlannedNode& n) { return !n.copiedConstant; }));
}

inline std::vector<std::string> filesIn(const QString& dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir.toStdString()))
        out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace hstest
