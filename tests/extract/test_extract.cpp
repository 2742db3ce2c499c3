// Extraction (issue 4): boundaries, node counts, the checker on written files, function inlining, If
// bodies, manual re-tags, the command line and the errors (external data, metadata and IR versions of
// the output: test_extract_output.cpp). The numeric comparison in ONNX
// Runtime is extract_numeric (numeric_check.cpp).
#include "../core/test_support.h"
#include "common/error.h"
#include "extract/extract.h"
#include "extract/internal.h"
#include "extract_test_util.h"
#include "model/mapped_file.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace hs;
using namespace hstest;

class TestExtract : public QObject {
    Q_OBJECT

private slots:
    void bertAttentionBoundary() {
        auto l = hstest::load(fixture("bert_like_op17.onnx"));
        ExtractionPlan plan = planExtraction(*l.graph, l.hierarchy, "encoder.layer.0.attention");
        // Inputs: the hidden states and the (extended) attention mask; output: the attention output.
        QCOMPARE(joined(names(plan.inputs)),
                 QString("/embeddings/LayerNorm/LayerNormalization_output_0, /Mul_output_0"));
        QCOMPARE(joined(names(plan.outputs)),
                 QString("/encoder/layer.0/attention/output/LayerNorm/LayerNormalization_output_0"));
        int module = l.hierarchy.findModule("encoder.layer.0.attention");
        QCOMPARE(selectedNodes(plan), l.hierarchy.modules[static_cast<std::size_t>(module)].totalNodes);
        QCOMPARE(plan.inputs[0].type.elemType, 1);
        QCOMPARE(plan.inputs[0].type.dims.size(), std::size_t{3});
        QCOMPARE(plan.inputs[0].type.dims[2].value, std::int64_t{32});
        QCOMPARE(plan.inputs[1].type.dims.size(), std::size_t{4});
        QVERIFY(plan.expandedCalls.empty());
        QCOMPARE(plan.initializers.size(),
                 std::size_t{10}); // q, k, v, dense: weight+bias; LayerNorm: weight+bias

        QTemporaryDir dir;
        std::string out = dir.filePath("attention.onnx").toStdString();
        ExtractionResult r = extractModel(plan, out);
        QCOMPARE(checkerError(out), QString());
        onnx::ModelProto m = readModel(out);
        QCOMPARE(static_cast<std::size_t>(m.graph().node_size()), plan.nodes.size());
        QCOMPARE(r.nodes, plan.nodes.size());
        QCOMPARE(m.graph().input_size(), 2);
        QCOMPARE(m.graph().output_size(), 1);
        QCOMPARE(m.graph().initializer_size(), 10);
        QCOMPARE(m.ir_version(), std::int64_t{8});
        QCOMPARE(m.opset_import_size(), 1);
        QCOMPARE(m.opset_import(0).version(), std::int64_t{17});
        QCOMPARE(metadata(m, "hierscope.source_model"), std::string("bert_like_op17.onnx"));
        QCOMPARE(metadata(m, "hierscope.module"), std::string("encoder.layer.0.attention"));
        QVERIFY(r.externalDataPath.empty());
        // Nodes keep their names and order.
        QCOMPARE(m.graph().node(0).name(), l.graph->node(plan.nodes[0].instance).name);
        // Only the model file: no temporary left behind.
        QCOMPARE(filesIn(dir.path()), std::vector<std::string>{"attention.onnx"});
    }

    void bertLayerAndRoot() {
        auto l = hstest::load(fixture("bert_like_op17.onnx"));
        ExtractionPlan layer = planExtraction(*l.graph, l.hierarchy, "encoder.layer.1");
        QCOMPARE(joined(names(layer.inputs)),
                 QString("/encoder/layer.0/output/LayerNorm/LayerNormalization_output_0, /Mul_output_0"));
        QCOMPARE(joined(names(layer.outputs)),
                 QString("last_hidden_state")); // its LayerNorm writes the graph output
        QVERIFY(layer.outputs[0].graphOutput);
        // The root: the graph inputs and outputs of the model itself.
        ExtractionPlan root = planExtraction(*l.graph, l.hierarchy, "");
        std::vector<std::string> in, out;
        for (const auto& vi : l.model->main().inputs)
            in.push_back(vi.name);
        for (const auto& vi : l.model->main().outputs)
            out.push_back(vi.name);
        QCOMPARE(joined(names(root.outputs)), joined(out));
        for (const auto& b : root.inputs)
            QVERIFY2(std::find(in.begin(), in.end(), b.name) != in.end(), b.name.c_str());
        QCOMPARE(root.nodes.size(), l.graph->mainCount());
        QVERIFY(std::all_of(root.outputs.begin(), root.outputs.end(),
                            [](const BoundaryTensor& b) { return b.graphOutput; }));
        QTemporaryDir dir;
        extractModel(root, dir.filePath("root.onnx").toStdString());
        QCOMPARE(checkerError(dir.filePath("root.onnx").toStdString()), QString());
    }

    void gptAndCnnModules() {
        QTemporaryDir dir;
        {
            auto l = hstest::load(fixture("gpt_like.onnx"));
            ExtractionPlan plan = planExtraction(*l.graph, l.hierarchy, "transformer.h.1.attn");
            QCOMPARE(joined(names(plan.inputs)),
                     QString("/transformer/h.1/ln_1/LayerNormalization_output_0"));
            QCOMPARE(joined(names(plan.outputs)), QString("/transformer/h.1/attn/c_proj/Reshape_1_output_0"));
            QVERIFY(plan.copiedConstants > 0); // the causal mask constants of layer 0, shared by torch
            std::string out = dir.filePath("gpt_attn.onnx").toStdString();
            extractModel(plan, out);
            QCOMPARE(checkerError(out), QString());
        }
        {
            auto l = hstest::load(fixture("cnn_torchvision.onnx"));
            ExtractionPlan plan = planExtraction(*l.graph, l.hierarchy, "features.1");
            QCOMPARE(joined(names(plan.inputs)), QString("/features/features.0/features.0.2/Mul_output_0"));
            QCOMPARE(joined(names(plan.outputs)), QString("/features/features.1/features.1.0/Add_output_0"));
            int module = l.hierarchy.findModule("features.1");
            QCOMPARE(selectedNodes(plan), l.hierarchy.modules[static_cast<std::size_t>(module)].totalNodes);
            QCOMPARE(plan.inputs[0].type.dims.size(), std::size_t{4});
            QCOMPARE(plan.inputs[0].type.dims[1].value, std::int64_t{8});
            std::string out = dir.filePath("cnn.onnx").toStdString();
            extractModel(plan, out);
            QCOMPARE(checkerError(out), QString());
        }
    }

    void everyModuleOfTheFixturesPassesTheChecker() {
        QTemporaryDir dir;
        for (const char* name :
             {"bert_like_op17.onnx", "gpt_like.onnx", "cnn_torchvision.onnx", "bert_like_functions.onnx"}) {
            auto l = hstest::load(fixture(name));
            std::size_t extracted = 0;
            for (const auto& module : l.hierarchy.modules) {
                if (module.totalNodes == 0) continue;
                std::string out = dir.filePath("m.onnx").toStdString();
                try {
                    ExtractionPlan plan = planExtraction(*l.graph, l.hierarchy, module.scope);
                    extractModel(plan, out);
                } catch (const Error& e) {
                    QFAIL((std::string(name) + " " + module.scope + ": " + e.what()).c_str());
                }
                QCOMPARE(checkerError(out), QString());
                ++extracted;
            }
            QVERIFY(extracted > 5);
        }
    }

    void nodeKeys() {
        auto l = hstest::load(fixture("bert_like_op17.onnx"));
        ExtractionPlan plan = planExtraction(
            *l.graph, std::vector<std::string>{"/encoder/layer.0/attention/self/query/MatMul"});
        QCOMPARE(plan.nodes.size(), std::size_t{1});
        QCOMPARE(joined(names(plan.inputs)), QString("/embeddings/LayerNorm/LayerNormalization_output_0"));
        QCOMPARE(joined(names(plan.outputs)),
                 QString("/encoder/layer.0/attention/self/query/MatMul_output_0"));
        QCOMPARE(plan.initializers.size(), std::size_t{1});
        QTemporaryDir dir;
        std::string out = dir.filePath("q.onnx").toStdString();
        extractModel(plan, out);
        QCOMPARE(checkerError(out), QString());
        QVERIFY(metadata(readModel(out), "hierscope.nodes").find("query/MatMul") != std::string::npos);
    }

    void manualRetagDecidesMembership() {
        auto l = hstest::load(fixture("bert_like_op17.onnx"));
        const std::string key = "/encoder/layer.0/attention/output/LayerNorm/LayerNormalization";
        int node = l.graph->find(key);
        QVERIFY(node >= 0);
        ExtractionPlan before = planExtraction(*l.graph, l.hierarchy, "encoder.layer.0.attention");
        // Move the attention's final LayerNorm to the intermediate block.
        l.hierarchy.assignManually(node, l.hierarchy.findModule("encoder.layer.0.intermediate"));
        l.hierarchy.refreshModuleSummaries();
        ExtractionPlan after = planExtraction(*l.graph, l.hierarchy, "encoder.layer.0.attention");
        // The LayerNorm leaves, and so do the two Identity copies of its weights (named after its
        // module, so placed there): a weight copy goes where its user goes.
        QCOMPARE(selectedNodes(after), selectedNodes(before) - 3);
        QCOMPARE(joined(names(after.outputs)), QString("/encoder/layer.0/attention/output/Add_output_0"));
        ExtractionPlan intermediate = planExtraction(*l.graph, l.hierarchy, "encoder.layer.0.intermediate");
        QVERIFY(std::any_of(intermediate.nodes.begin(), intermediate.nodes.end(),
                            [&](const PlannedNode& n) { return n.instance == node; }));
        QCOMPARE(
            joined(names(intermediate.inputs)).contains("/encoder/layer.0/attention/output/Add_output_0"),
            true);

        // The same through a sidecar, as `hierscope-cli extract --sidecar` does.
        QTemporaryDir dir;
        std::string sidecarPath = dir.filePath("retag.hierarchy.json").toStdString();
        writeSidecar(sidecarPath, makeSidecar(*l.graph, l.hierarchy));
        Sidecar sidecar = readSidecar(sidecarPath);
        QVERIFY(checkSidecar(*l.graph, sidecar).applicable);
        Hierarchy fromSidecar = inferHierarchy(*l.graph, &sidecar);
        ExtractionPlan viaSidecar = planExtraction(*l.graph, fromSidecar, "encoder.layer.0.attention");
        QCOMPARE(selectedNodes(viaSidecar), selectedNodes(after));
        QCOMPARE(joined(names(viaSidecar.outputs)), joined(names(after.outputs)));
        std::string out = dir.filePath("attention.onnx").toStdString();
        extractModel(viaSidecar, out);
        QCOMPARE(checkerError(out), QString());
        onnx::ModelProto m = readModel(out);
        for (const auto& n : m.graph().node())
            QVERIFY(n.name() != key);
    }

    void localFunctions() {
        auto l = hstest::load(fixture("bert_like_functions.onnx"));
        QTemporaryDir dir;
        // A module that is one call node: the call is kept and its functions come along, transitively;
        // with it the 8 Identity copies of weights named after layer 1's LayerNorms (they are theirs).
        ExtractionPlan encoder = planExtraction(*l.graph, l.hierarchy, "encoder");
        QVERIFY(encoder.expandedCalls.empty());
        QVERIFY(encoder.functions.size() >= 5);
        QCOMPARE(selectedNodes(encoder), std::size_t{9});
        std::string out = dir.filePath("encoder.onnx").toStdString();
        ExtractionResult r = extractModel(encoder, out);
        QCOMPARE(checkerError(out), QString());
        QCOMPARE(r.functions, encoder.functions.size());
        QCOMPARE(readModel(out).functions_size(), static_cast<int>(encoder.functions.size()));
        // A module inside a function body: the calls around it are inlined, names get the call's key.
        ExtractionPlan attention = planExtraction(*l.graph, l.hierarchy, "encoder.layer.0.attention");
        QVERIFY(!attention.expandedCalls.empty());
        QVERIFY(std::any_of(attention.nodes.begin(), attention.nodes.end(),
                            [](const PlannedNode& n) { return n.inlined; }));
        QVERIFY(joined(names(attention.outputs)).contains("::"));
        out = dir.filePath("attention.onnx").toStdString();
        extractModel(attention, out);
        QCOMPARE(checkerError(out), QString());
        // Inside a deeper body: every node inlined, no function needed.
        ExtractionPlan query = planExtraction(*l.graph, l.hierarchy, "encoder.layer.0.attention.self.query");
        out = dir.filePath("query.onnx").toStdString();
        extractModel(query, out);
        QCOMPARE(checkerError(out), QString());
    }

    void inlinedAttributeReferences() {
        // A local function Act(x) = LeakyRelu(x, alpha=@alpha) with a default alpha of 0.5
        // (attribute_proto, field 11, unknown to ONNX 1.12), called without and with alpha.
        onnx::ModelProto m;
        m.set_ir_version(8);
        m.add_opset_import()->set_version(17);
        auto* local = m.add_opset_import();
        local->set_domain("local");
        local->set_version(1);
        auto* fn = m.add_functions();
        fn->set_name("Act");
        fn->set_domain("local");
        fn->add_input("x");
        fn->add_output("y");
        fn->add_attribute("alpha");
        fn->add_opset_import()->set_version(17);
        auto* body = fn->add_node();
        body->set_name("lr");
        body->set_op_type("LeakyRelu");
        body->add_input("x");
        body->add_output("y");
        auto* ref = body->add_attribute();
        ref->set_name("alpha");
        ref->set_type(onnx::AttributeProto_AttributeType_FLOAT);
        ref->set_ref_attr_name("alpha");
        onnx::AttributeProto def;
        def.set_name("alpha");
        def.set_type(onnx::AttributeProto_AttributeType_FLOAT);
        def.set_f(0.5f);
        fn->GetReflection()->MutableUnknownFields(fn)->AddLengthDelimited(11, def.SerializeAsString());
        auto* g = m.mutable_graph();
        g->set_name("calls");
        auto io = [](onnx::ValueInfoProto* vi, const char* name) {
            vi->set_name(name);
            vi->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto_DataType_FLOAT);
            vi->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(4);
        };
        io(g->add_input(), "in");
        for (int k = 1; k <= 2; ++k) {
            auto* call = g->add_node();
            call->set_name("call" + std::to_string(k));
            call->set_op_type("Act");
            call->set_domain("local");
            call->add_input(k == 1 ? "in" : "mid");
            call->add_output(k == 1 ? "mid" : "out");
            if (k == 2) {
                auto* a = call->add_attribute();
                a->set_name("alpha");
                a->set_type(onnx::AttributeProto_AttributeType_FLOAT);
                a->set_f(0.1f);
            }
        }
        io(g->add_output(), "out");
        QTemporaryDir dir;
        std::string source = dir.filePath("calls.onnx").toStdString();
        {
            std::ofstream f(source, std::ios::binary);
            QVERIFY(m.SerializeToOstream(&f));
        }
        auto l = hstest::load(source);
        for (int k = 1; k <= 2; ++k) {
            std::string key = "call" + std::to_string(k) + "::lr";
            QVERIFY2(l.graph->find(key) >= 0, key.c_str());
            ExtractionPlan plan = planExtraction(*l.graph, std::vector<std::string>{key});
            QCOMPARE(plan.expandedCalls.size(), std::size_t{1});
            QVERIFY(plan.functions.empty());
            QCOMPARE(joined(names(plan.inputs)), QString(k == 1 ? "in" : "mid"));
            QCOMPARE(joined(names(plan.outputs)), QString(k == 1 ? "mid" : "out"));
            std::string out = dir.filePath("act.onnx").toStdString();
            extractModel(plan, out);
            QCOMPARE(checkerError(out), QString());
            onnx::ModelProto written = readModel(out);
            QCOMPARE(written.graph().node_size(), 1);
            const auto& node = written.graph().node(0);
            QCOMPARE(node.name(), key);
            QCOMPARE(node.attribute_size(), 1);
            QVERIFY(node.attribute(0).ref_attr_name().empty());
            QCOMPARE(node.attribute(0).f(), k == 1 ? 0.5f : 0.1f);
        }
    }

    void ifBodiesUseOuterTensors() {
        // Generated: y = If(c) { x + w } else { x - w }; z = Relu(y). The bodies read x and the weight w
        // from the main graph.
        onnx::ModelProto m;
        m.set_ir_version(8);
        m.add_opset_import()->set_version(17);
        auto* g = m.mutable_graph();
        g->set_name("if_model");
        auto tensorType = [](onnx::ValueInfoProto* vi, const std::string& name, int type,
                             std::vector<std::int64_t> dims) {
            vi->set_name(name);
            auto* tt = vi->mutable_type()->mutable_tensor_type();
            tt->set_elem_type(type);
            auto* shape = tt->mutable_shape();
            for (auto d : dims)
                shape->add_dim()->set_dim_value(d);
        };
        tensorType(g->add_input(), "c", onnx::TensorProto_DataType_BOOL, {});
        tensorType(g->add_input(), "x", onnx::TensorProto_DataType_FLOAT, {2, 3});
        auto* w = g->add_initializer();
        w->set_name("w");
        w->set_data_type(onnx::TensorProto_DataType_FLOAT);
        w->add_dims(3);
        for (float v : {1.f, 2.f, 3.f})
            w->add_float_data(v);
        auto* ifNode = g->add_node();
        ifNode->set_name("if");
        ifNode->set_op_type("If");
        ifNode->add_input("c");
        ifNode->add_output("y");
        for (const char* branch : {"then_branch", "else_branch"}) {
            auto* a = ifNode->add_attribute();
            a->set_name(branch);
            a->set_type(onnx::AttributeProto_AttributeType_GRAPH);
            auto* body = a->mutable_g();
            body->set_name(branch);
            auto* n = body->add_node();
            n->set_op_type(std::string(branch) == "then_branch" ? "Add" : "Sub");
            n->set_name(std::string(branch) + "_op");
            n->add_input("x");
            n->add_input("w");
            n->add_output(std::string(branch) + "_out");
            tensorType(body->add_output(), std::string(branch) + "_out", onnx::TensorProto_DataType_FLOAT,
                       {2, 3});
        }
        auto* relu = g->add_node();
        relu->set_name("relu");
        relu->set_op_type("Relu");
        relu->add_input("y");
        relu->add_output("z");
        tensorType(g->add_output(), "z", onnx::TensorProto_DataType_FLOAT, {2, 3});
        QTemporaryDir dir;
        std::string source = dir.filePath("if.onnx").toStdString();
        {
            std::ofstream f(source, std::ios::binary);
            QVERIFY(m.SerializeToOstream(&f));
        }
        QCOMPARE(checkerError(source), QString());
        auto l = hstest::load(source);
        ExtractionPlan plan = planExtraction(*l.graph, std::vector<std::string>{"if"});
        QCOMPARE(joined(names(plan.inputs)), QString("c, x"));
        QCOMPARE(joined(plan.outerInputs), QString("x"));
        QCOMPARE(joined(plan.initializers), QString("w")); // read by the bodies: carried, not an input
        QCOMPARE(joined(names(plan.outputs)), QString("y"));
        QCOMPARE(plan.outputs[0].type.dims.size(), std::size_t{2});
        std::string out = dir.filePath("if_only.onnx").toStdString();
        extractModel(plan, out);
        QCOMPARE(checkerError(out), QString());
        // A node inside a body, selected by its key, brings its If node whole (with a note).
        int inner = l.graph->find("if::then_branch::then_branch_op");
        QVERIFY(inner >= 0);
        ExtractionPlan lifted = planSelection(*l.graph, {inner}, "a body node");
        QCOMPARE(lifted.nodes.size(), std::size_t{1});
        QCOMPARE(lifted.nodes[0].instance, l.graph->find("if"));
        QVERIFY(!lifted.notes.empty() && lifted.notes[0].find("included whole") != std::string::npos);

        // A real model with If bodies (silero VAD): outer references become inputs; where an If's output
        // rank depends on the data, the checker cannot accept it and the error says so.
        std::string silero = sharedModel("silero_vad_16k_op15_torch2.3.onnx");
        auto s = hstest::load(silero);
        bool sawOuter = false;
        for (std::size_t i = 0; i < s.graph->mainCount(); ++i) {
            if (s.graph->node(static_cast<int>(i)).opType != "If") continue;
            ExtractionPlan p =
                planExtraction(*s.graph, std::vector<std::string>{s.graph->key(static_cast<int>(i))});
            if (!p.outerInputs.empty()) sawOuter = true;
            QString e = errorOf([&] { extractModel(p, dir.filePath("s.onnx").toStdString()); });
            if (!e.isEmpty())
                QVERIFY2(e.contains("shape of boundary tensor") && e.contains("checker requires it"),
                         qPrintable(e));
        }
        QVERIFY(sawOuter);
        // The LSTM cell lies in If_1's then-branch, which reads two main-graph Constants: they are copied
        // in with the If, not made inputs (planning reads what every node of a body it takes reads, not
        // only what the selected ones do).
        ExtractionPlan rnn = planExtraction(*s.graph, s.hierarchy, "model.decoder.rnn");
        QCOMPARE(joined(names(rnn.inputs)),
                 QString("/model/decoder/Cast_output_0, state, /model/decoder/If_output_0"));
        QCOMPARE(rnn.copiedConstants, std::size_t{3});
        QCOMPARE(rnn.nodes.size(), std::size_t{4});
        // The first If's output is read only inside If_1's then-branch: it still leaves the selection.
        ExtractionPlan firstIf = planExtraction(*s.graph, std::vector<std::string>{"/model/decoder/If"});
        QCOMPARE(joined(names(firstIf.outputs)), QString("/model/decoder/If_output_0"));
        ExtractionPlan stft = planExtraction(*s.graph, s.hierarchy, "model.stft");
        extractModel(stft, dir.filePath("stft.onnx").toStdString());
        QCOMPARE(checkerError(dir.filePath("stft.onnx").toStdString()), QString());
    }

    void commandLine() {
        QTemporaryDir dir;
        auto run = [&](const QStringList& args, QByteArray* out = nullptr) {
            QString command = QString(HS_CLI);
            for (const auto& a : args)
                command += " '" + a + "'";
            command += " > '" + dir.filePath("stdout") + "' 2> '" + dir.filePath("stderr") + "'";
            int status = std::system(command.toLocal8Bit().constData());
            if (out) {
                QFile f(dir.filePath("stdout"));
                f.open(QIODevice::ReadOnly);
                *out = f.readAll();
            }
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        };
        QString model = QString::fromStdString(fixture("bert_like_op17.onnx"));
        QString out = dir.filePath("attention.onnx");
        QByteArray text;
        QCOMPARE(run({"extract", model, "--module", "encoder.layer.0.attention", "-o", out, "--json"}, &text),
                 0);
        auto j = QJsonDocument::fromJson(text).object();
        QCOMPARE(j["inputs"].toArray().size(), 2);
        QCOMPARE(j["inputs"].toArray()[0].toObject()["name"].toString(),
                 QString("/embeddings/LayerNorm/LayerNormalization_output_0"));
        QCOMPARE(j["inputs"].toArray()[0].toObject()["elem_type"].toString(), QString("float"));
        QCOMPARE(j["outputs"].toArray().size(), 1);
        QCOMPARE(j["initializers"].toInt(), 10);
        QVERIFY(j["nodes"].toInt() > 70);
        QCOMPARE(checkerError(out.toStdString()), QString());
        QCOMPARE(run({"extract", model, "--module", "encoder.layer.0.attention", "-o", out}, &text), 0);
        QVERIFY(text.contains("inputs (2):") && text.contains("/Mul_output_0 : float[batch,1,1,sequence]"));
        QCOMPARE(
            run({"extract", model, "--nodes",
                 "/encoder/layer.0/attention/self/query/MatMul,/encoder/layer.0/attention/self/query/Add",
                 "-o", out, "--json"},
                &text),
            0);
        QCOMPARE(QJsonDocument::fromJson(text).object()["selected_nodes"].toInt(), 2);
        QCOMPARE(run({"extract", model, "--module", "encoder.layer.9", "-o", out}), 1);
        QCOMPARE(run({"extract", model, "--module", "encoder", "-o", dir.filePath("no/such/dir/x.onnx")}), 1);
        QCOMPARE(run({"extract", model, "-o", out}), 2);
        QCOMPARE(run({"extract", model, "--module", "encoder"}), 2);
        // With a sidecar that moved a node, membership follows the sidecar.
        auto l = hstest::load(fixture("bert_like_op17.onnx"));
        int node = l.graph->find("/encoder/layer.0/attention/output/LayerNorm/LayerNormalization");
        l.hierarchy.assignManually(node, l.hierarchy.findModule("encoder.layer.0.intermediate"));
        std::string sidecar = dir.filePath("moved.json").toStdString();
        writeSidecar(sidecar, makeSidecar(*l.graph, l.hierarchy));
        QCOMPARE(run({"extract", model, "--module", "encoder.layer.0.attention", "--sidecar",
                      QString::fromStdString(sidecar), "-o", out, "--json"},
                     &text),
                 0);
        j = QJsonDocument::fromJson(text).object();
        QCOMPARE(j["outputs"].toArray()[0].toObject()["name"].toString(),
                 QString("/encoder/layer.0/attention/output/Add_output_0"));
    }

    void errors() {
        auto l = hstest::load(fixture("bert_like_op17.onnx"));
        QString e = errorOf([&] { planExtraction(*l.graph, l.hierarchy, "encoder.layer.7"); });
        QVERIFY2(e.contains("unknown module 'encoder.layer.7'") && e.contains("bert_like_op17.onnx"),
                 qPrintable(e));
        e = errorOf([&] { planExtraction(*l.graph, std::vector<std::string>{}); });
        QVERIFY2(e.contains("nothing to extract"), qPrintable(e));
        e = errorOf([&] { planSelection(*l.graph, {}, "an empty selection"); });
        QVERIFY2(e.contains("nothing to extract") && e.contains("an empty selection"), qPrintable(e));
        e = errorOf([&] { planExtraction(*l.graph, std::vector<std::string>{"no/such/node"}); });
        QVERIFY2(e.contains("no node with key 'no/such/node'"), qPrintable(e));

        ExtractionPlan plan = planExtraction(*l.graph, l.hierarchy, "encoder.layer.0.attention");
        QTemporaryDir dir;
        std::string missingFolder = dir.filePath("no/such/folder/out.onnx").toStdString();
        e = errorOf([&] { extractModel(plan, missingFolder); });
        QVERIFY2(e.contains("cannot write") && e.contains(QString::fromStdString(missingFolder)),
                 qPrintable(e));
        e = errorOf([&] { extractModel(plan, dir.path().toStdString()); });
        QVERIFY2(e.contains("cannot write") && e.contains("directory"), qPrintable(e));
        if (::geteuid() != 0) { // root writes anywhere
            std::string ro = dir.filePath("ro").toStdString();
            std::filesystem::create_directories(ro);
            ::chmod(ro.c_str(), 0555);
            e = errorOf([&] { extractModel(plan, ro + "/out.onnx"); });
            QVERIFY2(e.contains("cannot write"), qPrintable(e));
            ::chmod(ro.c_str(), 0755);
        }
        // An existing output is replaced only by a complete file.
        std::string existing = dir.filePath("keep.onnx").toStdString();
        std::ofstream(existing) << "old";
        extractModel(plan, existing);
        QCOMPARE(checkerError(existing), QString());
    }

    // Planning infers types upstream of the selection only (inference runs forward, so those are the
    // types the whole model gives it): the cone of an early layer holds every producer it depends on
    // and no node of the layers after it.
    void upstreamConeOfALayer() {
        auto l = hstest::load(fixture("bert_like_op17.onnx"));
        const int layer0 = l.hierarchy.findModule("encoder.layer.0");
        std::vector<int> selected;
        for (std::size_t i = 0; i < l.graph->size(); ++i)
            if (l.hierarchy.isAncestorOrSelf(layer0, l.hierarchy.assignments[i].module))
                selected.push_back(static_cast<int>(i));
        const std::vector<char> cone = extraction::upstreamCone(*l.graph, selected);
        for (int i : selected)
            QVERIFY(cone[static_cast<std::size_t>(i)]);
        std::size_t inCone = 0, laterLayer = 0;
        for (std::size_t i = 0; i < l.graph->size(); ++i) {
            const int node = static_cast<int>(i);
            if (l.scopeOf(node).rfind("encoder.layer.1", 0) == 0) ++laterLayer;
            if (!cone[i]) continue;
            ++inCone;
            for (int t : l.graph->inputs(node)) { // closed upstream
                const int producer = l.graph->tensor(t).producer;
                QVERIFY2(producer < 0 || cone[static_cast<std::size_t>(producer)],
                         l.graph->key(node).c_str());
            }
            QVERIFY2(l.scopeOf(node).rfind("encoder.layer.1", 0) != 0 &&
                         l.scopeOf(node).rfind("pooler", 0) != 0,
                     l.graph->key(node).c_str());
        }
        QVERIFY(laterLayer > 0);
        QVERIFY2(inCone < l.graph->size() * 2 / 3, qPrintable(QString::number(inCone)));
    }

    // The types planning infers on a selection's upstream cone are the ones shape inference of the whole
    // model gives the same tensors (it runs forward): every module of every fixture and vendored model,
    // up to 40 per model, planned and compared tensor by tensor with the whole model's inference.
    void coneTypesAreTheWholeModelsTypes_data() {
        QTest::addColumn<QString>("path");
        std::vector<std::filesystem::path> paths;
        for (const char* folder : {HS_FIXTURES, HS_TEST_MODELS})
            for (const auto& entry : std::filesystem::recursive_directory_iterator(folder))
                if (entry.path().extension() == ".onnx") paths.push_back(entry.path());
        std::sort(paths.begin(), paths.end());
        for (const auto& p : paths)
            QTest::newRow(p.filename() == "model.onnx" ? p.parent_path().filename().c_str()
                                                       : p.filename().c_str())
                << QString::fromStdString(p.string());
    }
    void coneTypesAreTheWholeModelsTypes() {
        QFETCH(QString, path);
        auto l = hstest::load(path.toStdString());
        std::string wholeProblem;
        const extraction::ExternalScope externalFiles; // what planning opens around its inference
        const extraction::Flattener all(*l.graph, std::vector<char>(l.graph->size(), 1), true);
        const std::map<std::string, TensorType> whole = extraction::inferTypes(*l.graph, all, wholeProblem);
        const std::size_t modules = l.hierarchy.modules.size();
        std::size_t compared = 0;
        for (std::size_t k = 0; k < std::min<std::size_t>(modules - 1, 40); ++k) {
            const Module& m =
                l.hierarchy.modules[1 + k * (modules - 1) / std::min<std::size_t>(modules - 1, 40)];
            ExtractionPlan plan;
            try {
                plan = planExtraction(*l.graph, l.hierarchy, m.scope);
            } catch (const Error&) { // nothing to extract, or an ambiguous name: not what this test is about
                continue;
            }
            for (const auto* list : {&plan.inputs, &plan.outputs, &plan.internalTypes})
                for (const BoundaryTensor& b : *list) {
                    if (!b.inferred) continue;
                    const auto it = whole.find(b.name);
                    // Where the library stopped on the whole model, the cone may know more; else the same.
                    if (!wholeProblem.empty() && (it == whole.end() || it->second.elemType == 0)) continue;
                    QVERIFY2(it != whole.end(), qPrintable(QString::fromStdString(m.scope + ": " + b.name)));
                    QCOMPARE(QString::fromStdString(formatType(b.type)),
                             QString::fromStdString(formatType(it->second)));
                    ++compared;
                }
        }
        if (compared == 0) QSKIP("no module here has an inferred boundary type");
    }

    // A node inside a body brings its owner, the whole body and what feeds the owner; nothing after.
    void upstreamConeOfABodyNode() {
        auto l = hstest::load(fixture("control_flow.onnx"));
        const int matMul = l.node("/loop/Loop::body::/loop/body/MatMul");
        const int loop = l.node("/loop/Loop"), pre = l.node("/pre/Relu"), post = l.node("/post/Relu");
        QVERIFY(matMul >= 0 && loop >= 0 && pre >= 0 && post >= 0);
        const std::vector<char> cone = extraction::upstreamCone(*l.graph, {matMul});
        QVERIFY(cone[static_cast<std::size_t>(loop)] && cone[static_cast<std::size_t>(pre)]);
        QVERIFY(!cone[static_cast<std::size_t>(post)]);
        for (std::size_t i = 0; i < l.graph->size(); ++i)
            for (int p = l.graph->instance(static_cast<int>(i)).parent; p >= 0;
                 p = l.graph->instance(p).parent)
                if (p == loop) QVERIFY2(cone[i], l.graph->key(static_cast<int>(i)).c_str());

        // A node of a local function's body: the call, all of its body and the call's producers.
        auto f = hstest::load(fixture("bert_like_functions.onnx"));
        int bodyNode = -1;
        for (std::size_t i = 0; i < f.graph->size() && bodyNode < 0; ++i)
            if (f.graph->instance(static_cast<int>(i)).depth > 0 &&
                f.graph->instance(static_cast<int>(i)).parent > 0)
                bodyNode = static_cast<int>(i);
        QVERIFY(bodyNode >= 0);
        const int call = f.graph->instance(bodyNode).parent;
        const std::vector<char> callCone = extraction::upstreamCone(*f.graph, {bodyNode});
        QVERIFY(callCone[static_cast<std::size_t>(call)]);
        for (int c : f.graph->children(call))
            QVERIFY(callCone[static_cast<std::size_t>(c)]);
        for (int t : f.graph->inputs(call))
            if (f.graph->tensor(t).producer >= 0)
                QVERIFY(callCone[static_cast<std::size_t>(f.graph->tensor(t).producer)]);
        QVERIFY(std::count(callCone.begin(), callCone.end(), 1) < static_cast<long>(f.graph->size()));

        // silero VAD's LSTM lies in If_1's then-branch, whose Gather reads two main-graph Constants from
        // the enclosing graph: they are in the cone, with both Ifs.
        auto s = hstest::load(sharedModel("silero_vad_16k_op15_torch2.3.onnx"));
        std::vector<int> rnn;
        const int module = s.hierarchy.findModule("model.decoder.rnn");
        for (std::size_t i = 0; i < s.graph->size(); ++i)
            if (s.hierarchy.isAncestorOrSelf(module, s.hierarchy.assignments[i].module))
                rnn.push_back(static_cast<int>(i));
        const std::vector<char> rnnCone = extraction::upstreamCone(*s.graph, rnn);
        for (const char* key : {"/Constant", "/Constant_1", "/model/decoder/If_1", "/model/decoder/If"})
            QVERIFY2(s.node(key) >= 0 && rnnCone[static_cast<std::size_t>(s.node(key))], key);
    }
};

QTEST_APPLESS_MAIN(TestExtract)
#include "test_extract.moc"
