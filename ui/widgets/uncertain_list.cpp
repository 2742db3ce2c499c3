#include "widgets/uncertain_list.h"

#include "document/model_document.h"
#include "style/confidence.h"

#include <QHeaderView>
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
    applyFilter(); // after the blocker: the count is news
}

void UncertainList::refill() {
    const QSignalBlocker blocker(this);
    QTreeWidgetItem* current = currentItem();
    const int currentNode = current ? current->data(NodeColumn, NodeRole).toInt() : -1;
    const int currentRow =
        current ? indexOfTopLevelItem(current->parent() ? current->parent() : current) : -1;
    const bool currentSelected = current && current->isSelected();
    clear();
    total_ = shown_ = 0;
    if (doc_) fill();
    setRootIsDecorated(grouped_ || constants_ == Constants::UnderConsumer);
    resizeColumnToContents(OpColumn);
    resizeColumnToContents(ModuleColumn); // scopes are long; the node key column gives way
    resizeColumnToContents(ConfidenceColumn);
    keepCurrentRow(currentNode, currentRow, currentSelected);
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

void UncertainList::keepCurrentRow(int node, int row, bool selected) {
    // Without a current row, the list's next focus-in makes the first row current, which would announce
    // an unrelated node: a re-tagged node the list no longer holds hands its place to the row after it,
    // quietly (no selection, no signal; the caller's signals are blocked).
    if (row < 0) return;
    for (QTreeWidgetItemIterator it(this); *it; ++it)
        if (node >= 0 && (*it)->data(NodeColumn, NodeRole).toInt() == node) {
            setCurrentItem(*it, 0,
                           selected ? QItemSelectionModel::ClearAndSelect : QItemSelectionModel::NoUpdate);
            return;
        }
    if (QTreeWidgetItem* next = topLevelItem(std::min(row, topLevelItemCount() - 1)))
        setCurrentItem(next, 0, QItemSelectionModel::NoUpdate);
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
