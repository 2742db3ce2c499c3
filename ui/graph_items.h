#pragma once
// Scene items of the graph: op nodes, collapsed module boxes, expanded module frames and edges.
// They paint from data captured at construction (no document access while painting) and drop
// their text when zoomed far out, so big graphs stay smooth.
#include "confidence.h"

#include <QGraphicsItem>
#include <QGraphicsPathItem>

namespace hs::ui {

namespace graph_metrics {
constexpr qreal nodeHeight = 38;
constexpr qreal boxHeight = 46;
constexpr qreal framePadding = 14;
constexpr qreal frameHeader = 26;
constexpr qreal handleSize = 14;
constexpr qreal textLevelOfDetail = 0.45; // below this zoom, items draw no text
} // namespace graph_metrics

enum ItemKind { NodeKind = QGraphicsItem::UserType + 1, ModuleBoxKind, ModuleFrameKind, EdgeKind };

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

class ModuleBoxItem : public QGraphicsItem {
public:
    ModuleBoxItem(int module, QRectF rect, QString title, QString subtitle, Confidence lowest, bool uncertain,
                  QString toolTip);
    int type() const override { return ModuleBoxKind; }
    int module() const { return module_; }
    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;
    QRectF handleRect() const;

protected:
    void mousePressEvent(QGraphicsSceneMouseEvent* event) override;

private:
    int module_;
    QRectF rect_;
    QString title_, subtitle_;
    Confidence lowest_;
    bool uncertain_;
};

class ModuleFrameItem : public QGraphicsItem {
public:
    ModuleFrameItem(int module, QRectF rect, QString title, int depth, bool uncertain, QString toolTip);
    int type() const override { return ModuleFrameKind; }
    int module() const { return module_; }
    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;
    QRectF handleRect() const;

protected:
    void mousePressEvent(QGraphicsSceneMouseEvent* event) override;

private:
    int module_;
    QRectF rect_;
    QString title_;
    int depth_;
    bool uncertain_;
};

class EdgeItem : public QGraphicsPathItem {
public:
    EdgeItem(const std::vector<QPointF>& route, QPointF arrowTip, QPointF offset);
    int type() const override { return EdgeKind; }
    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

private:
    QPolygonF arrow_;
};

} // namespace hs::ui
