#pragma once
// SHA-256 (FIPS 180-4), for the structural digest of a model. Dependency-free; the processor's SHA
// extensions where it has them.
#include <cstdint>
#include <string>
#include <string_view>

namespace hs {

class Sha256 {
public:
    // Portable: the plain code even where the processor has SHA extensions (the tests compare the two).
    enum class Engine { Fastest, Portable };
    explicit Sha256(Engine engine = Engine::Fastest);
    void update(std::string_view bytes);
    std::string hexDigest(); // finishes the hash
    // Whether Fastest uses this processor's SHA extensions.
    static bool usesShaExtensions();

private:
    void block(const std::uint8_t* p);
    void portableBlock(const std::uint8_t* p);
    bool extensions_;
    std::uint32_t state_[8];
    std::uint8_t buffer_[64];
    std::size_t used_ = 0;
    std::uint64_t total_ = 0;
};

} // namespace hs
