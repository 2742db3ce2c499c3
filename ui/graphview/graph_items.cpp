#include "graphview/graph_items.h"

#include <algorithm>

#include "graphview/graph_scene.h"

#include <QFontMetricsF>
#include <QGraphicsSceneMouseEvent>
#include <QPainter>
#include <QStyleOptionGraphicsItem>
#include <QtMath>

namespace hs::ui {

using namespace graph_metrics;

static bool showText(QPainter* painter, qreal threshold = textLevelOfDetail) {
    return QStyleOptionGraphicsItem::levelOfDetailFromTransform(painter->worldTransform()) >= threshold;
}

static bool isTiny(QPainter* painter) {
    return QStyleOptionGraphicsItem::levelOfDetailFromTransform(painter->worldTransform()) <
           tinyLevelOfDetail;
}

static QColor tint(const QColor& color, qreal amount) {
    // Mix with white: amount 0 = white, 1 = the colour.
    return QColor::fromRgbF(1 - (1 - color.redF()) * amount, 1 - (1 - color.greenF()) * amount,
                            1 - (1 - color.blueF()) * amount);
}

static void paintSelection(QPainter* painter, const QRectF& rect, qreal radius) {
    painter->setBrush(Qt::NoBrush);
    painter->setPen(QPen(QColor(0x1d, 0x4e, 0xd8), 3));
    painter->drawRoundedRect(rect.adjusted(-3, -3, 3, 3), radius + 2, radius + 2);
}

static void paintHandle(QPainter* painter, const QRectF& r, bool expanded) {
    painter->setPen(QPen(QColor(0x4b, 0x55, 0x63), 1.2));
    painter->setBrush(Qt::white);
    painter->drawRect(r);
    const QPointF c = r.center();
    painter->drawLine(QPointF(r.left() + 3, c.y()), QPointF(r.right() - 3, c.y()));
    if (!expanded) painter->drawLine(QPointF(c.x(), r.top() + 3), QPointF(c.x(), r.bottom() - 3));
}

// A press on a module's +/- handle expands or collapses it; true when the press was on the handle.
static bool pressHandle(QGraphicsItem* item, const QRectF& handle, GraphEntity entity, bool expand,
                        QGraphicsSceneMouseEvent* event) {
    if (!handle.adjusted(-3, -3, 3, 3).contains(event->pos())) return false;
    if (auto* s = qobject_cast<GraphScene*>(item->scene())) {
        // The module the user acted on is the selected one (its frame or box stays selected).
        s->clearSelection();
        item->setSelected(true);
        s->setEntityExpanded(entity, expand);
    }
    event->accept();
    return true;
}

// ---- NodeItem

NodeItem::NodeItem(int node, QRectF rect, QString opType, QString name, Confidence confidence,
                   QString toolTip)
    : node_(node), rect_(rect), opType_(std::move(opType)), name_(std::move(name)), confidence_(confidence) {
    setFlag(ItemIsSelectable);
    setToolTip(toolTip);
    setZValue(2);
}

QRectF NodeItem::boundingRect() const {
    return rect_.adjusted(-5, -5, 5, 5);
}

QColor heatColor(double heat) {
    heat = std::clamp(heat, 0.0, 1.0);
    const QColor amber(0xfb, 0xbf, 0x24), red(0xdc, 0x26, 0x26);
    if (heat < 0.5) return tint(amber, 0.08 + 1.84 * heat); // near white to amber
    const double t = (heat - 0.5) * 2;
    return QColor::fromRgbF(amber.redF() + (red.redF() - amber.redF()) * t,
                            amber.greenF() + (red.greenF() - amber.greenF()) * t,
                            amber.blueF() + (red.blueF() - amber.blueF()) * t);
}

void NodeItem::setHeat(double heat) {
    if (heat == heat_) return;
    heat_ = heat;
    update();
}

void ModuleBoxItem::setHeat(double heat) {
    if (heat == heat_) return;
    heat_ = heat;
    update();
}

void NodeItem::paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) {
    const QColor color = confidenceColor(confidence_);
    if (isTiny(painter)) { // a few pixels at most: a plain mark in its colour is all that shows
        painter->fillRect(rect_, color);
        return;
    }
    const bool alarming = confidence_ == Confidence::Low || confidence_ == Confidence::Conflict;
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setPen(QPen(color.darker(alarming ? 110 : 125), alarming ? 3 : 1.3));
    painter->setBrush(heat_ >= 0 ? heatColor(heat_) : tint(color, alarming ? 0.45 : 0.22));
    painter->drawRoundedRect(rect_, 6, 6);
    if (isSelected()) paintSelection(painter, rect_, 6);
    if (!showText(painter)) return;
    QFont font = painter->font();
    if (rect_.height() < nodeHeight * 0.75) { // a Constant or weight copy: "Constant = [1, -1]" on one line
        font.setPointSizeF(font.pointSizeF() * 0.8);
        painter->setFont(font);
        painter->setPen(QColor(0x37, 0x41, 0x51));
        painter->drawText(rect_, Qt::AlignCenter, opType_ + QLatin1Char(' ') + name_);
        return;
    }
    font.setBold(true);
    painter->setFont(font);
    painter->setPen(Qt::black);
    if (name_.isEmpty()) {
        painter->drawText(rect_, Qt::AlignCenter, opType_);
        return;
    }
    const QRectF top(rect_.left() + 4, rect_.top() + 2, rect_.width() - 8, rect_.height() / 2);
    painter->drawText(top, Qt::AlignHCenter | Qt::AlignBottom, opType_);
    font.setBold(false);
    font.setPointSizeF(font.pointSizeF() * 0.85);
    painter->setFont(font);
    painter->setPen(QColor(0x37, 0x41, 0x51));
    const QRectF bottom(rect_.left() + 4, rect_.center().y() + 1, rect_.width() - 8, rect_.height() / 2 - 3);
    painter->drawText(bottom, Qt::AlignHCenter | Qt::AlignTop, name_);
}

// ---- ModuleBoxItem

ModuleBoxItem::ModuleBoxItem(GraphEntity entity, QRectF rect, QString title, QString subtitle,
                             Confidence lowest, bool uncertain, QString toolTip)
    : entity_(entity), rect_(rect), title_(std::move(title)), subtitle_(std::move(subtitle)), lowest_(lowest),
      uncertain_(uncertain) {
    setFlag(ItemIsSelectable);
    setToolTip(toolTip);
    setZValue(2);
}

QRectF ModuleBoxItem::boundingRect() const {
    return rect_.adjusted(-5, -5, 5, 5);
}

QRectF ModuleBoxItem::handleRect() const {
    return QRectF(rect_.right() - handleSize - 6, rect_.top() + 6, handleSize, handleSize);
}

void ModuleBoxItem::paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) {
    painter->setRenderHint(QPainter::Antialiasing);
    const QColor border = uncertain_ ? confidenceColor(Confidence::Low) : QColor(0x6b, 0x72, 0x80);
    painter->setPen(QPen(border, uncertain_ ? 2.5 : 1.5));
    painter->setBrush(heat_ >= 0 ? heatColor(heat_) : QColor(0xe8, 0xee, 0xf6));
    painter->drawRoundedRect(rect_, 9, 9);
    // A strip on the left in the colour of the lowest confidence inside.
    painter->setPen(Qt::NoPen);
    painter->setBrush(confidenceColor(lowest_));
    painter->drawRoundedRect(QRectF(rect_.left() + 3, rect_.top() + 6, 5, rect_.height() - 12), 2, 2);
    if (isSelected()) paintSelection(painter, rect_, 9);
    if (!showText(painter)) return;
    paintHandle(painter, handleRect(), false);
    QFont font = painter->font();
    font.setBold(true);
    painter->setFont(font);
    painter->setPen(Qt::black);
    const QRectF text = rect_.adjusted(12, 3, -handleSize - 10, -3);
    painter->drawText(QRectF(text.left(), text.top(), text.width(), text.height() / 2),
                      Qt::AlignLeft | Qt::AlignBottom, title_);
    font.setBold(false);
    font.setPointSizeF(font.pointSizeF() * 0.85);
    painter->setFont(font);
    painter->setPen(QColor(0x37, 0x41, 0x51));
    painter->drawText(QRectF(text.left(), text.center().y() + 1, text.width(), text.height() / 2),
                      Qt::AlignLeft | Qt::AlignTop, subtitle_);
    // The tree's and the legend's sign for a module with uncertain nodes, under the handle.
    if (uncertain_)
        paintUncertainSign(painter, QRectF(rect_.right() - handleSize - 6, rect_.bottom() - 17, 12, 12));
}

void ModuleBoxItem::mousePressEvent(QGraphicsSceneMouseEvent* event) {
    if (pressHandle(this, handleRect(), entity_, true, event)) return;
    QGraphicsItem::mousePressEvent(event);
}

// ---- ModuleFrameItem

ModuleFrameItem::ModuleFrameItem(GraphEntity entity, QRectF rect, QString title, int depth, bool uncertain,
                                 QString toolTip)
    : entity_(entity), rect_(rect), title_(std::move(title)), depth_(depth), uncertain_(uncertain) {
    setFlag(ItemIsSelectable);
    setToolTip(toolTip);
    setZValue(0.1 * depth); // nested frames above their parents, below nodes and edges
}

QRectF ModuleFrameItem::boundingRect() const {
    return rect_.adjusted(-5, -5, 5, 5);
}

QRectF ModuleFrameItem::handleRect() const {
    return QRectF(rect_.left() + 6, rect_.top() + (frameHeader - handleSize) / 2, handleSize, handleSize);
}

void ModuleFrameItem::paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) {
    painter->setRenderHint(QPainter::Antialiasing);
    // Alternate the background with depth so nested frames stay distinguishable.
    const QColor fill = depth_ % 2 ? QColor(0xf3, 0xf6, 0xfa) : QColor(0xfa, 0xfb, 0xfd);
    const QColor border = uncertain_ ? confidenceColor(Confidence::Low) : QColor(0x94, 0xa3, 0xb8);
    painter->setPen(QPen(border, 1.5, Qt::DashLine));
    painter->setBrush(fill);
    painter->drawRoundedRect(rect_, 10, 10);
    painter->setPen(Qt::NoPen);
    painter->setBrush(heat_ >= 0 ? heatColor(heat_) : QColor(0xdb, 0xe4, 0xf0));
    painter->drawRoundedRect(QRectF(rect_.left() + 1, rect_.top() + 1, rect_.width() - 2, frameHeader - 2), 9,
                             9);
    if (isSelected()) paintSelection(painter, rect_, 10);
    if (!showText(painter)) return;
    paintHandle(painter, handleRect(), true);
    QFont font = painter->font();
    font.setBold(true);
    painter->setFont(font);
    painter->setPen(Qt::black);
    const qreal sign = uncertain_ ? 16 : 0; // the tree's sign for uncertain nodes, at the header's end
    painter->drawText(QRectF(rect_.left() + handleSize + 12, rect_.top(),
                             rect_.width() - handleSize - 16 - sign, frameHeader),
                      Qt::AlignLeft | Qt::AlignVCenter, title_);
    if (uncertain_)
        paintUncertainSign(painter, QRectF(rect_.right() - 18, rect_.top() + (frameHeader - 12) / 2, 12, 12));
}

void ModuleFrameItem::setHeat(double heat) {
    if (heat == heat_) return;
    heat_ = heat;
    update();
}

void ModuleFrameItem::mousePressEvent(QGraphicsSceneMouseEvent* event) {
    if (pressHandle(this, handleRect(), entity_, false, event)) return;
    // Only the header selects the frame: clicks on its background should not steal selection.
    if (event->pos().y() > rect_.top() + frameHeader) {
        event->ignore();
        return;
    }
    QGraphicsItem::mousePressEvent(event);
}

// ---- TerminalItem

TerminalItem::TerminalItem(GraphEntity entity, QRectF rect, QString name, bool input, QString toolTip)
    : entity_(entity), rect_(rect), name_(std::move(name)), input_(input) {
    setFlag(ItemIsSelectable);
    setToolTip(toolTip);
    setZValue(2);
}

QRectF TerminalItem::boundingRect() const {
    return rect_.adjusted(-5, -5, 5, 5);
}

void TerminalItem::paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) {
    painter->setRenderHint(QPainter::Antialiasing);
    const QColor color = input_ ? QColor(0x0e, 0x74, 0x90) : QColor(0x7c, 0x3a, 0xed);
    painter->setPen(QPen(color, 1.5));
    painter->setBrush(tint(color, 0.12));
    const qreal radius = rect_.height() / 2;
    painter->drawRoundedRect(rect_, radius, radius);
    if (isSelected()) paintSelection(painter, rect_, radius);
    if (!showText(painter)) return;
    QFont font = painter->font();
    font.setPointSizeF(font.pointSizeF() * 0.85);
    painter->setFont(font);
    painter->setPen(color.darker(140));
    painter->drawText(rect_.adjusted(10, 0, -10, 0), Qt::AlignCenter, name_);
}

// ---- EdgeItem

EdgeItem::EdgeItem(const std::vector<QPointF>& route, QPointF arrowTip, QPointF offset, QString label)
    : label_(std::move(label)) {
    QPainterPath path;
    if (!route.empty()) {
        path.moveTo(route[0] + offset);
        for (std::size_t k = 1; k + 2 < route.size(); k += 3)
            path.cubicTo(route[k] + offset, route[k + 1] + offset, route[k + 2] + offset);
        const QPointF last = route.back() + offset, tip = arrowTip + offset;
        path.lineTo(tip);
        const QLineF line(last, tip);
        if (line.length() > 0.5) {
            const qreal angle = qDegreesToRadians(line.angle());
            const QPointF back = tip - QPointF(std::cos(angle), -std::sin(angle)) * 7;
            const QPointF normal(std::sin(angle) * 3.5, std::cos(angle) * 3.5);
            arrow_ << tip << back + normal << back - normal;
        }
    }
    setPath(path);
    setPen(QPen(QColor(0x6b, 0x72, 0x80), 1.2));
    setZValue(1.5);
    setLabelAt(0.5);
    setFlag(ItemUsesExtendedStyleOption); // paint() needs the exposed rectangle
    constexpr qreal longEdge = 4000;
    if (route.size() >= 4 && (bounds_.height() > longEdge || bounds_.width() > longEdge)) {
        for (std::size_t k = 1; k + 2 < route.size(); k += 3) {
            QPainterPath piece(route[k - 1] + offset);
            piece.cubicTo(route[k] + offset, route[k + 1] + offset, route[k + 2] + offset);
            pieces_.push_back(piece);
        }
        QPainterPath tail(route.back() + offset);
        tail.lineTo(arrowTip + offset);
        pieces_.push_back(tail);
    }
}

QRectF EdgeItem::labelRectAt(qreal percent) const {
    if (label_.isEmpty() || path().isEmpty()) return {};
    QFont font;
    font.setPointSizeF(font.pointSizeF() * 0.75);
    const QFontMetricsF metrics(font);
    const QSizeF size(metrics.horizontalAdvance(label_) + 6, metrics.height() + 2);
    const QPointF anchor = path().pointAtPercent(percent) + QPointF(4, 0); // beside the edge, to its right
    return QRectF(anchor - QPointF(0, size.height() / 2), size);
}

QRectF EdgeItem::labelRect() const {
    return labelRectAt(labelAt_);
}

void EdgeItem::setLabelAt(qreal percent) {
    prepareGeometryChange();
    labelAt_ = percent;
    // The control points' box grown by the pen holds the stroke: QGraphicsPathItem's own boundingRect
    // strokes the whole path to be exact, which for the 200 edges riding one bus trunk of 200 stops was
    // half of relaying out deep-200's encoder.
    const qreal pad = pen().widthF() / 2 + 1;
    bounds_ = path()
                  .controlPointRect()
                  .adjusted(-pad, -pad, pad, pad)
                  .united(arrow_.boundingRect())
                  .united(labelRect());
}

void EdgeItem::dropLabel() {
    if (label_.isEmpty()) return;
    setToolTip(label_);
    label_.clear();
    setLabelAt(labelAt_);
}

QRectF EdgeItem::boundingRect() const {
    return bounds_;
}

void EdgeItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) {
    if (isTiny(painter)) return; // sub-pixel lines: nothing a reader could follow
    painter->setRenderHint(QPainter::Antialiasing);
    if (pieces_.empty()) {
        QGraphicsPathItem::paint(painter, option, widget);
    } else {
        const QRectF view = option->exposedRect.adjusted(-4, -4, 4, 4);
        painter->setPen(pen());
        painter->setBrush(Qt::NoBrush);
        // Grown by a unit: a straight vertical or horizontal piece (a bus trunk) has a box of no area,
        // which intersects nothing.
        for (const QPainterPath& piece : pieces_)
            if (piece.controlPointRect().adjusted(-1, -1, 1, 1).intersects(view)) painter->drawPath(piece);
    }
    if (arrow_.isEmpty()) return;
    painter->setPen(Qt::NoPen);
    painter->setBrush(pen().color());
    painter->drawPolygon(arrow_);
    if (label_.isEmpty() || !showText(painter, labelLevelOfDetail)) return;
    const QRectF box = labelRect();
    painter->setBrush(QColor(255, 255, 255, 220));
    painter->drawRoundedRect(box, 3, 3);
    QFont font = painter->font();
    font.setPointSizeF(QFont().pointSizeF() * 0.75);
    painter->setFont(font);
    painter->setPen(QColor(0x33, 0x41, 0x55));
    painter->drawText(box, Qt::AlignCenter, label_);
}

} // namespace hs::ui
