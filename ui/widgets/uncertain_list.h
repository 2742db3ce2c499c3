#pragma once
// The assignments worth a second look (conflicts, low, medium), most doubtful first.
#include <QTreeWidget>

namespace hs::ui {

struct ModelDocument;

class UncertainList : public QTreeWidget {
    Q_OBJECT
public:
    enum Column { NodeColumn, OpColumn, ModuleColumn, ConfidenceColumn, ScoreColumn, SourceColumn };
    explicit UncertainList(QWidget* parent = nullptr);
    void setDocument(const ModelDocument* doc);
    void refresh();
    int nodeAt(int row) const;
signals:
    void nodeActivated(int node);

private:
    void keepCurrentRow(int node, int row, bool selected);
    void setHeaderToolTips();
    const ModelDocument* doc_ = nullptr;
};

} // namespace hs::ui
