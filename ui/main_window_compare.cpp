// File > Compare With...: a second model compared module by module with the open one (comparison.h).
#include "main_window.h"

#include "comparison.h"
#include "inspector.h"
#include "model_document.h"
#include "module_tree_model.h"

#include <QCheckBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHeaderView>
#include <QStatusBar>
#include <QTreeView>
#include <QtConcurrent/QtConcurrentRun>

namespace hs::ui {

void MainWindow::showCompareDialog() {
    if (!doc_) return;
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Compare With"), QFileInfo(doc_->modelPath).absolutePath(),
                                     tr("ONNX models (*.onnx);;All files (*)"));
    if (!path.isEmpty()) compareWith(path);
}

void MainWindow::compareWith(const QString& path, const QString& sidecarPath) {
    if (!doc_ || compareLoader_) return;
    compareLoader_ = new QFutureWatcher<std::shared_ptr<ModelDocument>>(this);
    const ModelDocument* primary = doc_.get();
    connect(compareLoader_, &QFutureWatcherBase::finished, this, [this, path, primary] {
        std::shared_ptr<ModelDocument> other = compareLoader_->result();
        compareLoader_->deleteLater();
        compareLoader_ = nullptr;
        if (doc_.get() != primary) return; // another model was opened meanwhile
        if (!other->error.isEmpty()) {
            statusBar()->showMessage(tr("Cannot compare with %1").arg(path), 8000);
            reportError(tr("Cannot compare"), other->error);
            emit comparisonFailed(other->error);
            return;
        }
        installComparison(std::move(other));
        const HierarchyComparison& r = comparison_->result;
        statusBar()->showMessage(tr("Compared with %1: %2 module(s) changed, %3 only there, %4 only here, %5 "
                                    "named node(s) in another module")
                                     .arg(QFileInfo(path).fileName())
                                     .arg(r.changedModules)
                                     .arg(r.addedModules)
                                     .arg(r.removedModules)
                                     .arg(r.moved.size()));
        emit comparisonReady();
    });
    statusBar()->showMessage(tr("Opening %1 to compare...").arg(path));
    compareLoader_->setFuture(
        QtConcurrent::run([path, sidecarPath] { return loadModelDocument(path, sidecarPath); }));
}

void MainWindow::installComparison(std::shared_ptr<const ModelDocument> other) {
    const bool first = !comparison_;
    // The fresh comparison replaces the old one only once no view points at the old one.
    std::shared_ptr<Comparison> fresh = compareDocuments(*doc_, std::move(other));
    treeModel_->setComparison(fresh.get());
    inspector_->setComparison(fresh.get());
    comparison_ = std::move(fresh);
    filterModel_->setChangedOnly(changedOnly_->isChecked());
    changedOnly_->show();
    if (first) mirrorGraphExpansionInTree(); // the model was reset for its new columns
    inspector_->refresh();
}

void MainWindow::clearComparison() {
    if (!comparison_) return;
    changedOnly_->setChecked(false);
    changedOnly_->hide();
    filterModel_->setChangedOnly(false);
    treeModel_->setComparison(nullptr);
    inspector_->setComparison(nullptr);
    comparison_.reset();
}

} // namespace hs::ui
