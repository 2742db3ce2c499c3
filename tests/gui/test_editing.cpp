// Finding doubtful assignments and fixing them: uncertain list -> inspector evidence, re-tag with
// undo/redo, save the sidecar, reopen and find the manual tag; search.
#include "gui_test_support.h"

#include "graph_scene.h"
#include "inspector.h"
#include "model_document.h"
#include "module_chooser.h"
#include "search_panel.h"
#include "uncertain_list.h"

#include <QLineEdit>
#include <QListWidget>
#include <QTemporaryDir>
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
    QVERIFY2(text.contains(QString::fromStdString(h.assignments[node].evidence)), qPrintable(text));
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
        QVERIFY(target != before.module);
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

QTEST_MAIN(TestEditing)
#include "test_editing.moc"
