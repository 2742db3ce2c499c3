// MainWindow's menus and actions apart from the File menu (document handling stays in main_window.cpp):
// Edit, View, Help, and which actions need an open model.
#include "mainwindow/main_window.h"

#include "graphview/graph_scene.h"
#include "graphview/graph_view.h"
#include "style/confidence.h"
#include "style/resources.h"
#include "widgets/extraction.h"

#include <QAction>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDockWidget>
#include <QGraphicsItem>
#include <QHeaderView>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QTableWidget>
#include <QTreeView>
#include <QUndoStack>
#include <QVBoxLayout>

namespace hs::ui {

void MainWindow::createActions() {
    createFileMenu();
    // Everything in the File menu but opening and quitting works on the open model.
    const QList<QKeySequence> always =
        QKeySequence::keyBindings(QKeySequence::Open) + QKeySequence::keyBindings(QKeySequence::Quit);
    for (QAction* action : menuBar()->actions().first()->menu()->actions())
        if (!action->isSeparator() && !action->menu() && !always.contains(action->shortcut()))
            modelActions_.push_back(action);
    createEditMenu();
    createViewMenu();
    createHelpMenu();
    updateActions();
}

void MainWindow::updateActions() {
    for (QAction* action : modelActions_)
        action->setEnabled(doc_ != nullptr);
    closeComparisonAction_->setEnabled(comparison_ != nullptr);
}

void MainWindow::createEditMenu() {
    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = undo_->createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    QAction* redo = undo_->createRedoAction(this, tr("&Redo"));
    // Both usual keys, each bound once: QKeySequence::Redo adds Ctrl+Shift+Z again on some platforms,
    // and a key bound twice is an ambiguous shortcut that triggers nothing.
    redo->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
    undo->setObjectName(QStringLiteral("undoAction"));
    redo->setObjectName(QStringLiteral("redoAction"));
    // The message of the step just undone ("Moved 76 of 76 ...") would otherwise stay in the status bar
    // and contradict the graph. QUndoStack's own slot runs first (connected first): index() is then past.
    connect(undo, &QAction::triggered, this,
            [this] { statusBar()->showMessage(tr("Undone: %1").arg(undo_->text(undo_->index())), 8000); });
    connect(redo, &QAction::triggered, this, [this] {
        statusBar()->showMessage(tr("Redone: %1").arg(undo_->text(undo_->index() - 1)), 8000);
    });
    edit->addAction(undo);
    edit->addAction(redo);
    edit->addSeparator();
    QAction* move = edit->addAction(tr("&Move to Module..."), this, &MainWindow::moveSelectionToModule);
    move->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_M));
    move->setObjectName(QStringLiteral("moveToModuleAction"));
    QAction* acceptAll =
        edit->addAction(tr("Accept &All Suggestions"), this, [this] { acceptSuggestionsInside(0); });
    acceptAll->setObjectName(QStringLiteral("acceptAllSuggestionsAction"));
    acceptAll->setToolTip(tr("Every vague node to the module suggested for it, as one undo step"));
    QAction* find = edit->addAction(tr("&Find..."), this, &MainWindow::showSearch);
    find->setShortcut(QKeySequence::Find);
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
    modelActions_.insert(modelActions_.end(), {move, acceptAll, find, extractAction_});
}

void MainWindow::createViewMenu() {
    QMenu* view = menuBar()->addMenu(tr("&View"));
    auto add = [&](const QString& text, const QKeySequence& key, const char* name, auto slot) {
        QAction* action = view->addAction(text, this, slot);
        action->setShortcut(key);
        action->setObjectName(QLatin1String(name));
        modelActions_.push_back(action);
        return action;
    };
    add(tr("&Fit"), QKeySequence(Qt::Key_F), "fitAction", [this] { view_->fitAll(); });
    add(tr("Zoom &In"), QKeySequence::ZoomIn, "zoomInAction", [this] { view_->zoomBy(1.25); });
    add(tr("Zoom &Out"), QKeySequence::ZoomOut, "zoomOutAction", [this] { view_->zoomBy(1 / 1.25); });
    view->addSeparator();
    add(tr("&Collapse All"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C), "collapseAllAction",
        [this] { collapseAll(); });
    add(tr("&Reset View"), QKeySequence(Qt::CTRL | Qt::Key_0), "resetViewAction", [this] { resetView(); });
    QAction* dim = add(tr("&Dim Confident Nodes"), QKeySequence(Qt::Key_D), "dimAction", [] {});
    dim->setCheckable(true);
    connect(dim, &QAction::toggled, scene_, &GraphScene::setDimConfident);
    addHeatActions(view); // main_window_cost.cpp
    view->addSeparator();
    for (QDockWidget* dock : findChildren<QDockWidget*>())
        view->addAction(dock->toggleViewAction());
}

void MainWindow::collapseAll() {
    if (!doc_) return;
    // Connected first: with every layout cached, the scene finishes laying out within collapseAll().
    connect(
        scene_, &GraphScene::layoutFinished, view_, [this] { showFirstView(); }, Qt::SingleShotConnection);
    scene_->collapseAll();
    syncing_ = true; // rows the filter opened close too; the graph is already collapsed
    treeView_->collapseAll();
    syncing_ = false;
}

// Help > Confidence Levels: what the colours and "uncertain" mean, as DESIGN.md's confidence model says.
void MainWindow::showConfidenceHelp() {
    auto* box = new QMessageBox(QMessageBox::NoIcon, tr("Confidence Levels"), confidenceHelpHtml(),
                                QMessageBox::Close, this);
    box->setObjectName(QStringLiteral("confidenceHelp"));
    box->setTextFormat(Qt::RichText);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::resetView() {
    if (!doc_) return;
    restorePaneSizes();
    filterEdit_->clear();
    scene_->clearSelection();
    collapseAll();
}

void MainWindow::showFirstView() {
    // Fitted, or from the top-left corner when fitting would make the labels unreadable. Not around the
    // model's first input: Graphviz may put it at the right end of a wide graph (ONNX Runtime's GPT-2),
    // and the first view then showed the graph's last columns with the rest cut off on the left.
    view_->showReadable(scene_->itemsBoundingRect());
}

// ---- Help

void MainWindow::createHelpMenu() {
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* keys = help->addAction(tr("&Keyboard Shortcuts"), this, &MainWindow::showShortcuts);
    keys->setShortcut(QKeySequence::HelpContents);
    keys->setObjectName(QStringLiteral("shortcutsAction"));
    help->addAction(tr("&Confidence Levels"), this, &MainWindow::showConfidenceHelp)
        ->setObjectName(QStringLiteral("confidenceHelpAction"));
    help->addAction(tr("&About Hierscope"), this, &MainWindow::showAbout)
        ->setObjectName(QStringLiteral("aboutAction"));
}

// Every menu action with a shortcut, read from the menus so the list cannot drift from them, then
// what the graph does with keys and the mouse.
static QList<QPair<QString, QString>> shortcutRows(QMenuBar* bar) {
    QList<QPair<QString, QString>> rows;
    for (QAction* menuAction : bar->actions())
        for (QAction* action : menuAction->menu()->actions()) {
            if (action->shortcuts().isEmpty()) continue;
            QStringList keys;
            for (const QKeySequence& key : action->shortcuts())
                keys << key.toString(QKeySequence::NativeText);
            QString text = action->text();
            text.remove(QLatin1Char('&'));
            rows.append({keys.join(QStringLiteral(", ")),
                         menuAction->text().remove(QLatin1Char('&')) + QStringLiteral(" > ") + text});
        }
    const char* graph[][2] = {
        {"Arrow keys", "Graph: select the nearest op or module in that direction"},
        {"Return", "Graph: expand or collapse the selected module or section"},
        {"+, -, mouse wheel", "Graph: zoom in, out"},
        {"Double-click", "Graph: expand or collapse a module or section"},
        {"Drag nodes onto the module tree", "Move them to that module (undoable)"},
        {"Right click", "Graph and tree: extract, move, expand"},
    };
    for (const auto& row : graph)
        rows.append({MainWindow::tr(row[0]), MainWindow::tr(row[1])});
    return rows;
}

void MainWindow::showShortcuts() {
    auto* dialog = findChild<QDialog*>(QStringLiteral("shortcutsDialog"));
    if (!dialog) {
        dialog = new QDialog(this);
        dialog->setObjectName(QStringLiteral("shortcutsDialog"));
        dialog->setWindowTitle(tr("Keyboard Shortcuts"));
        auto* table = new QTableWidget(dialog);
        table->setObjectName(QStringLiteral("shortcutsTable"));
        const auto rows = shortcutRows(menuBar());
        table->setColumnCount(2);
        table->setRowCount(static_cast<int>(rows.size()));
        table->setHorizontalHeaderLabels({tr("Keys"), tr("Action")});
        for (int r = 0; r < rows.size(); ++r) {
            table->setItem(r, 0, new QTableWidgetItem(rows[r].first));
            table->setItem(r, 1, new QTableWidgetItem(rows[r].second));
        }
        table->setEditTriggers(QAbstractItemView::NoEditTriggers);
        table->verticalHeader()->hide();
        table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 8);
        table->setSelectionMode(QAbstractItemView::NoSelection);
        table->setFocusPolicy(Qt::NoFocus);
        table->setShowGrid(false);
        table->setAlternatingRowColors(true);
        table->resizeColumnsToContents();
        table->horizontalHeader()->setStretchLastSection(true);
        auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
        connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
        auto* layout = new QVBoxLayout(dialog);
        layout->addWidget(table);
        layout->addWidget(buttons);
        dialog->resize(table->horizontalHeader()->length() + 60, 520);
    }
    dialog->show(); // not modal: a reference to keep open beside the window
    dialog->raise();
}

void MainWindow::showAbout() {
    auto* box = new QMessageBox(QMessageBox::NoIcon, tr("About Hierscope"),
                                tr("<h3>Hierscope %1</h3>"
                                   "<p>Explore which PyTorch module each ONNX node came from, fix uncertain "
                                   "tags by hand and save them to a sidecar file.</p>"
                                   "<p>Qt %2</p>")
                                    .arg(hierscopeVersion(), QString::fromLatin1(qVersion())),
                                QMessageBox::Close, this);
    box->setObjectName(QStringLiteral("aboutBox"));
    box->setIconPixmap(windowIcon().pixmap(64, 64));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

} // namespace hs::ui
