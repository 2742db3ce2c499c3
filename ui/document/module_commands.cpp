#include "document/module_commands.h"

#include "document/model_document.h"
#include "document/retag_command.h"
#include "hierarchy/hierarchy.h"
#include "hierarchy/scope_names.h"

#include <algorithm>
#include <unordered_set>

namespace hs::ui {

namespace {

std::string joinScope(const std::string& parent, const std::string& name) {
    return parent.empty() ? name : parent + "." + name;
}

void collectSubtree(const Hierarchy& h, int module, std::vector<int>& out) {
    out.push_back(module);
    for (int c : h.modules[static_cast<std::size_t>(module)].children)
        collectSubtree(h, c, out);
}

// The module's segment of the hierarchy path under `parent`, as core's addModule writes it: its class
// (".N" for a numbered attribute) or its name; `Class[name]` when a sibling already has that segment.
std::string pathSegment(const Hierarchy& h, int parent, int self, const std::string& name,
                        const std::string& className) {
    const std::string atom(lastAtomOf(name));
    const std::string segment =
        className.empty() ? name : className + (isNumericAtom(atom) ? "." + atom : "");
    const std::string prefix = h.modules[static_cast<std::size_t>(parent)].path + "/";
    for (int c : h.modules[static_cast<std::size_t>(parent)].children)
        if (c != self && h.modules[static_cast<std::size_t>(c)].path == prefix + segment)
            return className + "[" + name + "]";
    return segment;
}

bool explicitlyPlaced(const Assignment& a) {
    return !a.conflict && a.source != Source::Manual && a.source != Source::Inferred &&
           a.source != Source::Fallback && a.source != Source::Suggestion;
}

} // namespace

std::string renamedScope(const Hierarchy& h, int module, const std::string& name) {
    const Module& m = h.modules[static_cast<std::size_t>(module)];
    return joinScope(h.modules[static_cast<std::size_t>(m.parent)].scope, name);
}

std::string movedScope(const Hierarchy& h, int module, int parent) {
    return joinScope(h.modules[static_cast<std::size_t>(parent)].scope,
                     h.modules[static_cast<std::size_t>(module)].name);
}

QString rescopeProblem(const Hierarchy& h, int module, const std::string& scope) {
    if (module <= 0 || module >= static_cast<int>(h.modules.size()))
        return QObject::tr("The model's root cannot be renamed or moved.");
    const Module& m = h.modules[static_cast<std::size_t>(module)];
    if (scope == m.scope) return QObject::tr("'%1' is its scope already.").arg(QString::fromStdString(scope));
    if (const std::string problem = h.newModuleProblem(scope); !problem.empty())
        return QString::fromStdString(problem);
    const int parent = h.parentForNewModule(scope);
    if (h.isAncestorOrSelf(module, parent))
        return QObject::tr("'%1' would put %2 inside itself.")
            .arg(QString::fromStdString(scope), QString::fromStdString(m.scope));
    // Parents are listed before their children (the module sums rely on it); the module keeps its index.
    if (parent > module)
        return QObject::tr("%1 comes later in the model than %2: move %2 under %1's parent, or "
                           "create the new parent first with Move to Module.")
            .arg(QString::fromStdString(h.modules[static_cast<std::size_t>(parent)].scope),
                 QString::fromStdString(m.scope));
    return {};
}

std::vector<int> moveTargets(const Hierarchy& h, int module) {
    std::vector<int> targets;
    if (module <= 0) return targets;
    // One set of scopes, not a search of the module list per candidate (models have thousands).
    std::unordered_set<std::string> scopes;
    for (const Module& m : h.modules)
        scopes.insert(m.scope);
    const Module& m = h.modules[static_cast<std::size_t>(module)];
    for (int t = 0; t < module; ++t) { // parents come first: only modules listed before it
        if (t == m.parent) continue;
        const std::string& base = h.modules[static_cast<std::size_t>(t)].scope;
        const std::string scope = joinScope(base, m.name);
        bool free = !scopes.count(scope);
        // The new parent is `t` only when no module sits between them ("encoder" + "layer.0" with an
        // "encoder.layer" module would land under that one).
        for (std::size_t dot = scope.find('.', base.empty() ? 0 : base.size() + 1);
             free && dot != std::string::npos; dot = scope.find('.', dot + 1))
            free = !scopes.count(scope.substr(0, dot));
        if (free) targets.push_back(t);
    }
    return targets;
}

std::vector<int> nodesToPin(const Hierarchy& h, int module) {
    std::vector<int> subtree, nodes;
    collectSubtree(h, module, subtree);
    for (int m : subtree)
        for (int n : h.modules[static_cast<std::size_t>(m)].nodes)
            if (explicitlyPlaced(h.assignments[static_cast<std::size_t>(n)])) nodes.push_back(n);
    std::sort(nodes.begin(), nodes.end());
    return nodes;
}

RescopeModuleCommand::RescopeModuleCommand(ModelDocument* doc, int module, const std::string& scope,
                                           const QString& text, std::function<void()> changed)
    : QUndoCommand(text), doc_(doc), changed_(std::move(changed)) {
    const Hierarchy& h = doc_->hierarchy;
    collectSubtree(h, module, subtree_);
    const Module& m = h.modules[static_cast<std::size_t>(module)];
    oldParent_ = m.parent;
    newParent_ = h.parentForNewModule(scope);
    for (int s : subtree_) {
        const Module& x = h.modules[static_cast<std::size_t>(s)];
        before_.places.push_back({x.scope, x.name, x.path, x.evidenceScope, x.parent, x.depth});
    }
    before_.oldSiblings = h.modules[static_cast<std::size_t>(oldParent_)].children;
    before_.newSiblings = h.modules[static_cast<std::size_t>(newParent_)].children;

    // After: the module under its new parent (appended there when the parent changes), the subtree's
    // scopes and paths re-rooted, depths shifted.
    const Module& np = h.modules[static_cast<std::size_t>(newParent_)];
    Place top{scope, relativeName(np.scope, scope), {}, {}, newParent_, np.depth + 1};
    top.path = np.path + "/" + pathSegment(h, newParent_, module, top.name, m.className);
    after_.oldSiblings = before_.oldSiblings;
    after_.newSiblings = before_.newSiblings;
    if (newParent_ != oldParent_) {
        after_.oldSiblings.erase(std::remove(after_.oldSiblings.begin(), after_.oldSiblings.end(), module),
                                 after_.oldSiblings.end());
        after_.newSiblings.push_back(module);
    }
    const int shift = top.depth - m.depth;
    for (std::size_t k = 0; k < subtree_.size(); ++k) {
        const Place& old = before_.places[k];
        Place p = k == 0 ? top : old;
        if (k > 0) {
            p.scope = scope + old.scope.substr(m.scope.size());
            p.path = top.path + old.path.substr(m.path.size());
            p.depth = old.depth + shift;
        }
        // What the file's evidence calls it, kept through every rename: a reload maps it here.
        p.evidenceScope = old.evidenceScope.empty() ? old.scope : old.evidenceScope;
        if (p.evidenceScope == p.scope) p.evidenceScope.clear();
        after_.places.push_back(p);
    }
    // The nodes the file's evidence placed become manual tags where they are (a child step).
    std::vector<Retag> pins;
    for (int n : nodesToPin(h, module))
        pins.push_back({n, h.assignments[static_cast<std::size_t>(n)].module});
    if (!pins.empty()) new RetagCommand(doc_, std::move(pins), {}, {}, this);
}

void RescopeModuleCommand::apply(const Tree& tree) {
    Hierarchy& h = doc_->hierarchy;
    for (std::size_t k = 0; k < subtree_.size(); ++k) {
        Module& m = h.modules[static_cast<std::size_t>(subtree_[k])];
        const Place& p = tree.places[k];
        m.scope = p.scope;
        m.name = p.name;
        m.path = p.path;
        m.evidenceScope = p.evidenceScope;
        m.parent = p.parent;
        m.depth = p.depth;
    }
    h.modules[static_cast<std::size_t>(oldParent_)].children = tree.oldSiblings;
    h.modules[static_cast<std::size_t>(newParent_)].children = tree.newSiblings;
}

void RescopeModuleCommand::redo() {
    apply(after_);
    QUndoCommand::redo(); // the pins
    doc_->hierarchy.refreshModuleSummaries();
    if (changed_) changed_();
}

void RescopeModuleCommand::undo() {
    QUndoCommand::undo();
    apply(before_);
    doc_->hierarchy.refreshModuleSummaries();
    if (changed_) changed_();
}

} // namespace hs::ui
