// Issue 9 as a user sees it: a model without torch scope names (an older torch export, another
// converter's file) opens with a module tree, not a flat wall of ops, and says where the tree comes from.
#include "document/model_document.h"
#include "graphview/graph_scene.h"
#include "gui_test_support.h"
#include "itemmodels/module_tree_model.h"
#include "widgets/inspector.h"
#include "widgets/module_chooser.h"

#include <onnx/onnx_pb.h>

#include <QAction>
#include <QLabel>
#include <QListWidget>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QTreeView>
#include <QUndoStack>
#include <QtTest>

#include <fstream>

using namespace hs::ui;
using hs::ui::test::openAndSettle;
using hs::ui::test::sharedModel;

class TestScopeless : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    // DistilBERT exported by torch 1.10: node names "Gather_2", parameter names kept.
    void olderTorchExportShowsItsModules() {
        const QString path = sharedModel("distilbert_tiny_torch1.10_optimum_test.onnx");
        if (!QFile::exists(path)) QSKIP(qPrintable(path + " is absent"));
        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(openAndSettle(w, path));
        QAbstractItemModel* tree = w.moduleTree()->model();
        QStringList top;
        for (int row = 0; row < tree->rowCount(); ++row)
            top << tree->index(row, 0).data().toString();
        QCOMPARE(top, QStringList({"distilbert", "pre_classifier", "classifier"}));
        // The inspector says why a node is where it is: the parameter it uses.
        const auto& doc = *w.document();
        const int add = doc.graph->find("Add_28");
        QVERIFY(add >= 0);
        w.navigateTo(GraphEntity{GraphEntity::Node, add});
        const QString text = w.inspector()->toPlainText();
        QVERIFY2(text.contains("uses parameter 'distilbert.transformer.layer.0.attention.q_lin.bias'"),
                 qPrintable(text));
        QVERIFY2(text.contains("parameter"), qPrintable(text));
        // Under the tree: it comes from parameter names, not from torch's scopes.
        const QString origin = w.treeOriginLabel()->text();
        QVERIFY2(
            origin.startsWith("Tree from parameter names (26 nodes), inferred from the graph (164 nodes)"),
            qPrintable(origin));
        QVERIFY2(!origin.contains("note"), qPrintable(origin));
    }

    // tf2onnx's DeepLab: its layers are shown as layers, not as PyTorch modules.
    void converterLayersAreMarked() {
        const QString path = sharedModel("tf2onnx_deeplab_v3_mobilenetv2.onnx");
        if (!QFile::exists(path)) QSKIP(qPrintable(path + " is absent"));
        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(openAndSettle(w, path));
        const int mobilenet = w.document()->hierarchy.findModule("MobilenetV2");
        QVERIFY(mobilenet > 0);
        auto* model = qobject_cast<ModuleTreeModel*>(w.moduleTree()->model());
        QModelIndex index;
        if (model) {
            index = model->indexOfModule(mobilenet);
        } else { // behind a filter proxy
            auto* proxy = qobject_cast<QSortFilterProxyModel*>(w.moduleTree()->model());
            QVERIFY(proxy);
            auto* source = qobject_cast<ModuleTreeModel*>(proxy->sourceModel());
            QVERIFY(source);
            index = proxy->mapFromSource(source->indexOfModule(mobilenet));
        }
        QVERIFY(index.isValid());
        QVERIFY2(index.data().toString().contains("layer path"), qPrintable(index.data().toString()));
        QVERIFY(index.data(Qt::ToolTipRole).toString().contains("not a PyTorch module"));
        // Under the tree: what it was built from, and the model's notes behind a link.
        QLabel* origin = w.treeOriginLabel();
        QVERIFY(origin->isVisible());
        QVERIFY2(origin->text().contains("another converter's layer paths (67 nodes)"),
                 qPrintable(origin->text()));
        QVERIFY2(origin->text().contains("2 notes"), qPrintable(origin->text()));
        QVERIFY(!origin->text().contains("not PyTorch module scopes"));
        emit origin->linkActivated(QStringLiteral("notes"));
        QVERIFY2(origin->text().contains("written by tf2onnx and are not PyTorch module scopes"),
                 qPrintable(origin->text()));
        QVERIFY(origin->text().contains("Hide notes"));
        emit origin->linkActivated(QStringLiteral("notes"));
        QVERIFY(!origin->text().contains("not PyTorch module scopes"));
    }

    // Every node of the BERT fixture renamed as torch <= 1.12 named them: its attention math lands in
    // `attention` (nothing in the file tells attention.self from attention), and Move to Module offers
    // attention.self first, chosen: Enter moves the node there.
    void moveOffersWhereTheDataGoes() {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("bert_old_names.onnx"));
        std::string mathKey;
        {
            onnx::ModelProto proto;
            std::ifstream in(hs::ui::test::fixture("bert_like_op17.onnx").toStdString(), std::ios::binary);
            QVERIFY(proto.ParseFromIstream(&in));
            for (int i = 0; i < proto.graph().node_size(); ++i) {
                onnx::NodeProto* node = proto.mutable_graph()->mutable_node(i);
                const std::string renamed = node->op_type() + "_" + std::to_string(i);
                if (node->name() == "/encoder/layer.0/attention/self/MatMul") mathKey = renamed;
                node->set_name(renamed);
            }
            std::ofstream out(path.toStdString(), std::ios::binary);
            QVERIFY(proto.SerializeToOstream(&out));
        }
        QVERIFY(!mathKey.empty());
        MainWindow w; // interactive: the chooser is a real dialog
        w.show();
        QVERIFY(openAndSettle(w, path));
        const hs::Hierarchy& h = w.document()->hierarchy;
        const int math = w.document()->graph->find(mathKey);
        QVERIFY(math >= 0);
        const int attention = h.findModule("encoder.layer.0.attention");
        QCOMPARE(h.assignments[static_cast<std::size_t>(math)].module, attention);
        w.navigateTo(GraphEntity{GraphEntity::Node, math});
        QVERIFY(w.waitUntilIdle(60000));
        auto* move = w.findChild<QAction*>(QStringLiteral("moveToModuleAction"));
        QVERIFY(move);
        QString offered;
        hs::ui::test::ModalDriver driver;
        driver.then<ModuleChooser>([&](ModuleChooser* c) {
            offered = c->list()->currentItem() ? c->list()->currentItem()->text() : QString();
            QTest::keyClick(c->list(), Qt::Key_Return);
        });
        move->trigger();
        QVERIFY(driver.done());
        QVERIFY2(offered.startsWith(QStringLiteral("encoder.layer.0.attention.self ")) &&
                     offered.contains(QStringLiteral("(suggested:")),
                 qPrintable(offered));
        QCOMPARE(h.assignments[static_cast<std::size_t>(math)].module,
                 h.findModule("encoder.layer.0.attention.self"));
        w.undoStack()->undo();
        QCOMPARE(h.assignments[static_cast<std::size_t>(math)].module, attention);
        w.undoStack()->setClean(); // no close prompt when the test's window goes away
    }
};

QTEST_MAIN(TestScopeless)
#include "test_scopeless.moc"
