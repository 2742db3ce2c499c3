#pragma once
// A module renamed, or moved under another module, as one undoable step. A module's identity is its
// instance scope, so both give the module (and its whole subtree) a new scope: rename keeps its parent
// (`features.conv_0` -> `features.conv0`), Move Module Under gives it a new one (`conv0` ->
// `features.conv0`). The module keeps its index, so its nodes follow it without moving. What is saved is
// the sidecar's own model: `modules` lists the new scopes, and the subtree's nodes that the file's
// evidence placed (names, metadata, parameters) become manual tags there, since that evidence names the
// old scope and would take them back on reload. Inferred nodes and taken suggestions keep their level.
#include <QString>
#include <QUndoCommand>
#include <functional>
#include <string>
#include <vector>

namespace hs {
struct Hierarchy;
}

namespace hs::ui {

struct ModelDocument;

// Why `module` cannot take `scope` ("" when it can): the root, an invalid or taken scope, a scope inside
// the module itself, or a new parent listed after the module (parents come before their children).
QString rescopeProblem(const Hierarchy& hierarchy, int module, const std::string& scope);
// The scope a module gets when renamed to `name` below its parent, or moved under `parent` keeping its name.
std::string renamedScope(const Hierarchy& hierarchy, int module, const std::string& name);
std::string movedScope(const Hierarchy& hierarchy, int module, int parent);
// The modules `module` may move under: not inside it, not its parent, listed before it.
std::vector<int> moveTargets(const Hierarchy& hierarchy, int module);
// The subtree's nodes that become manual tags when it is re-scoped (placed by the file's evidence).
std::vector<int> nodesToPin(const Hierarchy& hierarchy, int module);

class RescopeModuleCommand : public QUndoCommand {
public:
    // `scope` must be free of problems (rescopeProblem). `changed` runs after every redo/undo.
    RescopeModuleCommand(ModelDocument* doc, int module, const std::string& scope, const QString& text,
                         std::function<void()> changed);
    void redo() override;
    void undo() override;

private:
    struct Place { // what a re-scope changes in one module
        std::string scope, name, path, evidenceScope;
        int parent = -1, depth = 0;
    };
    struct Tree {
        std::vector<Place> places;                 // per module of the subtree
        std::vector<int> oldSiblings, newSiblings; // children of the old and the new parent
    };
    void apply(const Tree& tree);
    ModelDocument* doc_;
    std::vector<int> subtree_; // the module, then its descendants
    int oldParent_, newParent_;
    Tree before_, after_;
    std::function<void()> changed_;
};

} // namespace hs::ui
