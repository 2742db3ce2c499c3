// Hierarchy injection (issue 25): `embed` writes a copy whose nodes carry their module; opening the copy
// gives the hierarchy the model had with its sidecar; weights are the same bytes; ONNX 1.12 loads and
// checks the copy and reads `namespace` where Model Explorer does; ONNX Runtime computes the same outputs.
#include "../core/cli_run.h"
#include "../core/test_support.h"
#include "common/error.h"
#include "embed/embed.h"
#include "embed/keys.h"
#include "model/mapped_file.h"
#include "sidecar/discovery.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>

namespace fs = std::filesystem;
using hstest::fixture;
using hstest::sharedModel;

namespace {

// The model with the hierarchy `hierscope-cli tag` computes for it (a sidecar beside it applied).
hstest::Loaded openAsTheCliDoes(const std::string& path) {
    hstest::Loaded l;
    l.model = hs::loadModel(path);
    l.graph = std::make_unique<hs::GraphIndex>(l.model);
    const hs::ChosenSidecar chosen = hs::chooseSidecar(*l.graph, path, "");
    l.hierarchy = hs::inferHierarchy(*l.graph, chosen.sidecar ? &*chosen.sidecar : nullptr);
    return l;
}

const std::string* valueOf(const hs::Node& node, const char* key) {
    for (const auto& [k, v] : node.metadata)
        if (k == key) return &v;
    return nullptr;
}

std::string parentScope(const hs::Hierarchy& h, const hs::Module& m) {
    return m.parent < 0 ? "-" : h.modules[static_cast<std::size_t>(m.parent)].scope;
}

// Same module tree, and every node in the same module with the same source, level, score and conflict.
void compareHierarchies(const hstest::Loaded& a, const hstest::Loaded& b, const std::string& label) {
    QCOMPARE(b.graph->size(), a.graph->size());
    std::size_t differing = 0;
    std::string first;
    for (std::size_t i = 0; i < a.graph->size(); ++i) {
        const int n = static_cast<int>(i);
        const int m = b.graph->find(a.graph->key(n));
        const hs::Assignment& x = a.hierarchy.assignments[i];
        const hs::Assignment& y = b.hierarchy.assignments[static_cast<std::size_t>(m)];
        if (m < 0 || a.scopeOf(n) != b.scopeOf(m) || x.source != y.source || x.level != y.level ||
            x.score != y.score || x.conflict != y.conflict) {
            if (!differing++)
                first = a.graph->key(n) + ": " + a.scopeOf(n) + " " + hs::sourceName(x.source) + " " +
                        hs::levelName(x.level) + " -> " + (m < 0 ? "(absent)" : b.scopeOf(m)) + " " +
                        hs::sourceName(y.source) + " " + hs::levelName(y.level);
        }
    }
    QVERIFY2(differing == 0,
             (label + ": " + std::to_string(differing) + " nodes differ, first " + first).c_str());
    QCOMPARE(b.hierarchy.modules.size(), a.hierarchy.modules.size());
    for (const hs::Module& m : a.hierarchy.modules) {
        const int k = b.hierarchy.findModule(m.scope);
        QVERIFY2(k >= 0, (label + ": module '" + m.scope + "' missing").c_str());
        const hs::Module& o = b.hierarchy.modules[static_cast<std::size_t>(k)];
        QCOMPARE(o.className, m.className);
        QCOMPARE(o.path, m.path);
        QCOMPARE(parentScope(b.hierarchy, o), parentScope(a.hierarchy, m));
        QCOMPARE(o.totalNodes, m.totalNodes);
    }
}

// Every initializer of the copy holds the original's bytes (inline) or points where it did (external).
void compareWeights(const hs::Model& a, const hs::Model& b) {
    QCOMPARE(b.graphs.size(), a.graphs.size());
    std::size_t compared = 0;
    for (std::size_t g = 0; g < a.graphs.size(); ++g) {
        QCOMPARE(b.graphs[g].initializers.size(), a.graphs[g].initializers.size());
        for (std::size_t k = 0; k < a.graphs[g].initializers.size(); ++k) {
            const hs::Initializer& x = a.graphs[g].initializers[k];
            const hs::Initializer& y = b.graphs[g].initializers[k];
            QCOMPARE(y.name, x.name);
            QCOMPARE(y.external, x.external);
            QCOMPARE(y.externalLocation, x.externalLocation);
            QCOMPARE(y.externalOffset, x.externalOffset);
            QVERIFY(a.file->bytes(x.span.offset, x.span.length) ==
                    b.file->bytes(y.span.offset, y.span.length));
            ++compared;
        }
    }
    QCOMPARE(b.weightBytes(), a.weightBytes());
}

int run(const QString& program, const QStringList& args, QString& output) {
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    if (!p.waitForFinished(300000)) return -1;
    output = QString::fromUtf8(p.readAll());
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

} // namespace

class TestEmbed : public QObject {
    Q_OBJECT

private slots:
    void roundTrip_data();
    void roundTrip();
    void manualTagsAndSidecarClaimsComeBack();
    void embeddingAgainReplacesOnlyOurKeys();
    void dynamoMetadataIsKept();
    void namespaceFromAnotherToolIsEvidence();
    void nodesRenamedAfterTheEmbedKeepTheirModule();
    void hostileMetadataIsReadWithoutHarm_data();
    void hostileMetadataIsReadWithoutHarm();
    void badOutputsAreRefusedWithTheFileNamed();
    void aChangedFileIsCopiedFromTheMapping();
    void onnx112ReadsNamespaceAndChecksTheCopy_data();
    void onnx112ReadsNamespaceAndChecksTheCopy();
    void onnxRuntimeGivesTheSameOutputs();
    void commandLine();

private:
    QTemporaryDir tmp_;
    std::string out(const std::string& name) const {
        return tmp_.filePath(QString::fromStdString(name)).toStdString();
    }
};

void TestEmbed::roundTrip_data() {
    QTest::addColumn<QString>("model");
    for (const auto& entry : fs::directory_iterator(HS_FIXTURES))
        if (entry.path().extension() == ".onnx")
            QTest::newRow(entry.path().filename().c_str()) << QString::fromStdString(entry.path().string());
    for (const char* name :
         {"distilbert_tiny_torch1.10_optimum_test.onnx", "fastestdet_torch2.0.onnx",
          "gpt2_tiny_random_ort_fused_past.onnx", "paddle2onnx_ppocr_mobile_v2_cls.onnx",
          "silero_vad_16k_op15_torch2.3.onnx", "tf2onnx_deeplab_v3_mobilenetv2.onnx",
          "tf2onnx_local_function_conv2d.onnx", "genai_builder_tiny_llama_fp16_extdata/model.onnx",
          "dynamo_seg3d_torch2.9_extdata/model.onnx", "openwakeword_hey_rhasspy_torch1.13_sequential.onnx"})
        QTest::newRow(name) << QString::fromStdString(sharedModel(name));
}

// Opening the copy (no sidecar beside it) gives what the model gave with its sidecar.
void TestEmbed::roundTrip() {
    QFETCH(QString, model);
    HSTEST_SKIP_IF_ABSENT(model.toStdString());
    const hstest::Loaded original = openAsTheCliDoes(model.toStdString());
    // A folder per model: external data files of two models may share a name.
    const std::string copy =
        out(QTest::currentDataTag() + std::string("/") + fs::path(model.toStdString()).filename().string());
    fs::create_directories(fs::path(copy).parent_path());
    hs::EmbedOptions options;
    options.copyExternal = true; // external data files go beside the copy
    const hs::EmbedResult result = hs::embedHierarchy(*original.graph, original.hierarchy, copy, options);
    std::set<std::pair<int, int>> described; // every node some instance runs
    for (std::size_t i = 0; i < original.graph->size(); ++i)
        described.insert({original.graph->instance(static_cast<int>(i)).graph,
                          original.graph->instance(static_cast<int>(i)).node});
    QCOMPARE(result.nodesTagged + result.nodesSkipped, described.size());
    QCOMPARE(fs::file_size(copy), result.bytesWritten);
    QVERIFY(hs::findSidecarBeside(copy).empty());
    const hstest::Loaded reopened = hstest::load(copy);
    compareHierarchies(original, reopened, model.toStdString());
    compareWeights(*original.model, *reopened.model);
    QCOMPARE(reopened.model->irVersion, original.model->irVersion); // see docs/EMBEDDING.md
}

// A person's re-tag and a foreign sidecar's claims are what the file alone cannot tell: the copy carries
// them, and opening it gives what opening the model with the sidecar saved from that session gives.
void TestEmbed::manualTagsAndSidecarClaimsComeBack() {
    const std::string model = fixture("bert_like_op17.onnx");
    hstest::Loaded session;
    session.model = hs::loadModel(model);
    session.graph = std::make_unique<hs::GraphIndex>(session.model);
    const hs::Sidecar htp = hs::readSidecarFor(*session.graph, fixture("bert_like_op17_htp_sidecar.json"));
    session.hierarchy = hs::inferHierarchy(*session.graph, &htp);
    const std::string key = "/encoder/layer.0/attention/output/LayerNorm/LayerNormalization";
    const int node = session.node(key);
    QVERIFY(node >= 0);
    const int target = session.hierarchy.findModule("encoder.layer.0.intermediate");
    QVERIFY(target >= 0);
    session.hierarchy.assignManually(node, target);
    session.hierarchy.refreshModuleSummaries();
    std::size_t sidecarClaims = 0;
    for (const auto& a : session.hierarchy.assignments)
        for (const auto& c : a.candidates)
            sidecarClaims += c.source == hs::Source::Sidecar;
    QVERIFY(sidecarClaims > 100); // the HTP sidecar speaks of most nodes

    const std::string saved = out("session.hierarchy.json");
    hs::writeSidecar(saved, hs::makeSidecar(*session.graph, session.hierarchy, &htp));
    hstest::Loaded fromSidecar;
    fromSidecar.model = session.model;
    fromSidecar.graph = std::make_unique<hs::GraphIndex>(session.model);
    const hs::Sidecar ours = hs::readSidecarFor(*fromSidecar.graph, saved);
    fromSidecar.hierarchy = hs::inferHierarchy(*fromSidecar.graph, &ours);

    const std::string copy = out("retagged.onnx");
    hs::embedHierarchy(*session.graph, session.hierarchy, copy);
    const hstest::Loaded reopened = hstest::load(copy);
    compareHierarchies(fromSidecar, reopened, "re-tagged bert");
    const int again = reopened.node(key);
    QCOMPARE(reopened.scopeOf(again), std::string("encoder.layer.0.intermediate"));
    QCOMPARE(reopened.hierarchy.assignments[static_cast<std::size_t>(again)].source, hs::Source::Manual);
    QCOMPARE(reopened.hierarchy.assignments[static_cast<std::size_t>(again)].level, hs::Level::Certain);
    std::size_t restoredClaims = 0;
    for (const auto& a : reopened.hierarchy.assignments)
        for (const auto& c : a.candidates)
            restoredClaims += c.source == hs::Source::Sidecar;
    QCOMPARE(restoredClaims, sidecarClaims);
}

// The copy of a copy: hierscope.* and the keys we added are replaced, not repeated; a new re-tag shows.
void TestEmbed::embeddingAgainReplacesOnlyOurKeys() {
    const hstest::Loaded original = hstest::load(sharedModel("distilbert_tiny_torch1.10_optimum_test.onnx"));
    const std::string first = out("distil1.onnx"), second = out("distil2.onnx");
    hs::embedHierarchy(*original.graph, original.hierarchy, first);
    hstest::Loaded copy = hstest::load(first);
    const int node = copy.node("Shape_21"); // inferred into `distilbert`, vague: query.size() in attention
    QVERIFY(node >= 0);
    const hs::Node& shape = copy.graph->node(node);
    QCOMPARE(*valueOf(shape, hs::embed_keys::kNamespace), std::string("distilbert"));
    QCOMPARE(*valueOf(shape, hs::embed_keys::kSource), std::string("inferred"));
    QCOMPARE(*valueOf(shape, hs::embed_keys::kLevel), std::string("medium"));
    QCOMPARE(*valueOf(shape, hs::embed_keys::kSuggestedScope),
             std::string("distilbert.transformer.layer.0.attention"));
    const std::size_t entries = shape.metadata.size();
    const int target = copy.hierarchy.findModule("distilbert.embeddings");
    copy.hierarchy.assignManually(node, target);
    copy.hierarchy.refreshModuleSummaries();
    hs::embedHierarchy(*copy.graph, copy.hierarchy, second);
    const hstest::Loaded again = hstest::load(second);
    const hs::Node& moved = again.graph->node(again.node("Shape_21"));
    QCOMPARE(moved.metadata.size(), entries - 1); // a manual tag suggests nothing
    QCOMPARE(*valueOf(moved, hs::embed_keys::kNamespace), std::string("distilbert/embeddings"));
    QCOMPARE(*valueOf(moved, hs::embed_keys::kSource), std::string("manual"));
    QCOMPARE(again.scopeOf(again.node("Shape_21")), std::string("distilbert.embeddings"));
    for (std::size_t i = 0; i < again.graph->size(); ++i) {
        const hs::Node& n = again.graph->node(static_cast<int>(i));
        std::set<std::string> keys;
        for (const auto& kv : n.metadata)
            QVERIFY2(keys.insert(kv.first).second, (n.name + ": key " + kv.first + " twice").c_str());
    }
    QCOMPARE(again.model->fileSize, fs::file_size(second));
}

// A dynamo export's own metadata stays as it was; ours goes beside it and does not count as evidence.
void TestEmbed::dynamoMetadataIsKept() {
    const std::string model = sharedModel("dynamo_seg3d_torch2.9_extdata/model.onnx");
    HSTEST_SKIP_IF_ABSENT(model);
    const hstest::Loaded original = hstest::load(model);
    hs::EmbedOptions options;
    options.copyExternal = true;
    const std::string copy = out("dynamo/model.onnx");
    fs::create_directories(fs::path(copy).parent_path());
    hs::embedHierarchy(*original.graph, original.hierarchy, copy, options);
    const hstest::Loaded reopened = hstest::load(copy);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < original.graph->size(); ++i) {
        const hs::Node& a = original.graph->node(static_cast<int>(i));
        const hs::Node& b = reopened.graph->node(static_cast<int>(i));
        for (const auto& kv : a.metadata) {
            QVERIFY2(valueOf(b, kv.first.c_str()) && *valueOf(b, kv.first.c_str()) == kv.second,
                     (a.name + ": " + kv.first + " changed").c_str());
            ++kept;
        }
        if (valueOf(a, hs::embed_keys::kNameScopes)) {
            const std::string* written = valueOf(b, hs::embed_keys::kWritten);
            QVERIFY(!written || written->find(hs::embed_keys::kNameScopes) == std::string::npos);
        }
    }
    QVERIFY(kept > 100);
    QCOMPARE(reopened.hierarchy.statistics().bySource[static_cast<int>(hs::Source::Metadata)],
             original.hierarchy.statistics().bySource[static_cast<int>(hs::Source::Metadata)]);
}

// A file whose nodes carry only `namespace` (another tool's, or ours with the hierscope.* keys stripped):
// it is metadata evidence, read with torch's segment rule, and disagreeing with a node's name scope it is a
// conflict at their common module, like any two explicit sources.
void TestEmbed::namespaceFromAnotherToolIsEvidence() {
    const hstest::Loaded original = hstest::load(sharedModel("distilbert_tiny_torch1.10_optimum_test.onnx"));
    const std::string copy = out("ns_distilbert.onnx");
    hs::embedHierarchy(*original.graph, original.hierarchy, copy);
    auto stripped = std::make_shared<hs::Model>(*hs::loadModel(copy));
    for (hs::Node& node : stripped->graphs[0].nodes) {
        hs::StringPairs kept;
        for (auto& kv : node.metadata)
            if (kv.first == hs::embed_keys::kNamespace) kept.push_back(kv);
        node.metadata = kept;
        if (node.name == "Add_20")
            node.metadata = {{"namespace", "distilbert/transformer"}}; // not its module
        if (node.name == "Unsqueeze_29")
            node.metadata = {{"namespace", "distilbert/transformer/layer/layer.0"}};
    }
    const hstest::Loaded l = hstest::analyse(stripped);
    // An inferred node of the original: now placed by the metadata, high, in the same module.
    const int shape = l.node("Shape_21");
    QCOMPARE(original.hierarchy.assignments[static_cast<std::size_t>(original.node("Shape_21"))].source,
             hs::Source::Inferred);
    QCOMPARE(l.hierarchy.assignments[static_cast<std::size_t>(shape)].source, hs::Source::Metadata);
    QCOMPARE(l.hierarchy.assignments[static_cast<std::size_t>(shape)].level, hs::Level::High);
    QCOMPARE(l.scopeOf(shape), std::string("distilbert"));
    QVERIFY(l.hierarchy.explain(*l.graph, shape).find("namespace") != std::string::npos);
    // torch's continuation rule: "layer.0" below "layer" is "distilbert.transformer.layer.0".
    QCOMPARE(l.scopeOf(l.node("Unsqueeze_29")), std::string("distilbert.transformer.layer.0"));
    // The metadata says `transformer`, the parameter `embeddings.LayerNorm`: a conflict at their common
    // module.
    const hs::Assignment& add = l.hierarchy.assignments[static_cast<std::size_t>(l.node("Add_20"))];
    QVERIFY(add.conflict);
    QCOMPARE(add.level, hs::Level::Low);
    QCOMPARE(l.scopeOf(l.node("Add_20")), std::string("distilbert"));
    QCOMPARE(add.candidates.size(), std::size_t(2));
}

// A tool renames every node of the copy after the embed (as optimizers do): the name scopes are gone, the
// record of each explicit placement is not. A name that says another module conflicts with the record.
void TestEmbed::nodesRenamedAfterTheEmbedKeepTheirModule() {
    const hstest::Loaded original = hstest::load(fixture("bert_like_op17.onnx"));
    const std::string copy = out("renamed_bert.onnx");
    hs::embedHierarchy(*original.graph, original.hierarchy, copy);
    const std::string query = "/encoder/layer.0/attention/self/query/MatMul";
    auto renamed = std::make_shared<hs::Model>(*hs::loadModel(copy));
    std::vector<std::string> before;
    for (std::size_t i = 0; i < renamed->graphs[0].nodes.size(); ++i) {
        hs::Node& node = renamed->graphs[0].nodes[i];
        before.push_back(node.name);
        node.name =
            node.name == query ? "/encoder/layer.1/attention/self/query/MatMul" : "Op_" + std::to_string(i);
    }
    const hstest::Loaded l = hstest::analyse(renamed);
    const hstest::Loaded bare = hstest::analyse(hstest::withRenamedNodes(*original.model, [&] {
        std::vector<int> all(original.model->main().nodes.size());
        for (std::size_t i = 0; i < all.size(); ++i)
            all[i] = static_cast<int>(i);
        return all;
    }()));
    std::size_t named = 0, kept = 0, lostWithoutRecord = 0, fromRecord = 0;
    for (std::size_t i = 0; i < before.size(); ++i) {
        const int n = original.node(before[i]);
        if (before[i] == query ||
            original.hierarchy.assignments[static_cast<std::size_t>(n)].source != hs::Source::NameScope)
            continue;
        ++named;
        const int m = static_cast<int>(i); // main-graph nodes are the first instances, in order
        kept += l.scopeOf(m) == original.scopeOf(n) &&
                l.hierarchy.assignments[static_cast<std::size_t>(m)].level == hs::Level::High;
        lostWithoutRecord += bare.scopeOf(m) != original.scopeOf(n);
        // The record speaks where nothing else does; a parameter still in the file says the same.
        fromRecord += l.hierarchy.assignments[static_cast<std::size_t>(m)].source == hs::Source::Metadata;
    }
    qInfo("%zu name-scoped nodes renamed: %zu in their module, high (%zu by the record alone); %zu elsewhere "
          "without the record",
          named, kept, fromRecord, lostWithoutRecord);
    QVERIFY(named > 150);
    QCOMPARE(kept, named);
    QVERIFY(fromRecord > 100);
    QVERIFY2(lostWithoutRecord > 0, "renaming should lose some placements without the record");
    const int q = l.node("/encoder/layer.1/attention/self/query/MatMul");
    const hs::Assignment& a = l.hierarchy.assignments[static_cast<std::size_t>(q)];
    QVERIFY(a.conflict);
    QCOMPARE(a.level, hs::Level::Low);
    QCOMPARE(l.scopeOf(q), std::string("encoder"));
}

void TestEmbed::hostileMetadataIsReadWithoutHarm_data() {
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    const char* keys[] = {"hierscope.scope", "hierscope.sidecar_scope", "namespace",
                          "pkg.torch.onnx.name_scopes"};
    const char* values[] = {"",        ".",     "..",      "a..b", ".a.",        "/",
                            "//a//",   ": x/y", "a\tb\nc", "['",   "['a', 'a.b", "layer.0_1/layer.0_1.2",
                            "\xff\xfe"};
    for (const char* key : keys)
        for (const char* value : values)
            QTest::newRow((std::string(key) + " = " + value).c_str()) << key << value;
    QTest::newRow("hierscope.written lists everything") << "hierscope.written"
                                                        << "hierscope.source namespace x";
}

// Node metadata is input like any other: odd scopes, paths and lists on every node of a model (as if a
// manual tag or a sidecar claim, and with a module list of odd lines) give a hierarchy and a copy, never a
// crash; every node is in a module of the tree and the copy opens again.
void TestEmbed::hostileMetadataIsReadWithoutHarm() {
    QFETCH(QString, key);
    QFETCH(QString, value);
    auto model = std::make_shared<hs::Model>(*hs::loadModel(fixture("cnn_resnet.onnx")));
    for (hs::Node& node : model->graphs[0].nodes) {
        node.metadata = {{"hierscope.source", "manual"}, {key.toStdString(), value.toStdString()}};
        if (key != "hierscope.scope") node.metadata.push_back({"hierscope.scope", "layer1.0"});
    }
    model->nodesWithMetadata = model->graphs[0].nodes.size();
    model->metadata.push_back(
        {"hierscope.empty_modules", value.toStdString() + "\n\t\n..\tX\n" + value.toStdString()});
    const hstest::Loaded l = hstest::analyse(model);
    for (const hs::Assignment& a : l.hierarchy.assignments)
        QVERIFY(a.module >= 0 && static_cast<std::size_t>(a.module) < l.hierarchy.modules.size());
    // Embedding writes from the file on disk, whose nodes carry none of this: the hierarchy is what goes in.
    const std::string copy = out("hostile.onnx");
    hs::embedHierarchy(*l.graph, l.hierarchy, copy);
    const hstest::Loaded again = hstest::load(copy);
    QCOMPARE(again.graph->size(), l.graph->size());
}

void TestEmbed::badOutputsAreRefusedWithTheFileNamed() {
    const std::string model = fixture("cnn_resnet.onnx");
    const hstest::Loaded l = hstest::load(model);
    auto refused = [&](const hstest::Loaded& what, const std::string& target, const hs::EmbedOptions& options,
                       const std::string& phrase) {
        try {
            hs::embedHierarchy(*what.graph, what.hierarchy, target, options);
        } catch (const hs::Error& e) {
            const std::string message = e.what();
            QVERIFY2(message.find(phrase) != std::string::npos, message.c_str());
            return;
        }
        QFAIL(("no error for " + target).c_str());
    };
    refused(l, model, {}, "is the model itself");
    refused(l, out("no/such/folder/x.onnx"), {}, "no/such/folder/x.onnx: cannot write");
    // External data: the copy's locations must resolve from its folder.
    const hstest::Loaded ext = hstest::load(sharedModel("genai_builder_tiny_llama_fp16_extdata/model.onnx"));
    refused(ext, out("elsewhere.onnx"), {}, "--copy-external");
    QVERIFY(!fs::exists(out("elsewhere.onnx")));
    fs::create_directories(out("taken"));
    std::ofstream(out("taken/model.onnx.data")) << "someone else's data";
    hs::EmbedOptions copy;
    copy.copyExternal = true;
    refused(ext, out("taken/model.onnx"), copy, "taken/model.onnx.data: exists and differs");
    // Cancelled: nothing is left behind.
    hs::EmbedOptions cancel;
    cancel.progress = [](std::uint64_t, std::uint64_t) { return false; };
    refused(l, out("cancelled.onnx"), cancel, "cancelled");
    QVERIFY(!fs::exists(out("cancelled.onnx")));
    for (const auto& e : fs::directory_iterator(tmp_.path().toStdString()))
        QVERIFY2(e.path().filename().string().find(".tmp-") == std::string::npos, e.path().c_str());
}

std::string readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The weights are read from the model file only while it is the file that was mapped; a file
// touched since is copied from the mapping (the bytes the model was read from), to the same bytes. A file
// whose size changed is refused: the mapping may no longer be readable.
void TestEmbed::aChangedFileIsCopiedFromTheMapping() {
    const std::string model = out("changing.onnx");
    fs::copy_file(sharedModel("tf2onnx_deeplab_v3_mobilenetv2.onnx"), model); // 2.7 MB, weights in long runs
    const hstest::Loaded l = hstest::load(model);
    hs::embedHierarchy(*l.graph, l.hierarchy, out("by_reading.onnx"));
    fs::last_write_time(model, fs::last_write_time(model) + std::chrono::hours(1));
    const int fd = ::open(model.c_str(), O_RDONLY | O_CLOEXEC);
    const bool same = l.model->file->isSameFile(fd);
    ::close(fd);
    QVERIFY(!same);
    hs::embedHierarchy(*l.graph, l.hierarchy, out("by_mapping.onnx"));
    const std::string a = readAll(out("by_reading.onnx")), b = readAll(out("by_mapping.onnx"));
    QVERIFY(a.size() > fs::file_size(model));
    QVERIFY(a == b);
    fs::resize_file(model, fs::file_size(model) / 2);
    try {
        hs::embedHierarchy(*l.graph, l.hierarchy, out("truncated.onnx"));
        QFAIL("a model file cut since it was opened was copied");
    } catch (const hs::Error& e) {
        QVERIFY2(std::string(e.what()).find("changed since it was opened") != std::string::npos, e.what());
    }
}

void TestEmbed::onnx112ReadsNamespaceAndChecksTheCopy_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<QStringList>("expected"); // node name=namespace
    QTest::newRow("bert torch scopes")
        << QString::fromStdString(fixture("bert_like_op17.onnx"))
        << QStringList{"/encoder/layer.0/attention/self/query/MatMul="
                       "encoder/layer.0/attention/self/query",
                       "/embeddings/LayerNorm/LayerNormalization=embeddings/LayerNorm",
                       "/pooler/dense/Gemm=pooler/dense"};
    QTest::newRow("torch 1.10 names, parameters")
        << QString::fromStdString(sharedModel("distilbert_tiny_torch1.10_optimum_test.onnx"))
        << QStringList{"Add_20=distilbert/embeddings/LayerNorm", "Shape_21=distilbert"};
    QTest::newRow("ORT fused") << QString::fromStdString(sharedModel("gpt2_tiny_random_ort_fused_past.onnx"))
                               << QStringList{"FullyConnect_MatMul_4=transformer/h/2/mlp/c_fc"};
    QTest::newRow("tf2onnx") << QString::fromStdString(sharedModel("tf2onnx_deeplab_v3_mobilenetv2.onnx"))
                             << QStringList{"Relu6__22=MobilenetV2/expanded_conv_3"};
    QTest::newRow("If bodies") << QString::fromStdString(sharedModel("silero_vad_16k_op15_torch2.3.onnx"))
                               << QStringList{};
    QTest::newRow("functions") << QString::fromStdString(fixture("bert_like_functions.onnx"))
                               << QStringList{};
}

// As Model Explorer's adapter would: metadata_props["namespace"], read with Debian's ONNX 1.12, which
// does not know NodeProto field 9 (the script parses it from protobuf's unknown fields).
void TestEmbed::onnx112ReadsNamespaceAndChecksTheCopy() {
    QFETCH(QString, model);
    QFETCH(QStringList, expected);
    const hstest::Loaded l = hstest::load(model.toStdString());
    const std::string copy = out("py_" + fs::path(model.toStdString()).filename().string());
    hs::embedHierarchy(*l.graph, l.hierarchy, copy);
    QString output;
    const int code =
        run("/usr/bin/python3",
            QStringList{HS_EMBED_DIR "/read_embedded.py", model, QString::fromStdString(copy)} + expected,
            output);
    if (code == 77) QSKIP(qPrintable(output));
    QVERIFY2(code == 0, qPrintable(output));
    qInfo().noquote() << output.trimmed();
}

// The copy runs in ONNX Runtime with outputs equal to the original's, bit for bit.
void TestEmbed::onnxRuntimeGivesTheSameOutputs() {
    if (!fs::exists(HS_NUMERIC_DIR "/node_modules/onnxruntime-node"))
        QSKIP("onnxruntime-node is not installed in tests/numeric (see tests/numeric/README.md)");
    nlohmann::json manifest = {{"models", nlohmann::json::array()}};
    struct Case {
        std::string model;
        nlohmann::json dims, ranges;
    };
    const std::vector<Case> cases = {
        {fixture("bert_like_op17.onnx"), {{"batch", 2}, {"sequence", 7}}, nlohmann::json::object()},
        {sharedModel("fastestdet_torch2.0.onnx"), nlohmann::json::object(), nlohmann::json::object()},
        {sharedModel("silero_vad_16k_op15_torch2.3.onnx"),
         {{"batch", 1}, {"sequence", 512}},
         {{"sr", {16000, 16001}}}},
        // com.microsoft ops and fp16 weights in external data, copied beside the embedded copy.
        {sharedModel("genai_builder_tiny_llama_fp16_extdata/model.onnx"),
         {{"batch_size", 1},
          {"sequence_length", 1},
          {"past_sequence_length", 4},
          {"total_sequence_length", 5}},
         {{"attention_mask", {1, 2}}, {"input_ids", {0, 32}}, {"position_ids", {0, 1}}}}};
    for (std::size_t k = 0; k < cases.size(); ++k) {
        const Case& c = cases[k];
        const hstest::Loaded l = hstest::load(c.model);
        fs::create_directories(out("ort" + std::to_string(k)));
        const std::string copy = out("ort" + std::to_string(k) + "/" + fs::path(c.model).filename().string());
        hs::EmbedOptions options;
        options.copyExternal = true;
        hs::embedHierarchy(*l.graph, l.hierarchy, copy, options);
        nlohmann::json inputs = nlohmann::json::array();
        for (const hs::ValueInfo& vi : l.model->main().inputs) {
            const int t = l.graph->findTensor(vi.name);
            if (t >= 0 && l.graph->tensor(t).initializer) continue;
            nlohmann::json shape = nlohmann::json::array();
            for (const hs::Dim& d : vi.type.dims)
                shape.push_back(d.param.empty() ? nlohmann::json(d.value) : nlohmann::json(d.param));
            inputs.push_back({{"name", vi.name}, {"elem_type", vi.type.elemType}, {"shape", shape}});
        }
        manifest["models"].push_back({{"original", c.model},
                                      {"copy", copy},
                                      {"inputs", inputs},
                                      {"dims", c.dims},
                                      {"ranges", c.ranges}});
    }
    const std::string path = out("ort_manifest.json");
    std::ofstream(path) << manifest.dump(1);
    QString output;
    const int code =
        run("node", QStringList{HS_NUMERIC_DIR "/check_embed.js", QString::fromStdString(path)}, output);
    if (code == 77) QSKIP(qPrintable(output));
    QVERIFY2(code == 0, qPrintable(output));
    qInfo().noquote() << output.trimmed();
}

// hierscope-cli embed as a script runs it: the sidecar beside the model applied (said on stderr), the
// copy written, --json for pipelines; usage errors exit 2, bad input exits 1 with the file named.
void TestEmbed::commandLine() {
    const QString model = hstest::fixturePath("bert_like_op17.onnx");
    const QString copy = QString::fromStdString(out("cli/bert.onnx"));
    fs::create_directories(out("cli"));
    hstest::CliRun r = hstest::cli({"embed", model, "-o", copy, "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.err.contains(QStringLiteral("bert_like_op17.hierarchy.json")), qPrintable(r.err));
    const auto j = nlohmann::json::parse(r.out.toStdString());
    QCOMPARE(j["nodes_tagged"].get<int>(), 214);
    QCOMPARE(j["ir_version"].get<int>(), 8);
    QCOMPARE(j["file_bytes"].get<std::uint64_t>(), fs::file_size(copy.toStdString()));
    // Opening the copy: the same module tree as the model with its sidecar, no sidecar needed.
    const hstest::CliRun a = hstest::cli({"tree", model, "--json"});
    const hstest::CliRun b = hstest::cli({"tree", copy, "--json"});
    QCOMPARE(b.code, 0);
    QVERIFY(!b.err.contains(QStringLiteral("sidecar")));
    QCOMPARE(b.out, a.out);

    // A sidecar named with --sidecar (another tool's, HTP): its claims travel in the copy.
    const QString htp = hstest::fixturePath("bert_like_op17_htp_sidecar.json");
    const QString htpCopy = QString::fromStdString(out("cli/bert_htp.onnx"));
    QCOMPARE(hstest::cli({"embed", model, "--sidecar", htp, "-o", htpCopy}).code, 0);
    QCOMPARE(hstest::cli({"info", htpCopy, "--json"}).out.section(QStringLiteral("\"notes\""), 0, 0),
             hstest::cli({"info", model, "--sidecar", htp, "--json"})
                 .out.section(QStringLiteral("\"notes\""), 0, 0)
                 .replace(model, htpCopy)
                 .replace(QString::number(fs::file_size(model.toStdString())),
                          QString::number(fs::file_size(htpCopy.toStdString()))));

    QCOMPARE(hstest::cli({"tree", htpCopy, "--json"}).out,
             hstest::cli({"tree", model, "--sidecar", htp, "--json"}).out);

    QCOMPARE(hstest::cli({"embed", model}).code, 2); // no -o
    QCOMPARE(hstest::cli({"embed", "-o", copy}).code, 2);
    QCOMPARE(hstest::cli({"embed", model, "-o", copy, "--bogus"}).code, 2);
    QVERIFY(hstest::cli({"embed", "--help"}).out.contains(QStringLiteral("--copy-external")));
    const QString missing = QString::fromStdString(out("missing.onnx"));
    r = hstest::cli({"embed", missing, "-o", copy});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(missing), qPrintable(r.err));
    r = hstest::cli({"embed", model, "-o", model});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QStringLiteral("is the model itself")), qPrintable(r.err));
    const QString ext =
        QString::fromStdString(sharedModel("genai_builder_tiny_llama_fp16_extdata/model.onnx"));
    r = hstest::cli({"embed", ext, "-o", QString::fromStdString(out("cli/llama.onnx"))});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QStringLiteral("--copy-external")), qPrintable(r.err));
    r = hstest::cli({"embed", ext, "-o", QString::fromStdString(out("cli/llama.onnx")), "--copy-external"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(fs::exists(out("cli/model.onnx.data")));
    QCOMPARE(hstest::cli({"info", QString::fromStdString(out("cli/llama.onnx"))}).code, 0);
}

QTEST_GUILESS_MAIN(TestEmbed)
#include "test_embed.moc"
