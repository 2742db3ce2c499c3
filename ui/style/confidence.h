#pragma once
// How confidence levels look everywhere in the GUI (tree, graph, lists, legend), so they agree.
#include "hierarchy/hierarchy.h"

#include <QColor>
#include <QIcon>
#include <QString>

namespace hs::ui {

// Visual category of an assignment: the four levels plus conflict, which overrides the level.
enum class Confidence { Certain, High, Medium, Low, Conflict };

Confidence confidenceOf(const Assignment& assignment);
Confidence confidenceOf(Level level);
QColor confidenceColor(Confidence confidence);
QString confidenceLabel(Confidence confidence);
// A small filled disc in the confidence colour; cached.
QIcon confidenceIcon(Confidence confidence);
// The icon marking a module that contains low-confidence or conflicting nodes.
QIcon uncertainModuleIcon();

} // namespace hs::ui
