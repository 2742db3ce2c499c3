#pragma once
// The hierarchy travels with an extracted model: a format 1.1 sidecar beside it
// (`<out>.hierarchy.json`, the name sidecar discovery looks for first), so that opening the extracted
// file shows the module tree with its class names.
#include <string>

namespace hs {

struct ExtractionPlan;
struct Hierarchy;

// Writes the sidecar of the model extractModel wrote to `outputPath` from `plan`: every node of the
// written model with the module `hierarchy` (the source's, the one the plan was made from) gives its
// source node, scopes kept whole (`encoder.layer.0.attention` stays that, not re-rooted), and the
// modules on the way to them with their classes. Returns the sidecar's path; throws hs::Error.
std::string writeExtractionSidecar(const ExtractionPlan& plan, const Hierarchy& hierarchy,
                                   const std::string& outputPath);

} // namespace hs
