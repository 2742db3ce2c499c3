// The command-line tool as a script would use it: JSON output, exit codes, one-line errors.
#include "cli_run.h"
#include "test_support.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

namespace {
using Run = hstest::CliRun;
using hstest::cli;

QString fixture(const char* name) {
    return hstest::fixturePath(name);
}
} // namespace

class TestCli : public QObject {
    Q_OBJECT
private slots:
    void infoJson() {
        Run r = cli({"info", fixture("bert_like_op17.onnx"), "--json"});
        QCOMPARE(r.code, 0);
        QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(j["nodes"].toInt(), 214);
        QCOMPARE(j["producer"].toString().left(7), QString("pytorch"));
        QCOMPARE(j["opsets"].toObject()["ai.onnx"].toInt(), 17);
        QVERIFY(j["weight_bytes"].toDouble() > 50000);
        QCOMPARE(j["assignments"].toObject()["nodes"].toInt(), 214);
        QCOMPARE(j["modules"].toInt(), 40); // root + 39 traced modules
    }

    void treeDepth() {
        Run r = cli({"tree", fixture("bert_like_op17.onnx"), "--depth", "1"});
        QCOMPARE(r.code, 0);
        QStringList lines = r.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 5); // where the tree comes from, root + embeddings, encoder, pooler
        QVERIFY(lines[0].startsWith("# module tree from TorchScript name scopes ("));
        QVERIFY(lines[3].trimmed().startsWith("encoder"));
        Run j = cli({"tree", fixture("bert_like_op17.onnx"), "--json"});
        QJsonObject root = QJsonDocument::fromJson(j.out.toUtf8()).object();
        QCOMPARE(root["children"].toArray().size(), 3);
    }

    void tagWritesASidecar() {
        QTemporaryDir dir;
        QString out = dir.filePath("t.json");
        Run r = cli({"tag", fixture("gpt_like.onnx"), "-o", out});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains("wrote"));
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QJsonObject j = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(j["format_version"].toString(), QString("1.1"));
        QVERIFY(j["model_digest"].toString().startsWith("sha256:"));
        QCOMPARE(j["node_hierarchy"].toObject().size(), 492);
        // Read back as evidence of the same model: accepted.
        QCOMPARE(cli({"info", fixture("gpt_like.onnx"), "--sidecar", out}).code, 0);
        // For another model: refused, exit 1, one line naming the file.
        Run wrong = cli({"info", fixture("bert_like_op17.onnx"), "--sidecar", out});
        QCOMPARE(wrong.code, 1);
        QVERIFY(wrong.err.contains("t.json") && wrong.err.contains("does not match"));
        QCOMPARE(wrong.err.trimmed().count('\n'), 0);
    }

    void errorsAndUsage() {
        QTemporaryDir dir;
        QString bad = dir.filePath("bad.onnx");
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("garbage that is not a model");
        f.close();
        Run r = cli({"info", bad});
        QCOMPARE(r.code, 1);
        QVERIFY(r.err.contains("bad.onnx"));
        QCOMPARE(cli({"frobnicate"}).code, 2);
        QCOMPARE(cli({"tree"}).code, 2);
        Run help = cli({"tag", "--help"});
        QCOMPARE(help.code, 0);
        QVERIFY(help.out.contains("--sidecar"));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
