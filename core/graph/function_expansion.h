#pragma once
// Local functions are expanded into one copy of their body per call (GraphIndex): a model whose calls
// would expand without bound is refused before anything is expanded.
#include "model/model.h"

#include <cstddef>

namespace hs {

// Recursive local functions are invalid: calls deeper than this are not expanded.
constexpr int kMaxFunctionDepth = 16;

// Refuses a model whose local functions expand past 2^20 node instances beyond the `writtenNodes`
// nodes written in the file, naming the function (throws hs::Error).
void checkFunctionExpansion(const Model& model, std::size_t writtenNodes);

} // namespace hs
