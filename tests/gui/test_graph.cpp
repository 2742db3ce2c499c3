// The graph as a user sees it: module interiors laid out lazily off the UI thread, expansion from the
// tree, a screenshot that actually shows a graph, picture export.
#include "gui_test_support.h"

#include "document/model_document.h"
#include "graphview/graph_items.h"
#include "graphview/graph_scene.h"
#include "graphview/graph_view.h"
#include "itemmodels/module_tree_model.h"
#include "widgets/extraction.h"
#include "widgets/inspector.h"

#include <QGraphicsItem>
#include <QProcess>
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
    void handlesExpandAndCollapse();
    void layoutRunsOffTheUiThread();
    void screenshotIsNotBlank();
    void bigModulesAreSplitIntoSections();
    void inputsOutputsAndShapeLabels();
    void arrowKeysMoveBetweenNodes();
    void screenshotCommandIsNotBlank();
    void readmeScreenshotIsReadable();
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

// The +/- handle on a module, clicked with the mouse in the view.
static void clickHandle(GraphView* view, QGraphicsItem* item, const QRectF& handle) {
    view->centerOn(item);
    const QPoint at = view->mapFromScene(item->mapToScene(handle.center()));
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, at);
}

void TestGraph::handlesExpandAndCollapse() {
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QVERIFY(openAndSettle(w, fixture("bert_like_op17.onnx")));
    const int encoder = w.document()->hierarchy.findModule("encoder");
    GraphScene* scene = w.graphScene();
    QGraphicsItem* box = scene->itemFor({GraphEntity::Module, encoder});
    QVERIFY(box && box->type() == ModuleBoxKind);
    clickHandle(w.graphView(), box, static_cast<ModuleBoxItem*>(box)->handleRect());
    QVERIFY(w.waitUntilIdle(60000));
    QVERIFY(scene->isExpanded(encoder));
    QGraphicsItem* frame = scene->itemFor({GraphEntity::Module, encoder});
    QVERIFY(frame && frame->type() == ModuleFrameKind);
    clickHandle(w.graphView(), frame, static_cast<ModuleFrameItem*>(frame)->handleRect());
    QVERIFY(w.waitUntilIdle(60000));
    QVERIFY(!scene->isExpanded(encoder));
}

void TestGraph::layoutRunsOffTheUiThread() {
    // paddle2onnx names are not torch scopes: all 471 nodes sit at the root, in sections of consecutive
    // ops; opening every section lays them all out.
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QVERIFY(openAndSettle(w, sharedModel("paddle2onnx_ppocr_mobile_v2_cls.onnx")));
    GraphScene* scene = w.graphScene();
    const std::vector<int> sections = scene->sectionsIn(0);
    QCOMPARE(static_cast<int>(sections.size()), 5);
    for (int s : sections)
        scene->setEntityExpanded({GraphEntity::Section, s}, true);
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
    std::size_t shown = 0;
    for (int s : sections)
        shown += scene->visibleInSection(s).size();
    QCOMPARE(shown, w.document()->graph->size());
}

void TestGraph::bigModulesAreSplitIntoSections() {
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QVERIFY(openAndSettle(w, sharedModel("paddle2onnx_ppocr_mobile_v2_cls.onnx")));
    const Hierarchy& h = w.document()->hierarchy;
    GraphScene* scene = w.graphScene();
    QVERIFY(h.modules[0].nodes.size() > GraphScene::kSectionThreshold);
    // The root shows sections (collapsed boxes) instead of 471 ops; they cover every op once, in order.
    const std::vector<GraphEntity> root = sorted(scene->visibleChildren(0));
    std::vector<GraphEntity> expected;
    for (int s : scene->sectionsIn(0))
        expected.push_back({GraphEntity::Section, s});
    QCOMPARE(root, sorted(expected));
    int next = 0;
    for (int s : scene->sectionsIn(0)) {
        QCOMPARE(scene->section(s).begin, next);
        QVERIFY(scene->section(s).end - scene->section(s).begin <= 100);
        next = scene->section(s).end;
        QVERIFY(scene->itemFor({GraphEntity::Section, s}));
    }
    QCOMPARE(next, static_cast<int>(h.modules[0].nodes.size()));
    // Revealing an op opens the section holding it, and only that one.
    const int node = h.modules[0].nodes[250];
    scene->reveal({GraphEntity::Node, node});
    QVERIFY(w.waitUntilIdle(60000));
    QCOMPARE(scene->selectedEntity(), (GraphEntity{GraphEntity::Node, node}));
    const int holder = scene->sectionOfNode(0, node);
    QVERIFY(scene->isEntityExpanded({GraphEntity::Section, holder}));
    for (int s : scene->sectionsIn(0))
        if (s != holder) QVERIFY(!scene->isEntityExpanded({GraphEntity::Section, s}));
    QCOMPARE(static_cast<int>(scene->visibleInSection(holder).size()),
             scene->section(holder).end - scene->section(holder).begin);
    // The whole section is extractable from its context menu target.
    const ExtractTarget target = w.sectionTarget(holder);
    QVERIFY(!target.isModule);
    QCOMPARE(static_cast<int>(target.nodes.size()),
             scene->section(holder).end - scene->section(holder).begin);
}

void TestGraph::inputsOutputsAndShapeLabels() {
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QVERIFY(openAndSettle(w, fixture("bert_like_op17.onnx")));
    const Model& m = w.document()->graph->model();
    GraphScene* scene = w.graphScene();
    // Every model input and output is drawn at the root.
    for (std::size_t i = 0; i < m.main().inputs.size(); ++i)
        QVERIFY(scene->itemFor({GraphEntity::Input, static_cast<int>(i)}));
    for (std::size_t i = 0; i < m.main().outputs.size(); ++i)
        QVERIFY(scene->itemFor({GraphEntity::Output, static_cast<int>(i)}));
    // Their edges carry the declared shapes.
    const QStringList labels = scene->edgeLabels();
    QVERIFY2(labels.contains(QStringLiteral("int64 [batch, sequence]")),
             qPrintable(labels.join(QStringLiteral(" | "))));
    QVERIFY2(labels.contains(QStringLiteral("[batch, sequence, 32]")),
             qPrintable(labels.join(QStringLiteral(" | "))));
}

void TestGraph::arrowKeysMoveBetweenNodes() {
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QVERIFY(openAndSettle(w, fixture("bert_like_op17.onnx")));
    QVERIFY(w.expandScope(QStringLiteral("encoder.layer.0.attention.self")));
    QVERIFY(w.waitUntilIdle(60000));
    const GraphIndex& g = *w.document()->graph;
    const int start = g.find("/encoder/layer.0/attention/self/query/MatMul");
    QVERIFY(start >= 0);
    w.navigateTo({GraphEntity::Node, start});
    QVERIFY(w.waitUntilIdle(60000));
    GraphScene* scene = w.graphScene();
    QCOMPARE(scene->selectedEntity(), (GraphEntity{GraphEntity::Node, start}));
    const QPointF before = scene->itemFor({GraphEntity::Node, start})->sceneBoundingRect().center();
    w.graphView()->setFocus();
    QTest::keyClick(w.graphView(), Qt::Key_Down);
    const GraphEntity below = scene->selectedEntity();
    QVERIFY(below.kind != GraphEntity::None);
    QVERIFY(!(below == GraphEntity{GraphEntity::Node, start}));
    QVERIFY(scene->itemFor(below)->sceneBoundingRect().center().y() > before.y());
    // The inspector follows like for a click.
    if (below.kind == GraphEntity::Node) QCOMPARE(w.inspector()->shownNode(), below.index);
    QTest::keyClick(w.graphView(), Qt::Key_Up);
    const GraphEntity back = scene->selectedEntity();
    QVERIFY(scene->itemFor(back)->sceneBoundingRect().center().y() <
            scene->itemFor(below)->sceneBoundingRect().center().y());
    // Enter on a collapsed module opens it.
    const int layer1 = w.document()->hierarchy.findModule("encoder.layer.1");
    w.navigateTo({GraphEntity::Module, layer1});
    QVERIFY(w.waitUntilIdle(60000));
    QVERIFY(!scene->isExpanded(layer1));
    QTest::keyClick(w.graphView(), Qt::Key_Return);
    QVERIFY(w.waitUntilIdle(60000));
    QVERIFY(scene->isExpanded(layer1));
}

void TestGraph::screenshotCommandIsNotBlank() {
    // The real executable, as the README's screenshot is made.
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("shot.png"));
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(HS_GUI_EXE), {QStringLiteral("--screenshot"), out, fixture("bert_like_op17.onnx"),
                                         QStringLiteral("--expand"), QStringLiteral("encoder.layer.0")});
    QVERIFY(p.waitForFinished(120000));
    QCOMPARE(p.exitCode(), 0);
    const QImage shot(out);
    QVERIFY(!shot.isNull());
    QCOMPARE(shot.size(), QSize(1280, 800)); // the default window size
    // The graph area is the central part of the window (docks left, right and below): count the pixels
    // that differ from the white background there.
    const QRect area(shot.width() * 3 / 10, 60, shot.width() * 4 / 10, shot.height() / 2);
    int differing = 0, sampled = 0;
    for (int y = area.top(); y < area.bottom(); y += 2)
        for (int x = area.left(); x < area.right(); x += 2, ++sampled)
            differing += (shot.pixel(x, y) & 0xffffff) != 0xffffff;
    qInfo() << differing << "of" << sampled << "sampled pixels are drawn";
    QVERIFY(differing > sampled / 50);
}

// The README's picture, made as its caption says: the graph's zoom the command reports is one at which
// labels are drawn and read (not the fitted miniature where boxes carry no text).
void TestGraph::readmeScreenshotIsReadable() {
    const QString sample = QStringLiteral(HS_FIXTURES "/../../resources/sample/");
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("readme.png"));
    for (const QStringList& extra :
         {QStringList{},
          QStringList{QStringLiteral("--sidecar"),
                      sample + QStringLiteral("bert_like_op17_seed_sidecar.json"), QStringLiteral("--expand"),
                      QStringLiteral("encoder.layer.0.attention.output")}}) {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(HS_GUI_EXE),
                QStringList{QStringLiteral("--screenshot"), out,
                            sample + QStringLiteral("bert_like_op17.onnx"), QStringLiteral("--size"),
                            QStringLiteral("1280x800")} +
                    extra);
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitCode(), 0);
        const QString report = QString::fromLocal8Bit(p.readAllStandardOutput());
        const QRegularExpressionMatch zoom =
            QRegularExpression(QStringLiteral("graph zoom ([0-9.]+)")).match(report);
        QVERIFY2(zoom.hasMatch(), qPrintable(report));
        QVERIFY2(zoom.captured(1).toDouble() >= graph_metrics::readableZoom - 0.005, qPrintable(report));
        QCOMPARE(QImage(out).size(), QSize(1280, 800));
    }
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
