#include "common/sha256.h"

#include <cstring>
#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace hs {
namespace {
constexpr std::uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
inline std::uint32_t rotr(std::uint32_t x, int n) {
    return (x >> n) | (x << (32 - n));
}

#if defined(__x86_64__) && defined(__GNUC__)
// The processor's SHA extensions (Intel since Goldmont and Ice Lake, AMD since Zen) do two rounds per
// instruction: about 5x the portable code below, which hashed deep-1000's structure (126k nodes) in 79 ms,
// as long as the model takes to open. Compiled for them here only, and called only when CPUID has them.
// From CPUID itself: clang's __builtin_cpu_supports does not know "sha".
bool hasShaExtensions() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
    const bool ssse3 = ecx & (1u << 9), sse41 = ecx & (1u << 19);
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
    const bool sha = ebx & (1u << 29);
    return ssse3 && sse41 && sha;
}

__attribute__((target("sha,sse4.1"))) void blockWithShaExtensions(std::uint32_t state[8],
                                                                  const std::uint8_t* p) {
    // The instructions keep the state as (A, B, E, F) and (C, D, G, H), highest lane first.
    const __m128i dcba = _mm_loadu_si128(reinterpret_cast<const __m128i*>(state));
    const __m128i hgfe = _mm_loadu_si128(reinterpret_cast<const __m128i*>(state + 4));
    const __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
    const __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
    __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);
    const __m128i abefBefore = abef, cdghBefore = cdgh;
    // Message words are big-endian.
    const __m128i byteSwap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i w[4]; // the last four groups of four message words: group g in w[g % 4]
    for (int g = 0; g < 16; ++g) {
        __m128i words;
        if (g < 4) {
            words = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * g)), byteSwap);
        } else { // W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at a time
            const __m128i partial = _mm_add_epi32(_mm_sha256msg1_epu32(w[g % 4], w[(g + 1) % 4]),
                                                  _mm_alignr_epi8(w[(g + 3) % 4], w[(g + 2) % 4], 4));
            words = _mm_sha256msg2_epu32(partial, w[(g + 3) % 4]);
        }
        w[g % 4] = words;
        const __m128i k = _mm_add_epi32(words, _mm_loadu_si128(reinterpret_cast<const __m128i*>(K + 4 * g)));
        // Two rounds each. After two rounds (C, D, G, H) is what (A, B, E, F) was, so the two variables
        // trade roles and are back in theirs after the second pair.
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, k);
        abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(k, 0x0E));
    }
    abef = _mm_add_epi32(abef, abefBefore);
    cdgh = _mm_add_epi32(cdgh, cdghBefore);
    const __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    const __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(state), _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(state + 4), _mm_alignr_epi8(dchg, feba, 8));
}
#endif
} // namespace

bool Sha256::usesShaExtensions() {
#if defined(__x86_64__) && defined(__GNUC__)
    static const bool has = hasShaExtensions();
    return has;
#else
    return false;
#endif
}

Sha256::Sha256(Engine engine)
    : extensions_(engine == Engine::Fastest && usesShaExtensions()), state_{0x6a09e667, 0xbb67ae85,
                                                                            0x3c6ef372, 0xa54ff53a,
                                                                            0x510e527f, 0x9b05688c,
                                                                            0x1f83d9ab, 0x5be0cd19} {}

void Sha256::block(const std::uint8_t* p) {
#if defined(__x86_64__) && defined(__GNUC__)
    if (extensions_) return blockWithShaExtensions(state_, p);
#endif
    portableBlock(p);
}

void Sha256::portableBlock(const std::uint8_t* p) {
    std::uint32_t w[64];
    for (int i = 0; i < 16; ++i)
        w[i] = (std::uint32_t(p[4 * i]) << 24) | (std::uint32_t(p[4 * i + 1]) << 16) |
               (std::uint32_t(p[4 * i + 2]) << 8) | std::uint32_t(p[4 * i + 3]);
    for (int i = 16; i < 64; ++i) {
        std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    std::uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3], e = state_[4], f = state_[5],
                  g = state_[6], h = state_[7];
    for (int i = 0; i < 64; ++i) {
        std::uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        std::uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    state_[0] += a, state_[1] += b, state_[2] += c, state_[3] += d;
    state_[4] += e, state_[5] += f, state_[6] += g, state_[7] += h;
}

void Sha256::update(std::string_view bytes) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
    std::size_t n = bytes.size();
    total_ += n;
    while (n > 0) {
        std::size_t take = std::min(n, sizeof buffer_ - used_);
        std::memcpy(buffer_ + used_, p, take);
        used_ += take, p += take, n -= take;
        if (used_ == sizeof buffer_) block(buffer_), used_ = 0;
    }
}

std::string Sha256::hexDigest() {
    std::uint64_t bits = total_ * 8;
    std::uint8_t pad = 0x80;
    update({reinterpret_cast<const char*>(&pad), 1});
    std::uint8_t zero = 0;
    while (used_ != 56)
        update({reinterpret_cast<const char*>(&zero), 1});
    std::uint8_t length[8];
    for (int i = 0; i < 8; ++i)
        length[i] = static_cast<std::uint8_t>(bits >> (56 - 8 * i));
    update({reinterpret_cast<const char*>(length), 8});
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (std::uint32_t s : state_)
        for (int shift = 28; shift >= 0; shift -= 4)
            out += hex[(s >> shift) & 0xf];
    return out;
}

} // namespace hs
