// Cost per node and per module (issue 21): exact MACs of single nodes on real exports, "unknown" never 0,
// module sums, `hierscope-cli cost` and `info` as scripts read them, and an ONNX Runtime profile
// matched to modules (run in onnxruntime-node with profiling on).
#include "../core/cli_run.h"
#include "../core/test_support.h"
#include "analysis/cost.h"
#include "analysis/profile.h"
#include "analysis/tensor_types.h"
#include "common/error.h"
#include "json_events.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <thread>

namespace {

using hstest::cli;

struct Costed {
    hstest::Loaded loaded;
    hs::TensorTypes types;
    hs::CostReport report;
    const hs::NodeCost& node(const std::string& key) const {
        int i = loaded.graph->find(key);
        if (i < 0) qFatal("no node %s", key.c_str());
        return report.nodes[static_cast<std::size_t>(i)];
    }
    const hs::ModuleCost& module(const std::string& scope) const {
        int m = loaded.hierarchy.findModule(scope);
        if (m < 0) qFatal("no module %s", scope.c_str());
        return report.modules[static_cast<std::size_t>(m)];
    }
};

Costed costed(const std::string& path, const hs::DimBindings& dims = {}) {
    Costed c{hstest::load(path), {}, {}};
    c.types = hs::inferTensorTypes(*c.loaded.graph, &dims);
    c.report = hs::computeCost(*c.loaded.graph, c.loaded.hierarchy, c.types, dims);
    return c;
}

// Bytes of `path` this process has mapped and resident (/proc/self/smaps): its Rss over every mapping of it.
std::uint64_t residentMappedBytes(const std::string& path) {
    const std::string name = std::filesystem::canonical(path).string();
    std::ifstream smaps("/proc/self/smaps");
    std::uint64_t total = 0;
    bool ours = false;
    for (std::string line; std::getline(smaps, line);) {
        const bool header = !line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) &&
                            line.find('-') < line.find(' ');
        if (header) {
            ours =
                line.size() >= name.size() && line.compare(line.size() - name.size(), name.size(), name) == 0;
        } else if (ours && line.rfind("Rss:", 0) == 0) {
            total += std::stoull(line.substr(4)) * 1024; // "Rss:   123 kB"
        }
    }
    return total;
}

QJsonObject jsonOf(const hstest::CliRun& r) {
    return QJsonDocument::fromJson(r.out.toUtf8()).object();
}

// Every module's total is its own plus its children's totals; the root's total is the model's.
void checkSums(const hs::Hierarchy& h, const std::vector<double>& own, const std::vector<double>& total) {
    for (std::size_t m = 0; m < h.modules.size(); ++m) {
        double sum = own[m];
        for (int c : h.modules[m].children)
            sum += total[static_cast<std::size_t>(c)];
        QVERIFY2(std::abs(sum - total[m]) <= 1e-6 * std::max(1.0, total[m]), h.modules[m].scope.c_str());
    }
}

} // namespace

class TestCost : public QObject {
    Q_OBJECT
private slots:
    // torchvision-style ResNet, 64x64 input: conv1 is 7x7/2, 3 -> 64 channels, 32x32 out.
    void convMacsAreOutputTimesKernel() {
        Costed c = costed(hstest::fixture("cnn_resnet.onnx"));
        const hs::NodeCost& conv = c.node("/conv1/Conv");
        QCOMPARE(conv.kind, hs::CostKind::Compute);
        QVERIFY(conv.known);
        QCOMPARE(conv.amount, std::uint64_t{64 * 32 * 32 * 3 * 7 * 7}); // 9,633,792
        QCOMPARE(conv.activationBytes, std::uint64_t{64 * 32 * 32 * 4});
        // The symbolic batch counts as 1 unless bound.
        Costed eight = costed(hstest::fixture("cnn_resnet.onnx"), {{"batch", 8}});
        QCOMPARE(eight.node("/conv1/Conv").amount, std::uint64_t{8} * 64 * 32 * 32 * 3 * 7 * 7);
        QCOMPARE(eight.report.total.macs, 8 * c.report.total.macs);
    }

    // MobileNetV3's depthwise 3x3/2 conv on 8 channels of 32x32 (group 8): C/group = 1 per output.
    void groupedConvCountsOneGroupsChannels() {
        Costed c = costed(hstest::fixture("cnn_mobilenet_v3.onnx"));
        const hs::NodeCost& conv = c.node("/features/features.1/block/block.0/block.0.0/Conv");
        QVERIFY(conv.known);
        QCOMPARE(conv.amount, std::uint64_t{8 * 16 * 16 * 1 * 3 * 3}); // 18,432
    }

    void gemmIsMTimesNTimesK() {
        Costed c = costed(hstest::fixture("cnn_resnet.onnx"), {{"batch", 3}});
        const hs::NodeCost& fc = c.node("/fc/Gemm"); // [3, 128] x [10, 128]^T
        QVERIFY(fc.known);
        QCOMPARE(fc.amount, std::uint64_t{3 * 10 * 128});
    }

    // BERT-like, hidden 32: Q K^T is a batched MatMul [B, heads, S, d] x [B, heads, d, S].
    void batchedMatMulCountsEveryBatch() {
        Costed c = costed(hstest::fixture("bert_like_op17.onnx"), {{"batch", 2}, {"sequence", 7}});
        QCOMPARE(c.node("/encoder/layer.0/attention/self/MatMul").amount, std::uint64_t{2 * 7 * 7 * 32});
        QCOMPARE(c.node("/encoder/layer.0/attention/self/query/MatMul").amount,
                 std::uint64_t{2 * 7 * 32 * 32});
        QCOMPARE(c.node("/encoder/layer.0/intermediate/dense/MatMul").amount, std::uint64_t{2 * 7 * 32 * 64});
        // One layer: 4 projections of 32x32, two of 32x64, per token, plus the two attention products.
        QCOMPARE(c.module("encoder.layer.0").total.macs,
                 std::uint64_t{14 * (4 * 32 * 32 + 2 * 32 * 64) + 2 * 3136});
        QCOMPARE(c.report.total.unknownNodes, std::size_t{0});
        std::vector<double> own, total;
        for (const auto& m : c.report.modules)
            own.push_back(static_cast<double>(m.own.macs)),
                total.push_back(static_cast<double>(m.total.macs));
        checkSums(c.loaded.hierarchy, own, total);
        std::uint64_t sum = 0;
        for (const auto& n : c.report.nodes)
            sum += n.kind == hs::CostKind::Compute ? n.amount : 0;
        QCOMPARE(c.report.total.macs, sum);
    }

    // torch 1.10 writes `x.view(bs, -1, heads, dim // heads)` as Shape -> Gather -> Div -> Concat ->
    // Reshape: ONNX 1.12 propagates no Div, so without the dims bound half the tensors have no shape.
    // Bound, the shape arithmetic is evaluated and every tensor is typed (DistilBERT, hidden 2).
    void shapeArithmeticIsEvaluatedWithBoundDims() {
        hstest::Loaded l = hstest::load(hstest::sharedModel("distilbert_tiny_torch1.10_optimum_test.onnx"));
        hs::TypeCounts symbolic = hs::inferTensorTypes(*l.graph).counts(*l.graph);
        QCOMPARE(symbolic.total, std::size_t{192});
        // 103 unknown with ONNX 1.12 alone; extraction's type rules (issue 19) now type these too.
        qInfo("DistilBERT with symbolic dims: %zu of %zu tensors without a type", symbolic.unknown,
              symbolic.total);
        Costed c = costed(hstest::sharedModel("distilbert_tiny_torch1.10_optimum_test.onnx"),
                          {{"batch", 2}, {"sequence", 5}});
        QCOMPARE(c.types.counts(*c.loaded.graph).unknown, std::size_t{0});
        QCOMPARE(c.report.total.unknownNodes, std::size_t{0});
        QCOMPARE(c.node("MatMul_27").amount, std::uint64_t{2 * 5 * 2 * 2}); // q_lin: [2, 5, 2] x [2, 2]
        QCOMPARE(c.node("MatMul_47").amount, std::uint64_t{2 * 5 * 5 * 2}); // Q K^T over all heads
    }

    // torchvision's Swin-T (torch 1.13, 224x224, batch 1, opset 14; ~110 MB, not vendored: export it with
    // tests/cost/generate_torchvision.py or by hand and set HSTEST_SWIN_T_MODEL=/tmp/swin_t.onnx). Its
    // shifted windows compute every block's shapes: F.pad's reversed pads (Slice with step -1), Pad, Range
    // for the masks. Every compute node gets a shape, and the total agrees with torchvision's published
    // 4.49 GFLOPS (multiply-accumulates; its weights' `_ops` metadata: 4.491) to three decimals.
    void swinTransformerShapesAreAllEvaluated() {
        const char* path = std::getenv("HSTEST_SWIN_T_MODEL");
        if (!path || !*path) QSKIP("HSTEST_SWIN_T_MODEL not set (torchvision swin_t export, not vendored)");
        Costed c = costed(path);
        QCOMPARE(c.report.total.unknownNodes, std::size_t{0});
        QCOMPARE(c.report.total.computeNodes, std::size_t{77});
        const double gmacs = static_cast<double>(c.report.total.macs) / 1e9;
        qInfo("Swin-T: %.4f GMACs (torchvision publishes 4.49, 4.491 in its metadata)", gmacs);
        QVERIFY2(std::round(gmacs * 1000) == 4491, qPrintable(QString::number(gmacs, 'f', 4)));
    }

    // ONNX Runtime's fused Attention in GPT-2 (hidden 32, 4 heads): the QKV projection and the two
    // products over the total sequence (past 2 + 3 new = present's 5). ONNX 1.12 types no contrib op,
    // so the input's type is given here as a runtime would see it.
    void ortAttentionCountsProjectionAndProducts() {
        hstest::Loaded l = hstest::load(hstest::sharedModel("gpt2_tiny_random_ort_fused_past.onnx"));
        hs::TensorTypes types = hs::declaredTensorTypes(*l.graph);
        int x = l.graph->findTensor("EmbedLayerNormalization_0_output");
        QVERIFY(x >= 0);
        types.types[static_cast<std::size_t>(x)] = {1, true, {{1, {}}, {3, {}}, {32, {}}}};
        hs::DimBindings dims = {{"batch_size", 1}, {"total_seq_len", 5}, {"past_seq_len", 2}};
        hs::NodeCost a = hs::nodeCost(*l.graph, types, l.graph->find("GptAttention_0"), dims);
        QVERIFY2(a.known, a.why.c_str());
        QCOMPARE(a.amount, std::uint64_t{3 * 32 * 96 + 3 * 5 * (32 + 32)});
    }

    // Without shapes a compute node is unknown, with the reason, and counts in no total as 0 would.
    void unknownShapesAreUnknownNeverZero() {
        hstest::Loaded l = hstest::load(hstest::fixture("cnn_resnet.onnx"));
        hs::TensorTypes declared = hs::declaredTensorTypes(*l.graph); // graph input and output only
        hs::CostReport r = hs::computeCost(*l.graph, l.hierarchy, declared, {});
        const hs::NodeCost& conv =
            r.nodes[static_cast<std::size_t>(l.graph->find("/layer1/layer1.0/conv1/Conv"))];
        QCOMPARE(conv.kind, hs::CostKind::Compute);
        QVERIFY(!conv.known);
        QVERIFY2(conv.why.find("has no known shape") != std::string::npos, conv.why.c_str());
        QCOMPARE(r.total.computeNodes, std::size_t{7});
        QCOMPARE(r.total.unknownNodes, std::size_t{7});
        QCOMPARE(r.total.macs, std::uint64_t{0});
        // The CLI lists them with why (silero VAD: its LSTMs in If bodies, whose tensors are not typed).
        auto run =
            cli({"cost", QString::fromStdString(hstest::sharedModel("silero_vad_16k_op15_torch2.3.onnx")),
                 "--json"});
        QCOMPARE(run.code, 0);
        QJsonObject j = jsonOf(run);
        QJsonArray unknown = j["unknown_nodes"].toArray();
        QVERIFY(!unknown.isEmpty());
        for (const auto& u : unknown) {
            QVERIFY(!u.toObject()["why"].toString().isEmpty());
            QVERIFY(!u.toObject()["node"].toString().isEmpty());
        }
        QCOMPARE(j["total"].toObject()["unknown_macs_nodes"].toInt(), unknown.size());
    }

    // ONNX Runtime's optimized BERT (FusedMatMul, LayerNormalization from com.microsoft's rules) costs
    // what its unfused source does: our rules ran on FusedMatMul before its inputs were known and left
    // [?, 2, ?, ?], which a later round now completes (5 compute nodes were unknown).
    void ortOptimizedBertCostsAsItsSource() {
        Costed source = costed(hstest::fixture("cmp_bert_op17.onnx"));
        Costed fused = costed(hstest::fixture("cmp_bert_op17_ort.onnx"));
        QCOMPARE(fused.report.total.unknownNodes, std::size_t{0});
        QCOMPARE(fused.report.total.macs, source.report.total.macs);
        QCOMPARE(fused.report.total.macs, std::uint64_t{4416});
    }

    void tensorTypesDeclaredInferredUnknown() {
        auto run = cli({"info", hstest::fixturePath("bert_like_op17.onnx"), "--json"});
        QCOMPARE(run.code, 0);
        QJsonObject t = jsonOf(run)["tensor_types"].toObject();
        QCOMPARE(t["declared"].toInt(), 5); // the 3 inputs and 2 outputs
        QCOMPARE(t["inferred"].toInt(), 212);
        QCOMPARE(t["unknown"].toInt(), 0);
        QCOMPARE(t["total"].toInt(), 217);
        run = cli({"info", hstest::fixturePath("bert_like_op17.onnx")});
        QVERIFY2(run.out.contains("tensor types: 5 declared, 212 inferred, 0 unknown of 217"),
                 qPrintable(run.out));
        // info binds the symbolic dims (to 1) as cost does, so torch 1.10's shape arithmetic is evaluated.
        run = cli({"info",
                   QString::fromStdString(hstest::sharedModel("distilbert_tiny_torch1.10_optimum_test.onnx")),
                   "--json"});
        QCOMPARE(run.code, 0);
        t = jsonOf(run)["tensor_types"].toObject();
        QCOMPARE(t["declared"].toInt(), 3);
        QCOMPARE(t["inferred"].toInt(), 189);
        QCOMPARE(t["unknown"].toInt(), 0);
        // Without inference only the declarations are known.
        hstest::Loaded l = hstest::load(hstest::fixture("bert_like_op17.onnx"));
        hs::TypeCounts c = hs::declaredTensorTypes(*l.graph).counts(*l.graph);
        QCOMPARE(c.declared, std::size_t{5});
        QCOMPARE(c.unknown, std::size_t{212});
    }

    // Shape inference parses every node and small initializer of the model. Through the mapping, each
    // fault mapped the pages around them, weights included (deep-1000: 200 MB of its 224 stayed resident
    // after `info`); the nodes are read with pread and the small tensors come from the loader's copies.
    void shapeInferenceMapsNoPageOfTheFile() {
        for (const std::string& path : {hstest::sharedModel("tf2onnx_deeplab_v3_mobilenetv2.onnx"),
                                        hstest::fixture("bert_like_op17.onnx")}) {
            hstest::Loaded l = hstest::load(path);
            std::size_t kept = 0;
            for (const hs::Initializer& init : l.graph->model().main().initializers)
                kept += !init.kept.empty();
            QVERIFY2(kept >= 10, path.c_str()); // biases and norms: what shape inference reads
            const std::uint64_t before = residentMappedBytes(path);
            const hs::DimBindings ones;
            const hs::TypeCounts symbolic = hs::inferTensorTypes(*l.graph).counts(*l.graph),
                                 bound = hs::inferTensorTypes(*l.graph, &ones).counts(*l.graph);
            QVERIFY2(symbolic.inferred > 100 && bound.inferred > 100, path.c_str());
            const std::uint64_t after = residentMappedBytes(path);
            QVERIFY2(after <= before,
                     qPrintable(QString("%1: %2 bytes of the file mapped before inference, %3 after")
                                    .arg(QString::fromStdString(path))
                                    .arg(before)
                                    .arg(after)));
        }
    }

    // The GUI's analysis infers with and without bound dims at once, on two threads over one index: each
    // gives what it gives alone (models with bodies, functions, contrib ops and shape arithmetic).
    void inferenceOnTwoThreadsAtOnceIsTheSame() {
        auto text = [](const hs::TensorTypes& t) {
            std::string out = t.problem + '\n';
            for (const hs::TensorType& type : t.types) {
                out += std::to_string(type.elemType) + (type.hasShape ? "[" : "(");
                for (const hs::Dim& d : type.dims)
                    out += std::to_string(d.value) + ':' + d.param + ',';
                out += '\n';
            }
            return out;
        };
        for (const char* f : {"bert_like_op17.onnx", "control_flow.onnx", "bert_like_functions.onnx",
                              "cmp_bert_op17_ort.onnx", "opset20_layers.onnx"}) {
            hstest::Loaded l = hstest::load(hstest::fixture(f));
            const hs::DimBindings ones;
            const std::string symbolic = text(hs::inferTensorTypes(*l.graph)),
                              bound = text(hs::inferTensorTypes(*l.graph, &ones));
            QVERIFY(symbolic != bound); // the bound dims make a difference, so each result is tested
            for (int round = 0; round < 3; ++round) {
                std::string other;
                std::thread thread([&] { other = text(hs::inferTensorTypes(*l.graph, &ones)); });
                const std::string here = text(hs::inferTensorTypes(*l.graph));
                thread.join();
                QVERIFY2(here == symbolic, f);
                QVERIFY2(other == bound, f);
            }
        }
    }

    // Tensors of If/Loop/Scan bodies take the types inference gives them inside the body: outer values
    // from the enclosing graph, the body inputs of Loop (iteration number, condition) from the spec, the
    // If's outputs from its branches. Fixture: tests/fixtures/generate_control_flow.py.
    void controlFlowBodyTensorsAreTyped() {
        hstest::Loaded l = hstest::load(hstest::fixture("control_flow.onnx"));
        hs::TensorTypes types = hs::inferTensorTypes(*l.graph, nullptr);
        auto typeOf = [&](const std::string& node, bool output, std::size_t slot) -> const hs::TensorType& {
            int i = l.graph->find(node);
            if (i < 0) qFatal("no node %s", node.c_str());
            hs::IndexSpan span = output ? l.graph->outputs(i) : l.graph->inputs(i);
            return types.type(span[slot]);
        };
        // The Loop body's iteration number (int64 scalar) as the Greater deciding the If reads it.
        const hs::TensorType& iter = typeOf("/loop/Loop::body::/loop/body/Greater", false, 0);
        QCOMPARE(iter.elemType, 7);
        QVERIFY(iter.hasShape && iter.dims.empty());
        const hs::TensorType& late = typeOf("/loop/Loop::body::/loop/body/Greater", true, 0);
        QCOMPARE(late.elemType, 9); // bool
        QVERIFY(late.hasShape && late.dims.empty());
        // The condition (from the node's bool input) and the Scan state (from `s0`, float [3]).
        QCOMPARE(typeOf("/loop/Loop::body::/loop/body/Identity", false, 0).elemType, 9);
        const hs::TensorType& state = typeOf("/scan/Scan::body::/scan/body/Add", false, 0);
        QCOMPARE(state.elemType, 1);
        QCOMPARE(state.dims.size(), std::size_t{1});
        QCOMPARE(state.dims[0].value, std::int64_t{3});
        QCOMPARE(types.origin(l.graph->inputs(l.graph->find("/scan/Scan::body::/scan/body/Add"))[0]),
                 hs::TypeOrigin::Inferred);
        // Loop-carried values get no shape from ONNX 1.12 (it may change between iterations), and what
        // is computed from them stays unknown: h_in, mm, the If's branches, h_out, step; h_final, steps.
        hs::TypeCounts c = types.counts(*l.graph);
        QCOMPARE(c.total, std::size_t{21});
        QCOMPARE(c.unknown, std::size_t{11});
    }

    // silero VAD (torch 2.3): its encoder and decoder run in If branches; 31% of its tensors were typed
    // when the bodies' tensors were not read back.
    void sileroIfBodiesAreTyped() {
        const std::string path = hstest::sharedModel("silero_vad_16k_op15_torch2.3.onnx");
        HSTEST_SKIP_IF_ABSENT(path);
        hstest::Loaded l = hstest::load(path);
        hs::DimBindings dims;
        hs::TypeCounts c = hs::inferTensorTypes(*l.graph, &dims).counts(*l.graph);
        qInfo("silero: %zu declared, %zu inferred, %zu unknown of %zu", c.declared, c.inferred, c.unknown,
              c.total);
        QCOMPARE(c.total, std::size_t{361});
        QVERIFY2(c.declared + c.inferred >= 325, "at least 90% typed");
    }

    void costJsonAsScriptsReadIt() {
        auto run = cli({"cost", hstest::fixturePath("cnn_resnet.onnx"), "--json", "--dim", "batch=2",
                        "--sort", "macs", "--depth", "1"});
        QCOMPARE(run.code, 0);
        QJsonObject j = jsonOf(run);
        QJsonObject total = j["total"].toObject();
        QCOMPARE(total["parameters"].toInteger(), 313994);
        QCOMPARE(total["macs"].toInteger(), 2 * 43189504LL);
        QVERIFY(total["activation_bytes"].toInteger() > 0);
        QVERIFY(!total.contains("time_us")); // no profile
        QVERIFY(!j.contains("profile"));
        QJsonArray modules = j["modules"].toArray();
        QCOMPARE(modules[0].toObject()["scope"].toString(), QString());
        QCOMPARE(modules[0].toObject()["total"].toObject()["macs"].toInteger(), 2 * 43189504LL);
        // Depth 1, children by MACs: layer1 (18.9 M per image) before conv1 (9.6 M) and layer2 (14.7 M).
        QStringList order;
        for (int k = 1; k < modules.size(); ++k) {
            QCOMPARE(modules[k].toObject()["depth"].toInt(), 1);
            order << modules[k].toObject()["scope"].toString();
        }
        QCOMPARE(order.mid(0, 3), QStringList({"layer1", "layer2", "conv1"}));
        QJsonObject conv1 = modules[order.indexOf("conv1") + 1].toObject();
        QCOMPARE(conv1["own"].toObject()["macs"].toInteger(), 2 * 9633792LL);
        QCOMPARE(conv1["own"].toObject()["parameters"].toInteger(), 9408LL);
        QCOMPARE(j["unknown_nodes"].toArray().size(), 0);
        // The table ends with the totals.
        run = cli({"cost", hstest::fixturePath("cnn_resnet.onnx")});
        QCOMPARE(run.code, 0);
        QVERIFY2(run.out.contains("MACs:          43189504 (43.19 M) in 7 compute nodes"),
                 qPrintable(run.out));
        // Usage and input errors.
        QCOMPARE(cli({"cost", hstest::fixturePath("cnn_resnet.onnx"), "--dim", "batch"}).code, 2);
        QCOMPARE(cli({"cost", hstest::fixturePath("cnn_resnet.onnx"), "--sort", "time"}).code, 2);
        auto bad = cli(
            {"cost", hstest::fixturePath("cnn_resnet.onnx"), "--profile", hstest::fixturePath("README.md")});
        QCOMPARE(bad.code, 1);
        QVERIFY2(bad.err.contains("README.md: not a JSON profile trace"), qPrintable(bad.err));
    }

    void profileErrorsNameTheFile() {
        hstest::Loaded l = hstest::load(hstest::fixture("cnn_resnet.onnx"));
        QTemporaryDir dir;
        auto write = [&](const char* name, const QByteArray& text) {
            QFile f(dir.filePath(name));
            f.open(QIODevice::WriteOnly);
            f.write(text);
            return dir.filePath(name).toStdString();
        };
        auto message = [&](const std::string& path) -> std::string {
            try {
                hs::readProfile(path, *l.graph);
            } catch (const hs::Error& e) {
                return e.what();
            }
            return "no error";
        };
        std::string object = write("object.json", "{\"a\": 1}");
        QVERIFY(message(object).find("object.json: not an ONNX Runtime profile") != std::string::npos);
        std::string empty = write("empty.json", "[{\"name\": \"model_run\", \"dur\": 5}]");
        QVERIFY(message(empty).find("empty.json: no kernel events") != std::string::npos);
        QVERIFY(message(dir.filePath("absent.json").toStdString()).find("absent.json: cannot read") !=
                std::string::npos);
    }

    // ONNX Runtime's bare list of events is read as a stream, Chrome's {"traceEvents": [...]} as a whole
    // document: the same events give the same profile either way, however odd they are (repeated keys,
    // the last counting; values of the wrong type; lists and scalars among the events; nested args).
    // Plain (every string without escapes: read by analysis/plain_json.h) and escaped (one escape: read
    // by nlohmann's SAX parser instead).
    void streamedTraceReadsAsTheDocument_data() {
        QTest::addColumn<bool>("escaped");
        QTest::newRow("plain") << false;
        QTest::newRow("escaped") << true;
    }

    void streamedTraceReadsAsTheDocument() {
        QFETCH(bool, escaped);
        hstest::Loaded l = hstest::load(hstest::fixture("cnn_resnet.onnx"));
        const std::string a = l.graph->node(0).name, b = l.graph->node(1).name;
        QVERIFY(!a.empty() && !b.empty() && a != b);
        const std::string events =
            "{\"name\": \"model_run\", \"dur\": 9},"
            "{\"name\": \"model_run\"}, 7, \"text\", null, [1, {\"name\": \"" +
            a +
            "_kernel_time\", \"dur\": 1000}],"
            "{\"name\": \"" +
            a +
            "_kernel_time\", \"dur\": 10, \"args\": {\"op_name\": \"Conv\"}},"
            "{\"name\": \"" +
            b +
            "_kernel_time\", \"dur\": 2.5e1, \"dur\": 30},"
            "{\"name\": \"" +
            a +
            "_kernel_time\", \"dur\": \"5\"},"
            "{\"name\": 3, \"dur\": 50},"
            "{\"dur\": 60, \"name\": \"x_kernel_time\", \"args\": {\"op_name\": \"Gemm\", \"op_name\": 4}},"
            "{\"name\": \"y_kernel_time\", \"dur\": 70, \"args\": {\"op_name\": \"Relu\"}, \"args\": {\"o\": "
            "1}},"
            "{\"name\": \"z_kernel_time\", \"dur\": 80, \"args\": [{\"op_name\": \"Add\"}]},"
            "{\"name\": \"w_kernel_time\", \"dur\": 90, \"args\": {\"x\": {\"op_name\": \"Mul\"}, "
            "\"op_name\": \"Sub\"}},"
            "{\"name\": \"v" +
            std::string(escaped ? "\\u005f" : "_") +
            "kernel_time\", \"dur\": 100, \"cat\": {\"name\": \"model_run\"}},"
            "{\"name\": \"" +
            b + "_kernel_time\", \"name\": \"u_kernel_time\", \"dur\": 110, \"args\": 5}";
        QTemporaryDir dir;
        auto read = [&](const char* file, const std::string& text) {
            QFile f(dir.filePath(file));
            f.open(QIODevice::WriteOnly);
            f.write(text.data(), static_cast<qint64>(text.size()));
            f.close();
            return hs::readProfile(dir.filePath(file).toStdString(), *l.graph);
        };
        QCOMPARE(hstest::plainScans(" \n[" + events + "]"), !escaped);
        const hs::Profile streamed = read("list.json", " \n[" + events + "]");
        const hs::Profile whole = read("chrome.json", "{\"traceEvents\": [" + events + "]}");
        QCOMPARE(streamed.runs, std::size_t{2});
        QCOMPARE(streamed.events, std::size_t{8});
        QCOMPARE(streamed.matched, std::size_t{2});
        QCOMPARE(streamed.nodeUs[0], 10.0 / 2);
        QCOMPARE(streamed.nodeUs[1], 30.0 / 2);
        const std::map<std::string, double> ops = {{"?", (60 + 70 + 80 + 100 + 110) / 2.0},
                                                   {"Sub", 90 / 2.0}};
        QCOMPARE(streamed.unmatchedOpsUs, ops);
        QCOMPARE(streamed.unmatchedNames, (std::vector<std::string>{"x", "y", "z", "w", "v", "u"}));
        QCOMPARE(whole.runs, streamed.runs);
        QCOMPARE(whole.events, streamed.events);
        QCOMPARE(whole.matched, streamed.matched);
        QCOMPARE(whole.unmatched, streamed.unmatched);
        QCOMPARE(whole.totalUs, streamed.totalUs);
        QCOMPARE(whole.matchedUs, streamed.matchedUs);
        QCOMPARE(whole.nodeUs, streamed.nodeUs);
        QCOMPARE(whole.unmatchedNames, streamed.unmatchedNames);
        QCOMPARE(whole.unmatchedOpsUs, streamed.unmatchedOpsUs);
        // A list broken half-way names the file and the JSON error, as a broken document does.
        std::string broken;
        try {
            read("broken.json", "[" + events + ", {\"name\": ");
        } catch (const hs::Error& e) {
            broken = e.what();
        }
        QVERIFY2(broken.find("broken.json: not a JSON profile trace (") != std::string::npos, broken.c_str());
    }

    // The plain scanner reads what nlohmann's parser reads, event for event, or gives up: never accepts
    // what nlohmann rejects. Random documents (plain strings, every number syntax, nesting) and, from
    // each, texts with one byte deleted, inserted or replaced.
    void plainScannerReadsAsNlohmannOrGivesUp() {
        std::mt19937 random(20261206);
        auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
        const char* numbers[] = {"0",
                                 "-0",
                                 "12",
                                 "-3.25",
                                 "1e3",
                                 "2E-2",
                                 "6.02e+23",
                                 "1.5e400",
                                 "-1e-400",
                                 "18446744073709551616",
                                 "9007199254740993",
                                 "0.1"};
        // Long ones too: the scanner skips 8 bytes at a time inside strings.
        const char* strings[] = {"",
                                 "name",
                                 "dur",
                                 "args",
                                 "op_name",
                                 "a b",
                                 "x_kernel_time",
                                 "~{}[]:,",
                                 "/encoder/layer.0/attention/self/query/MatMul_kernel_time",
                                 "0123456789abcdefghijklmnopqrstuv"};
        constexpr int kStrings = static_cast<int>(std::size(strings));
        std::function<std::string(int)> value = [&](int depth) -> std::string {
            switch (depth > 3 ? pick(4) : pick(6)) {
            case 0:
                return numbers[pick(12)];
            case 1:
                return std::string("\"") + strings[pick(kStrings)] + "\"";
            case 2:
                return pick(3) == 0 ? "true" : pick(2) ? "false" : "null";
            case 3:
                return std::string("\"") + strings[pick(kStrings)] + strings[pick(kStrings)] + "\"";
            case 4: {
                std::string text = "[";
                for (int k = pick(4); k-- > 0;)
                    text += value(depth + 1) + (k ? ", " : "");
                return text + "]";
            }
            default: {
                std::string text = "{";
                for (int k = pick(4); k-- > 0;)
                    text += "\"" + std::string(strings[pick(kStrings)]) + "\" :" + value(depth + 1) +
                            (k ? ",\n" : "");
                return text + "}";
            }
            }
        };
        int plainRead = 0, mutantsRead = 0;
        for (int round = 0; round < 400; ++round) {
            const std::string text = value(0);
            QVERIFY2(hstest::plainAgreesWithNlohmann(text), text.c_str());
            plainRead += hstest::plainScans(text);
            for (int m = 0; m < 8; ++m) {
                std::string mutant = text;
                const std::size_t at = static_cast<std::size_t>(pick(static_cast<int>(text.size()) + 1));
                const char bytes[] = "{}[]\":,.-+e0 \\\x01\xc3";
                const char c = bytes[pick(static_cast<int>(sizeof bytes) - 1)];
                if (pick(3) == 0 && at < mutant.size())
                    mutant.erase(at, 1);
                else if (pick(2) == 0 && at < mutant.size())
                    mutant[at] = c;
                else
                    mutant.insert(at, 1, c);
                QVERIFY2(hstest::plainAgreesWithNlohmann(mutant), mutant.c_str());
                mutantsRead += hstest::plainScans(mutant);
            }
        }
        QVERIFY(plainRead > 350); // the scanner did read (almost every generated document is plain)
        QVERIFY(mutantsRead > 0);
        // What it leaves to nlohmann: escapes, bytes outside ASCII, numbers beyond a double.
        for (const char* text : {"[\"a\\nb\"]", "[\"\xc3\xa9\"]", "[1e400]", "[\"\x01\"]"})
            QVERIFY2(!hstest::plainScans(text), text);
    }

    // Profile a fixture in ONNX Runtime with optimizations off: every kernel event names a node, and the
    // modules' times add up to the trace's kernel time (summed by the driver, not by Hierscope).
    void profileTimesAddUpAndEveryEventMatches_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QStringList>("dims");
        QTest::newRow("bert") << hstest::fixturePath("bert_like_op17.onnx")
                              << QStringList{"batch=2", "sequence=7"};
        QTest::newRow("cnn") << hstest::fixturePath("cnn_torchvision.onnx") << QStringList{"batch=2"};
    }
    void profileTimesAddUpAndEveryEventMatches() {
        QFETCH(QString, model);
        QFETCH(QStringList, dims);
        QTemporaryDir dir;
        QJsonObject run = profile(model, dir.filePath("trace"), "disabled", dims);
        if (run.isEmpty()) return; // skipped
        hstest::Loaded l = hstest::load(model.toStdString());
        hs::Profile p = hs::readProfile(run["trace"].toString().toStdString(), *l.graph);
        QCOMPARE(p.runs, std::size_t{3});
        QCOMPARE(p.events, static_cast<std::size_t>(run["events"].toInt()));
        QCOMPARE(p.unmatched, std::size_t{0});
        QCOMPARE(p.matched, p.events);
        QVERIFY(p.totalUs > 0);
        QVERIFY(std::abs(p.totalUs - run["kernel_us_per_run"].toDouble()) < 1e-6 * p.totalUs);
        std::vector<hs::ModuleTime> times = hs::moduleTimes(p, *l.graph, l.hierarchy);
        double own = 0;
        std::vector<double> owns, totals;
        for (const auto& t : times) {
            own += t.ownUs;
            owns.push_back(t.ownUs), totals.push_back(t.totalUs);
            double ops = 0;
            for (const auto& [op, us] : t.opsUs)
                ops += us;
            QVERIFY(std::abs(ops - t.totalUs) <= 1e-6 * std::max(1.0, t.totalUs));
        }
        QVERIFY(std::abs(own - p.totalUs) <= 1e-6 * p.totalUs);
        QVERIFY(std::abs(times[0].totalUs - p.totalUs) <= 1e-6 * p.totalUs);
        checkSums(l.hierarchy, owns, totals);
        // The CLI reports the same.
        QStringList args = {"cost", model, "--json", "--profile", run["trace"].toString()};
        for (const auto& d : dims)
            args << "--dim" << d;
        auto cost = cli(args);
        QCOMPARE(cost.code, 0);
        QJsonObject j = jsonOf(cost);
        QJsonObject prof = j["profile"].toObject();
        QCOMPARE(prof["runs"].toInt(), 3);
        QCOMPARE(prof["events"].toInt(), run["events"].toInt());
        QCOMPARE(prof["matched"].toInt(), run["events"].toInt());
        QCOMPARE(prof["unmatched"].toInt(), 0);
        QVERIFY(std::abs(j["total"].toObject()["time_us"].toDouble() - p.totalUs) < 1e-6 * p.totalUs);
        QVERIFY(std::abs(j["modules"].toArray()[0].toObject()["total"].toObject()["time_us"].toDouble() -
                         p.totalUs) < 1e-6 * p.totalUs);
    }

    // `diff --profile-a --profile-b`: per module, the kernel time per run on both sides; the roots' are
    // the traces' totals, every matched module has both, and one profile alone is a usage error.
    void diffShowsTimePerModuleOfBothProfiles() {
        QTemporaryDir dir;
        const QString model = hstest::fixturePath("cnn_torchvision.onnx");
        QJsonObject runA = profile(model, dir.filePath("a"), "disabled", {"batch=2"});
        if (runA.isEmpty()) return;
        QJsonObject runB = profile(model, dir.filePath("b"), "disabled", {"batch=1"});
        if (runB.isEmpty()) return;
        const QString traceA = runA["trace"].toString(), traceB = runB["trace"].toString();
        auto diff = cli({"diff", model, model, "--json", "--profile-a", traceA, "--profile-b", traceB});
        QCOMPARE(diff.code, 0);
        QJsonObject j = jsonOf(diff);
        const double a = runA["kernel_us_per_run"].toDouble(), b = runB["kernel_us_per_run"].toDouble();
        QVERIFY(std::abs(j["a"].toObject()["profile"].toObject()["time_us"].toDouble() - a) < 1e-6 * a);
        QVERIFY(std::abs(j["b"].toObject()["profile"].toObject()["time_us"].toDouble() - b) < 1e-6 * b);
        QJsonArray modules = j["modules"].toArray();
        QVERIFY(modules.size() > 100);
        QJsonArray root = modules[0].toObject()["time_us"].toArray();
        QVERIFY(std::abs(root[0].toDouble() - a) < 1e-6 * a);
        QVERIFY(std::abs(root[1].toDouble() - b) < 1e-6 * b);
        for (const auto& m : modules) {
            QJsonArray t = m.toObject()["time_us"].toArray();
            QCOMPARE(t.size(), 2);
            QVERIFY(t[0].isDouble() && t[1].isDouble());
        }
        auto text = cli({"diff", model, model, "--profile-a", traceA, "--profile-b", traceB});
        QCOMPARE(text.code, 0);
        QVERIFY2(
            text.out.contains(QRegularExpression(R"(\(root\)  \[nodes 186 -> 186, parameters \d+ -> \d+, )"
                                                 R"(time \d+\.\d -> \d+\.\d us\])")),
            qPrintable(text.out.left(400)));
        auto one = cli({"diff", model, model, "--profile-a", traceA});
        QCOMPARE(one.code, 2);
        QVERIFY2(one.err.contains("--profile-a and --profile-b"), qPrintable(one.err));
    }

    // With ONNX Runtime's optimizations on, fused nodes name nothing in the file: counted, named, and
    // the note says how to profile instead.
    void fusedEventsAreCountedAsUnmatched() {
        QTemporaryDir dir;
        QString model = hstest::fixturePath("bert_like_op17.onnx");
        QJsonObject run = profile(model, dir.filePath("trace"), "all", {"batch=2", "sequence=7"});
        if (run.isEmpty()) return;
        hstest::Loaded l = hstest::load(model.toStdString());
        hs::Profile p = hs::readProfile(run["trace"].toString().toStdString(), *l.graph);
        QVERIFY(p.unmatched > 0);
        QCOMPARE(p.matched + p.unmatched, p.events);
        QVERIFY(!p.unmatchedNames.empty());
        QVERIFY(hs::unmatchedNote(p).find("graphOptimizationLevel 'disabled'") != std::string::npos);
        std::vector<hs::ModuleTime> times = hs::moduleTimes(p, *l.graph, l.hierarchy);
        QVERIFY(std::abs(times[0].totalUs - p.matchedUs) <= 1e-6 * p.totalUs);
        QVERIFY(p.matchedUs < p.totalUs);
    }

private:
    // Runs tests/cost/profile_run.js; an empty object when onnxruntime-node is absent (skips the test).
    QJsonObject profile(const QString& model, const QString& prefix, const QString& level,
                        const QStringList& dims) {
        QProcess node;
        node.start("node",
                   QStringList{QString(HS_COST_DIR) + "/profile_run.js", model, prefix, "3", level} + dims);
        if (!node.waitForStarted()) {
            QTest::qSkip("node is not installed", __FILE__, __LINE__);
            return {};
        }
        node.waitForFinished(120000);
        if (node.exitCode() == 77) {
            QTest::qSkip("onnxruntime-node is not installed in tests/numeric/node_modules", __FILE__,
                         __LINE__);
            return {};
        }
        const QByteArray out = node.readAllStandardOutput();
        if (node.exitCode() != 0) {
            QTest::qFail(qPrintable("profile_run.js failed: " + node.readAllStandardError()), __FILE__,
                         __LINE__);
            return {};
        }
        return QJsonDocument::fromJson(out).object();
    }
};

QTEST_GUILESS_MAIN(TestCost)
#include "test_cost.moc"
