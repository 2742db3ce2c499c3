#include "mainwindow/screenshot.h"

#include "document/model_document.h"
#include "graphview/graph_items.h"
#include "graphview/graph_scene.h"
#include "graphview/graph_view.h"
#include "mainwindow/main_window.h"

#include <QCoreApplication>

#include <QEventLoop>
#include <QGraphicsItem>
#include <QPixmap>
#include <QTimer>
#include <algorithm>
#include <cstdio>

namespace hs::ui {

// Runs the event loop until `window` emits one of the signals or the timeout passes.
template <typename... Signals> static bool waitFor(MainWindow& window, int timeoutMs, Signals... sigs) {
    QEventLoop loop;
    bool fired = false;
    (QObject::connect(&window, sigs, &loop,
                      [&] {
                          fired = true;
                          loop.quit();
                      }),
     ...);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    loop.exec();
    return fired;
}

// Whether GraphView::showReadable(outer) would show `inner` whole: outer fitted when that stays readable,
// else its top at the readable zoom (centred across when it fits, else from its left edge).
static bool readableViewHolds(const GraphView* view, const QRectF& outer, const QRectF& inner) {
    const QSizeF room = view->viewport()->size();
    const QRectF padded = outer.adjusted(-20, -20, 20, 20);
    const qreal zoom = std::clamp(std::min(room.width() / padded.width(), room.height() / padded.height()),
                                  graph_metrics::readableZoom, 1.0);
    const QSizeF seen = room / zoom;
    const qreal left =
        padded.width() <= seen.width() ? padded.center().x() - seen.width() / 2 : padded.left();
    return QRectF(QPointF(left, padded.top()), seen).contains(inner);
}

int renderScreenshot(const QString& model, const QString& sidecar, const QStringList& expandScopes,
                     const QString& outPath, QSize size) {
    MainWindow window;
    window.setInteractive(false);
    window.resize(size);
    window.show();
    QString error;
    QObject::connect(&window, &MainWindow::loadFailed, [&](const QString& message) { error = message; });
    window.openModel(model, sidecar);
    if (!waitFor(window, 300000, &MainWindow::modelLoaded, &MainWindow::loadFailed) || !error.isEmpty()) {
        std::fprintf(stderr, "hierscope: %s\n",
                     qPrintable(error.isEmpty() ? QStringLiteral("timed out opening ") + model : error));
        return 1;
    }
    window.waitUntilIdle(120000);
    for (const QString& scope : expandScopes)
        if (!window.expandScope(scope))
            std::fprintf(stderr, "hierscope: no module with scope '%s'\n", qPrintable(scope));
    window.waitUntilIdle(120000);
    // The last module asked for is what the picture is about: shown with as much of its context as a
    // readable zoom allows (the outermost expanded ancestor whose readable view still holds it whole),
    // as a user who opened it sees it. Without one, the first view.
    GraphView* view = window.graphView();
    QGraphicsItem* focus = nullptr;
    if (!expandScopes.isEmpty() && window.document()) {
        const Hierarchy& h = window.document()->hierarchy;
        QGraphicsItem* target = window.graphScene()->itemFor(
            {GraphEntity::Module, h.findModule(expandScopes.last().toStdString())});
        for (int m = h.findModule(expandScopes.last().toStdString()); target && m > 0;
             m = h.modules[m].parent)
            if (QGraphicsItem* frame = window.graphScene()->itemFor({GraphEntity::Module, m});
                frame && readableViewHolds(view, frame->sceneBoundingRect(), target->sceneBoundingRect()))
                focus = frame;
        if (!focus) focus = target;
    }
    if (focus)
        view->showReadable(focus->sceneBoundingRect());
    else
        window.showFirstView();
    QCoreApplication::processEvents();
    if (!window.grab().save(outPath)) {
        std::fprintf(stderr, "hierscope: cannot write %s\n", qPrintable(outPath));
        return 1;
    }
    // What the picture shows, for a reader of the log and for the test that checks labels are readable.
    std::printf("%s: %dx%d, graph zoom %.2f\n", qPrintable(outPath), window.width(), window.height(),
                view->zoom());
    return 0;
}

} // namespace hs::ui
