// Hierarchy inference on real torch exports: exact modules for scoped nodes, safe inference for
// nodes whose names were hidden, conflicts instead of silent choices, functions and repeated calls.
#include "common/error.h"
#include "extract/extract.h"
#include "hierarchy/scope_names.h"
#include "test_support.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <tuple>

using namespace hs;
using hstest::fixture;
using hstest::Loaded;
using hstest::sharedModel;

namespace {

// The scope a torch node name states, by the rules tested in test_scope_names.
std::optional<std::string> statedScope(const Loaded& l, int node) {
    auto segments = torchNameSegments(l.graph->node(node).name);
    if (!segments) return std::nullopt;
    auto steps =
        qualifyTorchSegments(*segments, [&](const std::string& s) { return l.hierarchy.findModule(s) >= 0; });
    return steps.empty() ? std::string() : steps.back().scope;
}

struct HiddenNameResult {
    std::size_t renamed = 0, eligible = 0, exact = 0, wrong = 0, nonExactHigh = 0, keptWrong = 0;
    std::size_t wrongHigh = 0; // outside the true module's ancestors, and high
    QStringList examples;
    QStringList vague; // eligible but not exact
};

// Renames 30% of the nodes and every Constant to "Op_<n>" and compares inference with the truth
// taken from the original names.
HiddenNameResult hideNames(const std::string& path, unsigned seed) {
    Loaded truth = hstest::load(path);
    const auto& nodes = truth.model->main().nodes;
    std::mt19937 rng(seed);
    std::vector<int> renamed;
    std::vector<bool> isRenamed(nodes.size(), false);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (nodes[i].opType == "Constant" || rng() % 100 < 30) {
            renamed.push_back(static_cast<int>(i));
            isRenamed[i] = true;
        }
    }
    Loaded hidden = hstest::analyse(hstest::withRenamedNodes(*truth.model, renamed));
    // Modules that still have a named node after renaming.
    std::set<std::string> stillNamed, firstCallNamed;
    for (std::size_t i = 0; i < nodes.size(); ++i)
        if (!isRenamed[i] && truth.hierarchy.assignments[i].source == Source::NameScope) {
            stillNamed.insert(truth.scopeOf(static_cast<int>(i)));
            auto literal = qualifyTorchSegments(*torchNameSegments(nodes[i].name), nullptr);
            if (!literal.empty() && literal.back().scope == truth.scopeOf(static_cast<int>(i)))
                firstCallNamed.insert(literal.back().scope);
        }
    HiddenNameResult r;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const Assignment& t = truth.hierarchy.assignments[i];
        if (t.source != Source::NameScope) continue; // no ground truth for nodes torch left unscoped
        const std::string& trueScope = truth.scopeOf(static_cast<int>(i));
        const std::string& got = hidden.scopeOf(static_cast<int>(i));
        bool exact = got == trueScope;
        if (!isRenamed[i]) {
            // A kept "relu_1" reads as a second call only while some first call still names "relu".
            if (!exact && (firstCallNamed.count(trueScope) || trueScope.empty())) ++r.keptWrong;
            continue;
        }
        ++r.renamed;
        // Judged in the true tree: the module given must be the true one or one of its ancestors.
        int gotInTruth = truth.hierarchy.findModule(got);
        bool safe = gotInTruth >= 0 &&
                    truth.hierarchy.isAncestorOrSelf(gotInTruth, truth.hierarchy.assignments[i].module);
        if (!safe) {
            ++r.wrong;
            if (hidden.hierarchy.assignments[i].level <= Level::High) ++r.wrongHigh;
            r.examples << QString::fromStdString(
                nodes[i].name + " -> " + got + " [" +
                hidden.hierarchy.explain(*hidden.graph, static_cast<int>(i)) + "]");
        }
        if (!exact && hidden.hierarchy.assignments[i].level <= Level::High) ++r.nonExactHigh;
        if (stillNamed.count(trueScope)) {
            ++r.eligible;
            if (exact)
                ++r.exact;
            else
                r.vague << QString::fromStdString(
                    nodes[i].name + " -> " + (got.empty() ? "(root)" : got) + " [" +
                    hidden.hierarchy.explain(*hidden.graph, static_cast<int>(i)) + "]");
        }
    }
    return r;
}

// A copy of the model as torch <= 1.12 wrote it: every node named "<OpType>_<index>", parameter names
// kept.
std::shared_ptr<const Model> withOldTorchNames(const Model& model) {
    auto copy = std::make_shared<Model>(model);
    auto& nodes = copy->graphs[0].nodes;
    for (std::size_t i = 0; i < nodes.size(); ++i)
        nodes[i].name = nodes[i].opType + "_" + std::to_string(i);
    return copy;
}

struct OldNamesResult {
    std::size_t eligible = 0, exact = 0, wrong = 0, wrongHigh = 0;
    std::size_t suggested = 0, suggestedFirst = 0; // not exact, the true module among deeperCandidates
    std::size_t suggestionIsTrue = 0;              // not exact, the stored suggestion is the true module
    // After every suggestion is taken at once ("Accept Suggestions" on the root): nodes with a truth at
    // their true module, and nodes moved outside their true module's ancestors.
    std::size_t withTruth = 0, exactBeforeAccepting = 0, exactAfterAccepting = 0, wrongAfterAccepting = 0;
    QStringList examples, vague;
};

// Every node of a scoped export renamed as torch <= 1.12 did; the true module of each node is what its
// scope name said. Counted: nodes whose true module (or one below it) owns a parameter, since parameter
// names are all an older export keeps. Judged by scope: the module given must be the true one or an
// ancestor of it (the parameter tree also has list containers, "encoder.layer", that names skip).
OldNamesResult withOldNames(const std::string& path) {
    Loaded truth = hstest::load(path);
    Loaded old = hstest::analyse(withOldTorchNames(*truth.model));
    std::set<std::string> owners; // scopes named by a parameter
    for (std::size_t t = 0; t < truth.graph->tensorCount(); ++t) {
        const TensorEntry& te = truth.graph->tensor(static_cast<int>(t));
        auto dot = te.name.rfind('.');
        if ((te.initializer || te.producer >= 0) && dot != std::string::npos &&
            te.name.find("::") == std::string::npos && te.name.find('/') == std::string::npos)
            owners.emplace(te.name.substr(0, dot));
    }
    OldNamesResult r;
    const auto& nodes = truth.model->main().nodes;
    Hierarchy accepted = old.hierarchy;
    acceptSuggestions(accepted, *old.graph);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (truth.hierarchy.assignments[i].source != Source::NameScope) continue; // no ground truth
        const std::string& afterScope =
            accepted.modules[static_cast<std::size_t>(accepted.assignments[i].module)].scope;
        ++r.withTruth;
        r.exactBeforeAccepting += old.scopeOf(static_cast<int>(i)) == truth.scopeOf(static_cast<int>(i));
        r.exactAfterAccepting += afterScope == truth.scopeOf(static_cast<int>(i));
        if (!isAtomPrefix(afterScope, truth.scopeOf(static_cast<int>(i)))) {
            ++r.wrongAfterAccepting;
            if (std::getenv("HSTEST_SHOW_ACCEPTED"))
                qInfo("accepted wrongly: %s -> %s (was %s)", nodes[i].name.c_str(), afterScope.c_str(),
                      old.scopeOf(static_cast<int>(i)).c_str());
        }
        const std::string& trueScope = truth.scopeOf(static_cast<int>(i));
        const std::string& got = old.scopeOf(static_cast<int>(i));
        const Assignment& a = old.hierarchy.assignments[i];
        if (!isAtomPrefix(got, trueScope)) {
            ++r.wrong;
            if (a.level <= Level::High) ++r.wrongHigh;
            r.examples << QString::fromStdString(nodes[i].name + " -> " + got + " [" +
                                                 old.hierarchy.explain(*old.graph, static_cast<int>(i)) +
                                                 "]");
        }
        const bool eligible = std::any_of(owners.begin(), owners.end(),
                                          [&](const std::string& o) { return isAtomPrefix(trueScope, o); });
        if (!eligible) continue;
        ++r.eligible;
        if (got == trueScope) {
            ++r.exact;
            continue;
        }
        r.vague << QString::fromStdString(
            nodes[i].name + " -> " + (got.empty() ? "(root)" : got) + " (suggested " +
            (a.suggestion.module >= 0
                 ? old.hierarchy.modules[static_cast<std::size_t>(a.suggestion.module)].scope
                 : std::string("nothing")) +
            ", true " + (trueScope.empty() ? "(root)" : trueScope) + ", why " +
            std::to_string(static_cast<int>(a.suggestion.why)) + ")");
        if (a.suggestion.module >= 0 &&
            old.hierarchy.modules[static_cast<std::size_t>(a.suggestion.module)].scope == trueScope)
            ++r.suggestionIsTrue;
        const std::vector<int> deeper = old.hierarchy.deeperCandidates(*old.graph, static_cast<int>(i));
        for (std::size_t k = 0; k < deeper.size(); ++k)
            if (old.hierarchy.modules[static_cast<std::size_t>(deeper[k])].scope == trueScope) {
                ++r.suggested;
                if (k == 0) ++r.suggestedFirst;
            }
    }
    return r;
}

// withOldTorchNames, and every computed tensor that is not a graph output renamed to a number, as
// torch <= 1.12 named them: nothing of the module structure is left in any name but the parameters'.
std::shared_ptr<const Model> withOldTorchNamesEverywhere(const Model& model) {
    auto copy = std::const_pointer_cast<Model>(withOldTorchNames(model));
    auto& graph = copy->graphs[0];
    std::set<std::string> kept;
    for (const auto& o : graph.outputs)
        kept.insert(o.name);
    std::map<std::string, std::string> renamed;
    std::vector<std::string_view> names; // a node's list, renamed, then stored in the model's names
    auto rename = [&](NameList& list, bool outputs) {
        names.assign(list.begin(), list.end());
        for (auto& name : names) {
            const std::string old(name);
            if (outputs && !kept.count(old))
                name = renamed.emplace(old, std::to_string(renamed.size())).first->second;
            else if (auto it = renamed.find(old); !outputs && it != renamed.end())
                name = it->second;
        }
        list = copy->names->list(names.data(), names.size());
    };
    for (auto& node : graph.nodes)
        rename(node.outputs, true);
    for (auto& node : graph.nodes)
        rename(node.inputs, false);
    return copy;
}

// Whether inference said the file's node order is not torch's trace order (and left it unread).
bool notedAsReordered(const Loaded& l) {
    return std::any_of(l.hierarchy.notes.begin(), l.hierarchy.notes.end(), [](const std::string& n) {
        return n.find("not the order PyTorch traced") != std::string::npos;
    });
}

nlohmann::json readJson(const std::string& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

} // namespace

class TestHierarchy : public QObject {
    Q_OBJECT
private slots:
    void scopedNodesAreExact_data() {
        QTest::addColumn<QString>("file");
        for (const char* f :
             {"bert_like_op17.onnx", "bert_like_op14.onnx", "gpt_like.onnx", "cnn_torchvision.onnx",
              "cnn_mobilenet_v3.onnx", "cnn_resnet.onnx", "twice.onnx"})
            QTest::newRow(f) << QString(hstest::fixture(f).c_str());
        for (const char* f :
             {"fastestdet_torch2.0.onnx", "openwakeword_hey_rhasspy_torch1.13_sequential.onnx",
              "genai_builder_tiny_llama_fp16_extdata/model.onnx"})
            QTest::newRow(f) << QString(sharedModel(f).c_str());
    }
    void scopedNodesAreExact() {
        QFETCH(QString, file);
        HSTEST_SKIP_IF_ABSENT(file.toStdString());
        Loaded l = hstest::load(file.toStdString());
        std::size_t scoped = 0;
        for (std::size_t i = 0; i < l.graph->mainCount(); ++i) {
            auto stated = statedScope(l, static_cast<int>(i));
            if (!stated) continue;
            ++scoped;
            const Assignment& a = l.hierarchy.assignments[i];
            QCOMPARE(l.scopeOf(static_cast<int>(i)), *stated);
            QCOMPARE(a.level, Level::High);
            QCOMPARE(a.source, Source::NameScope);
        }
        QVERIFY(scoped > 0);
    }

    void knownModulesOfRealExports() {
        Loaded bert = hstest::load(fixture("bert_like_op17.onnx"));
        QCOMPARE(bert.scopeOf(bert.node("/encoder/layer.0/attention/output/Add")),
                 std::string("encoder.layer.0.attention.output"));
        QCOMPARE(bert.scopeOf(bert.node("/encoder/layer.1/attention/output/Add")),
                 std::string("encoder.layer.1.attention.output"));
        QCOMPARE(bert.scopeOf(bert.node("/Mul")), std::string(""));
        // Torch left the Unsqueeze constants unscoped: inferred from their consumer, medium.
        int constant = bert.node("Constant_41");
        QCOMPARE(bert.scopeOf(constant), std::string("encoder.layer.0.attention.self"));
        QCOMPARE(bert.hierarchy.assignments[static_cast<std::size_t>(constant)].level, Level::Medium);
        QVERIFY(!bert.hierarchy.explain(*bert.graph, constant).empty());
        // Top level: exactly the model's top modules, in graph order.
        std::vector<std::string> top;
        for (int c : bert.hierarchy.modules[0].children)
            top.push_back(bert.hierarchy.modules[static_cast<std::size_t>(c)].scope);
        QCOMPARE(top, (std::vector<std::string>{"embeddings", "encoder", "pooler"}));
        int layer0 = bert.hierarchy.findModule("encoder.layer.0");
        QCOMPARE(bert.hierarchy.modules[static_cast<std::size_t>(layer0)].parent,
                 bert.hierarchy.findModule("encoder"));
        QCOMPARE(bert.hierarchy.modules[static_cast<std::size_t>(layer0)].path,
                 std::string("/encoder/layer.0"));

        Loaded cnn = hstest::load(fixture("cnn_torchvision.onnx"));
        int conv = cnn.node("/features/features.1/features.1.0/block/block.0/block.0.0/Conv");
        QCOMPARE(cnn.scopeOf(conv), std::string("features.1.0.block.0.0"));
        int block = cnn.hierarchy.findModule("features.1.0.block.0");
        QCOMPARE(cnn.hierarchy.modules[static_cast<std::size_t>(block)].parent,
                 cnn.hierarchy.findModule("features.1.0.block"));
        Loaded resnet = hstest::load(fixture("cnn_resnet.onnx"));
        QCOMPARE(resnet.scopeOf(resnet.node("/layer1/layer1.0/conv1/Conv")), std::string("layer1.0.conv1"));
        QCOMPARE(resnet.scopeOf(resnet.node("/layer1/layer1.0/relu_1/Relu")), std::string("layer1.0.relu"));
    }

    // The exporter's sidecar (written from torch's own module list) agrees with the names.
    void agreesWithTheExportersSidecar() {
        Loaded bert = hstest::load(fixture("bert_like_op17.onnx"));
        auto doc = readJson(fixture("bert_like_op17.hierarchy.json"));
        std::size_t compared = 0;
        for (auto it = doc["node_hierarchy"].begin(); it != doc["node_hierarchy"].end(); ++it) {
            if (it.value()["level"] != "high") continue;
            int node = bert.node(it.key());
            QVERIFY(node >= 0);
            QCOMPARE(bert.scopeOf(node), it.value()["scope"].get<std::string>());
            ++compared;
        }
        QVERIFY(compared > 150);
    }

    void calledTwiceIsOneModule() {
        Loaded l = hstest::load(fixture("twice.onnx"));
        QCOMPARE(l.scopeOf(l.node("/block/block.0_1/Gemm")), std::string("block.0"));
        QCOMPARE(l.scopeOf(l.node("/block/block.1_1/Relu")), std::string("block.1"));
        QCOMPARE(l.scopeOf(l.node("/Relu")), std::string(""));
        int block0 = l.hierarchy.findModule("block.0");
        QCOMPARE(l.hierarchy.modules[static_cast<std::size_t>(block0)].nodes.size(), std::size_t(2));
        QCOMPARE(l.hierarchy.findModule("block.0_1"), -1);
        // With the root Relu's name hidden, it must not be pulled into "block" (both calls of
        // block.0 sit under one "block" scope in torch's names).
        Loaded hidden = hstest::analyse(hstest::withRenamedNodes(*l.model, {2}));
        QCOMPARE(hidden.scopeOf(2), std::string(""));
    }

    // Issue 9 asks for 97.5% exact on every model (in tenths of a percent here); safety is absolute.
    // ResNet's renamed nodes with a surviving module are all ReLUs of its blocks' twice-called "relu":
    // the op after "out += identity" is either the block's relu (second call) or the parent's, and
    // nothing but a twin in another block can tell (there is one other block, renamed as often).
    // MobileNetV3's renamed nodes have no surviving module (every one is a one-op module).
    void hiddenNamesAreInferredSafely_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("minimumExactPermille");
        QTest::newRow("bert_like_op17") << QString(fixture("bert_like_op17.onnx").c_str()) << 975;
        QTest::newRow("bert_like_op14") << QString(fixture("bert_like_op14.onnx").c_str()) << 975;
        QTest::newRow("gpt_like") << QString(fixture("gpt_like.onnx").c_str()) << 975;
        QTest::newRow("cnn_torchvision") << QString(fixture("cnn_torchvision.onnx").c_str()) << 975;
        QTest::newRow("cnn_mobilenet_v3") << QString(fixture("cnn_mobilenet_v3.onnx").c_str()) << 0;
        QTest::newRow("cnn_resnet") << QString(fixture("cnn_resnet.onnx").c_str()) << 0;
    }
    void hiddenNamesAreInferredSafely() {
        QFETCH(QString, file);
        QFETCH(int, minimumExactPermille);
        std::size_t eligible = 0, exact = 0;
        // HSTEST_HIDDEN_SEEDS=26-400 checks other seeds (safety asserted, the floor only for 1-25).
        unsigned firstSeed = 1, lastSeed = 25;
        if (const char* range = std::getenv("HSTEST_HIDDEN_SEEDS")) {
            std::sscanf(range, "%u-%u", &firstSeed, &lastSeed);
            if (firstSeed != 1 || lastSeed != 25) minimumExactPermille = 0;
        }
        for (unsigned seed = firstSeed; seed <= lastSeed; ++seed) {
            HiddenNameResult r = hideNames(file.toStdString(), seed);
            qInfo("seed %u: %zu renamed, %zu eligible, %zu exact, %zu outside the true module's ancestors",
                  seed, r.renamed, r.eligible, r.exact, r.wrong);
            if (!r.vague.isEmpty()) qInfo("not exact: %s", qPrintable(r.vague.join("; ")));
            QVERIFY(r.renamed > 0);
            QVERIFY2(r.wrong == 0, qPrintable(r.examples.join("; ")));
            QCOMPARE(r.keptWrong, std::size_t(0));
            QCOMPARE(r.nonExactHigh, std::size_t(0));
            eligible += r.eligible;
            exact += r.exact;
        }
        qInfo("%zu of %zu renamed nodes with a surviving module placed exactly (%.1f%%)", exact, eligible,
              eligible ? 100.0 * static_cast<double>(exact) / static_cast<double>(eligible) : 100.0);
        QVERIFY2(exact * 1000 >= eligible * static_cast<std::size_t>(minimumExactPermille),
                 qPrintable(QString("%1 of %2 exact").arg(exact).arg(eligible)));
    }

    // Issue 9: exports without scope names (torch <= 1.12) keep parameter names, and they carry the tree.
    // Issue 9 asks for 90% exact; the floors are what inference reaches today (safety is absolute): the
    // misses are helpers of parameterless code between modules (attention math between query/key/value
    // and output.dense: in "attention.self" or in "attention"? nothing in the file tells), placed at the
    // module they certainly lie in.
    void olderExportsArePlacedByParameters_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("minimumExactPercent");
        QTest::addColumn<int>("minimumSuggestedPercent"); // of the vague nodes, stored suggestion = truth
        const std::tuple<const char*, int, int> floors[] = {
            {"bert_like_op17.onnx", 58, 90},  {"bert_like_op14.onnx", 52, 95},   {"gpt_like.onnx", 53, 90},
            {"cnn_torchvision.onnx", 61, 70}, {"cnn_mobilenet_v3.onnx", 58, 60}, {"cnn_resnet.onnx", 100, 0}};
        for (const auto& [f, floor, suggested] : floors)
            QTest::newRow(f) << QString(fixture(f).c_str()) << floor << suggested;
    }
    void olderExportsArePlacedByParameters() {
        QFETCH(QString, file);
        QFETCH(int, minimumExactPercent);
        QFETCH(int, minimumSuggestedPercent);
        OldNamesResult r = withOldNames(file.toStdString());
        qInfo(
            "%zu of %zu nodes whose module owns a parameter placed exactly (%.1f%%); %zu outside their true "
            "module's ancestors",
            r.exact, r.eligible,
            r.eligible ? 100.0 * static_cast<double>(r.exact) / static_cast<double>(r.eligible) : 100.0,
            r.wrong);
        if (!r.vague.isEmpty()) qInfo("not exact: %s", qPrintable(r.vague.join("; ")));
        qInfo("of the %zu not exact, %zu have their true module among the deeper candidates offered (%zu "
              "first); the stored suggestion is the true module for %zu",
              r.eligible - r.exact, r.suggested, r.suggestedFirst, r.suggestionIsTrue);
        qInfo("accepting every suggestion at once: %zu of %zu nodes exact before, %zu after; %zu moved "
              "outside their true module",
              r.exactBeforeAccepting, r.withTruth, r.exactAfterAccepting, r.wrongAfterAccepting);
        QVERIFY2(r.wrong == 0, qPrintable(r.examples.join("; ")));
        QCOMPARE(r.wrongHigh, std::size_t(0));
        QVERIFY(r.eligible > 0);
        // Issue 18: the stored suggestion is the true module of most vague nodes; issue 20: taking every
        // suggestion at once never moves a node out of its true module.
        QVERIFY2(
            r.suggestionIsTrue * 100 >=
                (r.eligible - r.exact) * static_cast<std::size_t>(minimumSuggestedPercent),
            qPrintable(
                QString("suggestion right for %1 of %2").arg(r.suggestionIsTrue).arg(r.eligible - r.exact)));
        QCOMPARE(r.wrongAfterAccepting, std::size_t(0));
        QVERIFY(r.exactAfterAccepting >= r.exactBeforeAccepting);
        // What the file cannot tell, a person can: for 4 in 5 vague nodes the true module is offered.
        QVERIFY(r.suggested * 5 >= (r.eligible - r.exact) * 4);
        QVERIFY2(r.exact * 100 >= r.eligible * static_cast<std::size_t>(minimumExactPercent),
                 qPrintable(QString("%1 of %2 exact").arg(r.exact).arg(r.eligible)));
    }

    // Issue 18: torch code uses a child's parameters from the parent's forward (nn.MultiheadAttention runs
    // out_proj's weight and bias itself; a Swin-style attention calls F.linear on qkv's and proj's; a
    // model calls F.linear on head.fc's weight). A parameter proves only that its user lies in its owner
    // or an ancestor: named twins say which level, a never-named owner gives way to its named parent
    // (suggested instead), and with every name stripped the claim is medium. Never below the true module
    // at high in any mode; never below it at all while names exist.
    void parentRunsItsChildsParameters_data() {
        QTest::addColumn<QString>("file");
        QTest::newRow("mha_blocks") << QString(fixture("mha_blocks.onnx").c_str());
        QTest::newRow("parent_linear") << QString(fixture("parent_linear.onnx").c_str());
        // Your own exports too (torchvision's ViT-B/16 and Swin-T, several hundred MB, are not vendored):
        // HSTEST_PARENT_PARAMS_MODELS=a.onnx:b.onnx
        if (const char* more = std::getenv("HSTEST_PARENT_PARAMS_MODELS"))
            for (const QString& path : QString(more).split(':', Qt::SkipEmptyParts))
                QTest::newRow(qPrintable(path)) << path;
    }
    void parentRunsItsChildsParameters() {
        QFETCH(QString, file);
        const std::string path = file.toStdString();
        // Named: the parameter agrees with the name of the ancestor that ran it; no conflict.
        Loaded named = hstest::load(path);
        for (std::size_t i = 0; i < named.graph->size(); ++i) {
            const Assignment& a = named.hierarchy.assignments[i];
            QVERIFY2(!a.conflict, named.graph->key(static_cast<int>(i)).c_str());
            if (a.source == Source::NameScope)
                QCOMPARE(named.scopeOf(static_cast<int>(i)), *statedScope(named, static_cast<int>(i)));
        }
        // 30% of names hidden: twins or the named parent decide; never below the true module.
        std::size_t renamed = 0, eligible = 0, exact = 0;
        for (unsigned seed = 1; seed <= 25; ++seed) {
            HiddenNameResult r = hideNames(path, seed);
            QVERIFY2(r.wrong == 0, qPrintable(QString("seed %1: ").arg(seed) + r.examples.join("; ")));
            QCOMPARE(r.wrongHigh, std::size_t(0));
            QCOMPARE(r.nonExactHigh, std::size_t(0));
            renamed += r.renamed, eligible += r.eligible, exact += r.exact;
        }
        qInfo("30%% hidden, seeds 1-25: %zu renamed, %zu with a surviving module, %zu exact, 0 below",
              renamed, eligible, exact);
        // Every name stripped: nothing in the file says which level ran a parameter, so no such claim is
        // high; what lies below the true module is medium at most.
        OldNamesResult old = withOldNames(path);
        qInfo("torch <= 1.12 names: %zu of %zu exact, %zu below or beside their true module (%zu high)",
              old.exact, old.eligible, old.wrong, old.wrongHigh);
        QCOMPARE(old.wrongHigh, std::size_t(0));
    }

    // The MultiheadAttention's output projection: named, it is `attn` (torch's name), and hidden, its
    // twin in the other block puts it there too, high; with both hidden, its named parent takes it
    // (medium) and `out_proj` is suggested.
    void multiheadAttentionOutputProjection() {
        Loaded named = hstest::load(fixture("mha_blocks.onnx"));
        const int gemm0 = named.node("/blocks.0/attn/Gemm"), gemm1 = named.node("/blocks.1/attn/Gemm");
        QVERIFY(gemm0 >= 0 && gemm1 >= 0);
        QCOMPARE(named.scopeOf(gemm0), std::string("blocks.0.attn"));
        Loaded oneHidden = hstest::analyse(hstest::withRenamedNodes(*named.model, {gemm0}));
        QCOMPARE(oneHidden.scopeOf(gemm0), std::string("blocks.0.attn"));
        QCOMPARE(oneHidden.hierarchy.assignments[static_cast<std::size_t>(gemm0)].source, Source::Parameter);
        QCOMPARE(oneHidden.hierarchy.assignments[static_cast<std::size_t>(gemm0)].level, Level::High);
        Loaded bothHidden = hstest::analyse(hstest::withRenamedNodes(*named.model, {gemm0, gemm1}));
        const Assignment& a = bothHidden.hierarchy.assignments[static_cast<std::size_t>(gemm0)];
        QCOMPARE(bothHidden.scopeOf(gemm0), std::string("blocks.0.attn"));
        QCOMPARE(a.level, Level::Medium);
        QVERIFY(a.suggestion.module >= 0);
        QCOMPARE(bothHidden.hierarchy.modules[static_cast<std::size_t>(a.suggestion.module)].scope,
                 std::string("blocks.0.attn.out_proj"));
        QVERIFY(bothHidden.hierarchy.suggestionReason(*bothHidden.graph, gemm0).find("out_proj") !=
                std::string::npos);
        // Stripped of every name: the owner, but medium.
        Loaded old = hstest::analyse(withOldTorchNames(*named.model));
        QCOMPARE(old.hierarchy.assignments[static_cast<std::size_t>(gemm0)].level, Level::Medium);
    }

    // Modules are listed as the model runs them, although an older export's weight copies (at the top of
    // the graph) name layer.1's parameters first.
    void olderExportTreeRunsInOrder() {
        Loaded old = hstest::analyse(withOldTorchNames(*hstest::load(fixture("bert_like_op17.onnx")).model));
        auto names = [&](const std::string& scope) {
            QStringList list;
            for (int c :
                 old.hierarchy.modules[static_cast<std::size_t>(old.hierarchy.findModule(scope))].children)
                list << QString::fromStdString(old.hierarchy.modules[static_cast<std::size_t>(c)].scope);
            return list;
        };
        QCOMPARE(names(""), QStringList({"embeddings", "encoder", "pooler"}));
        QCOMPARE(names("encoder.layer"), QStringList({"encoder.layer.0", "encoder.layer.1"}));
    }

    // A function call without its torch name is placed by the parameters it receives. BertEncoder gets
    // only its layers' (encoder.layer.0..., encoder.layer.1...), and its nested BertLayer calls are the
    // items of that list: a ModuleList is never called, so the call is its owner's, `encoder`.
    void functionCallWithoutItsNameOwnsTheList() {
        Loaded truth = hstest::load(fixture("bert_like_functions.onnx"));
        Loaded old = hstest::analyse(withOldTorchNames(*truth.model));
        const int encoder = truth.node("/encoder/layer.1/output/LayerNorm/BertEncoder");
        QVERIFY(encoder >= 0);
        QCOMPARE(truth.scopeOf(encoder), std::string("encoder"));
        QCOMPARE(old.scopeOf(encoder), std::string("encoder"));
        for (std::size_t i = 0; i < truth.graph->size(); ++i)
            QVERIFY2(isAtomPrefix(old.scopeOf(static_cast<int>(i)), truth.scopeOf(static_cast<int>(i))),
                     truth.graph->key(static_cast<int>(i)).c_str());
    }

    // A vague placement offers the modules below it that its data points into: the attention math of an
    // older BERT export sits in `attention`, and `attention.self` comes first.
    void vagueNodesOfferDeeperModules() {
        Loaded truth = hstest::load(fixture("bert_like_op17.onnx"));
        Loaded old = hstest::analyse(withOldTorchNames(*truth.model));
        const int math = truth.node("/encoder/layer.0/attention/self/MatMul");
        QCOMPARE(old.scopeOf(math), std::string("encoder.layer.0.attention"));
        const std::vector<int> deeper = old.hierarchy.deeperCandidates(*old.graph, math);
        QVERIFY(deeper.size() >= 2);
        QCOMPARE(old.hierarchy.modules[static_cast<std::size_t>(deeper[0])].scope,
                 std::string("encoder.layer.0.attention.self"));
        for (int m : deeper) // all below attention
            QVERIFY(old.hierarchy.isAncestorOrSelf(old.hierarchy.findModule("encoder.layer.0.attention"), m));
        // A node placed by its parameter has nothing to offer.
        const int query = truth.node("/encoder/layer.0/attention/self/query/Add");
        QCOMPARE(old.hierarchy.assignments[static_cast<std::size_t>(query)].source, Source::Parameter);
        QVERIFY(old.hierarchy.deeperCandidates(*old.graph, query).empty());
    }

    // Issue 9's limit, shown on real exports: each pair has the same parameters and the same ops in the
    // same order, and differs only in which module's Python code runs some of them (attention math in
    // `attention.self` or in `attention`; a Linear's reshapes in `mlp.fc` or in `mlp`). Renamed as torch
    // <= 1.12 named nodes and tensors, the two files are one graph, so no rule can place that code
    // exactly in both: it goes to the module that holds it in both, identically, and nothing lands in a
    // module that holds it in only one of them.
    void codeTwoModulesCouldRunIsPlacedInTheirCommonModule_data() {
        QTest::addColumn<QString>("inChild");
        QTest::addColumn<QString>("inParent");
        QTest::addColumn<QString>("common");
        QTest::newRow("attention") << "ambiguous_attention_child.onnx"
                                   << "ambiguous_attention_parent.onnx"
                                   << "attention";
        QTest::newRow("linear") << "ambiguous_linear_child.onnx"
                                << "ambiguous_linear_parent.onnx"
                                << "mlp";
    }
    void codeTwoModulesCouldRunIsPlacedInTheirCommonModule() {
        QFETCH(QString, inChild);
        QFETCH(QString, inParent);
        QFETCH(QString, common);
        Loaded child = hstest::load(fixture(inChild.toStdString()));
        Loaded parent = hstest::load(fixture(inParent.toStdString()));
        auto oldChild = withOldTorchNamesEverywhere(*child.model);
        auto oldParent = withOldTorchNamesEverywhere(*parent.model);
        // The two renamed files are the same graph.
        const auto& a = oldChild->main().nodes;
        const auto& b = oldParent->main().nodes;
        QCOMPARE(a.size(), b.size());
        for (std::size_t i = 0; i < a.size(); ++i) {
            QCOMPARE(a[i].name, b[i].name);
            QCOMPARE(a[i].opType, b[i].opType);
            QVERIFY(
                std::equal(a[i].inputs.begin(), a[i].inputs.end(), b[i].inputs.begin(), b[i].inputs.end()));
            QVERIFY(std::equal(a[i].outputs.begin(), a[i].outputs.end(), b[i].outputs.begin(),
                               b[i].outputs.end()));
        }
        Loaded oldC = hstest::analyse(oldChild);
        Loaded oldP = hstest::analyse(oldParent);
        std::size_t differing = 0, atCommon = 0;
        for (std::size_t i = 0; i < a.size(); ++i) {
            const int n = static_cast<int>(i);
            QCOMPARE(oldC.scopeOf(n), oldP.scopeOf(n));
            const std::string& got = oldC.scopeOf(n);
            const std::string what = a[i].name + " -> " + got;
            QVERIFY2(isAtomPrefix(got, child.scopeOf(n)), what.c_str());
            QVERIFY2(isAtomPrefix(got, parent.scopeOf(n)), what.c_str());
            if (child.scopeOf(n) == parent.scopeOf(n)) continue;
            ++differing;
            QCOMPARE(QString::fromStdString(parent.scopeOf(n)), common);
            if (got == parent.scopeOf(n)) ++atCommon; // exact for one file: the most both allow
            QVERIFY(oldC.hierarchy.assignments[i].level > Level::High);
        }
        qInfo("%zu of %zu nodes run in %s in one file and below it in the other; %zu placed in %s in both, "
              "the others above it",
              differing, a.size(), qPrintable(common), atCommon, qPrintable(common));
        QVERIFY(differing > 0);
    }

    // The order bound rests on torch writing nodes in trace order. ONNX Runtime sorts them anew (its BERT
    // puts the root's attention-mask ops between layer.0's query and value): with every name hidden, the
    // mask ops went into layer.0's attention.self. Such a file's order is no evidence, and says so.
    void reorderedFilesAreNotReadInOrder() {
        Loaded ort = hstest::load(fixture("cmp_bert_op17_ort.onnx"));
        Loaded old = hstest::analyse(withOldTorchNamesEverywhere(*ort.model));
        QVERIFY(notedAsReordered(old));
        std::size_t checked = 0;
        for (std::size_t i = 0; i < ort.graph->size(); ++i) {
            if (ort.hierarchy.assignments[i].source != Source::NameScope) continue;
            const int n = static_cast<int>(i);
            QVERIFY2(isAtomPrefix(old.scopeOf(n), ort.scopeOf(n)),
                     (ort.graph->node(n).name + " -> " + old.scopeOf(n)).c_str());
            ++checked;
        }
        QCOMPARE(checked, std::size_t(68));
        QCOMPARE(old.scopeOf(ort.node("/Mul")), std::string());
        // torch's own order is evidence.
        Loaded bert = hstest::load(fixture("bert_like_op17.onnx"));
        QVERIFY(!notedAsReordered(hstest::analyse(withOldTorchNames(*bert.model))));
        // Without contrib ops, named nodes give a reordering away: the root's named mask ops moved right
        // before their first consumer, in layer.0's attention.self, with one of them renamed.
        auto moved = std::make_shared<Model>(*bert.model);
        auto& nodes = moved->graphs[0].nodes;
        std::vector<Node> mask;
        for (const char* name : {"/Constant_1", "/Unsqueeze", "/Constant_2", "/Unsqueeze_1", "/Cast",
                                 "/Constant_3", "/Sub", "/Constant_4", "/Mul"}) {
            auto it = std::find_if(nodes.begin(), nodes.end(), [&](const Node& n) { return n.name == name; });
            QVERIFY(it != nodes.end());
            mask.push_back(*it);
            nodes.erase(it);
        }
        auto firstUser = std::find_if(nodes.begin(), nodes.end(), [](const Node& n) {
            return std::find(n.inputs.begin(), n.inputs.end(), "/Mul_output_0") != n.inputs.end();
        });
        QVERIFY(firstUser != nodes.end());
        QCOMPARE(firstUser->name, std::string("/encoder/layer.0/attention/self/Add"));
        nodes.insert(firstUser, mask.begin(), mask.end());
        auto cast = std::find_if(nodes.begin(), nodes.end(), [](const Node& n) { return n.name == "/Cast"; });
        cast->name = "Op_cast";
        Loaded reordered = hstest::analyse(moved);
        QVERIFY(notedAsReordered(reordered));
        QCOMPARE(reordered.scopeOf(reordered.node("Op_cast")), std::string());
    }

    // A renamed chain of GELU's ops (Div, Erf, Add) between a named `dense` and a named `Mul`: only the
    // Add has a named neighbour inside the activation, so each pass proves one more link from the twins
    // in layer 0, through neighbours placed by inference. The same with layer 0's `Mul` renamed too:
    // layer 1's `Mul_1` follows its named twin although both twins' producers are inferred.
    void renamedChainFollowsItsTwins() {
        Loaded l = hstest::load(fixture("bert_like_op17.onnx"));
        const std::string act = "/encoder/layer.1/intermediate/intermediate_act_fn/";
        std::vector<int> chain;
        for (const char* op : {"Div", "Erf", "Add"})
            chain.push_back(l.node(act + op));
        std::vector<int> hidden = chain;
        for (std::size_t i = 0; i < l.graph->mainCount(); ++i)
            if (l.graph->node(static_cast<int>(i)).opType == "Constant")
                hidden.push_back(static_cast<int>(i));
        Loaded h = hstest::analyse(hstest::withRenamedNodes(*l.model, hidden));
        for (int n : chain) {
            QCOMPARE(h.scopeOf(n), std::string("encoder.layer.1.intermediate.intermediate_act_fn"));
            QCOMPARE(h.hierarchy.assignments[static_cast<std::size_t>(n)].level, Level::Medium);
        }
        // At least one link is proven by its twin; the others may follow it by refinement.
        QVERIFY(std::any_of(chain.begin(), chain.end(), [&](int n) {
            return h.hierarchy.assignments[static_cast<std::size_t>(n)].reason.kind == Reason::Analogy;
        }));

        const int mul1 = l.node(act + "Mul_1");
        std::vector<int> tail{mul1, l.node(act + "Mul"),
                              l.node("/encoder/layer.0/intermediate/intermediate_act_fn/Mul")};
        for (std::size_t i = 0; i < l.graph->mainCount(); ++i)
            if (l.graph->node(static_cast<int>(i)).opType == "Constant") tail.push_back(static_cast<int>(i));
        Loaded t = hstest::analyse(hstest::withRenamedNodes(*l.model, tail));
        QCOMPARE(t.scopeOf(mul1), std::string("encoder.layer.1.intermediate.intermediate_act_fn"));
        QCOMPARE(t.hierarchy.assignments[static_cast<std::size_t>(mul1)].reason.kind, Reason::Analogy);
        const std::string why = t.hierarchy.explain(*t.graph, mul1);
        QVERIFY2(why.find("/encoder/layer.0/intermediate/intermediate_act_fn/Mul_1") != std::string::npos,
                 why.c_str());
    }

    // GELU's last op (x * 0.5) with its name and its constant's hidden: its input is inside the
    // activation module, its result leaves it, so only layer 0's named twin can tell where it sits.
    void hiddenLastOpFollowsItsTwin() {
        Loaded l = hstest::load(fixture("bert_like_op14.onnx"));
        const int mul = l.node("/encoder/layer.1/intermediate/intermediate_act_fn/Mul_1");
        QVERIFY(mul >= 0);
        std::vector<int> hidden{mul};
        for (int t : l.graph->inputs(mul)) {
            const int producer = l.graph->tensor(t).producer;
            if (producer >= 0 && l.graph->node(producer).opType == "Constant") hidden.push_back(producer);
        }
        QCOMPARE(hidden.size(), std::size_t(2));
        Loaded h = hstest::analyse(hstest::withRenamedNodes(*l.model, hidden));
        QCOMPARE(h.scopeOf(mul), std::string("encoder.layer.1.intermediate.intermediate_act_fn"));
        const Assignment& a = h.hierarchy.assignments[static_cast<std::size_t>(mul)];
        QCOMPARE(a.level, Level::Medium);
        QCOMPARE(a.reason.kind, Reason::Analogy);
        const std::string why = h.hierarchy.explain(*h.graph, mul);
        QVERIFY2(why.find("like its twin '/encoder/layer.0/intermediate/intermediate_act_fn/Mul_1' in "
                          "'encoder.layer.0'") != std::string::npos,
                 why.c_str());
        // Its constant follows it.
        QCOMPARE(h.scopeOf(hidden[1]), std::string("encoder.layer.1.intermediate.intermediate_act_fn"));
        // Without layer 0's name to go by, the same node stays one level up, where it certainly is.
        const int twin = l.node("/encoder/layer.0/intermediate/intermediate_act_fn/Mul_1");
        hidden.push_back(twin);
        Loaded both = hstest::analyse(hstest::withRenamedNodes(*l.model, hidden));
        QCOMPARE(both.scopeOf(mul), std::string("encoder.layer.1"));
        QCOMPARE(both.hierarchy.assignments[static_cast<std::size_t>(mul)].reason.kind, Reason::Inferred);
    }

    // The reference design's failure: a sidecar placing layer 0's residual Add in layer 1.
    void seedFailureBecomesAConflict() {
        const std::string key = "/encoder/layer.0/attention/output/dense/Add";
        auto doc = readJson(fixture("bert_like_op17_seed_sidecar.json"));
        std::string path = doc["node_hierarchy"][key]["hierarchy_path"];
        auto pos = path.find("BertLayer.0");
        QVERIFY(pos != std::string::npos);
        doc["node_hierarchy"][key]["hierarchy_path"] = path.replace(pos, 11, "BertLayer.1");
        QTemporaryDir dir;
        std::string file = dir.filePath("seed.json").toStdString();
        std::ofstream(file) << doc.dump();
        Sidecar sidecar = readSidecar(file);
        Loaded l = hstest::load(fixture("bert_like_op17.onnx"));
        QVERIFY(checkSidecar(*l.graph, sidecar).applicable);
        Loaded withSidecar = hstest::analyse(l.model, &sidecar);
        const Assignment& a =
            withSidecar.hierarchy.assignments[static_cast<std::size_t>(withSidecar.node(key))];
        QVERIFY(a.conflict);
        QCOMPARE(a.level, Level::Low);
        std::set<std::string> candidates;
        for (const auto& c : a.candidates)
            candidates.insert(withSidecar.hierarchy.modules[static_cast<std::size_t>(c.module)].scope);
        QVERIFY(candidates.count("encoder.layer.0.attention.output.dense"));
        QVERIFY(candidates.count("encoder.layer.1.attention.output.dense"));
        // Never silently in layer 1.
        QVERIFY(!withSidecar.hierarchy.isAncestorOrSelf(withSidecar.hierarchy.findModule("encoder.layer.1"),
                                                        a.module));
        // The rest of the sidecar applies: names and sidecar agree elsewhere.
        const Assignment& other = withSidecar.hierarchy.assignments[static_cast<std::size_t>(
            withSidecar.node("/encoder/layer.1/attention/output/dense/Add"))];
        QVERIFY(!other.conflict);
        // The name, the sidecar and the parameter the Add uses (dense.bias) all say the same.
        QCOMPARE(other.candidates.size(), std::size_t(3));
        QCOMPARE(other.candidates[2].source, Source::Parameter);
        QCOMPARE(other.level, Level::High);
        QCOMPARE(withSidecar.hierarchy.statistics().conflicts, std::size_t(1));
        // Class names come from the sidecar's paths.
        int layer = withSidecar.hierarchy.findModule("encoder.layer.0");
        QCOMPARE(withSidecar.hierarchy.modules[static_cast<std::size_t>(layer)].className,
                 std::string("BertLayer"));
        QCOMPARE(withSidecar.hierarchy.modules[static_cast<std::size_t>(layer)].path,
                 std::string("/BertModel/BertEncoder/BertLayer.0"));
    }

    void functionsExportGivesTheSameTree() {
        Loaded named = hstest::load(fixture("bert_like_op17.onnx"));
        Loaded functions = hstest::load(fixture("bert_like_functions.onnx"));
        QStringList missing, wrongClass;
        std::size_t compared = 0;
        for (const auto& m : functions.hierarchy.modules) {
            if (m.scope.empty()) continue;
            int other = named.hierarchy.findModule(m.scope);
            if (other < 0) {
                // A module without parameters called inside a function body has no name in the
                // file (torch names body nodes "<Op>_<n>"): it is named by its class, which must be known.
                bool namedByClass = !m.className.empty() && m.scope.size() > m.className.size() &&
                                    m.scope.compare(m.scope.size() - m.className.size(), m.className.size(),
                                                    m.className) == 0 &&
                                    m.totalParameters == 0;
                if (!namedByClass) missing << QString::fromStdString(m.scope);
                continue;
            }
            ++compared;
            int parent = functions.hierarchy.modules[static_cast<std::size_t>(m.parent)].parent;
            (void)parent;
            QCOMPARE(named.hierarchy
                         .modules[static_cast<std::size_t>(
                             named.hierarchy.modules[static_cast<std::size_t>(other)].parent)]
                         .scope,
                     functions.hierarchy.modules[static_cast<std::size_t>(m.parent)].scope);
        }
        QVERIFY2(missing.isEmpty(), qPrintable("modules not in the names-based tree: " + missing.join(", ")));
        // Every named module that owns parameters is there, with its class.
        const char* expected[][2] = {{"encoder", "BertEncoder"},
                                     {"encoder.layer.0", "BertLayer"},
                                     {"encoder.layer.1.attention", "BertAttention"},
                                     {"encoder.layer.0.attention.self", "BertSelfAttention"},
                                     {"encoder.layer.0.attention.self.query", "Linear"},
                                     {"encoder.layer.1.output.LayerNorm", "LayerNorm"},
                                     {"embeddings", "BertEmbeddings"},
                                     {"pooler", "BertPooler"},
                                     {"pooler.dense", "Linear"}};
        for (const auto& e : expected) {
            int m = functions.hierarchy.findModule(e[0]);
            QVERIFY2(m >= 0, e[0]);
            QCOMPARE(functions.hierarchy.modules[static_cast<std::size_t>(m)].className, std::string(e[1]));
        }
        QVERIFY(compared >= 30);
    }

    // Issue 9: another converter's name paths make a tree of its layers, medium, never PyTorch scopes.
    void converterNamePathsMakeLayers() {
        Loaded l = hstest::load(sharedModel("tf2onnx_deeplab_v3_mobilenetv2.onnx"));
        const int block = l.hierarchy.findModule("MobilenetV2.expanded_conv_1");
        QVERIFY(block > 0);
        const Module& m = l.hierarchy.modules[static_cast<std::size_t>(block)];
        QVERIFY(m.fromConverterNames);
        QVERIFY(m.className.empty());
        QCOMPARE(l.hierarchy.modules[static_cast<std::size_t>(m.parent)].scope, std::string("MobilenetV2"));
        std::vector<std::string> parts;
        for (int c : m.children)
            parts.push_back(l.hierarchy.modules[static_cast<std::size_t>(c)].name);
        QCOMPARE(parts, (std::vector<std::string>{"expand", "depthwise", "project"}));
        // tf2onnx's own helper ("Relu6__97", a Transpose it added) belongs to the layer it was made for.
        QCOMPARE(l.scopeOf(l.node("MobilenetV2/Conv/Relu6__97")), std::string("MobilenetV2.Conv"));
        QCOMPARE(l.scopeOf(l.node("MobilenetV2/expanded_conv_1/depthwise/Relu6")),
                 std::string("MobilenetV2.expanded_conv_1.depthwise"));
        // Every node with a layer path is placed by it; none by torch evidence.
        std::size_t withPath = 0;
        for (std::size_t i = 0; i < l.graph->size(); ++i)
            if (l.graph->node(static_cast<int>(i)).name.find('/') != std::string::npos) ++withPath;
        const auto stats = l.hierarchy.statistics();
        QCOMPARE(stats.bySource[static_cast<int>(Source::NameScope)], std::size_t(0));
        QCOMPARE(stats.bySource[static_cast<int>(Source::Parameter)], std::size_t(0));
        QVERIFY(withPath > 50);
        QCOMPARE(stats.bySource[static_cast<int>(Source::ConverterScope)], withPath);
        for (const auto& a : l.hierarchy.assignments)
            QVERIFY(a.level >= Level::Medium);
        const int conv = l.node("MobilenetV2/Conv/Relu6");
        QVERIFY(l.hierarchy.explain(*l.graph, conv).find("written by tf2onnx") != std::string::npos);
    }

    // A converter without names or parameters (paddle2onnx, half its nodes unnamed) gets no invented tree.
    void namelessConverterStaysFlat() {
        Loaded l = hstest::load(sharedModel("paddle2onnx_ppocr_mobile_v2_cls.onnx"));
        QCOMPARE(l.hierarchy.modules.size(), std::size_t(1));
        for (const auto& a : l.hierarchy.assignments) {
            QCOMPARE(a.module, 0);
            QCOMPARE(a.level, Level::Low);
        }
    }

    // Issue 9: a HuggingFace DistilBERT exported by torch 1.10 (no scope names).
    void olderTorchDistilBert() {
        Loaded l = hstest::load(sharedModel("distilbert_tiny_torch1.10_optimum_test.onnx"));
        for (const char* scope :
             {"distilbert.embeddings", "distilbert.transformer.layer.0", "distilbert.transformer.layer.1",
              "distilbert.transformer.layer.0.attention.q_lin", "distilbert.transformer.layer.1.ffn.lin2",
              "pre_classifier", "classifier"})
            QVERIFY2(l.hierarchy.findModule(scope) > 0, scope);
        // The bias Add of q_lin names it; its MatMul on the folded weight ("302") follows it.
        QCOMPARE(l.scopeOf(l.node("Add_28")), std::string("distilbert.transformer.layer.0.attention.q_lin"));
        QCOMPARE(l.hierarchy.assignments[static_cast<std::size_t>(l.node("Add_28"))].source,
                 Source::Parameter);
        QCOMPARE(l.scopeOf(l.node("MatMul_27")),
                 std::string("distilbert.transformer.layer.0.attention.q_lin"));
        const std::string why = l.hierarchy.explain(*l.graph, l.node("Add_28"));
        QVERIFY2(why.find("uses parameter 'distilbert.transformer.layer.0.attention.q_lin.bias'") !=
                     std::string::npos,
                 why.c_str());
        // position_ids[:, :seq_length] runs in the embeddings, not in position_embeddings: the Slice
        // reads generated initializers ("300", "301") that are no folded weight of a Linear.
        for (const char* node : {"Slice_6", "Constant_5"})
            QVERIFY2(isAtomPrefix(l.scopeOf(l.node(node)), "distilbert.embeddings"), node);
        // Most helper ops land inside the model's modules, none is left unplaced.
        std::size_t atRoot = 0;
        for (std::size_t i = 0; i < l.graph->size(); ++i) {
            if (l.hierarchy.assignments[i].module == 0) ++atRoot;
            QVERIFY(l.hierarchy.assignments[i].source != Source::Fallback);
        }
        qInfo("%zu of %zu nodes at the root", atRoot, l.graph->size());
        QVERIFY(atRoot * 10 < l.graph->size());
    }

    // ONNX Runtime GenAI's builder names each weight after the node using it ("...q_proj.MatMul.weight").
    // With the node names gone (an optimizer renamed them), the MatMul goes to q_proj: no module is named
    // after an op.
    void builderWeightNamesNameTheirModule() {
        const std::string path = sharedModel("genai_builder_tiny_llama_fp16_extdata/model.onnx");
        HSTEST_SKIP_IF_ABSENT(path);
        Loaded truth = hstest::load(path);
        Loaded old = hstest::analyse(withOldTorchNames(*truth.model));
        const int q = truth.node("/model/layers.0/attn/q_proj/MatMul");
        QVERIFY(q >= 0);
        QCOMPARE(old.scopeOf(q), std::string("model.layers.0.attn.q_proj"));
        QCOMPARE(old.hierarchy.assignments[static_cast<std::size_t>(q)].source, Source::Parameter);
        const std::string why = old.hierarchy.explain(*old.graph, q);
        QVERIFY2(
            why.find("'model.layers.0.attn.q_proj.MatMul.weight' of module 'model.layers.0.attn.q_proj'") !=
                std::string::npos,
            why.c_str());
        for (const Module& m : old.hierarchy.modules)
            QVERIFY2(m.scope.find("MatMul") == std::string::npos, m.scope.c_str());
        // Every node whose name said its module is placed there or above it.
        for (std::size_t i = 0; i < truth.graph->size(); ++i)
            if (truth.hierarchy.assignments[i].source == Source::NameScope)
                QVERIFY2(isAtomPrefix(old.scopeOf(static_cast<int>(i)), truth.scopeOf(static_cast<int>(i))),
                         truth.graph->node(static_cast<int>(i)).name.c_str());
    }

    // Issue 9: GPT-2 after ONNX Runtime's transformer fusion keeps parameter names on fused ops.
    void ortFusedGpt2() {
        Loaded l = hstest::load(sharedModel("gpt2_tiny_random_ort_fused_past.onnx"));
        for (int layer = 0; layer < 5; ++layer) {
            const std::string n = std::to_string(layer);
            // One fused Attention per block, in its attention module (one level above c_attn, whose
            // weight it uses: the fused op also holds attn's own math); medium, like any fused op.
            const int attention = l.node("GptAttention_" + n);
            QCOMPARE(l.scopeOf(attention), "transformer.h." + n + ".attn");
            QCOMPARE(l.hierarchy.assignments[static_cast<std::size_t>(attention)].level, Level::Medium);
            QCOMPARE(l.scopeOf(l.node("GptAttention_" + n + "_matmul")),
                     "transformer.h." + n + ".attn.c_proj");
            // The SkipLayerNormalization inside the block (residual + ln_2), from the data around it: its
            // only parameters (h.0.ln_1's, merged by the optimizer) are shared by every block.
            const int skip = l.node("SkipLayerNorm_AddBias_" + std::to_string(2 * layer));
            QCOMPARE(l.scopeOf(skip), "transformer.h." + n);
        }
        QCOMPARE(l.scopeOf(l.node("EmbedLayerNormalization_0")), std::string("transformer"));
        QCOMPARE(l.scopeOf(l.node("/lm_head/MatMul")), std::string("lm_head"));
        QCOMPARE(l.hierarchy.statistics().conflicts, std::size_t(0));
    }

    void dynamoMetadataTree() {
        HSTEST_SKIP_IF_ABSENT(sharedModel("dynamo_seg3d_torch2.9_extdata/model.onnx"));
        Loaded l = hstest::load(sharedModel("dynamo_seg3d_torch2.9_extdata/model.onnx"));
        int conv = l.hierarchy.findModule("enc.0.c1");
        QVERIFY(conv > 0);
        QCOMPARE(l.hierarchy.modules[static_cast<std::size_t>(conv)].className, std::string("Conv3d"));
        int block = l.hierarchy.modules[static_cast<std::size_t>(conv)].parent;
        QCOMPARE(l.hierarchy.modules[static_cast<std::size_t>(block)].scope, std::string("enc.0"));
        QCOMPARE(l.hierarchy.modules[static_cast<std::size_t>(block)].className, std::string("Block3D"));
        QCOMPARE(l.hierarchy.modules[0].className, std::string("Seg3D"));
        QCOMPARE(l.hierarchy.statistics().bySource[static_cast<int>(Source::Metadata)], l.graph->size());
        // Issue 18: its GroupNorms read lifted constants ("val_24"), which are no root parameters: every
        // node high where its metadata puts it, no conflict, and enc.0 cut where the file's data crosses
        // its border (6 inputs and 4 outputs before). Its second input is real: dynamo computes the batch
        // size once, at the root (`val_0 = Shape(image)`), and enc.0's attention reshapes read it.
        QCOMPARE(l.hierarchy.statistics().conflicts, std::size_t(0));
        QCOMPARE(l.hierarchy.statistics().byLevel[static_cast<int>(Level::High)], l.graph->size());
        const int groupNorm = l.node("node_group_norm");
        QVERIFY(groupNorm >= 0);
        QCOMPARE(l.scopeOf(groupNorm), std::string("enc.0.n1"));
        const ExtractionPlan plan = planExtraction(*l.graph, l.hierarchy, "enc.0");
        QStringList inputs;
        for (const auto& t : plan.inputs)
            inputs << QString::fromStdString(t.name);
        QCOMPARE(inputs, QStringList({"conv3d", "val_0"}));
        QStringList outputs;
        for (const auto& t : plan.outputs)
            outputs << QString::fromStdString(t.name);
        // dynamo's common-subexpression pass shares shape vectors: dec.0's attention reshapes read two that
        // enc.0's attention computed (val_30, val_50). Real edges of this file, not misplaced nodes.
        QCOMPARE(outputs, QStringList({"val_30", "val_50", "add_70"}));
        // Its metadata leaves the ops its passes made at the root (the Mul after an InstanceNormalization)
        // and its lifted constants ("val_3") read as root parameters: neither says which call runs a
        // node, so one node without metadata is still placed by the file's order.
        auto copy = std::make_shared<Model>(*l.model);
        const int shape = l.node("node_Shape_14"), concat = l.node("node_Concat_30");
        QVERIFY(shape >= 0 && concat >= 0);
        for (int n : {shape, concat}) { // the Concat reads val_0, val_27, ...: a root parameter claim
            copy->graphs[0].nodes[static_cast<std::size_t>(n)].metadata.clear();
            copy->graphs[0].nodes[static_cast<std::size_t>(n)].name = "hidden_" + std::to_string(n);
        }
        Loaded hidden = hstest::analyse(copy);
        QVERIFY(!notedAsReordered(hidden));
        QCOMPARE(hidden.scopeOf(shape), l.scopeOf(shape));
    }

    void ifBodiesKeepTheirScopes() {
        Loaded l = hstest::load(sharedModel("silero_vad_16k_op15_torch2.3.onnx"));
        std::size_t bodyScoped = 0;
        for (std::size_t i = l.graph->mainCount(); i < l.graph->size(); ++i) {
            auto stated = statedScope(l, static_cast<int>(i));
            if (!stated) continue;
            QCOMPARE(l.scopeOf(static_cast<int>(i)), *stated);
            ++bodyScoped;
        }
        QVERIFY(bodyScoped > 100);
    }
};

QTEST_APPLESS_MAIN(TestHierarchy)
#include "test_hierarchy.moc"
