#pragma once
// File > Compare With...: the opened model compared module by module with a second one
// (core/compare/compare.h), as the module tree's delta columns, its "changed only" filter and the inspector
// show it. The second model is only read: extraction and re-tagging act on the primary model.
#include "compare/compare.h"

#include <QString>
#include <memory>
#include <vector>

namespace hs::ui {

struct ModelDocument;

struct Comparison {
    std::shared_ptr<const ModelDocument> other; // B; the window's document is A
    HierarchyComparison result;
    std::vector<int> deltaOfModule; // per module of A's hierarchy: its delta in result

    const ModuleDelta* deltaFor(int module) const;
};

// Compares the primary document (A) with `other` (B). Cheap enough to redo after every re-tag.
std::shared_ptr<Comparison> compareDocuments(const ModelDocument& primary,
                                             std::shared_ptr<const ModelDocument> other);

// "214 -> 73", the delta columns' text.
QString deltaText(std::uint64_t a, std::uint64_t b, bool asCount);
// The inspector's section for module `module` of A: both sides' op lists, parameters, modules only in B
// below it, named nodes that moved.
QString comparisonHtml(const Comparison& comparison, int module);

} // namespace hs::ui
