#include "document/retag_command.h"

#include "document/model_document.h"

namespace hs::ui {

RetagCommand::RetagCommand(ModelDocument* doc, std::vector<int> nodes, int module,
                           std::function<void()> changed)
    : doc_(doc), nodes_(std::move(nodes)), module_(module), changed_(std::move(changed)) {
    for (int n : nodes_)
        before_.push_back(doc_->hierarchy.assignments[static_cast<std::size_t>(n)]);
    const Module& m = doc_->hierarchy.modules[static_cast<std::size_t>(module_)];
    const QString target = m.scope.empty() ? QStringLiteral("(root)") : QString::fromStdString(m.scope);
    setText(
        nodes_.size() == 1
            ? QObject::tr("Move %1 to %2").arg(QString::fromStdString(doc_->graph->key(nodes_[0])), target)
            : QObject::tr("Move %1 nodes to %2").arg(nodes_.size()).arg(target));
}

void RetagCommand::redo() {
    for (int n : nodes_)
        doc_->hierarchy.assignManually(n, module_);
    doc_->hierarchy.refreshModuleSummaries();
    if (changed_) changed_();
}

void RetagCommand::undo() {
    for (std::size_t i = 0; i < nodes_.size(); ++i)
        doc_->hierarchy.assignments[static_cast<std::size_t>(nodes_[i])] = before_[i];
    doc_->hierarchy.refreshModuleSummaries();
    if (changed_) changed_();
}

} // namespace hs::ui
