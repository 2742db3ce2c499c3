// Saving and loading sidecars in the GUI (issue 10, items 4, 5, 16, 17): Ctrl+S never rewrites the
// loaded seed file and keeps every claim it made, writes only when there is something new, keeps the
// file mode; File > Load Sidecar / a dropped .json refuse a sidecar of another model; the sidecar found
// beside a model is shown; an extracted module opens with its classes; the status bar counts modules as
// the CLI does.
#include "gui_test_support.h"

#include "document/model_document.h"
#include "mainwindow/sidecar_actions.h"
#include "sidecar/sidecar.h"

#include <QAction>
#include <QDropEvent>
#include <QLabel>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QUndoStack>

#include <sys/stat.h>

using namespace hs;
using namespace hs::ui;
using namespace hs::ui::test;

namespace {

QByteArray bytesOf(const QString& path) {
    QFile f(path);
    f.open(QIODevice::ReadOnly);
    return f.readAll();
}

// The folder a user would have: the model and the seed exporter's sidecar beside it.
QString copySample(const QTemporaryDir& dir) {
    const QString model = dir.filePath(QStringLiteral("bert.onnx"));
    QFile::copy(fixture("bert_like_op17.onnx"), model);
    QFile::copy(fixture("bert_like_op17_seed_sidecar.json"),
                dir.filePath(QStringLiteral("bert_seed_sidecar.json")));
    return model;
}

QString sidecarLabel(MainWindow& w) {
    return w.findChild<QLabel*>(QStringLiteral("sidecarLabel"))->text();
}

void dropFile(MainWindow& w, const QString& path) {
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(path)});
    QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &enter);
    QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &drop);
}

} // namespace

class TestSaving : public QObject {
    Q_OBJECT
private slots:
    void init() { umask(022); }

    void ctrlSKeepsTheSeedFileAndEveryClaim() {
        QTemporaryDir dir;
        const QString model = copySample(dir);
        const QString seedFile = dir.filePath(QStringLiteral("bert_seed_sidecar.json"));
        const QByteArray seedBytes = bytesOf(seedFile);
        const QString ours = dir.filePath(QStringLiteral("bert.hierarchy.json"));
        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(openAndSettle(w, model));
        QVERIFY2(sidecarLabel(w).contains(QStringLiteral("bert_seed_sidecar.json (found beside the model)")),
                 qPrintable(sidecarLabel(w)));
        // The CLI's count: the root (the model itself) is a module too.
        QVERIFY2(w.statusText().contains(
                     QStringLiteral("214 nodes, %1 modules").arg(w.document()->hierarchy.modules.size())),
                 qPrintable(w.statusText()));

        const int node = w.document()->graph->find("/encoder/layer.0/attention/output/Add");
        w.retagNodes({node}, w.document()->hierarchy.findModule("encoder.layer.0"));
        QSignalSpy saved(w.sidecarActions(), &SidecarActions::saveFinished);
        QTest::keyClick(&w, Qt::Key_S, Qt::ControlModifier);
        QVERIFY(saved.count() == 1 || saved.wait(60000));
        QCOMPARE(saved.takeFirst().at(1).toString(), QString());
        QCOMPARE(bytesOf(seedFile), seedBytes); // never rewritten
        QVERIFY(QFile::exists(ours));
        QVERIFY2(w.statusBar()->currentMessage().contains(QStringLiteral("beside the model")),
                 qPrintable(w.statusBar()->currentMessage()));
        QVERIFY(!w.isWindowModified());
        struct stat st {};
        ::stat(ours.toLocal8Bit().constData(), &st);
        QCOMPARE(st.st_mode & 0777, mode_t(0644));

        // Nothing new: Ctrl+S writes nothing.
        const QDateTime stamp = QFileInfo(ours).lastModified();
        const QByteArray savedBytes = bytesOf(ours);
        QTest::qWait(20);
        QTest::keyClick(&w, Qt::Key_S, Qt::ControlModifier);
        QVERIFY(saved.count() == 1 || saved.wait(10000));
        QCOMPARE(saved.takeFirst().at(0).toString(), QString()); // nothing was written
        QCOMPARE(QFileInfo(ours).lastModified(), stamp);
        QCOMPARE(bytesOf(ours), savedBytes);

        // Reopened: ours is found first; the edit is back and every seed claim is still there.
        MainWindow again;
        again.setInteractive(false);
        QVERIFY(openAndSettle(again, model));
        QCOMPARE(again.document()->sidecarPath, QFileInfo(ours).absoluteFilePath());
        QCOMPARE(again.document()->hierarchy.assignments[node].source, Source::Manual);
        const Sidecar seed = readSidecar(seedFile.toStdString());
        const Sidecar back = readSidecar(ours.toStdString());
        std::size_t claims = 0;
        for (const auto& e : back.entries)
            claims += e.hasSidecarClaim && !e.sidecarPath.empty();
        QCOMPARE(claims, seed.entries.size());
        // An edit after the reload goes into ours, in place (it is ours now).
        again.retagNodes({node}, again.document()->hierarchy.findModule("encoder"));
        QCOMPARE(again.saveSidecar(), QString());
        QCOMPARE(bytesOf(seedFile), seedBytes);
        QCOMPARE(readSidecar(ours.toStdString()).entries.size(), seed.entries.size());
    }

    void anotherToolsFileUnderOurNameIsNotReplaced() {
        QTemporaryDir dir;
        const QString model = copySample(dir);
        const QString taken = dir.filePath(QStringLiteral("bert.hierarchy.json"));
        QVERIFY(QFile::copy(fixture("bert_like_op17.hierarchy.json"), taken)); // the exporter's 1.1 file
        const QByteArray before = bytesOf(taken);
        MainWindow w;
        w.setInteractive(false);
        QVERIFY(openAndSettle(w, model));
        QVERIFY(w.document()->ownSidecarPath.isEmpty());
        w.retagNodes({0}, w.document()->hierarchy.findModule("encoder"));
        const QString error = w.saveSidecar();
        QVERIFY2(error.contains(QStringLiteral("not replaced")), qPrintable(error));
        QCOMPARE(bytesOf(taken), before);
        QVERIFY(w.isWindowModified());
    }

    void loadingAndDroppingSidecars() {
        QTemporaryDir dir;
        const QString model = dir.filePath(QStringLiteral("bert.onnx"));
        QVERIFY(QFile::copy(fixture("bert_like_op17.onnx"), model));
        MainWindow w;
        w.setInteractive(false);
        QVERIFY(openAndSettle(w, model));
        QCOMPARE(sidecarLabel(w), QStringLiteral("No sidecar"));
        // Alone, the model has the root and 39 traced modules: 40, as `hierscope-cli info` says (test_cli).
        QVERIFY2(w.statusText().startsWith(QStringLiteral("214 nodes, 40 modules")),
                 qPrintable(w.statusText()));
        QAction* loadAction = w.findChild<QAction*>(QStringLiteral("loadSidecarAction"));
        QVERIFY(loadAction && loadAction->text().contains(QStringLiteral("Load Sidecar")));
        const ModelDocument* before = w.document();

        // A sidecar written for another model: refused with the check's message, the model stays.
        const QString other = dir.filePath(QStringLiteral("gpt.json"));
        {
            MainWindow gpt;
            gpt.setInteractive(false);
            QVERIFY(openAndSettle(gpt, fixture("gpt_like.onnx")));
            QCOMPARE(gpt.saveSidecar(other), QString());
        }
        dropFile(w, other);
        QTRY_VERIFY_WITH_TIMEOUT(w.statusBar()->currentMessage().contains(QStringLiteral("does not match")),
                                 30000);
        QVERIFY(w.statusBar()->currentMessage().contains(QStringLiteral("gpt.json")));
        QCOMPARE(w.document(), before);

        // The seed sidecar through File > Load Sidecar's path: the model reopens with it.
        QSignalSpy loaded(&w, &MainWindow::modelLoaded);
        w.sidecarActions()->load(fixture("bert_like_op17_seed_sidecar.json"));
        QVERIFY(loaded.wait(60000));
        QCOMPARE(w.document()->sidecarPath,
                 QFileInfo(fixture("bert_like_op17_seed_sidecar.json")).absoluteFilePath());
        QVERIFY2(sidecarLabel(w).contains(QStringLiteral("bert_like_op17_seed_sidecar.json")),
                 qPrintable(sidecarLabel(w)));
        const int m = w.document()->hierarchy.findModule("encoder.layer.0.attention.self");
        QCOMPARE(w.document()->hierarchy.modules[m].className, std::string("BertSelfAttention"));

        // Dropping a fitting sidecar works the same way.
        QVERIFY(w.waitUntilIdle(60000));
        dropFile(w, fixture("bert_like_op17_htp_sidecar.json"));
        QVERIFY(loaded.wait(60000));
        QVERIFY(w.document()->sidecarPath.endsWith(QStringLiteral("bert_like_op17_htp_sidecar.json")));
    }

    // Issue 22: a sidecar written for a related model (opset 17's, on the opset 14 export) is offered
    // with its count of matching entries; applied, a manual tag among them holds on this model.
    void relatedModelsSidecarAppliesWhatMatches() {
        QTemporaryDir dir;
        const std::string moved = "/encoder/layer.0/attention/output/Add";
        const QString path = dir.filePath(QStringLiteral("op17.hierarchy.json"));
        {
            auto op17 = loadModelDocument(fixture("bert_like_op17.onnx"), QString());
            QVERIFY(op17->error.isEmpty());
            op17->hierarchy.assignManually(op17->graph->find(moved),
                                           op17->hierarchy.findModule("encoder.layer.1"));
            op17->hierarchy.refreshModuleSummaries();
            writeSidecar(path.toStdString(), makeSidecar(*op17->graph, op17->hierarchy));
        }
        MainWindow w;
        w.setInteractive(false);
        QVERIFY(openAndSettle(w, fixture("bert_like_op14.onnx")));
        w.setInteractive(true);
        QString asked;
        ModalDriver driver;
        driver.then<QMessageBox>([&](QMessageBox* box) {
            asked = box->text();
            auto* apply = box->findChild<QPushButton*>(QStringLiteral("applyMatchingEntries"));
            QVERIFY(apply);
            apply->click();
        });
        QSignalSpy loaded(&w, &MainWindow::modelLoaded);
        w.sidecarActions()->load(path);
        QVERIFY(loaded.wait(60000));
        QVERIFY(driver.done());
        w.setInteractive(false);
        QVERIFY2(asked.contains(QStringLiteral("does not match")) &&
                     asked.contains(QStringLiteral("194 of its 214 entries name nodes of this model")),
                 qPrintable(asked));
        const ModelDocument* doc = w.document();
        QCOMPARE(doc->sidecarPath, QFileInfo(path).absoluteFilePath());
        QCOMPARE(doc->sidecarPartial,
                 "applied 194 of 214 entries of " + path + " (20 name nodes this model does not have)");
        const Assignment& a = doc->hierarchy.assignments[static_cast<std::size_t>(doc->graph->find(moved))];
        QCOMPARE(doc->hierarchy.modules[static_cast<std::size_t>(a.module)].scope,
                 std::string("encoder.layer.1"));
        QCOMPARE(int(a.source), int(Source::Manual));
    }

    // A sidecar found beside the model but written for another one: the label says it was not applied,
    // and its tooltip why, after the tensor types' message has replaced the status bar's note.
    void sidecarBesideForAnotherModelSaysWhyItWasNotApplied() {
        QTemporaryDir dir;
        const QString model = dir.filePath(QStringLiteral("m.onnx"));
        QVERIFY(QFile::copy(fixture("bert_like_op14.onnx"), model));
        QVERIFY(QFile::copy(fixture("bert_like_op17.hierarchy.json"),
                            dir.filePath(QStringLiteral("m.hierarchy.json"))));
        MainWindow w;
        w.setInteractive(false);
        QVERIFY(openAndSettle(w, model));
        QTRY_VERIFY_WITH_TIMEOUT(w.document()->analysis != nullptr, 60000);
        QVERIFY(w.document()->sidecarPath.isEmpty());
        QCOMPARE(sidecarLabel(w), QStringLiteral("Sidecar not applied"));
        const QString tip = w.findChild<QLabel*>(QStringLiteral("sidecarLabel"))->toolTip();
        QVERIFY2(tip.contains(QStringLiteral("m.hierarchy.json")) &&
                     tip.contains(QStringLiteral("do not exist in the model")),
                 qPrintable(tip));
    }

    void extractedModuleOpensWithItsClasses() {
        QTemporaryDir dir;
        const QString model = copySample(dir);
        MainWindow w;
        w.setInteractive(false);
        QVERIFY(openAndSettle(w, model));
        const QString out = dir.filePath(QStringLiteral("attention.onnx"));
        QSignalSpy finished(&w, &MainWindow::extractionFinished);
        QVERIFY(w.extractModule(QStringLiteral("encoder.layer.0.attention"), out));
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.takeFirst().at(1).toString(), QString());
        QVERIFY(QFile::exists(dir.filePath(QStringLiteral("attention.hierarchy.json"))));

        MainWindow opened;
        opened.setInteractive(false);
        QVERIFY(openAndSettle(opened, out));
        QVERIFY2(sidecarLabel(opened).contains(
                     QStringLiteral("attention.hierarchy.json (found beside the model)")),
                 qPrintable(sidecarLabel(opened)));
        const Hierarchy& h = opened.document()->hierarchy;
        const int attention = h.findModule("encoder.layer.0.attention"); // the scope is kept whole
        QVERIFY(attention > 0);
        QCOMPARE(h.modules[attention].className, std::string("BertAttention"));
        QCOMPARE(h.modules[0].className, std::string("BertModel"));
    }
};

QTEST_MAIN(TestSaving)
#include "test_saving.moc"
