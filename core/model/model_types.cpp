// Element types and their text (model.h).
#include "model/model.h"

#include <string>

namespace hs {

const char* dataTypeName(std::int32_t t) {
    static const char* const names[] = {
        "undefined",      "float",      "uint8",          "int8",       "uint16",   "int16",
        "int32",          "int64",      "string",         "bool",       "float16",  "double",
        "uint32",         "uint64",     "complex64",      "complex128", "bfloat16", "float8e4m3fn",
        "float8e4m3fnuz", "float8e5m2", "float8e5m2fnuz", "uint4",      "int4"};
    if (t >= 0 && t < static_cast<std::int32_t>(sizeof names / sizeof names[0])) return names[t];
    return "unknown";
}

std::size_t dataTypeSize(std::int32_t t) {
    switch (t) {
    case 1:
    case 6:
    case 12:
        return 4;
    case 2:
    case 3:
    case 9:
    case 17:
    case 18:
    case 19:
    case 20:
        return 1;
    case 4:
    case 5:
    case 10:
    case 16:
        return 2;
    case 7:
    case 11:
    case 13:
    case 14:
        return 8;
    case 15:
        return 16;
    default:
        return 0;
    }
}

std::string formatType(const TensorType& type) {
    std::string out = dataTypeName(type.elemType);
    if (!type.hasShape) return out + "[?]";
    out += '[';
    for (std::size_t i = 0; i < type.dims.size(); ++i) {
        if (i) out += ',';
        const Dim& d = type.dims[i];
        out += !d.param.empty() ? d.param : d.value >= 0 ? std::to_string(d.value) : "?";
    }
    return out + ']';
}

} // namespace hs
