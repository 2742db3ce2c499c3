#pragma once
// What the fuzz targets share: the loaders read files, so each input is written to a private temporary
// file first; a model input is then loaded, indexed and its hierarchy inferred.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace hs {
class GraphIndex;
struct Hierarchy;
} // namespace hs

namespace hs::fuzz {

// Writes the input to a file of this process (same path every call) and returns its path.
std::string writeInput(const std::uint8_t* data, std::size_t size, const char* suffix);

// The input as a model: loadModel, GraphIndex, inferHierarchy, then `use` (path of the input file,
// index, hierarchy). hs::Error from any step ends the input quietly: it is the answer to bad input.
// Anything else escapes to libFuzzer as a finding.
void withAnalysedModel(
    const std::uint8_t* data, std::size_t size,
    const std::function<void(const std::string&, const GraphIndex&, const Hierarchy&)>& use);

} // namespace hs::fuzz
