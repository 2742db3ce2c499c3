// Issue 10, the explorer's first hour as a new user meets it: keyboard redo, a readable first view, a view
// that follows expansions and re-tags, the filter that filters the tree only, View > Collapse All / Reset,
// section stripes, edge labels and titles that are not cut or overlapping, empty panels that explain
// themselves, the Help menu, actions that need a model, selection frames, Open Recent.
#include "gui_test_support.h"

#include "document/model_document.h"
#include "graphview/graph_items.h"
#include "graphview/graph_scene.h"
#include "graphview/graph_view.h"
#include "itemmodels/module_tree_model.h"
#include "style/resources.h"
#include "widgets/empty_hint.h"
#include "widgets/inspector.h"
#include "widgets/uncertain_list.h"

#include <QAbstractItemModelTester>
#include <QDialog>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTreeView>
#include <QUndoStack>

using namespace hs;
using namespace hs::ui;
using namespace hs::ui::test;

class TestFirstHour : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void redoByKeyboard();
    void firstViewIsReadable();
    void expandingBringsTheModuleIntoView();
    void filterFiltersTheTreeOnly();
    void searchKeepsTreeAndGraphInStep();
    void collapseAllAndReset();
    void retagFollowsTheNode();
    void sectionStripesShowTheirOps();
    void edgeLabelsDoNotOverlap();
    void titlesAreNotCut();
    void emptyPanelsSaySo();
    void helpMenu();
    void columnHeadersAndRowTooltips();
    void actionsNeedAModel();
    void graphSelectionFrameFollowsExpansion();
    void openRecentTellsSameNamesApart();
};

// A 1280x800 window (the default size) with the README's sample open and laid out.
static bool openSample(MainWindow& w, const QString& path = fixture("bert_like_op17.onnx")) {
    w.setInteractive(false);
    w.resize(1280, 800);
    w.show();
    return openAndSettle(w, path);
}

static QAction* menuAction(MainWindow& w, const char* objectName) {
    return w.findChild<QAction*>(QLatin1String(objectName));
}

static QAction* fileAction(MainWindow& w, QKeySequence::StandardKey key) {
    for (QAction* a : w.menuBar()->actions().first()->menu()->actions())
        if (!a->shortcuts().isEmpty() && QKeySequence::keyBindings(key).contains(a->shortcut())) return a;
    return nullptr;
}

static bool visibleInView(GraphView* view, QGraphicsItem* item) {
    return item && view->visibleSceneRect().intersects(item->sceneBoundingRect());
}

void TestFirstHour::redoByKeyboard() {
    MainWindow w;
    QVERIFY(openSample(w));
    QVERIFY(QTest::qWaitForWindowActive(&w));
    const Hierarchy& h = w.document()->hierarchy;
    const int node = h.modules[static_cast<std::size_t>(h.findModule("pooler"))].nodes.front();
    w.retagNodes({node}, h.findModule("encoder"));
    QCOMPARE(w.undoStack()->index(), 1);
    QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(w.undoStack()->index(), 0);
    QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(w.undoStack()->index(), 1);
    QCOMPARE(h.assignments[static_cast<std::size_t>(node)].module, h.findModule("encoder"));
    QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(w.undoStack()->index(), 0);
    QTest::keyClick(&w, Qt::Key_Y, Qt::ControlModifier);
    QCOMPARE(w.undoStack()->index(), 1);
    // No key is bound twice in the window (an ambiguous shortcut triggers nothing). The original bug,
    // Ctrl+Shift+Z given explicitly and again through QKeySequence::Redo, only shows under a key scheme
    // whose Redo is Ctrl+Shift+Z (X11 desktops); here the binding is checked to be explicit and whole.
    QStringList keys;
    for (QAction* action : w.findChildren<QAction*>())
        for (const QKeySequence& key : action->shortcuts()) {
            QVERIFY2(!keys.contains(key.toString()),
                     qPrintable(key.toString() + QStringLiteral(" bound twice")));
            keys << key.toString();
        }
    QVERIFY(keys.contains(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z).toString()));
    QVERIFY(keys.contains(QKeySequence(Qt::CTRL | Qt::Key_Y).toString()));
}

void TestFirstHour::firstViewIsReadable() {
    MainWindow w;
    QVERIFY(openSample(w));
    GraphView* view = w.graphView();
    QVERIFY2(view->zoom() >= graph_metrics::readableZoom - 1e-6, qPrintable(QString::number(view->zoom())));
    // It starts at the top of the graph, where the model's inputs are, not somewhere in its middle.
    const QRectF all = w.graphScene()->itemsBoundingRect();
    QVERIFY(view->visibleSceneRect().top() <= all.top() + 1);
    QVERIFY(visibleInView(view, w.graphScene()->itemFor({GraphEntity::Input, 0})));
}

void TestFirstHour::expandingBringsTheModuleIntoView() {
    MainWindow w;
    QVERIFY(openSample(w));
    const Hierarchy& h = w.document()->hierarchy;
    GraphView* view = w.graphView();
    // Open encoder (below the first view), then its last layer, from the tree like a user.
    for (const char* scope : {"encoder", "encoder.layer.1"}) {
        const int module = h.findModule(scope);
        QVERIFY(w.expandScope(QLatin1String(scope)));
        QVERIFY(w.waitUntilIdle(60000));
        QVERIFY(w.graphScene()->isExpanded(module));
        QGraphicsItem* frame = w.graphScene()->itemFor({GraphEntity::Module, module});
        QVERIFY(frame);
        QVERIFY2(view->zoom() >= graph_metrics::readableZoom - 1e-6,
                 qPrintable(QString::number(view->zoom())));
        // Its header (title and handle) is on screen.
        const QRectF header(frame->sceneBoundingRect().topLeft(), QSizeF(120, graph_metrics::frameHeader));
        QVERIFY2(view->visibleSceneRect().contains(header.center()), scope);
    }
    // The zoom the user chose is kept (no re-fit), when it is readable.
    view->zoomBy(1.25);
    const qreal chosen = view->zoom();
    QVERIFY(w.expandScope(QStringLiteral("encoder.layer.1.attention")));
    QVERIFY(w.waitUntilIdle(60000));
    QCOMPARE(view->zoom(), chosen);
    QVERIFY(visibleInView(
        view, w.graphScene()->itemFor({GraphEntity::Module, h.findModule("encoder.layer.1.attention")})));
}

static std::set<int> expandedTreeModules(MainWindow& w) {
    std::set<int> modules;
    std::function<void(const QModelIndex&)> walk = [&](const QModelIndex& parent) {
        for (int r = 0; r < w.moduleTree()->model()->rowCount(parent); ++r) {
            const QModelIndex i = w.moduleTree()->model()->index(r, 0, parent);
            if (w.moduleTree()->isExpanded(i) && w.moduleTree()->model()->hasChildren(i))
                modules.insert(i.data(ModuleTreeModel::ModuleRole).toInt());
            walk(i);
        }
    };
    walk({});
    return modules;
}

// The modules expanded in the graph that have children in the tree (a leaf module has nothing to expand).
static std::set<int> expandedGraphModules(MainWindow& w) {
    std::set<int> modules;
    for (int m : w.graphScene()->expandedModules())
        if (!w.document()->hierarchy.modules[static_cast<std::size_t>(m)].children.empty()) modules.insert(m);
    return modules;
}

void TestFirstHour::filterFiltersTheTreeOnly() {
    MainWindow w;
    QVERIFY(openSample(w));
    const int encoder = w.document()->hierarchy.findModule("encoder");
    w.graphScene()->setExpanded(encoder, true);
    QVERIFY(w.waitUntilIdle(60000));
    QTest::keyClicks(w.moduleFilter(), QStringLiteral("attention"));
    QVERIFY(w.waitUntilIdle(60000));
    // The tree opens around the matches; the graph keeps what the user opened.
    QVERIFY(expandedTreeModules(w).size() > 1);
    QCOMPARE(w.graphScene()->expandedModules(), (std::set<int>{encoder}));
    w.moduleFilter()->clear();
    QVERIFY(w.waitUntilIdle(60000));
    QCOMPARE(expandedTreeModules(w), (std::set<int>{encoder}));
    QCOMPARE(w.graphScene()->expandedModules(), (std::set<int>{encoder}));
}

void TestFirstHour::searchKeepsTreeAndGraphInStep() {
    MainWindow w;
    QVERIFY(openSample(w));
    const GraphIndex& g = *w.document()->graph;
    const int node = g.find("/encoder/layer.1/attention/self/query/MatMul");
    QVERIFY(node >= 0);
    // A filter hides the rows of the modules the search result opens in the graph.
    QTest::keyClicks(w.moduleFilter(), QStringLiteral("pooler"));
    w.navigateTo({GraphEntity::Node, node}); // what the search panel does with a result
    QVERIFY(w.waitUntilIdle(60000));
    QCOMPARE(w.graphScene()->selectedEntity(), (GraphEntity{GraphEntity::Node, node}));
    QVERIFY(visibleInView(w.graphView(), w.graphScene()->itemFor({GraphEntity::Node, node})));
    // Without the filter the tree shows what the graph has open, no more, no less.
    w.moduleFilter()->clear();
    QVERIFY(w.waitUntilIdle(60000));
    QCOMPARE(expandedTreeModules(w), expandedGraphModules(w));
    QVERIFY(expandedGraphModules(w).count(w.document()->hierarchy.findModule("encoder.layer.1.attention")));
    w.navigateTo({GraphEntity::Node, g.find("/encoder/layer.0/attention/self/key/MatMul")});
    QVERIFY(w.waitUntilIdle(60000));
    QCOMPARE(expandedTreeModules(w), expandedGraphModules(w));
}

void TestFirstHour::collapseAllAndReset() {
    MainWindow w;
    QVERIFY(openSample(w));
    QVERIFY(w.expandScope(QStringLiteral("encoder.layer.0.attention")));
    QVERIFY(w.waitUntilIdle(60000));
    QVERIFY(!w.graphScene()->expandedModules().empty());
    QTest::keyClicks(w.moduleFilter(), QStringLiteral("self"));
    QAction* collapse = menuAction(w, "collapseAllAction");
    QVERIFY(collapse && collapse->isEnabled());
    collapse->trigger();
    QVERIFY(w.waitUntilIdle(60000));
    QVERIFY(w.graphScene()->expandedModules().empty());
    QVERIFY(expandedTreeModules(w).empty());
    QVERIFY(w.graphView()->zoom() >= graph_metrics::readableZoom - 1e-6);
    // The next expansion is followed (the first view, shown once, does not come back over it).
    const int layer1 = w.document()->hierarchy.findModule("encoder.layer.1");
    w.graphScene()->setExpanded(w.document()->hierarchy.findModule("encoder"), true);
    w.graphScene()->setExpanded(layer1, true);
    QVERIFY(w.waitUntilIdle(60000));
    QVERIFY(w.graphView()->visibleSceneRect().contains(
        w.graphScene()->itemFor({GraphEntity::Module, layer1})->sceneBoundingRect().topLeft() +
        QPointF(20, 10)));
    collapse->trigger();
    QVERIFY(w.waitUntilIdle(60000));
    // Reset also clears the filter and the zoom the user chose.
    w.graphView()->zoomBy(0.3);
    QVERIFY(w.expandScope(QStringLiteral("encoder.layer.1.attention.self")));
    QVERIFY(w.waitUntilIdle(60000));
    menuAction(w, "resetViewAction")->trigger();
    QVERIFY(w.waitUntilIdle(60000));
    QCOMPARE(w.moduleFilter()->text(), QString());
    QCOMPARE(w.moduleTree()->model()->rowCount(), 3);
    QVERIFY(w.graphScene()->expandedModules().empty());
    QVERIFY(w.graphView()->zoom() >= graph_metrics::readableZoom - 1e-6);
}

void TestFirstHour::retagFollowsTheNode() {
    MainWindow w;
    QVERIFY(openSample(w));
    QVERIFY(QTest::qWaitForWindowActive(&w));
    const Hierarchy& h = w.document()->hierarchy;
    UncertainList* list = w.uncertainList();
    QVERIFY(list->topLevelItemCount() > 2);
    list->setFocus();
    list->setCurrentItem(list->topLevelItem(0));
    const int node = list->nodeAt(0);
    QVERIFY(w.waitUntilIdle(60000));
    QCOMPARE(w.inspector()->shownNode(), node);
    // The user fixes it: it moves to a module that is collapsed in the graph.
    const int target = h.findModule("encoder.layer.1.attention.self");
    QVERIFY(!w.graphScene()->isExpanded(target));
    w.retagNodes({node}, target);
    QVERIFY(w.waitUntilIdle(60000));
    // The graph opens that module with the node selected and on screen; tree and inspector agree.
    QCOMPARE(w.graphScene()->selectedEntity(), (GraphEntity{GraphEntity::Node, node}));
    QVERIFY(visibleInView(w.graphView(), w.graphScene()->itemFor({GraphEntity::Node, node})));
    QCOMPARE(w.moduleTree()->currentIndex().data(ModuleTreeModel::ModuleRole).toInt(), target);
    QCOMPARE(w.inspector()->shownNode(), node);
    // Focus coming back to the list (the chooser dialog closing) does not jump to another node.
    w.moduleTree()->setFocus();
    list->setFocus(Qt::ActiveWindowFocusReason);
    QCoreApplication::processEvents();
    QCOMPARE(w.inspector()->shownNode(), node);
    QCOMPARE(w.graphScene()->selectedEntity(), (GraphEntity{GraphEntity::Node, node}));
}

void TestFirstHour::sectionStripesShowTheirOps() {
    // paddle2onnx: every node at the root, low; the root shows them in sections.
    MainWindow w;
    QVERIFY(openSample(w, sharedModel("paddle2onnx_ppocr_mobile_v2_cls.onnx")));
    GraphScene* scene = w.graphScene();
    QVERIFY(!scene->sectionsIn(0).empty());
    for (int s : scene->sectionsIn(0)) {
        auto* box = dynamic_cast<ModuleBoxItem*>(scene->itemFor({GraphEntity::Section, s}));
        QVERIFY(box);
        QCOMPARE(static_cast<int>(box->lowest()), static_cast<int>(Confidence::Low));
    }
}

// No edge label is drawn over another label or over an op, box or model input/output.
static void checkLabelsApart(GraphScene* scene) {
    std::vector<QRectF> labels, boxes;
    for (QGraphicsItem* item : scene->items()) {
        if (item->type() == EdgeKind && !static_cast<EdgeItem*>(item)->label().isEmpty())
            labels.push_back(static_cast<EdgeItem*>(item)->labelRect());
        if (item->type() == NodeKind || item->type() == ModuleBoxKind || item->type() == TerminalKind)
            boxes.push_back(item->boundingRect().adjusted(5, 5, -5, -5)); // the drawn shape
    }
    QVERIFY(labels.size() >= 2);
    for (std::size_t i = 0; i < labels.size(); ++i) {
        for (std::size_t j = i + 1; j < labels.size(); ++j)
            QVERIFY2(!labels[i].intersects(labels[j]),
                     qPrintable(QStringLiteral("labels %1 and %2 overlap").arg(i).arg(j)));
        for (const QRectF& box : boxes)
            QVERIFY2(!labels[i].intersects(box), qPrintable(QStringLiteral("label %1 covers a box").arg(i)));
    }
}

void TestFirstHour::edgeLabelsDoNotOverlap() {
    MainWindow w;
    QVERIFY(openSample(w));
    checkLabelsApart(w.graphScene()); // the root: input_ids and token_type_ids both feed embeddings
    QVERIFY(!QTest::currentTestFailed());
    // Every shape still shows somewhere: a dropped label moves to the edge's tooltip.
    QVERIFY(w.graphScene()->edgeLabels().contains(QStringLiteral("int64 [batch, sequence]")));
    QVERIFY(w.expandScope(QStringLiteral("encoder.layer.0.attention.self")));
    QVERIFY(w.waitUntilIdle(60000));
    checkLabelsApart(w.graphScene());
    QVERIFY(!QTest::currentTestFailed());
    for (const QString& path : {fixture("cnn_resnet.onnx"), sharedModel("fastestdet_torch2.0.onnx")}) {
        MainWindow cnn;
        QVERIFY(openSample(cnn, path));
        checkLabelsApart(cnn.graphScene());
        QVERIFY(!QTest::currentTestFailed());
    }
}

void TestFirstHour::titlesAreNotCut() {
    MainWindow w;
    QVERIFY(openSample(w));
    QVERIFY(w.expandScope(QStringLiteral("encoder.layer.0.attention.output.dense")));
    QVERIFY(w.expandScope(QStringLiteral("encoder.layer.0.intermediate.dense")));
    QVERIFY(w.waitUntilIdle(60000));
    QFont bold = QGuiApplication::font();
    bold.setBold(true);
    const QFontMetricsF metrics(bold);
    int frames = 0;
    for (QGraphicsItem* item : w.graphScene()->items())
        if (item->type() == ModuleFrameKind) {
            auto* frame = static_cast<ModuleFrameItem*>(item);
            ++frames;
            // The header draws the title after the handle, with the frame's padding on the right.
            const qreal room = frame->rect().width() - graph_metrics::handleSize - 16;
            QVERIFY2(metrics.horizontalAdvance(frame->title()) <= room, qPrintable(frame->title()));
        }
    QVERIFY(frames >= 5);
    // The tree's Module column is as wide as its deepest visible name.
    QTreeView* tree = w.moduleTree();
    tree->expandAll();
    QCoreApplication::processEvents();
    const int width = tree->header()->sectionSize(ModuleTreeModel::NameColumn);
    std::function<void(const QModelIndex&, int)> check = [&](const QModelIndex& parent, int depth) {
        for (int r = 0; r < tree->model()->rowCount(parent); ++r) {
            const QModelIndex i = tree->model()->index(r, 0, parent);
            const int needed = tree->indentation() * (depth + 1) +
                               tree->fontMetrics().horizontalAdvance(i.data().toString()) +
                               (i.data(Qt::DecorationRole).isNull() ? 0 : tree->iconSize().width() + 4);
            QVERIFY2(needed <= width, qPrintable(i.data().toString()));
            check(i, depth + 1);
        }
    };
    check({}, 0);
    // The legend is whole: it wraps rather than cuts its end at the default window size.
    QLabel* legend = w.graphView()->legend();
    QVERIFY(legend->wordWrap() || legend->sizeHint().width() <= legend->width());
    QVERIFY(legend->heightForWidth(legend->width()) <= legend->height());
}

void TestFirstHour::emptyPanelsSaySo() {
    MainWindow empty;
    empty.setInteractive(false);
    empty.show();
    auto hintOf = [](QWidget* view) { return view->findChild<EmptyHint*>(QStringLiteral("emptyHint")); };
    EmptyHint* graphHint = hintOf(empty.graphView());
    QVERIFY(graphHint && graphHint->isVisible());
    QVERIFY2(graphHint->text().contains(QKeySequence(QKeySequence::Open).toString(QKeySequence::NativeText)),
             qPrintable(graphHint->text()));
    // While the first model opens, it says so; a model that cannot be opened brings the hint back.
    QTemporaryDir dir;
    const QString bad = dir.filePath(QStringLiteral("broken.onnx"));
    QFile file(bad);
    QVERIFY(file.open(QIODevice::WriteOnly) && file.write("not a model") > 0);
    file.close();
    QSignalSpy failed(&empty, &MainWindow::loadFailed);
    empty.openModel(bad);
    QVERIFY(graphHint->text().contains(QStringLiteral("Opening broken.onnx")));
    QVERIFY(failed.wait(30000));
    QVERIFY2(graphHint->isVisible() && graphHint->text().contains(QStringLiteral("No model open")),
             qPrintable(graphHint->text()));
    empty.openModel(fixture("bert_like_op17.onnx"));
    QVERIFY2(graphHint->text().contains(QStringLiteral("Opening bert_like_op17.onnx")),
             qPrintable(graphHint->text()));
    QVERIFY(openAndSettle(empty, fixture("bert_like_op17.onnx")));
    QVERIFY(!graphHint->isVisible());

    MainWindow paddle;
    QVERIFY(openSample(paddle, sharedModel("paddle2onnx_ppocr_mobile_v2_cls.onnx")));
    QVERIFY(!hintOf(paddle.graphView())->isVisible());
    QVERIFY(hintOf(paddle.moduleTree())->isVisible());
    QVERIFY(hintOf(paddle.moduleTree())->text().contains(QStringLiteral("No modules")));

    // Fixing every uncertain node empties the list, which then says why it is empty.
    MainWindow w;
    QVERIFY(openSample(w));
    UncertainList* list = w.uncertainList();
    QVERIFY(!hintOf(list)->isVisible());
    std::vector<int> nodes;
    for (int r = 0; r < list->topLevelItemCount(); ++r)
        nodes.push_back(list->nodeAt(r));
    w.retagNodes(nodes, w.document()->hierarchy.findModule("encoder"));
    QVERIFY(w.waitUntilIdle(60000));
    QCOMPARE(list->topLevelItemCount(), 0);
    QVERIFY(hintOf(list)->isVisible());
    // A filter matching nothing says so too.
    QTest::keyClicks(w.moduleFilter(), QStringLiteral("no-such-module"));
    QVERIFY(hintOf(w.moduleTree())->isVisible());
    QVERIFY(hintOf(w.moduleTree())->text().contains(QStringLiteral("no-such-module")));
}

void TestFirstHour::helpMenu() {
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QAction* shortcuts = menuAction(w, "shortcutsAction");
    QVERIFY(shortcuts && shortcuts->isEnabled()); // help needs no model
    shortcuts->trigger();
    auto* dialog = w.findChild<QDialog*>(QStringLiteral("shortcutsDialog"));
    QVERIFY(dialog && dialog->isVisible());
    auto* table = dialog->findChild<QTableWidget*>(QStringLiteral("shortcutsTable"));
    QVERIFY(table);
    QStringList rows;
    for (int r = 0; r < table->rowCount(); ++r)
        rows << table->item(r, 0)->text() + QStringLiteral(" = ") + table->item(r, 1)->text();
    const QString all = rows.join(QLatin1Char('\n'));
    const QString redoKeys =
        QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z).toString(QKeySequence::NativeText) +
        QStringLiteral(", ") + QKeySequence(Qt::CTRL | Qt::Key_Y).toString(QKeySequence::NativeText);
    QVERIFY2(all.contains(redoKeys + QStringLiteral(" = Edit > Redo")), qPrintable(all));
    QVERIFY2(all.contains(QStringLiteral("= View > Collapse All")), qPrintable(all));
    QVERIFY2(all.contains(QStringLiteral("Arrow keys")), qPrintable(all));

    menuAction(w, "aboutAction")->trigger();
    auto* about = w.findChild<QMessageBox*>(QStringLiteral("aboutBox"));
    QVERIFY(about && about->isVisible());
    QVERIFY(QRegularExpression(QStringLiteral("^\\d+\\.\\d+\\.\\d+$")).match(hierscopeVersion()).hasMatch());
    QVERIFY2(about->text().contains(QStringLiteral("Hierscope ") + hierscopeVersion()),
             qPrintable(about->text()));
    about->close();
}

void TestFirstHour::columnHeadersAndRowTooltips() {
    MainWindow w;
    QVERIFY(openSample(w));
    QAbstractItemModelTester tester(w.moduleModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModel* model = w.moduleTree()->model();
    for (int c = 0; c < model->columnCount(); ++c)
        QVERIFY(!model->headerData(c, Qt::Horizontal, Qt::ToolTipRole).toString().isEmpty());
    // A row's tooltip says the same as its Lowest column.
    const QModelIndex encoder = w.moduleModel()->indexOfModule(w.document()->hierarchy.findModule("encoder"));
    const QString lowest = encoder.siblingAtColumn(ModuleTreeModel::ConfidenceColumn).data().toString();
    const QString tip = encoder.data(Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains(QStringLiteral("lowest confidence inside: ") + lowest), qPrintable(tip));
    // Uncertain list headers explain themselves too.
    QTreeWidgetItem* header = w.uncertainList()->headerItem();
    QVERIFY(!header->toolTip(UncertainList::ScoreColumn).isEmpty());
    QVERIFY(!header->toolTip(UncertainList::SourceColumn).isEmpty());
}

void TestFirstHour::actionsNeedAModel() {
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    QAction* save = fileAction(w, QKeySequence::Save);
    QVERIFY(save);
    for (QAction* a : {save, w.extractAction(), menuAction(w, "moveToModuleAction"),
                       menuAction(w, "fitAction"), menuAction(w, "collapseAllAction")})
        QVERIFY2(!a->isEnabled(), qPrintable(a->text()));
    QVERIFY(fileAction(w, QKeySequence::Open)->isEnabled());
    // The keys do nothing and say nothing (no error about a missing model).
    QTest::keyClick(&w, Qt::Key_S, Qt::ControlModifier);
    QTest::keyClick(&w, Qt::Key_E, Qt::ControlModifier);
    QCOMPARE(w.statusBar()->currentMessage(), QString());
    QVERIFY(openAndSettle(w, fixture("bert_like_op17.onnx")));
    for (QAction* a : {save, w.extractAction(), menuAction(w, "moveToModuleAction"),
                       menuAction(w, "fitAction"), menuAction(w, "collapseAllAction")})
        QVERIFY2(a->isEnabled(), qPrintable(a->text()));
}

void TestFirstHour::graphSelectionFrameFollowsExpansion() {
    MainWindow w;
    QVERIFY(openSample(w));
    GraphScene* scene = w.graphScene();
    GraphView* view = w.graphView();
    const GraphEntity encoder{GraphEntity::Module, w.document()->hierarchy.findModule("encoder")};
    // Double-click on the box: it opens, and the frame it became is the selection.
    QGraphicsItem* box = scene->itemFor(encoder);
    view->centerOn(box);
    const QPoint at = view->mapFromScene(box->sceneBoundingRect().center() + QPointF(-20, 0));
    // A real double-click is a click, then a double-click event (QTest's mouseDClick sends only the latter).
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, at);
    QTest::mouseDClick(view->viewport(), Qt::LeftButton, {}, at);
    QVERIFY(w.waitUntilIdle(60000));
    QVERIFY(scene->isExpanded(encoder.index));
    QGraphicsItem* frame = scene->itemFor(encoder);
    QCOMPARE(frame->type(), static_cast<int>(ModuleFrameKind));
    QVERIFY(frame->isSelected());
    QCOMPARE(scene->selectedEntity(), encoder);
    // The frame's - handle closes it; the box is selected.
    scene->clearSelection();
    view->centerOn(frame->sceneBoundingRect().topLeft());
    const QRectF handle = static_cast<ModuleFrameItem*>(frame)->handleRect();
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->mapFromScene(handle.center()));
    QVERIFY(w.waitUntilIdle(60000));
    QVERIFY(!scene->isExpanded(encoder.index));
    QVERIFY(scene->itemFor(encoder)->isSelected());
    QCOMPARE(w.moduleTree()->currentIndex().data(ModuleTreeModel::ModuleRole).toInt(), encoder.index);
}

void TestFirstHour::openRecentTellsSameNamesApart() {
    QTemporaryDir dir;
    const QString a = dir.filePath(QStringLiteral("a/model.onnx")),
                  b = dir.filePath(QStringLiteral("b/model.onnx"));
    QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("a"))) &&
            QDir().mkpath(dir.filePath(QStringLiteral("b"))));
    QVERIFY(QFile::copy(fixture("bert_like_op17.onnx"), a) && QFile::copy(fixture("bert_like_op17.onnx"), b));
    MainWindow w;
    QVERIFY(openSample(w, a));
    QVERIFY(openAndSettle(w, b));
    QMenu* recent = nullptr;
    for (QAction* action : w.menuBar()->actions().first()->menu()->actions())
        if (action->menu()) recent = action->menu();
    QVERIFY(recent);
    QStringList texts;
    for (QAction* action : recent->actions())
        if (action->toolTip() == a || action->toolTip() == b) texts << action->text();
    QCOMPARE(texts.size(), 2);
    QVERIFY2(texts[0] != texts[1], qPrintable(texts.join(QStringLiteral(" | "))));
    QVERIFY2(texts[0].contains(QDir::toNativeSeparators(dir.filePath(QStringLiteral("b")))),
             qPrintable(texts[0]));
}

QTEST_MAIN(TestFirstHour)
#include "test_first_hour.moc"
