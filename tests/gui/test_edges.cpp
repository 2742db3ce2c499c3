// Every edge drawn (issue 21): inside an expanded module, a tensor that comes from outside it (a residual
// input, a model input used deep inside) or leaves it has a port on the module's border and an edge to
// or from its node, so skip connections can be followed. Checked for every node drawn, in several
// expansion states, on real exports.
#include "document/model_document.h"
#include "graphview/graph_scene.h"
#include "gui_test_support.h"

#include <set>

using namespace hs;
using namespace hs::ui;
using namespace hs::ui::test;

namespace {

using Key = std::pair<int, int>; // (entity kind, index)
Key key(GraphEntity e) {
    return {static_cast<int>(e.kind), e.index};
}

// The entity that shows `node` among the direct children of module `container`, or None when the node
// is outside it.
GraphEntity shownIn(const Hierarchy& h, int container, int node) {
    int m = h.assignments[static_cast<std::size_t>(node)].module;
    if (m == container) return {GraphEntity::Node, node};
    while (m > 0 && h.modules[static_cast<std::size_t>(m)].parent != container)
        m = h.modules[static_cast<std::size_t>(m)].parent;
    return m > 0 ? GraphEntity{GraphEntity::Module, m} : GraphEntity{};
}

// For every node drawn inside an expanded module: each data input has an edge ending at it (from the
// producer's entity there, or from the module's in-port), and each output used outside the module an
// edge to its out-port. Returns how many edges were checked; ports counted in `ports`.
int checkEveryEdgeDrawn(MainWindow& w, int& ports) {
    const GraphIndex& g = *w.document()->graph;
    const Hierarchy& h = w.document()->hierarchy;
    GraphScene* scene = w.graphScene();
    std::set<std::pair<Key, Key>> drawn;
    for (const auto& [from, to] : scene->drawnEdges()) {
        drawn.insert({key(from), key(to)});
        ports += from.kind == GraphEntity::InPort || to.kind == GraphEntity::OutPort;
    }
    int checked = 0;
    for (int m = 1; m < static_cast<int>(h.modules.size()); ++m) {
        for (int node : h.modules[static_cast<std::size_t>(m)].nodes) {
            if (!scene->itemFor({GraphEntity::Node, node})) continue; // not drawn: an ancestor is collapsed
            const Key n = key({GraphEntity::Node, node});
            for (int t : g.inputs(node)) {
                const TensorEntry& e = g.tensor(t);
                if (e.initializer || (e.producer < 0 && !e.graphInput)) continue;
                if (e.producer >= 0 &&
                    (g.opKind(e.producer) == OpKind::Constant || g.isWeightCopy(e.producer)))
                    continue; // weights and hoisted constants: parameters of the op, no port
                const GraphEntity from = e.producer >= 0 ? shownIn(h, m, e.producer) : GraphEntity{};
                const Key source = from.kind != GraphEntity::None ? key(from) : key({GraphEntity::InPort, t});
                if (!drawn.count({source, n}))
                    QTest::qFail(qPrintable(QStringLiteral("no edge into %1 for its input %2")
                                                .arg(QString::fromStdString(g.key(node)),
                                                     QString::fromStdString(std::string(e.name)))),
                                 __FILE__, __LINE__);
                ++checked;
            }
            for (int t : g.outputs(node)) {
                bool leaves = g.tensor(t).graphOutput;
                for (int c : g.consumers(t))
                    leaves = leaves || shownIn(h, m, c).kind == GraphEntity::None;
                if (!leaves) continue;
                if (!drawn.count({n, key({GraphEntity::OutPort, t})}))
                    QTest::qFail(qPrintable(QStringLiteral("no edge out of %1 for %2")
                                                .arg(QString::fromStdString(g.key(node)),
                                                     QString::fromStdString(std::string(g.tensor(t).name)))),
                                 __FILE__, __LINE__);
                ++checked;
            }
        }
    }
    return checked;
}

} // namespace

class TestEdges : public QObject {
    Q_OBJECT
private slots:
    // A torchvision-style MobileNet block: `block(x) + x`. Expanded, the Add shows both inputs.
    void residualInputsOfAnExpandedBlock() {
        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(openAndSettle(w, fixture("cnn_torchvision.onnx")));
        const GraphIndex& g = *w.document()->graph;
        const Hierarchy& h = w.document()->hierarchy;
        int total = 0;
        for (const char* scope :
             {"features", "features.1", "features.1.0", "features.1.0.block", "features.1.0.block.0",
              "features.1.0.block.0.2", "features.1.0.block.1", "features.1.0.block.1.fc1",
              "features.1.0.block.1.activation", "features.1.0.block.1.fc2",
              "features.1.0.block.1.scale_activation", "features.2", "features.2.0", "features.2.0.block"}) {
            QVERIFY(w.expandScope(QString::fromLatin1(scope)));
            QVERIFY(w.waitUntilIdle(60000));
            int ports = 0;
            const int checked = checkEveryEdgeDrawn(w, ports);
            if (QTest::currentTestFailed()) return;
            QVERIFY(ports > 0);
            total += checked;
        }
        QVERIFY2(total > 20, qPrintable(QString::number(total)));
        // The residual Add of features.1.0: its block's output and, through the in-port, the block's input.
        int add = -1;
        for (int n : h.modules[static_cast<std::size_t>(h.findModule("features.1.0"))].nodes)
            if (g.node(n).opType == "Add") add = n;
        QVERIFY(add >= 0);
        int into = 0;
        for (const auto& [from, to] : w.graphScene()->drawnEdges())
            if (to == GraphEntity{GraphEntity::Node, add}) ++into;
        QCOMPARE(into, 2);
    }

    // DenseNet (torchvision's _DenseBlock): every layer feeds all later ones, so the block's input and
    // each layer's output ride a bus (graph_layout.h); every edge is still drawn, everything expanded.
    void denseBlockFanOuts() {
        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(openAndSettle(w, fixture("densenet_small.onnx")));
        const Hierarchy& h = w.document()->hierarchy;
        for (int m = 1; m < static_cast<int>(h.modules.size()); ++m)
            w.graphScene()->setExpanded(m, true);
        QVERIFY(w.waitUntilIdle(60000));
        int ports = 0;
        const int checked = checkEveryEdgeDrawn(w, ports);
        QVERIFY2(checked > 100 && ports > 10, qPrintable(QStringLiteral("%1 %2").arg(checked).arg(ports)));
    }

    // BERT's attention mask: a model input whose extended form is used inside every attention.self.
    void modelInputUsedDeepInside() {
        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(openAndSettle(w, fixture("bert_like_op17.onnx")));
        int total = 0;
        for (const char* scope : {"encoder", "encoder.layer.0", "encoder.layer.0.attention",
                                  "encoder.layer.0.attention.self", "encoder.layer.1"}) {
            QVERIFY(w.expandScope(QString::fromLatin1(scope)));
            QVERIFY(w.waitUntilIdle(60000));
            int ports = 0;
            total += checkEveryEdgeDrawn(w, ports);
            if (QTest::currentTestFailed()) return;
        }
        QVERIFY2(total > 40, qPrintable(QString::number(total)));
        const GraphIndex& g = *w.document()->graph;
        const Hierarchy& h = w.document()->hierarchy;
        const int self = h.findModule("encoder.layer.0.attention.self");
        // The mask comes in through a port of attention.self into its Add (the scores plus the mask).
        bool maskIn = false;
        for (const auto& [from, to] : w.graphScene()->drawnEdges())
            if (from.kind == GraphEntity::InPort && to.kind == GraphEntity::Node &&
                g.node(to.index).opType == "Add" &&
                h.assignments[static_cast<std::size_t>(to.index)].module == self)
                maskIn = true;
        QVERIFY(maskIn);
        // Collapsed again, the module is one box: its ports go with its interior.
        w.graphScene()->setExpanded(self, false);
        QVERIFY(w.waitUntilIdle(60000));
        for (const auto& [from, to] : w.graphScene()->drawnEdges())
            if (to.kind == GraphEntity::Node)
                QVERIFY(h.assignments[static_cast<std::size_t>(to.index)].module != self);
    }
};

QTEST_MAIN(TestEdges)
#include "test_edges.moc"
