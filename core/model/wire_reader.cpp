#include "model/wire_reader.h"

namespace hs::wire {

std::uint64_t Reader::readLongVarint() {
    // Away from the end, no bounds check per byte.
    if (data_.size() - pos_ >= 10) {
        const char* p = data_.data() + pos_;
        std::uint64_t value = 0;
        for (int i = 0; i < 10; ++i) {
            const auto byte = static_cast<std::uint8_t>(p[i]);
            value |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
            if (!(byte & 0x80)) {
                pos_ += static_cast<std::size_t>(i) + 1;
                return value;
            }
        }
        throw Malformed("varint longer than 10 bytes");
    }
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (pos_ >= data_.size()) throw Malformed("truncated varint");
        auto byte = static_cast<std::uint8_t>(data_[pos_++]);
        value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return value;
    }
    throw Malformed("varint longer than 10 bytes");
}

} // namespace hs::wire
