#include "widgets/module_chooser.h"

#include "hierarchy/hierarchy.h"

#include <vector>

#include <QDialogButtonBox>
#include <QLineEdit>
#include <QListWidget>
#include <QVBoxLayout>

namespace hs::ui {

ModuleChooser::ModuleChooser(const Hierarchy& hierarchy, int current, const std::vector<int>& suggested,
                             QWidget* parent)
    : QDialog(parent) {
    setWindowTitle(tr("Move to module"));
    resize(520, 480);
    filter_ = new QLineEdit(this);
    filter_->setPlaceholderText(tr("Type part of a scope, name or class"));
    filter_->setClearButtonEnabled(true);
    list_ = new QListWidget(this);
    auto addModule = [&](int m, bool isSuggestion) {
        const Module& mod = hierarchy.modules[static_cast<std::size_t>(m)];
        QString text = mod.scope.empty() ? tr("(root)") : QString::fromStdString(mod.scope);
        if (!mod.className.empty())
            text += QStringLiteral("  (%1)").arg(QString::fromStdString(mod.className));
        if (isSuggestion) text = tr("%1    (suggested)").arg(text);
        auto* item = new QListWidgetItem(text, list_);
        item->setData(Qt::UserRole, m);
        item->setToolTip(QString::fromStdString(mod.path));
        if (isSuggestion) {
            QFont bold = item->font();
            bold.setBold(true);
            item->setFont(bold);
        }
        return item;
    };
    // The suggestions first, the first one chosen: re-tagging a vague node usually means taking it down
    // to one of them.
    for (int m : suggested) {
        QListWidgetItem* item = addModule(m, true);
        if (!list_->currentItem()) list_->setCurrentItem(item);
    }
    // Then every module in the tree's order (parents before their children).
    std::vector<int> pending{0};
    while (!pending.empty()) {
        const int m = pending.back();
        pending.pop_back();
        QListWidgetItem* item = addModule(m, false);
        if (m == current && !list_->currentItem()) list_->setCurrentItem(item);
        const std::vector<int>& children = hierarchy.modules[static_cast<std::size_t>(m)].children;
        pending.insert(pending.end(), children.rbegin(), children.rend());
    }
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(list_, &QListWidget::itemDoubleClicked, this, &QDialog::accept);
    connect(filter_, &QLineEdit::textChanged, this, &ModuleChooser::applyFilter);
    connect(filter_, &QLineEdit::returnPressed, this, &QDialog::accept);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(filter_);
    layout->addWidget(list_);
    layout->addWidget(buttons);
}

void ModuleChooser::applyFilter(const QString& text) {
    QListWidgetItem* first = nullptr;
    for (int i = 0; i < list_->count(); ++i) {
        QListWidgetItem* item = list_->item(i);
        const bool match = item->text().contains(text, Qt::CaseInsensitive);
        item->setHidden(!match);
        if (match && !first) first = item;
    }
    if (first && (!list_->currentItem() || list_->currentItem()->isHidden())) list_->setCurrentItem(first);
}

int ModuleChooser::selectedModule() const {
    QListWidgetItem* item = list_->currentItem();
    return item && !item->isHidden() ? item->data(Qt::UserRole).toInt() : -1;
}

int ModuleChooser::choose(const Hierarchy& hierarchy, int current, const std::vector<int>& suggested,
                          QWidget* parent) {
    ModuleChooser chooser(hierarchy, current, suggested, parent);
    return chooser.exec() == QDialog::Accepted ? chooser.selectedModule() : -1;
}

} // namespace hs::ui
