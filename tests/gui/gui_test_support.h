#pragma once
// Helpers shared by the GUI tests: open a model in a real main window and wait for the background work.
#include "main_window.h"

#include <QSignalSpy>
#include <QtTest>

namespace hs::ui::test {

inline QString fixture(const char* name) {
    return QStringLiteral(HS_FIXTURES "/") + QLatin1String(name);
}
inline QString sharedModel(const char* name) {
    return QStringLiteral(HS_SHARED_MODELS "/") + QLatin1String(name);
}

// Opens and waits for the model and its first graph layout.
inline bool openAndSettle(MainWindow& w, const QString& path) {
    QSignalSpy loaded(&w, &MainWindow::modelLoaded);
    w.openModel(path);
    if (!loaded.wait(120000)) return false;
    return w.waitUntilIdle(120000);
}

} // namespace hs::ui::test
