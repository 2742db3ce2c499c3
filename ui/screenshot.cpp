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
    // The last module asked for is what the picture is about: shown as a user who opened it sees it
    // (whole when that stays readable, else its top at a readable zoom); without one, the first view.
    GraphView* view = window.graphView();
    QGraphicsItem* focus = nullptr;
    if (!expandScopes.isEmpty() && window.document()) {
        const int module = window.document()->hierarchy.findModule(expandScopes.last().toStdString());
        focus = window.graphScene()->itemFor({GraphEntity::Module, module});
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
