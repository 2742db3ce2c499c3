// MainWindow: fixing many uncertain nodes at once. The uncertain panel's actions on its selection and
// the tree's "Accept Suggestions Inside This Module" each end in one RetagCommand: one undo step.
#include "mainwindow/main_window.h"

#include "document/model_document.h"
#include "document/retag_command.h"
#include "document/suggestion.h"
#include "widgets/uncertain_list.h"
#include "widgets/uncertain_panel.h"

#include <QDockWidget>
#include <QStatusBar>
#include <QUndoStack>

namespace hs::ui {

static QString nodeCount(std::size_t n, const char* one = "1 node", const char* many = "%1 nodes") {
    return n == 1 ? MainWindow::tr(one) : MainWindow::tr(many).arg(n);
}

void MainWindow::connectUncertainPanel() {
    connect(uncertainPanel_, &UncertainPanel::moveRequested, this, [this] {
        const std::vector<int> nodes = uncertain_->selectedNodes();
        if (doc_ && !nodes.empty()) moveToChosenModule(nodes);
    });
    connect(uncertainPanel_, &UncertainPanel::acceptSuggestedRequested, this,
            [this] { acceptSuggestions(uncertain_->selectedNodes()); });
    connect(uncertainPanel_, &UncertainPanel::acceptClaimRequested, this,
            [this](Source source) { acceptClaims(uncertain_->selectedNodes(), source); });
    connect(uncertainPanel_, &UncertainPanel::markCheckedRequested, this,
            [this] { markChecked(uncertain_->selectedNodes()); });
    // What Ctrl+M and the graph's re-tagging act on follows a selection made in the list.
    connect(uncertain_, &UncertainList::nodeSelectionChanged, this, [this] {
        std::vector<int> nodes = uncertain_->selectedNodes();
        if (!nodes.empty()) lastNodes_ = std::move(nodes);
    });
    connect(uncertain_, &UncertainList::countChanged, this, [this](int shown, int total) {
        uncertainDock_->setWindowTitle(shown == total ? tr("Uncertain (%1)").arg(total)
                                                      : tr("Uncertain (%1 of %2)").arg(shown).arg(total));
    });
}

void MainWindow::applyRetags(std::vector<Retag> retags, const QString& text) {
    if (!doc_ || retags.empty()) return;
    undo_->push(new RetagCommand(doc_.get(), std::move(retags), text, [this] { onHierarchyChanged(); }));
}

void MainWindow::acceptSuggestions(const std::vector<int>& nodes) {
    if (!doc_ || nodes.empty()) return;
    // Every suggestion is read before any is taken: one node's suggestion depends on where its
    // neighbours are, and the step must not depend on the order of the selection.
    std::vector<Retag> retags;
    for (int n : nodes) {
        const int m = suggestedModule(*doc_, n);
        if (m >= 0) retags.push_back({n, m, true}); // medium: a guess taken, still to be checked
    }
    if (retags.empty()) {
        statusBar()->showMessage(tr("No suggestion for %1: nothing moved.").arg(nodeCount(nodes.size())),
                                 8000);
        return;
    }
    applyRetags(retags, tr("Accept suggestions for %1").arg(nodeCount(retags.size())));
    statusBar()->showMessage(tr("Moved %1 of %2 to their suggested module (Ctrl+Z undoes it).")
                                 .arg(retags.size())
                                 .arg(nodeCount(nodes.size())),
                             8000);
}

void MainWindow::acceptClaims(const std::vector<int>& nodes, Source source) {
    if (!doc_) return;
    std::vector<Retag> retags;
    for (int n : nodes) {
        const Assignment& a = doc_->hierarchy.assignments[static_cast<std::size_t>(n)];
        if (!a.conflict) continue;
        for (const Candidate& c : a.candidates)
            if (c.source == source && c.module >= 0) {
                retags.push_back({n, c.module});
                break;
            }
    }
    const QString name = QString::fromLatin1(sourceName(source));
    if (retags.empty()) {
        statusBar()->showMessage(tr("No selected conflict has a claim from %1.").arg(name), 8000);
        return;
    }
    applyRetags(
        retags,
        tr("Accept the %1 claim for %2").arg(name, nodeCount(retags.size(), "1 conflict", "%1 conflicts")));
    statusBar()->showMessage(
        tr("%1 placed where %2 says.").arg(nodeCount(retags.size(), "1 conflict", "%1 conflicts"), name),
        8000);
}

void MainWindow::markChecked(const std::vector<int>& nodes) {
    if (!doc_) return;
    std::vector<Retag> retags;
    for (int n : nodes)
        retags.push_back({n, doc_->hierarchy.assignments[static_cast<std::size_t>(n)].module});
    applyRetags(retags, tr("Mark %1 as checked").arg(nodeCount(retags.size())));
}

void MainWindow::acceptSuggestionsInside(int module) {
    if (!doc_) return;
    const Hierarchy& h = doc_->hierarchy;
    std::vector<int> nodes;
    for (std::size_t m = 0; m < h.modules.size(); ++m)
        if (h.isAncestorOrSelf(module, static_cast<int>(m)))
            nodes.insert(nodes.end(), h.modules[m].nodes.begin(), h.modules[m].nodes.end());
    acceptSuggestions(nodes);
}

} // namespace hs::ui
