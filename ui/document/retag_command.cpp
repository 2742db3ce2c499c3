#include "document/retag_command.h"

#include "document/model_document.h"

namespace hs::ui {

static std::vector<Retag> allTo(const std::vector<int>& nodes, int module) {
    std::vector<Retag> retags;
    retags.reserve(nodes.size());
    for (int n : nodes)
        retags.push_back({n, module});
    return retags;
}

RetagCommand::RetagCommand(ModelDocument* doc, std::vector<int> nodes, int module,
                           std::function<void()> changed)
    : doc_(doc), retags_(allTo(nodes, module)), changed_(std::move(changed)) {
    keepBefore();
    const Module& m = doc_->hierarchy.modules[static_cast<std::size_t>(module)];
    const QString target = m.scope.empty() ? QStringLiteral("(root)") : QString::fromStdString(m.scope);
    setText(nodes.size() == 1
                ? QObject::tr("Move %1 to %2").arg(QString::fromStdString(doc_->graph->key(nodes[0])), target)
                : QObject::tr("Move %1 nodes to %2").arg(nodes.size()).arg(target));
}

RetagCommand::RetagCommand(ModelDocument* doc, std::vector<Retag> retags, const QString& text,
                           std::function<void()> changed, QUndoCommand* parent)
    : QUndoCommand(text, parent), doc_(doc), retags_(std::move(retags)), changed_(std::move(changed)) {
    keepBefore();
}

void RetagCommand::keepBefore() {
    before_.reserve(retags_.size());
    for (const Retag& r : retags_)
        before_.push_back(doc_->hierarchy.assignments[static_cast<std::size_t>(r.node)]);
}

void RetagCommand::redo() {
    for (const Retag& r : retags_)
        if (r.suggestion)
            doc_->hierarchy.takeSuggestion(r.node, r.module);
        else
            doc_->hierarchy.assignManually(r.node, r.module);
    doc_->hierarchy.refreshModuleSummaries();
    if (changed_) changed_();
}

void RetagCommand::undo() {
    for (std::size_t i = 0; i < retags_.size(); ++i)
        doc_->hierarchy.assignments[static_cast<std::size_t>(retags_[i].node)] = before_[i];
    doc_->hierarchy.refreshModuleSummaries();
    if (changed_) changed_();
}

CreateModuleCommand::CreateModuleCommand(ModelDocument* doc, const std::string& scope,
                                         const std::string& className, const std::vector<int>& nodes,
                                         std::function<void()> changed)
    : doc_(doc), scope_(scope), className_(className),
      module_(static_cast<int>(doc->hierarchy.modules.size())), changed_(std::move(changed)) {
    // The module is appended, so its index is known before it exists; the re-tag is a child step that
    // runs after the module is made and is undone before it goes.
    std::vector<Retag> retags;
    for (int n : nodes)
        retags.push_back({n, module_});
    new RetagCommand(doc_, std::move(retags), {}, {}, this);
    const QString what = nodes.size() == 1 ? QString::fromStdString(doc_->graph->key(nodes.front()))
                                           : QObject::tr("%1 nodes").arg(nodes.size());
    setText(QObject::tr("Move %1 to new module %2").arg(what, QString::fromStdString(scope)));
}

void CreateModuleCommand::redo() {
    doc_->hierarchy.addModule(scope_, className_);
    QUndoCommand::redo(); // the re-tag
    if (changed_) changed_();
}

void CreateModuleCommand::undo() {
    QUndoCommand::undo(); // the nodes go back first: only an empty module is removed
    doc_->hierarchy.removeLastModule();
    doc_->hierarchy.refreshModuleSummaries();
    if (changed_) changed_();
}

} // namespace hs::ui
