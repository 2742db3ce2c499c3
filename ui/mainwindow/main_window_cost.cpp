// The open model's costs and measured times (MainWindow, part): the background cost analysis that
// follows the first paint, its module sums after re-tagging, and File > Load Profile....
#include "mainwindow/main_window.h"

#include "common/error.h"
#include "document/comparison.h"
#include "document/cost_analysis.h"
#include "document/model_document.h"
#include "graphview/graph_scene.h"
#include "itemmodels/module_tree_model.h"
#include "widgets/inspector.h"

#include <QAction>
#include <QApplication>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QMenu>
#include <QStatusBar>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>

namespace hs::ui {

bool MainWindow::isAnalysing() const {
    return doc_ && analysedDoc_ == doc_.get() && !doc_->analysis;
}

void MainWindow::startCostAnalysis() {
    updateHeat(); // nothing to colour by until the analysis is in (and nothing of the last model)
    if (!doc_) return;
    // A previous model's analysis finishes in the background; its result is dropped (it holds that
    // document alive until then).
    if (analyser_) {
        analyser_->disconnect(this);
        connect(analyser_, &QFutureWatcherBase::finished, analyser_, &QObject::deleteLater);
        analyser_ = nullptr;
    }
    analysedDoc_ = doc_.get();
    // After the first paint: on two cores the analysis would slow down the first layout.
    if (scene_->isLayingOut())
        connect(scene_, &GraphScene::layoutFinished, this, &MainWindow::runCostAnalysis,
                Qt::SingleShotConnection);
    else
        runCostAnalysis();
}

void MainWindow::runCostAnalysis() {
    if (!doc_ || analysedDoc_ != doc_.get() || doc_->analysis || analyser_) return;
    analyser_ = new QFutureWatcher<std::shared_ptr<CostAnalysis>>(this);
    connect(analyser_, &QFutureWatcherBase::finished, this, &MainWindow::onCostAnalysisFinished);
    std::shared_ptr<const ModelDocument> doc = doc_;
    analyser_->setFuture(QtConcurrent::run([doc] { return analyseCost(*doc->graph); }));
}

void MainWindow::onCostAnalysisFinished() {
    std::shared_ptr<CostAnalysis> analysis = analyser_->result();
    analyser_->deleteLater();
    analyser_ = nullptr;
    if (!doc_ || analysedDoc_ != doc_.get()) return;
    // (a watcher of an earlier model was disconnected: this result is the current model's)
    doc_->analysis = std::move(analysis);
    refreshCost();
    const TypeCounts c = doc_->analysis->types.counts(*doc_->graph);
    const CostTotals& t = doc_->analysis->cost.total;
    statusBar()->showMessage(
        tr("Tensor types: %1 declared, %2 inferred, %3 unknown of %4. %5 MACs%6 (symbolic dimensions = 1).")
            .arg(c.declared)
            .arg(c.inferred)
            .arg(c.unknown)
            .arg(c.total)
            .arg(formatCount(t.macs))
            .arg(t.unknownNodes ? tr(", %n compute node(s) of unknown shape not counted", nullptr,
                                     static_cast<int>(t.unknownNodes))
                                : QString()),
        15000);
    inspector_->refresh();
    scene_->invalidate(); // edges get the inferred shapes (marked "≈")
}

void MainWindow::addHeatActions(QMenu* view) {
    heatMacsAction_ = view->addAction(tr("Colour by &MACs"), this, &MainWindow::colourByMacs);
    heatMacsAction_->setCheckable(true);
    heatMacsAction_->setToolTip(
        tr("Nodes and collapsed modules from white to red by their share of the MACs"));
    heatTimeAction_ = view->addAction(tr("Colour by &Time"), this, &MainWindow::colourByTime);
    heatTimeAction_->setCheckable(true);
    heatTimeAction_->setToolTip(tr("By their share of the measured time (File > Load Profile...)"));
}

void MainWindow::colourByMacs(bool on) {
    heat_ = on ? Heat::Macs : heat_ == Heat::Macs ? Heat::None : heat_;
    updateHeat();
}

void MainWindow::colourByTime(bool on) {
    heat_ = on ? Heat::Time : heat_ == Heat::Time ? Heat::None : heat_;
    updateHeat();
}

void MainWindow::updateHeat() {
    if (heatMacsAction_) heatMacsAction_->setChecked(heat_ == Heat::Macs);
    if (heatTimeAction_) heatTimeAction_->setChecked(heat_ == Heat::Time);
    std::vector<double> nodes, modules;
    // Shares of the whole model; the square root spreads the many small ones
    // (a 1% node is still visibly tinted, a 25% one half way to red).
    auto shares = [](std::vector<double> values, double whole) {
        for (double& v : values)
            v = whole > 0 ? std::sqrt(v / whole) : 0;
        return values;
    };
    if (doc_ && heat_ == Heat::Macs && doc_->analysis) {
        const CostReport& c = doc_->analysis->cost;
        std::vector<double> n, m;
        for (const NodeCost& cost : c.nodes)
            n.push_back(cost.kind == CostKind::Compute ? static_cast<double>(cost.amount) : 0.0);
        for (const ModuleCost& cost : c.modules)
            m.push_back(static_cast<double>(cost.total.macs));
        const double whole = static_cast<double>(c.total.macs);
        nodes = shares(std::move(n), whole);
        modules = shares(std::move(m), whole);
    } else if (doc_ && heat_ == Heat::Time && doc_->profile) {
        std::vector<double> m;
        for (const ModuleTime& t : doc_->profile->modules)
            m.push_back(t.totalUs);
        const double whole = doc_->profile->profile->totalUs;
        nodes = shares(doc_->profile->profile->nodeUs, whole);
        modules = shares(std::move(m), whole);
    }
    scene_->setHeat(std::move(nodes), std::move(modules));
}

void MainWindow::refreshCost() {
    if (!doc_) return;
    if (doc_->analysis) {
        sumModules(doc_->hierarchy, doc_->analysis->cost);
        treeModel_->setCost(&doc_->analysis->cost);
    }
    if (doc_->profile && doc_->profile->profile) {
        doc_->profile->modules = moduleTimes(*doc_->profile->profile, *doc_->graph, doc_->hierarchy);
        treeModel_->setTimes(&doc_->profile->modules, doc_->profile->profile->totalUs);
    }
    updateHeat();
}

QString MainWindow::loadProfile(const QString& path) {
    if (!doc_) return tr("No model is open.");
    try {
        QApplication::setOverrideCursor(Qt::WaitCursor);
        auto times = std::make_shared<ProfileTimes>();
        times->profile = std::make_shared<const Profile>(readProfile(path.toStdString(), *doc_->graph));
        QApplication::restoreOverrideCursor();
        doc_->profile = std::move(times);
    } catch (const std::exception& e) {
        QApplication::restoreOverrideCursor();
        const QString message = QString::fromStdString(e.what());
        reportError(tr("Cannot load the profile"), message);
        return message;
    }
    refreshCost();
    inspector_->refresh();
    const Profile& p = *doc_->profile->profile;
    QString message = tr("Profile %1: %2 per run over %3 run(s), %4 of %5 kernel events matched.")
                          .arg(QFileInfo(path).fileName(), formatMicroseconds(p.totalUs))
                          .arg(p.runs)
                          .arg(p.matched)
                          .arg(p.events);
    const std::string note = unmatchedNote(p);
    if (!note.empty()) message += QLatin1Char(' ') + QString::fromStdString(note) + QLatin1Char('.');
    statusBar()->showMessage(message, 30000);
    return {};
}

QString MainWindow::loadComparedProfile(const QString& path) {
    if (!comparison_ || !comparison_->other) return tr("No model is being compared.");
    const ModelDocument& other = *comparison_->other; // only read; its hierarchy does not change
    try {
        QApplication::setOverrideCursor(Qt::WaitCursor);
        auto times = std::make_shared<ProfileTimes>();
        times->profile = std::make_shared<const Profile>(readProfile(path.toStdString(), *other.graph));
        times->modules = moduleTimes(*times->profile, *other.graph, other.hierarchy);
        QApplication::restoreOverrideCursor();
        comparedProfile_ = std::move(times);
    } catch (const std::exception& e) {
        QApplication::restoreOverrideCursor();
        const QString message = QString::fromStdString(e.what());
        reportError(tr("Cannot load the profile"), message);
        return message;
    }
    treeModel_->setComparedTimes(&comparedProfile_->modules);
    const Profile& p = *comparedProfile_->profile;
    statusBar()->showMessage(
        tr("Profile of the compared model %1: %2 per run, %3 of %4 kernel events matched.")
            .arg(QFileInfo(path).fileName(), formatMicroseconds(p.totalUs))
            .arg(p.matched)
            .arg(p.events),
        30000);
    return {};
}

void MainWindow::showLoadComparedProfileDialog() {
    if (!comparison_ || !comparison_->other) {
        statusBar()->showMessage(tr("Compare With... a model first, then load its profile."), 8000);
        return;
    }
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Load ONNX Runtime profile of the compared model"),
                                     QFileInfo(comparison_->other->modelPath).absolutePath(),
                                     tr("ONNX Runtime profiles (*.json);;All files (*)"));
    if (!path.isEmpty()) loadComparedProfile(path);
}

void MainWindow::showLoadProfileDialog() {
    if (!doc_) return;
    const QString path = QFileDialog::getOpenFileName(this, tr("Load ONNX Runtime profile"),
                                                      QFileInfo(doc_->modelPath).absolutePath(),
                                                      tr("ONNX Runtime profiles (*.json);;All files (*)"));
    if (!path.isEmpty()) loadProfile(path);
}

} // namespace hs::ui
