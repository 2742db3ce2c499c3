#include "graph_view.h"

#include "confidence.h"
#include "graph_scene.h"

#include <QImage>
#include <QKeyEvent>
#include <QLabel>
#include <QPainter>
#include <QSvgGenerator>
#include <QWheelEvent>

namespace hs::ui {

QString confidenceLegendHtml() {
    QString html = QStringLiteral("<b>Confidence</b><br>");
    for (Confidence c :
         {Confidence::Certain, Confidence::High, Confidence::Medium, Confidence::Low, Confidence::Conflict})
        html += QStringLiteral("<span style='color:%1; font-size:large'>&#9632;</span> %2<br>")
                    .arg(confidenceColor(c).name(), confidenceLabel(c));
    return html + QStringLiteral("<span style='color:%1'>&#9633;</span> module with uncertain nodes")
                      .arg(confidenceColor(Confidence::Low).name());
}

GraphView::GraphView(GraphScene* scene, QWidget* parent) : QGraphicsView(scene, parent), scene_(scene) {
    setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
    setDragMode(QGraphicsView::ScrollHandDrag);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setViewportUpdateMode(QGraphicsView::SmartViewportUpdate);
    setFocusPolicy(Qt::StrongFocus);
    legend_ = new QLabel(this);
    legend_->setTextFormat(Qt::RichText);
    legend_->setText(confidenceLegendHtml());
    legend_->setStyleSheet(
        QStringLiteral("QLabel { background: rgba(255,255,255,225); border: 1px solid #cbd5e1;"
                       " border-radius: 4px; padding: 4px; }"));
    legend_->adjustSize();
    placeLegend();
}

void GraphView::zoomBy(qreal factor) {
    const qreal next = zoom() * factor;
    if (next < 0.02 || next > 8) return;
    scale(factor, factor);
}

void GraphView::fitAll() {
    const QRectF rect = scene_->itemsBoundingRect();
    if (rect.isEmpty()) return;
    fitInView(rect.adjusted(-20, -20, 20, 20), Qt::KeepAspectRatio);
    // Do not blow small graphs up beyond natural size.
    if (zoom() > 1.0) setTransform(QTransform());
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
    }
    QGraphicsView::keyPressEvent(event);
}

void GraphView::resizeEvent(QResizeEvent* event) {
    QGraphicsView::resizeEvent(event);
    placeLegend();
}

void GraphView::placeLegend() {
    legend_->move(width() - legend_->width() - 24, 8);
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
