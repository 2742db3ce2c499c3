#include "style/confidence.h"

#include <QPainter>
#include <QPixmap>

namespace hs::ui {

Confidence confidenceOf(const Assignment& assignment) {
    return assignment.conflict ? Confidence::Conflict : confidenceOf(assignment.level);
}

Confidence confidenceOf(Level level) {
    switch (level) {
    case Level::Certain:
        return Confidence::Certain;
    case Level::High:
        return Confidence::High;
    case Level::Medium:
        return Confidence::Medium;
    case Level::Low:
        return Confidence::Low;
    }
    return Confidence::Low;
}

QColor confidenceColor(Confidence confidence) {
    // Colour-blind friendly enough: blue/green are "fine", amber/orange/magenta ask for attention.
    switch (confidence) {
    case Confidence::Certain:
        return QColor(0x3b, 0x82, 0xf6);
    case Confidence::High:
        return QColor(0x22, 0xa3, 0x5a);
    case Confidence::Medium:
        return QColor(0xe0, 0xa8, 0x00);
    case Confidence::Low:
        return QColor(0xf0, 0x6a, 0x18);
    case Confidence::Conflict:
        return QColor(0xd0, 0x24, 0x8c);
    }
    return Qt::gray;
}

QString confidenceLabel(Confidence confidence) {
    switch (confidence) {
    case Confidence::Certain:
        return QStringLiteral("certain");
    case Confidence::High:
        return QStringLiteral("high");
    case Confidence::Medium:
        return QStringLiteral("medium");
    case Confidence::Low:
        return QStringLiteral("low");
    case Confidence::Conflict:
        return QStringLiteral("conflict");
    }
    return {};
}

void paintUncertainSign(QPainter* painter, const QRectF& r) {
    // A triangle with an exclamation mark, drawn in a 16-unit box scaled to `r`.
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    painter->translate(r.topLeft());
    painter->scale(r.width() / 16, r.height() / 16);
    const QColor color = confidenceColor(Confidence::Low);
    painter->setPen(QPen(color.darker(140), 1));
    painter->setBrush(color);
    const QPointF triangle[3] = {{8, 1.5}, {15, 14.5}, {1, 14.5}};
    painter->drawPolygon(triangle, 3);
    painter->setPen(QPen(Qt::white, 2));
    painter->drawLine(QPointF(8, 5.5), QPointF(8, 10));
    painter->drawPoint(QPointF(8, 12.5));
    painter->restore();
}

QString uncertainSignHtml() {
    return QStringLiteral("&#9888;"); // WARNING SIGN, the triangle the tree and the graph paint
}

static QIcon discIcon(const QColor& color, bool warning) {
    QPixmap pixmap(16, 16);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    if (warning) {
        paintUncertainSign(&painter, QRectF(0, 0, 16, 16));
        return QIcon(pixmap);
    }
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(QPen(color.darker(140), 1));
    painter.setBrush(color);
    painter.drawEllipse(QRectF(3, 3, 10, 10));
    return QIcon(pixmap);
}

QIcon confidenceIcon(Confidence confidence) {
    static QIcon icons[5];
    QIcon& icon = icons[static_cast<int>(confidence)];
    if (icon.isNull()) icon = discIcon(confidenceColor(confidence), false);
    return icon;
}

QIcon uncertainModuleIcon() {
    static QIcon icon;
    if (icon.isNull()) icon = discIcon(confidenceColor(Confidence::Low), true);
    return icon;
}

QString confidenceHelpHtml() {
    QString rows;
    const char* text[][2] = {
        {"certain", "A person placed the node (a manual re-tag, or a suggestion marked as checked)."},
        {"high", "One explicit source places it and none disagrees: dynamo's name_scopes metadata, a local "
                 "function body, a TorchScript name scope (/encoder/layer.0/...) matching a known module, an "
                 "exporter's sidecar agreeing with the name, a parameter whose named users confirm the "
                 "level. Name scopes are high because torch writes them while tracing the module calls."},
        {"medium",
         "Inferred from the graph with all evidence agreeing (a Constant whose consumers all sit in "
         "one module), a parameter nothing in the file confirms, another converter's layer path "
         "(tf2onnx), or a suggestion taken in bulk."},
        {"low", "Inferred from disagreeing evidence and placed at the deepest module all of it shares "
                "(never a sibling of its evidence), or left at the root when nothing speaks of it."},
        {"conflict", "Explicit sources disagree (the sidecar says layer.1, the name says layer.0): placed at "
                     "their common ancestor, every claim kept as a candidate you can accept."}};
    const Confidence levels[] = {Confidence::Certain, Confidence::High, Confidence::Medium, Confidence::Low,
                                 Confidence::Conflict};
    for (int i = 0; i < 5; ++i)
        rows +=
            QStringLiteral(
                "<tr><td><span style='color:%1'>&#9632;</span>&nbsp;<b>%2</b></td><td>%3</td></tr>")
                .arg(confidenceColor(levels[i]).name(), QLatin1String(text[i][0]), QLatin1String(text[i][1]));
    return QStringLiteral(
               "<h3>Confidence levels</h3><p>Every node's module comes with a level saying how sure "
               "Hierscope "
               "is, and the evidence behind it (select a node: the inspector says why it is there).</p>"
               "<table cellspacing='6'>%1</table>"
               "<h3><span style='color:%2'>%3</span> Uncertain</h3><p>A node is <b>uncertain</b> when no "
               "explicit source confirms where it is: a conflict, a low or a medium placement (inferred, "
               "often vague: a safe ancestor, with a suggested deeper module where one is likely; a "
               "suggestion taken in bulk stays medium until checked). The same count is used by the "
               "Uncertain list, the tree's and graph's %3 sign, the inspector's \"Uncertain nodes\" and "
               "the status bar; hierscope-cli tree prints it too.</p><p>Sources, strongest first: manual, "
               "metadata, function, name_scope, parameter, sidecar, converter_scope, inferred, "
               "fallback.</p>")
        .arg(rows, confidenceColor(Confidence::Low).name(), uncertainSignHtml());
}

} // namespace hs::ui
