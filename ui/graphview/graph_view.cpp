#include "graphview/graph_view.h"

#include "graphview/graph_items.h"
#include "graphview/graph_scene.h"
#include "itemmodels/module_tree_model.h"
#include "style/confidence.h"

#include <QApplication>
#include <QDrag>

#include <QContextMenuEvent>
#include <QImage>
#include <QKeyEvent>
#include <QLabel>
#include <QPainter>
#include <QSvgGenerator>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

namespace hs::ui {

QString confidenceLegendHtml() {
    // One line when there is room; entries are separated by breakable spaces so a narrow view wraps
    // the legend between them instead of cutting its end.
    QString html = QStringLiteral("<b>Confidence:</b>");
    for (Confidence c :
         {Confidence::Certain, Confidence::High, Confidence::Medium, Confidence::Low, Confidence::Conflict})
        html += QStringLiteral("&nbsp; <span style='color:%1'>&#9632;</span>&nbsp;%2")
                    .arg(confidenceColor(c).name(), confidenceLabel(c));
    // The sign the tree shows beside such modules and the graph paints on their boxes and frames.
    return html + QStringLiteral("&nbsp;&nbsp; <span style='color:%1'>%2</span>&nbsp;module&nbsp;with "
                                 "uncertain&nbsp;nodes")
                      .arg(confidenceColor(Confidence::Low).name(), uncertainSignHtml());
}

GraphView::GraphView(GraphScene* scene, QWidget* parent) : QGraphicsView(scene, parent), scene_(scene) {
    setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
    setDragMode(QGraphicsView::ScrollHandDrag);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setViewportUpdateMode(QGraphicsView::SmartViewportUpdate);
    setFocusPolicy(Qt::StrongFocus);
    legend_ = new QLabel(this);
    legend_->setTextFormat(Qt::RichText);
    legend_->setWordWrap(true);
    legend_->setText(confidenceLegendHtml());
    legend_->setObjectName(QStringLiteral("graphLegend"));
    legend_->setStyleSheet(QStringLiteral("QLabel { background: #f8fafc; border-bottom: 1px solid #cbd5e1;"
                                          " padding: 2px 6px; }"));
    legend_->adjustSize();
    placeLegend();
    connect(scene_, &GraphScene::focusRequested, this, &GraphView::bringIntoView);
}

void GraphView::paintEvent(QPaintEvent* event) {
    // Every way of zooming (wheel, keys, fit, programmatic) ends in a repaint: the scene learns the
    // scale here and hides the insides of modules too small on screen to be read.
    scene_->setViewScale(zoom());
    QGraphicsView::paintEvent(event);
}

void GraphView::zoomBy(qreal factor) {
    const qreal next = zoom() * factor;
    if (next < 0.02 || next > 8) return;
    scale(factor, factor);
}

void GraphView::fitAll() {
    fitRect(scene_->itemsBoundingRect());
}

void GraphView::fitRect(const QRectF& rect) {
    if (rect.isEmpty()) return;
    fitInView(rect.adjusted(-20, -20, 20, 20), Qt::KeepAspectRatio);
    // Do not blow small graphs up beyond natural size.
    if (zoom() > 1.0) {
        setTransform(QTransform());
        centerOn(rect.center());
    }
}

void GraphView::showReadable(const QRectF& rect, qreal focusX) {
    if (rect.isEmpty()) return;
    fitRect(rect);
    if (zoom() >= graph_metrics::readableZoom) return;
    setTransform(QTransform::fromScale(graph_metrics::readableZoom, graph_metrics::readableZoom));
    showTopOf(rect, focusX);
}

void GraphView::bringIntoView(const QRectF& rect) {
    if (rect.isEmpty()) return;
    if (zoom() < graph_metrics::readableZoom)
        setTransform(QTransform::fromScale(graph_metrics::readableZoom, graph_metrics::readableZoom));
    const QSizeF room = visibleSceneRect().size();
    if (rect.width() + 40 / zoom() <= room.width() && rect.height() + 40 / zoom() <= room.height()) {
        // Already whole on screen: nothing moves; otherwise it comes to the centre, not to an edge.
        if (!visibleSceneRect().contains(rect)) centerOn(rect.center());
    } else
        showTopOf(rect);
}

void GraphView::showTopOf(const QRectF& rect, qreal focusX) {
    const QSizeF room = visibleSceneRect().size();
    const qreal margin = 20 / zoom();
    const qreal left = rect.left() - margin + room.width() / 2,
                right = rect.right() + margin - room.width() / 2;
    const qreal x = rect.width() + 2 * margin <= room.width() ? rect.center().x()
                    : qIsNaN(focusX)                          ? left
                                                              : std::clamp(focusX, left, right);
    centerOn(x, rect.top() - margin + room.height() / 2);
}

QRectF GraphView::visibleSceneRect() const {
    return mapToScene(viewport()->rect()).boundingRect();
}

GraphEntity GraphView::selectNeighbour(Qt::Key direction) {
    QGraphicsItem* current = nullptr;
    const QList<QGraphicsItem*> selected = scene_->selectedItems();
    if (!selected.isEmpty()) current = selected.first();
    const QPointF from =
        current ? current->sceneBoundingRect().center() : mapToScene(viewport()->rect().center());
    QPointF axis;
    switch (direction) {
    case Qt::Key_Up:
        axis = {0, -1};
        break;
    case Qt::Key_Down:
        axis = {0, 1};
        break;
    case Qt::Key_Left:
        axis = {-1, 0};
        break;
    default:
        axis = {1, 0};
        break;
    }
    QGraphicsItem* best = nullptr;
    qreal bestScore = 0;
    for (QGraphicsItem* item : scene_->items()) {
        // Ops, collapsed boxes and model inputs/outputs; frames are containers, not stops.
        if (item == current ||
            (item->type() != NodeKind && item->type() != ModuleBoxKind && item->type() != TerminalKind))
            continue;
        const QPointF d = item->sceneBoundingRect().center() - from;
        const qreal along = d.x() * axis.x() + d.y() * axis.y();
        const qreal across = std::abs(d.x() * axis.y() - d.y() * axis.x());
        if (current && along <= 1) continue;
        if (current && across > 3 * along) continue; // within a wide cone around the direction
        const qreal score = current ? along + 2 * across : std::hypot(d.x(), d.y());
        if (!best || score < bestScore) {
            best = item;
            bestScore = score;
        }
    }
    if (!best) return current ? scene_->entityAt(current) : GraphEntity{};
    scene_->clearSelection();
    best->setSelected(true); // a user selection: the window follows (inspector, tree)
    ensureVisible(best, 60, 60);
    return scene_->entityAt(best);
}

QMimeData* GraphView::selectionMimeData() const {
    const std::vector<int> nodes = scene_->selectedNodes();
    return nodes.empty() || !documentTag_ ? nullptr : nodesMimeData(nodes, documentTag_);
}

void GraphView::mousePressEvent(QMouseEvent* event) {
    QGraphicsView::mousePressEvent(event);
    dragArmed_ = false;
    if (event->button() != Qt::LeftButton) return;
    for (QGraphicsItem* item : items(event->pos()))
        if (item->type() == NodeKind) {
            dragArmed_ = item->isSelected();
            pressPos_ = event->pos();
            break;
        }
}

void GraphView::mouseMoveEvent(QMouseEvent* event) {
    if (dragArmed_ && (event->buttons() & Qt::LeftButton) &&
        (event->pos() - pressPos_).manhattanLength() >= QApplication::startDragDistance()) {
        dragArmed_ = false;
        if (QMimeData* data = selectionMimeData()) {
            auto* drag = new QDrag(this);
            drag->setMimeData(data);
            drag->exec(Qt::MoveAction | Qt::CopyAction, Qt::MoveAction);
            return;
        }
    }
    QGraphicsView::mouseMoveEvent(event);
}

void GraphView::mouseReleaseEvent(QMouseEvent* event) {
    dragArmed_ = false;
    QGraphicsView::mouseReleaseEvent(event);
}

void GraphView::contextMenuEvent(QContextMenuEvent* event) {
    GraphEntity entity;
    if (event->reason() == QContextMenuEvent::Mouse) {
        for (QGraphicsItem* item : items(event->pos())) {
            entity = scene_->entityAt(item);
            if (entity.kind != GraphEntity::None) break;
        }
    } else {
        entity = scene_->selectedEntity();
        if (entity.kind == GraphEntity::None && !scene_->selectedNodes().empty())
            entity = {GraphEntity::Node, scene_->selectedNodes().front()};
    }
    emit contextMenuRequested(entity, event->globalPos());
    event->accept();
}

void GraphView::wheelEvent(QWheelEvent* event) {
    const int delta = event->angleDelta().y();
    if (delta == 0) return;
    zoomBy(delta > 0 ? 1.15 : 1 / 1.15);
    event->accept();
}

void GraphView::keyPressEvent(QKeyEvent* event) {
    switch (event->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        zoomBy(1.25);
        return;
    case Qt::Key_Minus:
        zoomBy(1 / 1.25);
        return;
    case Qt::Key_F:
        fitAll();
        return;
    case Qt::Key_Up:
    case Qt::Key_Down:
    case Qt::Key_Left:
    case Qt::Key_Right:
        if (event->modifiers() == Qt::NoModifier || event->modifiers() == Qt::KeypadModifier) {
            selectNeighbour(static_cast<Qt::Key>(event->key()));
            return;
        }
        break;
    case Qt::Key_Return:
    case Qt::Key_Enter: {
        const GraphEntity e = scene_->selectedEntity();
        if (e.kind == GraphEntity::Module || e.kind == GraphEntity::Section) {
            scene_->setEntityExpanded(e, !scene_->isEntityExpanded(e));
            return;
        }
        break;
    }
    }
    QGraphicsView::keyPressEvent(event);
}

void GraphView::resizeEvent(QResizeEvent* event) {
    QGraphicsView::resizeEvent(event);
    placeLegend();
}

void GraphView::placeLegend() {
    const int w = width() - 2 * frameWidth();
    const int h = std::max(legend_->heightForWidth(w), legend_->minimumSizeHint().height());
    setViewportMargins(0, h, 0, 0);
    legend_->setGeometry(frameWidth(), frameWidth(), w, h);
}

QString GraphView::exportSvg(const QString& path) const {
    const QRectF source = scene_->itemsBoundingRect().adjusted(-20, -20, 20, 20);
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(source.size().toSize());
    svg.setViewBox(QRectF(QPointF(0, 0), source.size()));
    svg.setTitle(QStringLiteral("Hierscope graph"));
    QPainter painter;
    if (!painter.begin(&svg)) return tr("Cannot write %1.").arg(path);
    scene_->render(&painter, QRectF(QPointF(0, 0), source.size()), source);
    painter.end();
    return {};
}

QString GraphView::exportPng(const QString& path) const {
    const QRectF source = scene_->itemsBoundingRect().adjusted(-20, -20, 20, 20);
    // Twice the scene resolution for legible text, capped to keep memory bounded on huge graphs.
    qreal scaleFactor = 2.0;
    const qreal maxSide = 16000;
    scaleFactor =
        std::min(scaleFactor, maxSide / std::max<qreal>(1, std::max(source.width(), source.height())));
    QImage image((source.size() * scaleFactor).toSize(), QImage::Format_ARGB32_Premultiplied);
    if (image.isNull()) return tr("The graph is too large to export as PNG; export SVG instead.");
    image.fill(Qt::white);
    QPainter painter(&image);
    painter.setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
    scene_->render(&painter, QRectF(QPointF(0, 0), image.size()), source);
    painter.end();
    return image.save(path, "PNG") ? QString() : tr("Cannot write %1.").arg(path);
}

} // namespace hs::ui
