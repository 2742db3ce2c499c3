// MainWindow's File > Export Model with Hierarchy... (issue 25): a copy of the model whose nodes carry
// their module (core/embed), written off the UI thread from a copy of the current hierarchy.
#include "mainwindow/main_window.h"

#include "common/error.h"
#include "document/model_document.h"
#include "embed/embed.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QMessageBox>
#include <QStatusBar>
#include <QtConcurrent/QtConcurrentRun>

namespace hs::ui {

bool MainWindow::isExportingModel() const {
    return modelExporter_ && modelExporter_->isRunning();
}

void MainWindow::showExportModelDialog() {
    if (!doc_) return;
    if (isExportingModel()) {
        statusBar()->showMessage(tr("A model is already being exported."), 5000);
        return;
    }
    const QFileInfo model(doc_->modelPath);
    const QString suggested =
        model.absoluteDir().filePath(model.completeBaseName() + QStringLiteral(".hierarchy.onnx"));
    QFileDialog dialog(this, tr("Export model with hierarchy"), suggested,
                       tr("ONNX models (*.onnx);;All files (*)"));
    dialog.setObjectName(QStringLiteral("exportModelDialog"));
    dialog.setAcceptMode(QFileDialog::AcceptSave);
    dialog.setFileMode(QFileDialog::AnyFile);
    dialog.setDefaultSuffix(QStringLiteral("onnx"));
    dialog.selectFile(suggested);
    if (dialog.exec() != QDialog::Accepted || dialog.selectedFiles().isEmpty()) return;
    const QString path = dialog.selectedFiles().first();
    // External data locations are relative to the model's folder: elsewhere, the files must come along.
    bool copyExternal = false;
    if (doc_->model->externalWeightBytes() > 0 &&
        QFileInfo(path).absoluteDir().canonicalPath() != model.absoluteDir().canonicalPath()) {
        const auto answer = QMessageBox::question(
            this, tr("Export model with hierarchy"),
            tr("%1 keeps its weights in external data files, which the copy finds only beside it.\n\n"
               "Copy them into %2?")
                .arg(model.fileName(), QDir::toNativeSeparators(QFileInfo(path).absolutePath())),
            QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Yes);
        if (answer != QMessageBox::Yes) return;
        copyExternal = true;
    }
    exportModelWithHierarchy(path, copyExternal);
}

bool MainWindow::exportModelWithHierarchy(const QString& path, bool copyExternal) {
    if (!doc_ || path.isEmpty() || isExportingModel()) return false;
    if (!modelExporter_) {
        modelExporter_ = new QFutureWatcher<std::pair<bool, QString>>(this);
        connect(modelExporter_, &QFutureWatcherBase::finished, this, &MainWindow::onModelExported);
    }
    exportPath_ = path;
    statusBar()->showMessage(tr("Writing %1 with the module of every node...").arg(path));
    // The snapshot is taken here, on the UI thread that edits the hierarchy; the document (model, graph)
    // is not changed while it is open, and the shared pointer keeps it alive if another model is opened.
    auto hierarchy = std::make_shared<const Hierarchy>(doc_->hierarchy);
    modelExporter_->setFuture(
        QtConcurrent::run([doc = std::shared_ptr<const ModelDocument>(doc_), hierarchy,
                           target = path.toStdString(), copyExternal]() -> std::pair<bool, QString> {
            try {
                EmbedOptions options;
                options.copyExternal = copyExternal;
                const EmbedResult r = embedHierarchy(*doc->graph, *hierarchy, target, options);
                QString summary = tr("Wrote %1: %2 nodes carry their module")
                                      .arg(QString::fromStdString(r.outputPath))
                                      .arg(r.nodesTagged);
                if (r.nodesSkipped)
                    summary += tr(" (%1 function body nodes left as they were: their calls place them "
                                  "differently)")
                                   .arg(r.nodesSkipped);
                if (!r.externalFilesCopied.empty())
                    summary +=
                        tr("; %1 external data file(s) copied beside it").arg(r.externalFilesCopied.size());
                return {true, summary};
            } catch (const std::exception& e) {
                return {false, QString::fromStdString(e.what())};
            }
        }));
    return true;
}

void MainWindow::onModelExported() {
    const auto [written, text] = modelExporter_->result();
    if (written) {
        statusBar()->showMessage(text, 15000);
        emit modelExported(exportPath_, QString());
        return;
    }
    statusBar()->clearMessage();
    reportError(tr("Cannot export the model"), text);
    emit modelExported(exportPath_, text);
}

} // namespace hs::ui
