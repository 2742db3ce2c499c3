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

} // namespace hs::ui
