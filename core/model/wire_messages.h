#pragma once
// ONNX messages read from the wire format (internal to core/model): the small messages the loader
// copies whole (opset imports, string pairs, value infos and their types) and the header of a tensor,
// whose payload is located, never copied.
#include "model/model.h"
#include "model/wire_reader.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

namespace hs::wire {

class WindowReader;

std::string str(const Field& f);

// Repeated scalar fields may be packed (one length-delimited run) or not.
template <typename Fn> void forEachVarint(const Field& f, Fn&& fn) {
    if (f.type == wire::Varint) {
        fn(f.varint);
        return;
    }
    // Packed varints carry no tags: decode the run directly.
    const auto* p = reinterpret_cast<const std::uint8_t*>(f.bytes.data());
    std::size_t pos = 0, n = f.bytes.size();
    while (pos < n) {
        std::uint64_t value = 0;
        for (int shift = 0;; shift += 7) {
            if (pos >= n || shift > 63) throw wire::Malformed("truncated packed varint");
            std::uint8_t b = p[pos++];
            value |= static_cast<std::uint64_t>(b & 0x7f) << shift;
            if (!(b & 0x80)) break;
        }
        fn(value);
    }
}

template <typename Fn> void forEachFixed32(const Field& f, Fn&& fn) {
    auto emit = [&](std::uint32_t bits) {
        float v;
        std::memcpy(&v, &bits, sizeof v);
        fn(v);
    };
    if (f.type == wire::Fixed32) {
        emit(static_cast<std::uint32_t>(f.varint));
        return;
    }
    if (f.bytes.size() % 4) throw wire::Malformed("packed floats of odd length");
    for (std::size_t i = 0; i < f.bytes.size(); i += 4) {
        std::uint32_t bits;
        std::memcpy(&bits, f.bytes.data() + i, 4);
        emit(bits);
    }
}

std::pair<std::string, std::string> parseStringPair(const Field& outer);
OpsetImport parseOpset(const Field& outer);
TensorType parseTypeProto(const Field& outer);
ValueInfo parseValueInfo(const Field& outer);

struct TensorHeader {
    std::string name;
    std::int32_t dataType = 0;
    std::vector<std::int64_t> dims;
    ByteSpan payload;
    bool external = false;
    StringPairs externalData;
};

TensorHeader parseTensorHeader(const Field& outer);
// The same over a tensor too long for a FileWindow's buffer, read field by field through it.
TensorHeader parseTensorHeader(WindowReader& tensor);
// "tensor float32[2,3]": an attribute's tensor as an attribute summary shows it.
std::string describeTensor(const TensorHeader& t);

} // namespace hs::wire
