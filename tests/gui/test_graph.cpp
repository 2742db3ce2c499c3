// The graph as a user sees it: module interiors laid out lazily off the UI thread, expansion from the
// tree, a screenshot that actually shows a graph, picture export.
#include "gui_test_support.h"

#include "graph_scene.h"
#include "graph_view.h"
#include "model_document.h"
#include "module_tree_model.h"

#include <QGraphicsItem>
#include <QTemporaryDir>
#include <QTreeView>
#include <algorithm>

using namespace hs;
using namespace hs::ui;
using namespace hs::ui::test;

class TestGraph : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void rootShowsTopModulesCollapsed();
    void expandFromTreeShowsDirectChildren();
    void layoutRunsOffTheUiThread();
    void screenshotIsNotBlank();
    void exportsPictures();
};

static std::vector<GraphEntity> sorted(std::vector<GraphEntity> v) {
    std::sort(v.begin(), v.end(), [](auto a, auto b) {
        return std::make_pair(a.kind, a.index) < std::make_pair(b.kind, b.index);
    });
    return v;
}

static std::vector<GraphEntity> directChildren(const Hierarchy& h, int module) {
    std::vector<GraphEntity> v;
    for (int n : h.modules[module].nodes)
        v.push_back({GraphEntity::Node, n});
    for (int c : h.modules[module].children)
        v.push_back({GraphEntity::Module, c});
    return sorted(v);
}

void TestGraph::rootShowsTopModulesCollapsed() {
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QVERIFY(openAndSettle(w, fixture("bert_like_op17.onnx")));
    const Hierarchy& h = w.document()->hierarchy;
    QCOMPARE(sorted(w.graphScene()->visibleChildren(0)), directChildren(h, 0));
    for (int top : h.modules[0].children)
        QVERIFY(!w.graphScene()->isExpanded(top));
}

void TestGraph::expandFromTreeShowsDirectChildren() {
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QVERIFY(openAndSettle(w, fixture("bert_like_op17.onnx")));
    const Hierarchy& h = w.document()->hierarchy;
    const int layer0 = h.findModule("encoder.layer.0");
    // Expand through the tree view like a user clicking the arrows.
    QTreeView* tree = w.moduleTree();
    const QModelIndex encoder = tree->model()->index(1, 0);
    QCOMPARE(encoder.data(ModuleTreeModel::ModuleRole).toInt(), h.findModule("encoder"));
    tree->expand(encoder);
    const QModelIndex layer0Index = tree->model()->index(0, 0, encoder);
    QCOMPARE(layer0Index.data(ModuleTreeModel::ModuleRole).toInt(), layer0);
    tree->expand(layer0Index);
    QVERIFY(w.waitUntilIdle(60000));
    QVERIFY(w.graphScene()->isExpanded(layer0));
    QCOMPARE(sorted(w.graphScene()->visibleChildren(layer0)), directChildren(h, layer0));
    // Its children are collapsed boxes, and layer.1 stays a box beside it.
    for (int child : h.modules[layer0].children)
        QVERIFY(!w.graphScene()->isExpanded(child));
    QVERIFY(w.graphScene()->itemFor({GraphEntity::Module, h.findModule("encoder.layer.1")}));
    QVERIFY(!w.graphScene()->itemFor({GraphEntity::Module, h.findModule("encoder.layer.1.attention")}));
    // The layer.0 frame encloses all its children.
    const QRectF frame = w.graphScene()->itemFor({GraphEntity::Module, layer0})->boundingRect();
    for (const GraphEntity& e : w.graphScene()->visibleChildren(layer0))
        QVERIFY(frame.contains(w.graphScene()->itemFor(e)->boundingRect().center()));
    // Collapsing restores the box; expanding again is served entirely from the layout cache.
    tree->collapse(layer0Index);
    QVERIFY(w.waitUntilIdle(60000));
    QVERIFY(!w.graphScene()->isExpanded(layer0));
    QVERIFY(w.graphScene()->visibleChildren(layer0).empty());
    const int cached = w.graphScene()->cacheSize();
    tree->expand(layer0Index);
    QVERIFY(!w.graphScene()->isLayingOut()); // no worker round trip needed
    QCOMPARE(sorted(w.graphScene()->visibleChildren(layer0)), directChildren(h, layer0));
    QCOMPARE(w.graphScene()->cacheSize(), cached);
}

void TestGraph::layoutRunsOffTheUiThread() {
    // paddle2onnx names are not torch scopes: all 471 nodes sit at the root, one big dot layout.
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QSignalSpy loaded(&w, &MainWindow::modelLoaded);
    w.openModel(sharedModel("paddle2onnx_ppocr_mobile_v2_cls.onnx"));
    QVERIFY(loaded.wait(60000));
    QVERIFY(w.graphScene()->isLayingOut());
    int ticks = 0;
    QTimer timer;
    timer.setInterval(5);
    connect(&timer, &QTimer::timeout, [&] { ++ticks; });
    timer.start();
    QElapsedTimer clock;
    clock.start();
    QVERIFY(w.waitUntilIdle(120000));
    const qint64 elapsed = clock.elapsed();
    qInfo() << "layout of" << w.document()->graph->size() << "nodes took" << elapsed << "ms," << ticks
            << "timer ticks";
    // The event loop kept running: the timer fired regularly during the layout.
    QVERIFY(ticks > 0);
    QVERIFY(ticks >= elapsed / 40);
    QCOMPARE(static_cast<int>(w.graphScene()->visibleChildren(0).size()),
             static_cast<int>(w.document()->graph->size()));
}

void TestGraph::screenshotIsNotBlank() {
    MainWindow w;
    w.setInteractive(false);
    w.resize(1400, 900);
    w.show();
    QVERIFY(openAndSettle(w, fixture("bert_like_op17.onnx")));
    QVERIFY(w.expandScope(QStringLiteral("encoder.layer.0")));
    QVERIFY(w.waitUntilIdle(60000));
    w.graphView()->fitAll();
    const QImage shot = w.grab().toImage();
    QTemporaryDir dir;
    QVERIFY(shot.save(dir.filePath(QStringLiteral("shot.png"))));
    // Pixels of the graph area that differ from its white background.
    const QRect area(w.graphView()->mapTo(&w, QPoint(0, 0)), w.graphView()->viewport()->size());
    const QRgb background = qRgb(255, 255, 255);
    int differing = 0;
    for (int y = area.top(); y < area.bottom(); y += 2)
        for (int x = area.left(); x < area.right(); x += 2)
            differing += (shot.pixel(x, y) & 0xffffff) != (background & 0xffffff);
    const int sampled = (area.width() / 2) * (area.height() / 2);
    qInfo() << differing << "of" << sampled << "sampled pixels are drawn";
    QVERIFY(differing > sampled / 50);
}

void TestGraph::exportsPictures() {
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QVERIFY(openAndSettle(w, fixture("bert_like_op17.onnx")));
    QTemporaryDir dir;
    const QString svg = dir.filePath(QStringLiteral("g.svg")), png = dir.filePath(QStringLiteral("g.png"));
    QCOMPARE(w.graphView()->exportSvg(svg), QString());
    QCOMPARE(w.graphView()->exportPng(png), QString());
    QFile svgFile(svg);
    QVERIFY(svgFile.open(QIODevice::ReadOnly));
    const QByteArray content = svgFile.readAll();
    QVERIFY(content.contains("<svg"));
    QVERIFY(content.contains("embeddings")); // module box titles are real text
    QImage image(png);
    QVERIFY(!image.isNull());
    QVERIFY(image.width() > 100 && image.height() > 100);
}

QTEST_MAIN(TestGraph)
#include "test_graph.moc"
