// MainWindow's extraction: what the Extract action works on, planning off the UI thread, the preview and
// save dialogs, and opening the result in a new window.
#include "mainwindow/main_window.h"

#include "document/model_document.h"
#include "graphview/graph_scene.h"
#include "itemmodels/module_tree_model.h"
#include "widgets/extraction.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QPushButton>
#include <QStatusBar>
#include <QTreeView>

namespace hs::ui {

ExtractTarget MainWindow::currentExtractTarget() const {
    if (!doc_) return {ExtractTarget{false, {}, {}, {}}};
    const std::vector<int> nodes = scene_->selectedNodes();
    if (!nodes.empty()) return nodesTarget(*doc_->graph, nodes);
    const GraphEntity selected = scene_->selectedEntity();
    if (selected.kind == GraphEntity::Module) return moduleTarget(doc_->hierarchy, selected.index);
    if (selected.kind == GraphEntity::Section) return sectionTarget(selected.index);
    const int module = treeModel_->moduleAt(filterModel_->mapToSource(treeView_->currentIndex()));
    if (module > 0) return moduleTarget(doc_->hierarchy, module);
    return {ExtractTarget{false, {}, {}, {}}};
}

ExtractTarget MainWindow::sectionTarget(int section) const {
    const GraphScene::Section& sec = scene_->section(section);
    const auto& nodes = doc_->hierarchy.modules[static_cast<std::size_t>(sec.module)].nodes;
    ExtractTarget target =
        nodesTarget(*doc_->graph, std::vector<int>(nodes.begin() + sec.begin, nodes.begin() + sec.end));
    target.label =
        tr("ops %1 to %2 of %3")
            .arg(sec.begin + 1)
            .arg(sec.end)
            .arg(sec.module == 0 ? tr("the root")
                                 : QString::fromStdString(doc_->hierarchy.modules[sec.module].scope));
    return target;
}

bool MainWindow::isExtracting() const {
    return extraction_->isRunning();
}

void MainWindow::requestExtraction(const ExtractTarget& target) {
    if (!doc_ || !target.isValid()) return;
    if (extraction_->isRunning()) {
        statusBar()->showMessage(tr("An extraction is already running."), 5000);
        return;
    }
    startExtraction(target, QString());
}

bool MainWindow::extractModule(const QString& scope, const QString& outputPath) {
    if (!doc_ || extraction_->isRunning() || outputPath.isEmpty()) return false;
    ExtractTarget target;
    target.isModule = true;
    target.scope = scope;
    target.label = tr("module '%1'").arg(scope);
    startExtraction(target, outputPath);
    return true;
}

bool MainWindow::extractNodes(const std::vector<int>& nodes, const QString& outputPath) {
    if (!doc_ || extraction_->isRunning() || outputPath.isEmpty() || nodes.empty()) return false;
    startExtraction(nodesTarget(*doc_->graph, nodes), outputPath);
    return true;
}

void MainWindow::startExtraction(const ExtractTarget& target, const QString& outputPath) {
    extractDoc_ = doc_;
    extractOutput_ = outputPath;
    extractLabel_ = target.label;
    statusBar()->showMessage(tr("Planning the extraction of %1...").arg(target.label));
    extraction_->plan(extractDoc_, target);
}

QString MainWindow::askExtractionPath(const ExtractionPlan& plan) {
    const QFileInfo model(extractDoc_->modelPath);
    QString suffix = plan.fromModule
                         ? (plan.scope.empty() ? QStringLiteral("root") : QString::fromStdString(plan.scope))
                         : QStringLiteral("selection");
    const QString suggested = model.absoluteDir().filePath(model.completeBaseName() + QLatin1Char('_') +
                                                           suffix + QStringLiteral(".onnx"));
    QFileDialog dialog(this, tr("Save extracted model"), suggested,
                       tr("ONNX models (*.onnx);;All files (*)"));
    dialog.setObjectName(QStringLiteral("extractSaveDialog"));
    dialog.setAcceptMode(QFileDialog::AcceptSave);
    dialog.setFileMode(QFileDialog::AnyFile);
    dialog.setDefaultSuffix(QStringLiteral("onnx"));
    dialog.selectFile(suggested);
    if (dialog.exec() != QDialog::Accepted || dialog.selectedFiles().isEmpty()) return {};
    return dialog.selectedFiles().first();
}

void MainWindow::onExtractionPlanned(std::shared_ptr<const ExtractionPlan> plan) {
    if (!extractDoc_) return;
    QString path = extractOutput_;
    if (path.isEmpty()) {
        ExtractPreviewDialog preview(*plan, QFileInfo(extractDoc_->modelPath).fileName(), this);
        if (preview.exec() != QDialog::Accepted) {
            extractDoc_.reset();
            statusBar()->clearMessage();
            return;
        }
        path = askExtractionPath(*plan);
        if (path.isEmpty()) {
            extractDoc_.reset();
            statusBar()->clearMessage();
            return;
        }
        if (QFileInfo(path).absoluteFilePath() == QFileInfo(extractDoc_->modelPath).absoluteFilePath()) {
            onExtractionFailed(
                tr("Cannot write %1:\nit is the model that is open; choose another file.").arg(path));
            return;
        }
        extractOutput_ = path;
    }
    statusBar()->showMessage(tr("Extracting %1 to %2...").arg(extractLabel_, path));
    extraction_->write(extractDoc_, plan, path);
}

void MainWindow::onExtractionWritten(const QString& path, const QString& summary) {
    extractDoc_.reset();
    statusBar()->showMessage(summary, 15000);
    emit extractionFinished(path, QString());
    if (!interactive_) return;
    QMessageBox box(QMessageBox::Information, tr("Subgraph extracted"), summary, QMessageBox::NoButton, this);
    box.setObjectName(QStringLiteral("extractDoneBox"));
    QPushButton* open = box.addButton(tr("Open in New Window"), QMessageBox::AcceptRole);
    open->setObjectName(QStringLiteral("openInNewWindow"));
    box.addButton(QMessageBox::Close);
    box.setDefaultButton(open);
    box.exec();
    if (box.clickedButton() == open) openInNewWindow(path);
}

void MainWindow::onExtractionFailed(const QString& message) {
    extractDoc_.reset();
    reportError(tr("Cannot extract subgraph"), message);
    emit extractionFinished(extractOutput_, message);
}

MainWindow* MainWindow::openInNewWindow(const QString& path) {
    auto* window = new MainWindow;
    window->setAttribute(Qt::WA_DeleteOnClose);
    window->setInteractive(interactive_);
    window->resize(size());
    window->move(pos() + QPoint(40, 40));
    window->show();
    window->openModel(path);
    emit newWindowOpened(window);
    return window;
}

} // namespace hs::ui
