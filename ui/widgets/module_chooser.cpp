#include "widgets/module_chooser.h"

#include "hierarchy/hierarchy.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

namespace hs::ui {

namespace {
constexpr int ModuleRole = Qt::UserRole;        // the module; kNewModule for the "new module" row
constexpr int SuggestedRole = Qt::UserRole + 1; // a suggestion row
constexpr int kNewModule = -2;

QString scopeText(const Module& m) {
    return m.scope.empty() ? QStringLiteral("(root)") : QString::fromStdString(m.scope);
}
} // namespace

ModuleChooser::ModuleChooser(const Hierarchy& hierarchy, int current,
                             const std::vector<ModuleSuggestion>& suggested, int nodeCount, QWidget* parent)
    : QDialog(parent), hierarchy_(hierarchy), nodeCount_(nodeCount) {
    setWindowTitle(nodeCount > 1 ? tr("Move %1 nodes to module").arg(nodeCount) : tr("Move to module"));
    resize(560, 520);
    filter_ = new QLineEdit(this);
    filter_->setPlaceholderText(tr("Type part of a scope, name or class, or a new scope"));
    filter_->setClearButtonEnabled(true);
    list_ = new QListWidget(this);
    newItem_ = new QListWidgetItem(list_);
    newItem_->setData(ModuleRole, kNewModule);
    newItem_->setHidden(true);
    QFont bold = newItem_->font();
    bold.setBold(true);
    newItem_->setFont(bold);
    auto addModule = [&](int m, const QString& why) {
        const Module& mod = hierarchy.modules[static_cast<std::size_t>(m)];
        QString text = scopeText(mod);
        if (!mod.className.empty())
            text += QStringLiteral("  (%1)").arg(QString::fromStdString(mod.className));
        if (!why.isNull()) text = tr("%1    (suggested: %2)").arg(text, why);
        auto* item = new QListWidgetItem(text, list_);
        item->setData(ModuleRole, m);
        item->setData(SuggestedRole, !why.isNull());
        item->setToolTip(QString::fromStdString(mod.path));
        if (!why.isNull()) item->setFont(bold);
        return item;
    };
    // The suggestions first, the first one chosen: re-tagging a vague node usually means taking it down
    // to one of them.
    for (const ModuleSuggestion& s : suggested) {
        QListWidgetItem* item = addModule(s.module, s.why.isNull() ? QStringLiteral("") : s.why);
        if (!chosen_) chosen_ = item;
    }
    // Then every module in the tree's order (parents before their children).
    std::vector<int> pending{0};
    while (!pending.empty()) {
        const int m = pending.back();
        pending.pop_back();
        QListWidgetItem* item = addModule(m, QString());
        if (m == current && !chosen_) chosen_ = item;
        const std::vector<int>& children = hierarchy.modules[static_cast<std::size_t>(m)].children;
        pending.insert(pending.end(), children.rbegin(), children.rend());
    }
    class_ = new QLineEdit(this);
    class_->setPlaceholderText(tr("optional, e.g. Conv2d"));
    class_->setEnabled(false);
    message_ = new QLabel(this);
    message_->setWordWrap(true);
    message_->setObjectName(QStringLiteral("chooserMessage"));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    ok_ = buttons->button(QDialogButtonBox::Ok);
    connect(buttons, &QDialogButtonBox::accepted, this, &ModuleChooser::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(list_, &QListWidget::itemDoubleClicked, this, &ModuleChooser::accept);
    connect(list_, &QListWidget::currentItemChanged, this, &ModuleChooser::onCurrentChanged);
    connect(filter_, &QLineEdit::textChanged, this, &ModuleChooser::applyFilter);
    connect(filter_, &QLineEdit::returnPressed, this, &ModuleChooser::accept);
    auto* form = new QFormLayout;
    form->addRow(tr("New module's class:"), class_);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(filter_);
    layout->addWidget(list_);
    layout->addLayout(form);
    layout->addWidget(message_);
    layout->addWidget(buttons);
    if (chosen_) list_->setCurrentItem(chosen_);
    onCurrentChanged(list_->currentItem());
}

// The row to highlight after the filter changed: the last choice while it matches, else a matching
// suggestion, else the module whose scope starts with the text, else the first match, else the new module
// the text names. Never an unrelated row: the last choice comes back when the filter is cleared.
QListWidgetItem* ModuleChooser::bestVisible(const QString& text) const {
    if (chosen_ && !chosen_->isHidden()) return chosen_;
    QListWidgetItem* suggestion = nullptr;
    QListWidgetItem* prefix = nullptr;
    QListWidgetItem* first = nullptr;
    for (int i = 0; i < list_->count(); ++i) {
        QListWidgetItem* item = list_->item(i);
        if (item->isHidden() || item == newItem_) continue;
        if (!first) first = item;
        if (!suggestion && item->data(SuggestedRole).toBool()) suggestion = item;
        if (!prefix && item->text().startsWith(text, Qt::CaseInsensitive)) prefix = item;
    }
    if (suggestion || prefix || first) return suggestion ? suggestion : prefix ? prefix : first;
    return newItem_->isHidden() ? nullptr : newItem_;
}

void ModuleChooser::applyFilter(const QString& text) {
    // Hiding the current row makes the list pick another: not a choice of the user's.
    filtering_ = true;
    const QString typed = text.trimmed();
    bool any = false;
    for (int i = 0; i < list_->count(); ++i) {
        QListWidgetItem* item = list_->item(i);
        if (item == newItem_) continue;
        const bool match = item->text().contains(typed, Qt::CaseInsensitive);
        item->setHidden(!match);
        any = any || match;
    }
    // A scope no module has yet: offered as a new module below the deepest one it extends.
    const std::string scope = typed.toStdString();
    const bool creatable = !typed.isEmpty() && hierarchy_.newModuleProblem(scope).empty();
    if (creatable) {
        const int parent = hierarchy_.parentForNewModule(scope);
        newItem_->setText(tr("%1    (new module under %2)")
                              .arg(typed, scopeText(hierarchy_.modules[static_cast<std::size_t>(parent)])));
    }
    newItem_->setHidden(!creatable);
    QListWidgetItem* best = bestVisible(typed);
    list_->setCurrentItem(best);
    if (!best) list_->setCurrentRow(-1);
    onCurrentChanged(best);
    filtering_ = false;
    if (!any && !creatable)
        message_->setText(tr("No module matches \u201c%1\u201d, and it cannot be a new module: %2")
                              .arg(typed, QString::fromStdString(hierarchy_.newModuleProblem(scope))));
}

void ModuleChooser::onCurrentChanged(QListWidgetItem* item) {
    if (!filtering_ && item && !item->isHidden()) chosen_ = item;
    const bool isNew = item == newItem_ && !newItem_->isHidden();
    class_->setEnabled(isNew);
    const QString nodes = nodeCount_ == 1 ? tr("Move") : tr("Move %1 Nodes").arg(nodeCount_);
    ok_->setEnabled(item && !item->isHidden());
    if (!item || item->isHidden()) {
        ok_->setText(nodes);
        message_->setText(tr("Choose a module, or type the scope of a new one."));
        return;
    }
    const QString target =
        isNew ? filter_->text().trimmed()
              : scopeText(hierarchy_.modules[static_cast<std::size_t>(item->data(ModuleRole).toInt())]);
    ok_->setText(isNew ? tr("Create and %1").arg(nodes) : nodes);
    message_->setText(isNew ? tr("%1 to the new module %2").arg(nodes, target)
                            : tr("%1 to %2").arg(nodes, target));
}

void ModuleChooser::accept() {
    QListWidgetItem* item = list_->currentItem();
    if (!item || item->isHidden()) {
        const std::string typed = filter_->text().trimmed().toStdString();
        const std::string problem = hierarchy_.newModuleProblem(typed);
        message_->setText(problem.empty()
                              ? tr("Choose a module first.")
                              : tr("Nothing to move to: %1").arg(QString::fromStdString(problem)));
        return;
    }
    QDialog::accept();
}

int ModuleChooser::selectedModule() const {
    QListWidgetItem* item = list_->currentItem();
    return item && !item->isHidden() && item != newItem_ ? item->data(ModuleRole).toInt() : -1;
}

std::string ModuleChooser::newScope() const {
    QListWidgetItem* item = list_->currentItem();
    return item == newItem_ && !item->isHidden() ? filter_->text().trimmed().toStdString() : std::string();
}

std::string ModuleChooser::newClass() const {
    return newScope().empty() ? std::string() : class_->text().trimmed().toStdString();
}

} // namespace hs::ui
