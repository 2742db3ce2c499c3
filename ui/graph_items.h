#pragma once
#include <vector>
// Scene items of the graph: op nodes, collapsed module boxes, expanded module frames and edges.
// They paint from data captured at construction (no document access while painting) and drop
// their text when zoomed far out, so big graphs stay smooth.
#include "confidence.h"
#include "graph_scene.h"

#include <QGraphicsItem>
#include <QGraphicsPathItem>

namespace hs::ui {

namespace graph_metrics {
constexpr qreal nodeHeight = 38;
constexpr qreal boxHeight = 46;
constexpr qreal terminalHeight = 30;
constexpr qreal framePadding = 14;
constexpr qreal frameHeader = 26;
constexpr qreal handleSize = 14;
constexpr qreal textLevelOfDetail = 0.45;  // below this zoom, items draw no text
constexpr qreal labelLevelOfDetail = 0.75; // below this zoom, edges draw no shape labels
constexpr qreal tinyLevelOfDetail = 0.05;  // below this zoom, items draw as plain marks, edges not at all
} // namespace graph_metrics

enum ItemKind {
    NodeKind = QGraphicsItem::UserType + 1,
    ModuleBoxKind,
    ModuleFrameKind,
    EdgeKind,
    TerminalKind
};

class NodeItem : public QGraphicsItem {
public:
    NodeItem(int node, QRectF rect, QString opType, QString name, Confidence confidence, QString toolTip);
    int type() const override { return NodeKind; }
    int node() const { return node_; }
    Confidence confidence() const { return confidence_; }
    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

private:
    int node_;
    QRectF rect_;
    QString opType_, name_;
    Confidence confidence_;
};

// A collapsed module or section.
class ModuleBoxItem : public QGraphicsItem {
public:
    ModuleBoxItem(GraphEntity entity, QRectF rect, QString title, QString subtitle, Confidence lowest,
                  bool uncertain, QString toolTip);
    int type() const override { return ModuleBoxKind; }
    GraphEntity entity() const { return entity_; }
    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;
    QRectF handleRect() const;

protected:
    void mousePressEvent(QGraphicsSceneMouseEvent* event) override;

private:
    GraphEntity entity_;
    QRectF rect_;
    QString title_, subtitle_;
    Confidence lowest_;
    bool uncertain_;
};

// An expanded module or section, its interior drawn inside.
class ModuleFrameItem : public QGraphicsItem {
public:
    ModuleFrameItem(GraphEntity entity, QRectF rect, QString title, int depth, bool uncertain,
                    QString toolTip);
    int type() const override { return ModuleFrameKind; }
    GraphEntity entity() const { return entity_; }
    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;
    QRectF handleRect() const;

protected:
    void mousePressEvent(QGraphicsSceneMouseEvent* event) override;

private:
    GraphEntity entity_;
    QRectF rect_;
    QString title_;
    int depth_;
    bool uncertain_;
};

// A model input or output at the root: a pill with the tensor name.
class TerminalItem : public QGraphicsItem {
public:
    TerminalItem(GraphEntity entity, QRectF rect, QString name, bool input, QString toolTip);
    int type() const override { return TerminalKind; }
    GraphEntity entity() const { return entity_; }
    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

private:
    GraphEntity entity_;
    QRectF rect_;
    QString name_;
    bool input_;
};

class EdgeItem : public QGraphicsPathItem {
public:
    EdgeItem(const std::vector<QPointF>& route, QPointF arrowTip, QPointF offset, QString label = {});
    int type() const override { return EdgeKind; }
    QString label() const { return label_; }
    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

private:
    QRectF labelRect() const;
    QPolygonF arrow_;
    QString label_;
    QPointF labelAnchor_;
    QRectF bounds_; // computed once: the scene index asks for it constantly
    // Pieces of a very long edge (a lifted edge can span a whole expanded model): painting only the
    // pieces in view keeps a repaint from stroking the full path.
    std::vector<QPainterPath> pieces_;
};

} // namespace hs::ui
