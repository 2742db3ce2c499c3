// MainWindow: editing the module tree itself. Rename (F2 in the tree, or its menu) and Move Module
// Under... give a module a new scope, one undo step each (document/module_commands.h).
#include "mainwindow/main_window.h"

#include "document/model_document.h"
#include "document/module_commands.h"
#include "itemmodels/module_tree_model.h"

#include <QInputDialog>
#include <QMessageBox>
#include <QStatusBar>
#include <QTreeView>
#include <QUndoStack>

namespace hs::ui {

static QString scopeText(const Hierarchy& h, int module) {
    const std::string& scope = h.modules[static_cast<std::size_t>(module)].scope;
    return scope.empty() ? QStringLiteral("(root)") : QString::fromStdString(scope);
}

QString MainWindow::renameModule(int module, const QString& name) {
    if (!doc_) return tr("No model is open.");
    const Hierarchy& h = doc_->hierarchy;
    const std::string scope = renamedScope(h, module, name.trimmed().toStdString());
    if (const QString problem = rescopeProblem(h, module, scope); !problem.isEmpty()) {
        statusBar()->showMessage(tr("Not renamed: %1").arg(problem), 10000);
        if (interactive_) QMessageBox::warning(this, tr("Rename Module"), problem);
        return problem;
    }
    rescopeModule(module, scope,
                  tr("Rename %1 to %2").arg(scopeText(h, module), QString::fromStdString(scope)));
    return {};
}

QString MainWindow::moveModuleUnder(int module, int parent) {
    if (!doc_) return tr("No model is open.");
    const Hierarchy& h = doc_->hierarchy;
    const std::string scope = movedScope(h, module, parent);
    QString problem = rescopeProblem(h, module, scope);
    if (problem.isEmpty() && h.parentForNewModule(scope) != parent)
        problem = tr("'%1' would go under %2, not %3.")
                      .arg(QString::fromStdString(scope), scopeText(h, h.parentForNewModule(scope)),
                           scopeText(h, parent));
    if (!problem.isEmpty()) {
        statusBar()->showMessage(tr("Not moved: %1").arg(problem), 10000);
        return problem;
    }
    rescopeModule(module, scope,
                  tr("Move module %1 under %2").arg(scopeText(h, module), scopeText(h, parent)));
    return {};
}

void MainWindow::rescopeModule(int module, const std::string& scope, const QString& text) {
    const std::size_t pinned = nodesToPin(doc_->hierarchy, module).size();
    undo_->push(
        new RescopeModuleCommand(doc_.get(), module, scope, text, [this] { onHierarchyChanged(true); }));
    syncing_ = true;
    selectModule(module);
    syncing_ = false;
    // Those nodes leave the uncertain list (a manual tag is certain): say so.
    const QString pins =
        pinned == 1 ? tr("1 node placed by the file's names or parameters is a manual tag")
                    : tr("%1 nodes placed by the file's names or parameters are manual tags").arg(pinned);
    statusBar()->showMessage(
        pinned == 0 ? text : tr("%1; %2 there now (saved in the sidecar).").arg(text, pins), 10000);
}

// Move Module Under...: the modules it may go under (not inside itself; parents come before children).
void MainWindow::askModuleParent(int module) {
    if (!doc_ || module <= 0) return;
    const Hierarchy& h = doc_->hierarchy;
    const std::vector<int> targets = moveTargets(h, module);
    if (targets.empty()) {
        reportError(tr("Move Module Under"),
                    tr("%1 cannot move under any other module here.").arg(scopeText(h, module)));
        return;
    }
    QStringList items;
    for (int t : targets)
        items << scopeText(h, t);
    QInputDialog dialog(this);
    dialog.setObjectName(QStringLiteral("moveModuleDialog"));
    dialog.setWindowTitle(tr("Move Module %1 Under").arg(scopeText(h, module)));
    dialog.setLabelText(tr("New parent of %1 (it keeps its name, %2; its nodes go with it):")
                            .arg(scopeText(h, module), QString::fromStdString(h.modules[module].name)));
    dialog.setComboBoxItems(items);
    dialog.setComboBoxEditable(false);
    if (dialog.exec() != QDialog::Accepted) return;
    const qsizetype chosen = items.indexOf(dialog.textValue());
    if (chosen >= 0) moveModuleUnder(module, targets[static_cast<std::size_t>(chosen)]);
}

// F2 or the tree's Rename: the name is edited in place; the model reports it (renameRequested).
void MainWindow::startRenamingModule(int module) {
    const QModelIndex index = filterModel_->mapFromSource(treeModel_->indexOfModule(module));
    if (!index.isValid()) return;
    treeView_->setCurrentIndex(index);
    treeView_->edit(index);
}

} // namespace hs::ui
