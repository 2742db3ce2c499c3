#pragma once
// Suggestions for vague nodes (internal to hierarchy building): the deeper module each one probably
// belongs to, stored in its Assignment. Hierarchy::deeperCandidates and suggestionReason are the public side.
#include "hierarchy/evidence/evidence.h"

namespace hs {

class GraphIndex;
struct Hierarchy;
struct Sidecar;

// Every inferred node without a suggestion gets the first of its deeper candidates (each search is
// bounded: at most 256 neighbours of the node).
void suggestDeeperModules(const GraphIndex& graph, Hierarchy& hierarchy);

// A saved sidecar's `suggested_scope` comes back for a node still placed above that module, when the
// engine has none of its own for it. `suggested`: the entries that carry one, with their nodes
// (Evidence::suggestedEntries).
void restoreSidecarSuggestions(const Sidecar& sidecar, const SuggestedEntries& suggested,
                               Hierarchy& hierarchy);

} // namespace hs
