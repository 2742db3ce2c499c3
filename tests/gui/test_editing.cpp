// Finding doubtful assignments and fixing them: uncertain list -> inspector evidence, re-tag with
// undo/redo, save the sidecar, reopen and find the manual tag; search.
#include "gui_test_support.h"

#include "document/model_document.h"
#include "graphview/graph_scene.h"
#include "graphview/graph_view.h"
#include "itemmodels/module_tree_model.h"
#include "widgets/inspector.h"
#include "widgets/module_chooser.h"
#include "widgets/search_panel.h"
#include "widgets/uncertain_list.h"

#include <QAction>
#include <QGraphicsItem>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTreeView>
#include <QUndoStack>

using namespace hs;
using namespace hs::ui;
using namespace hs::ui::test;

class TestEditing : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void uncertainListShowsEvidence();
    void retagUndoRedoSaveReopen();
    void moduleChooserFilters();
    void searchNavigates();
    void searchCountsMarksStepsAndClears();
    void dropNodesOnTreeModule();
    void moveToModuleThroughChooser();
    void closeAsksAboutUnsavedChanges();
    void acceptSuggestionFromInspector();
};

void TestEditing::uncertainListShowsEvidence() {
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QVERIFY(openAndSettle(w, sharedModel("paddle2onnx_ppocr_mobile_v2_cls.onnx")));
    UncertainList* list = w.uncertainList();
    QVERIFY(list->topLevelItemCount() > 0);
    // Most doubtful first: scores never decrease within the low group.
    const Hierarchy& h = w.document()->hierarchy;
    for (int row = 1; row < list->topLevelItemCount(); ++row) {
        const auto& prev = h.assignments[list->nodeAt(row - 1)];
        const auto& cur = h.assignments[list->nodeAt(row)];
        if (prev.level == cur.level && prev.conflict == cur.conflict) QVERIFY(prev.score <= cur.score);
    }
    list->setCurrentItem(list->topLevelItem(0));
    const int node = list->nodeAt(0);
    QVERIFY(w.waitUntilIdle(60000));
    QCOMPARE(w.inspector()->shownNode(), node);
    const QString text = w.inspector()->toPlainText();
    QVERIFY2(text.contains(QString::fromStdString(h.explain(*w.document()->graph, node))), qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("low")));
    QVERIFY(text.contains(QString::fromStdString(w.document()->graph->key(node))));
    // And the graph selected it.
    QCOMPARE(w.graphScene()->selectedEntity(), (GraphEntity{GraphEntity::Node, node}));
}

void TestEditing::retagUndoRedoSaveReopen() {
    QTemporaryDir dir;
    const QString model = dir.filePath(QStringLiteral("bert.onnx"));
    QVERIFY(QFile::copy(fixture("bert_like_op17.onnx"), model));
    QString key;
    int target = -1;
    {
        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(openAndSettle(w, model));
        UncertainList* list = w.uncertainList();
        QVERIFY(list->topLevelItemCount() > 0);
        list->setCurrentItem(list->topLevelItem(0));
        const int node = list->nodeAt(0);
        key = QString::fromStdString(w.document()->graph->key(node));
        const Assignment before = w.document()->hierarchy.assignments[node];
        target = w.document()->hierarchy.findModule("encoder.layer.0.attention.self");
        if (target == before.module)
            target = w.document()->hierarchy.findModule("encoder.layer.1.attention.self");
        QVERIFY(target >= 0 && target != before.module);
        const int uncertainRows = list->topLevelItemCount();

        w.retagNodes({node}, target);
        QVERIFY(w.waitUntilIdle(60000));
        const Assignment& after = w.document()->hierarchy.assignments[node];
        QCOMPARE(after.module, target);
        QCOMPARE(after.level, Level::Certain);
        QCOMPARE(after.source, Source::Manual);
        QVERIFY(w.isWindowModified());
        QCOMPARE(list->topLevelItemCount(), uncertainRows - 1); // no longer doubtful
        QVERIFY(w.inspector()->toPlainText().contains(QStringLiteral("manual")));

        w.undoStack()->undo();
        QVERIFY(w.waitUntilIdle(60000));
        QCOMPARE(w.document()->hierarchy.assignments[node].module, before.module);
        QCOMPARE(w.document()->hierarchy.assignments[node].level, before.level);
        QCOMPARE(list->topLevelItemCount(), uncertainRows);
        QVERIFY(!w.isWindowModified());

        w.undoStack()->redo();
        QVERIFY(w.waitUntilIdle(60000));
        QCOMPARE(w.document()->hierarchy.assignments[node].module, target);
        QVERIFY(w.isWindowModified());

        QCOMPARE(w.saveSidecar(), QString());
        QVERIFY(!w.isWindowModified());
        QVERIFY(QFile::exists(defaultSidecarPath(model)));
    }
    // Reopen: the sidecar beside the model is applied and the manual tag is back.
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QVERIFY(openAndSettle(w, model));
    QCOMPARE(w.document()->sidecarPath, QFileInfo(defaultSidecarPath(model)).absoluteFilePath());
    const int node = w.document()->graph->find(key.toStdString());
    QVERIFY(node >= 0);
    const Assignment& restored = w.document()->hierarchy.assignments[node];
    QCOMPARE(restored.module, target);
    QCOMPARE(restored.level, Level::Certain);
    QCOMPARE(restored.source, Source::Manual);
}

void TestEditing::moduleChooserFilters() {
    MainWindow w;
    w.setInteractive(false);
    QVERIFY(openAndSettle(w, fixture("bert_like_op17.onnx")));
    ModuleChooser chooser(w.document()->hierarchy, 0);
    QTest::keyClicks(chooser.filterEdit(), QStringLiteral("layer.1.attention.self.qu"));
    QCOMPARE(chooser.selectedModule(),
             w.document()->hierarchy.findModule("encoder.layer.1.attention.self.query"));
}

void TestEditing::searchNavigates() {
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QVERIFY(openAndSettle(w, fixture("bert_like_op17.onnx")));
    QTest::keySequence(&w, QKeySequence::Find);
    w.searchPanel()->search(QStringLiteral("layer.1/attention/self/query/MatMul"));
    QListWidget* results = w.searchPanel()->results();
    QVERIFY(results->count() >= 1);
    results->setCurrentRow(0);
    QVERIFY(w.waitUntilIdle(60000));
    const GraphEntity selected = w.graphScene()->selectedEntity();
    QCOMPARE(selected.kind, GraphEntity::Node);
    QVERIFY(QString::fromStdString(w.document()->graph->key(selected.index))
                .contains(QStringLiteral("layer.1/attention/self/query")));
    QVERIFY(w.graphScene()->isExpanded(
        w.document()->hierarchy.findModule("encoder.layer.1.attention.self.query")));
    // Tensor names are searched too.
    w.searchPanel()->search(QStringLiteral("attention_mask"));
    QVERIFY(results->count() >= 1);
}

// Issue 22: the search says how many it found (or that it found nothing), outlines the matches in the
// graph, steps through them with F3 / Shift+F3 (wrapping), and forgets the query when another model opens.
void TestEditing::searchCountsMarksStepsAndClears() {
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QVERIFY(openAndSettle(w, fixture("bert_like_op17.onnx")));
    SearchPanel* search = w.searchPanel();
    GraphScene* scene = w.graphScene();
    search->queryEdit()->setText(QStringLiteral("LayerNormalization"));
    search->search(search->queryEdit()->text());
    // The 5 ops (embeddings.LayerNorm, two per encoder layer) and the 12 nodes reading their outputs.
    QCOMPARE(search->matchCount(), 17);
    QCOMPARE(search->status()->text(), QStringLiteral("17 matches"));
    QCOMPARE(search->results()->count(), 17);
    QCOMPARE(search->results()->findItems(QStringLiteral("node  "), Qt::MatchStartsWith).size(), 5);
    // All sit in collapsed top-level modules: those are outlined.
    QCOMPARE(scene->searchMarkCount(), 2);
    auto markAround = [&](const QGraphicsItem* item) {
        for (QGraphicsItem* mark : scene->items())
            if (mark->data(0).toString() == QLatin1String("searchMark") &&
                mark->sceneBoundingRect().contains(item->sceneBoundingRect()))
                return true;
        return false;
    };
    QVERIFY(markAround(scene->itemFor({GraphEntity::Module, w.document()->hierarchy.findModule("encoder")})));

    auto selectedKey = [&] {
        const GraphEntity e = scene->selectedEntity();
        return e.kind == GraphEntity::Node ? QString::fromStdString(w.document()->graph->key(e.index))
                                           : QString();
    };
    QTest::keyClick(&w, Qt::Key_F3);
    QVERIFY(w.waitUntilIdle(60000));
    QCOMPARE(search->results()->currentRow(), 0);
    QCOMPARE(selectedKey(), QStringLiteral("/embeddings/LayerNorm/LayerNormalization"));
    QCOMPARE(search->status()->text(), QStringLiteral("1 of 17 matches"));
    // The typing delay (150 ms) running out after the query was searched keeps the match looked at: it
    // used to search again and drop the position (seen as a flaky test when the machine was busy).
    QTest::qWait(400);
    QCOMPARE(search->results()->currentRow(), 0);
    QCOMPARE(search->status()->text(), QStringLiteral("1 of 17 matches"));
    // Revealed: the op itself is outlined now.
    QVERIFY(markAround(scene->itemFor(scene->selectedEntity())));
    QTest::keyClick(&w, Qt::Key_F3);
    QVERIFY(w.waitUntilIdle(60000));
    // The next match: the first node reading the embeddings' LayerNorm output.
    QCOMPARE(selectedKey(), QStringLiteral("/encoder/layer.0/attention/self/query/MatMul"));
    QTest::keyClick(&w, Qt::Key_F3, Qt::ShiftModifier);
    QTest::keyClick(&w, Qt::Key_F3, Qt::ShiftModifier); // wraps around to the last
    QVERIFY(w.waitUntilIdle(60000));
    QCOMPARE(search->results()->currentRow(), 16);
    QCOMPARE(search->status()->text(), QStringLiteral("17 of 17 matches"));

    search->search(QStringLiteral("no_such_thing"));
    QCOMPARE(search->matchCount(), 0);
    QCOMPARE(search->status()->text(), QStringLiteral("No results for \u201cno_such_thing\u201d"));
    QCOMPARE(scene->searchMarkCount(), 0);

    search->search(QStringLiteral("LayerNormalization"));
    QVERIFY(scene->searchMarkCount() > 0);
    QVERIFY(openAndSettle(w, fixture("cnn_resnet.onnx")));
    QVERIFY(search->queryEdit()->text().isEmpty());
    QCOMPARE(search->results()->count(), 0);
    QVERIFY(search->status()->text().isEmpty());
    QCOMPARE(scene->searchMarkCount(), 0);
}

void TestEditing::dropNodesOnTreeModule() {
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QVERIFY(openAndSettle(w, fixture("bert_like_op17.onnx")));
    const GraphIndex& g = *w.document()->graph;
    const Hierarchy& h = w.document()->hierarchy;
    const int q = g.find("/encoder/layer.0/attention/self/query/MatMul");
    const int k = g.find("/encoder/layer.0/attention/self/key/MatMul");
    const int target = h.findModule("encoder.layer.0.attention.output");
    const Assignment qBefore = h.assignments[q], kBefore = h.assignments[k];
    // Select both in the graph, as a user does before dragging them.
    w.graphScene()->reveal({GraphEntity::Node, k});
    QVERIFY(w.waitUntilIdle(60000));
    w.navigateTo({GraphEntity::Node, q});
    QVERIFY(w.waitUntilIdle(60000));
    w.graphScene()->itemFor({GraphEntity::Node, k})->setSelected(true);
    std::unique_ptr<QMimeData> data(w.graphView()->selectionMimeData());
    QVERIFY(data);

    // Drop on the module's row in the tree: drag enter, move, drop, as the platform delivers them.
    QVERIFY(w.expandScope(QStringLiteral("encoder.layer.0.attention.output")));
    QTreeView* tree = w.moduleTree();
    const QModelIndex row = tree->currentIndex();
    QCOMPARE(row.data(ModuleTreeModel::ModuleRole).toInt(), target);
    tree->scrollTo(row);
    const QPoint at = tree->visualRect(row).center();
    const int commands = w.undoStack()->count();
    QDragEnterEvent enter(at, Qt::MoveAction | Qt::CopyAction, data.get(), Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(tree->viewport(), &enter);
    QVERIFY(enter.isAccepted());
    QDragMoveEvent move(at, Qt::MoveAction | Qt::CopyAction, data.get(), Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(tree->viewport(), &move);
    QVERIFY(move.isAccepted());
    QDropEvent drop(at, Qt::MoveAction | Qt::CopyAction, data.get(), Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(tree->viewport(), &drop);
    QVERIFY(w.waitUntilIdle(60000));

    QCOMPARE(h.assignments[q].module, target);
    QCOMPARE(h.assignments[k].module, target);
    QCOMPARE(h.assignments[q].source, Source::Manual);
    QCOMPARE(h.assignments[k].level, Level::Certain);
    QCOMPARE(w.undoStack()->count(), commands + 1); // one step for both nodes
    w.undoStack()->undo();
    QCOMPARE(h.assignments[q].module, qBefore.module);
    QCOMPARE(h.assignments[k].module, kBefore.module);

    // Nodes of another document are refused.
    std::unique_ptr<QMimeData> foreign(nodesMimeData({q}, &w));
    QVERIFY(!w.moduleTree()->model()->canDropMimeData(foreign.get(), Qt::MoveAction, -1, -1, row));
}

void TestEditing::moveToModuleThroughChooser() {
    MainWindow w; // interactive: the chooser is a real dialog
    w.show();
    QVERIFY(openAndSettle(w, fixture("bert_like_op17.onnx")));
    const Hierarchy& h = w.document()->hierarchy;
    const int node = w.document()->graph->find("/encoder/layer.0/attention/self/query/MatMul");
    w.navigateTo({GraphEntity::Node, node});
    QVERIFY(w.waitUntilIdle(60000));
    auto* move = w.findChild<QAction*>(QStringLiteral("moveToModuleAction"));
    QVERIFY(move);

    // Cancelled: nothing changes.
    const int before = h.assignments[node].module;
    {
        ModalDriver driver;
        driver.then<ModuleChooser>([](ModuleChooser* c) { c->reject(); });
        move->trigger();
        QVERIFY(driver.done());
    }
    QCOMPARE(h.assignments[node].module, before);
    QCOMPARE(w.undoStack()->count(), 0);

    // Filter, then Enter: the first match is taken.
    QString preselected;
    ModalDriver driver;
    driver.then<ModuleChooser>([&](ModuleChooser* c) {
        preselected = c->list()->currentItem() ? c->list()->currentItem()->text() : QString();
        QTest::keyClicks(c->filterEdit(), QStringLiteral("layer.1.attention.self.qu"));
        QTest::keyClick(c->filterEdit(), Qt::Key_Return);
    });
    move->trigger();
    QVERIFY(driver.done());
    QVERIFY2(preselected.startsWith(QStringLiteral("encoder.layer.0.attention.self")),
             qPrintable(preselected));
    QCOMPARE(h.assignments[node].module, h.findModule("encoder.layer.1.attention.self.query"));
    QCOMPARE(h.assignments[node].source, Source::Manual);
    QCOMPARE(w.undoStack()->count(), 1);
    QVERIFY(w.isWindowModified());
    w.undoStack()->setClean(); // no close prompt when the test's window goes away
}

void TestEditing::closeAsksAboutUnsavedChanges() {
    QTemporaryDir dir;
    const QString model = dir.filePath(QStringLiteral("bert.onnx"));
    QVERIFY(QFile::copy(fixture("bert_like_op17.onnx"), model));
    MainWindow w; // interactive: closing asks
    w.show();
    QVERIFY(openAndSettle(w, model));
    const int node = w.document()->graph->find("/encoder/layer.0/attention/self/query/MatMul");
    w.retagNodes({node}, w.document()->hierarchy.findModule("encoder.layer.0.attention"));
    QVERIFY(w.isModified());

    QString question;
    auto answer = [&](QMessageBox::StandardButton button) {
        return [&question, button](QMessageBox* box) {
            question = box->text();
            box->button(button)->click();
        };
    };
    {
        ModalDriver driver;
        driver.then<QMessageBox>(answer(QMessageBox::Cancel));
        QVERIFY(!w.close()); // Cancel keeps the window and the edit
        QVERIFY(driver.done());
    }
    QVERIFY2(question.contains(QStringLiteral("not saved")), qPrintable(question));
    QVERIFY(w.isVisible());
    QVERIFY(w.isModified());
    QVERIFY(!QFile::exists(defaultSidecarPath(model)));
    {
        ModalDriver driver;
        driver.then<QMessageBox>(answer(QMessageBox::Save));
        QVERIFY(w.close()); // Save writes the sidecar, then closes
        QVERIFY(driver.done());
    }
    QVERIFY(QFile::exists(defaultSidecarPath(model)));
    QVERIFY(!w.isModified());

    // Discard closes without writing.
    MainWindow other;
    other.show();
    QVERIFY(openAndSettle(other, fixture("bert_like_op17.onnx")));
    other.retagNodes({node}, other.document()->hierarchy.findModule("encoder.layer.0.attention"));
    const QString fixtureSidecar = defaultSidecarPath(fixture("bert_like_op17.onnx"));
    const QDateTime stamp = QFileInfo(fixtureSidecar).lastModified();
    {
        ModalDriver driver;
        driver.then<QMessageBox>(answer(QMessageBox::Discard));
        QVERIFY(other.close());
        QVERIFY(driver.done());
    }
    QCOMPARE(QFileInfo(fixtureSidecar).lastModified(), stamp);
}

QTEST_MAIN(TestEditing)

// Issue 18: a vague node says where it probably belongs, and why, in the inspector; "[accept suggestion]"
// moves it there as one undoable re-tag. Here the MultiheadAttention's output projection, renamed in both
// blocks: nothing in the file shows out_proj running code, so it stays in `attn` and out_proj is offered.
void TestEditing::acceptSuggestionFromInspector() {
    QTemporaryDir dir;
    const QString model = dir.filePath(QStringLiteral("mha_renamed.onnx"));
    {
        QFile in(fixture("mha_blocks.onnx"));
        QVERIFY(in.open(QIODevice::ReadOnly));
        QByteArray bytes = in.readAll();
        for (const char* name : {"/blocks.0/attn/Gemm", "/blocks.1/attn/Gemm"}) {
            const QByteArray from(name);
            bytes.replace(from, QByteArray("renamed_") + from.at(8) + QByteArray(from.size() - 9, '_'));
        }
        QFile out(model);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(bytes);
    }
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QVERIFY(openAndSettle(w, model));
    const Hierarchy& h = w.document()->hierarchy;
    const int node = w.document()->graph->find("renamed_0__________");
    QVERIFY(node >= 0);
    const int attn = h.findModule("blocks.0.attn"), outProj = h.findModule("blocks.0.attn.out_proj");
    QVERIFY(attn >= 0 && outProj >= 0);
    QCOMPARE(h.assignments[node].module, attn);
    QCOMPARE(h.assignments[node].suggestion.module, outProj);
    w.inspector()->showNode(node);
    const QString text = w.inspector()->toPlainText();
    QVERIFY2(text.contains(QStringLiteral("Probably in blocks.0.attn.out_proj")) ||
                 text.contains(QStringLiteral("Probably in out_proj")),
             qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("nn.MultiheadAttention")), qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("[accept suggestion]")));
    emit w.inspector()->anchorClicked(QUrl(QStringLiteral("accept:%1").arg(outProj)));
    QVERIFY(w.waitUntilIdle(60000));
    QCOMPARE(h.assignments[node].module, outProj);
    QCOMPARE(h.assignments[node].level, Level::Certain);
    QCOMPARE(h.assignments[node].suggestion.module, -1);
    w.undoStack()->undo();
    QVERIFY(w.waitUntilIdle(60000));
    QCOMPARE(h.assignments[node].module, attn);
    QCOMPARE(h.assignments[node].level, Level::Medium);
    QCOMPARE(h.assignments[node].suggestion.module, outProj);
}

#include "test_editing.moc"
