// Issue 22, item 5: a graph that reads. Constants and weight copies are drawn small, with a small value
// shown inline; a module of one op names its op; a list item is titled with its list ("features[1]").
#include "gui_test_support.h"

#include "document/model_document.h"
#include "graph/graph.h"
#include "graphview/graph_items.h"
#include "graphview/graph_scene.h"
#include "hierarchy/hierarchy.h"

#include <QtTest>

using namespace hs;
using namespace hs::ui;
using namespace hs::ui::test;

namespace {

bool openWindow(MainWindow& w, const QString& path) {
    w.setInteractive(false);
    w.resize(1280, 800);
    w.show();
    return openAndSettle(w, path);
}

// Opens every module of the tree in the graph (small fixtures only), so every op is drawn.
bool expandAll(MainWindow& w) {
    const Hierarchy& h = w.document()->hierarchy;
    for (std::size_t m = 1; m < h.modules.size(); ++m)
        w.graphScene()->setExpanded(static_cast<int>(m), true);
    return w.waitUntilIdle(120000);
}

} // namespace

class TestGraphReading : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void constantsAreSmallWithTheirValue() {
        MainWindow w;
        QVERIFY(openWindow(w, fixture("bert_like_op17.onnx")));
        QVERIFY(expandAll(w));
        const GraphIndex& g = *w.document()->graph;
        int constants = 0, withValue = 0, ops = 0;
        for (int n = 0; n < static_cast<int>(g.size()); ++n) {
            auto* item = static_cast<NodeItem*>(w.graphScene()->itemFor({GraphEntity::Node, n}));
            if (!item) continue;
            const qreal height = item->boundingRect().height() - 10; // the bounding rect's margin
            if (g.node(n).opType == "Constant") {
                ++constants;
                QVERIFY2(height < graph_metrics::nodeHeight * 0.75, g.key(n).c_str());
                withValue += item->name().startsWith(QStringLiteral("= "));
            } else if (!g.isWeightCopy(n)) {
                ++ops;
                QCOMPARE(height, graph_metrics::nodeHeight);
            }
        }
        QVERIFY(constants > 10 && ops > 10);
        // torch's shape and axis constants are scalars or short lists: every one shows its value.
        QCOMPARE(withValue, constants);
        // One value read from the file: the attention's 1/sqrt(d) or a reshape's target, say.
        const int c = g.find("Constant_4");
        if (c >= 0) {
            auto* item = static_cast<NodeItem*>(w.graphScene()->itemFor({GraphEntity::Node, c}));
            QVERIFY(item);
            QVERIFY2(item->name().contains(QRegularExpression(QStringLiteral("^= \\[?-?\\d"))),
                     qPrintable(item->name()));
        }
    }

    void oneOpModulesNameTheirOp() {
        MainWindow w;
        QVERIFY(openWindow(w, fixture("bert_like_op17.onnx")));
        const Hierarchy& h = w.document()->hierarchy;
        const GraphIndex& g = *w.document()->graph;
        int checked = 0;
        for (std::size_t m = 1; m < h.modules.size(); ++m) {
            const Module& mod = h.modules[m];
            if (mod.totalNodes != 1 || mod.nodes.size() != 1) continue;
            w.graphScene()->setExpanded(mod.parent, true);
            QVERIFY(w.waitUntilIdle(60000));
            auto* box = static_cast<ModuleBoxItem*>(w.graphScene()->itemFor({GraphEntity::Module, int(m)}));
            QVERIFY(box);
            QVERIFY2(box->subtitle().endsWith(QString::fromStdString(g.node(mod.nodes[0]).opType)),
                     qPrintable(box->subtitle()));
            QVERIFY(!box->subtitle().contains(QStringLiteral("1 node")));
            if (++checked == 3) break;
        }
        QVERIFY(checked > 0);
    }

    void listItemsReadWithTheirList() {
        MainWindow w;
        QVERIFY(openWindow(w, fixture("cnn_mobilenet_v3.onnx")));
        const Hierarchy& h = w.document()->hierarchy;
        const int features = h.findModule("features");
        QVERIFY(features > 0);
        w.graphScene()->setExpanded(features, true);
        QVERIFY(w.waitUntilIdle(60000));
        const int item = h.findModule("features.1");
        QVERIFY(item > 0);
        auto* box = static_cast<ModuleBoxItem*>(w.graphScene()->itemFor({GraphEntity::Module, item}));
        QVERIFY(box);
        QCOMPARE(box->title(), QStringLiteral("features[1]"));
        QVERIFY(box->toolTip().contains(QStringLiteral("scope: features.1")));
        const int nested = h.findModule("features.1.block.0");
        if (nested > 0) {
            w.graphScene()->setExpanded(item, true);
            w.graphScene()->setExpanded(h.findModule("features.1.block"), true);
            QVERIFY(w.waitUntilIdle(60000));
            auto* b = static_cast<ModuleBoxItem*>(w.graphScene()->itemFor({GraphEntity::Module, nested}));
            QVERIFY(b);
            QCOMPARE(b->title(), QStringLiteral("block[0]"));
        }
    }
};

QTEST_MAIN(TestGraphReading)
#include "test_graph_reading.moc"
