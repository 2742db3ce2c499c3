// File > Compare With...: a second model compared module by module with the open one (comparison.h).
#include "mainwindow/main_window.h"

#include "document/comparison.h"
#include "document/cost_analysis.h"
#include "document/model_document.h"
#include "graphview/graph_scene.h"
#include "graphview/graph_view.h"
#include "itemmodels/module_tree_model.h"
#include "widgets/inspector.h"

#include <QCheckBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QSplitter>
#include <QStatusBar>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>
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
        emit comparisonReady();
    });
    statusBar()->showMessage(tr("Opening %1 to compare...").arg(path));
    compareLoader_->setFuture(QtConcurrent::run([path, sidecarPath] {
        // The compared model's costs come with it (the MACs delta column); it is only read.
        std::shared_ptr<ModelDocument> other = loadModelDocument(path, sidecarPath);
        if (other->error.isEmpty()) {
            other->analysis = analyseCost(*other->graph);
            sumModules(other->hierarchy, other->analysis->cost);
        }
        return other;
    }));
}

void MainWindow::installComparison(std::shared_ptr<const ModelDocument> other) {
    const bool first = !comparison_;
    if (comparison_ && comparison_->other != other) { // another compared model: its profile goes
        treeModel_->setComparedTimes(nullptr);
        comparedProfile_.reset();
    }
    // The fresh comparison replaces the old one only once no view points at the old one.
    std::shared_ptr<Comparison> fresh = compareDocuments(*doc_, std::move(other));
    // Reset when the compared-only rows change (a re-tag): the tree's open rows follow the graph again.
    const bool reset = treeModel_->setComparison(fresh.get());
    inspector_->setComparison(fresh.get());
    comparison_ = std::move(fresh);
    filterModel_->setChangedOnly(changedOnly_->isChecked());
    changedOnly_->show();
    const HierarchyComparison& r = comparison_->result;
    statusBar()->showMessage(
        tr("Compared with %1: %2 module(s) changed, %3 only there, %4 only here, %5 named "
           "node(s) in another module")
            .arg(QFileInfo(comparison_->other->modelPath).fileName())
            .arg(r.changedModules)
            .arg(r.addedModules)
            .arg(r.removedModules)
            .arg(r.moved.size()));
    if (reset) restoreTreeExpansion(); // the model was reset for its new columns or rows
    if (first) {
        // The deltas right after the names, where a narrow dock still shows them.
        treeView_->header()->moveSection(ModuleTreeModel::NodesDeltaColumn, 1);
        treeView_->header()->moveSection(ModuleTreeModel::ParametersDeltaColumn, 2);
        showComparedGraph();
    }
    inspector_->refresh();
    updateActions();
}

// The compared model's graph below this one's (both as wide as the centre: two docks already share the
// width), laid out the same lazy way.
void MainWindow::showComparedGraph() {
    auto* split = new QSplitter(Qt::Vertical);
    split->setMinimumWidth(480); // the docks' wide columns must not squeeze both graphs to a strip
    auto* right = new QWidget(split);
    auto* layout = new QVBoxLayout(right);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* title = new QLabel(tr("Compared: <b>%1</b> (read only)")
                                 .arg(QFileInfo(comparison_->other->modelPath).fileName().toHtmlEscaped()),
                             right);
    title->setSizePolicy(QSizePolicy::Ignored,
                         QSizePolicy::Preferred); // a long name must not squeeze A's graph
    title->setToolTip(comparison_->other->modelPath);
    sceneB_ = new GraphScene(this);
    sceneB_->setDocument(comparison_->other.get());
    auto* viewB = new GraphView(sceneB_, right);
    // Its first view as this graph's: fitted, or its top-left corner at a readable zoom.
    connect(
        sceneB_, &GraphScene::layoutFinished, viewB,
        [this, viewB] { viewB->showReadable(sceneB_->itemsBoundingRect()); }, Qt::SingleShotConnection);
    layout->addWidget(title);
    layout->addWidget(viewB);
    takeCentralWidget(); // view_, kept
    split->addWidget(view_);
    split->addWidget(right);
    setCentralWidget(split);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    // Half each, once the splitter has its width.
    QTimer::singleShot(0, split, [this, split, viewB] {
        split->setSizes({split->height() / 2, split->height() / 2});
        if (!sceneB_->items().isEmpty()) viewB->showReadable(sceneB_->itemsBoundingRect());
    });
    splitB_ = split;
    // Modules opened here open there too; the module selected in the tree is shown there.
    for (int module : scene_->expandedModules())
        if (comparedModule(module) > 0) sceneB_->setExpanded(comparedModule(module), true);
    connect(scene_, &GraphScene::expansionChanged, sceneB_, [this](int module, bool expanded) {
        if (comparedModule(module) > 0) sceneB_->setExpanded(comparedModule(module), expanded);
    });
    connect(treeView_->selectionModel(), &QItemSelectionModel::currentChanged, sceneB_,
            [this](const QModelIndex& current) {
                const int b = comparedModule(treeModel_->moduleAt(filterModel_->mapToSource(current)));
                if (b > 0) sceneB_->reveal({GraphEntity::Module, b});
            });
}

int MainWindow::comparedModule(int module) const {
    const ModuleDelta* d = comparison_ ? comparison_->deltaFor(module) : nullptr;
    return d ? d->moduleB : -1;
}

void MainWindow::closeComparison() {
    if (!comparison_) return;
    const QString name = QFileInfo(comparison_->other->modelPath).fileName();
    clearComparison();
    statusBar()->showMessage(tr("Comparison with %1 closed").arg(name), 5000);
}

void MainWindow::clearComparison() {
    if (!comparison_) return;
    changedOnly_->setChecked(false);
    changedOnly_->hide();
    filterModel_->setChangedOnly(false);
    treeModel_->setComparedTimes(nullptr);
    comparedProfile_.reset();
    treeModel_->setComparison(nullptr);
    inspector_->setComparison(nullptr);
    if (splitB_) {
        takeCentralWidget();
        setCentralWidget(view_); // out of the splitter, which goes with the compared graph's view
        delete splitB_;
        splitB_ = nullptr;
        delete sceneB_;
        sceneB_ = nullptr;
        // The docks took the width and height the two graphs had (a strip of graph was left): they get
        // their default sizes back.
        // The main window's layout takes in the new central widget first.
        QTimer::singleShot(0, this, &MainWindow::restorePaneSizes);
    }
    comparison_.reset();
    if (closeComparisonAction_) updateActions();
}

} // namespace hs::ui
