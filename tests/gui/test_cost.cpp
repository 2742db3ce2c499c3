// Cost in the GUI (issue 21): the module tree's MACs, activation and time columns (sortable), the
// inspector's cost and inferred types, sums that follow re-tagging, and File > Load Profile....
#include "document/cost_analysis.h"
#include "document/model_document.h"
#include "graphview/graph_items.h"
#include "graphview/graph_scene.h"
#include "gui_test_support.h"
#include "itemmodels/module_tree_model.h"
#include "widgets/inspector.h"

#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSortFilterProxyModel>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTreeView>

#include <cmath>

using namespace hs::ui;
using namespace hs::ui::test;

namespace {

// The top-level row of the tree whose module has this scope.
QModelIndex topRow(QAbstractItemModel* tree, const QString& scope, int column = 0) {
    for (int r = 0; r < tree->rowCount(); ++r) {
        const QModelIndex i = tree->index(r, 0);
        if (tree->data(i, ModuleTreeModel::FilterRole).toString().endsWith(QLatin1Char(' ') + scope))
            return tree->index(r, column);
    }
    return {};
}

QStringList topScopes(QAbstractItemModel* tree) {
    QStringList out;
    for (int r = 0; r < tree->rowCount(); ++r)
        out << tree->data(tree->index(r, 0), ModuleTreeModel::FilterRole)
                   .toString()
                   .section(QLatin1Char(' '), -1);
    return out;
}

} // namespace

class TestCost : public QObject {
    Q_OBJECT
private slots:
    void treeShowsMacsAndActivationsAfterTheAnalysis() {
        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(openAndSettle(w, fixture("cnn_resnet.onnx"))); // waits for the analysis too
        QVERIFY(w.document()->analysis);
        QAbstractItemModel* tree = w.moduleTree()->model();
        // conv1: 7x7/2, 3 -> 64 channels, 32x32 out (batch = 1): 9,633,792 MACs, 256 KiB out.
        QCOMPARE(topRow(tree, "conv1", ModuleTreeModel::MacsColumn).data().toString(), QString("9.63 M"));
        QCOMPARE(topRow(tree, "conv1", ModuleTreeModel::ActivationsColumn).data().toString(),
                 QString("256.0 KiB"));
        QCOMPARE(
            topRow(tree, "conv1", ModuleTreeModel::MacsColumn).data(ModuleTreeModel::SortRole).toULongLong(),
            9633792ull);
        QVERIFY(topRow(tree, "conv1", ModuleTreeModel::TimeColumn).data().toString().isEmpty()); // no profile
        // The edges carry the inferred shapes, marked; declared ones stay as declared.
        const QStringList labels = w.graphScene()->edgeLabels();
        QVERIFY2(labels.contains(QStringLiteral("≈ [batch, 64, 32, 32]")), qPrintable(labels.join(" | ")));
        QVERIFY2(labels.contains(QStringLiteral("[batch, 3, 64, 64]")), qPrintable(labels.join(" | ")));

        // Sorting by MACs, largest first; clearing the sort gives the run order back.
        const QStringList runOrder = topScopes(tree);
        QCOMPARE(runOrder.first(), QString("conv1"));
        w.moduleTree()->sortByColumn(ModuleTreeModel::MacsColumn, Qt::DescendingOrder);
        QCOMPARE(topScopes(tree).mid(0, 3), QStringList({"layer1", "layer2", "conv1"}));
        w.moduleTree()->header()->setSortIndicator(-1, Qt::AscendingOrder);
        QCOMPARE(topScopes(tree), runOrder);

        // View > Colour by MACs: collapsed modules by their share of the model's MACs (square root).
        w.colourByMacs(true);
        const hs::Hierarchy& h = w.document()->hierarchy;
        auto heatOf = [&](const char* scope) {
            auto* item = w.graphScene()->itemFor({GraphEntity::Module, h.findModule(scope)});
            return item && item->type() == ModuleBoxKind ? static_cast<ModuleBoxItem*>(item)->heat() : -2.0;
        };
        QVERIFY(std::abs(heatOf("conv1") - std::sqrt(9633792.0 / 43189504.0)) < 1e-9);
        QVERIFY(heatOf("layer1") > heatOf("layer2"));
        QCOMPARE(heatOf("relu"), 0.0);
        // An expanded module's frame is coloured too (its header), with the same share as when collapsed.
        const double layer1Heat = heatOf("layer1");
        QVERIFY(layer1Heat > 0);
        auto frameHeat = [&](const char* scope) {
            auto* item = w.graphScene()->itemFor({GraphEntity::Module, h.findModule(scope)});
            return item && item->type() == ModuleFrameKind ? static_cast<ModuleFrameItem*>(item)->heat()
                                                           : -2.0;
        };
        w.graphScene()->setExpanded(h.findModule("layer1"), true);
        QTRY_VERIFY(frameHeat("layer1") > -2.0); // laid out off the UI thread
        QCOMPARE(frameHeat("layer1"), layer1Heat);
        w.colourByMacs(false);
        QCOMPARE(frameHeat("layer1"), -1.0);
        w.graphScene()->setExpanded(h.findModule("layer1"), false);
        QTRY_VERIFY(heatOf("layer1") > -2.0);
        QCOMPARE(heatOf("conv1"), -1.0);

        // The inspector: the node's MACs and its inferred output type.
        const int conv = w.document()->graph->find("/conv1/Conv");
        w.inspector()->showNode(conv);
        const QString html = w.inspector()->toHtml();
        QVERIFY2(html.contains("9.63 M"), qPrintable(html));
        QVERIFY2(html.contains("float[batch,64,32,32] (inferred)"), qPrintable(html)); // symbolic dims kept

        // Re-tagging moves the MACs with the node.
        const int layer1 = w.document()->hierarchy.findModule("layer1");
        const quint64 before =
            topRow(tree, "layer1", ModuleTreeModel::MacsColumn).data(ModuleTreeModel::SortRole).toULongLong();
        w.retagNodes({conv}, layer1);
        QCOMPARE(
            topRow(tree, "conv1", ModuleTreeModel::MacsColumn).data(ModuleTreeModel::SortRole).toULongLong(),
            0ull);
        QCOMPARE(
            topRow(tree, "layer1", ModuleTreeModel::MacsColumn).data(ModuleTreeModel::SortRole).toULongLong(),
            before + 9633792ull);
    }

    // Compare With...: MACs of both models per module (the edited intermediate.dense of layer 1 is wider).
    void compareShowsMacsOfBothModels() {
        MainWindow w;
        w.setInteractive(false);
        QVERIFY(openAndSettle(w, fixture("cmp_bert_train.onnx")));
        QSignalSpy ready(&w, &MainWindow::comparisonReady);
        w.compareWith(fixture("cmp_bert_train_edited.onnx"));
        QVERIFY(ready.wait(120000));
        QVERIFY(w.waitUntilIdle(120000));
        auto cell = [&](const char* scope, int column) {
            return w.moduleModel()
                ->indexOfModule(w.document()->hierarchy.findModule(scope), column)
                .data()
                .toString();
        };
        const QString changed = cell("encoder.layer.1.intermediate.dense", ModuleTreeModel::MacsDeltaColumn);
        QVERIFY2(changed.contains(QStringLiteral(" \u2192 ")), qPrintable(changed));
        QVERIFY(changed.startsWith(cell("encoder.layer.1.intermediate.dense", ModuleTreeModel::MacsColumn)));
        const QString same = cell("encoder.layer.0.intermediate.dense", ModuleTreeModel::MacsDeltaColumn);
        QVERIFY2(!same.isEmpty() && !same.contains(QStringLiteral("\u2192")), qPrintable(same));

        // Time A -> B: empty until both models have a profile, then both sides' times per module.
        QCOMPARE(w.moduleModel()->headerData(ModuleTreeModel::TimeDeltaColumn, Qt::Horizontal).toString(),
                 QString("Time A \u2192 B"));
        QVERIFY(cell("encoder", ModuleTreeModel::TimeDeltaColumn).isEmpty());
        QTemporaryDir dir;
        auto trace = [&](const char* model, const char* prefix) -> QString {
            QProcess node;
            node.start("node", {QStringLiteral(HS_REPO_ROOT "/tests/cost/profile_run.js"), fixture(model),
                                dir.filePath(prefix), "2", "disabled", "batch=1", "sequence=4"});
            if (!node.waitForStarted() || !node.waitForFinished(120000) || node.exitCode() != 0) return {};
            return QJsonDocument::fromJson(node.readAllStandardOutput()).object()["trace"].toString();
        };
        const QString traceA = trace("cmp_bert_train.onnx", "a"),
                      traceB = trace("cmp_bert_train_edited.onnx", "b");
        if (traceA.isEmpty() || traceB.isEmpty()) QSKIP("node with onnxruntime-node is not available");
        QCOMPARE(w.loadProfile(traceA), QString());
        QVERIFY(cell("encoder", ModuleTreeModel::TimeDeltaColumn).isEmpty()); // B has none yet
        QCOMPARE(w.loadComparedProfile(traceB), QString());
        const QString time = cell("encoder", ModuleTreeModel::TimeDeltaColumn);
        QVERIFY2(time.contains(QRegularExpression(
                     QStringLiteral("^[0-9.]+ (\u00b5s|ms) \u2192 [0-9.]+ (\u00b5s|ms)$"))),
                 qPrintable(time));
        QVERIFY2(time.startsWith(formatMicroseconds(
                     w.document()
                         ->profile
                         ->modules[static_cast<std::size_t>(w.document()->hierarchy.findModule("encoder"))]
                         .totalUs)),
                 qPrintable(time));
    }

    void loadProfileFillsTheTimeColumn() {
        MainWindow w;
        w.setInteractive(false);
        QVERIFY(openAndSettle(w, fixture("cnn_resnet.onnx")));
        QString message = w.loadProfile(fixture("README.md"));
        QVERIFY2(message.contains("README.md: not a JSON profile trace"), qPrintable(message));
        QVERIFY(!w.document()->profile);

        QTemporaryDir dir;
        QProcess node;
        node.start("node", {QStringLiteral(HS_REPO_ROOT "/tests/cost/profile_run.js"),
                            fixture("cnn_resnet.onnx"), dir.filePath("trace"), "2", "disabled", "batch=1"});
        if (!node.waitForStarted()) QSKIP("node is not installed");
        node.waitForFinished(120000);
        if (node.exitCode() == 77) QSKIP("onnxruntime-node is not installed in tests/numeric/node_modules");
        QCOMPARE(node.exitCode(), 0);
        const QJsonObject run = QJsonDocument::fromJson(node.readAllStandardOutput()).object();
        QCOMPARE(w.loadProfile(run["trace"].toString()), QString());
        QVERIFY(w.document()->profile);
        QAbstractItemModel* tree = w.moduleTree()->model();
        double sum = 0;
        for (int r = 0; r < tree->rowCount(); ++r) {
            const QModelIndex time = tree->index(r, ModuleTreeModel::TimeColumn);
            QVERIFY(time.data().toString().endsWith(QLatin1Char('%')));
            sum += time.data(ModuleTreeModel::SortRole).toDouble();
        }
        // Every kernel event matched (optimizations off): the top modules and the root's own ops make the
        // run.
        const auto& p = *w.document()->profile;
        QCOMPARE(p.profile->unmatched, std::size_t{0});
        const double total = run["kernel_us_per_run"].toDouble();
        QVERIFY(std::abs(sum + p.modules[0].ownUs - total) < 1e-6 * total);
        QVERIFY(w.statusBar()->currentMessage().contains("kernel events matched"));
    }
};

QTEST_MAIN(TestCost)
#include "test_cost.moc"
