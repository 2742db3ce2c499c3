// Big main graphs are read by two threads (the nodes, and what follows them: initializers, inputs,
// outputs, value infos; core/model/model.cpp). Every model must read the same either way, and every
// bad file must fail with the same message: the tests lower the node count at which the second thread
// starts, to 1, and compare with one thread on every fixture and vendored model.
#include "common/error.h"
#include "model_text.h"
#include "test_support.h"

#include <onnx/onnx_pb.h>

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

using namespace hs;
using hstest::fixture;

namespace {

// One thread, through the mapping: what every other way of reading must give.
const LoadOptions kOneThread{std::numeric_limits<std::size_t>::max(), 0};
const LoadOptions kTwoThreads{1};
constexpr std::size_t kBuffer = std::size_t{2} << 20;
// Two threads reading with pread into buffers (model/file_window.h): the default, through the mapping,
// and buffers so small that fields cross their ends and most bodies are read through the mapping. Then
// the nodes in chunks of 1, 2 and 3 (NodeChunks), the other thread parsing from the back: as it comes,
// and before the loader starts (it parses every chunk it can; a node with a body stops it).
const LoadOptions kTwoThreadWays[] = {
    kTwoThreads,           {1, 0},          {1, 24}, {1, 300}, {1, kBuffer, 1}, {1, 300, 2, true},
    {1, kBuffer, 3, true}, {1, 24, 1, true}};

// The text of the model read with every way of reading, one per line of a failure.
template <typename Read> void expectEveryWayReadsAsOneThread(const std::string& what, Read&& read) {
    const std::string one = read(kOneThread);
    for (const LoadOptions& options : kTwoThreadWays) {
        const std::string two = read(options);
        QVERIFY2(one == two, qPrintable(QString("%1, buffers of %2 bytes: %3 | %4")
                                            .arg(QString::fromStdString(what))
                                            .arg(options.readBufferBytes)
                                            .arg(QString::fromStdString(one.substr(0, 200)))
                                            .arg(QString::fromStdString(two.substr(0, 200)))));
    }
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeFile(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

// The text of the model read with these options, or of the error reading it.
std::string readAs(const std::string& path, const LoadOptions& options) {
    try {
        return hstest::describe(*loadModel(path, options));
    } catch (const Error& e) {
        return std::string("error: ") + e.what();
    }
}

void appendVarint(std::string& out, std::uint64_t v) {
    do {
        char byte = static_cast<char>(v & 0x7f);
        v >>= 7;
        if (v) byte = static_cast<char>(byte | 0x80);
        out += byte;
    } while (v);
}

void appendField(std::string& out, int number, const std::string& payload) {
    appendVarint(out, static_cast<std::uint64_t>(number) << 3 | 2);
    appendVarint(out, payload.size());
    out += payload;
}

// The model's bytes with `graph` (GraphProto fields written by hand, in any order) as its graph.
std::string withGraph(const onnx::ModelProto& model, const std::string& graph) {
    onnx::ModelProto rest = model;
    rest.clear_graph();
    std::string bytes = rest.SerializeAsString();
    appendField(bytes, 7, graph);
    return bytes;
}

// The model with its graph's fields in an order no exporter writes: a node after the initializers, and
// the graph's name last, which the second thread leaves to the loader.
std::string withNodeAfterInitializers(const onnx::ModelProto& model) {
    const onnx::GraphProto& g = model.graph();
    std::string graph;
    for (int i = 0; i + 1 < g.node_size(); ++i)
        appendField(graph, 1, g.node(i).SerializeAsString());
    for (const auto& init : g.initializer())
        appendField(graph, 5, init.SerializeAsString());
    appendField(graph, 1, g.node(g.node_size() - 1).SerializeAsString());
    for (const auto& in : g.input())
        appendField(graph, 11, in.SerializeAsString());
    for (const auto& out : g.output())
        appendField(graph, 12, out.SerializeAsString());
    appendField(graph, 2, "renamed last");
    return withGraph(model, graph);
}

// The model with its first input and first initializer written before the nodes, the rest after them.
std::string withFieldsBeforeTheNodes(const onnx::ModelProto& model) {
    const onnx::GraphProto& g = model.graph();
    std::string graph;
    appendField(graph, 11, g.input(0).SerializeAsString());
    appendField(graph, 5, g.initializer(0).SerializeAsString());
    for (const auto& node : g.node())
        appendField(graph, 1, node.SerializeAsString());
    for (int i = 1; i < g.initializer_size(); ++i)
        appendField(graph, 5, g.initializer(i).SerializeAsString());
    for (int i = 1; i < g.input_size(); ++i)
        appendField(graph, 11, g.input(i).SerializeAsString());
    for (const auto& out : g.output())
        appendField(graph, 12, out.SerializeAsString());
    return withGraph(model, graph);
}

onnx::ModelProto bertLike() {
    onnx::ModelProto proto;
    if (!proto.ParseFromString(readFile(fixture("bert_like_op17.onnx"))))
        throw std::runtime_error("bert_like_op17.onnx does not parse");
    return proto;
}

std::vector<std::string> everyModel() {
    std::vector<std::string> paths;
    for (const char* folder : {HS_FIXTURES, HS_TEST_MODELS})
        for (const auto& e : std::filesystem::recursive_directory_iterator(folder))
            if (e.path().extension() == ".onnx") paths.push_back(e.path().string());
    std::sort(paths.begin(), paths.end());
    return paths;
}

} // namespace

class TestModelThreads : public QObject {
    Q_OBJECT
private slots:
    void everyModelReadsTheSameWithTwoThreads() {
        const std::vector<std::string> paths = everyModel();
        QVERIFY(paths.size() >= 35);
        for (const std::string& path : paths) {
            const std::string one = readAs(path, kOneThread);
            QVERIFY2(one.rfind("error", 0) != 0, qPrintable(QString::fromStdString(path + ": " + one)));
            expectEveryWayReadsAsOneThread(path, [&](const LoadOptions& o) { return readAs(path, o); });
        }
    }

    // A real export has initializers after its nodes; each must keep its offsets and order.
    void initializersOfARealExportAreTheFilesOnes() {
        auto model = loadModel(fixture("bert_like_op17.onnx"), kTwoThreads);
        onnx::ModelProto proto;
        const std::string bytes = readFile(fixture("bert_like_op17.onnx"));
        QVERIFY(proto.ParseFromString(bytes));
        const Graph& g = model->main();
        QCOMPARE(g.initializers.size(), std::size_t(proto.graph().initializer_size()));
        QVERIFY(g.initializers.size() > 10);
        for (int i = 0; i < proto.graph().initializer_size(); ++i) {
            const Initializer& init = g.initializers[static_cast<std::size_t>(i)];
            QCOMPARE(init.name, proto.graph().initializer(i).name());
            QCOMPARE(bytes.substr(init.payload.offset, init.payload.length),
                     proto.graph().initializer(i).raw_data());
        }
        QCOMPARE(g.inputs.size(), std::size_t(proto.graph().input_size()));
        QCOMPARE(g.outputs.front().name, proto.graph().output(0).name());
    }

    void aNodeAfterTheInitializersKeepsItsPlace() {
        const onnx::ModelProto proto = bertLike();
        QTemporaryDir dir;
        const std::string path = dir.filePath("reordered.onnx").toStdString();
        writeFile(path, withNodeAfterInitializers(proto));
        expectEveryWayReadsAsOneThread(path, [&](const LoadOptions& o) { return readAs(path, o); });
        auto model = loadModel(path, kTwoThreads);
        QCOMPARE(model->main().name, std::string("renamed last"));
        QCOMPARE(model->main().nodes.back().name, proto.graph().node(proto.graph().node_size() - 1).name());
        QCOMPARE(model->main().nodes.size(), std::size_t(proto.graph().node_size()));
    }

    // Inputs and initializers written before the nodes come first, as in the file.
    void fieldsBeforeTheNodesKeepTheirPlace() {
        const onnx::ModelProto proto = bertLike();
        QTemporaryDir dir;
        const std::string path = dir.filePath("early.onnx").toStdString();
        writeFile(path, withFieldsBeforeTheNodes(proto));
        expectEveryWayReadsAsOneThread(path, [&](const LoadOptions& o) { return readAs(path, o); });
        auto model = loadModel(path, kTwoThreads);
        const Graph& g = model->main();
        QCOMPARE(g.inputs.size(), std::size_t(proto.graph().input_size()));
        QCOMPARE(g.inputs.front().name, proto.graph().input(0).name());
        QCOMPARE(g.initializers.size(), std::size_t(proto.graph().initializer_size()));
        QCOMPARE(g.initializers.front().name, proto.graph().initializer(0).name());
        QCOMPARE(g.initializers.back().name,
                 proto.graph().initializer(proto.graph().initializer_size() - 1).name());
    }

    // One thread counts the nodes' heads before it reads any of them: a malformed head among the last
    // nodes is met before a malformed body among the first, whichever thread meets which (found by
    // fuzz_model's differential check).
    void aMalformedHeadComesBeforeAMalformedNode() {
        const onnx::ModelProto proto = bertLike();
        const onnx::GraphProto& g = proto.graph();
        QVERIFY(g.node_size() > 12);
        std::string graph;
        for (int i = 0; i < 10; ++i)
            appendField(graph, 1, i == 2 ? std::string("\x00\x00\x00", 3) : g.node(i).SerializeAsString());
        graph += '\x0f'; // field 1 of wire type 7: no such type
        for (int i = 10; i < g.node_size(); ++i)
            appendField(graph, 1, g.node(i).SerializeAsString());
        QTemporaryDir dir;
        const std::string path = dir.filePath("two_errors.onnx").toStdString();
        writeFile(path, withGraph(proto, graph));
        const std::string one = readAs(path, kOneThread);
        QVERIFY2(one.find("unsupported wire type") != std::string::npos, one.c_str());
        expectEveryWayReadsAsOneThread(path, [&](const LoadOptions& o) { return readAs(path, o); });
    }

    // A chunk the other thread gives up on (a node with a body) is parsed again by the loader: the nodes
    // of it the other thread had read before count once, metadata included. silero_vad's main graph has
    // If nodes at 89, 96 and 113; every node here carries metadata_props.
    void nodesOfAChunkGivenUpCountOnce() {
        onnx::ModelProto proto;
        QVERIFY(proto.ParseFromString(
            readFile(std::string(HS_TEST_MODELS) + "/silero_vad_16k_op15_torch2.3.onnx")));
        std::string entry;
        appendField(entry, 1, "pkg.torch.onnx.name_scopes");
        appendField(entry, 2, "['', 'm']");
        std::string graph;
        for (const auto& node : proto.graph().node()) {
            std::string bytes = node.SerializeAsString();
            appendField(bytes, 9, entry);
            appendField(graph, 1, bytes);
        }
        onnx::GraphProto rest = proto.graph();
        rest.clear_node();
        graph += rest.SerializeAsString();
        QTemporaryDir dir;
        const std::string path = dir.filePath("metadata_and_bodies.onnx").toStdString();
        writeFile(path, withGraph(proto, graph));
        auto model = loadModel(path, kOneThread);
        QCOMPARE(model->main().nodes.size(), std::size_t(proto.graph().node_size()));
        QCOMPARE(model->nodesWithMetadata, model->main().nodes.size()); // the bodies' nodes carry none
        expectEveryWayReadsAsOneThread(path, [&](const LoadOptions& o) { return readAs(path, o); });
    }

    // Cut anywhere, a file fails with the same message either way (the first problem in file order),
    // or reads the same.
    void truncatedFilesFailTheSameWay() {
        const std::string good = readFile(fixture("bert_like_op17.onnx"));
        QTemporaryDir dir;
        const std::string path = dir.filePath("cut.onnx").toStdString();
        int failed = 0;
        for (std::size_t cut = good.size() / 97; cut < good.size(); cut += good.size() / 97) {
            writeFile(path, good.substr(0, cut));
            expectEveryWayReadsAsOneThread("cut at " + std::to_string(cut),
                                           [&](const LoadOptions& o) { return readAs(path, o); });
            failed += readAs(path, kOneThread).rfind("error", 0) == 0;
        }
        QVERIFY(failed > 90);
    }
};

QTEST_GUILESS_MAIN(TestModelThreads)
#include "test_model_threads.moc"
