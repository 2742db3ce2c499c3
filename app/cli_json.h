#pragma once
// JSON the CLI prints holds names from the model (node names, scopes, producers, dim params): they may
// be any bytes, and JSON text must be UTF-8. Every string and key is written through hs::utf8Escaped
// (invalid bytes as `\xNN`), so a model with a 0xFF byte in a name still gives valid JSON.
#include "common/display_text.h"

#include <string>

namespace hs::cli {

template <class Json> Json escapedJson(const Json& j) {
    if (j.is_string()) return Json(utf8Escaped(j.template get_ref<const std::string&>()));
    if (j.is_array()) {
        Json out = Json::array();
        for (const auto& e : j)
            out.push_back(escapedJson(e));
        return out;
    }
    if (j.is_object()) {
        Json out = Json::object();
        for (auto it = j.begin(); it != j.end(); ++it)
            out[utf8Escaped(it.key())] = escapedJson(it.value());
        return out;
    }
    return j;
}

} // namespace hs::cli
