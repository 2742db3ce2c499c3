// Editing the module tree while fixing (issue 20, second round), driving the real widgets: the graph and
// the tree keep what a person opened across re-tags and module creation, the uncertain list keeps its open
// groups and selection (and selects the next row when a bulk action takes the selected ones away), and a
// module is renamed (F2) or moved under another (Move Module Under...) as one undo step, saved in the
// sidecar and restored on reload.
#include "document/model_document.h"
#include "graphview/graph_scene.h"
#include "graphview/graph_view.h"
#include "gui_test_support.h"
#include "itemmodels/module_tree_model.h"
#include "renamed_model.h"
#include "widgets/module_chooser.h"
#include "widgets/uncertain_list.h"
#include "widgets/uncertain_panel.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QHeaderView>
#include <QInputDialog>
#include <QLineEdit>
#include <QListWidget>
#include <QMimeData>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTreeView>
#include <QUndoStack>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

using namespace hs;
using namespace hs::ui;
using namespace hs::ui::test;

namespace {

// The tree rows that are open, by module.
std::set<int> openRows(MainWindow& w) {
    std::set<int> open;
    const Hierarchy& h = w.document()->hierarchy;
    for (std::size_t m = 1; m < h.modules.size(); ++m) {
        const QModelIndex source = w.moduleModel()->indexOfModule(static_cast<int>(m));
        const QModelIndex shown =
            qobject_cast<QSortFilterProxyModel*>(w.moduleTree()->model())->mapFromSource(source);
        if (shown.isValid() && w.moduleTree()->isExpanded(shown)) open.insert(static_cast<int>(m));
    }
    return open;
}

std::set<int> expandedIn(const GraphScene* scene) {
    return {scene->expandedModules().begin(), scene->expandedModules().end()};
}

bool includes(const std::set<int>& all, const std::set<int>& part) {
    return std::includes(all.begin(), all.end(), part.begin(), part.end());
}

// The node rows selected in the list, in list order.
std::vector<int> selectedRowNodes(UncertainList* list) {
    std::vector<int> nodes;
    for (QTreeWidgetItem* item : list->selectedItems())
        if (item->data(0, Qt::UserRole).toInt() >= 0) nodes.push_back(item->data(0, Qt::UserRole).toInt());
    return nodes;
}

} // namespace

class TestModuleEditing : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void graphKeepsItsViewWhenAModuleIsCreated();
    void uncertainGroupsStayOpenAndSelectionMovesOn();
    void renameWithF2SaveReloadUndo();
    void moveModuleUnderAnotherSaveReloadUndo();
    void fixEveryVagueNodeOfRenamedBert();

private:
    QTemporaryDir dir_;
};

// Move to Module creating a module, then its undo: the graph's expanded modules, its zoom, and the tree's
// open rows stay as they were (the graph used to start again from its first view, all collapsed).
void TestModuleEditing::graphKeepsItsViewWhenAModuleIsCreated() {
    Renamed r;
    QVERIFY(renameAsOldTorch(fixture("bert_like_op17.onnx"), dir_.filePath("bert_view.onnx"), r));
    MainWindow w; // interactive: the chooser is a real dialog
    w.resize(1280, 800);
    w.show();
    QVERIFY(openAndSettle(w, r.path));
    const Hierarchy& h = w.document()->hierarchy;
    int node = -1;
    std::string scope;
    for (std::size_t i = 0; i < r.trueScope.size() && node < 0; ++i)
        if (r.trueScope[i] != "?" && h.findModule(r.trueScope[i]) < 0 &&
            h.newModuleProblem(r.trueScope[i]).empty())
            node = static_cast<int>(i), scope = r.trueScope[i];
    QVERIFY2(node >= 0, "the renamed BERT has a node whose module it names nowhere");
    // A person opens a few modules and zooms in.
    GraphScene* scene = w.graphScene();
    for (const char* open : {"encoder", "encoder.layer.0", "encoder.layer.1", "embeddings"})
        scene->setExpanded(h.findModule(open), true);
    QVERIFY(w.waitUntilIdle(60000));
    w.graphView()->zoomBy(1.25);
    const qreal zoom = w.graphView()->zoom();
    const std::set<int> expanded = expandedIn(scene), open = openRows(w);
    QVERIFY(expanded.size() >= 4 && open.size() >= 4);

    ModalDriver driver;
    driver.then<ModuleChooser>([&](ModuleChooser* c) {
        QTest::keyClicks(c->filterEdit(), QString::fromStdString(scope));
        QTest::keyClick(c->filterEdit(), Qt::Key_Return);
    });
    w.navigateTo({GraphEntity::Node, node});
    QVERIFY(w.waitUntilIdle(60000));
    w.findChild<QAction*>(QStringLiteral("moveToModuleAction"))->trigger();
    QVERIFY(driver.done());
    QVERIFY(w.waitUntilIdle(60000));
    const int created = h.findModule(scope);
    QVERIFY(created > 0);
    QCOMPARE(h.assignments[node].module, created);
    qInfo("created %s; graph: %d modules open before, %d after", scope.c_str(), int(expanded.size()),
          int(scene->expandedModules().size()));
    QVERIFY(includes(expandedIn(scene), expanded));
    QVERIFY(includes(openRows(w), open));
    QCOMPARE(w.graphView()->zoom(), zoom); // the view follows the node without re-fitting

    // Undo removes the module: the rest stays open, and the view where it was.
    const QPointF centre = w.graphView()->visibleSceneRect().center();
    w.undoStack()->undo();
    QVERIFY(w.waitUntilIdle(60000));
    QCOMPARE(h.findModule(scope), -1);
    QVERIFY(includes(expandedIn(scene), expanded));
    QVERIFY(includes(openRows(w), open));
    QCOMPARE(w.graphView()->zoom(), zoom);
    const QPointF after = w.graphView()->visibleSceneRect().center();
    qInfo("view centre before undo (%.0f, %.0f), after (%.0f, %.0f)", centre.x(), centre.y(), after.x(),
          after.y());
    QVERIFY(QLineF(centre, after).length() < 200);
    w.undoStack()->setClean();
}

// Grouped by module, two groups open and a node selected: a bulk action that keeps the rows keeps all
// of it; Mark as Checked takes the selected row away, and the row after it is selected, groups still open.
void TestModuleEditing::uncertainGroupsStayOpenAndSelectionMovesOn() {
    Renamed r;
    QVERIFY(renameAsOldTorch(fixture("bert_like_op17.onnx"), dir_.filePath("bert_groups.onnx"), r));
    MainWindow w;
    w.setInteractive(false);
    w.show();
    QVERIFY(openAndSettle(w, r.path));
    UncertainList* list = w.uncertainList();
    UncertainPanel* panel = w.uncertainPanel();
    panel->groupBox()->setChecked(true);
    QVERIFY(list->topLevelItemCount() >= 3);
    // The first group whose first row is more doubtful than its second (a score lower): once that row is
    // checked the group sorts further down the list, as in a real window sorted by confidence.
    QTreeWidgetItem* first = nullptr;
    auto score = [](QTreeWidgetItem* item) { return item->text(UncertainList::ScoreColumn).toDouble(); };
    for (int i = 0; i + 1 < list->topLevelItemCount() && !first; ++i) {
        QTreeWidgetItem* group = list->topLevelItem(i);
        if (group->childCount() >= 2 && score(group->child(0)) < score(group->child(1))) first = group;
    }
    QVERIFY(first);
    QTreeWidgetItem* second = list->topLevelItem(list->indexOfTopLevelItem(first) + 1);
    const QString firstGroup = first->text(UncertainList::ModuleColumn);
    const QString secondGroup = second->text(UncertainList::ModuleColumn);
    first->setExpanded(true);
    second->setExpanded(true);
    // A click on the group's first row (its most doubtful: once checked, the group sorts elsewhere), as a
    // person makes it.
    QTreeWidgetItem* row = first->child(0);
    list->scrollToItem(row);
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(row).center());
    const int chosen = row->data(0, Qt::UserRole).toInt();
    const int next = first->child(1)->data(0, Qt::UserRole).toInt();
    const int position = list->indexOfTopLevelItem(first);
    QCOMPARE(list->selectedNodes(), std::vector<int>{chosen});

    auto groupOpen = [&](const QString& module) {
        for (int i = 0; i < list->topLevelItemCount(); ++i)
            if (list->topLevelItem(i)->text(UncertainList::ModuleColumn) == module)
                return list->topLevelItem(i)->isExpanded();
        return false;
    };
    // Accept Suggested keeps the row (a guess taken stays to be checked) — and the selection with it.
    const int before = list->shownCount();
    panel->acceptSuggestedAction()->trigger();
    QCOMPARE(list->shownCount(), before);
    QVERIFY(groupOpen(firstGroup) ||
            groupOpen(QString::fromStdString(scopeOf(w.document()->hierarchy, chosen))));
    QCOMPARE(list->selectedNodes(), std::vector<int>{chosen});
    w.undoStack()->undo();
    QVERIFY(groupOpen(firstGroup) && groupOpen(secondGroup));
    QCOMPARE(list->selectedNodes(), std::vector<int>{chosen});

    // Mark as Checked: the row leaves the list; the next row is selected, ready for the next action.
    panel->markCheckedAction()->trigger();
    QCOMPARE(list->shownCount(), before - 1);
    QVERIFY(groupOpen(firstGroup) && groupOpen(secondGroup));
    QCOMPARE(selectedRowNodes(list), std::vector<int>{next}); // where its group went, not what took its place
    QCOMPARE(list->currentItem()->data(0, Qt::UserRole).toInt(), next);
    qInfo("the group of the checked row moved from row %d to row %d", position,
          list->indexOfTopLevelItem(list->currentItem()->parent()));
    QVERIFY(list->indexOfTopLevelItem(list->currentItem()->parent()) > position);
    QVERIFY(panel->markCheckedAction()->isEnabled());
    panel->markCheckedAction()->trigger(); // and again, without a click
    QCOMPARE(list->shownCount(), before - 2);
    QCOMPARE(selectedRowNodes(list).size(), std::size_t(1));
    QCOMPARE(w.undoStack()->count(), 2);
    w.undoStack()->undo();
    w.undoStack()->undo();
    QCOMPARE(list->shownCount(), before);
    QVERIFY(groupOpen(firstGroup) && groupOpen(secondGroup));
    w.undoStack()->setClean();
}

// F2 on a module in the tree, a new name typed in place: its scope and its children's change, its nodes
// follow (those its names placed become manual tags), one undo step; saved, reloaded, undone.
void TestModuleEditing::renameWithF2SaveReloadUndo() {
    const QString model = dir_.filePath(QStringLiteral("bert_rename.onnx"));
    QVERIFY(QFile::copy(fixture("bert_like_op17.onnx"), model));
    std::vector<std::string> keys; // the nodes of the renamed subtree
    std::string className;
    std::uint64_t parameters = 0;
    std::size_t moduleCount = 0;
    {
        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(openAndSettle(w, model));
        const Hierarchy& h = w.document()->hierarchy;
        const int module = h.findModule("encoder.layer.1.attention.output");
        QVERIFY(module > 0);
        std::vector<int> nodes;
        for (std::size_t i = 0; i < h.assignments.size(); ++i)
            if (h.isAncestorOrSelf(module, h.assignments[i].module)) nodes.push_back(static_cast<int>(i));
        QCOMPARE(nodes.size(), std::size_t(6));
        className = h.modules[module].className;
        parameters = h.modules[module].totalParameters;
        moduleCount = h.modules.size();
        QVERIFY(parameters > 0);
        const std::vector<Assignment> before = [&] {
            std::vector<Assignment> a;
            for (int n : nodes)
                a.push_back(h.assignments[n]);
            return a;
        }();

        QTreeView* tree = w.moduleTree();
        QVERIFY(w.expandScope(QStringLiteral("encoder.layer.1.attention.output")));
        tree->setFocus();
        QTest::keyClick(tree, Qt::Key_F2);
        auto* editor = tree->viewport()->findChild<QLineEdit*>();
        QVERIFY(editor);
        QCOMPARE(editor->text(), QStringLiteral("output"));
        editor->selectAll();
        QTest::keyClicks(editor, QStringLiteral("out"));
        QTest::keyClick(editor, Qt::Key_Return);
        QTRY_COMPARE(h.modules[module].scope, std::string("encoder.layer.1.attention.out"));
        QCOMPARE(h.findModule("encoder.layer.1.attention.output"), -1);
        QCOMPARE(h.modules[h.findModule("encoder.layer.1.attention.out.dense")].parent, module);
        QCOMPARE(w.undoStack()->count(), 1);
        for (int n : nodes) {
            QVERIFY(h.isAncestorOrSelf(module, h.assignments[n].module));
            QCOMPARE(h.assignments[n].source, Source::Manual); // all six were placed by their names
            keys.push_back(w.document()->graph->key(n));
        }
        const QString shown = w.moduleTree()->currentIndex().data().toString();
        QVERIFY2(shown == QStringLiteral("out") || shown.startsWith(QStringLiteral("out  (")),
                 qPrintable(shown));
        // A name that is taken is refused with the reason; nothing changes.
        QVERIFY(!w.renameModule(module, QStringLiteral("self")).isEmpty());
        QVERIFY(!w.renameModule(module, QStringLiteral("bad name")).isEmpty());
        QCOMPARE(w.undoStack()->count(), 1);

        // Undo: the old scopes and the nodes' assignments exactly; redo, then save.
        w.undoStack()->undo();
        QCOMPARE(h.modules[module].scope, std::string("encoder.layer.1.attention.output"));
        QCOMPARE(h.modules[h.findModule("encoder.layer.1.attention.output.dense")].parent, module);
        for (std::size_t k = 0; k < nodes.size(); ++k) {
            QCOMPARE(h.assignments[nodes[k]].source, before[k].source);
            QCOMPARE(h.assignments[nodes[k]].module, before[k].module);
        }
        w.undoStack()->redo();
        QCOMPARE(w.saveSidecar(), QString());
        QFile file(defaultSidecarPath(model));
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(file.readAll().contains("\"encoder.layer.1.attention.out.dense\""));
    }
    // Reloaded with the sidecar beside the model: the renamed modules hold the same nodes.
    MainWindow again;
    again.setInteractive(false);
    QVERIFY(openAndWaitLoaded(again, model));
    const Hierarchy& h = again.document()->hierarchy;
    const int renamed = h.findModule("encoder.layer.1.attention.out");
    QVERIFY(renamed > 0);
    QCOMPARE(h.modules[renamed].className, className);
    for (const std::string& key : keys) {
        const int n = again.document()->graph->find(key);
        QVERIFY2(h.isAncestorOrSelf(renamed, h.assignments[n].module), key.c_str());
    }
    // The file's names and parameter names still say `output`: the sidecar's `renamed_from` maps them
    // to the renamed module, which keeps its parameters; no module of the old scope comes back.
    QCOMPARE(h.findModule("encoder.layer.1.attention.output"), -1);
    QCOMPARE(h.findModule("encoder.layer.1.attention.output.dense"), -1);
    QCOMPARE(h.modules[renamed].totalParameters, parameters);
    QCOMPARE(h.modules[renamed].evidenceScope, std::string("encoder.layer.1.attention.output"));
    QCOMPARE(h.modules[h.findModule("encoder.layer.1.attention.out.dense")].parent, renamed);
    QCOMPARE(h.modules.size(), moduleCount);
    // Saved again from the reloaded model, the record stays: a third open is the same.
    QCOMPARE(again.saveSidecar(), QString());
    MainWindow third;
    third.setInteractive(false);
    QVERIFY(openAndWaitLoaded(third, model));
    QCOMPARE(third.document()->hierarchy.findModule("encoder.layer.1.attention.output"), -1);
    QVERIFY(third.document()->hierarchy.findModule("encoder.layer.1.attention.out") > 0);
}

// Move Module Under...: `pooler` under `encoder` becomes `encoder.pooler`, its child and nodes with it;
// a target listed after the module is refused with the reason; saved, reloaded, undone.
void TestModuleEditing::moveModuleUnderAnotherSaveReloadUndo() {
    const QString model = dir_.filePath(QStringLiteral("bert_move.onnx"));
    QVERIFY(QFile::copy(fixture("bert_like_op17.onnx"), model));
    std::vector<std::string> keys;
    {
        MainWindow w; // interactive: the dialog is real
        w.show();
        QVERIFY(openAndSettle(w, model));
        const Hierarchy& h = w.document()->hierarchy;
        const int pooler = h.findModule("pooler"), encoder = h.findModule("encoder");
        const int embeddings = h.findModule("embeddings");
        QVERIFY(pooler > encoder && encoder > 0 && embeddings > 0);
        const std::size_t nodes = h.modules[pooler].totalNodes;
        QVERIFY(nodes > 0);
        // embeddings under pooler: pooler comes later in the model; refused, with the reason.
        const QString refused = w.moveModuleUnder(embeddings, pooler);
        QVERIFY2(refused.contains(QStringLiteral("later")), qPrintable(refused));
        QCOMPARE(w.undoStack()->count(), 0);

        QStringList offered;
        ModalDriver driver;
        driver.then<QInputDialog>([&](QInputDialog* d) {
            offered = d->comboBoxItems();
            d->setTextValue(QStringLiteral("encoder"));
            d->accept();
        });
        w.askModuleParent(pooler);
        QVERIFY(driver.done());
        QVERIFY(offered.contains(QStringLiteral("encoder")));
        QVERIFY(!offered.contains(QStringLiteral("(root)")));       // its parent already
        QVERIFY(!offered.contains(QStringLiteral("pooler.dense"))); // inside itself
        QCOMPARE(h.modules[pooler].scope, std::string("encoder.pooler"));
        QCOMPARE(h.modules[pooler].parent, encoder);
        QCOMPARE(h.modules[h.findModule("encoder.pooler.dense")].parent, pooler);
        QCOMPARE(h.modules[encoder].totalNodes, std::size_t(186) + nodes);
        QCOMPARE(w.undoStack()->count(), 1);
        QVERIFY(w.moduleModel()->indexOfModule(pooler).parent() == w.moduleModel()->indexOfModule(encoder));
        for (int n : h.modules[h.findModule("encoder.pooler.dense")].nodes)
            keys.push_back(w.document()->graph->key(n));
        for (int n : h.modules[pooler].nodes)
            keys.push_back(w.document()->graph->key(n));
        w.undoStack()->undo();
        QCOMPARE(h.modules[pooler].scope, std::string("pooler"));
        QCOMPARE(h.modules[pooler].parent, 0);
        QCOMPARE(h.modules[encoder].totalNodes, std::size_t(186));
        QVERIFY(!w.moduleModel()->indexOfModule(pooler).parent().isValid()); // a top row again

        // The same by dragging pooler's row onto encoder's in the tree (the view's drop, through its
        // filter model, as a mouse drag ends); a drag from another window's tree is refused.
        QAbstractItemModel* tree = w.moduleTree()->model();
        auto row = [&](int module) {
            return qobject_cast<QSortFilterProxyModel*>(tree)->mapFromSource(
                w.moduleModel()->indexOfModule(module));
        };
        std::unique_ptr<QMimeData> drag(tree->mimeData({row(pooler)}));
        QVERIFY(drag);
        QVERIFY(tree->canDropMimeData(drag.get(), Qt::MoveAction, -1, -1, row(encoder)));
        MainWindow other;
        other.setInteractive(false);
        QVERIFY(openAndWaitLoaded(other, model));
        QVERIFY(!other.moduleTree()->model()->canDropMimeData(drag.get(), Qt::MoveAction, -1, -1,
                                                              other.moduleTree()->model()->index(0, 0)));
        tree->dropMimeData(drag.get(), Qt::MoveAction, -1, -1, row(encoder));
        QTRY_COMPARE(h.modules[pooler].scope, std::string("encoder.pooler"));
        QCOMPARE(w.undoStack()->count(), 1);
        QCOMPARE(tree->rowCount(), 2); // embeddings, encoder
        QCOMPARE(w.saveSidecar(), QString());
    }
    MainWindow again;
    again.setInteractive(false);
    QVERIFY(openAndWaitLoaded(again, model));
    const Hierarchy& h = again.document()->hierarchy;
    const int moved = h.findModule("encoder.pooler");
    QVERIFY(moved > 0);
    QCOMPARE(h.modules[moved].parent, h.findModule("encoder"));
    QCOMPARE(h.findModule("pooler"), -1); // its parameter names still say `pooler.dense.weight`
    QCOMPARE(h.findModule("pooler.dense"), -1);
    QVERIFY(h.modules[moved].totalParameters > 0);
    QVERIFY(!keys.empty());
    for (const std::string& key : keys)
        QVERIFY2(h.isAncestorOrSelf(moved, h.assignments[again.document()->graph->find(key)].module),
                 key.c_str());
}

// Issue 20's figure, done for real rather than estimated: every vague node of bert_like_op17 renamed as
// torch <= 1.12 named it, moved to its true module with the widgets a person uses, each action counted:
// Edit > Accept All Suggestions; one click on the Node header (graph order); then per module still to
// reach: a click on the first row and a Shift-click on the last when its rows are consecutive (else a
// Ctrl-click each), Ctrl+M, the scope typed in the chooser, Return (a click on the right row when the
// highlight is not on it). At the end every vague node sits in its true module.
void TestModuleEditing::fixEveryVagueNodeOfRenamedBert() {
    Renamed r;
    QVERIFY(renameAsOldTorch(fixture("bert_like_op17.onnx"), dir_.filePath("bert_fix.onnx"), r));
    MainWindow w; // interactive: the chooser is a real dialog
    w.resize(1280, 800);
    w.show();
    QVERIFY(openAndSettle(w, r.path));
    const Hierarchy& h = w.document()->hierarchy;
    std::vector<int> vague;
    for (std::size_t i = 0; i < r.trueScope.size(); ++i)
        if (r.trueScope[i] != "?" && scopeOf(h, int(i)) != r.trueScope[i] &&
            above(scopeOf(h, int(i)), r.trueScope[i]))
            vague.push_back(static_cast<int>(i));
    QVERIFY(!vague.empty());
    int actions = 0, clicks = 0, dialogs = 0;
    w.findChild<QAction*>(QStringLiteral("acceptAllSuggestionsAction"))->trigger();
    ++actions;
    int atTrue = 0;
    for (int n : vague)
        atTrue += scopeOf(h, n) == r.trueScope[n];
    UncertainList* list = w.uncertainList();
    QHeaderView* header = list->header();
    QTest::mouseClick(
        header->viewport(), Qt::LeftButton, {},
        QPoint(header->sectionViewportPosition(UncertainList::NodeColumn) + 10, header->height() / 2));
    ++actions, ++clicks;
    QCOMPARE(list->sortColumn(), int(UncertainList::NodeColumn));
    if (header->sortIndicatorOrder() != Qt::AscendingOrder) { // a second click for graph order
        QTest::mouseClick(
            header->viewport(), Qt::LeftButton, {},
            QPoint(header->sectionViewportPosition(UncertainList::NodeColumn) + 10, header->height() / 2));
        ++actions, ++clicks;
    }
    auto rowOf = [&](int node) {
        for (int row = 0; row < list->topLevelItemCount(); ++row)
            if (list->nodeAt(row) == node) return row;
        return -1;
    };
    auto click = [&](int row, Qt::KeyboardModifiers modifiers) {
        QTreeWidgetItem* item = list->topLevelItem(row);
        list->scrollToItem(item);
        QTest::mouseClick(list->viewport(), Qt::LeftButton, modifiers, list->visualItemRect(item).center());
        ++actions, ++clicks;
    };
    for (int round = 0; round < 20; ++round) {
        std::map<int, std::string> firstLeft; // first node left -> its true scope, in graph order
        std::map<std::string, std::vector<int>> left;
        for (int n : vague)
            if (scopeOf(h, n) != r.trueScope[n]) left[r.trueScope[n]].push_back(n);
        if (left.empty()) break;
        for (const auto& [truth, nodes] : left)
            firstLeft[*std::min_element(nodes.begin(), nodes.end())] = truth;
        const std::string truth = firstLeft.begin()->second;
        std::vector<int> rows;
        for (int n : left[truth])
            rows.push_back(rowOf(n));
        std::sort(rows.begin(), rows.end());
        QVERIFY(rows.front() >= 0);
        click(rows.front(), {});
        if (rows.back() - rows.front() + 1 == int(rows.size()) && rows.size() > 2)
            click(rows.back(), Qt::ShiftModifier);
        else
            for (std::size_t k = 1; k < rows.size(); ++k)
                click(rows[k], Qt::ControlModifier);
        QCOMPARE(list->selectedNodes().size(), rows.size());
        ModalDriver driver;
        driver.then<ModuleChooser>([&](ModuleChooser* c) {
            QTest::keyClicks(c->filterEdit(), QString::fromStdString(truth));
            ++actions; // the scope typed
            const int target = h.findModule(truth);
            QListWidgetItem* current = c->list()->currentItem();
            if (target >= 0 && (!current || current->data(Qt::UserRole).toInt() != target))
                for (int i = 0; i < c->list()->count(); ++i)
                    if (c->list()->item(i)->data(Qt::UserRole).toInt() == target &&
                        !c->list()->item(i)->isHidden()) {
                        QTest::mouseClick(c->list()->viewport(), Qt::LeftButton, {},
                                          c->list()->visualItemRect(c->list()->item(i)).center());
                        ++actions, ++clicks;
                    }
            QTest::keyClick(c->filterEdit(), Qt::Key_Return);
            ++actions;
        });
        w.activateWindow(); // the offscreen platform does not give the window back after a dialog
        QVERIFY(QTest::qWaitForWindowActive(&w));
        list->setFocus();
        QTest::keyClick(list, Qt::Key_M, Qt::ControlModifier);
        ++actions, ++dialogs;
        QVERIFY(driver.done());
        for (int n : left[truth])
            QVERIFY2(scopeOf(h, n) == truth, (w.document()->graph->key(n) + " not in " + truth).c_str());
    }
    for (int n : vague)
        QCOMPARE(scopeOf(h, n), r.trueScope[n]);
    qInfo("bert_like_op17 renamed as torch <= 1.12: %d vague nodes; after Accept All Suggestions %d (%.0f%%) "
          "at "
          "their true module; all %d there after %d actions (%d clicks, %d Move to Module dialogs), %d undo "
          "steps",
          int(vague.size()), atTrue, 100.0 * atTrue / vague.size(), int(vague.size()), actions, clicks,
          dialogs, w.undoStack()->count());
    QVERIFY(actions <= 25); // the target is 5: what is measured is reported, a regression fails
    w.undoStack()->setClean();
}

QTEST_MAIN(TestModuleEditing)
#include "test_module_editing.moc"
