#pragma once
// What the fuzz targets share: the loaders read files, so each input is written to a private temporary
// file first.
#include <cstddef>
#include <cstdint>
#include <string>

namespace hs::fuzz {

// Writes the input to a file of this process (same path every call) and returns its path.
std::string writeInput(const std::uint8_t* data, std::size_t size, const char* suffix);

} // namespace hs::fuzz
