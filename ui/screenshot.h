#pragma once
#include <QString>
#include <QStringList>

namespace hs::ui {

// Opens the model in a non-interactive main window, expands the given scopes, waits until the
// graph is laid out, and saves the window as a PNG. Returns a process exit code (errors on stderr).
int renderScreenshot(const QString& model, const QString& sidecar, const QStringList& expandScopes,
                     const QString& outPath);

} // namespace hs::ui
