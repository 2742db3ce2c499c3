#pragma once
// The Hierscope main window: module tree (left), graph (centre), inspector (right), uncertain
// assignments (bottom). It owns the opened ModelDocument; loading runs on a worker thread.
#include <QMainWindow>
#include <QPointer>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace hs {
enum class Source : std::uint8_t;
struct ExtractionPlan;
struct HierarchyStatistics;
} // namespace hs

class QCheckBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTreeView;
class QMenu;
class QUndoStack;
class QDockWidget;
class QAction;
template <typename T> class QFutureWatcher;

namespace hs::ui {

struct ModelDocument;
struct CostAnalysis;
struct Comparison;
struct ProfileTimes;
class ModuleTreeModel;
class ModuleFilterModel;
class GraphScene;
class GraphView;
class Inspector;
class UncertainList;
class UncertainPanel;
struct Retag;
struct ModuleSuggestion;
class SearchPanel;
struct GraphEntity;
struct ExtractTarget;
class ExtractionJob;
class EmptyHint;
class SidecarActions;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Interactive windows report problems in dialogs; non-interactive ones (screenshots, tests)
    // only emit loadFailed / write to the status bar, so nothing blocks.
    void setInteractive(bool interactive) { interactive_ = interactive; }
    bool isInteractive() const { return interactive_; }

    // Starts loading in the background; modelLoaded or loadFailed follows. The current model stays
    // shown (and usable) until the new one is ready.
    // `matchingOnly`: sidecarPath was written for a related model; only its matching entries apply.
    void openModel(const QString& path, const QString& sidecarPath = {}, bool matchingOnly = false);
    bool isLoading() const;
    // File > Load Profile...: an ONNX Runtime profile (JSON trace) of this model, matched to its nodes;
    // fills the tree's Time column and the inspector. Returns "" or the problem (also reported).
    QString loadProfile(const QString& path);
    // While comparing: a profile of the compared model, for the tree's Time A -> B column; "" when
    // loaded, else why not.
    QString loadComparedProfile(const QString& path);
    // True until the open model's tensor types and costs are computed (they follow the first paint).
    bool isAnalysing() const;
    // View > Colour by MACs / Time: nodes and collapsed modules coloured by their share (white to red).
    void colourByMacs(bool on);
    void colourByTime(bool on);
    // True while anything is still being computed in the background (loading, graph layout).
    bool isBusy() const;
    // Runs the event loop until not busy (or the timeout); false on timeout.
    bool waitUntilIdle(int timeoutMs);
    const ModelDocument* document() const { return doc_.get(); }

    // Reveals a module (by instance scope) in the tree, expanded. False when no such module.
    bool expandScope(const QString& scope);
    bool selectModule(int module);

    // Shows a node or module everywhere: graph (expanding its ancestors), tree, inspector.
    void navigateTo(const GraphEntity& entity);
    // Moves nodes to a module as one undoable step (what the chooser and drops end in).
    void retagNodes(const std::vector<int>& nodes, int module);
    // Bulk fixing (main_window_fixing.cpp), each one undo step: every node to its suggested module (nodes
    // without one stay); every conflict to the module `source` claims; every node certain where it is;
    // the suggestions of every node in a module's subtree.
    void acceptSuggestions(const std::vector<int>& nodes);
    void acceptClaims(const std::vector<int>& nodes, Source source);
    void markChecked(const std::vector<int>& nodes);
    void acceptSuggestionsInside(int module);
    // A module renamed (its name below its parent) or moved under another module, one undo step each;
    // the reason in words when it cannot be (nothing changes then).
    QString renameModule(int module, const QString& name);
    QString moveModuleUnder(int module, int parent);
    void askModuleParent(int module);     // Move Module Under...: a dialog listing where it may go
    void startRenamingModule(int module); // F2: edits the name in the tree
    // Writes the current hierarchy (manual tags included) atomically, now; empty path = Save's choice
    // (see SidecarActions). Returns an error message, empty on success.
    QString saveSidecar(const QString& path = {});
    // Before anything replaces or closes the document: with unsaved re-tags, an interactive window asks
    // Save / Discard / Cancel. True when the caller may go on (saved, discarded, or nothing to lose).
    // `what` names the action in the question ("Opening another model").
    bool maybeSave(const QString& what);
    // File > Close (Ctrl+W): the window stays, empty.
    void closeDocument();
    SidecarActions* sidecarActions() const { return sidecarActions_; }
    bool isModified() const;

    // Extraction (issue 4). The Extract Subgraph action and the context menus end in
    // requestExtraction: it plans the target off the UI thread from the current hierarchy (manual
    // re-tags included), shows the boundary, asks where to save and writes with progress and cancel.
    void requestExtraction(const ExtractTarget& target);
    // The same without the preview and save dialogs: extracts module `scope` ("" = root) or the node
    // instances to `outputPath` in the background; extractionFinished follows. False when another
    // extraction is running or no model is open.
    bool extractModule(const QString& scope, const QString& outputPath);
    bool extractNodes(const std::vector<int>& nodes, const QString& outputPath);
    bool isExtracting() const;
    // What the Extract Subgraph action works on: the nodes selected in the graph, else the selected
    // module (graph or tree). Invalid when nothing is selected.
    ExtractTarget currentExtractTarget() const;
    QAction* extractAction() const { return extractAction_; }
    ExtractTarget sectionTarget(int section) const; // the ops of a graph section
    // File > Export Model with Hierarchy... (issue 25, main_window_embed.cpp): a copy of the model whose
    // nodes carry their module in metadata_props (core/embed), written in the background from a copy of
    // the current hierarchy (manual re-tags included); modelExported follows. `copyExternal` copies the
    // external data files beside it. False when no model is open or an export is running.
    bool exportModelWithHierarchy(const QString& path, bool copyExternal = false);
    bool isExportingModel() const;
    // Opens a model in a second main window (deleted when closed); newWindowOpened follows.
    MainWindow* openInNewWindow(const QString& path);

    QTreeView* moduleTree() const { return treeView_; }
    GraphScene* graphScene() const { return scene_; }
    GraphView* graphView() const { return view_; }
    Inspector* inspector() const { return inspector_; }
    UncertainList* uncertainList() const { return uncertain_; }
    UncertainPanel* uncertainPanel() const { return uncertainPanel_; }
    QDockWidget* uncertainDock() const { return uncertainDock_; }
    SearchPanel* searchPanel() const { return search_; }
    QUndoStack* undoStack() const { return undo_; }
    ModuleTreeModel* moduleModel() const { return treeModel_; }
    QLineEdit* moduleFilter() const { return filterEdit_; }
    QString statusText() const;
    QLabel* treeOriginLabel() const { return treeOrigin_; }

    // File > Compare With... (main_window_compare.cpp): loads a second model in the background and
    // compares it module by module with this one; comparisonReady or comparisonFailed follows. The tree
    // gains delta columns and a "changed only" box, the inspector both sides' ops. The second model is
    // only read: re-tagging (which re-compares) and extraction act on this one.
    void compareWith(const QString& path, const QString& sidecarPath = {});
    const Comparison* comparison() const { return comparison_.get(); }
    QCheckBox* changedOnlyBox() const { return changedOnly_; }
    // The compared model's graph, beside this one's while comparing (else nullptr): it opens the
    // counterpart of every module opened here and shows the counterpart of the module selected in the tree.
    GraphScene* comparedGraphScene() const { return sceneB_; }

    // File > Close Comparison: leaves Compare mode (the compared graph, the delta columns and the "changed
    // only" box go); the panes get their default sizes back.
    void closeComparison();
    // The docks' default sizes for the window's current size (and, while comparing, half of the graph pane
    // for each graph): what a new window has, what Reset View and leaving Compare mode give back.
    void restorePaneSizes();

    // View > Collapse All: every module and section closed, the graph shown from its top.
    void collapseAll();
    // View > Reset View: the panes' default sizes, and clears the tree filter and the selection.
    void resetView();
    // The first view of the graph: fitted when labels stay readable, else its top at a readable zoom.
    void showFirstView();

signals:
    void modelLoaded();
    void loadFailed(const QString& message);
    // An extraction ended: error is empty on success (the file exists then).
    void extractionFinished(const QString& outputPath, const QString& error);
    void newWindowOpened(hs::ui::MainWindow* window);
    // Export Model with Hierarchy ended: error is empty on success (the file exists then).
    void modelExported(const QString& outputPath, const QString& error);
    void comparisonReady();
    void comparisonFailed(const QString& message);

protected:
    void closeEvent(QCloseEvent* event) override;
    void showEvent(QShowEvent* event) override;
    void fitFrameToScreen();
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    QSize defaultWindowSize() const; // 1280x800, less what the screen cannot show with the frame
    void createActions();            // every menu (main_window_menus.cpp)
    void createFileMenu();
    void createEditMenu();
    void createViewMenu();
    void createHelpMenu();
    void updateActions(); // actions that need a model are disabled without one
    void showShortcuts();
    void showAbout();
    void showConfidenceHelp();
    void createModuleDock();
    void createGraphAndDocks();
    void connectSelection();
    // `treeChanged`: modules were renamed or moved (the tree's shape changed with the same modules).
    void onHierarchyChanged(bool treeChanged = false);
    void rescopeModule(int module, const std::string& scope, const QString& text);
    void filterModules(const QString& text);
    void mirrorGraphExpansionInTree();
    void restoreTreeExpansion();
    void updateEmptyHints();
    void moveSelectionToModule();
    void exportPicture();
    void showSearch();
    void onTreeCurrentChanged(const QModelIndex& current);
    void onGraphActivated(const GraphEntity& entity);
    QDockWidget* addDock(const QString& title, const QString& name, QWidget* widget, Qt::DockWidgetArea area);
    void createStatusBar();
    void showOpenDialog();
    void onLoadFinished();
    void cancelLoading();
    void installDocument(std::shared_ptr<ModelDocument> doc);
    void detachViews();
    void updateStatus();
    void updateTreeOrigin(const HierarchyStatistics& stats);
    void moveToChosenModule(const std::vector<int>& nodes);
    void connectUncertainPanel();
    void applyRetags(std::vector<Retag> retags, const QString& text);
    std::vector<ModuleSuggestion> suggestedModules(const std::vector<int>& nodes) const;
    void followRetag(const std::vector<int>& nodes, int module);
    void updateTitle();
    void addRecentFile(const QString& path);
    void rebuildRecentMenu();
    void reportError(const QString& title, const QString& message);
    void startExtraction(const ExtractTarget& target, const QString& outputPath);
    void onExtractionPlanned(std::shared_ptr<const ExtractionPlan> plan);
    void onExtractionWritten(const QString& path, const QString& summary);
    void onExtractionFailed(const QString& message);
    QString askExtractionPath(const ExtractionPlan& plan);
    void showTreeContextMenu(const QPoint& pos);
    void showGraphContextMenu(const GraphEntity& entity, const QPoint& globalPos);
    void showExportModelDialog();
    void onModelExported();
    void showCompareDialog();
    void installComparison(std::shared_ptr<const ModelDocument> other);
    void clearComparison();
    void showComparedGraph();
    int comparedModule(int module) const; // the counterpart of a module in the compared model, or -1
    void startCostAnalysis();             // main_window_cost.cpp
    void runCostAnalysis();
    void onCostAnalysisFinished();
    void refreshCost(); // module sums and times after re-tagging
    void showLoadProfileDialog();
    void showLoadComparedProfileDialog();
    void addHeatActions(QMenu* view);
    void updateHeat(); // the graph's colours by MACs or time share, after any change to them

    std::shared_ptr<ModelDocument> doc_;
    QFutureWatcher<std::shared_ptr<CostAnalysis>>* analyser_ = nullptr; // for analysedDoc_
    const ModelDocument* analysedDoc_ = nullptr;
    enum class Heat { None, Macs, Time } heat_ = Heat::None; // View > Colour by
    QAction* heatMacsAction_ = nullptr;
    QAction* heatTimeAction_ = nullptr;
    bool interactive_ = true;
    bool explicitSidecar_ = false;

    ModuleTreeModel* treeModel_ = nullptr;
    ModuleFilterModel* filterModel_ = nullptr;
    QTreeView* treeView_ = nullptr;
    QLineEdit* filterEdit_ = nullptr;
    EmptyHint* treeHint_ = nullptr;
    EmptyHint* graphHint_ = nullptr;
    EmptyHint* uncertainHint_ = nullptr;
    QLabel* treeOrigin_ = nullptr; // under the module tree: what it was built from, and the notes
    bool notesShown_ = false;
    QLabel* countsLabel_ = nullptr;
    QLabel* confidenceLabel_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QPushButton* cancelButton_ = nullptr;
    QMenu* recentMenu_ = nullptr;
    QFutureWatcher<std::shared_ptr<ModelDocument>>* loader_ = nullptr;
    QString loadingPath_;
    GraphScene* scene_ = nullptr;
    GraphView* view_ = nullptr;
    Inspector* inspector_ = nullptr;
    UncertainList* uncertain_ = nullptr;
    UncertainPanel* uncertainPanel_ = nullptr;
    QDockWidget* uncertainDock_ = nullptr;
    SearchPanel* search_ = nullptr;
    QDockWidget* searchDock_ = nullptr;
    QUndoStack* undo_ = nullptr;
    bool syncing_ = false;       // a selection or expansion is being mirrored between views
    std::vector<int> lastNodes_; // nodes last selected in the graph or a list, for re-tagging
    ExtractionJob* extraction_ = nullptr;
    SidecarActions* sidecarActions_ = nullptr;
    QAction* extractAction_ = nullptr;
    std::vector<QAction*> modelActions_;        // enabled only while a model is open
    std::shared_ptr<ModelDocument> extractDoc_; // the document the running extraction reads
    QString extractOutput_;                     // given by extractModule/extractNodes; empty = ask
    QString extractLabel_;
    std::shared_ptr<Comparison> comparison_;
    std::shared_ptr<ProfileTimes> comparedProfile_; // the compared model's, while comparing
    QCheckBox* changedOnly_ = nullptr;
    QAction* closeComparisonAction_ = nullptr;
    QFutureWatcher<std::shared_ptr<ModelDocument>>* compareLoader_ = nullptr;
    GraphScene* sceneB_ = nullptr;
    QWidget* splitB_ = nullptr; // the central splitter holding both graphs while comparing
    // Export Model with Hierarchy: (written, summary or error)
    QFutureWatcher<std::pair<bool, QString>>* modelExporter_ = nullptr;
    QString exportPath_;
};

} // namespace hs::ui
