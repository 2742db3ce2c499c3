// File > Compare With... as a user drives it (issue 11): delta columns in the module tree, the "changed only"
// filter, both sides' ops in the inspector, and re-tagging still acting on the primary model.
#include "document/comparison.h"
#include "document/model_document.h"
#include "graphview/graph_scene.h"
#include "gui_test_support.h"
#include "itemmodels/module_tree_model.h"
#include "widgets/inspector.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QHeaderView>
#include <QLineEdit>
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
        if (module < 0) // a module only in the compared model
            out << QStringLiteral("+") + index.data().toString();
        else
            out << QString::fromStdString(h.modules[static_cast<std::size_t>(module)].scope);
        visibleScopes(tree, index, h, out);
    }
}

QModelIndex filterIndex(MainWindow& w, const QModelIndex& source) {
    return static_cast<QSortFilterProxyModel*>(w.moduleTree()->model())->mapFromSource(source);
}

QModelIndex filterSource(MainWindow& w, const QModelIndex& shown) {
    return static_cast<QSortFilterProxyModel*>(w.moduleTree()->model())->mapToSource(shown);
}

QString cell(MainWindow& w, const char* scope, int column) {
    const int module = w.document()->hierarchy.findModule(scope);
    return w.moduleModel()->indexOfModule(module, column).data().toString();
}

// The rows of modules only in the compared model, as the tree shows them (through its filter), depth first:
// "parent's scope / name column | nodes delta column".
void comparedOnlyRows(const QAbstractItemModel* tree, const QModelIndex& parent, const hs::Hierarchy& h,
                      QStringList& out) {
    for (int row = 0; row < tree->rowCount(parent); ++row) {
        const QModelIndex index = tree->index(row, 0, parent);
        if (index.data(ModuleTreeModel::ModuleRole).toInt() < 0) {
            // Its parent: a module here (by scope), or another compared-only row ("+name").
            const int host = parent.isValid() ? parent.data(ModuleTreeModel::ModuleRole).toInt() : 0;
            out << QStringLiteral("%1 / %2 | %3")
                       .arg(host >= 0
                                ? QString::fromStdString(h.modules[static_cast<std::size_t>(host)].scope)
                                : QStringLiteral("+") + parent.data().toString(),
                            index.data().toString(),
                            tree->index(row, ModuleTreeModel::NodesDeltaColumn, parent).data().toString());
        }
        comparedOnlyRows(tree, index, h, out);
    }
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

    // Issue 22: against a re-implementation naming every module and parameter otherwise, each module's
    // row names its counterpart there (the tooltip) and how it was found, and nothing is "only here".
    void renamedModelShowsCounterparts() {
        MainWindow w;
        w.setInteractive(false);
        w.resize(1280, 800);
        w.show();
        QVERIFY(openAndSettle(w, fixture("cmp_bert_op17.onnx")));
        QVERIFY(compareAndSettle(w, fixture("cmp_bert_renamed.onnx")));
        const int word = w.document()->hierarchy.findModule("embeddings.word_embeddings");
        const QString tip = w.moduleModel()->indexOfModule(word, 0).data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.endsWith("\nthere: emb.tok (matched by signature)"), qPrintable(tip));
        QCOMPARE(cell(w, "encoder.layer.1", ModuleTreeModel::NodesDeltaColumn), QString("93"));
        w.changedOnlyBox()->setChecked(true);
        QStringList shown;
        visibleScopes(w.moduleTree()->model(), {}, w.document()->hierarchy, shown);
        QVERIFY2(shown.isEmpty(), qPrintable(shown.join(", ")));
        w.changedOnlyBox()->setChecked(false);
        QVERIFY(w.selectModule(w.document()->hierarchy.findModule("encoder.layer.1.output")));
        const QString text = w.inspector()->toPlainText();
        QVERIFY2(text.contains("There: enc.blocks.1.out (matched by signature)") &&
                     text.contains("No change."),
                 qPrintable(text));
    }

    // Issue 22: the modules only the compared model has (the unfused GELU and the pooler's Linear and Tanh
    // that ORT's fusions folded away) are rows under their parent, greyed, not selectable, with a tooltip
    // naming the compared file; across a wrapper prefix too; gone on Close Comparison.
    void comparedOnlyModulesAreRows_data() {
        QTest::addColumn<QString>("compared");
        QTest::newRow("same scopes") << QString("cmp_bert_op17.onnx");
        QTest::newRow("wrapped in model") << QString("cmp_bert_wrapped.onnx");
    }
    void comparedOnlyModulesAreRows() {
        QFETCH(QString, compared);
        MainWindow w;
        w.setInteractive(false);
        w.resize(1280, 800);
        w.show();
        QVERIFY(openAndSettle(w, fixture("cmp_bert_op17_ort.onnx")));
        QAbstractItemModelTester tester(w.moduleModel(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester filterTester(w.moduleTree()->model(),
                                              QAbstractItemModelTester::FailureReportingMode::QtTest);
        const hs::Hierarchy& h = w.document()->hierarchy;
        QStringList rows;
        comparedOnlyRows(w.moduleTree()->model(), {}, h, rows);
        QVERIFY(rows.isEmpty());

        QVERIFY(compareAndSettle(w, fixture(qPrintable(compared))));
        QCOMPARE(w.comparison()->result.addedModules, std::size_t(4));
        comparedOnlyRows(w.moduleTree()->model(), {}, h, rows);
        const QStringList expected{
            "encoder.layer.0.intermediate / intermediate_act_fn | only there",
            "encoder.layer.1.intermediate / intermediate_act_fn | only there",
            "pooler / dense | only there",
            "pooler / activation | only there",
        };
        QCOMPARE(rows, expected);
        // After this model's own children; inert; the tooltip says where it is.
        const QModelIndex pooler = w.moduleModel()->indexOfModule(h.findModule("pooler"));
        QCOMPARE(w.moduleModel()->rowCount(pooler), 2);
        const QModelIndex dense = w.moduleModel()->index(0, 0, pooler);
        QCOMPARE(w.moduleModel()->moduleAt(dense), -1);
        QVERIFY(w.moduleModel()->comparedOnlyAt(dense) >= 0);
        QVERIFY(!(dense.flags() & Qt::ItemIsSelectable));
        QVERIFY(!(dense.flags() & (Qt::ItemIsDropEnabled | Qt::ItemIsDragEnabled | Qt::ItemIsEditable)));
        const QString tip = dense.data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(compared) && tip.contains("pooler.dense") && tip.contains("272"),
                 qPrintable(tip));
        QCOMPARE(dense.data(Qt::ForegroundRole).value<QBrush>().color(), QColor(0x80, 0x80, 0x80));
        const QModelIndex intermediate =
            w.moduleModel()->indexOfModule(h.findModule("encoder.layer.0.intermediate"));
        QCOMPARE(w.moduleModel()->rowCount(intermediate), 2); // dense, then the compared-only GELU
        QCOMPARE(w.moduleModel()->moduleAt(w.moduleModel()->index(1, 0, intermediate)), -1);

        // A click selects nothing; the filter and "changed only" keep them (they changed: they were added).
        QVERIFY(w.selectModule(h.findModule("pooler")));
        const QModelIndex shownDense = filterIndex(w, dense);
        QVERIFY(shownDense.isValid());
        w.moduleTree()->scrollTo(shownDense);
        QTest::mouseClick(w.moduleTree()->viewport(), Qt::LeftButton, {},
                          w.moduleTree()->visualRect(shownDense).center());
        for (const QModelIndex& selected : w.moduleTree()->selectionModel()->selectedRows())
            QVERIFY(w.moduleModel()->moduleAt(filterSource(w, selected)) > 0);
        QCOMPARE(w.inspector()->shownModule(), h.findModule("pooler")); // nothing here to show or act on
        w.moduleFilter()->setText("activation");
        QTRY_VERIFY(filterIndex(w, dense).isValid() == false);
        rows.clear();
        comparedOnlyRows(w.moduleTree()->model(), {}, h, rows);
        QCOMPARE(rows, QStringList{"pooler / activation | only there"});
        w.moduleFilter()->clear();
        w.changedOnlyBox()->setChecked(true);
        rows.clear();
        comparedOnlyRows(w.moduleTree()->model(), {}, h, rows);
        QCOMPARE(rows, expected);
        w.changedOnlyBox()->setChecked(false);

        w.closeComparison();
        rows.clear();
        comparedOnlyRows(w.moduleTree()->model(), {}, h, rows);
        QVERIFY2(rows.isEmpty(), qPrintable(rows.join(", ")));
        QCOMPARE(w.moduleModel()->rowCount(w.moduleModel()->indexOfModule(h.findModule("pooler"))), 0);
    }

    // Two unrelated models: every module of the compared one is a row, nested as it is there (rows below
    // compared-only rows), through the filter too.
    void comparedOnlyRowsNest() {
        MainWindow w;
        w.setInteractive(false);
        w.resize(1280, 800);
        w.show();
        QVERIFY(openAndSettle(w, fixture("cmp_bert_op17.onnx")));
        QAbstractItemModelTester tester(w.moduleModel(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester filterTester(w.moduleTree()->model(),
                                              QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(compareAndSettle(w, fixture("gpt_like.onnx")));
        QCOMPARE(w.comparison()->result.addedModules, std::size_t(25));
        w.moduleTree()->expandAll();
        QStringList rows;
        comparedOnlyRows(w.moduleTree()->model(), {}, w.document()->hierarchy, rows);
        QCOMPARE(rows.size(), 25);
        QCOMPARE(rows.mid(0, 6),
                 (QStringList{" / transformer | only there", "+transformer / wte | only there",
                              "+transformer / wpe | only there", "+transformer / h.0 | only there",
                              "+h.0 / ln_1 | only there", "+h.0 / attn | only there"}));
        w.moduleFilter()->setText("c_attn");
        rows.clear();
        comparedOnlyRows(w.moduleTree()->model(), {}, w.document()->hierarchy, rows);
        QCOMPARE(rows, (QStringList{" / transformer | only there", "+transformer / h.0 | only there",
                                    "+h.0 / attn | only there", "+attn / c_attn | only there",
                                    "+transformer / h.1 | only there", "+h.1 / attn | only there",
                                    "+attn / c_attn | only there"}));
        w.moduleFilter()->clear();
        w.closeComparison();
        rows.clear();
        comparedOnlyRows(w.moduleTree()->model(), {}, w.document()->hierarchy, rows);
        QVERIFY(rows.isEmpty());
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
