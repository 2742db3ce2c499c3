#pragma once
// SHA-256 (FIPS 180-4), for the structural digest of a model. Small and dependency-free.
#include <cstdint>
#include <string>
#include <string_view>

namespace hs {

class Sha256 {
public:
    Sha256();
    void update(std::string_view bytes);
    std::string hexDigest(); // finishes the hash

private:
    void block(const std::uint8_t* p);
    std::uint32_t state_[8];
    std::uint8_t buffer_[64];
    std::size_t used_ = 0;
    std::uint64_t total_ = 0;
};

} // namespace hs
