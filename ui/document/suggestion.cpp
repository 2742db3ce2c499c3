#include "document/suggestion.h"

#include "document/model_document.h"

namespace hs::ui {

int suggestedModule(const ModelDocument& doc, int node) {
    // The assignment's own suggestion (issue 18), the one hierscope-cli tag --accept-suggestions takes too.
    return hs::suggestedModule(doc.hierarchy, *doc.graph, node);
}

} // namespace hs::ui
