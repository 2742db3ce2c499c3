// MainWindow: construction and document handling (open, load, save, recent files, close, drops). Menus,
// panels and extraction live in main_window_menus.cpp, main_window_panels.cpp, main_window_extraction.cpp.
#include "mainwindow/main_window.h"

#include "common/error.h"
#include "document/model_document.h"
#include "document/retag_command.h"
#include "graphview/graph_scene.h"
#include "graphview/graph_view.h"
#include "itemmodels/module_tree_model.h"
#include "mainwindow/sidecar_actions.h"
#include "sidecar/sidecar.h"
#include "style/confidence.h"
#include "style/resources.h"
#include "widgets/extraction.h"
#include "widgets/inspector.h"
#include "widgets/module_chooser.h"
#include "widgets/search_panel.h"
#include "widgets/uncertain_list.h"
#include "widgets/uncertain_panel.h"

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
#include <QScreen>
#include <QSettings>
#include <QStatusBar>
#include <QStyle>
#include <QTimer>
#include <QTreeView>
#include <QUndoStack>
#include <QVBoxLayout>
#include <QWindow>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>

namespace hs::ui {

static constexpr int kMaxRecentFiles = 8;

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    initResources();
    setWindowIcon(QIcon(QStringLiteral(":/hierscope/hierscope.svg")));
    setAcceptDrops(true);
    resize(defaultWindowSize());
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
    if (modelExporter_) modelExporter_->disconnect(this), modelExporter_->waitForFinished();
    // Child widgets outlive this object's members: they must not call back into it.
    scene_->disconnect(this);
    treeView_->selectionModel()->disconnect(this);
    // The tree model and inspector point into the comparison: detach them before it goes.
    if (compareLoader_) compareLoader_->disconnect(this), compareLoader_->waitForFinished();
    clearComparison();
}

void MainWindow::createFileMenu() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open..."), this, &MainWindow::showOpenDialog);
    open->setShortcut(QKeySequence::Open);
    open->setObjectName(QStringLiteral("openAction"));
    recentMenu_ = file->addMenu(tr("Open &Recent"));
    recentMenu_->setObjectName(QStringLiteral("recentMenu"));
    rebuildRecentMenu();
    file->addAction(tr("Compare &With..."), this, &MainWindow::showCompareDialog);
    closeComparisonAction_ = file->addAction(tr("Close Compa&rison"), this, &MainWindow::closeComparison);
    closeComparisonAction_->setObjectName(QStringLiteral("closeComparisonAction"));
    closeComparisonAction_->setToolTip(tr("Leave Compare mode: the compared model's graph and columns go"));
    file->addAction(tr("Load &Profile..."), this, &MainWindow::showLoadProfileDialog)
        ->setToolTip(tr("An ONNX Runtime profile (JSON trace) of this model: measured time per module"));
    file->addAction(tr("Load Profile of &Compared Model..."), this,
                    &MainWindow::showLoadComparedProfileDialog)
        ->setToolTip(tr("While comparing: a profile of the compared model, for the Time A → B column"));
    file->addSeparator();
    sidecarActions_->addTo(file);
    file->addAction(tr("&Export Picture (SVG, PNG)..."), this, &MainWindow::exportPicture);
    file->addAction(tr("Export &Model with Hierarchy..."), this, &MainWindow::showExportModelDialog)
        ->setObjectName(QStringLiteral("exportModelAction"));
    file->addSeparator();
    QAction* close = file->addAction(tr("&Close"), this, &MainWindow::closeDocument);
    close->setShortcut(QKeySequence::Close);
    close->setObjectName(QStringLiteral("closeAction"));
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    quit->setObjectName(QStringLiteral("quitAction"));
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
    if (!maybeSave(tr("Opening another model"))) return;
    const QString dir = doc_ ? QFileInfo(doc_->modelPath).absolutePath() : QString();
    const QString path = QFileDialog::getOpenFileName(this, tr("Open ONNX model"), dir,
                                                      tr("ONNX models (*.onnx);;All files (*)"));
    if (!path.isEmpty()) openModel(path);
}

void MainWindow::openModel(const QString& path, const QString& sidecarPath, bool matchingOnly) {
    if (isLoading()) cancelLoading();
    loadingPath_ = path;
    explicitSidecar_ = !sidecarPath.isEmpty();
    progress_->show();
    cancelButton_->show();
    statusBar()->showMessage(tr("Opening %1...").arg(QFileInfo(path).fileName()));
    loader_->setFuture(QtConcurrent::run(
        [path, sidecarPath, matchingOnly] { return loadModelDocument(path, sidecarPath, matchingOnly); }));
}

bool MainWindow::isLoading() const {
    return !loadingPath_.isEmpty();
}

bool MainWindow::isBusy() const {
    return isLoading() || isAnalysing() || scene_->isLayingOut() || extraction_->isRunning() ||
           isExportingModel() || compareLoader_ || (sceneB_ && sceneB_->isLayingOut());
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
    const QString partial = doc->sidecarPartial;
    installDocument(std::move(doc));
    if (!partial.isEmpty()) statusBar()->showMessage(tr("Sidecar partly applied: %1").arg(partial), 15000);
    // The graph takes the keyboard: otherwise the module filter, first in the tab order, had it, and
    // F (fit) typed an "f" there and Ctrl+Z undid its text instead of the last edit of the model.
    view_->setFocus(Qt::OtherFocusReason);
    emit modelLoaded();
}

// Every view lets go of the document before its hierarchy goes away.
void MainWindow::detachViews() {
    clearComparison();
    undo_->clear();
    treeModel_->setHierarchy(nullptr);
    treeModel_->setCost(nullptr);
    treeModel_->setTimes(nullptr, 0);
    treeModel_->setDocumentTag(nullptr);
    view_->setDocumentTag(nullptr);
    scene_->setDocument(nullptr);
    inspector_->setDocument(nullptr);
    uncertainPanel_->setDocument(nullptr);
    search_->setDocument(nullptr);
    lastNodes_.clear();
}

void MainWindow::installDocument(std::shared_ptr<ModelDocument> doc) {
    detachViews();
    doc_ = std::move(doc);
    treeModel_->setHierarchy(&doc_->hierarchy);
    treeModel_->setDocumentTag(doc_.get());
    view_->setDocumentTag(doc_.get());
    scene_->setDocument(doc_.get());
    inspector_->setDocument(doc_.get());
    uncertainPanel_->setDocument(doc_.get());
    search_->setDocument(doc_.get());
    sidecarActions_->setDocument(doc_);
    connect(
        scene_, &GraphScene::layoutFinished, view_, [this] { showFirstView(); }, Qt::SingleShotConnection);
    addRecentFile(doc_->modelPath);
    updateTitle();
    updateStatus();
    startCostAnalysis(); // after the first paint's work is queued: it only adds columns and shapes
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

QString MainWindow::statusText() const {
    return countsLabel_->text() + QLatin1Char(' ') + confidenceLabel_->text();
}

void MainWindow::updateStatus() {
    updateActions();
    updateEmptyHints();
    if (!doc_) {
        countsLabel_->setText(tr("No model: File > Open or drop an .onnx file here"));
        confidenceLabel_->clear();
        treeOrigin_->clear();
        return;
    }
    const HierarchyStatistics stats = doc_->hierarchy.statistics();
    updateTreeOrigin(stats);
    // The root (the model itself) counts as a module, as in hierscope-cli info.
    countsLabel_->setText(tr("%1 nodes, %2 modules").arg(stats.nodes).arg(doc_->hierarchy.modules.size()));
    // Each node counted once, in the category the graph colours it with (a conflict is not also low):
    // the five numbers add up to the node count.
    std::size_t counts[5] = {};
    for (const Assignment& a : doc_->hierarchy.assignments)
        ++counts[static_cast<int>(confidenceOf(a))];
    QStringList parts;
    for (Confidence c :
         {Confidence::Certain, Confidence::High, Confidence::Medium, Confidence::Low, Confidence::Conflict})
        parts << QStringLiteral("<span style='color:%1'>&#9679;</span> %2 %3")
                     .arg(confidenceColor(c).name(), confidenceLabel(c))
                     .arg(counts[static_cast<int>(c)]);
    parts << QStringLiteral("<span style='color:%1'>%2</span> %3 uncertain")
                 .arg(confidenceColor(Confidence::Low).name(), uncertainSignHtml())
                 .arg(stats.uncertain);
    confidenceLabel_->setText(parts.join(QStringLiteral("&nbsp;&nbsp;")));
    confidenceLabel_->setToolTip(
        tr("Uncertain: a conflict, a low placement, or a vague node with a suggested "
           "module (Help > Confidence Levels)"));
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

// The file name, and its folder when another recent file has the same name (two bert.onnx side by side
// in the menu must say which is which).
static QString recentFileLabel(const QString& path, const QStringList& files) {
    const QString name = QFileInfo(path).fileName();
    const bool ambiguous = std::count_if(files.begin(), files.end(), [&](const QString& other) {
                               return QFileInfo(other).fileName() == name;
                           }) > 1;
    return ambiguous ? QStringLiteral("%1  —  %2").arg(name, QDir::toNativeSeparators(QFileInfo(path).path()))
                     : name;
}

void MainWindow::rebuildRecentMenu() {
    recentMenu_->clear();
    const QStringList files = QSettings().value(QStringLiteral("recentFiles")).toStringList();
    for (const QString& path : files)
        recentMenu_
            ->addAction(recentFileLabel(path, files), this,
                        [this, path] {
                            if (maybeSave(tr("Opening another model"))) openModel(path);
                        })
            ->setToolTip(path);
    recentMenu_->setEnabled(!files.isEmpty());
}

void MainWindow::reportError(const QString& title, const QString& message) {
    statusBar()->showMessage(message, 15000);
    if (interactive_) QMessageBox::critical(this, title, message);
}

bool MainWindow::maybeSave(const QString& what) {
    if (!isModified() || !interactive_) return true;
    QMessageBox box(QMessageBox::Question, tr("Unsaved changes"),
                    tr("The tags you changed in this model are not saved. Save the sidecar first?"),
                    QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, this);
    box.setObjectName(QStringLiteral("unsavedChangesBox"));
    box.setInformativeText(tr("%1: Save writes them to the sidecar first, Discard loses them.").arg(what));
    box.setDefaultButton(QMessageBox::Save);
    box.exec();
    const QAbstractButton* clicked = box.clickedButton();
    if (clicked == box.button(QMessageBox::Discard)) return true;
    if (clicked != box.button(QMessageBox::Save)) return false; // Cancel, Escape, the title bar's close
    const QString error = saveSidecar();
    if (!error.isEmpty()) {
        reportError(tr("Cannot save sidecar"), error);
        return false;
    }
    return !isModified(); // a Save As that was cancelled leaves them unsaved
}

void MainWindow::closeDocument() {
    if (!doc_ || !maybeSave(tr("Closing the model"))) return;
    if (isLoading()) cancelLoading();
    detachViews();
    doc_.reset();
    sidecarActions_->setDocument(nullptr);
    updateTitle();
    updateStatus();
}

// The reference size is 1280x800, but a 1280x800 screen must show the window's frame and status bar too.
// The frame is known only once the window is shown (showEvent fits it then); until then a title bar as
// the style draws one, plus borders, is set aside.
QSize MainWindow::defaultWindowSize() const {
    const QRect available = screen()->availableGeometry();
    const int frame = style()->pixelMetric(QStyle::PM_TitleBarHeight) + 8;
    return {std::min(1280, available.width() - 8), std::min(800, available.height() - frame)};
}

void MainWindow::showEvent(QShowEvent* event) {
    QMainWindow::showEvent(event);
    // Window managers add the frame after mapping the window: check again once it is known.
    fitFrameToScreen();
    QTimer::singleShot(250, this, &MainWindow::fitFrameToScreen);
}

// Shrinks a window that, with its frame, is taller or wider than the screen's free area (its status bar
// would be hidden below the screen's edge), and moves it fully onto it.
void MainWindow::fitFrameToScreen() {
    // A screenshot or test window keeps the size it was given, whatever the screen.
    if (!interactive_ || !windowHandle() || isMaximized() || isFullScreen()) return;
    const QRect available = screen()->availableGeometry();
    const QMargins f = windowHandle()->frameMargins();
    const int w = std::min(width(), available.width() - f.left() - f.right());
    const int h = std::min(height(), available.height() - f.top() - f.bottom());
    if (w != width() || h != height()) resize(w, h);
    const QRect frame = frameGeometry();
    if (!available.contains(frame))
        move(std::clamp(frame.left(), available.left(),
                        std::max(available.left(), available.right() - frame.width() + 1)),
             std::clamp(frame.top(), available.top(),
                        std::max(available.top(), available.bottom() - frame.height() + 1)));
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (!maybeSave(tr("Closing the window"))) return event->ignore();
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
    else if (maybeSave(tr("Opening %1").arg(QFileInfo(path).fileName())))
        openModel(path);
}

} // namespace hs::ui
