#pragma once
#include <vector>
// Scene items of the graph: op nodes, collapsed module boxes, expanded module frames and edges.
// They paint from data captured at construction (no document access while painting) and drop
// their text when zoomed far out, so big graphs stay smooth.
#include "graphview/graph_scene.h"
#include "style/confidence.h"

#include <QGraphicsItem>
#include <QGraphicsPathItem>

namespace hs::ui {

namespace graph_metrics {
constexpr qreal nodeHeight = 38;
constexpr qreal smallNodeHeight = 20; // Constants and weight copies: one line, small type
constexpr qreal boxHeight = 46;
constexpr qreal terminalHeight = 30;
constexpr qreal framePadding = 14;
constexpr qreal frameHeader = 26;
constexpr qreal handleSize = 14;
constexpr qreal textLevelOfDetail = 0.45;  // below this zoom, items draw no text
constexpr qreal labelLevelOfDetail = 0.75; // below this zoom, edges draw no shape labels
// The smallest zoom at which a person reads node and edge labels without effort: the first view and a
// view that follows an expansion never start below it.
constexpr qreal readableZoom = 0.8;
constexpr qreal tinyLevelOfDetail = 0.05; // below this zoom, items draw as plain marks, edges not at all
} // namespace graph_metrics

enum ItemKind {
    NodeKind = QGraphicsItem::UserType + 1,
    ModuleBoxKind,
    ModuleFrameKind,
    EdgeKind,
    TerminalKind,
    BusKind
};

// White through amber to red for a cost share of 0 to 1 (the graph's heat map).
QColor heatColor(double heat);

class NodeItem : public QGraphicsItem {
public:
    NodeItem(int node, QRectF rect, QString opType, QString name, Confidence confidence, QString toolTip);
    int type() const override { return NodeKind; }
    int node() const { return node_; }
    Confidence confidence() const { return confidence_; }
    QString name() const { return name_; } // drawn under the op (or after it, on a small node)
    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;
    // Colour by cost (0..1, the scene's heat map); negative: by confidence, as usual.
    void setHeat(double heat);
    double heat() const { return heat_; }

private:
    double heat_ = -1;
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
    Confidence lowest() const { return lowest_; } // the colour of its strip
    QString title() const { return title_; }
    QString subtitle() const { return subtitle_; }
    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;
    QRectF handleRect() const;
    void setHeat(double heat); // as NodeItem::setHeat
    double heat() const { return heat_; }

protected:
    void mousePressEvent(QGraphicsSceneMouseEvent* event) override;

private:
    GraphEntity entity_;
    QRectF rect_;
    QString title_, subtitle_;
    Confidence lowest_;
    bool uncertain_;
    double heat_ = -1;
};

// An expanded module or section, its interior drawn inside.
class ModuleFrameItem : public QGraphicsItem {
public:
    ModuleFrameItem(GraphEntity entity, QRectF rect, QString title, int depth, bool uncertain,
                    QString toolTip);
    int type() const override { return ModuleFrameKind; }
    GraphEntity entity() const { return entity_; }
    QString title() const { return title_; }
    QRectF rect() const { return rect_; }
    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;
    QRectF handleRect() const;
    // Colour by cost: the header takes the module's heat (its nodes inside keep theirs); negative: none.
    void setHeat(double heat);
    double heat() const { return heat_; }

protected:
    void mousePressEvent(QGraphicsSceneMouseEvent* event) override;

private:
    GraphEntity entity_;
    QRectF rect_;
    QString title_;
    int depth_;
    bool uncertain_;
    double heat_ = -1;
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
    // Where the label is drawn, in scene coordinates (empty without a label).
    QRectF labelRect() const;
    // Moves the label along the edge to the first spot free of `isTaken`; when there is none the label
    // is dropped (the shape stays in the edge's tooltip) rather than drawn over another one.
    template <typename Taken> void placeLabel(Taken isTaken) {
        for (qreal at : {0.5, 0.35, 0.65, 0.22, 0.78, 0.1, 0.9})
            if (!label_.isEmpty() && !isTaken(labelRectAt(at))) return setLabelAt(at);
        dropLabel();
    }
    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

private:
    QRectF labelRectAt(qreal percent) const;
    void setLabelAt(qreal percent);
    void dropLabel();
    QPolygonF arrow_;
    QString label_;
    qreal labelAt_ = 0.5; // where along the edge the label sits
    QRectF bounds_;       // computed once: the scene index asks for it constantly
    // Pieces of a very long edge (a lifted edge can span a whole expanded model): painting only the
    // pieces in view keeps a repaint from stroking the full path.
    std::vector<QPainterPath> pieces_;
};

// The trunk of a bus (graph_layout.h), drawn once: the edges riding it are drawn from where they leave it.
class BusTrunkItem : public EdgeItem {
public:
    BusTrunkItem(const std::vector<QPointF>& route, QPointF offset, const QString& tip)
        : EdgeItem(route, route.empty() ? QPointF() : route.back(), offset) {
        setToolTip(tip);
    }
    int type() const override { return BusKind; }
};

} // namespace hs::ui
