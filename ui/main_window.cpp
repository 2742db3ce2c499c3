#include "main_window.h"

#include "confidence.h"
#include "error.h"
#include "extraction.h"
#include "graph_scene.h"
#include "graph_view.h"
#include "inspector.h"
#include "model_document.h"
#include "module_chooser.h"
#include "module_tree_model.h"
#include "resources.h"
#include "retag_command.h"
#include "search_panel.h"
#include "sidecar.h"
#include "sidecar_actions.h"
#include "uncertain_list.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QContextMenuEvent>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QTreeView>
#include <QUndoStack>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>

namespace hs::ui {

static constexpr int kMaxRecentFiles = 8;

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    initResources();
    setWindowIcon(QIcon(QStringLiteral(":/hierscope/hierscope.svg")));
    setAcceptDrops(true);
    resize(1280, 800);
    loader_ = new QFutureWatcher<std::shared_ptr<ModelDocument>>(this);
    connect(loader_, &QFutureWatcherBase::finished, this, &MainWindow::onLoadFinished);
    undo_ = new QUndoStack(this);
    extraction_ = new ExtractionJob(this);
    connect(extraction_, &ExtractionJob::planned, this, &MainWindow::onExtractionPlanned);
    connect(extraction_, &ExtractionJob::written, this, &MainWindow::onExtractionWritten);
    connect(extraction_, &ExtractionJob::failed, this, &MainWindow::onExtractionFailed);
    connect(extraction_, &ExtractionJob::cancelled, this, [this] {
        extractDoc_.reset();
        statusBar()->showMessage(tr("Extraction cancelled"), 5000);
        emit extractionFinished(extractOutput_, tr("cancelled"));
    });
    connect(undo_, &QUndoStack::cleanChanged, this, [this](bool clean) { setWindowModified(!clean); });
    createModuleDock();
    createGraphAndDocks();
    connectSelection();
    sidecarActions_ = new SidecarActions(this, undo_);
    connect(sidecarActions_, &SidecarActions::problem, this, &MainWindow::reportError);
    createActions();
    createStatusBar();
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    updateTitle();
    updateStatus();
}

MainWindow::~MainWindow() {
    // A load still running owns its own document; wait so it does not outlive the watcher.
    loader_->disconnect(this);
    loader_->waitForFinished();
    // Child widgets outlive this object's members: they must not call back into it.
    scene_->disconnect(this);
    treeView_->selectionModel()->disconnect(this);
}

void MainWindow::createActions() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open..."), this, &MainWindow::showOpenDialog);
    open->setShortcut(QKeySequence::Open);
    recentMenu_ = file->addMenu(tr("Open &Recent"));
    rebuildRecentMenu();
    file->addSeparator();
    sidecarActions_->addTo(file);
    file->addAction(tr("&Export Picture (SVG, PNG)..."), this, &MainWindow::exportPicture);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = undo_->createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    QAction* redo = undo_->createRedoAction(this, tr("&Redo"));
    redo->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence::Redo});
    edit->addAction(undo);
    edit->addAction(redo);
    edit->addSeparator();
    QAction* move = edit->addAction(tr("&Move to Module..."), this, &MainWindow::moveSelectionToModule);
    move->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_M));
    move->setObjectName(QStringLiteral("moveToModuleAction"));
    edit->addAction(tr("&Find..."), this, &MainWindow::showSearch)->setShortcut(QKeySequence::Find);
    edit->addSeparator();
    extractAction_ = edit->addAction(tr("E&xtract Subgraph..."), this, [this] {
        const ExtractTarget target = currentExtractTarget();
        if (target.isValid())
            requestExtraction(target);
        else
            statusBar()->showMessage(tr("Select a module (tree or graph) or nodes in the graph first."),
                                     5000);
    });
    extractAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    extractAction_->setObjectName(QStringLiteral("extractAction"));

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addAction(tr("&Fit"), view_, &GraphView::fitAll)->setShortcut(QKeySequence(Qt::Key_F));
    view->addAction(tr("Zoom &In"), this, [this] { view_->zoomBy(1.25); })->setShortcut(QKeySequence::ZoomIn);
    view->addAction(tr("Zoom &Out"), this, [this] { view_->zoomBy(1 / 1.25); })
        ->setShortcut(QKeySequence::ZoomOut);
    QAction* dim = view->addAction(tr("&Dim Confident Nodes"));
    dim->setCheckable(true);
    dim->setShortcut(QKeySequence(Qt::Key_D));
    connect(dim, &QAction::toggled, scene_, &GraphScene::setDimConfident);
    view->addSeparator();
    for (QDockWidget* dock : findChildren<QDockWidget*>())
        view->addAction(dock->toggleViewAction());
}

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
    // Graph nodes dropped on a module are moved to it (one undoable step).
    treeView_->setDragDropMode(QAbstractItemView::DropOnly);
    treeView_->setAcceptDrops(true);
    treeView_->setDropIndicatorShown(true);
    connect(treeModel_, &ModuleTreeModel::nodesDropped, this,
            [this](const std::vector<int>& nodes, int module) { retagNodes(nodes, module); });
    connect(treeView_, &QWidget::customContextMenuRequested, this, &MainWindow::showTreeContextMenu);
    treeView_->setAlternatingRowColors(true);
    treeView_->header()->setSectionResizeMode(ModuleTreeModel::NameColumn, QHeaderView::Stretch);
    treeView_->header()->setStretchLastSection(false);
    for (int column :
         {ModuleTreeModel::NodesColumn, ModuleTreeModel::ConfidenceColumn, ModuleTreeModel::ParametersColumn})
        treeView_->header()->setSectionResizeMode(column, QHeaderView::ResizeToContents);
    connect(filterEdit_, &QLineEdit::textChanged, this, [this](const QString& text) {
        filterModel_->setFilterFixedString(text);
        if (!text.isEmpty()) treeView_->expandAll(); // matches deep in the tree must be visible
    });
    layout->addWidget(filterEdit_);
    layout->addWidget(treeView_);
    dock->setWidget(panel);
    addDockWidget(Qt::LeftDockWidgetArea, dock);
}

void MainWindow::createStatusBar() {
    countsLabel_ = new QLabel(this);
    confidenceLabel_ = new QLabel(this);
    confidenceLabel_->setTextFormat(Qt::RichText);
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 0); // the core gives no progress: a busy indicator
    progress_->setMaximumWidth(120);
    progress_->hide();
    cancelButton_ = new QPushButton(tr("Cancel"), this);
    cancelButton_->hide();
    connect(cancelButton_, &QPushButton::clicked, this, &MainWindow::cancelLoading);
    statusBar()->addWidget(countsLabel_);
    statusBar()->addWidget(confidenceLabel_);
    statusBar()->addPermanentWidget(progress_);
    statusBar()->addPermanentWidget(cancelButton_);
}

void MainWindow::showOpenDialog() {
    const QString dir = doc_ ? QFileInfo(doc_->modelPath).absolutePath() : QString();
    const QString path = QFileDialog::getOpenFileName(this, tr("Open ONNX model"), dir,
                                                      tr("ONNX models (*.onnx);;All files (*)"));
    if (!path.isEmpty()) openModel(path);
}

void MainWindow::openModel(const QString& path, const QString& sidecarPath) {
    if (isLoading()) cancelLoading();
    loadingPath_ = path;
    explicitSidecar_ = !sidecarPath.isEmpty();
    progress_->show();
    cancelButton_->show();
    statusBar()->showMessage(tr("Opening %1...").arg(QFileInfo(path).fileName()));
    loader_->setFuture(QtConcurrent::run(loadModelDocument, path, sidecarPath));
}

bool MainWindow::isLoading() const {
    return !loadingPath_.isEmpty();
}

bool MainWindow::isBusy() const {
    return isLoading() || scene_->isLayingOut() || extraction_->isRunning();
}

bool MainWindow::waitUntilIdle(int timeoutMs) {
    QElapsedTimer timer;
    timer.start();
    while (isBusy() && timer.elapsed() < timeoutMs)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    QCoreApplication::processEvents(); // let views apply the last updates before a grab
    return !isBusy();
}

void MainWindow::cancelLoading() {
    // The core cannot be interrupted; the load finishes in the background and its result is dropped.
    loader_->disconnect(this);
    delete loader_;
    loader_ = new QFutureWatcher<std::shared_ptr<ModelDocument>>(this);
    connect(loader_, &QFutureWatcherBase::finished, this, &MainWindow::onLoadFinished);
    loadingPath_.clear();
    progress_->hide();
    cancelButton_->hide();
    statusBar()->showMessage(tr("Opening cancelled"), 5000);
}

void MainWindow::onLoadFinished() {
    std::shared_ptr<ModelDocument> doc = loader_->result();
    loadingPath_.clear();
    progress_->hide();
    cancelButton_->hide();
    statusBar()->clearMessage();
    if (!doc || !doc->error.isEmpty()) {
        const QString message = doc ? doc->error : tr("Cannot open the model.");
        reportError(tr("Cannot open model"), message);
        emit loadFailed(message);
        return;
    }
    if (!doc->sidecarNote.isEmpty()) {
        if (explicitSidecar_)
            reportError(tr("Sidecar not applied"), doc->sidecarNote);
        else
            statusBar()->showMessage(doc->sidecarNote, 15000);
    }
    installDocument(std::move(doc));
    emit modelLoaded();
}

void MainWindow::installDocument(std::shared_ptr<ModelDocument> doc) {
    // Detach every view before the old hierarchy goes away.
    undo_->clear();
    treeModel_->setHierarchy(nullptr);
    treeModel_->setDocumentTag(nullptr);
    view_->setDocumentTag(nullptr);
    scene_->setDocument(nullptr);
    inspector_->setDocument(nullptr);
    uncertain_->setDocument(nullptr);
    search_->setDocument(nullptr);
    lastNodes_.clear();
    doc_ = std::move(doc);
    treeModel_->setHierarchy(&doc_->hierarchy);
    treeModel_->setDocumentTag(doc_.get());
    view_->setDocumentTag(doc_.get());
    scene_->setDocument(doc_.get());
    inspector_->setDocument(doc_.get());
    uncertain_->setDocument(doc_.get());
    search_->setDocument(doc_.get());
    sidecarActions_->setDocument(doc_);
    connect(scene_, &GraphScene::layoutFinished, view_, &GraphView::fitAll, Qt::SingleShotConnection);
    addRecentFile(doc_->modelPath);
    updateTitle();
    updateStatus();
}

void MainWindow::createGraphAndDocks() {
    scene_ = new GraphScene(this);
    view_ = new GraphView(scene_, this);
    setCentralWidget(view_);
    inspector_ = new Inspector(this);
    addDock(tr("Inspector"), QStringLiteral("inspectorDock"), inspector_, Qt::RightDockWidgetArea);
    uncertain_ = new UncertainList(this);
    QDockWidget* uncertainDock = addDock(tr("Uncertain assignments"), QStringLiteral("uncertainDock"),
                                         uncertain_, Qt::BottomDockWidgetArea);
    search_ = new SearchPanel(this);
    searchDock_ = addDock(tr("Search"), QStringLiteral("searchDock"), search_, Qt::BottomDockWidgetArea);
    tabifyDockWidget(uncertainDock, searchDock_);
    uncertainDock->raise();
    resizeDocks({uncertainDock}, {190}, Qt::Vertical);
    resizeDocks({findChild<QDockWidget*>(QStringLiteral("modulesDock")),
                 findChild<QDockWidget*>(QStringLiteral("inspectorDock"))},
                {400, 340}, Qt::Horizontal);
    connect(view_, &GraphView::contextMenuRequested, this, &MainWindow::showGraphContextMenu);
    connect(scene_, &GraphScene::layoutFailed, this,
            [this](const QString& m) { statusBar()->showMessage(m, 10000); });
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
    });
    connect(search_, &SearchPanel::entityActivated, this, [this](const GraphEntity& e) { navigateTo(e); });
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
}

void MainWindow::onHierarchyChanged() {
    treeModel_->refreshSummaries();
    uncertain_->refresh();
    inspector_->refresh();
    updateStatus();
    scene_->invalidate();
}

void MainWindow::moveSelectionToModule() {
    if (!doc_) return;
    std::vector<int> nodes = scene_->selectedNodes();
    if (nodes.empty()) nodes = lastNodes_;
    if (nodes.empty()) {
        statusBar()->showMessage(tr("Select one or more nodes first (graph, uncertain list or search)."),
                                 5000);
        return;
    }
    const int current = doc_->hierarchy.assignments[static_cast<std::size_t>(nodes.front())].module;
    const int module = ModuleChooser::choose(doc_->hierarchy, current, this);
    if (module >= 0) retagNodes(nodes, module);
}

// ---- Extraction

ExtractTarget MainWindow::currentExtractTarget() const {
    if (!doc_) return {ExtractTarget{false, {}, {}, {}}};
    const std::vector<int> nodes = scene_->selectedNodes();
    if (!nodes.empty()) return nodesTarget(*doc_->graph, nodes);
    const GraphEntity selected = scene_->selectedEntity();
    if (selected.kind == GraphEntity::Module) return moduleTarget(doc_->hierarchy, selected.index);
    if (selected.kind == GraphEntity::Section) return sectionTarget(selected.index);
    const int module = treeModel_->moduleAt(filterModel_->mapToSource(treeView_->currentIndex()));
    if (module > 0) return moduleTarget(doc_->hierarchy, module);
    return {ExtractTarget{false, {}, {}, {}}};
}

ExtractTarget MainWindow::sectionTarget(int section) const {
    const GraphScene::Section& sec = scene_->section(section);
    const auto& nodes = doc_->hierarchy.modules[static_cast<std::size_t>(sec.module)].nodes;
    ExtractTarget target =
        nodesTarget(*doc_->graph, std::vector<int>(nodes.begin() + sec.begin, nodes.begin() + sec.end));
    target.label =
        tr("ops %1 to %2 of %3")
            .arg(sec.begin + 1)
            .arg(sec.end)
            .arg(sec.module == 0 ? tr("the root")
                                 : QString::fromStdString(doc_->hierarchy.modules[sec.module].scope));
    return target;
}

bool MainWindow::isExtracting() const {
    return extraction_->isRunning();
}

void MainWindow::requestExtraction(const ExtractTarget& target) {
    if (!doc_ || !target.isValid()) return;
    if (extraction_->isRunning()) {
        statusBar()->showMessage(tr("An extraction is already running."), 5000);
        return;
    }
    startExtraction(target, QString());
}

bool MainWindow::extractModule(const QString& scope, const QString& outputPath) {
    if (!doc_ || extraction_->isRunning() || outputPath.isEmpty()) return false;
    ExtractTarget target;
    target.isModule = true;
    target.scope = scope;
    target.label = tr("module '%1'").arg(scope);
    startExtraction(target, outputPath);
    return true;
}

bool MainWindow::extractNodes(const std::vector<int>& nodes, const QString& outputPath) {
    if (!doc_ || extraction_->isRunning() || outputPath.isEmpty() || nodes.empty()) return false;
    startExtraction(nodesTarget(*doc_->graph, nodes), outputPath);
    return true;
}

void MainWindow::startExtraction(const ExtractTarget& target, const QString& outputPath) {
    extractDoc_ = doc_;
    extractOutput_ = outputPath;
    extractLabel_ = target.label;
    statusBar()->showMessage(tr("Planning the extraction of %1...").arg(target.label));
    extraction_->plan(extractDoc_, target);
}

QString MainWindow::askExtractionPath(const ExtractionPlan& plan) {
    const QFileInfo model(extractDoc_->modelPath);
    QString suffix = plan.fromModule
                         ? (plan.scope.empty() ? QStringLiteral("root") : QString::fromStdString(plan.scope))
                         : QStringLiteral("selection");
    const QString suggested = model.absoluteDir().filePath(model.completeBaseName() + QLatin1Char('_') +
                                                           suffix + QStringLiteral(".onnx"));
    QFileDialog dialog(this, tr("Save extracted model"), suggested,
                       tr("ONNX models (*.onnx);;All files (*)"));
    dialog.setObjectName(QStringLiteral("extractSaveDialog"));
    dialog.setAcceptMode(QFileDialog::AcceptSave);
    dialog.setFileMode(QFileDialog::AnyFile);
    dialog.setDefaultSuffix(QStringLiteral("onnx"));
    dialog.selectFile(suggested);
    if (dialog.exec() != QDialog::Accepted || dialog.selectedFiles().isEmpty()) return {};
    return dialog.selectedFiles().first();
}

void MainWindow::onExtractionPlanned(std::shared_ptr<const ExtractionPlan> plan) {
    if (!extractDoc_) return;
    QString path = extractOutput_;
    if (path.isEmpty()) {
        ExtractPreviewDialog preview(*plan, QFileInfo(extractDoc_->modelPath).fileName(), this);
        if (preview.exec() != QDialog::Accepted) {
            extractDoc_.reset();
            statusBar()->clearMessage();
            return;
        }
        path = askExtractionPath(*plan);
        if (path.isEmpty()) {
            extractDoc_.reset();
            statusBar()->clearMessage();
            return;
        }
        if (QFileInfo(path).absoluteFilePath() == QFileInfo(extractDoc_->modelPath).absoluteFilePath()) {
            onExtractionFailed(
                tr("Cannot write %1:\nit is the model that is open; choose another file.").arg(path));
            return;
        }
        extractOutput_ = path;
    }
    statusBar()->showMessage(tr("Extracting %1 to %2...").arg(extractLabel_, path));
    extraction_->write(extractDoc_, plan, path);
}

void MainWindow::onExtractionWritten(const QString& path, const QString& summary) {
    extractDoc_.reset();
    statusBar()->showMessage(summary, 15000);
    emit extractionFinished(path, QString());
    if (!interactive_) return;
    QMessageBox box(QMessageBox::Information, tr("Subgraph extracted"), summary, QMessageBox::NoButton, this);
    box.setObjectName(QStringLiteral("extractDoneBox"));
    QPushButton* open = box.addButton(tr("Open in New Window"), QMessageBox::AcceptRole);
    open->setObjectName(QStringLiteral("openInNewWindow"));
    box.addButton(QMessageBox::Close);
    box.setDefaultButton(open);
    box.exec();
    if (box.clickedButton() == open) openInNewWindow(path);
}

void MainWindow::onExtractionFailed(const QString& message) {
    extractDoc_.reset();
    reportError(tr("Cannot extract subgraph"), message);
    emit extractionFinished(extractOutput_, message);
}

MainWindow* MainWindow::openInNewWindow(const QString& path) {
    auto* window = new MainWindow;
    window->setAttribute(Qt::WA_DeleteOnClose);
    window->setInteractive(interactive_);
    window->resize(size());
    window->move(pos() + QPoint(40, 40));
    window->show();
    window->openModel(path);
    emit newWindowOpened(window);
    return window;
}

void MainWindow::showTreeContextMenu(const QPoint& pos) {
    if (!doc_) return;
    const int module = treeModel_->moduleAt(filterModel_->mapToSource(treeView_->indexAt(pos)));
    if (module <= 0) return;
    QMenu menu(this);
    menu.addAction(tr("E&xtract Subgraph..."), this,
                   [this, module] { requestExtraction(moduleTarget(doc_->hierarchy, module)); });
    menu.addAction(tr("&Show in Graph"), this, [this, module] { navigateTo({GraphEntity::Module, module}); });
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
            const int current = doc_->hierarchy.assignments[static_cast<std::size_t>(nodes.front())].module;
            const int module = ModuleChooser::choose(doc_->hierarchy, current, this);
            if (module >= 0) retagNodes(nodes, module);
        });
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

bool MainWindow::isModified() const {
    return !undo_->isClean();
}

QString MainWindow::saveSidecar(const QString& path) {
    return sidecarActions_->saveNow(path);
}

void MainWindow::exportPicture() {
    if (!doc_) return;
    const QString base = QFileInfo(doc_->modelPath).completeBaseName();
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export picture"), base + QStringLiteral(".svg"), tr("SVG (*.svg);;PNG (*.png)"));
    if (path.isEmpty()) return;
    const QString error = path.endsWith(QLatin1String(".png"), Qt::CaseInsensitive) ? view_->exportPng(path)
                                                                                    : view_->exportSvg(path);
    if (!error.isEmpty()) reportError(tr("Cannot export picture"), error);
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

QString MainWindow::statusText() const {
    return countsLabel_->text() + QLatin1Char(' ') + confidenceLabel_->text();
}

void MainWindow::updateStatus() {
    if (!doc_) {
        countsLabel_->setText(tr("No model: File > Open or drop an .onnx file here"));
        confidenceLabel_->clear();
        return;
    }
    const HierarchyStatistics stats = doc_->hierarchy.statistics();
    // The root (the model itself) counts as a module, as in hierscope-cli info.
    countsLabel_->setText(tr("%1 nodes, %2 modules").arg(stats.nodes).arg(doc_->hierarchy.modules.size()));
    QStringList parts;
    for (int level = 0; level < 4; ++level) {
        const Confidence c = confidenceOf(static_cast<Level>(level));
        parts << QStringLiteral("<span style='color:%1'>&#9679;</span> %2 %3")
                     .arg(confidenceColor(c).name(), confidenceLabel(c))
                     .arg(stats.byLevel[level]);
    }
    parts << QStringLiteral("<span style='color:%1'>&#9679;</span> conflict %2")
                 .arg(confidenceColor(Confidence::Conflict).name())
                 .arg(stats.conflicts);
    confidenceLabel_->setText(parts.join(QStringLiteral("&nbsp;&nbsp;")));
}

void MainWindow::updateTitle() {
    const QString name = doc_ ? QFileInfo(doc_->modelPath).fileName() : tr("no model");
    setWindowTitle(QStringLiteral("%1[*] - Hierscope").arg(name));
}

void MainWindow::addRecentFile(const QString& path) {
    QSettings settings;
    QStringList files = settings.value(QStringLiteral("recentFiles")).toStringList();
    files.removeAll(path);
    files.prepend(path);
    while (files.size() > kMaxRecentFiles)
        files.removeLast();
    settings.setValue(QStringLiteral("recentFiles"), files);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
    recentMenu_->clear();
    const QStringList files = QSettings().value(QStringLiteral("recentFiles")).toStringList();
    for (const QString& path : files)
        recentMenu_->addAction(QFileInfo(path).fileName(), this, [this, path] { openModel(path); })
            ->setToolTip(path);
    recentMenu_->setEnabled(!files.isEmpty());
}

void MainWindow::reportError(const QString& title, const QString& message) {
    statusBar()->showMessage(message, 15000);
    if (interactive_) QMessageBox::critical(this, title, message);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (isModified() && interactive_) {
        const auto answer = QMessageBox::question(
            this, tr("Unsaved changes"),
            tr("The manual tags of this model are not saved. Save the sidecar first?"),
            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
        if (answer == QMessageBox::Cancel) return event->ignore();
        if (answer == QMessageBox::Save) {
            const QString error = saveSidecar();
            if (!error.isEmpty()) {
                reportError(tr("Cannot save sidecar"), error);
                return event->ignore();
            }
        }
    }
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile()) return;
    const QString path = urls.first().toLocalFile();
    if (path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive))
        sidecarActions_->load(path); // a sidecar for the open model
    else
        openModel(path);
}

} // namespace hs::ui
