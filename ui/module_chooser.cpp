#include "module_chooser.h"

#include "hierarchy.h"

#include <QDialogButtonBox>
#include <QLineEdit>
#include <QListWidget>
#include <QVBoxLayout>

namespace hs::ui {

ModuleChooser::ModuleChooser(const Hierarchy& hierarchy, int current, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Move to module"));
    resize(520, 480);
    filter_ = new QLineEdit(this);
    filter_->setPlaceholderText(tr("Type part of a scope, name or class"));
    filter_->setClearButtonEnabled(true);
    list_ = new QListWidget(this);
    for (std::size_t m = 0; m < hierarchy.modules.size(); ++m) {
        const Module& mod = hierarchy.modules[m];
        QString text = mod.scope.empty() ? tr("(root)") : QString::fromStdString(mod.scope);
        if (!mod.className.empty())
            text += QStringLiteral("  (%1)").arg(QString::fromStdString(mod.className));
        auto* item = new QListWidgetItem(text, list_);
        item->setData(Qt::UserRole, static_cast<int>(m));
        item->setToolTip(QString::fromStdString(mod.path));
        if (static_cast<int>(m) == current) list_->setCurrentItem(item);
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

int ModuleChooser::choose(const Hierarchy& hierarchy, int current, QWidget* parent) {
    ModuleChooser chooser(hierarchy, current, parent);
    return chooser.exec() == QDialog::Accepted ? chooser.selectedModule() : -1;
}

} // namespace hs::ui
