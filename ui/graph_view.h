#pragma once
// The view of the GraphScene: raster viewport (QOpenGLWidget breaks offscreen rendering), zoom with
// the wheel or +/-, F to fit, drag to pan, a confidence legend in the corner, SVG/PNG export.
#include <QGraphicsView>

class QLabel;

namespace hs::ui {

class GraphScene;

class GraphView : public QGraphicsView {
    Q_OBJECT
public:
    explicit GraphView(GraphScene* scene, QWidget* parent = nullptr);
    GraphScene* graphScene() const { return scene_; }

    void zoomBy(qreal factor);
    void fitAll();
    qreal zoom() const { return transform().m11(); }

    // The whole graph (not just the visible part) as a picture. Errors as a message, empty on success.
    QString exportSvg(const QString& path) const;
    QString exportPng(const QString& path) const;

protected:
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void placeLegend();
    GraphScene* scene_;
    QLabel* legend_;
};

// Rich-text legend of the confidence colours (also used by the status bar tooltip).
QString confidenceLegendHtml();

} // namespace hs::ui
