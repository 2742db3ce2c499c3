// Model loading: structure without weights, external data, newer IR versions, node metadata_props
// (field 9, unknown to Debian's ONNX 1.12 classes) and clear errors for bad files.
#include "common/error.h"
#include "graph/name_table.h"
#include "model/mapped_file.h"
#include "test_support.h"

#include <onnx/onnx_pb.h>

#include <QTemporaryDir>
#include <QtTest>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <unistd.h>

using namespace hs;
using hstest::fixture;
using hstest::sharedModel;

namespace {

void writeFile(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The error message for opening `path`, or "" when it opened.
QString openError(const std::string& path) {
    try {
        loadModel(path);
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

// Appends NodeProto.metadata_props (field 9) the way newer ONNX writes it.
void addNodeMetadata(onnx::NodeProto& node, const std::string& key, const std::string& value) {
    onnx::StringStringEntryProto entry;
    entry.set_key(key);
    entry.set_value(value);
    node.GetReflection()->MutableUnknownFields(&node)->AddLengthDelimited(9, entry.SerializeAsString());
}

onnx::ModelProto dynamoStyleModel() {
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.set_producer_name("pytorch");
    m.add_opset_import()->set_version(17);
    auto* g = m.mutable_graph();
    g->set_name("main");
    auto addInput = [&](const char* name) {
        auto* vi = g->add_input();
        vi->set_name(name);
        vi->mutable_type()->mutable_tensor_type()->set_elem_type(1);
    };
    addInput("x");
    struct Spec {
        const char* name;
        const char* op;
        const char* in;
        const char* out;
        const char* scopes;
        const char* classes;
    };
    const Spec specs[] = {
        {"node_Relu_0", "Relu", "x", "a", "['', 'enc.0', 'enc.0.act', 'relu']",
         "['__main__.Net', '__main__.Block', 'torch.nn.modules.activation.ReLU', 'aten.relu.default']"},
        {"node_Neg_1", "Neg", "a", "b", "['', 'enc.0', 'neg']",
         "['__main__.Net', '__main__.Block', 'aten.neg.default']"},
        {"node_Relu_2", "Relu", "b", "c", "['', 'enc.1', 'enc.1.act', 'relu_1']",
         "['__main__.Net', '__main__.Block', 'torch.nn.modules.activation.ReLU', 'aten.relu.default']"},
        {"node_Abs_3", "Abs", "c", "y", "['', 'abs']", "['__main__.Net', 'aten.abs.default']"},
    };
    for (const auto& s : specs) {
        auto* n = g->add_node();
        n->set_name(s.name);
        n->set_op_type(s.op);
        n->add_input(s.in);
        n->add_output(s.out);
        addNodeMetadata(*n, "pkg.torch.onnx.name_scopes", s.scopes);
        addNodeMetadata(*n, "pkg.torch.onnx.class_hierarchy", s.classes);
    }
    auto* out = g->add_output();
    out->set_name("y");
    out->mutable_type()->mutable_tensor_type()->set_elem_type(1);
    return m;
}

// Protobuf framing written by hand, so that a large model can be streamed to disk without ever
// holding its weights in memory.
std::string varint(std::uint64_t v) {
    std::string out;
    while (v >= 0x80)
        out += static_cast<char>((v & 0x7f) | 0x80), v >>= 7;
    return out + static_cast<char>(v);
}
std::string field(int number, const std::string& payload) {
    return varint((static_cast<std::uint64_t>(number) << 3) | 2) + varint(payload.size()) + payload;
}
std::string fieldInt(int number, std::uint64_t v) {
    return varint(static_cast<std::uint64_t>(number) << 3) + varint(v);
}

// A model with one float initializer of `bytes` bytes of raw data, written in 1 MiB chunks.
void writeWeightHeavyModel(const std::string& path, std::uint64_t bytes) {
    std::string node = field(1, "x") + field(1, "w") + field(2, "y") + field(3, "add") + field(4, "Add");
    std::string input = field(1, "x");
    std::string output = field(1, "y");
    std::string tensorHead =
        fieldInt(1, bytes / 4) + fieldInt(2, 1) + field(8, "w") + varint((9 << 3) | 2) + varint(bytes);
    std::uint64_t tensorSize = tensorHead.size() + bytes;
    std::string graphHead = field(1, node) + field(2, "g") + field(11, input) + field(12, output) +
                            varint((5 << 3) | 2) + varint(tensorSize);
    std::uint64_t graphSize = graphHead.size() + tensorSize;
    std::string modelHead = fieldInt(1, 8) + field(2, "test") + field(8, fieldInt(2, 17)) +
                            varint((7 << 3) | 2) + varint(graphSize);
    std::ofstream out(path, std::ios::binary);
    out << modelHead << graphHead << tensorHead;
    std::string chunk(1 << 20, '\x11');
    for (std::uint64_t written = 0; written < bytes; written += chunk.size())
        out.write(chunk.data(),
                  static_cast<std::streamsize>(std::min<std::uint64_t>(chunk.size(), bytes - written)));
}

std::uint64_t residentBytes() {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t size = 0, resident = 0;
    statm >> size >> resident;
    return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

// A /proc/self/status figure ("RssFile:" ...) in bytes.
std::uint64_t statusBytes(const char* key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key, 0) == 0) return std::stoull(line.substr(std::strlen(key))) << 10;
    return 0;
}

// The graphs of a parsed ModelProto in the order the loader numbers them: the main graph, each body in
// the order it is met (a node's bodies before the next node's), then each function's body.
template <typename Nodes>
void protoGraphs(const Nodes& nodes, std::vector<std::vector<const onnx::NodeProto*>>& out) {
    out.emplace_back();
    const std::size_t self = out.size() - 1;
    for (const auto& n : nodes) {
        out[self].push_back(&n);
        for (const auto& a : n.attribute()) {
            if (a.has_g()) protoGraphs(a.g().node(), out);
            for (const auto& body : a.graphs())
                protoGraphs(body.node(), out);
        }
    }
}

// Every node's input and output names, in every graph, as the ONNX library parses them.
void checkNamesAgainstProtobuf(const std::string& path) {
    auto model = loadModel(path);
    onnx::ModelProto proto;
    const std::string bytes = readFile(path);
    QVERIFY(proto.ParseFromString(bytes));
    std::vector<std::vector<const onnx::NodeProto*>> graphs;
    protoGraphs(proto.graph().node(), graphs);
    for (const auto& f : proto.functions())
        protoGraphs(f.node(), graphs);
    QCOMPARE(model->graphs.size(), graphs.size());
    std::size_t names = 0;
    for (std::size_t g = 0; g < graphs.size(); ++g) {
        const auto& nodes = model->graphs[g].nodes;
        QCOMPARE(nodes.size(), graphs[g].size());
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            const onnx::NodeProto& n = *graphs[g][i];
            QCOMPARE(nodes[i].inputs.size(), static_cast<std::size_t>(n.input_size()));
            QCOMPARE(nodes[i].outputs.size(), static_cast<std::size_t>(n.output_size()));
            for (int k = 0; k < n.input_size(); ++k)
                QCOMPARE(std::string(nodes[i].inputs[static_cast<std::size_t>(k)]), n.input(k));
            for (int k = 0; k < n.output_size(); ++k)
                QCOMPARE(std::string(nodes[i].outputs[static_cast<std::size_t>(k)]), n.output(k));
            names += nodes[i].inputs.size() + nodes[i].outputs.size();
        }
    }
    QVERIFY(names > 0);
    // The names live in the model's store: a moved model keeps them.
    Model moved = std::move(*std::const_pointer_cast<Model>(model));
    if (!moved.main().nodes.empty() && !moved.main().nodes[0].outputs.empty())
        QCOMPARE(std::string(moved.main().nodes[0].outputs[0]), graphs[0][0]->output(0));
}

} // namespace

class TestModel : public QObject {
    Q_OBJECT
private slots:
    void readsStructureOfARealExport() {
        auto model = loadModel(fixture("bert_like_op17.onnx"));
        QCOMPARE(model->producerName, std::string("pytorch"));
        QCOMPARE(model->main().nodes.size(), std::size_t(214));
        QVERIFY(model->opsets.size() >= 1);
        QCOMPARE(model->opsets[0].version, std::int64_t(17));
        QCOMPARE(model->main().inputs[0].name, std::string("input_ids"));
        QCOMPARE(QString::fromStdString(formatType(model->main().inputs[0].type)),
                 QString("int64[batch,sequence]"));
        // Initializer payloads stay in the file: offsets point at the raw bytes.
        const Initializer* query = nullptr;
        for (const auto& init : model->main().initializers)
            if (init.name == "encoder.layer.0.attention.self.query.bias") query = &init;
        QVERIFY(query);
        QCOMPARE(query->dims, std::vector<std::int64_t>{32});
        QCOMPARE(query->payload.length, std::uint64_t(32 * 4));
        QVERIFY(query->payload.offset + query->payload.length <= model->fileSize);
    }

    void everySharedModelOpens_data() {
        QTest::addColumn<QString>("file");
        for (const char* f :
             {"fastestdet_torch2.0.onnx", "silero_vad_16k_op15_torch2.3.onnx",
              "openwakeword_hey_rhasspy_torch1.13_sequential.onnx",
              "dynamo_seg3d_torch2.9_extdata/model.onnx", "genai_builder_tiny_llama_fp16_extdata/model.onnx",
              "tf2onnx_deeplab_v3_mobilenetv2.onnx", "paddle2onnx_ppocr_mobile_v2_cls.onnx",
              "tf2onnx_local_function_conv2d.onnx"})
            QTest::newRow(f) << f;
    }
    void everySharedModelOpens() {
        QFETCH(QString, file);
        HSTEST_SKIP_IF_ABSENT(sharedModel(file.toStdString()));
        auto l = hstest::load(sharedModel(file.toStdString()));
        QVERIFY(l.graph->size() > 0);
        QCOMPARE(l.hierarchy.assignments.size(), l.graph->size());
    }

    // Issue 23: node inputs and outputs are views into the model's NameStore, gathered while bodies
    // nested in a node's attributes are read: each list must still be the node's own.
    void nodeInputsAndOutputsAreTheFilesNames() {
        checkNamesAgainstProtobuf(fixture("bert_like_op17.onnx"));
        checkNamesAgainstProtobuf(fixture("bert_like_functions.onnx"));
        for (const char* shared :
             {"silero_vad_16k_op15_torch2.3.onnx", "tf2onnx_local_function_conv2d.onnx"}) {
            if (!std::filesystem::exists(sharedModel(shared))) continue;
            checkNamesAgainstProtobuf(sharedModel(shared));
        }
    }

    void subgraphsAreRead() {
        auto model = loadModel(sharedModel("silero_vad_16k_op15_torch2.3.onnx"));
        QCOMPARE(model->main().nodes.size(), std::size_t(121));
        std::size_t all = 0;
        for (const auto& g : model->graphs)
            all += g.nodes.size();
        QCOMPARE(all, std::size_t(350));
        GraphIndex graph(model);
        QCOMPARE(graph.size(), std::size_t(350));
        // Body nodes are keyed under their If node.
        bool nested = false;
        for (std::size_t i = graph.mainCount(); i < graph.size(); ++i)
            nested |= graph.key(static_cast<int>(i)).find("::then_branch::") != std::string::npos;
        QVERIFY(nested);
    }

    void findWithAHintAnswersLikeTheTable() {
        // An unnamed node is keyed "#0"; a node named "#0" is keyed the same. The first holder is the
        // answer, whatever index a caller tries first (sidecar entries are looked up from the one after
        // the last found).
        auto model = std::make_shared<Model>();
        model->graphs.emplace_back();
        Node unnamed, named;
        unnamed.opType = named.opType = "Relu";
        unnamed.inputs = model->names->list({"x"});
        unnamed.outputs = model->names->list({"y"});
        named.name = "#0";
        named.inputs = model->names->list({"y"});
        named.outputs = model->names->list({"z"});
        model->graphs[0].nodes = {unnamed, named};
        GraphIndex graph(model);
        QCOMPARE(graph.key(0), std::string("#0"));
        QCOMPARE(graph.key(1), std::string("#0"));
        QCOMPARE(graph.find("#0"), 0);
        QCOMPARE(graph.find("#0", 1), 0);
        QCOMPARE(graph.find("#0", 0), 0);
        QCOMPARE(graph.find("#1", 1), -1);
        // Unique keys: the hint is taken when it holds the key, the table asked when it does not.
        auto bert = loadModel(fixture("bert_like_op17.onnx"));
        GraphIndex index(bert);
        for (int i = 0; i < static_cast<int>(index.size()); ++i) {
            QCOMPARE(index.find(index.key(i), i), i);
            QCOMPARE(index.find(index.key(i), 0), i);
            QCOMPARE(index.find(index.key(i), static_cast<int>(index.size())), i);
        }
    }

    // The topological order is the file's order wherever the file allows it: at once when the file's
    // order is topological already (a node reading its own output aside), by the heap otherwise.
    void topologicalOrderKeepsTheSourceOrder() {
        using Names = std::vector<std::string_view>;
        auto build = [](const std::vector<std::pair<Names, Names>>& io) {
            auto model = std::make_shared<Model>();
            model->graphs.emplace_back();
            for (const auto& [in, out] : io) {
                Node n;
                n.opType = "Relu";
                n.inputs = model->names->list(in.data(), in.size());
                n.outputs = model->names->list(out.data(), out.size());
                model->graphs[0].nodes.push_back(n);
            }
            return std::make_unique<GraphIndex>(model);
        };
        const auto chain = build({{{"x"}, {"a"}}, {{"a"}, {"b"}}, {{"a", "b"}, {"c"}}});
        QVERIFY(chain->inSourceOrder());
        QCOMPARE(chain->topologicalOrder(), (std::vector<int>{0, 1, 2}));
        const auto selfLoop = build({{{"x"}, {"a"}}, {{"a", "s"}, {"s"}}, {{"s"}, {"c"}}});
        QVERIFY(selfLoop->inSourceOrder());
        QCOMPARE(selfLoop->topologicalOrder(), (std::vector<int>{0, 1, 2}));
        // Node 0 reads what node 2 writes; node 1 reads only the graph input.
        const auto unsorted = build({{{"b"}, {"c"}}, {{"x"}, {"a"}}, {{"a"}, {"b"}}});
        QVERIFY(!unsorted->inSourceOrder());
        QCOMPARE(unsorted->topologicalOrder(), (std::vector<int>{1, 2, 0}));
        // A cycle keeps every node: the ones on it last, in file order.
        const auto cycle = build({{{"x"}, {"a"}}, {{"a", "c"}, {"b"}}, {{"b"}, {"c"}}});
        QVERIFY(!cycle->inSourceOrder());
        QCOMPARE(cycle->topologicalOrder(), (std::vector<int>{0, 1, 2}));
        for (const char* f : {"bert_like_op17.onnx", "cnn_resnet.onnx", "gpt_like.onnx"}) {
            GraphIndex index(loadModel(fixture(f)));
            QVERIFY(index.inSourceOrder());
            std::vector<int> identity(index.mainCount());
            std::iota(identity.begin(), identity.end(), 0);
            QCOMPARE(index.topologicalOrder(), identity);
        }
    }

    // Big graphs' keys are made by another thread while the index links the tensors: every fixture and
    // vendored model indexes the same with the keys made there as made in line.
    void keysMadeOnAnotherThreadIndexTheSame() {
        int models = 0, withBodies = 0;
        for (const char* folder : {HS_FIXTURES, HS_TEST_MODELS})
            for (const auto& e : std::filesystem::recursive_directory_iterator(folder)) {
                if (e.path().extension() != ".onnx") continue;
                std::shared_ptr<const Model> model;
                try {
                    model = loadModel(e.path().string());
                } catch (const Error&) {
                    continue; // the fixtures of bad files
                }
                const GraphIndex inLine(model, std::numeric_limits<std::size_t>::max()), threaded(model, 1);
                const QString what = QString::fromStdString(e.path().filename().string());
                QVERIFY2(inLine.size() == threaded.size() && inLine.mainCount() == threaded.mainCount(),
                         qPrintable(what));
                for (int i = 0; i < static_cast<int>(inLine.size()); ++i) {
                    QVERIFY2(inLine.key(i) == threaded.key(i), qPrintable(what));
                    QVERIFY2(threaded.find(threaded.key(i)) == inLine.find(inLine.key(i)), qPrintable(what));
                    QVERIFY2(std::equal(inLine.inputs(i).begin(), inLine.inputs(i).end(),
                                        threaded.inputs(i).begin(), threaded.inputs(i).end()),
                             qPrintable(what));
                    QVERIFY2(std::equal(inLine.children(i).begin(), inLine.children(i).end(),
                                        threaded.children(i).begin(), threaded.children(i).end()),
                             qPrintable(what));
                }
                withBodies += inLine.size() > inLine.mainCount();
                ++models;
            }
        QVERIFY(models >= 35);
        QVERIFY(withBodies >= 3); // If/Loop bodies and local functions: keys under their callers' keys
    }

    void externalDataIsReferencedNotRead() {
        HSTEST_SKIP_IF_ABSENT(sharedModel("dynamo_seg3d_torch2.9_extdata/model.onnx"));
        auto model = loadModel(sharedModel("dynamo_seg3d_torch2.9_extdata/model.onnx"));
        QCOMPARE(model->irVersion, std::int64_t(10));
        QVERIFY(model->irVersion > knownIrVersion()); // newer than the library: still opens
        std::size_t external = 0;
        for (const auto& init : model->main().initializers)
            if (init.external) {
                ++external;
                QVERIFY(init.externalPath.find("model.onnx.data") != std::string::npos);
            }
        QCOMPARE(external, std::size_t(17));
        QVERIFY(model->externalWeightBytes() > 0);
    }

    void nodeMetadataPropsAreRead() {
        QTemporaryDir dir;
        std::string path = dir.filePath("meta.onnx").toStdString();
        writeFile(path, dynamoStyleModel().SerializeAsString());
        auto l = hstest::load(path);
        QCOMPARE(l.model->main().nodes[0].metadata.size(), std::size_t(2));
        QCOMPARE(l.scopeOf(l.node("node_Relu_0")), std::string("enc.0.act"));
        QCOMPARE(l.scopeOf(l.node("node_Neg_1")), std::string("enc.0"));
        QCOMPARE(l.scopeOf(l.node("node_Relu_2")), std::string("enc.1.act"));
        QCOMPARE(l.scopeOf(l.node("node_Abs_3")), std::string(""));
        int act = l.hierarchy.findModule("enc.0.act");
        int block = l.hierarchy.findModule("enc.0");
        QVERIFY(act > 0 && block > 0);
        QCOMPARE(l.hierarchy.modules[static_cast<std::size_t>(act)].parent, block);
        QCOMPARE(l.hierarchy.modules[static_cast<std::size_t>(act)].className, std::string("ReLU"));
        QCOMPARE(l.hierarchy.modules[static_cast<std::size_t>(block)].className, std::string("Block"));
        QCOMPARE(l.hierarchy.modules[0].className, std::string("Net"));
        QCOMPARE(l.hierarchy.modules[static_cast<std::size_t>(act)].path, std::string("/Net/Block.0/ReLU"));
        for (const auto& a : l.hierarchy.assignments) {
            QCOMPARE(a.source, Source::Metadata);
            QCOMPARE(a.level, Level::High);
        }
    }

    // Opening reads the structure, not the weights: resident memory does not grow with them.
    void weightsAreNotRead() {
        QTemporaryDir dir;
        std::string path = dir.filePath("heavy.onnx").toStdString();
        const std::uint64_t weights = 256ull << 20;
        writeWeightHeavyModel(path, weights);
        std::uint64_t before = residentBytes();
        auto model = loadModel(path);
        GraphIndex graph(model);
        std::uint64_t growth = residentBytes() > before ? residentBytes() - before : 0;
        QCOMPARE(model->main().initializers.size(), std::size_t(1));
        QCOMPARE(model->main().initializers[0].payload.length, weights);
        QCOMPARE(model->weightBytes(), weights);
        QCOMPARE(model->main().nodes[0].opType, std::string("Add"));
        qInfo("resident memory grew by %llu KiB opening a model with %llu MiB of weights",
              static_cast<unsigned long long>(growth >> 10), static_cast<unsigned long long>(weights >> 20));
        QVERIFY2(growth < weights / 20, "opening touched the weights");
    }

    // A structure-heavy file (issue 23): the walk drops the pages it has passed from the mapping, so the
    // file does not stay resident after the open, and the bytes read back the same afterwards.
    void structureWalkLeavesFileUnmapped() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("many_nodes.onnx").toStdString();
        onnx::ModelProto proto;
        proto.set_ir_version(8);
        proto.add_opset_import()->set_version(17);
        onnx::GraphProto* graph = proto.mutable_graph();
        graph->set_name("g");
        graph->add_input()->set_name("t0");
        const int nodes = 60000;
        const std::string scope = "/encoder/" + std::string(120, 's') + "/Identity_";
        for (int i = 0; i < nodes; ++i) {
            onnx::NodeProto* node = graph->add_node();
            node->set_op_type("Identity");
            node->set_name(scope + std::to_string(i));
            node->add_input("t" + std::to_string(i));
            node->add_output("t" + std::to_string(i + 1));
        }
        graph->add_output()->set_name("t" + std::to_string(nodes));
        writeFile(path, proto.SerializeAsString());
        const std::string bytes = readFile(path);
        QVERIFY(bytes.size() > (8u << 20));

        const std::uint64_t before = statusBytes("RssFile:");
        auto model = loadModel(path);
        const std::uint64_t after = statusBytes("RssFile:");
        const std::uint64_t growth = after > before ? after - before : 0;
        QCOMPARE(model->main().nodes.size(), std::size_t(nodes));
        QCOMPARE(model->main().nodes.back().name, scope + std::to_string(nodes - 1));
        qInfo("file-backed resident memory grew by %llu KiB opening a %zu KiB structure-only model",
              static_cast<unsigned long long>(growth >> 10), bytes.size() >> 10);
        QVERIFY2(growth < bytes.size() / 4, "the walked pages stayed mapped");
        // Released pages map again when read: the same bytes.
        const ByteSpan span = model->main().nodes[nodes / 2].span;
        QCOMPARE(model->file->bytes(span.offset, span.length),
                 std::string_view(bytes).substr(span.offset, span.length));
        QVERIFY(model->file->bytes(0, bytes.size()) == std::string_view(bytes));
    }

    // External data beyond 2 GB (a sparse file: nothing is written or read).
    void externalDataOverTwoGigabytes() {
        QTemporaryDir dir;
        std::string data = dir.filePath("big.bin").toStdString();
        const std::uint64_t size = 3ull << 30;
        { std::ofstream out(data, std::ios::binary); }
        std::filesystem::resize_file(data, size);
        onnx::ModelProto m = dynamoStyleModel();
        for (int k = 0; k < 3; ++k) {
            auto* init = m.mutable_graph()->add_initializer();
            init->set_name("w" + std::to_string(k));
            init->set_data_type(1);
            init->add_dims(256 << 20); // 1 GiB of floats each
            init->set_data_location(onnx::TensorProto::EXTERNAL);
            auto add = [&](const char* key, const std::string& value) {
                auto* e = init->add_external_data();
                e->set_key(key);
                e->set_value(value);
            };
            add("location", "big.bin");
            add("offset", std::to_string(static_cast<std::uint64_t>(k) << 30));
            add("length", std::to_string(1ull << 30));
        }
        std::string path = dir.filePath("big.onnx").toStdString();
        writeFile(path, m.SerializeAsString());
        auto model = loadModel(path);
        QCOMPARE(model->externalWeightBytes(), size);
        QCOMPARE(model->main().initializers[2].externalOffset, std::uint64_t(2) << 30);
    }

    void badFilesGiveClearErrors() {
        QTemporaryDir dir;
        std::string good = readFile(fixture("bert_like_op17.onnx"));
        std::string truncated = dir.filePath("truncated.onnx").toStdString();
        writeFile(truncated, good.substr(0, good.size() / 2));
        QString e = openError(truncated);
        QVERIFY2(e.contains("truncated.onnx") && e.contains("truncated or corrupt"), qPrintable(e));

        std::string text = dir.filePath("notes.onnx").toStdString();
        writeFile(text, "This is a text file, not a model.\n");
        e = openError(text);
        QVERIFY2(e.contains("notes.onnx") && (e.contains("not an ONNX model") || e.contains("corrupt")),
                 qPrintable(e));

        std::string empty = dir.filePath("empty.onnx").toStdString();
        writeFile(empty, "");
        e = openError(empty);
        QVERIFY2(e.contains("empty.onnx") && e.contains("empty file"), qPrintable(e));

        e = openError(dir.filePath("absent.onnx").toStdString());
        QVERIFY2(e.contains("absent.onnx") && e.contains("cannot open"), qPrintable(e));

        e = openError(dir.path().toStdString());
        QVERIFY2(e.contains("directory"), qPrintable(e));
    }

    void missingAndHostileExternalData() {
        QTemporaryDir dir;
        auto makeExternal = [&](const std::string& location) {
            onnx::ModelProto m = dynamoStyleModel();
            auto* init = m.mutable_graph()->add_initializer();
            init->set_name("w");
            init->set_data_type(1);
            init->add_dims(4);
            init->set_data_location(onnx::TensorProto::EXTERNAL);
            auto* entry = init->add_external_data();
            entry->set_key("location");
            entry->set_value(location);
            std::string path = dir.filePath("ext.onnx").toStdString();
            writeFile(path, m.SerializeAsString());
            return path;
        };
        QString e = openError(makeExternal("weights.bin"));
        QVERIFY2(e.contains("ext.onnx") && e.contains("missing external data") && e.contains("weights.bin"),
                 qPrintable(e));
        e = openError(makeExternal("../../x"));
        QVERIFY2(e.contains("escapes the model's folder") && e.contains("../../x"), qPrintable(e));
        e = openError(makeExternal("/etc/passwd"));
        QVERIFY2(e.contains("escapes the model's folder"), qPrintable(e));
        // Too short: 4 floats need 16 bytes.
        writeFile(dir.filePath("short.bin").toStdString(), "abc");
        e = openError(makeExternal("short.bin"));
        QVERIFY2(e.contains("too short"), qPrintable(e));
        writeFile(dir.filePath("ok.bin").toStdString(), std::string(16, '\0'));
        auto model = loadModel(makeExternal("ok.bin"));
        QCOMPARE(model->externalWeightBytes(), std::uint64_t(16));
        // Links: one to a file of the folder is followed; one out of it is refused, though the bytes are
        // there.
        QTemporaryDir outside;
        writeFile(outside.filePath("w.bin").toStdString(), std::string(16, '\0'));
        std::filesystem::create_symlink(outside.path().toStdString(), dir.filePath("out").toStdString());
        std::filesystem::create_symlink("ok.bin", dir.filePath("same.bin").toStdString());
        QCOMPARE(loadModel(makeExternal("same.bin"))->externalWeightBytes(), std::uint64_t(16));
        e = openError(makeExternal("out/w.bin"));
        QVERIFY2(e.contains("escapes the model's folder (through a link)") && e.contains("out/w.bin"),
                 qPrintable(e));
    }

    // Found by fuzzing (issue 12): a NUL in a location cut the message (and the path looked up) at the
    // NUL, "-1" lengths wrapped to 2^64-1, long locations and names were echoed whole.
    void externalDataEntriesFromAFuzzer() {
        QTemporaryDir dir;
        writeFile(dir.filePath("model.onnx.data").toStdString(), std::string(16, '\0'));
        auto makeExternal = [&](const std::string& name, const StringPairs& entries) {
            onnx::ModelProto m = dynamoStyleModel();
            auto* init = m.mutable_graph()->add_initializer();
            init->set_name(name);
            init->set_data_type(1);
            init->add_dims(4);
            init->set_data_location(onnx::TensorProto::EXTERNAL);
            for (const auto& [key, value] : entries) {
                auto* entry = init->add_external_data();
                entry->set_key(key);
                entry->set_value(value);
            }
            std::string path = dir.filePath("fuzzed.onnx").toStdString();
            writeFile(path, m.SerializeAsString());
            return path;
        };
        std::string nul("model.onnx.data\0evil", 20);
        QString e = openError(makeExternal("w", {{"location", nul}}));
        QVERIFY2(e.contains("fuzzed.onnx") && e.contains("model.onnx.data\\0evil") && e.contains("NUL"),
                 qPrintable(e));
        for (const char* key : {"length", "offset"}) {
            e = openError(makeExternal("w", {{"location", "model.onnx.data"}, {key, "-1"}}));
            QVERIFY2(e.contains("fuzzed.onnx") && e.contains(QString("invalid external-data ") + key) &&
                         e.contains("'-1'") && !e.contains("18446744073709551615"),
                     qPrintable(e));
        }
        e = openError(
            makeExternal("w", {{"location", "model.onnx.data"}, {"length", "99999999999999999999999"}}));
        QVERIFY2(e.contains("invalid external-data length"), qPrintable(e));
        e = openError(makeExternal(
            "w", {{"location", "model.onnx.data"}, {"offset", "18446744073709551615"}, {"length", "16"}}));
        QVERIFY2(e.contains("too short") && e.contains("16 bytes from offset 18446744073709551615"),
                 qPrintable(e));
        // Names and locations are quoted escaped and bounded: a 100 KB location gives a short line.
        e = openError(
            makeExternal(std::string(100000, 'n') + "\xFF", {{"location", std::string(100000, 'x')}}));
        QVERIFY2(e.contains("fuzzed.onnx") && e.size() < 600 && e.contains("..."), qPrintable(e.left(600)));
    }

    // The index's name table on the sizes of big graphs: 300k names put its slots (2.4 MB) in huge pages.
    // Every name is found with its value, names it never held are not, an unbound name reads as absent
    // until bound, and a copy (shape inference screens each body with a copy of its outer names) is
    // independent of the original.
    void nameTableHoldsBigGraphsNames() {
        constexpr int kNames = 300000;
        std::vector<std::string> names;
        names.reserve(kNames + 1);
        for (int i = 0; i < kNames; ++i)
            names.push_back("/encoder/layer." + std::to_string(i / 100) + "/op_" + std::to_string(i) +
                            "_output_0");
        NameTable table;
        table.reserve(1000); // grows past it: rehashes keep every entry
        for (int i = 0; i < kNames; ++i) {
            const std::size_t hash = NameTable::hashOf(names[static_cast<std::size_t>(i)]);
            table.prefetch(hash);
            QCOMPARE(table.tryEmplace(names[static_cast<std::size_t>(i)], hash, i), std::make_pair(i, true));
        }
        QCOMPARE(table.size(), std::size_t(kNames));
        QCOMPARE(table.tryEmplace(names[7], 99), std::make_pair(7, false)); // the first binding stays
        names.push_back("unbound");
        table.tryEmplace(names.back(), -1);
        QCOMPARE(table.find("unbound"), -1);
        NameTable copy = table;
        QCOMPARE(copy.tryEmplace(names.back(), 5), std::make_pair(5, true)); // bound in the copy only
        QCOMPARE(table.find("unbound"), -1);
        for (int i = 0; i < kNames; i += 997)
            QCOMPARE(copy.find(names[static_cast<std::size_t>(i)]), i);
        for (int i = 0; i < kNames; ++i)
            if (table.find(names[static_cast<std::size_t>(i)]) != i)
                QFAIL(names[static_cast<std::size_t>(i)].c_str());
        QCOMPARE(table.find("/encoder/layer.0/op_300000_output_0"), -1);
        QCOMPARE(table.find(""), -1);
    }
};

QTEST_APPLESS_MAIN(TestModel)
#include "test_model.moc"
