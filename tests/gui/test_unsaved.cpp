// No edit is ever lost (issue 20): every path that replaces or closes the document asks Save / Discard /
// Cancel while re-tags are unsaved. Each path is driven through the real action, menu, drop or close,
// with each answer: Cancel leaves everything as it was, Discard goes on without writing, Save writes the
// sidecar (holding the manual tag) and goes on.
#include "gui_test_support.h"

#include "document/model_document.h"
#include "mainwindow/sidecar_actions.h"

#include <QAction>
#include <QDropEvent>
#include <QFileDialog>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QSettings>
#include <QTemporaryDir>
#include <QUndoStack>

using namespace hs;
using namespace hs::ui;
using namespace hs::ui::test;

class TestUnsaved : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void everyPathAsks_data();
    void everyPathAsks();
};

// How each path replaces or closes the document.
enum class Path { Open, OpenRecent, Drop, LoadSidecar, Close, Quit, WindowClose };
Q_DECLARE_METATYPE(Path)
Q_DECLARE_METATYPE(QMessageBox::StandardButton)

void TestUnsaved::everyPathAsks_data() {
    QTest::addColumn<Path>("path");
    QTest::addColumn<QMessageBox::StandardButton>("answer");
    const std::pair<const char*, Path> paths[] = {{"open", Path::Open},
                                                  {"open recent", Path::OpenRecent},
                                                  {"drop", Path::Drop},
                                                  {"load sidecar", Path::LoadSidecar},
                                                  {"file close", Path::Close},
                                                  {"quit", Path::Quit},
                                                  {"window close", Path::WindowClose}};
    const std::pair<const char*, QMessageBox::StandardButton> answers[] = {
        {"cancel", QMessageBox::Cancel}, {"discard", QMessageBox::Discard}, {"save", QMessageBox::Save}};
    for (const auto& [pathName, path] : paths)
        for (const auto& [answerName, answer] : answers)
            QTest::addRow("%s, %s", pathName, answerName) << path << answer;
}

static QAction* actionNamed(MainWindow& w, const char* name) {
    return w.findChild<QAction*>(QLatin1String(name));
}

void TestUnsaved::everyPathAsks() {
    QFETCH(Path, path);
    QFETCH(QMessageBox::StandardButton, answer);
    QTemporaryDir dir;
    const QString model = dir.filePath(QStringLiteral("bert.onnx"));
    const QString other = dir.filePath(QStringLiteral("gpt.onnx"));
    QVERIFY(QFile::copy(fixture("bert_like_op17.onnx"), model));
    QVERIFY(QFile::copy(fixture("gpt_like.onnx"), other));
    const QString sidecar = defaultSidecarPath(model);

    MainWindow w; // interactive: the question is a real dialog
    w.show();
    if (path == Path::OpenRecent) QVERIFY(openAndWaitLoaded(w, other)); // puts it in Open Recent
    QVERIFY(openAndSettle(w, model));
    const ModelDocument* doc = w.document();
    const int node = doc->graph->find("/encoder/layer.0/attention/self/query/MatMul");
    const int target = doc->hierarchy.findModule("encoder.layer.0.attention");
    QVERIFY(node >= 0 && target > 0);
    w.retagNodes({node}, target);
    QVERIFY(w.isModified());
    QVERIFY(w.windowTitle().startsWith(QStringLiteral("bert.onnx*")) ||
            w.windowTitle().startsWith(QStringLiteral("bert.onnx[*]")));

    QString question;
    QStringList chosen;
    ModalDriver driver;
    driver.then<QMessageBox>([&](QMessageBox* box) {
        question = box->text() + QLatin1Char(' ') + box->informativeText();
        box->button(answer)->click();
    });
    if (path == Path::Open && answer != QMessageBox::Cancel)
        driver.then<QFileDialog>([&](QFileDialog* d) {
            // Typed, as a person would: selectFile waits for the folder listing.
            d->findChild<QLineEdit*>(QStringLiteral("fileNameEdit"))->setText(other);
            chosen = d->selectedFiles();
            static_cast<QDialog*>(d)->done(QDialog::Accepted);
        });
    // A dialog nobody expects (a file dialog opened without the question first) is closed after a while,
    // so that a missing question fails the test instead of hanging it.
    QTimer watchdog;
    watchdog.setInterval(3000);
    connect(&watchdog, &QTimer::timeout, [] {
        if (auto* dialog = qobject_cast<QDialog*>(QApplication::activeModalWidget())) dialog->reject();
    });
    watchdog.start();
    QSignalSpy loaded(&w, &MainWindow::modelLoaded);
    bool closed = false;
    switch (path) {
    case Path::Open:
        actionNamed(w, "openAction")->trigger();
        break;
    case Path::OpenRecent: {
        auto* recent = w.findChild<QMenu*>(QStringLiteral("recentMenu"));
        QVERIFY(recent);
        QAction* entry = nullptr;
        for (QAction* a : recent->actions())
            if (a->toolTip() == other) entry = a;
        QVERIFY(entry);
        entry->trigger();
        break;
    }
    case Path::Drop: {
        QMimeData data;
        data.setUrls({QUrl::fromLocalFile(other)});
        QDragEnterEvent enter(QPoint(200, 200), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&w, &enter);
        QDropEvent drop(QPointF(200, 200), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&w, &drop);
        break;
    }
    case Path::LoadSidecar:
        w.sidecarActions()->load(fixture("bert_like_op17.hierarchy.json"));
        break;
    case Path::Close:
        actionNamed(w, "closeAction")->trigger();
        break;
    case Path::Quit:
        actionNamed(w, "quitAction")->trigger();
        closed = !w.isVisible();
        break;
    case Path::WindowClose:
        closed = w.close();
        break;
    }
    QVERIFY(driver.done());
    QVERIFY2(question.contains(QStringLiteral("not saved")), qPrintable(question));

    if (answer == QMessageBox::Cancel) { // everything as it was
        QVERIFY(!closed && w.isVisible());
        QVERIFY(!w.isLoading());
        QCOMPARE(w.document(), doc);
        QVERIFY(w.isModified());
        QCOMPARE(doc->hierarchy.assignments[node].module, target);
        QCOMPARE(w.undoStack()->count(), 1);
        QVERIFY(!QFile::exists(sidecar));
        w.undoStack()->setClean(); // no question when the test's window goes away
        return;
    }
    // Saved or discarded: the sidecar beside the model holds the manual tag only when saved.
    QCOMPARE(QFile::exists(sidecar), answer == QMessageBox::Save);
    if (answer == QMessageBox::Save) {
        QFile file(sidecar);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(file.readAll().contains("\"manual\""));
    }
    switch (path) {
    case Path::Open:
    case Path::OpenRecent:
    case Path::Drop:
    case Path::LoadSidecar:
        QVERIFY2(QTest::qWaitFor([&] { return !loaded.isEmpty(); }, 60000), qPrintable(chosen.join(',')));
        QVERIFY(w.document() != doc);
        QVERIFY(!w.isModified());
        if (path == Path::LoadSidecar)
            QCOMPARE(w.document()->sidecarPath, fixture("bert_like_op17.hierarchy.json"));
        else
            QCOMPARE(w.document()->modelPath, other);
        break;
    case Path::Close:
        QCOMPARE(w.document(), nullptr);
        QVERIFY(!w.isModified());
        QVERIFY(w.windowTitle().startsWith(QStringLiteral("no model")));
        QVERIFY(!actionNamed(w, "closeAction")->isEnabled());
        break;
    case Path::Quit:
    case Path::WindowClose:
        QVERIFY(closed);
        QVERIFY(!w.isVisible());
        break;
    }
}

QTEST_MAIN(TestUnsaved)
#include "test_unsaved.moc"
