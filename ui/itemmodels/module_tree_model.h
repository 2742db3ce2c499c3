#pragma once
// Qt item model over the core's module tree (hs::Hierarchy::modules). The invisible root is the
// hierarchy's root module, so the top level shows the model's top modules. While comparing, the modules
// only the compared model has follow their parent's own children as greyed read-only rows.
#include <QAbstractItemModel>
#include <QMimeData>
#include <QSortFilterProxyModel>
#include <vector>

namespace hs {
struct Hierarchy;
struct Module;
struct CostReport;
struct ModuleTime;
} // namespace hs

namespace hs::ui {

struct Comparison;

class ModuleTreeModel : public QAbstractItemModel {
    Q_OBJECT
public:
    // MACs, activation memory and time stay empty until the cost analysis (setCost) or a profile is in.
    enum Column {
        NameColumn,
        NodesColumn,
        ConfidenceColumn,
        ParametersColumn,
        MacsColumn,
        ActivationsColumn,
        TimeColumn,
        ColumnCount
    };
    // While comparing with a second model (comparison.h): nodes and parameters, this model -> the other.
    // MACs: when both models' cost analyses are in (the compared one's runs while it loads). Time: when
    // both have a profile (File > Load Profile... and Load Profile of Compared Model...).
    enum CompareColumn {
        NodesDeltaColumn = ColumnCount,
        ParametersDeltaColumn,
        MacsDeltaColumn,
        TimeDeltaColumn,
        CompareColumnCount
    };
    enum Role {
        ModuleRole = Qt::UserRole + 1, // int: index into Hierarchy::modules
        FilterRole,                    // QString: name, class and scope, for the filter box
        UncertainRole,                 // int: uncertain nodes (hs::isUncertain) in the subtree
        ChangedRole,                   // bool: while comparing, the module's own ops or parameters differ
        SortRole,                      // what a column sorts by: numbers for the counts, text for names
    };

    explicit ModuleTreeModel(QObject* parent = nullptr);

    // The hierarchy must outlive the model or be replaced by another setHierarchy call.
    void setHierarchy(const Hierarchy* hierarchy);
    const Hierarchy* hierarchy() const { return hierarchy_; }
    // The modules the model was built for: differs from the hierarchy's once a module was created or
    // removed, and setHierarchy must then run again.
    std::size_t moduleCount() const { return rowInParent_.size(); }
    // Module summaries changed (re-tagging): repaint every row; the tree's shape is unchanged.
    void refreshSummaries();
    // Shows (or, with nullptr, hides) the delta columns and the compared model's own modules; the
    // comparison must outlive its use here. True when the model was reset (the tree's expansion is lost).
    bool setComparison(const Comparison* comparison);
    // Fills the MACs/activations columns (module sums of `cost`) and the Time column (`times`, per
    // module, with the run's total for the share); nullptr empties them. Both must outlive their use.
    void setCost(const CostReport* cost);
    void setTimes(const std::vector<ModuleTime>* times, double totalUs);
    // The compared model's module times (per module of its hierarchy), for the Time A -> B column;
    // nullptr empties it. Must outlive its use.
    void setComparedTimes(const std::vector<ModuleTime>* times);

    QModelIndex indexOfModule(int module, int column = 0) const;
    int moduleAt(const QModelIndex& index) const; // -1 for the invisible root / invalid / compared-only rows
    // For a row of a module only in the compared model: its index into the comparison's modules, else -1.
    int comparedOnlyAt(const QModelIndex& index) const;

    // Graph nodes dropped on a module re-tag them: the model only checks and reports the drop
    // (nodesDropped); the window turns it into one undoable step. Drops from another document are refused.
    void setDocumentTag(const void* document) { documentTag_ = document; }
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QStringList mimeTypes() const override;
    // A module dragged in the tree and dropped on another (or below the rows: the root) is reported
    // (moduleDropped) for the window to move it under that one.
    QMimeData* mimeData(const QModelIndexList& indexes) const override;
    Qt::DropActions supportedDropActions() const override;
    bool canDropMimeData(const QMimeData* data, Qt::DropAction action, int row, int column,
                         const QModelIndex& parent) const override;
    bool dropMimeData(const QMimeData* data, Qt::DropAction action, int row, int column,
                      const QModelIndex& parent) override;

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // The name column is edited in place (F2) to rename a module: the model only reports the new name
    // (renameRequested); the window checks it and turns it into one undoable step.
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;

signals:
    void nodesDropped(const std::vector<int>& nodes, int module);
    void renameRequested(int module, const QString& name);
    void moduleDropped(int module, int newParent);

private:
    QVariant displayData(int module, int column) const;
    QVariant costData(int module, int column, int role) const;
    QString toolTip(const Module& m) const;
    QString counterpartTip(int module) const;
    int draggedModule(const QMimeData* data) const;
    QVariant headerToolTip(int section) const;
    QVariant comparedOnlyData(int delta, int column, int role) const;
    QModelIndex comparedOnlyIndex(int delta, int column) const;
    // Where each compared-only module's row goes; the layout of the current hierarchy and comparison.
    std::vector<std::vector<int>> comparedOnlyLayout() const;
    int comparedOnlyHost(int delta) const; // the module of this model it goes under; -1: under a row like it
    const Hierarchy* hierarchy_ = nullptr;
    const void* documentTag_ = nullptr;
    const Comparison* comparison_ = nullptr;
    const CostReport* cost_ = nullptr;
    const std::vector<ModuleTime>* times_ = nullptr;
    const std::vector<ModuleTime>* comparedTimes_ = nullptr;
    double totalUs_ = 0;
    std::vector<int> rowInParent_; // per module, its row among its parent's children
    // Per module of this model, the compared-only modules shown after its children (comparison indices).
    std::vector<std::vector<int>> comparedOnlyUnder_;
};

// Filter over ModuleTreeModel: a module matches on name, class or scope; its ancestors stay visible.
class ModuleFilterModel : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit ModuleFilterModel(QObject* parent = nullptr);
    // "Changed only" while comparing: modules whose own ops or parameters differ (and their ancestors).
    void setChangedOnly(bool changedOnly);
    bool changedOnly() const { return changedOnly_; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    bool changedOnly_ = false;
};

QString formatCount(quint64 count);    // 1234567 -> "1.23 M"
QString formatBytes(quint64 bytes);    // 1536 -> "1.5 KiB"
QString formatMicroseconds(double us); // 1234.5 -> "1.23 ms"

// Node instances dragged out of the graph, tagged with the document they belong to.
inline constexpr char kNodesMimeType[] = "application/x-hierscope-nodes";
inline constexpr char kModuleMimeType[] = "application/x-hierscope-module"; // a module dragged in the tree
QMimeData* nodesMimeData(const std::vector<int>& nodes, const void* document);
// The nodes in `data` when it carries nodes of `document`; empty otherwise.
std::vector<int> nodesFromMimeData(const QMimeData* data, const void* document);

} // namespace hs::ui
