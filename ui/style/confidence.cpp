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

static QIcon discIcon(const QColor& color, bool warning) {
    QPixmap pixmap(16, 16);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(QPen(color.darker(140), 1));
    painter.setBrush(color);
    if (warning) {
        const QPointF triangle[3] = {{8, 1.5}, {15, 14.5}, {1, 14.5}};
        painter.drawPolygon(triangle, 3);
        painter.setPen(QPen(Qt::white, 2));
        painter.drawLine(QPointF(8, 5.5), QPointF(8, 10));
        painter.drawPoint(QPointF(8, 12.5));
    } else {
        painter.drawEllipse(QRectF(3, 3, 10, 10));
    }
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

} // namespace hs::ui
