#pragma once
// The view of the GraphScene: raster viewport (QOpenGLWidget breaks offscreen rendering), zoom with
// the wheel or +/-, F to fit, drag to pan, a confidence legend in the corner, SVG/PNG export.
#include "graphview/graph_scene.h"

#include <QGraphicsView>

class QLabel;
class QMimeData;

namespace hs::ui {

class GraphScene;

class GraphView : public QGraphicsView {
    Q_OBJECT
public:
    explicit GraphView(GraphScene* scene, QWidget* parent = nullptr);
    GraphScene* graphScene() const { return scene_; }

    // Dragging selected nodes out of the view carries them (nodesMimeData) tagged with this document.
    void setDocumentTag(const void* document) { documentTag_ = document; }
    QMimeData* selectionMimeData() const; // nullptr when no node is selected

    // Arrow-key navigation: selects the nearest op, box or model input/output in that direction from the
    // selected one (or the one nearest the view's centre). Returns what was selected.
    GraphEntity selectNeighbour(Qt::Key direction);

    void zoomBy(qreal factor);
    void fitAll();
    void fitRect(const QRectF& sceneRect); // shows the rectangle whole, never zoomed beyond 1:1
    // The first view of a rectangle: fitted when labels stay readable that way, else its top at the
    // readable zoom (a person reads from the top and scrolls down rather than squint at a miniature).
    // A rectangle wider than the view is shown around `focusX` (the model's input), else from its left.
    void showReadable(const QRectF& sceneRect, qreal focusX = qQNaN());
    // Follows the user to a rectangle (an expanded module, a revealed node): scrolls it into view and
    // zooms in to the readable zoom when the view is below it, but never re-fits the whole graph.
    void bringIntoView(const QRectF& sceneRect);
    // The scene rectangle the viewport shows.
    QRectF visibleSceneRect() const;
    QLabel* legend() const { return legend_; }
    qreal zoom() const { return transform().m11(); }

    // The whole graph (not just the visible part) as a picture. Errors as a message, empty on success.
    QString exportSvg(const QString& path) const;
    QString exportPng(const QString& path) const;

signals:
    // Right click (or the menu key) on an entity; entity.kind is None over empty space.
    void contextMenuRequested(const hs::ui::GraphEntity& entity, const QPoint& globalPos);

protected:
    void contextMenuEvent(QContextMenuEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void paintEvent(QPaintEvent* event) override;

private:
    void placeLegend();
    void showTopOf(const QRectF& rect, qreal focusX = qQNaN()); // its top, centred when it fits across
    GraphScene* scene_;
    QLabel* legend_;
    const void* documentTag_ = nullptr;
    bool dragArmed_ = false; // the press was on a selected node: moving far enough starts a drag
    QPoint pressPos_;
};

// Rich-text legend of the confidence colours (also used by the status bar tooltip).
QString confidenceLegendHtml();

} // namespace hs::ui
