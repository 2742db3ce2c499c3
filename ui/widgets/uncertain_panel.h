#pragma once
// The uncertain list with what fixes many nodes at once: a filter, Constants shown / hidden / under the
// node they feed, grouping by module, and actions on the selected rows (Move to Module, Accept Suggested
// Module, Accept Claim From <source> for conflicts, Mark as Checked). The panel only asks: the main
// window carries each action out as one undo step.
#include "hierarchy/hierarchy.h"

#include <QWidget>

class QAction;
class QCheckBox;
class QComboBox;
class QLineEdit;
class QMenu;

namespace hs::ui {

struct ModelDocument;
class UncertainList;

class UncertainPanel : public QWidget {
    Q_OBJECT
public:
    explicit UncertainPanel(QWidget* parent = nullptr);
    void setDocument(const ModelDocument* doc);
    UncertainList* list() const { return list_; }
    QLineEdit* filterEdit() const { return filter_; }
    QComboBox* constantsBox() const { return constants_; }
    QCheckBox* groupBox() const { return group_; }
    QAction* moveAction() const { return move_; }
    QAction* acceptSuggestedAction() const { return acceptSuggested_; }
    QAction* markCheckedAction() const { return markChecked_; }
    // Accept Claim From: one entry per source that claims a module for a selected conflict, with how many
    // of them it speaks for ("metadata (22 nodes)"). Rebuilt from the selection each time it opens.
    QMenu* claimMenu() const { return claimMenu_; }
    void rebuildClaimMenu();

signals:
    void moveRequested();
    void acceptSuggestedRequested();
    void acceptClaimRequested(hs::Source source);
    void markCheckedRequested();

private:
    void updateActions();
    void showContextMenu(const QPoint& pos);
    const ModelDocument* doc_ = nullptr;
    UncertainList* list_;
    QLineEdit* filter_;
    QComboBox* constants_;
    QCheckBox* group_;
    QAction* move_;
    QAction* acceptSuggested_;
    QAction* markChecked_;
    QMenu* claimMenu_;
};

} // namespace hs::ui
