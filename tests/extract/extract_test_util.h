#pragma once
// Helpers shared by the extraction test suites.
#include "error.h"

#include <onnx/onnx_pb.h>

#include <QString>

#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>

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

} // namespace hstest
