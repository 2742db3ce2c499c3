#include "document/suggestion.h"

#include "document/model_document.h"

namespace hs::ui {

int suggestedModule(const ModelDocument& doc, int node) {
    // Until the core stores a suggestion per node: the core's rule (the first of deeperCandidates), the
    // one hierscope-cli tag --accept-suggestions takes too.
    return hs::suggestedModule(doc.hierarchy, *doc.graph, node);
}

} // namespace hs::ui
