#include "widgets/uncertain_list.h"

#include "document/model_document.h"
#include "style/confidence.h"

#include <QHeaderView>
#include <algorithm>

namespace hs::ui {

UncertainList::UncertainList(QWidget* parent) : QTreeWidget(parent) {
    setRootIsDecorated(false);
    setUniformRowHeights(true);
    setAlternatingRowColors(true);
    setHeaderLabels({tr("Node"), tr("Op"), tr("Module"), tr("Confidence"), tr("Score"), tr("Source")});
    header()->setSectionResizeMode(NodeColumn, QHeaderView::Stretch);
    header()->setStretchLastSection(false);
    connect(this, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* item) {
        if (item) emit nodeActivated(item->data(NodeColumn, Qt::UserRole).toInt());
    });
    // A click on the row that is already current (kept across a refresh) shows its node too.
    connect(this, &QTreeWidget::itemPressed, this, [this](QTreeWidgetItem* item) {
        if (item == currentItem()) emit nodeActivated(item->data(NodeColumn, Qt::UserRole).toInt());
    });
    setHeaderToolTips();
}

void UncertainList::setDocument(const ModelDocument* doc) {
    doc_ = doc;
    refresh();
}

void UncertainList::refresh() {
    const QSignalBlocker blocker(this);
    const int currentNode = currentItem() ? currentItem()->data(NodeColumn, Qt::UserRole).toInt() : -1;
    const int currentRow = currentItem() ? indexOfTopLevelItem(currentItem()) : -1;
    const bool currentSelected = currentItem() && currentItem()->isSelected();
    clear();
    if (!doc_) return;
    const Hierarchy& h = doc_->hierarchy;
    std::vector<int> nodes;
    for (std::size_t i = 0; i < h.assignments.size(); ++i) {
        const Assignment& a = h.assignments[i];
        if (a.conflict || a.level == Level::Low || a.level == Level::Medium)
            nodes.push_back(static_cast<int>(i));
    }
    // Conflicts, then low, then medium; within each, the lowest score first.
    auto rank = [&](int n) {
        const Assignment& a = h.assignments[static_cast<std::size_t>(n)];
        return std::make_pair(a.conflict ? 0 : a.level == Level::Low ? 1 : 2, a.score);
    };
    std::stable_sort(nodes.begin(), nodes.end(), [&](int x, int y) { return rank(x) < rank(y); });
    QList<QTreeWidgetItem*> items;
    for (int n : nodes) {
        const Assignment& a = h.assignments[static_cast<std::size_t>(n)];
        const Confidence c = confidenceOf(a);
        const Module& m = h.modules[static_cast<std::size_t>(a.module)];
        auto* item = new QTreeWidgetItem(
            {QString::fromStdString(doc_->graph->key(n)), QString::fromStdString(doc_->graph->node(n).opType),
             m.scope.empty() ? QStringLiteral("(root)") : QString::fromStdString(m.scope), confidenceLabel(c),
             QString::number(a.score, 'f', 2), QString::fromLatin1(sourceName(a.source))});
        item->setData(NodeColumn, Qt::UserRole, n);
        item->setIcon(ConfidenceColumn, confidenceIcon(c));
        item->setToolTip(NodeColumn, QString::fromStdString(h.explain(*doc_->graph, n)));
        items << item;
    }
    addTopLevelItems(items);
    resizeColumnToContents(OpColumn);
    resizeColumnToContents(ModuleColumn); // scopes are long; the node key column gives way
    resizeColumnToContents(ConfidenceColumn);
    keepCurrentRow(currentNode, currentRow, currentSelected);
}

void UncertainList::keepCurrentRow(int node, int row, bool selected) {
    // Without a current row, the list's next focus-in makes the first row current, which would announce
    // an unrelated node: a re-tagged node the list no longer holds hands its place to the row after it,
    // quietly (no selection, no signal; the caller's signals are blocked).
    if (row < 0) return;
    for (int r = 0; r < topLevelItemCount(); ++r)
        if (topLevelItem(r)->data(NodeColumn, Qt::UserRole).toInt() == node) {
            setCurrentItem(topLevelItem(r), 0,
                           selected ? QItemSelectionModel::ClearAndSelect : QItemSelectionModel::NoUpdate);
            return;
        }
    if (QTreeWidgetItem* next = topLevelItem(std::min(row, topLevelItemCount() - 1)))
        setCurrentItem(next, 0, QItemSelectionModel::NoUpdate);
}

void UncertainList::setHeaderToolTips() {
    QTreeWidgetItem* header = headerItem();
    header->setToolTip(NodeColumn, tr("The node instance (its key in the graph)"));
    header->setToolTip(ModuleColumn, tr("The module the node is placed in now"));
    header->setToolTip(ConfidenceColumn, tr("Conflict: its sources disagree; low, medium: inferred from "
                                            "the graph around it"));
    header->setToolTip(ScoreColumn, tr("How sure the placement is, from 0 (a guess) to 1 (certain)"));
    header->setToolTip(SourceColumn, tr("What placed the node: name scopes, metadata, a sidecar, "
                                        "inference, a manual tag"));
}

int UncertainList::nodeAt(int row) const {
    QTreeWidgetItem* item = topLevelItem(row);
    return item ? item->data(NodeColumn, Qt::UserRole).toInt() : -1;
}

} // namespace hs::ui
