// The benchmark's synthetic models: valid ONNX (the library's checker, external data included), read
// back as written, and hierarchy inference recovers the generator's truth: every node with a torch
// scope in its name lands exactly in that module, every unscoped helper (`Constant_41`,
// `onnx::Gather_58`) lands in its true module or one of its ancestors, never in a sibling.
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "model/model.h"
#include "model_writer.h"
#include "sidecar/sidecar.h"

#include <QTemporaryDir>
#include <QtTest>
#include <fstream>
#include <nlohmann/json.hpp>
#include <onnx/checker.h>

using namespace hs;

class TestBenchModels : public QObject {
    Q_OBJECT
private slots:
    void validAndReadBack_data();
    void validAndReadBack();
    void hierarchyMatchesTruth_data();
    void hierarchyMatchesTruth();
    void bigSidecarReadInTwoHalves();

private:
    QTemporaryDir dir_;
};

static hsbench::ModelSpec smallSpec(int layers, bool external, const QString& path) {
    hsbench::ModelSpec spec;
    spec.layers = layers;
    spec.hidden = 32;
    spec.ffn = 64;
    spec.heads = 4;
    spec.vocab = 100;
    spec.positions = 64;
    spec.external = external;
    spec.path = path.toStdString();
    return spec;
}

void TestBenchModels::validAndReadBack_data() {
    QTest::addColumn<int>("layers");
    QTest::addColumn<bool>("external");
    QTest::newRow("2 layers inline") << 2 << false;
    QTest::newRow("3 layers external data") << 3 << true;
    QTest::newRow("24 layers inline") << 24 << false;
}

void TestBenchModels::validAndReadBack() {
    QFETCH(int, layers);
    QFETCH(bool, external);
    QVERIFY(dir_.isValid());
    // External data goes beside the model: one folder per model.
    const QString folder = dir_.filePath(QStringLiteral("valid_%1_%2").arg(layers).arg(external));
    QVERIFY(QDir().mkpath(folder));
    const hsbench::ModelSpec spec = smallSpec(layers, external, folder + QStringLiteral("/model.onnx"));
    const hsbench::ModelStats stats = hsbench::writeModel(spec);
    QCOMPARE(stats.weightBytes, hsbench::weightBytesOf(spec));
    // About a quarter of the helpers carry no scope.
    const double unscoped =
        static_cast<double>(stats.unscopedHelpers) / static_cast<double>(stats.helperNodes);
    QVERIFY2(unscoped > 0.2 && unscoped < 0.3, qPrintable(QString::number(unscoped)));

    try {
        onnx::checker::check_model(spec.path); // resolves and checks external data too
    } catch (const std::exception& e) {
        QFAIL(e.what());
    }

    auto model = loadModel(spec.path);
    QCOMPARE(model->fileSize, stats.fileBytes);
    QCOMPARE(model->main().nodes.size(), stats.nodes);
    QCOMPARE(model->initializerCount(), stats.initializers);
    QCOMPARE(model->weightBytes(), stats.weightBytes);
    QCOMPARE(model->externalWeightBytes(), stats.externalBytes);
    QCOMPARE(external, stats.externalBytes > 0);
    QCOMPARE(model->opsets.size(), std::size_t{1});
    QCOMPARE(model->opsets[0].version, std::int64_t{17});
    QCOMPARE(model->main().nodes[40].name.empty(), false);
}

void TestBenchModels::hierarchyMatchesTruth_data() {
    QTest::addColumn<int>("layers");
    QTest::newRow("1 layer") << 1;
    QTest::newRow("4 layers") << 4;
    QTest::newRow("12 layers") << 12;
    // About 19k nodes: past 16k the loader and the index each use two threads.
    QTest::newRow("150 layers, on two threads") << 150;
}

static bool isAtomPrefix(const std::string& prefix, const std::string& scope) {
    return prefix.empty() || scope == prefix ||
           (scope.size() > prefix.size() && scope.compare(0, prefix.size(), prefix) == 0 &&
            scope[prefix.size()] == '.');
}

void TestBenchModels::hierarchyMatchesTruth() {
    QFETCH(int, layers);
    const QString base = dir_.filePath(QStringLiteral("truth_%1").arg(layers));
    hsbench::ModelSpec spec = smallSpec(layers, false, base + QStringLiteral(".onnx"));
    spec.truthPath = (base + QStringLiteral(".truth.json")).toStdString();
    hsbench::writeModel(spec);
    std::ifstream in(spec.truthPath);
    const nlohmann::json truth = nlohmann::json::parse(in)["nodes"];

    auto model = loadModel(spec.path);
    GraphIndex graph(model);
    const Hierarchy h = inferHierarchy(graph);
    QCOMPARE(truth.size(), graph.size());
    std::size_t scoped = 0, helpers = 0, helpersExact = 0;
    for (std::size_t i = 0; i < graph.size(); ++i) {
        const Node& node = graph.node(static_cast<int>(i));
        QVERIFY2(truth.contains(node.name), node.name.c_str());
        const std::string expected = truth[node.name].get<std::string>();
        const std::string& got = h.modules[static_cast<std::size_t>(h.assignments[i].module)].scope;
        if (!node.name.empty() && node.name[0] == '/') {
            ++scoped;
            QVERIFY2(got == expected,
                     qPrintable(QStringLiteral("%1: placed in '%2', named in '%3'")
                                    .arg(QString::fromStdString(node.name), QString::fromStdString(got),
                                         QString::fromStdString(expected))));
            QCOMPARE(h.assignments[i].level, Level::High);
        } else {
            ++helpers;
            if (got == expected) ++helpersExact;
            QVERIFY2(isAtomPrefix(got, expected),
                     qPrintable(QStringLiteral("%1: placed in '%2', belongs to '%3'")
                                    .arg(QString::fromStdString(node.name), QString::fromStdString(got),
                                         QString::fromStdString(expected))));
        }
    }
    QVERIFY(scoped > 0 && helpers > 0);
    qInfo("%d layers: %zu scoped nodes exact, %zu unscoped helpers without contamination (%zu exact)", layers,
          scoped, helpers, helpersExact);
}

// A sidecar of about 19k entries is scanned in two halves at once (past 16k entries): manual tags in
// both halves apply (named nodes elsewhere stay), and paths the module list does not give are voted on
// with the counts of both.
void TestBenchModels::bigSidecarReadInTwoHalves() {
    const QString base = dir_.filePath(QStringLiteral("halves"));
    const hsbench::ModelSpec spec = smallSpec(150, false, base + QStringLiteral(".onnx"));
    hsbench::writeModel(spec);
    auto model = loadModel(spec.path);
    GraphIndex graph(model);
    const Hierarchy h = inferHierarchy(graph);
    QVERIFY(graph.size() > 16384);
    auto scopeOf = [](const Hierarchy& in, std::size_t i) {
        return in.modules[static_cast<std::size_t>(in.assignments[i].module)].scope;
    };

    // One node of each half tagged by hand into the module of a node far from it.
    Sidecar tagged = makeSidecar(graph, h);
    QCOMPARE(tagged.entries.size(), graph.size());
    auto scopedFrom = [&](std::size_t i) { // a node whose name states its module
        while (graph.node(static_cast<int>(i)).name.rfind("/", 0) != 0)
            ++i;
        return i;
    };
    const std::size_t early = scopedFrom(1000), late = scopedFrom(graph.size() - 1000);
    const std::size_t moves[][2] = {{early, late}, {late, early}};
    for (const auto& move : moves) {
        SidecarEntry& e = tagged.entries[move[0]];
        QCOMPARE(e.key, graph.key(static_cast<int>(move[0])));
        const Module& target = h.modules[static_cast<std::size_t>(h.assignments[move[1]].module)];
        QVERIFY(h.assignments[move[0]].module != h.assignments[move[1]].module);
        e.source = sourceName(Source::Manual);
        e.level = levelName(Level::Certain);
        e.scope = target.scope;
        e.hasScope = true;
        e.path = target.path;
    }
    const Hierarchy fixed = inferHierarchy(graph, &tagged);
    for (std::size_t i = 0; i < graph.size(); ++i) {
        // Unscoped helpers next to a moved node may follow it: only named nodes must stay.
        if (graph.node(static_cast<int>(i)).name.rfind("/", 0) != 0) continue;
        const std::size_t from = i == early ? late : i == late ? early : i;
        QVERIFY2(scopeOf(fixed, i) == scopeOf(h, from),
                 qPrintable(QStringLiteral("%1 (%2): '%3', expected '%4'")
                                .arg(i)
                                .arg(QString::fromStdString(graph.key(static_cast<int>(i))),
                                     QString::fromStdString(scopeOf(fixed, i)),
                                     QString::fromStdString(scopeOf(h, from)))));
        if (from != i) QCOMPARE(fixed.assignments[i].source, Source::Manual);
    }

    // Without the module list, every path is voted on: each half's votes count.
    Sidecar pathsOnly = makeSidecar(graph, h);
    pathsOnly.modules.clear();
    const Hierarchy voted = inferHierarchy(graph, &pathsOnly);
    for (std::size_t i = 0; i < graph.size(); ++i)
        QCOMPARE(scopeOf(voted, i), scopeOf(h, i));
}

QTEST_GUILESS_MAIN(TestBenchModels)
#include "test_generated_models.moc"
