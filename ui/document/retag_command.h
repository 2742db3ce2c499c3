#pragma once
// One re-tagging by the user as an undoable step: the nodes move to a module, become certain with
// source manual; undo restores their previous assignments exactly.
#include "hierarchy/hierarchy.h"

#include <QUndoCommand>
#include <functional>
#include <vector>

namespace hs::ui {

struct ModelDocument;

class RetagCommand : public QUndoCommand {
public:
    // `changed` runs after every redo/undo so views follow the hierarchy.
    RetagCommand(ModelDocument* doc, std::vector<int> nodes, int module, std::function<void()> changed);
    void redo() override;
    void undo() override;

private:
    ModelDocument* doc_;
    std::vector<int> nodes_;
    int module_;
    std::vector<Assignment> before_;
    std::function<void()> changed_;
};

} // namespace hs::ui
