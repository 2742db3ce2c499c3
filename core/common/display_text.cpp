#include "common/display_text.h"

#include <cstdint>

namespace hs {
namespace {

const char kHex[] = "0123456789ABCDEF";

void appendHexByte(std::string& out, unsigned char c) {
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not one (overlong forms,
// surrogates and code points past U+10FFFF are invalid too).
std::size_t utf8SequenceLength(std::string_view s, std::size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) return 1;
    std::size_t length;
    std::uint32_t code;
    if ((c & 0xE0) == 0xC0)
        length = 2, code = c & 0x1Fu;
    else if ((c & 0xF0) == 0xE0)
        length = 3, code = c & 0x0Fu;
    else if ((c & 0xF8) == 0xF0)
        length = 4, code = c & 0x07u;
    else
        return 0;
    if (i + length > s.size()) return 0;
    for (std::size_t k = 1; k < length; ++k) {
        const auto next = static_cast<unsigned char>(s[i + k]);
        if ((next & 0xC0) != 0x80) return 0;
        code = (code << 6) | (next & 0x3Fu);
    }
    static const std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < smallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
    return length;
}

} // namespace

std::string utf8Escaped(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size();) {
        const std::size_t n = utf8SequenceLength(raw, i);
        if (n == 0) {
            appendHexByte(out, static_cast<unsigned char>(raw[i]));
            ++i;
        } else {
            out.append(raw.substr(i, n));
            i += n;
        }
    }
    return out;
}

std::string quoteInput(std::string_view raw, std::size_t maxChars) {
    std::string out = "'";
    std::size_t shown = 0, i = 0;
    while (i < raw.size() && shown < maxChars) {
        const auto c = static_cast<unsigned char>(raw[i]);
        const std::size_t n = utf8SequenceLength(raw, i);
        if (c == 0) {
            out += "\\0";
        } else if (n == 0 || c < 0x20 || c == 0x7F) {
            appendHexByte(out, c);
        } else {
            out.append(raw.substr(i, n));
            i += n;
            ++shown;
            continue;
        }
        ++i;
        ++shown;
    }
    out += "'";
    if (i < raw.size()) out += "... (" + std::to_string(raw.size() - i) + " more bytes)";
    return out;
}

} // namespace hs
