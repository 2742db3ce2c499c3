#include "document/suggestion.h"

#include "document/model_document.h"

namespace hs::ui {

int suggestedModule(const ModelDocument& doc, int node) {
    // Until the core stores a suggestion per node: the first of Hierarchy::deeperCandidates (most
    // connections, then the shallower).
    const std::vector<int> candidates = doc.hierarchy.deeperCandidates(*doc.graph, node);
    return candidates.empty() ? -1 : candidates.front();
}

} // namespace hs::ui
