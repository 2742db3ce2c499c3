#include "screenshot.h"

#include "graph_scene.h"
#include "graph_view.h"
#include "main_window.h"
#include "model_document.h"

#include <QCoreApplication>

#include <QEventLoop>
#include <QGraphicsItem>
#include <QPixmap>
#include <QTimer>
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

int renderScreenshot(const QString& model, const QString& sidecar, const QStringList& expandScopes,
                     const QString& outPath) {
    MainWindow window;
    window.setInteractive(false);
    window.resize(1600, 1000);
    window.show();
    QString error;
    QObject::connect(&window, &MainWindow::loadFailed, [&](const QString& message) { error = message; });
    window.openModel(model, sidecar);
    if (!waitFor(window, 300000, &MainWindow::modelLoaded, &MainWindow::loadFailed) || !error.isEmpty()) {
        std::fprintf(stderr, "hierscope: %s\n",
                     qPrintable(error.isEmpty() ? QStringLiteral("timed out opening ") + model : error));
        return 1;
    }
    for (const QString& scope : expandScopes)
        if (!window.expandScope(scope))
            std::fprintf(stderr, "hierscope: no module with scope '%s'\n", qPrintable(scope));
    window.waitUntilIdle(120000);
    // The last module asked for is what the picture is about: fit it (readable) when it is too big to
    // read within the whole graph, otherwise show everything.
    window.graphView()->fitAll();
    if (!expandScopes.isEmpty() && window.document() && window.graphView()->zoom() < 0.7) {
        const int module = window.document()->hierarchy.findModule(expandScopes.last().toStdString());
        if (QGraphicsItem* frame = window.graphScene()->itemFor({GraphEntity::Module, module})) {
            GraphView* view = window.graphView();
            const QRectF rect = frame->sceneBoundingRect();
            view->fitRect(rect);
            // Still unreadable (a module of hundreds of layers is a very tall column): show its top at
            // a readable size rather than a sliver of the whole.
            constexpr qreal readable = 0.6;
            if (view->zoom() < readable / 2) {
                view->setTransform(QTransform::fromScale(readable, readable));
                const qreal halfHeight = view->viewport()->height() / (2 * readable);
                view->centerOn(rect.center().x(), rect.top() + halfHeight);
            }
        }
    }
    QCoreApplication::processEvents();
    if (!window.grab().save(outPath)) {
        std::fprintf(stderr, "hierscope: cannot write %s\n", qPrintable(outPath));
        return 1;
    }
    return 0;
}

} // namespace hs::ui
