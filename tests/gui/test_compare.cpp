// File > Compare With... as a user drives it (issue 11): delta columns in the module tree, the "changed only"
// filter, both sides' ops in the inspector, and re-tagging still acting on the primary model.
#include "document/comparison.h"
#include "document/model_document.h"
#include "graphview/graph_scene.h"
#include "gui_test_support.h"
#include "itemmodels/module_tree_model.h"
#include "widgets/inspector.h"

#include <QCheckBox>
#include <QHeaderView>
#include <QSortFilterProxyModel>
#include <QStatusBar>
#include <QTreeView>
#include <QtTest>

using namespace hs::ui;
using hs::ui::test::fixture;
using hs::ui::test::openAndSettle;

namespace {

bool compareAndSettle(MainWindow& w, const QString& path) {
    QSignalSpy ready(&w, &MainWindow::comparisonReady);
    w.compareWith(path);
    if (!ready.wait(120000)) return false;
    return w.waitUntilIdle(120000);
}

// The scopes of every row the tree shows (through its filter), depth first.
void visibleScopes(const QAbstractItemModel* tree, const QModelIndex& parent, const hs::Hierarchy& h,
                   QStringList& out) {
    for (int row = 0; row < tree->rowCount(parent); ++row) {
        const QModelIndex index = tree->index(row, 0, parent);
        const int module = index.data(ModuleTreeModel::ModuleRole).toInt();
        out << QString::fromStdString(h.modules[static_cast<std::size_t>(module)].scope);
        visibleScopes(tree, index, h, out);
    }
}

QString cell(MainWindow& w, const char* scope, int column) {
    const int module = w.document()->hierarchy.findModule(scope);
    return w.moduleModel()->indexOfModule(module, column).data().toString();
}

} // namespace

class TestCompare : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void deltaColumnsFilterAndInspector() {
        MainWindow w;
        w.setInteractive(false);
        w.resize(1280, 800);
        w.show();
        QVERIFY(openAndSettle(w, fixture("cmp_bert_train.onnx")));
        QAbstractItemModel* tree = w.moduleTree()->model();
        QCOMPARE(tree->columnCount(), int(ModuleTreeModel::ColumnCount));
        QVERIFY(!w.changedOnlyBox()->isVisible());

        QVERIFY(compareAndSettle(w, fixture("cmp_bert_train_edited.onnx")));
        QCOMPARE(tree->columnCount(), int(ModuleTreeModel::CompareColumnCount));
        QCOMPARE(w.moduleTree()->header()->visualIndex(ModuleTreeModel::NodesDeltaColumn),
                 1); // beside the names
        QCOMPARE(tree->headerData(ModuleTreeModel::NodesDeltaColumn, Qt::Horizontal).toString(),
                 QString("Nodes A \u2192 B"));
        QCOMPARE(tree->headerData(ModuleTreeModel::ParametersDeltaColumn, Qt::Horizontal).toString(),
                 QString("Parameters A \u2192 B"));
        QCOMPARE(cell(w, "encoder", ModuleTreeModel::NodesDeltaColumn), QString("224 \u2192 221"));
        QCOMPARE(cell(w, "encoder.layer.1.intermediate.dense", ModuleTreeModel::ParametersDeltaColumn),
                 QString("544 \u2192 816"));
        QCOMPARE(cell(w, "encoder.layer.1.intermediate.dense", ModuleTreeModel::NodesDeltaColumn),
                 QString("3")); // same on both sides
        QCOMPARE(cell(w, "encoder.layer.0.intermediate.dense", ModuleTreeModel::ParametersDeltaColumn),
                 QString("544"));
        QCOMPARE(cell(w, "encoder.layer.1.output.dropout", ModuleTreeModel::NodesDeltaColumn),
                 QString("only here"));
        QVERIFY(w.changedOnlyBox()->isVisible());

        // Changed only: the three changed modules and the modules around them, nothing else.
        w.changedOnlyBox()->setChecked(true);
        QStringList shown;
        visibleScopes(tree, {}, w.document()->hierarchy, shown);
        QCOMPARE(shown, QStringList({"encoder", "encoder.layer.1", "encoder.layer.1.intermediate",
                                     "encoder.layer.1.intermediate.dense", "encoder.layer.1.output",
                                     "encoder.layer.1.output.dense", "encoder.layer.1.output.dropout"}));
        w.changedOnlyBox()->setChecked(false);
        shown.clear();
        visibleScopes(tree, {}, w.document()->hierarchy, shown);
        QCOMPARE(shown.size(), static_cast<int>(w.document()->hierarchy.modules.size()) - 1);

        // The inspector shows both sides of a selected module.
        QVERIFY(w.selectModule(w.document()->hierarchy.findModule("encoder.layer.1.output.dropout")));
        QString text = w.inspector()->toPlainText();
        QVERIFY2(text.contains("Compared with cmp_bert_train_edited.onnx"), qPrintable(text));
        QVERIFY2(text.contains("Only in this model") &&
                     text.contains("removed: 3 ops: Constant\u00d72, Dropout"),
                 qPrintable(text));
        QVERIFY(w.selectModule(w.document()->hierarchy.findModule("encoder.layer.1.intermediate.dense")));
        text = w.inspector()->toPlainText();
        QVERIFY2(text.contains("Changed: parameters 544 -> 816"), qPrintable(text));
        QVERIFY2(text.contains("Own ops"), qPrintable(text));

        // Both interiors side by side: a module opened here opens its counterpart in the compared graph,
        // and the module selected in the tree is shown there (its ancestors opened).
        GraphScene* other = w.comparedGraphScene();
        QVERIFY(other);
        const hs::Hierarchy& hb = w.comparison()->other->hierarchy;
        const int outputA = w.document()->hierarchy.findModule("encoder.layer.1.output");
        w.graphScene()->setExpanded(outputA, true);
        QVERIFY(w.waitUntilIdle(120000));
        QVERIFY(other->isExpanded(hb.findModule("encoder.layer.1.output")));
        QVERIFY(!other->isExpanded(hb.findModule("encoder.layer.0.output")));
        QVERIFY(w.selectModule(w.document()->hierarchy.findModule("encoder.layer.0.attention.self.query")));
        QVERIFY(w.waitUntilIdle(120000));
        QVERIFY(other->isExpanded(hb.findModule("encoder.layer.0.attention.self")));
        QVERIFY(!other->items().isEmpty());

        // Re-tagging acts on the primary model and the comparison follows it.
        const int add = w.document()->graph->find("/encoder/layer.0/attention/output/Add");
        QVERIFY(add >= 0);
        w.retagNodes({add}, w.document()->hierarchy.findModule("encoder.layer.0"));
        QVERIFY(w.waitUntilIdle(120000));
        QCOMPARE(w.comparison()->result.moved.size(), std::size_t(1));
        QVERIFY2(w.statusBar()->currentMessage().contains("5 module(s) changed") &&
                     w.statusBar()->currentMessage().contains("1 named node(s) in another module"),
                 qPrintable(w.statusBar()->currentMessage()));
        QCOMPARE(w.document()->hierarchy.assignments[static_cast<std::size_t>(add)].module,
                 w.document()->hierarchy.findModule("encoder.layer.0"));
        QCOMPARE(cell(w, "encoder.layer.0", ModuleTreeModel::NodesDeltaColumn),
                 QString("113")); // its subtree keeps the node

        if (qEnvironmentVariableIsSet("HS_COMPARE_SCREENSHOT")) {
            w.changedOnlyBox()->setChecked(true);
            QVERIFY(w.selectModule(outputA));
            QVERIFY(w.waitUntilIdle(120000));
            QTest::qWait(300);
            w.grab().save(qEnvironmentVariable("HS_COMPARE_SCREENSHOT"));
        }
    }

    // Issue 22: Compare With... across a wrapper prefix (`model.encoder...` against `encoder...`): every
    // module has its counterpart, nothing changed, and the inspector names the scope there.
    void wrapperPrefixLinesUp() {
        MainWindow w;
        w.setInteractive(false);
        w.resize(1280, 800);
        w.show();
        QVERIFY(openAndSettle(w, fixture("cmp_bert_wrapped.onnx")));
        QVERIFY(compareAndSettle(w, fixture("cmp_bert_op17.onnx")));
        QCOMPARE(cell(w, "model", ModuleTreeModel::NodesDeltaColumn), QString("214"));
        QCOMPARE(cell(w, "model.encoder.layer.1", ModuleTreeModel::ParametersDeltaColumn), QString("2160"));
        w.changedOnlyBox()->setChecked(true);
        QStringList shown;
        visibleScopes(w.moduleTree()->model(), {}, w.document()->hierarchy, shown);
        QVERIFY2(shown.isEmpty(), qPrintable(shown.join(", ")));
        w.changedOnlyBox()->setChecked(false);
        QVERIFY(w.selectModule(w.document()->hierarchy.findModule("model.encoder.layer.1.attention")));
        const QString text = w.inspector()->toPlainText();
        QVERIFY2(text.contains("There: encoder.layer.1.attention (matched by prefix)") &&
                     text.contains("No change."),
                 qPrintable(text));
    }

    void badSecondModelIsReported() {
        MainWindow w;
        w.setInteractive(false);
        QVERIFY(openAndSettle(w, fixture("cmp_bert_op17.onnx")));
        QSignalSpy failed(&w, &MainWindow::comparisonFailed);
        w.compareWith(fixture("does_not_exist.onnx"));
        QVERIFY(failed.wait(60000));
        QVERIFY(failed.first().first().toString().contains("does_not_exist.onnx"));
        QVERIFY(w.comparison() == nullptr);
        QCOMPARE(w.moduleTree()->model()->columnCount(), int(ModuleTreeModel::ColumnCount));
    }

    // Opening another model ends the comparison.
    void openingAnotherModelEndsIt() {
        MainWindow w;
        w.setInteractive(false);
        QVERIFY(openAndSettle(w, fixture("cmp_bert_op14.onnx")));
        QVERIFY(compareAndSettle(w, fixture("cmp_bert_op17.onnx")));
        QCOMPARE(w.comparison()->result.changedModules, std::size_t(5));
        QVERIFY(openAndSettle(w, fixture("cmp_bert_op17.onnx")));
        QVERIFY(w.comparison() == nullptr);
        QVERIFY(w.comparedGraphScene() == nullptr);
        QCOMPARE(w.moduleTree()->model()->columnCount(), int(ModuleTreeModel::ColumnCount));
        QCOMPARE(w.moduleTree()->header()->visualIndex(ModuleTreeModel::NodesColumn),
                 1); // the deltas' moves undone
    }
};

QTEST_MAIN(TestCompare)
#include "test_compare.moc"
