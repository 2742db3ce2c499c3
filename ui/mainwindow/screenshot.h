#pragma once
#include <QSize>
#include <QString>
#include <QStringList>

namespace hs::ui {

// Opens the model in a non-interactive main window, expands the given scopes, waits until the
// graph is laid out, and saves the window (of `size`) as a PNG. Prints the picture's size and the
// graph's zoom on stdout. Returns a process exit code (errors on stderr).
int renderScreenshot(const QString& model, const QString& sidecar, const QStringList& expandScopes,
                     const QString& outPath, QSize size = QSize(1280, 800));

} // namespace hs::ui
