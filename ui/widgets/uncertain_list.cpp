#include "widgets/uncertain_list.h"

#include "document/model_document.h"
#include "style/confidence.h"

#include <QHeaderView>
#include <QScrollBar>
#include <QTreeWidgetItemIterator>
#include <algorithm>
#include <functional>
#include <unordered_map>
#include <unordered_set>

namespace hs::ui {

namespace {

constexpr int NodeRole = Qt::UserRole;     // the node of a row; -1 for a module group
constexpr int SortRole = Qt::UserRole + 1; // what a column sorts by when its text would sort wrongly

// Sorts by SortRole where a row has it (graph order, doubt, score), else by text.
class Row : public QTreeWidgetItem {
public:
    using QTreeWidgetItem::QTreeWidgetItem;
    bool operator<(const QTreeWidgetItem& other) const override {
        const int column = treeWidget() ? treeWidget()->sortColumn() : 0;
        const QVariant a = data(column, SortRole), b = other.data(column, SortRole);
        const int byKey = a.isValid() && b.isValid() ? (a.toDouble() < b.toDouble()   ? -1
                                                        : b.toDouble() < a.toDouble() ? 1
                                                                                      : 0)
                                                     : text(column).localeAwareCompare(other.text(column));
        if (byKey != 0) return byKey < 0;
        // Ties in graph order, whichever way the column sorts.
        const bool ascending = treeWidget()->header()->sortIndicatorOrder() == Qt::AscendingOrder;
        return (data(0, SortRole).toInt() < other.data(0, SortRole).toInt()) == ascending;
    }
};

QString scopeText(const Module& m) {
    return m.scope.empty() ? QStringLiteral("(root)") : QString::fromStdString(m.scope);
}

// Conflicts, then low, then medium; within each, the lowest score first.
double doubtRank(const Assignment& a) {
    return (a.conflict ? 0 : a.level == Level::Low ? 10 : 20) + a.score;
}

} // namespace

UncertainList::UncertainList(QWidget* parent) : QTreeWidget(parent) {
    setRootIsDecorated(false);
    setUniformRowHeights(true);
    setAlternatingRowColors(true);
    setSelectionMode(QAbstractItemView::ExtendedSelection);
    setHeaderLabels({tr("Node"), tr("Op"), tr("Module"), tr("Confidence"), tr("Score"), tr("Source")});
    header()->setSectionResizeMode(NodeColumn, QHeaderView::Stretch);
    header()->setStretchLastSection(false);
    setSortingEnabled(true);
    sortByColumn(ConfidenceColumn, Qt::AscendingOrder); // most doubtful first
    connect(this, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* item) {
        const int node = item ? item->data(NodeColumn, NodeRole).toInt() : -1;
        if (node >= 0) emit nodeActivated(node);
    });
    // A click on the row that is already current (kept across a refresh) shows its node too.
    connect(this, &QTreeWidget::itemPressed, this, [this](QTreeWidgetItem* item) {
        const int node = item->data(NodeColumn, NodeRole).toInt();
        if (item == currentItem() && node >= 0) emit nodeActivated(node);
    });
    connect(this, &QTreeWidget::itemSelectionChanged, this, &UncertainList::nodeSelectionChanged);
    setHeaderToolTips();
}

void UncertainList::setDocument(const ModelDocument* doc) {
    doc_ = doc;
    clear(); // rows of another model: nothing of them is kept
    openGroups_.clear();
    openConsumers_.clear();
    refresh();
}

void UncertainList::setFilterText(const QString& text) {
    filter_ = text.simplified();
    applyFilter();
}

void UncertainList::setConstants(Constants mode) {
    if (constants_ == mode) return;
    constants_ = mode;
    refresh();
}

void UncertainList::setGroupedByModule(bool grouped) {
    if (grouped_ == grouped) return;
    grouped_ = grouped;
    refresh();
}

void UncertainList::refresh() {
    refill();
    applyFilter(); // after the blocker: the count is news, and so is the selection kept or moved on
    emit nodeSelectionChanged();
}

void UncertainList::refill() {
    const QSignalBlocker blocker(this);
    const RowState state = rowState();
    clear();
    total_ = shown_ = 0;
    if (doc_) fill();
    setRootIsDecorated(grouped_ || constants_ == Constants::UnderConsumer);
    resizeColumnToContents(OpColumn);
    resizeColumnToContents(ModuleColumn); // scopes are long; the node key column gives way
    resizeColumnToContents(ConfidenceColumn);
    restoreRowState(state);
}

void UncertainList::fill() {
    const Hierarchy& h = doc_->hierarchy;
    const GraphIndex& g = *doc_->graph;
    std::vector<int> nodes;
    for (std::size_t i = 0; i < h.assignments.size(); ++i)
        if (hs::isUncertain(h.assignments[i])) nodes.push_back(static_cast<int>(i));
    total_ = static_cast<int>(nodes.size());
    auto isConstant = [&](int n) { return g.node(n).opType == "Constant"; };
    std::unordered_map<int, QTreeWidgetItem*> rows;
    auto makeRow = [&](int n) {
        const Assignment& a = h.assignments[static_cast<std::size_t>(n)];
        const Confidence c = confidenceOf(a);
        auto* item =
            new Row(QStringList{QString::fromStdString(g.key(n)), QString::fromStdString(g.node(n).opType),
                                scopeText(h.modules[static_cast<std::size_t>(a.module)]), confidenceLabel(c),
                                QString::number(a.score, 'f', 2), QString::fromLatin1(sourceName(a.source))});
        item->setData(NodeColumn, NodeRole, n);
        item->setData(NodeColumn, SortRole, n); // graph order
        item->setData(ConfidenceColumn, SortRole, doubtRank(a));
        item->setData(ScoreColumn, SortRole, a.score);
        item->setIcon(ConfidenceColumn, confidenceIcon(c));
        item->setToolTip(NodeColumn, QString::fromStdString(h.explain(g, n)));
        rows.emplace(n, item);
        return item;
    };
    for (int n : nodes)
        if (!(isConstant(n) && constants_ == Constants::Hidden)) makeRow(n);
    // A Constant goes under the first listed node it feeds, when asked: most are a shape or an axis of
    // one op and are fixed with it.
    std::unordered_set<int> nested;
    if (constants_ == Constants::UnderConsumer)
        for (int n : nodes) {
            if (!isConstant(n)) continue;
            for (int t : g.outputs(n))
                for (int c : g.consumers(t)) {
                    auto it = rows.find(c);
                    if (nested.count(n) || it == rows.end() || isConstant(c)) continue;
                    it->second->addChild(rows.at(n));
                    nested.insert(n);
                }
        }
    std::unordered_map<int, QTreeWidgetItem*> groups; // module -> its group row
    QList<QTreeWidgetItem*> top;
    for (int n : nodes) {
        auto it = rows.find(n);
        if (it == rows.end() || nested.count(n)) continue;
        if (!grouped_) {
            top << it->second;
            continue;
        }
        const int m = h.assignments[static_cast<std::size_t>(n)].module;
        QTreeWidgetItem*& group = groups[m];
        if (!group) {
            group = new Row(QStringList{scopeText(h.modules[static_cast<std::size_t>(m)])});
            group->setData(NodeColumn, NodeRole, -1);
            top << group;
        }
        group->addChild(it->second);
    }
    for (auto& [m, group] : groups) {
        // Sorted with its rows: by its most doubtful row, its module, its size.
        double rank = 1e9;
        for (int i = 0; i < group->childCount(); ++i)
            rank = std::min(rank, group->child(i)->data(ConfidenceColumn, SortRole).toDouble());
        group->setData(ConfidenceColumn, SortRole, rank);
        group->setData(NodeColumn, SortRole, m);
        group->setText(ModuleColumn, group->text(NodeColumn));
        group->setData(ScoreColumn, SortRole, rank);
        QFont bold = group->font(NodeColumn);
        bold.setBold(true);
        group->setFont(NodeColumn, bold);
    }
    addTopLevelItems(top);
}

void UncertainList::applyFilter() {
    const QStringList words = filter_.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    auto matches = [&](const QTreeWidgetItem* item) {
        for (const QString& word : words) {
            bool found = false;
            for (int c = 0; c < columnCount() && !found; ++c)
                found = item->text(c).contains(word, Qt::CaseInsensitive);
            if (!found) return false;
        }
        return true;
    };
    // A node row shows when it matches, or its consumer row (Constants under it) does, or a row under
    // it does; a group shows while it has a row to show. Returns the node rows shown in the subtree.
    std::function<int(QTreeWidgetItem*, bool)> visit = [&](QTreeWidgetItem* item, bool parentMatches) {
        const bool isNode = item->data(NodeColumn, NodeRole).toInt() >= 0;
        const bool self = isNode && (parentMatches || matches(item));
        int below = 0;
        for (int i = 0; i < item->childCount(); ++i)
            below += visit(item->child(i), self);
        const bool show = self || below > 0;
        item->setHidden(!show);
        if (!isNode) // the group's module and how many of its rows show
            item->setText(NodeColumn, tr("%1  (%2)")
                                          .arg(item->text(ModuleColumn),
                                               below == 1 ? tr("1 node") : tr("%1 nodes").arg(below)));
        return below + (isNode && show ? 1 : 0);
    };
    shown_ = 0;
    for (int i = 0; i < topLevelItemCount(); ++i)
        shown_ += visit(topLevelItem(i), false);
    emit countChanged(shown_, total_);
}

std::vector<int> UncertainList::selectedNodes() const {
    std::vector<int> nodes;
    std::unordered_set<int> seen;
    std::function<void(const QTreeWidgetItem*)> take = [&](const QTreeWidgetItem* item) {
        if (item->isHidden()) return;
        const int n = item->data(NodeColumn, NodeRole).toInt();
        if (n >= 0 && seen.insert(n).second) nodes.push_back(n);
        for (int i = 0; i < item->childCount(); ++i)
            take(item->child(i));
    };
    for (QTreeWidgetItemIterator it(const_cast<UncertainList*>(this)); *it; ++it)
        if ((*it)->isSelected()) take(*it);
    return nodes;
}

// A group row stands for its module, a node row for its node: both survive a refill when still listed.
static int groupModule(const QTreeWidgetItem* item) {
    return item->data(0, SortRole).toInt();
}
static int rowNode(const QTreeWidgetItem* item) {
    return item->data(0, NodeRole).toInt();
}

std::vector<QTreeWidgetItem*> UncertainList::visibleRows() const {
    std::vector<QTreeWidgetItem*> rows;
    std::function<void(QTreeWidgetItem*)> visit = [&](QTreeWidgetItem* item) {
        if (item->isHidden()) return;
        rows.push_back(item);
        if (item->isExpanded())
            for (int i = 0; i < item->childCount(); ++i)
                visit(item->child(i));
    };
    for (int i = 0; i < topLevelItemCount(); ++i)
        visit(topLevelItem(i));
    return rows;
}

// A group or consumer a person opened stays open while it is listed, and opens again when it comes back
// (a bulk action took its rows, Undo gave them back): the members remember it, rows come and go.
UncertainList::RowState UncertainList::rowState() {
    RowState s;
    for (QTreeWidgetItemIterator it(this); *it; ++it) {
        const QTreeWidgetItem* item = *it;
        const bool group = rowNode(item) < 0;
        auto& open = group ? openGroups_ : openConsumers_;
        if (item->isExpanded())
            open.insert(group ? groupModule(item) : rowNode(item));
        else
            open.erase(group ? groupModule(item) : rowNode(item));
        if (item->isSelected() && !item->isHidden())
            (group ? s.selectedGroups : s.selectedNodes).push_back(group ? groupModule(item) : rowNode(item));
    }
    if (const QTreeWidgetItem* current = currentItem())
        (rowNode(current) < 0 ? s.currentGroup : s.currentNode) =
            rowNode(current) < 0 ? groupModule(current) : rowNode(current);
    const std::vector<QTreeWidgetItem*> rows = visibleRows();
    for (std::size_t k = 0; k < rows.size() && s.firstSelectedPosition < 0; ++k)
        if (rows[k]->isSelected()) s.firstSelectedPosition = static_cast<int>(k);
    if (s.firstSelectedPosition < 0 && currentItem()) // nothing selected: where the current row was
        for (std::size_t k = 0; k < rows.size() && s.firstSelectedPosition < 0; ++k)
            if (rows[k] == currentItem()) s.firstSelectedPosition = static_cast<int>(k);
    constexpr std::size_t kFollowing = 64; // enough to step over a bulk selection's leftovers
    for (std::size_t k = std::max(s.firstSelectedPosition, 0);
         k < rows.size() && s.following.size() < kFollowing; ++k)
        if (!rows[k]->isSelected() && rowNode(rows[k]) >= 0) s.following.push_back(rowNode(rows[k]));
    s.scroll = verticalScrollBar()->value();
    return s;
}

// Groups and consumers open as they were, the rows still listed selected again. When a bulk action took
// every selected row away, the row that now stands where the first of them stood is selected (and
// current), so the next action needs no new click; the list does not scroll away.
void UncertainList::restoreRowState(const RowState& s) {
    // Sets, and one selection for all rows: Ctrl+A on thousands of rows, then an action, refills them all.
    using Set = std::unordered_set<int>;
    const Set selectedGroups(s.selectedGroups.begin(), s.selectedGroups.end());
    const Set selectedNodes(s.selectedNodes.begin(), s.selectedNodes.end());
    QTreeWidgetItem* current = nullptr;
    QItemSelection selection;
    for (QTreeWidgetItemIterator it(this); *it; ++it) {
        QTreeWidgetItem* item = *it;
        const bool group = rowNode(item) < 0;
        const int id = group ? groupModule(item) : rowNode(item);
        if ((group ? openGroups_ : openConsumers_).count(id)) item->setExpanded(true);
        if ((group ? selectedGroups : selectedNodes).count(id)) {
            const QModelIndex index = indexFromItem(item);
            selection.select(index, index.siblingAtColumn(columnCount() - 1));
        }
        if (group ? id == s.currentGroup : id == s.currentNode) current = item;
    }
    const bool anySelected = !selection.isEmpty();
    if (anySelected) selectionModel()->select(selection, QItemSelectionModel::Select);
    const bool hadSelection = !s.selectedGroups.empty() || !s.selectedNodes.empty();
    if (current) {
        setCurrentItem(current, 0, QItemSelectionModel::NoUpdate);
    } else if (s.firstSelectedPosition >= 0) {
        // The row that followed the selection, when still listed (re-sorting may have moved it or its
        // group); else the first node row at or after the old place (else the last one before it): a group
        // row would select a whole module.
        const std::vector<QTreeWidgetItem*> rows = visibleRows();
        QTreeWidgetItem* next = nullptr;
        std::unordered_map<int, QTreeWidgetItem*> byNode;
        for (QTreeWidgetItem* row : rows)
            if (rowNode(row) >= 0) byNode.emplace(rowNode(row), row);
        for (std::size_t f = 0; f < s.following.size() && !next; ++f)
            if (auto it = byNode.find(s.following[f]); it != byNode.end()) next = it->second;
        for (std::size_t k = std::min<std::size_t>(s.firstSelectedPosition, rows.size());
             k < rows.size() && !next; ++k)
            if (rowNode(rows[k]) >= 0) next = rows[k];
        for (std::size_t k = std::min<std::size_t>(s.firstSelectedPosition, rows.size()); k-- > 0 && !next;)
            if (rowNode(rows[k]) >= 0) next = rows[k];
        verticalScrollBar()->setValue(s.scroll);
        if (next) {
            setCurrentItem(next, 0,
                           hadSelection && !anySelected ? QItemSelectionModel::ClearAndSelect
                                                        : QItemSelectionModel::NoUpdate);
            scrollToItem(next);
        }
        return;
    }
    verticalScrollBar()->setValue(s.scroll);
}

void UncertainList::setHeaderToolTips() {
    QTreeWidgetItem* header = headerItem();
    header->setToolTip(NodeColumn, tr("The node instance (its key in the graph); sorts in graph order"));
    header->setToolTip(ModuleColumn, tr("The module the node is placed in now"));
    header->setToolTip(ConfidenceColumn, tr("Conflict: its sources disagree; low, medium: inferred from "
                                            "the graph around it"));
    header->setToolTip(ScoreColumn, tr("How sure the placement is, from 0 (a guess) to 1 (certain)"));
    header->setToolTip(SourceColumn, tr("What placed the node: name scopes, metadata, a sidecar, "
                                        "inference, a manual tag"));
}

int UncertainList::nodeAt(int row) const {
    QTreeWidgetItem* item = topLevelItem(row);
    return item ? item->data(NodeColumn, NodeRole).toInt() : -1;
}

} // namespace hs::ui
