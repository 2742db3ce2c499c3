// Sidecars: every supported form reads, ours round-trips exactly, saves are atomic, and a sidecar
// written for another model is refused with counts and examples.
#include "error.h"
#include "test_support.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace hs;
using hstest::fixture;
using hstest::Loaded;

namespace {
bool sameAssignments(const Loaded& a, const Loaded& b, QString& why) {
    for (std::size_t i = 0; i < a.hierarchy.assignments.size(); ++i) {
        const auto& x = a.hierarchy.assignments[i];
        const auto& y = b.hierarchy.assignments[i];
        if (a.scopeOf(static_cast<int>(i)) != b.scopeOf(static_cast<int>(i)) || x.level != y.level ||
            x.source != y.source || x.conflict != y.conflict || x.score != y.score) {
            why = QString::fromStdString(a.graph->key(static_cast<int>(i)) + ": " +
                                         a.scopeOf(static_cast<int>(i)) + " " + levelName(x.level) + " vs " +
                                         b.scopeOf(static_cast<int>(i)) + " " + levelName(y.level));
            return false;
        }
    }
    return true;
}
} // namespace

class TestSidecar : public QObject {
    Q_OBJECT
private slots:
    void readsEveryForm() {
        Sidecar ours = readSidecar(fixture("bert_like_op17.hierarchy.json"));
        QCOMPARE(ours.format, std::string("1.1"));
        QCOMPARE(ours.entries.size(), std::size_t(214));
        QVERIFY(ours.entries[0].hasScope);
        Sidecar seed = readSidecar(fixture("bert_like_op17_seed_sidecar.json"));
        QCOMPARE(seed.format, std::string("1.0"));
        QCOMPARE(seed.entries.size(), std::size_t(214));
        QVERIFY(!seed.entries[0].path.empty());
        Sidecar htp = readSidecar(fixture("bert_like_op17_htp_sidecar.json"));
        QCOMPARE(htp.format, std::string("htp"));
        QVERIFY(htp.entries.size() > 150);
        QVERIFY(htp.modules.size() > 20);
        // Each form, applied, gives the classes of the BERT modules and agrees with the names.
        Loaded plain = hstest::load(fixture("bert_like_op17.onnx"));
        for (const Sidecar* s : {&ours, &seed, &htp}) {
            QVERIFY(checkSidecar(*plain.graph, *s).applicable);
            Loaded l = hstest::analyse(plain.model, s);
            int m = l.hierarchy.findModule("encoder.layer.0.attention.self");
            QVERIFY(m > 0);
            QCOMPARE(l.hierarchy.modules[static_cast<std::size_t>(m)].className,
                     std::string("BertSelfAttention"));
            QCOMPARE(l.hierarchy.statistics().conflicts, std::size_t(0));
            QCOMPARE(l.scopeOf(l.node("/encoder/layer.0/attention/output/Add")),
                     std::string("encoder.layer.0.attention.output"));
        }
    }

    void tagWriteReadBackIsIdentical() {
        QTemporaryDir dir;
        Sidecar seed = readSidecar(fixture("bert_like_op17_seed_sidecar.json"));
        Loaded first = hstest::load(fixture("bert_like_op17.onnx"), &seed);
        // A manual edit must survive too.
        int node = first.node("Constant_41");
        first.hierarchy.assignManually(node, first.hierarchy.findModule("encoder.layer.0.attention"));
        first.hierarchy.refreshModuleSummaries();
        std::string path = dir.filePath("bert.hierarchy.json").toStdString();
        writeSidecar(path, makeSidecar(*first.graph, first.hierarchy));
        Sidecar back = readSidecar(path);
        QVERIFY(checkSidecar(*first.graph, back).applicable);
        Loaded second = hstest::analyse(first.model, &back);
        QString why;
        QVERIFY2(sameAssignments(first, second, why), qPrintable(why));
        QCOMPARE(second.hierarchy.assignments[static_cast<std::size_t>(node)].source, Source::Manual);
        QCOMPARE(second.hierarchy.assignments[static_cast<std::size_t>(node)].level, Level::Certain);
        QCOMPARE(
            second.hierarchy.modules[static_cast<std::size_t>(second.hierarchy.findModule("encoder.layer.0"))]
                .className,
            std::string("BertLayer"));
    }

    void sidecarForAnotherModelIsRefused() {
        Loaded gpt = hstest::load(fixture("gpt_like.onnx"));
        Sidecar bert = readSidecar(fixture("bert_like_op17.hierarchy.json"));
        SidecarCheck check = checkSidecar(*gpt.graph, bert);
        QVERIFY(!check.applicable);
        QVERIFY(check.unknownKeys > 100);
        QString msg = QString::fromStdString(check.message);
        QVERIFY2(msg.contains("bert_like_op17.hierarchy.json") && msg.contains("do not exist") &&
                     msg.contains("e.g. '"),
                 qPrintable(msg));
        // Same keys, other structure: the digest tells.
        QTemporaryDir dir;
        Loaded bert17 = hstest::load(fixture("bert_like_op17.onnx"));
        Sidecar ours = makeSidecar(*bert17.graph, bert17.hierarchy);
        ours.modelDigest = "sha256:0000";
        QVERIFY(checkSidecar(*bert17.graph, ours).digestMismatch);
        QVERIFY(!checkSidecar(*bert17.graph, ours).applicable);
        QVERIFY(checkSidecar(*bert17.graph, makeSidecar(*bert17.graph, bert17.hierarchy)).applicable);
    }

    void failedSaveKeepsTheOldFile() {
        QTemporaryDir dir;
        Loaded l = hstest::load(fixture("twice.onnx"));
        Sidecar s = makeSidecar(*l.graph, l.hierarchy);
        // The target is a directory: the rename fails after the temporary file was written.
        std::string target = dir.filePath("taken").toStdString();
        QDir().mkdir(QString::fromStdString(target));
        QVERIFY_THROWS_EXCEPTION(Error, writeSidecar(target, s));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(),
                 0); // no temporary left behind
        std::string good = dir.filePath("good.json").toStdString();
        writeSidecar(good, s);
        std::ifstream before(good);
        std::string old((std::istreambuf_iterator<char>(before)), std::istreambuf_iterator<char>());
        QVERIFY_THROWS_EXCEPTION(Error, writeSidecar(dir.filePath("missing/dir/x.json").toStdString(), s));
        std::ifstream after(good);
        QCOMPARE(std::string((std::istreambuf_iterator<char>(after)), std::istreambuf_iterator<char>()), old);
    }

    void badSidecarsGiveClearErrors() {
        QTemporaryDir dir;
        std::string notJson = dir.filePath("x.json").toStdString();
        std::ofstream(notJson) << "{ not json";
        try {
            readSidecar(notJson);
            QFAIL("no error");
        } catch (const Error& e) {
            QVERIFY(QString(e.what()).contains("x.json") && QString(e.what()).contains("not a valid JSON"));
        }
        std::string other = dir.filePath("y.json").toStdString();
        std::ofstream(other) << "{\"hello\": 1}";
        QVERIFY_THROWS_EXCEPTION(Error, readSidecar(other));
    }
};

QTEST_APPLESS_MAIN(TestSidecar)
#include "test_sidecar.moc"
