#pragma once
// Minimal protobuf wire-format reader over a byte range. The model loader walks ModelProto with it
// so that weight payloads (raw_data, float_data, ...) are skipped by length and never copied, and so
// that fields newer than Debian's ONNX 1.12 classes (NodeProto.metadata_props = 9) are readable.
#include <cstdint>
#include <stdexcept>
#include <string_view>

namespace hs::wire {

enum WireType : std::uint32_t { Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5 };

struct Malformed : std::runtime_error {
    explicit Malformed(const char* what) : std::runtime_error(what) {}
};

struct Field {
    std::uint32_t number = 0;
    WireType type = Varint;
    std::uint64_t varint = 0; // Varint, Fixed64, Fixed32 values
    std::string_view bytes;   // LengthDelimited payload (points into the mapped file)
    std::uint64_t offset = 0; // file offset of the payload (LengthDelimited) or value
};

// Throws Malformed(what) unless the field is a message (or bytes): length-delimited.
inline void expectMessage(const Field& f, const char* what) {
    if (f.type != LengthDelimited) throw Malformed(what);
}

// The head of the field at data[pos]: its tag, and its value (varint and fixed-width fields) or the
// length of the body that follows (length-delimited ones); `pos` moves past it. Shared by Reader and
// WindowReader (model/file_window.h), so that both read and fail alike. Throws Malformed.
struct FieldHead {
    Field field;
    std::uint64_t length = 0; // LengthDelimited: the body's length (not checked against any end)
};
[[gnu::always_inline]] inline std::uint64_t readVarint(std::string_view data, std::size_t& pos) {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= data.size()) throw Malformed("truncated varint");
        auto byte = static_cast<std::uint8_t>(data[pos++]);
        value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return value;
    }
    throw Malformed("varint longer than 10 bytes");
}
// The longest head: a 10-byte tag and a 10-byte value or length.
constexpr std::size_t kMaxFieldHead = 20;
[[gnu::always_inline]] inline FieldHead readFieldHead(std::string_view data, std::size_t& pos,
                                                      std::uint64_t base) {
    FieldHead head;
    Field& field = head.field;
    std::uint64_t tag = readVarint(data, pos);
    field.number = static_cast<std::uint32_t>(tag >> 3);
    if (field.number == 0) throw Malformed("field number 0");
    field.type = static_cast<WireType>(tag & 7);
    switch (field.type) {
    case Varint:
        field.offset = base + pos;
        field.varint = readVarint(data, pos);
        break;
    case Fixed64:
    case Fixed32: {
        std::size_t width = field.type == Fixed64 ? 8 : 4;
        if (data.size() - pos < width) throw Malformed("truncated fixed-width field");
        field.offset = base + pos;
        for (std::size_t i = 0; i < width; ++i)
            field.varint |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(data[pos + i])) << (8 * i);
        pos += width;
        break;
    }
    case LengthDelimited:
        head.length = readVarint(data, pos);
        break;
    default:
        throw Malformed("unsupported wire type (groups or invalid data)");
    }
    return head;
}

class Reader {
public:
    // base: file offset of data[0], so Field::offset is absolute.
    Reader(std::string_view data, std::uint64_t base) : data_(data), base_(base) {}
    bool atEnd() const { return pos_ >= data_.size(); }
    // File offset of the next field's tag (after next(): the end of the field just read).
    std::uint64_t position() const { return base_ + pos_; }
    // Reads the next field; throws Malformed on truncated or invalid input.
    Field next();

private:
    std::string_view data_;
    std::uint64_t base_;
    std::size_t pos_ = 0;
};

inline Field Reader::next() {
    FieldHead head = readFieldHead(data_, pos_, base_);
    Field& field = head.field;
    if (field.type == LengthDelimited) {
        if (head.length > data_.size() - pos_) throw Malformed("length-delimited field runs past the end");
        field.offset = base_ + pos_;
        field.bytes = data_.substr(pos_, static_cast<std::size_t>(head.length));
        pos_ += static_cast<std::size_t>(head.length);
    }
    return field;
}

} // namespace hs::wire
