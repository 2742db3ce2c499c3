// The command-line tool as a script would use it: JSON output, exit codes, one-line errors.
#include "cli_run.h"
#include "test_support.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <map>

namespace {
using Run = hstest::CliRun;
using hstest::cli;

QString fixture(const char* name) {
    return hstest::fixturePath(name);
}

QJsonObject jsonFile(const QString& path) {
    QFile f(path);
    f.open(QIODevice::ReadOnly);
    return QJsonDocument::fromJson(f.readAll()).object();
}

QByteArray bytesOf(const QString& path) {
    QFile f(path);
    f.open(QIODevice::ReadOnly);
    return f.readAll();
}

// Classes named anywhere in a `tree --json` answer.
void collectClasses(const QJsonObject& module, QStringList& classes) {
    if (!module["class"].toString().isEmpty())
        classes << module["scope"].toString() + QLatin1Char('=') + module["class"].toString();
    for (const auto& child : module["children"].toArray())
        collectClasses(child.toObject(), classes);
}
} // namespace

class TestCli : public QObject {
    Q_OBJECT
private slots:
    // Issue 18: a vague node's suggested deeper module is listed by `info --json` and `tag --json`, with
    // the reason in words, and written to the sidecar; it always lies below the node's placement.
    void suggestionsAreListed() {
        QTemporaryDir dir;
        // The MultiheadAttention fixture with both output projections renamed: nothing in the file says
        // out_proj ran them, so they stay in `attn` and out_proj is suggested.
        const QString renamed = dir.filePath("mha_renamed.onnx");
        {
            QByteArray bytes = bytesOf(fixture("mha_blocks.onnx"));
            for (const char* name : {"/blocks.0/attn/Gemm", "/blocks.1/attn/Gemm"}) {
                const QByteArray from(name);
                const QByteArray to = QByteArray("renamed_") + from.at(8) + QByteArray(from.size() - 9, '_');
                QVERIFY(bytes.contains(from));
                bytes.replace(from, to);
            }
            QFile f(renamed);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(bytes);
        }
        Run info = cli({"info", renamed, "--json"});
        QCOMPARE(info.code, 0);
        const QJsonArray list = QJsonDocument::fromJson(info.out.toUtf8()).object()["suggestions"].toArray();
        QStringList outProj;
        for (const auto& v : list) {
            const QJsonObject s = v.toObject();
            const QString scope = s["scope"].toString(), suggested = s["suggested_scope"].toString();
            QVERIFY2(scope.isEmpty() || suggested.startsWith(scope + "."),
                     qPrintable(scope + " / " + suggested));
            QVERIFY(!s["reason"].toString().isEmpty());
            if (suggested.endsWith(".out_proj")) outProj << s["node"].toString() + " in " + scope;
        }
        QCOMPARE(outProj, QStringList({"renamed_0__________ in blocks.0.attn",
                                       "renamed_1__________ in blocks.1.attn"}));
        Run tag = cli({"tag", renamed, "-o", dir.filePath("out.json"), "--json"});
        QCOMPARE(tag.code, 0);
        QCOMPARE(QJsonDocument::fromJson(tag.out.toUtf8()).object()["suggestions"].toArray().size(),
                 list.size());
        const QString text = QString::fromUtf8(bytesOf(dir.filePath("out.json")));
        QCOMPARE(text.count("\"suggested_scope\""), list.size());
        QVERIFY(cli({"info", renamed})
                    .out.contains(QString("suggestions:  %1 vague nodes have").arg(list.size())));
    }

    void infoJson() {
        Run r = cli({"info", fixture("bert_like_op17.onnx"), "--json"});
        QCOMPARE(r.code, 0);
        QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(j["nodes"].toInt(), 214);
        QCOMPARE(j["producer"].toString().left(7), QString("pytorch"));
        QCOMPARE(j["opsets"].toObject()["ai.onnx"].toInt(), 17);
        QVERIFY(j["weight_bytes"].toDouble() > 50000);
        QCOMPARE(j["assignments"].toObject()["nodes"].toInt(), 214);
        // The exporter's sidecar beside the fixture is found: its modules include the 7 Dropouts, which
        // execute no ONNX node.
        QVERIFY2(r.err.contains("bert_like_op17.hierarchy.json (found beside the model, format 1.1)"),
                 qPrintable(r.err));
        QCOMPARE(j["modules"].toInt(), 47);
        // Alone, the names give the root + 39 traced modules.
        QTemporaryDir dir;
        QVERIFY(QFile::copy(fixture("bert_like_op17.onnx"), dir.filePath("alone.onnx")));
        Run alone = cli({"info", dir.filePath("alone.onnx"), "--json"});
        QCOMPARE(QJsonDocument::fromJson(alone.out.toUtf8()).object()["modules"].toInt(), 40);
        QVERIFY(alone.err.isEmpty());
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

    // Issue 20: `tag --accept-suggestions` writes each vague node in its suggested module (the core's
    // suggestedModule, as the GUI's Accept Suggested Module), marked source "suggestion", level "medium".
    // DistilBERT exported by torch 1.10: names gone, parameters kept, many nodes vague.
    void tagAcceptsSuggestions() {
        const std::string model = hstest::sharedModel("distilbert_tiny_torch1.10_optimum_test.onnx");
        QTemporaryDir dir;
        const QString plain = dir.filePath("plain.json"), taken = dir.filePath("taken.json");
        QCOMPARE(cli({"tag", QString::fromStdString(model), "-o", plain}).code, 0);
        Run r = cli({"tag", QString::fromStdString(model), "-o", taken, "--accept-suggestions", "--json"});
        QCOMPARE(r.code, 0);
        const int accepted = QJsonDocument::fromJson(r.out.toUtf8()).object()["suggestions_accepted"].toInt();
        hstest::Loaded l = hstest::load(model);
        std::map<std::string, std::string> expected; // key -> suggested scope
        for (std::size_t n = 0; n < l.hierarchy.assignments.size(); ++n)
            if (const int m = hs::suggestedModule(l.hierarchy, *l.graph, static_cast<int>(n)); m >= 0)
                expected[l.graph->key(static_cast<int>(n))] =
                    l.hierarchy.modules[static_cast<std::size_t>(m)].scope;
        QVERIFY(expected.size() > 10);
        QCOMPARE(accepted, int(expected.size()));
        const QJsonObject before = jsonFile(plain)["node_hierarchy"].toObject();
        const QJsonObject after = jsonFile(taken)["node_hierarchy"].toObject();
        int suggestions = 0;
        for (auto it = after.begin(); it != after.end(); ++it) {
            const QJsonObject e = it.value().toObject();
            QVERIFY(e["level"].toString() != "certain");
            QVERIFY(before[it.key()].toObject()["source"].toString() != "suggestion");
            if (e["source"].toString() != "suggestion") {
                QCOMPARE(e["scope"], before[it.key()].toObject()["scope"]); // the rest as without the option
                continue;
            }
            ++suggestions;
            QCOMPARE(e["level"].toString(), QString("medium"));
            QCOMPARE(e["scope"].toString().toStdString(), expected.at(it.key().toStdString()));
            QVERIFY(e["scope"] != before[it.key()].toObject()["scope"]); // deeper than before
        }
        QCOMPARE(suggestions, accepted);
        QCOMPARE(
            jsonFile(taken)["hierarchy_statistics"].toObject()["by_source"].toObject()["suggestion"].toInt(),
            accepted);
        // Only tag takes it.
        QCOMPARE(cli({"info", QString::fromStdString(model), "--accept-suggestions"}).code, 2);

        // The written sidecar read again (`tag --sidecar`, no option): every suggestion it took is taken
        // again, still marked as one (medium), not made certain and not dropped back to where inference
        // leaves the node.
        const QString again = dir.filePath("again.json");
        Run reread = cli({"tag", QString::fromStdString(model), "--sidecar", taken, "-o", again, "--json"});
        QCOMPARE(reread.code, 0);
        const QJsonObject rereadJson = QJsonDocument::fromJson(reread.out.toUtf8()).object();
        QCOMPARE(rereadJson["assignments"].toObject()["by_source"].toObject()["suggestion"].toInt(),
                 accepted);
        const QJsonObject third = jsonFile(again)["node_hierarchy"].toObject();
        QCOMPARE(third.size(), after.size());
        int retaken = 0;
        for (auto it = after.begin(); it != after.end(); ++it) {
            const QJsonObject was = it.value().toObject(), now = third[it.key()].toObject();
            QCOMPARE(now["scope"], was["scope"]);
            QCOMPARE(now["source"], was["source"]);
            QCOMPARE(now["level"], was["level"]);
            retaken += now["source"].toString() == "suggestion";
        }
        QCOMPARE(retaken, accepted);
        // info reads it the same way (load() serves info, tree and tag).
        Run info = cli({"info", QString::fromStdString(model), "--sidecar", taken, "--json"});
        QCOMPARE(info.code, 0);
        QVERIFY(info.out.contains("\"suggestion\": " + QString::number(accepted)));
    }

    // `tag --sidecar IN -o OUT`: every node IN spoke about keeps IN's claim in OUT.
    void tagKeepsTheClaimsOfTheSidecarItRead() {
        QTemporaryDir dir;
        const QString seedPath = fixture("bert_like_op17_seed_sidecar.json");
        const QString out = dir.filePath("out.json");
        Run r = cli({"tag", fixture("bert_like_op17.onnx"), "--sidecar", seedPath, "-o", out});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.err.contains("sidecar " + seedPath + " (given with --sidecar, format 1.0)"),
                 qPrintable(r.err));
        const QJsonObject seed = jsonFile(seedPath)["node_hierarchy"].toObject();
        const QJsonObject saved = jsonFile(out)["node_hierarchy"].toObject();
        QCOMPARE(saved.size(), seed.size());
        for (auto it = seed.begin(); it != seed.end(); ++it) {
            const QJsonObject e = saved[it.key()].toObject();
            QCOMPARE(e["sidecar_path"].toString(), it.value().toObject()["hierarchy_path"].toString());
            QVERIFY2(e.contains("sidecar_scope"), qPrintable(it.key()));
        }
        const QJsonObject constant = saved["Constant_41"].toObject();
        QCOMPARE(constant["sidecar_path"].toString(), QString("/BertModel"));
        QCOMPARE(constant["sidecar_scope"].toString(), QString(""));
        QCOMPARE(constant["sidecar_source"].toString(), QString("exporter_fallback"));
        QCOMPARE(constant["sidecar_used"].toBool(true), false);
        QCOMPARE(QFileInfo(out).permissions() & QFileDevice::ReadOther, QFileDevice::ReadOther);
    }

    // The CLI finds the sidecar beside the model by the GUI's rule and says which; another tool's file
    // is never replaced in place.
    void sidecarBesideTheModel() {
        QTemporaryDir dir;
        const QString model = dir.filePath("bert.onnx");
        QVERIFY(QFile::copy(fixture("bert_like_op17.onnx"), model));
        QVERIFY(
            QFile::copy(fixture("bert_like_op17_seed_sidecar.json"), dir.filePath("bert_seed_sidecar.json")));
        Run info = cli({"info", model});
        QCOMPARE(info.code, 0);
        QVERIFY2(info.err.contains("bert_seed_sidecar.json (found beside the model, format 1.0)"),
                 qPrintable(info.err));
        Run tag = cli({"tag", model});
        QCOMPARE(tag.code, 0);
        QVERIFY(jsonFile(dir.filePath("bert.hierarchy.json"))["node_hierarchy"]
                    .toObject()["Constant_41"]
                    .toObject()
                    .contains("sidecar_path"));
        // Now ours comes first; a foreign file under our name is refused, unchanged.
        QVERIFY(
            cli({"info", model}).err.contains("bert.hierarchy.json (found beside the model, format 1.1)"));
        QFile::remove(dir.filePath("bert.hierarchy.json"));
        QVERIFY(QFile::copy(fixture("bert_like_op17.hierarchy.json"), dir.filePath("bert.hierarchy.json")));
        const QByteArray before = bytesOf(dir.filePath("bert.hierarchy.json"));
        Run refused = cli({"tag", model});
        QCOMPARE(refused.code, 1);
        QVERIFY2(refused.err.contains("not replaced"), qPrintable(refused.err));
        QCOMPARE(bytesOf(dir.filePath("bert.hierarchy.json")), before);
    }

    // Extraction writes the module hierarchy beside the result; opening the result finds it.
    void extractionKeepsTheHierarchy() {
        QTemporaryDir dir;
        const QString out = dir.filePath("attention.onnx");
        Run r = cli({"extract", fixture("bert_like_op17.onnx"), "--module", "encoder.layer.0.attention", "-o",
                     out, "--json"});
        QCOMPARE(r.code, 0);
        QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).object()["sidecar"].toString(),
                 dir.filePath("attention.hierarchy.json"));
        Run tree = cli({"tree", out, "--json"});
        QCOMPARE(tree.code, 0);
        QVERIFY2(tree.err.contains("attention.hierarchy.json (found beside the model"), qPrintable(tree.err));
        QStringList classes;
        collectClasses(QJsonDocument::fromJson(tree.out.toUtf8()).object(), classes);
        QVERIFY2(classes.contains("encoder.layer.0.attention=BertAttention") &&
                     classes.contains("encoder.layer.0.attention.self=BertSelfAttention") &&
                     classes.contains("=BertModel"),
                 qPrintable(classes.join(", ")));
    }

    // Issue 12: a node name with a 0xFF byte can be tagged, and the sidecar applies again.
    void tagsAModelWithInvalidUtf8Names() {
        QTemporaryDir dir;
        QByteArray bytes = bytesOf(fixture("gpt_like.onnx"));
        const Run keys = cli({"tag", fixture("gpt_like.onnx"), "-o", dir.filePath("plain.json")});
        QCOMPARE(keys.code, 0);
        // The first node name field (NodeProto.name, tag 0x1a) gets a 0xFF byte, same length.
        const QJsonObject nodes = jsonFile(dir.filePath("plain.json"))["node_hierarchy"].toObject();
        QByteArray name;
        for (auto it = nodes.begin(); it != nodes.end() && name.isEmpty(); ++it)
            if (it.key().size() > 4 && it.key().size() < 120 && !it.key().startsWith('#'))
                name = it.key().toUtf8();
        const QByteArray field = QByteArray("\x1a") + char(name.size()) + name;
        const int at = bytes.indexOf(field);
        QVERIFY2(at >= 0, name.constData());
        bytes[at + 3] = char(0xFF);
        const QString model = dir.filePath("bad.onnx");
        QFile f(model);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(bytes);
        f.close();
        Run tag = cli({"tag", model});
        QVERIFY2(tag.code == 0, qPrintable(tag.err));
        const QByteArray written = bytesOf(dir.filePath("bad.hierarchy.json"));
        QVERIFY(written.contains("\\\\xFF"));
        Run again = cli({"info", model});
        QVERIFY2(again.code == 0 && again.err.contains("found beside the model"), qPrintable(again.err));
    }

    // Issue 12: a sidecar the JSON reader cannot take names the sidecar, not the model.
    void badSidecarIsNamed() {
        QTemporaryDir dir;
        QByteArray text = bytesOf(fixture("bert_like_op17.hierarchy.json"));
        text.replace(text.indexOf("0.9"), 3, "1e400");
        const QString bad = dir.filePath("overflow.json");
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(text);
        f.close();
        Run r = cli({"info", fixture("bert_like_op17.onnx"), "--sidecar", bad});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.startsWith("hierscope-cli: " + bad + ": ") && r.err.contains("number out of range"),
                 qPrintable(r.err));
        QVERIFY2(!r.err.contains("json.exception") && !r.err.contains("bert_like_op17.onnx"),
                 qPrintable(r.err));
    }

    // Issue 22: `tree` names each module by its full scope, with its parameters, and `extract --module`
    // takes every name `tree` prints, a path, or a last part only one module has; a typo gets close matches.
    void treeAndExtractAgree() {
        Run tree = cli({"tree", fixture("cnn_resnet.onnx")});
        QCOMPARE(tree.code, 0);
        QVERIFY2(tree.out.contains("\n    layer2.0  [1/6 nodes, 229,376 parameters, lowest high]\n"),
                 qPrintable(tree.out));
        QVERIFY2(tree.out.contains("\n  conv1  [1/1 node, 9,408 parameters, lowest high]\n"),
                 qPrintable(tree.out));
        QVERIFY(tree.out.contains("(root)  [5/21 nodes, 313,994 parameters"));
        QTemporaryDir dir;
        const QString out = dir.filePath("m.onnx");
        int printed = 0;
        for (const QString& line : tree.out.split('\n')) {
            const QString name = line.trimmed().section("  [", 0, 0).section(" : ", 0, 0);
            if (line.startsWith('#') || name.isEmpty() || name == "(root)") continue;
            Run r = cli({"extract", fixture("cnn_resnet.onnx"), "--module", name, "-o", out, "--json"});
            QVERIFY2(r.code == 0, qPrintable(name + ": " + r.err));
            QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).object()["module"].toString(), name);
            ++printed;
        }
        QCOMPARE(printed, 17); // 18 modules with the root
        auto moduleOf = [&](const QString& named) {
            Run r = cli({"extract", fixture("cnn_resnet.onnx"), "--module", named, "-o", out, "--json"});
            return r.code == 0 ? QJsonDocument::fromJson(r.out.toUtf8()).object()["module"].toString()
                               : "error: " + r.err.trimmed();
        };
        QCOMPARE(moduleOf("/layer2/0"), QString("layer2.0"));
        QCOMPARE(moduleOf("(root)"), QString("")); // the root, as tree prints it
        QCOMPARE(moduleOf("downsample"), QString("layer2.0.downsample"));
        QCOMPARE(moduleOf("downsample.0"), QString("layer2.0.downsample.0"));
        QCOMPARE(moduleOf("layr1"), "error: hierscope-cli: " + fixture("cnn_resnet.onnx") +
                                        ": unknown module 'layr1'; did you mean 'layer1' or 'layer2'?");
        QCOMPARE(moduleOf("0"), "error: hierscope-cli: " + fixture("cnn_resnet.onnx") +
                                    ": '0' names 3 modules: 'layer1.0', 'layer2.0', 'layer2.0.downsample.0'; "
                                    "give the full scope");
        Run shortNames = cli({"tree", fixture("cnn_resnet.onnx"), "--short"});
        QVERIFY(shortNames.out.contains("\n    0  [1/6 nodes, 229,376 parameters"));
    }

    // Issue 22: `tag` without -o says it wrote beside the model, and where.
    void tagSaysWhereItWrote() {
        QTemporaryDir dir;
        const QString model = dir.filePath("net.onnx");
        QVERIFY(QFile::copy(fixture("cnn_resnet.onnx"), model));
        Run r = cli({"tag", model});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.startsWith("wrote " + dir.filePath("net.hierarchy.json") + " (beside the model"),
                 qPrintable(r.out));
        QVERIFY2(r.out.contains("\n18 modules; 21 nodes:"), qPrintable(r.out));
        Run chosen = cli({"tag", model, "-o", dir.filePath("other.json")});
        QVERIFY2(chosen.out.startsWith("wrote " + dir.filePath("other.json") + "\n"), qPrintable(chosen.out));
    }

    // Issue 22: a file that is not an ONNX model is named as what it looks like.
    void notAnOnnxModelSaysWhatItIs() {
        QTemporaryDir dir;
        auto write = [&](const char* name, const QByteArray& bytes) {
            QFile f(dir.filePath(name));
            f.open(QIODevice::WriteOnly);
            f.write(bytes);
            return dir.filePath(name);
        };
        QByteArray png = bytesOf(QStringLiteral(HS_FIXTURES "/../../docs/screenshot.png"));
        QVERIFY(png.startsWith("\x89PNG"));
        const QString zip =
            write("zip.onnx", QByteArray("PK\x03\x04\x14\x00\x00\x00", 8) + QByteArray(64, 'x'));
        const struct {
            QString path;
            const char* looks;
        } cases[] = {{write("png.onnx", png), "a PNG image"},
                     {zip, "a ZIP archive"},
                     {write("text.onnx", "not a model, just words\n"), "text"},
                     {write("json.onnx", "{\"node_hierarchy\": {}}\n"), "JSON text"}};
        for (const auto& c : cases) {
            Run r = cli({"info", c.path});
            QCOMPARE(r.code, 1);
            QVERIFY2(r.err.startsWith("hierscope-cli: " + c.path + ": not an ONNX model: it looks like " +
                                      c.looks),
                     qPrintable(r.err));
        }
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
