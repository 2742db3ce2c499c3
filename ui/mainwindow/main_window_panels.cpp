// MainWindow's panels: the module dock, graph and docks, and how a selection or expansion in one of them
// is mirrored in the others (tree <-> graph <-> inspector), re-tagging and the context menus.
#include "mainwindow/main_window.h"

#include "document/comparison.h"
#include "document/model_document.h"
#include "document/retag_command.h"
#include "document/suggestion.h"
#include "graphview/graph_scene.h"
#include "graphview/graph_view.h"
#include "itemmodels/module_tree_model.h"
#include "widgets/empty_hint.h"
#include "widgets/extraction.h"
#include "widgets/inspector.h"
#include "widgets/module_chooser.h"
#include "widgets/search_panel.h"
#include "widgets/uncertain_list.h"
#include "widgets/uncertain_panel.h"

#include <QCheckBox>
#include <QDockWidget>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QSplitter>
#include <QStatusBar>
#include <QTreeView>
#include <QUndoStack>
#include <QVBoxLayout>
#include <algorithm>

namespace hs::ui {

void MainWindow::createModuleDock() {
    auto* dock = new QDockWidget(tr("Modules"), this);
    dock->setObjectName(QStringLiteral("modulesDock"));
    auto* panel = new QWidget(dock);
    auto* layout = new QVBoxLayout(panel);
    layout->setContentsMargins(2, 2, 2, 2);
    filterEdit_ = new QLineEdit(panel);
    filterEdit_->setPlaceholderText(tr("Filter modules (name, class, scope)"));
    filterEdit_->setClearButtonEnabled(true);
    treeModel_ = new ModuleTreeModel(this);
    filterModel_ = new ModuleFilterModel(this);
    filterModel_->setSourceModel(treeModel_);
    treeView_ = new QTreeView(panel);
    treeView_->setModel(filterModel_);
    treeView_->setUniformRowHeights(true);
    treeView_->setContextMenuPolicy(Qt::CustomContextMenu);
    // Graph nodes dropped on a module are moved to it, a module dragged onto another moves under it (one
    // undoable step each).
    treeView_->setDragDropMode(QAbstractItemView::DragDrop);
    treeView_->setAcceptDrops(true);
    treeView_->setDropIndicatorShown(true);
    connect(treeModel_, &ModuleTreeModel::nodesDropped, this,
            [this](const std::vector<int>& nodes, int module) { retagNodes(nodes, module); });
    connect(treeView_, &QWidget::customContextMenuRequested, this, &MainWindow::showTreeContextMenu);
    // F2 renames the current module in place; a double click keeps opening it.
    treeView_->setEditTriggers(QAbstractItemView::EditKeyPressed);
    connect(
        treeModel_, &ModuleTreeModel::moduleDropped, this,
        [this](int module, int parent) {
            // Dropped on itself or on its parent (a short drag): nothing to do, nothing to say.
            if (!doc_ || module == parent || doc_->hierarchy.modules[module].parent == parent) return;
            if (const QString problem = moveModuleUnder(module, parent); !problem.isEmpty() && interactive_)
                QMessageBox::warning(this, tr("Move Module"), problem);
        },
        Qt::QueuedConnection); // after the drag: the tree model is rebuilt by the move
    connect(
        treeModel_, &ModuleTreeModel::renameRequested, this,
        [this](int module, const QString& name) { renameModule(module, name); },
        Qt::QueuedConnection); // after the editor closed: the model is rebuilt by the rename
    treeView_->setAlternatingRowColors(true);
    // Every column as wide as its text (deep names scroll sideways rather than being cut).
    treeView_->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    treeView_->header()->setStretchLastSection(false);
    // Any column sorts (the most MACs, the slowest module); unsorted, and after a third click, run order.
    treeView_->header()->setSortIndicator(-1, Qt::AscendingOrder);
    treeView_->header()->setSortIndicatorClearable(true);
    treeView_->setSortingEnabled(true);
    treeHint_ = new EmptyHint(treeView_);
    connect(filterEdit_, &QLineEdit::textChanged, this, &MainWindow::filterModules);
    layout->addWidget(filterEdit_);
    changedOnly_ = new QCheckBox(tr("Changed only"), panel); // shown while comparing (Compare With...)
    changedOnly_->setToolTip(tr("Only modules whose own ops or parameters differ in the compared model"));
    changedOnly_->hide();
    connect(changedOnly_, &QCheckBox::toggled, this, [this](bool on) {
        filterModel_->setChangedOnly(on);
        if (on) treeView_->expandAll();
    });
    layout->addWidget(changedOnly_);
    layout->addWidget(treeView_);
    // Where the tree came from (names, parameters, another converter's paths, inference), and the
    // model's notes behind a link: a tree inferred from parameter names must not pass for torch scopes.
    treeOrigin_ = new QLabel(panel);
    treeOrigin_->setObjectName(QStringLiteral("treeOrigin"));
    treeOrigin_->setWordWrap(true);
    treeOrigin_->setTextFormat(Qt::RichText);
    treeOrigin_->setTextInteractionFlags(Qt::LinksAccessibleByMouse | Qt::LinksAccessibleByKeyboard);
    treeOrigin_->setForegroundRole(QPalette::PlaceholderText);
    connect(treeOrigin_, &QLabel::linkActivated, this, [this] {
        notesShown_ = !notesShown_;
        if (doc_) updateTreeOrigin(doc_->hierarchy.statistics());
    });
    layout->addWidget(treeOrigin_);
    dock->setWidget(panel);
    addDockWidget(Qt::LeftDockWidgetArea, dock);
}

void MainWindow::filterModules(const QString& text) {
    filterModel_->setFilterFixedString(text);
    // The filter shows matches in the tree only: opening the rows around them must not open the modules in
    // the graph, and clearing it gives the tree back the graph's expansion.
    syncing_ = true;
    if (!text.isEmpty())
        treeView_->expandAll(); // matches deep in the tree must be visible
    else
        mirrorGraphExpansionInTree();
    syncing_ = false;
    updateEmptyHints();
}

// After the tree model was rebuilt: its rows open as the graph's modules are (or all of them while the
// filter shows matches), without opening or closing anything in the graph.
void MainWindow::restoreTreeExpansion() {
    syncing_ = true;
    if (filterEdit_->text().isEmpty())
        mirrorGraphExpansionInTree();
    else
        treeView_->expandAll();
    syncing_ = false;
}

void MainWindow::mirrorGraphExpansionInTree() {
    treeView_->collapseAll();
    for (int module : scene_->expandedModules())
        treeView_->expand(filterModel_->mapFromSource(treeModel_->indexOfModule(module)));
}

void MainWindow::updateEmptyHints() {
    graphHint_->setHint(doc_ ? QString()
                        : isLoading()
                            ? tr("Opening %1...").arg(QFileInfo(loadingPath_).fileName())
                            : tr("No model open.\n\nFile > Open... (%1), File > Open Recent, or "
                                 "drop an .onnx file here.")
                                  .arg(QKeySequence(QKeySequence::Open).toString(QKeySequence::NativeText)));
    QString tree;
    if (!doc_)
        tree = tr("Open a model to see its PyTorch module tree.");
    else if (doc_->hierarchy.modules.size() <= 1)
        tree = tr(
            "No modules: the node names and metadata of this model carry no PyTorch module scopes "
            "(a converter such as tf2onnx or paddle2onnx, or names stripped), so every node sits at "
            "the root, shown in the graph in sections of consecutive ops. A sidecar (--sidecar) can supply "
            "the modules.");
    else if (filterModel_->rowCount() == 0)
        tree = tr("No module matches \u201c%1\u201d.").arg(filterEdit_->text());
    treeHint_->setHint(tree);
    uncertainHint_->setHint(!doc_ ? QString()
                            : uncertain_->topLevelItemCount()
                                ? QString()
                                : tr("No uncertain assignments: every node is placed "
                                     "with high confidence or tagged by hand."));
}

void MainWindow::createGraphAndDocks() {
    scene_ = new GraphScene(this);
    view_ = new GraphView(scene_, this);
    setCentralWidget(view_);
    inspector_ = new Inspector(this);
    addDock(tr("Inspector"), QStringLiteral("inspectorDock"), inspector_, Qt::RightDockWidgetArea);
    uncertainPanel_ = new UncertainPanel(this);
    uncertain_ = uncertainPanel_->list();
    QDockWidget* uncertainDock = addDock(tr("Uncertain (0)"), QStringLiteral("uncertainDock"),
                                         uncertainPanel_, Qt::BottomDockWidgetArea);
    uncertainDock_ = uncertainDock;
    search_ = new SearchPanel(this);
    searchDock_ = addDock(tr("Search"), QStringLiteral("searchDock"), search_, Qt::BottomDockWidgetArea);
    tabifyDockWidget(uncertainDock, searchDock_);
    uncertainDock->raise();
    restorePaneSizes();
    graphHint_ = new EmptyHint(view_);
    // Opening and failing to open both end in a status message: the empty graph's hint follows them.
    connect(statusBar(), &QStatusBar::messageChanged, this, [this] { updateEmptyHints(); });
    uncertainHint_ = new EmptyHint(uncertain_);
    connect(view_, &GraphView::contextMenuRequested, this, &MainWindow::showGraphContextMenu);
    connect(scene_, &GraphScene::layoutFailed, this,
            [this](const QString& m) { statusBar()->showMessage(m, 10000); });
}

void MainWindow::restorePaneSizes() {
    // The graph keeps about half of the window's width and 70% of its height (340 and 290 pixels for
    // the side docks and 220 for the bottom one in a 1280x800 window).
    const int w = std::max(width(), 640), h = std::max(height(), 480);
    resizeDocks({uncertainDock_}, {h * 220 / 800}, Qt::Vertical);
    resizeDocks({findChild<QDockWidget*>(QStringLiteral("modulesDock")),
                 findChild<QDockWidget*>(QStringLiteral("inspectorDock"))},
                {w * 340 / 1280, w * 290 / 1280}, Qt::Horizontal);
    if (auto* split = qobject_cast<QSplitter*>(splitB_)) {
        const int half = std::max(split->height(), 2) / 2;
        split->setSizes({half, half});
    }
}

QDockWidget* MainWindow::addDock(const QString& title, const QString& name, QWidget* widget,
                                 Qt::DockWidgetArea area) {
    auto* dock = new QDockWidget(title, this);
    dock->setObjectName(name);
    dock->setWidget(widget);
    addDockWidget(area, dock);
    return dock;
}

void MainWindow::connectSelection() {
    connect(treeView_->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex& current) { onTreeCurrentChanged(current); });
    // Expanding in the tree opens the module in the graph, and the reverse.
    auto mirror = [this](const QModelIndex& index, bool expanded) {
        if (syncing_) return;
        const int module = treeModel_->moduleAt(filterModel_->mapToSource(index));
        if (module > 0) scene_->setExpanded(module, expanded);
    };
    connect(treeView_, &QTreeView::expanded, this, [mirror](const QModelIndex& i) { mirror(i, true); });
    connect(treeView_, &QTreeView::collapsed, this, [mirror](const QModelIndex& i) { mirror(i, false); });
    connect(scene_, &GraphScene::expansionChanged, this, [this](int module, bool expanded) {
        const QModelIndex index = filterModel_->mapFromSource(treeModel_->indexOfModule(module));
        if (!index.isValid() || treeView_->isExpanded(index) == expanded) return;
        syncing_ = true;
        treeView_->setExpanded(index, expanded);
        syncing_ = false;
    });
    connect(scene_, &GraphScene::entityActivated, this,
            [this](const GraphEntity& e) { onGraphActivated(e); });
    connect(uncertain_, &UncertainList::nodeActivated, this, [this](int node) {
        navigateTo({GraphEntity::Node, node});
        std::vector<int> selected = uncertain_->selectedNodes(); // Shift/Ctrl-click: act on them all
        if (selected.size() > 1) lastNodes_ = std::move(selected);
    });
    connectUncertainPanel();
    connect(search_, &SearchPanel::entityActivated, this, [this](const GraphEntity& e) { navigateTo(e); });
    connect(search_, &SearchPanel::matchesChanged, scene_,
            [this](const std::vector<GraphEntity>& matches) { scene_->setSearchMatches(matches); });
    connect(inspector_, &Inspector::moduleLinkActivated, this, [this](int module) {
        navigateTo({GraphEntity::Module, module});
    });
    connect(inspector_, &Inspector::acceptCandidate, this,
            [this](int node, int module) { retagNodes({node}, module); });
}

void MainWindow::onTreeCurrentChanged(const QModelIndex& current) {
    if (syncing_ || !doc_) return;
    const int module = treeModel_->moduleAt(filterModel_->mapToSource(current));
    if (module <= 0) return;
    inspector_->showModule(module);
    scene_->reveal({GraphEntity::Module, module});
}

void MainWindow::onGraphActivated(const GraphEntity& e) {
    if (!doc_) return;
    lastNodes_ = scene_->selectedNodes();
    int module = -1;
    if (e.kind == GraphEntity::Node) {
        inspector_->showNode(e.index);
        module = doc_->hierarchy.assignments[static_cast<std::size_t>(e.index)].module;
    } else if (e.kind == GraphEntity::Module) {
        inspector_->showModule(e.index);
        module = e.index;
    } else if (e.kind == GraphEntity::Section) {
        module = scene_->section(e.index).module;
    }
    if (module < 0) return;
    syncing_ = true;
    selectModule(module);
    syncing_ = false;
}

void MainWindow::navigateTo(const GraphEntity& e) {
    if (!doc_ || e.kind == GraphEntity::None) return;
    if (e.kind == GraphEntity::Node) {
        inspector_->showNode(e.index);
        lastNodes_ = {e.index};
    } else {
        inspector_->showModule(e.index);
    }
    const int module = e.kind == GraphEntity::Module ? e.index : doc_->hierarchy.assignments[e.index].module;
    syncing_ = true;
    selectModule(module);
    syncing_ = false;
    scene_->reveal(e);
}

void MainWindow::retagNodes(const std::vector<int>& nodes, int module) {
    if (!doc_ || nodes.empty() || module < 0) return;
    undo_->push(new RetagCommand(doc_.get(), nodes, module, [this] { onHierarchyChanged(); }));
    followRetag(nodes, module);
}

// Follow the nodes to where they went: their new module opens in the graph with them selected, and the
// tree and inspector show them there.
void MainWindow::followRetag(const std::vector<int>& nodes, int module) {
    lastNodes_ = nodes;
    inspector_->showNode(nodes.front());
    syncing_ = true;
    selectModule(module);
    syncing_ = false;
    scene_->reveal({GraphEntity::Node, nodes.front()}, nodes);
}

void MainWindow::onHierarchyChanged(bool treeChanged) {
    if (treeChanged || treeModel_->moduleCount() != doc_->hierarchy.modules.size()) {
        // A module was created or removed (Move to Module's new module, its undo). The others keep their
        // indices: the graph keeps its expansion, zoom and position, and the tree its open rows.
        treeModel_->setHierarchy(&doc_->hierarchy);
        scene_->modulesChanged();
        restoreTreeExpansion();
        if (inspector_->shownModule() >= static_cast<int>(doc_->hierarchy.modules.size()))
            inspector_->showModule(0);
    }
    if (comparison_) installComparison(comparison_->other); // a re-tag moves nodes between modules
    refreshCost();
    treeModel_->refreshSummaries();
    uncertain_->refresh();
    inspector_->refresh();
    updateStatus(); // also the empty hints (the uncertain list may have become empty)
    scene_->invalidate();
}

void MainWindow::moveSelectionToModule() {
    if (!doc_) return;
    // The list's selection when Ctrl+M is pressed there, else the graph's, else the last one made.
    std::vector<int> nodes = uncertain_->hasFocus() ? uncertain_->selectedNodes() : std::vector<int>{};
    if (nodes.empty()) nodes = scene_->selectedNodes();
    if (nodes.empty()) nodes = lastNodes_;
    if (nodes.empty()) {
        statusBar()->showMessage(tr("Select one or more nodes first (graph, uncertain list or search)."),
                                 5000);
        return;
    }
    moveToChosenModule(nodes);
}

// The chooser, its suggestions first, then the re-tagging (into a module created on the way when a new
// scope was typed): Edit > Move to Module, the graph's menu and the uncertain panel.
void MainWindow::moveToChosenModule(const std::vector<int>& nodes) {
    const int current = doc_->hierarchy.assignments[static_cast<std::size_t>(nodes.front())].module;
    ModuleChooser chooser(doc_->hierarchy, current, suggestedModules(nodes), static_cast<int>(nodes.size()),
                          this);
    if (chooser.exec() != QDialog::Accepted) return;
    if (const int module = chooser.selectedModule(); module >= 0) return retagNodes(nodes, module);
    const std::string scope = chooser.newScope();
    if (scope.empty()) return;
    auto* command = new CreateModuleCommand(doc_.get(), scope, chooser.newClass(), nodes,
                                            [this] { onHierarchyChanged(); });
    undo_->push(command);
    followRetag(nodes, command->module());
}

// The modules the nodes may belong to below where inference left them, those offered for more of the
// nodes first (a selection of the attention math: attention.self), each saying why.
std::vector<ModuleSuggestion> MainWindow::suggestedModules(const std::vector<int>& nodes) const {
    std::vector<std::pair<int, int>> votes; // (module, nodes offering it), in order of first offer
    constexpr std::size_t kNodesAsked = 64; // a selection of thousands need not be read whole
    const std::size_t asked = std::min(nodes.size(), kNodesAsked);
    for (std::size_t k = 0; k < asked; ++k)
        for (int m : doc_->hierarchy.deeperCandidates(*doc_->graph, nodes[k])) {
            auto it = std::find_if(votes.begin(), votes.end(), [&](const auto& v) { return v.first == m; });
            if (it == votes.end())
                votes.emplace_back(m, 1);
            else
                ++it->second;
        }
    std::stable_sort(votes.begin(), votes.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::vector<ModuleSuggestion> modules;
    for (const auto& [module, count] : votes)
        modules.push_back({module, asked == 1
                                       ? tr("the placed nodes its data comes from or goes to are there")
                                       : tr("for %1 of %2 nodes, the placed nodes their data comes from "
                                            "or goes to are there")
                                             .arg(count)
                                             .arg(asked)});
    return modules;
}

void MainWindow::showSearch() {
    searchDock_->show();
    searchDock_->raise();
    search_->queryEdit()->setFocus();
    search_->queryEdit()->selectAll();
}

bool MainWindow::selectModule(int module) {
    const QModelIndex index = filterModel_->mapFromSource(treeModel_->indexOfModule(module));
    if (!index.isValid()) return false;
    treeView_->setCurrentIndex(index);
    treeView_->scrollTo(index);
    return true;
}

bool MainWindow::expandScope(const QString& scope) {
    if (!doc_) return false;
    const int module = doc_->hierarchy.findModule(scope.toStdString());
    const QModelIndex index = filterModel_->mapFromSource(treeModel_->indexOfModule(module));
    if (!index.isValid()) return false;
    for (QModelIndex i = index; i.isValid(); i = i.parent())
        treeView_->expand(i);
    selectModule(module);
    return true;
}

void MainWindow::showTreeContextMenu(const QPoint& pos) {
    if (!doc_) return;
    const int module = treeModel_->moduleAt(filterModel_->mapToSource(treeView_->indexAt(pos)));
    if (module <= 0) return;
    QMenu menu(this);
    menu.addAction(tr("E&xtract Subgraph..."), this,
                   [this, module] { requestExtraction(moduleTarget(doc_->hierarchy, module)); });
    menu.addAction(tr("&Show in Graph"), this, [this, module] { navigateTo({GraphEntity::Module, module}); });
    menu.addAction(tr("&Accept Suggestions Inside This Module"), this,
                   [this, module] { acceptSuggestionsInside(module); })
        ->setObjectName(QStringLiteral("acceptInsideAction"));
    menu.addSeparator();
    QAction* rename =
        menu.addAction(tr("&Rename Module..."), this, [this, module] { startRenamingModule(module); });
    rename->setShortcut(QKeySequence(Qt::Key_F2)); // shown; F2 itself is the tree's edit key
    rename->setObjectName(QStringLiteral("renameModuleAction"));
    menu.addAction(tr("Move Module &Under..."), this, [this, module] { askModuleParent(module); })
        ->setObjectName(QStringLiteral("moveModuleUnderAction"));
    const std::vector<int> nodes = scene_->selectedNodes();
    if (!nodes.empty())
        menu.addAction(tr("&Move %n Selected Node(s) Here", nullptr, static_cast<int>(nodes.size())), this,
                       [this, nodes, module] { retagNodes(nodes, module); });
    menu.exec(treeView_->viewport()->mapToGlobal(pos));
}

void MainWindow::showGraphContextMenu(const GraphEntity& entity, const QPoint& globalPos) {
    if (!doc_) return;
    QMenu menu(this);
    std::vector<int> nodes = scene_->selectedNodes();
    if (entity.kind == GraphEntity::Node) {
        if (std::find(nodes.begin(), nodes.end(), entity.index) == nodes.end()) nodes = {entity.index};
        const int owner = doc_->hierarchy.assignments[static_cast<std::size_t>(entity.index)].module;
        menu.addAction(nodes.size() == 1 ? tr("E&xtract Node...")
                                         : tr("E&xtract %1 Selected Nodes...").arg(nodes.size()),
                       this, [this, nodes] { requestExtraction(nodesTarget(*doc_->graph, nodes)); });
        if (owner > 0) {
            const QString scope = QString::fromStdString(doc_->hierarchy.modules[owner].scope);
            menu.addAction(tr("Extract Module '%1'...").arg(scope), this,
                           [this, owner] { requestExtraction(moduleTarget(doc_->hierarchy, owner)); });
        }
        menu.addSeparator();
        menu.addAction(tr("&Move to Module..."), this, [this, nodes] {
            lastNodes_ = nodes;
            moveToChosenModule(nodes);
        });
        // One node or a selection: each to the module suggested for it (a guess taken, still to check).
        const int suggested = suggestedModule(*doc_, entity.index);
        if (suggested >= 0 || nodes.size() > 1)
            menu.addAction(nodes.size() == 1
                               ? tr("Accept &Suggested Module '%1'")
                                     .arg(QString::fromStdString(doc_->hierarchy.modules[suggested].scope))
                               : tr("Accept &Suggested Modules of %1 Nodes").arg(nodes.size()),
                           this, [this, nodes] { acceptSuggestions(nodes); })
                ->setObjectName(QStringLiteral("acceptSuggestedAction"));
    } else if (entity.kind == GraphEntity::Section) {
        const int section = entity.index;
        menu.addAction(tr("E&xtract Section..."), this,
                       [this, section] { requestExtraction(sectionTarget(section)); });
        menu.addAction(
            scene_->isEntityExpanded(entity) ? tr("&Collapse") : tr("&Expand"), this,
            [this, entity] { scene_->setEntityExpanded(entity, !scene_->isEntityExpanded(entity)); });
    } else if (entity.kind == GraphEntity::Module) {
        const int module = entity.index;
        menu.addAction(tr("E&xtract Subgraph..."), this,
                       [this, module] { requestExtraction(moduleTarget(doc_->hierarchy, module)); });
        menu.addAction(scene_->isExpanded(module) ? tr("&Collapse") : tr("&Expand"), this,
                       [this, module] { scene_->setExpanded(module, !scene_->isExpanded(module)); });
    } else {
        return;
    }
    menu.exec(globalPos);
}

void MainWindow::updateTreeOrigin(const HierarchyStatistics& stats) {
    const std::vector<std::string>& notes = doc_->hierarchy.notes;
    QString text = tr("Tree from %1.").arg(QString::fromStdString(sourcesSummary(stats)).toHtmlEscaped());
    if (!notes.empty()) {
        text += QStringLiteral(" <a href=\"notes\">%1</a>")
                    .arg(notesShown_ ? tr("Hide notes")
                                     : (notes.size() == 1 ? tr("1 note") : tr("%1 notes").arg(notes.size())));
        if (notesShown_)
            for (const std::string& note : notes)
                text += QStringLiteral("<br>&bull; ") + QString::fromStdString(note).toHtmlEscaped();
    }
    treeOrigin_->setText(text);
}

} // namespace hs::ui
