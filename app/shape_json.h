#pragma once
// A tensor shape as JSON for scripts: numbers for fixed dims, names for symbolic ones, null when
// unknown. Shared by the CLI's --json output and the numeric test driver (both already use nlohmann).
#include "model/model.h"

#include <nlohmann/json.hpp>

namespace hs {

// Json: nlohmann::json or nlohmann::ordered_json, whichever the caller builds.
template <typename Json = nlohmann::json> Json shapeJson(const TensorType& type) {
    Json shape = Json::array();
    for (const auto& d : type.dims) {
        if (d.value >= 0)
            shape.push_back(d.value);
        else if (!d.param.empty())
            shape.push_back(d.param);
        else
            shape.push_back(nullptr);
    }
    return shape;
}

} // namespace hs
