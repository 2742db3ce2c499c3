#pragma once
// One re-tagging by the user as an undoable step: nodes move to modules (one module for all, or each its
// own: accepted suggestions, accepted claims, "checked" where they are) and become certain with source
// manual; undo restores their previous assignments exactly. A bulk fix of hundreds of nodes is one step.
#include "hierarchy/hierarchy.h"

#include <QUndoCommand>
#include <functional>
#include <string>
#include <vector>

namespace hs::ui {

struct ModelDocument;

struct Retag {
    int node = -1;
    int module = -1;
    bool suggestion = false; // a suggestion taken (medium), not a manual tag (certain)
};

class RetagCommand : public QUndoCommand {
public:
    // `changed` runs after every redo/undo so views follow the hierarchy.
    RetagCommand(ModelDocument* doc, std::vector<int> nodes, int module, std::function<void()> changed);
    // Each node to its own module; `text` names the step in Edit > Undo.
    RetagCommand(ModelDocument* doc, std::vector<Retag> retags, const QString& text,
                 std::function<void()> changed, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;

private:
    void keepBefore();
    ModelDocument* doc_;
    std::vector<Retag> retags_;
    std::vector<Assignment> before_;
    std::function<void()> changed_;
};

// A module created while re-tagging (Move to Module, "new module") with the nodes moved into it: one
// step. Undo moves the nodes back and removes the module again.
class CreateModuleCommand : public QUndoCommand {
public:
    CreateModuleCommand(ModelDocument* doc, const std::string& scope, const std::string& className,
                        const std::vector<int>& nodes, std::function<void()> changed);
    void redo() override;
    void undo() override;
    int module() const { return module_; }

private:
    ModelDocument* doc_;
    std::string scope_, className_;
    int module_;
    std::function<void()> changed_;
};

} // namespace hs::ui
