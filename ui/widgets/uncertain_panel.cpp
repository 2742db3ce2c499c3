#include "widgets/uncertain_panel.h"

#include "document/model_document.h"
#include "widgets/uncertain_list.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QMenu>
#include <QToolButton>
#include <QVBoxLayout>
#include <map>

namespace hs::ui {

UncertainPanel::UncertainPanel(QWidget* parent) : QWidget(parent) {
    list_ = new UncertainList(this);
    filter_ = new QLineEdit(this);
    filter_->setObjectName(QStringLiteral("uncertainFilter"));
    filter_->setPlaceholderText(tr("Filter: op, module, source, level"));
    filter_->setToolTip(tr("Rows matching every word, e.g. \"Constant low\" or \"conflict metadata\""));
    filter_->setClearButtonEnabled(true);
    constants_ = new QComboBox(this);
    constants_->addItems(
        {tr("Constants shown"), tr("Constants hidden"), tr("Constants under their consumer")});
    constants_->setToolTip(tr("Constants mostly hold a shape or an axis for the one op they feed"));
    group_ = new QCheckBox(tr("Group by module"), this);
    connect(filter_, &QLineEdit::textChanged, list_, &UncertainList::setFilterText);
    connect(constants_, &QComboBox::currentIndexChanged, this,
            [this](int i) { list_->setConstants(static_cast<UncertainList::Constants>(i)); });
    connect(group_, &QCheckBox::toggled, list_, &UncertainList::setGroupedByModule);

    move_ = new QAction(tr("&Move to Module..."), this);
    move_->setIconText(tr("Move..."));
    move_->setToolTip(tr("Move the selected nodes to a module you choose (Ctrl+M)"));
    acceptSuggested_ = new QAction(tr("Accept &Suggested Module"), this);
    acceptSuggested_->setIconText(tr("Accept Suggested"));
    acceptSuggested_->setToolTip(tr("Move each selected node to the module suggested for it"));
    markChecked_ = new QAction(tr("Mark as &Checked"), this);
    markChecked_->setIconText(tr("Mark Checked"));
    markChecked_->setToolTip(tr("Keep the selected nodes where they are, as checked by you (certain)"));
    claimMenu_ = new QMenu(tr("Accept Claim From"), this);
    claimMenu_->setToolTipsVisible(true);
    connect(claimMenu_, &QMenu::aboutToShow, this, &UncertainPanel::rebuildClaimMenu);
    connect(move_, &QAction::triggered, this, &UncertainPanel::moveRequested);
    connect(acceptSuggested_, &QAction::triggered, this, &UncertainPanel::acceptSuggestedRequested);
    connect(markChecked_, &QAction::triggered, this, &UncertainPanel::markCheckedRequested);

    // One row of controls above the list: at 1280x800 the dock is short, and rows are what it is for.
    auto* controls = new QHBoxLayout;
    controls->addWidget(filter_, 1);
    controls->addWidget(constants_);
    controls->addWidget(group_);
    controls->addSpacing(8);
    auto addButton = [&](QAction* action) {
        auto* button = new QToolButton(this);
        button->setDefaultAction(action);
        button->setFocusPolicy(Qt::NoFocus); // Ctrl+M and the buttons act on the list's selection
        controls->addWidget(button);
        return button;
    };
    addButton(move_);
    addButton(acceptSuggested_);
    QToolButton* claim = addButton(claimMenu_->menuAction());
    claim->setPopupMode(QToolButton::InstantPopup);
    addButton(markChecked_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->setSpacing(2);
    layout->addLayout(controls);
    layout->addWidget(list_, 1);

    list_->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(list_, &QWidget::customContextMenuRequested, this, &UncertainPanel::showContextMenu);
    connect(list_, &UncertainList::nodeSelectionChanged, this, &UncertainPanel::updateActions);
    connect(list_, &UncertainList::countChanged, this, &UncertainPanel::updateActions);
    updateActions();
}

void UncertainPanel::setDocument(const ModelDocument* doc) {
    doc_ = doc;
    list_->setDocument(doc);
    updateActions();
}

void UncertainPanel::updateActions() {
    const bool any = doc_ && !list_->selectedItems().isEmpty();
    for (QAction* action : {move_, acceptSuggested_, markChecked_, claimMenu_->menuAction()})
        action->setEnabled(any);
}

void UncertainPanel::rebuildClaimMenu() {
    claimMenu_->clear();
    if (!doc_) return;
    std::map<int, int> bySource; // source -> selected conflicts it claims a module for
    for (int n : list_->selectedNodes()) {
        const Assignment& a = doc_->hierarchy.assignments[static_cast<std::size_t>(n)];
        if (!a.conflict) continue;
        std::vector<int> seen;
        for (const Candidate& c : a.candidates)
            if (std::find(seen.begin(), seen.end(), static_cast<int>(c.source)) == seen.end()) {
                seen.push_back(static_cast<int>(c.source));
                ++bySource[static_cast<int>(c.source)];
            }
    }
    if (bySource.empty()) {
        claimMenu_->addAction(tr("No conflict selected"))->setEnabled(false);
        return;
    }
    for (const auto& [source, count] : bySource) {
        const Source s = static_cast<Source>(source);
        const QString name = QString::fromLatin1(sourceName(s));
        QAction* action = claimMenu_->addAction(count == 1 ? tr("%1 (1 node)").arg(name)
                                                           : tr("%1 (%2 nodes)").arg(name).arg(count),
                                                this, [this, s] { emit acceptClaimRequested(s); });
        action->setToolTip(tr("Each selected conflict goes to the module %1 claims for it")
                               .arg(QString::fromLatin1(sourceDescription(s))));
        action->setData(source);
    }
}

void UncertainPanel::showContextMenu(const QPoint& pos) {
    if (!doc_ || list_->selectedItems().isEmpty()) return;
    QMenu menu(this);
    menu.addAction(move_);
    menu.addAction(acceptSuggested_);
    menu.addMenu(claimMenu_);
    menu.addAction(markChecked_);
    menu.exec(list_->viewport()->mapToGlobal(pos));
}

} // namespace hs::ui
