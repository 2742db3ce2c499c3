#pragma once
// Modules a person renamed or moved (internal to hierarchy inference). The model's own evidence (node
// names, parameter names) still gives the old scope, and the sidecar the new one, with the old scope as
// its module's `renamed_from`. Inference runs on the sidecar read in the evidence's scopes, so that both
// speak of one module; the renames are applied to the result afterwards, as the person made them.
#include <optional>

namespace hs {

struct Hierarchy;
struct Sidecar;

// The sidecar with every scope it names (entries, claims, suggestions, its module list) in the scope the
// model's evidence gives; nothing when it records no rename.
std::optional<Sidecar> inEvidenceScopes(const Sidecar& sidecar);

// Gives the modules of the evidence's scopes the scopes the sidecar names them by (name, parent, depth and
// children lists; paths are computed afterwards) and remembers the old scope in Module::evidenceScope. A
// rename that cannot apply (its new scope taken by another module, or a parent listed after the module)
// is left out with a note.
void applyRenames(Hierarchy& hierarchy, const Sidecar& sidecar);

} // namespace hs
