#pragma once
// The assignments worth a second look (conflicts, low, medium), most doubtful first. Many rows can be
// selected (Shift, Ctrl, Ctrl+A) and acted on at once; every column sorts; a filter, hiding Constants or
// grouping them under the node they feed, and grouping by module narrow hundreds of rows to a few groups.
#include <QTreeWidget>

#include <unordered_set>
#include <vector>

namespace hs::ui {

struct ModelDocument;

class UncertainList : public QTreeWidget {
    Q_OBJECT
public:
    enum Column { NodeColumn, OpColumn, ModuleColumn, ConfidenceColumn, ScoreColumn, SourceColumn };
    enum class Constants { Shown, Hidden, UnderConsumer };
    explicit UncertainList(QWidget* parent = nullptr);
    void setDocument(const ModelDocument* doc);
    void refresh();
    int nodeAt(int row) const; // the node of a top-level row; -1 for a group row

    // Rows whose node, op, module, confidence or source contain every word of `text` (case-insensitive).
    void setFilterText(const QString& text);
    void setConstants(Constants mode);
    void setGroupedByModule(bool grouped);
    bool isGroupedByModule() const { return grouped_; }
    // Uncertain nodes in the document, and those the filter and the Constants choice let through.
    int totalCount() const { return total_; }
    int shownCount() const { return shown_; }
    // The nodes of the selected rows and of the rows below them (a module group, Constants grouped
    // under their consumer), in list order, each once.
    std::vector<int> selectedNodes() const;

signals:
    void nodeActivated(int node);
    void countChanged(int shown, int total);
    void nodeSelectionChanged();

private:
    // What a person set up in the rows, kept across a refill (every re-tag refills): the selection, the
    // current row and the scroll position (open groups and consumers: openGroups_, openConsumers_).
    struct RowState {
        std::vector<int> selectedGroups, selectedNodes;
        int currentNode = -1, currentGroup = -1;
        int firstSelectedPosition = -1; // among the rows a person sees, in order
        std::vector<int> following;     // the node rows shown after the first selected one, not selected
        int scroll = 0;
    };
    RowState rowState(); // also updates the open groups and consumers remembered
    std::unordered_set<int> openGroups_, openConsumers_; // module of a group row, node of a consumer row
    void restoreRowState(const RowState& state);
    std::vector<QTreeWidgetItem*> visibleRows() const; // not hidden, under open rows, in order
    void refill();                                     // the rows, quietly
    void fill();
    void applyFilter();
    void setHeaderToolTips();
    const ModelDocument* doc_ = nullptr;
    QString filter_;
    Constants constants_ = Constants::Shown;
    bool grouped_ = false;
    int total_ = 0;
    int shown_ = 0;
};

} // namespace hs::ui
