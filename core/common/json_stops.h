#pragma once
// Where a run of plain text inside a JSON string ends, for the readers and the writer of JSON here
// (sidecar/json_cursor.h, analysis/plain_json.h, sidecar/write.cpp): most of a sidecar's or a profile
// trace's bytes are inside strings, names tens of bytes long, so they are scanned sixteen bytes at a
// time where the processor has SSE2 (every x86-64 one), a byte at a time elsewhere.
#include <cstddef>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace hs::json_stops {

namespace detail {
// Stops a byte at a time: the quote, a backslash, control characters, and with `nonAscii` the bytes
// of 0x80 and above.
template <bool nonAscii> struct Table {
    bool at[256] = {};
    constexpr Table() {
        for (int c = 0; c < 256; ++c)
            at[c] = c < 0x20 || c == '"' || c == '\\' || (nonAscii && c >= 0x80);
    }
};
template <bool nonAscii> inline constexpr Table<nonAscii> kTable{};
} // namespace detail

// The first byte of [p, end) that stops plain text (detail::Table), or `end`.
template <bool nonAscii> const char* firstStop(const char* p, const char* end) {
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), control = _mm_set1_epi8(0x1F);
    for (; end - p >= 16; p += 16) {
        const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const __m128i isControl = _mm_cmpeq_epi8(_mm_max_epu8(bytes, control), control); // <= 0x1F
        const __m128i stop = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)), isControl);
        int mask = _mm_movemask_epi8(stop);
        if (nonAscii) mask |= _mm_movemask_epi8(bytes); // the high bit: 0x80 and above
        if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    }
#endif
    while (p < end && !detail::kTable<nonAscii>.at[static_cast<unsigned char>(*p)])
        ++p;
    return p;
}

} // namespace hs::json_stops
