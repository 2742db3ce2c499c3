#pragma once
// How confidence levels look everywhere in the GUI (tree, graph, lists, legend), so they agree.
#include "hierarchy/hierarchy.h"

#include <QColor>
#include <QIcon>
#include <QString>

class QPainter;
class QRectF;

namespace hs::ui {

// Visual category of an assignment: the four levels plus conflict, which overrides the level.
enum class Confidence { Certain, High, Medium, Low, Conflict };

Confidence confidenceOf(const Assignment& assignment);
Confidence confidenceOf(Level level);
QColor confidenceColor(Confidence confidence);
QString confidenceLabel(Confidence confidence);
// A small filled disc in the confidence colour; cached.
QIcon confidenceIcon(Confidence confidence);
// The sign marking a module that contains uncertain nodes (hs::isUncertain): an amber warning triangle,
// the same in the tree (icon), the graph (painted on the module's box or frame) and the legend (text).
QIcon uncertainModuleIcon();
void paintUncertainSign(QPainter* painter, const QRectF& rect);
QString uncertainSignHtml(); // the sign as a character, for rich text (legend, status bar)
// Help > Confidence Levels: what each level and "uncertain" mean and where they come from.
QString confidenceHelpHtml();

} // namespace hs::ui
