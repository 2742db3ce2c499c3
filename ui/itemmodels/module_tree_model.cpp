#include "itemmodels/module_tree_model.h"

#include "analysis/cost.h"
#include "analysis/profile.h"
#include "document/comparison.h"
#include "document/cost_analysis.h"
#include "document/model_document.h"
#include "hierarchy/hierarchy.h"
#include "style/confidence.h"

#include <QMimeData>

#include <QBrush>
#include <QFileInfo>

#include <algorithm>

namespace hs::ui {

QString formatCount(quint64 count) {
    if (count >= 1000000000ull) return QString::number(count / 1e9, 'f', 2) + QStringLiteral(" G");
    if (count >= 1000000ull) return QString::number(count / 1e6, 'f', 2) + QStringLiteral(" M");
    if (count >= 10000ull) return QString::number(count / 1e3, 'f', 1) + QStringLiteral(" k");
    return QString::number(count);
}

QMimeData* nodesMimeData(const std::vector<int>& nodes, const void* document) {
    QStringList parts{QString::number(reinterpret_cast<quintptr>(document))};
    for (int n : nodes)
        parts << QString::number(n);
    auto* data = new QMimeData;
    data->setData(QString::fromLatin1(kNodesMimeType), parts.join(QLatin1Char(',')).toLatin1());
    data->setText(QObject::tr("%n node(s)", nullptr, static_cast<int>(nodes.size())));
    return data;
}

std::vector<int> nodesFromMimeData(const QMimeData* data, const void* document) {
    std::vector<int> nodes;
    if (!data || !document || !data->hasFormat(QString::fromLatin1(kNodesMimeType))) return nodes;
    const QList<QByteArray> parts = data->data(QString::fromLatin1(kNodesMimeType)).split(',');
    if (parts.isEmpty() || parts.first().toULongLong() != reinterpret_cast<quintptr>(document)) return nodes;
    for (qsizetype i = 1; i < parts.size(); ++i) {
        bool ok = false;
        const int n = parts[i].toInt(&ok);
        if (ok && n >= 0) nodes.push_back(n);
    }
    return nodes;
}

namespace {
// The internal id of a compared-only row: its comparison index with the top bit set (a module's id is its
// index in this model's hierarchy).
constexpr quintptr kComparedOnlyBit = quintptr(1) << (sizeof(quintptr) * 8 - 1);
} // namespace

ModuleTreeModel::ModuleTreeModel(QObject* parent) : QAbstractItemModel(parent) {}

Qt::ItemFlags ModuleTreeModel::flags(const QModelIndex& index) const {
    // A module only in the compared model has no nodes here: nothing to select, re-tag, extract or drop on.
    if (comparedOnlyAt(index) >= 0) return Qt::ItemIsEnabled;
    Qt::ItemFlags f = QAbstractItemModel::flags(index);
    if (index.isValid()) f |= Qt::ItemIsDropEnabled;
    if (index.isValid() && index.column() == NameColumn && !comparison_) f |= Qt::ItemIsEditable; // F2
    if (index.isValid() && !comparison_)
        f |= Qt::ItemIsDragEnabled; // dropped on another module: moved under it
    return f;
}

bool ModuleTreeModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    const int module = moduleAt(index);
    if (role != Qt::EditRole || module <= 0 || index.column() != NameColumn) return false;
    const QString name = value.toString().trimmed();
    if (name.toStdString() != hierarchy_->modules[static_cast<std::size_t>(module)].name)
        emit renameRequested(module, name); // the window checks it and makes it one undoable step
    return false;
}

QStringList ModuleTreeModel::mimeTypes() const {
    return {QString::fromLatin1(kNodesMimeType), QString::fromLatin1(kModuleMimeType)};
}

QMimeData* ModuleTreeModel::mimeData(const QModelIndexList& indexes) const {
    const int module = indexes.isEmpty() ? -1 : moduleAt(indexes.first());
    if (module <= 0) return nullptr;
    auto* data = new QMimeData;
    data->setData(QString::fromLatin1(kModuleMimeType),
                  QByteArray::number(reinterpret_cast<quintptr>(documentTag_)) + ' ' +
                      QByteArray::number(module));
    return data;
}

// The module a drag from this tree carries; -1 for anything else (another document's tree included).
int ModuleTreeModel::draggedModule(const QMimeData* data) const {
    if (!hierarchy_ || !data || !data->hasFormat(QString::fromLatin1(kModuleMimeType))) return -1;
    const QList<QByteArray> parts = data->data(QString::fromLatin1(kModuleMimeType)).split(' ');
    if (parts.size() != 2 || parts[0].toULongLong() != reinterpret_cast<quintptr>(documentTag_)) return -1;
    bool ok = false;
    const int module = parts[1].toInt(&ok);
    return ok && module > 0 && module < static_cast<int>(hierarchy_->modules.size()) ? module : -1;
}

Qt::DropActions ModuleTreeModel::supportedDropActions() const {
    return Qt::MoveAction | Qt::CopyAction;
}

bool ModuleTreeModel::canDropMimeData(const QMimeData* data, Qt::DropAction, int, int,
                                      const QModelIndex& parent) const {
    if (draggedModule(data) > 0) return !comparison_; // the window says why a place is refused
    if (!hierarchy_ || moduleAt(parent) < 0) return false;
    const std::vector<int> nodes = nodesFromMimeData(data, documentTag_);
    if (nodes.empty()) return false;
    for (int n : nodes)
        if (static_cast<std::size_t>(n) >= hierarchy_->assignments.size()) return false;
    return true;
}

bool ModuleTreeModel::dropMimeData(const QMimeData* data, Qt::DropAction action, int row, int column,
                                   const QModelIndex& parent) {
    if (!canDropMimeData(data, action, row, column, parent)) return false;
    if (const int module = draggedModule(data); module > 0) {
        // The window moves it (one undoable step) once the drop is over; nothing is removed here.
        emit moduleDropped(module, parent.isValid() ? moduleAt(parent) : 0);
        return false;
    }
    emit nodesDropped(nodesFromMimeData(data, documentTag_), moduleAt(parent));
    return true;
}

void ModuleTreeModel::setHierarchy(const Hierarchy* hierarchy) {
    beginResetModel();
    hierarchy_ = hierarchy;
    rowInParent_.clear();
    if (hierarchy_) {
        rowInParent_.assign(hierarchy_->modules.size(), 0);
        for (const Module& m : hierarchy_->modules)
            for (std::size_t row = 0; row < m.children.size(); ++row)
                rowInParent_[static_cast<std::size_t>(m.children[row])] = static_cast<int>(row);
    }
    comparedOnlyUnder_ = comparedOnlyLayout();
    endResetModel();
}

void ModuleTreeModel::refreshSummaries() {
    if (!hierarchy_ || hierarchy_->modules.size() <= 1) return;
    // One dataChanged per parent keeps views and proxies correct without a reset (which loses expansion).
    for (std::size_t m = 0; m < hierarchy_->modules.size(); ++m) {
        const auto& children = hierarchy_->modules[m].children;
        if (children.empty()) continue;
        emit dataChanged(indexOfModule(children.front(), 0),
                         indexOfModule(children.back(), columnCount() - 1));
    }
}

QModelIndex ModuleTreeModel::indexOfModule(int module, int column) const {
    if (!hierarchy_ || module <= 0 || module >= static_cast<int>(hierarchy_->modules.size())) return {};
    return createIndex(rowInParent_[static_cast<std::size_t>(module)], column, quintptr(module));
}

int ModuleTreeModel::moduleAt(const QModelIndex& index) const {
    if (!index.isValid() || (index.internalId() & kComparedOnlyBit)) return -1;
    return static_cast<int>(index.internalId());
}

int ModuleTreeModel::comparedOnlyAt(const QModelIndex& index) const {
    if (!index.isValid() || !(index.internalId() & kComparedOnlyBit)) return -1;
    return static_cast<int>(index.internalId() & ~kComparedOnlyBit);
}

QModelIndex ModuleTreeModel::index(int row, int column, const QModelIndex& parent) const {
    if (!hierarchy_ || hierarchy_->modules.empty() || column < 0 || column >= columnCount() || row < 0)
        return {};
    if (const int delta = comparedOnlyAt(parent); delta >= 0) { // below it: only compared-only modules
        const auto& children = comparison_->result.modules[static_cast<std::size_t>(delta)].children;
        if (row >= static_cast<int>(children.size())) return {};
        return createIndex(row, column, kComparedOnlyBit | quintptr(children[static_cast<std::size_t>(row)]));
    }
    const auto parentModule = static_cast<std::size_t>(parent.isValid() ? moduleAt(parent) : 0);
    const auto& children = hierarchy_->modules[parentModule].children;
    if (row < static_cast<int>(children.size()))
        return createIndex(row, column, quintptr(children[static_cast<std::size_t>(row)]));
    const std::size_t extra = static_cast<std::size_t>(row) - children.size();
    if (parentModule >= comparedOnlyUnder_.size() || extra >= comparedOnlyUnder_[parentModule].size())
        return {};
    return createIndex(row, column, kComparedOnlyBit | quintptr(comparedOnlyUnder_[parentModule][extra]));
}

// The row of a compared-only module: after its host module's own children, or among the compared-only
// children of the compared-only row above it.
QModelIndex ModuleTreeModel::comparedOnlyIndex(int delta, int column) const {
    const int host = comparedOnlyHost(delta);
    const std::vector<int>& siblings =
        host >= 0 ? comparedOnlyUnder_[static_cast<std::size_t>(host)]
                  : comparison_->result
                        .modules[static_cast<std::size_t>(
                            comparison_->result.modules[static_cast<std::size_t>(delta)].parent)]
                        .children;
    const auto at = std::find(siblings.begin(), siblings.end(), delta) - siblings.begin();
    const std::size_t before =
        host >= 0 ? hierarchy_->modules[static_cast<std::size_t>(host)].children.size() : 0;
    return createIndex(static_cast<int>(before + static_cast<std::size_t>(at)), column,
                       kComparedOnlyBit | quintptr(delta));
}

QModelIndex ModuleTreeModel::parent(const QModelIndex& child) const {
    if (!child.isValid() || !hierarchy_) return {};
    if (const int delta = comparedOnlyAt(child); delta >= 0) {
        const int host = comparedOnlyHost(delta);
        if (host >= 0) return host > 0 ? indexOfModule(host) : QModelIndex();
        return comparedOnlyIndex(comparison_->result.modules[static_cast<std::size_t>(delta)].parent, 0);
    }
    const int parentModule = hierarchy_->modules[child.internalId()].parent;
    return parentModule > 0 ? indexOfModule(parentModule) : QModelIndex();
}

int ModuleTreeModel::rowCount(const QModelIndex& parent) const {
    if (!hierarchy_ || hierarchy_->modules.empty()) return 0;
    if (parent.isValid() && parent.column() != 0) return 0;
    if (const int delta = comparedOnlyAt(parent); delta >= 0)
        return static_cast<int>(comparison_->result.modules[static_cast<std::size_t>(delta)].children.size());
    const auto module = static_cast<std::size_t>(parent.isValid() ? moduleAt(parent) : 0);
    const std::size_t extra = module < comparedOnlyUnder_.size() ? comparedOnlyUnder_[module].size() : 0;
    return static_cast<int>(hierarchy_->modules[module].children.size() + extra);
}

int ModuleTreeModel::comparedOnlyHost(int delta) const {
    const auto& modules = comparison_->result.modules;
    const ModuleDelta& parent =
        modules[static_cast<std::size_t>(modules[static_cast<std::size_t>(delta)].parent)];
    if (parent.match == ModuleMatch::Added) return -1;
    return parent.moduleA >= 0 ? parent.moduleA
                               : 0; // a wrapper only the compared model has stands for the root
}

std::vector<std::vector<int>> ModuleTreeModel::comparedOnlyLayout() const {
    std::vector<std::vector<int>> under(comparison_ ? rowInParent_.size() : 0);
    if (!comparison_) return under;
    const auto& modules = comparison_->result.modules;
    for (std::size_t k = 1; k < modules.size(); ++k) { // parents before children: rows in tree order
        if (modules[k].match != ModuleMatch::Added) continue;
        const int host = comparedOnlyHost(static_cast<int>(k));
        // A comparison of an older hierarchy (between a re-tag and its fresh comparison) may not fit.
        if (host >= 0 && static_cast<std::size_t>(host) < under.size())
            under[static_cast<std::size_t>(host)].push_back(static_cast<int>(k));
    }
    return under;
}

int ModuleTreeModel::columnCount(const QModelIndex&) const {
    return comparison_ ? int(CompareColumnCount) : int(ColumnCount);
}

bool ModuleTreeModel::setComparison(const Comparison* comparison) {
    const Comparison* old = comparison_;
    comparison_ = comparison;
    std::vector<std::vector<int>> layout = comparedOnlyLayout();
    comparison_ = old;
    // A fresh comparison (after a re-tag) with the same compared-only rows: only the numbers change.
    if ((comparison != nullptr) == (old != nullptr) && layout == comparedOnlyUnder_) {
        comparison_ = comparison;
        refreshSummaries();
        return false;
    }
    // The column count or the rows change: a reset (the window restores the tree's expansion afterwards).
    beginResetModel();
    comparison_ = comparison;
    comparedOnlyUnder_ = std::move(layout);
    endResetModel();
    return true;
}

void ModuleTreeModel::setCost(const CostReport* cost) {
    cost_ = cost;
    refreshSummaries();
}

void ModuleTreeModel::setTimes(const std::vector<ModuleTime>* times, double totalUs) {
    times_ = times;
    totalUs_ = totalUs;
    refreshSummaries();
}

void ModuleTreeModel::setComparedTimes(const std::vector<ModuleTime>* times) {
    comparedTimes_ = times;
    refreshSummaries();
}

QString formatBytes(quint64 bytes) {
    if (bytes >= (1ull << 30))
        return QString::number(bytes / double(1ull << 30), 'f', 2) + QStringLiteral(" GiB");
    if (bytes >= (1ull << 20))
        return QString::number(bytes / double(1ull << 20), 'f', 1) + QStringLiteral(" MiB");
    if (bytes >= (1ull << 10))
        return QString::number(bytes / double(1ull << 10), 'f', 1) + QStringLiteral(" KiB");
    return QString::number(bytes) + QStringLiteral(" B");
}

QString formatMicroseconds(double us) {
    if (us >= 1000) return QString::number(us / 1000, 'f', 2) + QStringLiteral(" ms");
    return QString::number(us, 'f', 0) + QStringLiteral(" µs");
}

// The cost columns: display text, or (SortRole) the number behind it. A module whose MACs are partly
// unknown shows the known part with "+?" (never a bare number that looks complete).
QVariant ModuleTreeModel::costData(int module, int column, int role) const {
    const std::size_t k = static_cast<std::size_t>(module);
    if (column == TimeColumn) {
        if (!times_ || k >= times_->size()) return {};
        const double us = (*times_)[k].totalUs;
        if (role == SortRole) return us;
        return QStringLiteral("%1  %2%")
            .arg(formatMicroseconds(us))
            .arg(totalUs_ > 0 ? 100 * us / totalUs_ : 0, 0, 'f', 1);
    }
    if (!cost_ || k >= cost_->modules.size()) return {};
    const CostTotals& t = cost_->modules[k].total;
    if (column == MacsColumn) {
        if (role == SortRole) return static_cast<qulonglong>(t.macs);
        return formatCount(t.macs) + (t.unknownNodes ? QStringLiteral(" +?") : QString());
    }
    if (role == SortRole) return static_cast<qulonglong>(t.activationBytes);
    return formatBytes(t.activationBytes);
}

QVariant ModuleTreeModel::displayData(int module, int column) const {
    const Module& m = hierarchy_->modules[static_cast<std::size_t>(module)];
    switch (column) {
    case NameColumn:
        if (m.fromConverterNames)
            return QStringLiteral("%1  (layer path)").arg(QString::fromStdString(m.name));
        return m.className.empty()
                   ? QString::fromStdString(m.name)
                   : QStringLiteral("%1  (%2)")
                         .arg(QString::fromStdString(m.name), QString::fromStdString(m.className));
    case NodesColumn:
        return QStringLiteral("%1 / %2").arg(m.nodes.size()).arg(m.totalNodes);
    case ConfidenceColumn:
        return m.totalNodes == 0 ? QString() : confidenceLabel(confidenceOf(m.lowestLevel));
    case ParametersColumn:
        return formatCount(m.totalParameters);
    case MacsColumn:
    case ActivationsColumn:
    case TimeColumn:
        return costData(module, column, Qt::DisplayRole);
    }
    const ModuleDelta* d = comparison_ ? comparison_->deltaFor(module) : nullptr;
    if (!d) return {};
    if (d->match == ModuleMatch::Removed) return tr("only here");
    if (column == NodesDeltaColumn) return deltaText(d->totalNodesA, d->totalNodesB, true);
    if (column == ParametersDeltaColumn) return deltaText(d->totalParametersA, d->totalParametersB, false);
    if (column == MacsDeltaColumn) {
        const CostAnalysis* b = comparison_->other ? comparison_->other->analysis.get() : nullptr;
        if (!cost_ || !b || d->moduleB < 0 || static_cast<std::size_t>(d->moduleB) >= b->cost.modules.size())
            return {};
        return deltaText(cost_->modules[static_cast<std::size_t>(module)].total.macs,
                         b->cost.modules[static_cast<std::size_t>(d->moduleB)].total.macs, false);
    }
    if (column == TimeDeltaColumn) {
        const auto a = static_cast<std::size_t>(module), b = static_cast<std::size_t>(d->moduleB);
        if (!times_ || !comparedTimes_ || d->moduleB < 0 || a >= times_->size() ||
            b >= comparedTimes_->size())
            return {};
        return QStringLiteral("%1 \u2192 %2")
            .arg(formatMicroseconds((*times_)[a].totalUs), formatMicroseconds((*comparedTimes_)[b].totalUs));
    }
    return {};
}

QVariant ModuleTreeModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || !hierarchy_) return {};
    if (const int delta = comparedOnlyAt(index); delta >= 0)
        return comparedOnlyData(delta, index.column(), role);
    const int module = moduleAt(index);
    const Module& m = hierarchy_->modules[static_cast<std::size_t>(module)];
    switch (role) {
    case Qt::DisplayRole:
        return displayData(module, index.column());
    case Qt::EditRole: // renaming edits the name below the parent ("layer.0"), not the class beside it
        return index.column() == NameColumn ? QString::fromStdString(m.name) : QVariant();
    case Qt::ToolTipRole:
        return toolTip(m) + counterpartTip(module);
    case Qt::DecorationRole:
        if (index.column() == NameColumn && m.uncertainNodes > 0) return uncertainModuleIcon();
        if (index.column() == ConfidenceColumn && m.totalNodes > 0)
            return confidenceIcon(confidenceOf(m.lowestLevel));
        return {};
    case Qt::ForegroundRole:
        if (index.column() >= ColumnCount && data(index, ChangedRole).toBool())
            return QBrush(QColor(0xb4, 0x53, 0x09));
        if (index.column() == NameColumn && m.uncertainNodes > 0)
            return QBrush(confidenceColor(Confidence::Low).darker(130));
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() != NameColumn && index.column() != ConfidenceColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case ModuleRole:
        return module;
    case SortRole:
        switch (index.column()) {
        case NodesColumn:
            return static_cast<qulonglong>(m.totalNodes);
        case ConfidenceColumn:
            return static_cast<int>(m.lowestLevel);
        case ParametersColumn:
            return static_cast<qulonglong>(m.totalParameters);
        case MacsColumn:
        case ActivationsColumn:
        case TimeColumn:
            return costData(module, index.column(), SortRole);
        }
        return displayData(module, index.column());
    case FilterRole:
        return QStringLiteral("%1 %2 %3")
            .arg(QString::fromStdString(m.name), QString::fromStdString(m.className),
                 QString::fromStdString(m.scope));
    case UncertainRole:
        return static_cast<int>(m.uncertainNodes);
    case ChangedRole: {
        const ModuleDelta* d = comparison_ ? comparison_->deltaFor(module) : nullptr;
        return d && d->changed;
    }
    }
    return {};
}

// While comparing, a module matched to one of another scope names it: "there: enc.blocks.0 (matched by
// signature)".
QString ModuleTreeModel::counterpartTip(int module) const {
    const ModuleDelta* d = comparison_ ? comparison_->deltaFor(module) : nullptr;
    if (!d || d->scopeB.empty()) return {};
    return tr("\nthere: %1 (matched by %2)")
        .arg(QString::fromStdString(d->scopeB), QString::fromLatin1(moduleMatchName(d->match)));
}

QString ModuleTreeModel::toolTip(const Module& m) const {
    // The same words as the columns: the lowest confidence inside is what the Lowest column shows.
    QString tip = tr("%1\nscope: %2\n%3 node(s) directly in it, %4 with its submodules")
                      .arg(QString::fromStdString(m.path), QString::fromStdString(m.scope))
                      .arg(m.nodes.size())
                      .arg(m.totalNodes);
    if (m.fromConverterNames) tip += tr("\na layer of another converter's node names, not a PyTorch module");
    if (m.totalNodes == 0) return tip;
    tip += tr("\nlowest confidence inside: %1").arg(confidenceLabel(confidenceOf(m.lowestLevel)));
    if (m.uncertainNodes > 0)
        tip += tr("\n%n uncertain node(s) (medium, low or conflict): see the Uncertain list", nullptr,
                  static_cast<int>(m.uncertainNodes));
    return tip;
}

QVariant ModuleTreeModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal) return {};
    if (role == Qt::ToolTipRole) return headerToolTip(section);
    if (role != Qt::DisplayRole) return {};
    switch (section) {
    case NameColumn:
        return tr("Module");
    case NodesColumn:
        return tr("Nodes");
    case ConfidenceColumn:
        return tr("Lowest");
    case ParametersColumn:
        return tr("Parameters");
    case MacsColumn:
        return tr("MACs");
    case ActivationsColumn:
        return tr("Activations");
    case TimeColumn:
        return tr("Time");
    case NodesDeltaColumn:
        return tr("Nodes A → B");
    case ParametersDeltaColumn:
        return tr("Parameters A → B");
    case MacsDeltaColumn:
        return tr("MACs A → B");
    case TimeDeltaColumn:
        return tr("Time A → B");
    }
    return {};
}

ModuleFilterModel::ModuleFilterModel(QObject* parent) : QSortFilterProxyModel(parent) {
    setRecursiveFilteringEnabled(true);
    setSortRole(ModuleTreeModel::SortRole);
    setFilterCaseSensitivity(Qt::CaseInsensitive);
    setFilterRole(ModuleTreeModel::FilterRole);
    setFilterKeyColumn(ModuleTreeModel::NameColumn);
}

void ModuleFilterModel::setChangedOnly(bool changedOnly) {
    // Also when unchanged: the window calls it again when the comparison was redone.
    changedOnly_ = changedOnly;
    invalidateFilter();
}

bool ModuleFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
    if (changedOnly_ &&
        !sourceModel()->index(sourceRow, 0, sourceParent).data(ModuleTreeModel::ChangedRole).toBool())
        return false;
    return QSortFilterProxyModel::filterAcceptsRow(sourceRow, sourceParent);
}

} // namespace hs::ui

namespace hs::ui {

QVariant ModuleTreeModel::headerToolTip(int section) const {
    switch (section) {
    case NameColumn:
        return tr("Module name (class); a warning mark when low-confidence or conflicting nodes are inside");
    case NodesColumn:
        return tr("Nodes placed directly in the module / in the module and all its submodules");
    case ConfidenceColumn:
        return tr("The lowest confidence of any node in the module or its submodules");
    case ParametersColumn:
        return tr("Parameters (weight elements) of the module and its submodules");
    case MacsColumn:
        return tr("Multiply-accumulates of the module and its submodules (symbolic dimensions = 1); \"+?\": "
                  "some compute nodes have unknown shapes and are not counted");
    case ActivationsColumn:
        return tr("Bytes of the tensors the module's nodes (and its submodules') produce");
    case TimeColumn:
        return tr("Measured kernel time per run of the module and its submodules (File > Load Profile...), "
                  "and its share of the run");
    case NodesDeltaColumn:
        return tr("Nodes in the module and its submodules: this model → the compared one");
    case ParametersDeltaColumn:
        return tr("Parameters of the module and its submodules: this model → the compared one");
    case MacsDeltaColumn:
        return tr("Multiply-accumulates of the module and its submodules: this model → the compared one");
    case TimeDeltaColumn:
        return tr("Measured kernel time per run of the module and its submodules: this model → the compared "
                  "one (a profile of each: File > Load Profile... and Load Profile of Compared Model...)");
    }
    return {};
}

} // namespace hs::ui

namespace hs::ui {

// A module only the compared model has: its name and class, "only there" in the delta columns, greyed,
// and a tooltip that says where it is.
QVariant ModuleTreeModel::comparedOnlyData(int delta, int column, int role) const {
    const ModuleDelta& d = comparison_->result.modules[static_cast<std::size_t>(delta)];
    const Hierarchy& b = comparison_->other->hierarchy;
    const Module* m = d.moduleB >= 0 && static_cast<std::size_t>(d.moduleB) < b.modules.size()
                          ? &b.modules[static_cast<std::size_t>(d.moduleB)]
                          : nullptr;
    const QString name = QString::fromStdString(m ? m->name : d.scope);
    switch (role) {
    case Qt::DisplayRole:
    case SortRole:
        if (column == NameColumn)
            return d.className.empty()
                       ? name
                       : QStringLiteral("%1  (%2)").arg(name, QString::fromStdString(d.className));
        return column >= ColumnCount ? tr("only there") : QVariant();
    case Qt::ToolTipRole:
        return tr("Only in the compared model %1\nscope there: %2\n%3 node(s) with its submodules, %4 "
                  "parameter(s)\nIt has no nodes in this model: nothing here to re-tag or extract.")
            .arg(QFileInfo(comparison_->other->modelPath).fileName(), QString::fromStdString(d.scope))
            .arg(d.totalNodesB)
            .arg(formatCount(d.totalParametersB));
    case Qt::ForegroundRole:
        return QBrush(QColor(0x80, 0x80, 0x80));
    case Qt::TextAlignmentRole:
        return column == NameColumn ? QVariant() : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case FilterRole:
        return QStringLiteral("%1 %2 %3")
            .arg(name, QString::fromStdString(d.className), QString::fromStdString(d.scope));
    case ChangedRole:
        return d.changed;
    case UncertainRole:
        return 0;
    case ModuleRole:
        return -1; // no module of this model
    }
    return {};
}

} // namespace hs::ui
