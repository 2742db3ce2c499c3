#pragma once
// A vague node's suggested deeper module: the one place the GUI asks for it, so that it can follow the
// core when the suggestion is stored per node (issue 18's `suggested_scope`).
namespace hs::ui {

struct ModelDocument;

// The module the node most likely belongs to below where it is placed, or -1 when there is none (a
// node placed by evidence or by hand, or nothing nearby to go by).
int suggestedModule(const ModelDocument& doc, int node);

} // namespace hs::ui
