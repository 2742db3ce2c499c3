// The main window as a user drives it: open a model, see its tree and counts; a broken file
// reports its problem and leaves the window usable.
#include "document/model_document.h"
#include "gui_test_support.h"
#include "itemmodels/module_tree_model.h"
#include "mainwindow/main_window.h"

#include <QLineEdit>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTreeView>
#include <QtTest>

using namespace hs::ui;

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void opensModel();
    void brokenFileKeepsWindowUsable();
    void filterBox();

private:
    bool open(MainWindow& w, const QString& path);
};

void TestMainWindow::initTestCase() {
    QStandardPaths::setTestModeEnabled(true); // QSettings (recent files, geometry) go to a test location
}

bool TestMainWindow::open(MainWindow& w, const QString& path) {
    return hs::ui::test::openAndWaitLoaded(w, path);
}

void TestMainWindow::opensModel() {
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QVERIFY(open(w, QStringLiteral(HS_FIXTURES "/bert_like_op17.onnx")));
    QVERIFY(w.document());
    QCOMPARE(w.moduleTree()->model()->rowCount(), 3);
    QVERIFY(w.windowTitle().contains(QStringLiteral("bert_like_op17.onnx")));
    QVERIFY2(w.statusText().contains(QStringLiteral("%1 nodes").arg(w.document()->graph->size())),
             qPrintable(w.statusText()));
    QVERIFY(w.expandScope(QStringLiteral("encoder.layer.0.attention")));
    const QModelIndex current = w.moduleTree()->currentIndex();
    QCOMPARE(current.data(ModuleTreeModel::ModuleRole).toInt(),
             w.document()->hierarchy.findModule("encoder.layer.0.attention"));
    QVERIFY(w.moduleTree()->isExpanded(current.parent()));
}

void TestMainWindow::brokenFileKeepsWindowUsable() {
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QVERIFY(open(w, hs::ui::test::sharedModel("fastestdet_torch2.0.onnx")));
    QTemporaryDir dir;
    const QString bad = dir.filePath(QStringLiteral("not_a_model.onnx"));
    QFile file(bad);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("this is not protobuf at all, just text\n");
    file.close();

    QSignalSpy failed(&w, &MainWindow::loadFailed);
    w.openModel(bad);
    QVERIFY(failed.wait(30000));
    const QString message = failed.first().first().toString();
    QVERIFY2(message.contains(QStringLiteral("not_a_model.onnx")), qPrintable(message));
    // The previous model is still there and the window still opens models.
    QVERIFY(w.document());
    QVERIFY(w.document()->modelPath.endsWith(QStringLiteral("fastestdet_torch2.0.onnx")));
    QVERIFY(open(w, QStringLiteral(HS_FIXTURES "/bert_like_op17.onnx")));
}

void TestMainWindow::filterBox() {
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QVERIFY(open(w, QStringLiteral(HS_FIXTURES "/bert_like_op17.onnx")));
    QTest::keyClicks(w.moduleFilter(), QStringLiteral("pooler"));
    QAbstractItemModel* view = w.moduleTree()->model();
    QCOMPARE(view->rowCount(), 1);
    QCOMPARE(view->index(0, 0).data(ModuleTreeModel::ModuleRole).toInt(),
             w.document()->hierarchy.findModule("pooler"));
    w.moduleFilter()->clear();
    QCOMPARE(view->rowCount(), 3);
}

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
