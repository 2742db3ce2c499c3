#pragma once
// A searchable list of every module, to pick the target of a re-tagging. The modules the nodes may
// belong to come first, marked as suggested with where the suggestion comes from. A scope typed in the
// filter that names no module yet is offered as a new module (with an optional class) below the deepest
// existing module it extends. The title and the OK button say how many nodes move where.
#include <QDialog>

#include <string>
#include <vector>

class QLabel;
class QLineEdit;
class QListWidget;
class QListWidgetItem;
class QPushButton;

namespace hs {
struct Hierarchy;
}

namespace hs::ui {

struct ModuleSuggestion {
    int module = -1;
    QString why; // "3 of 3 nodes: their data flows through it"
};

class ModuleChooser : public QDialog {
    Q_OBJECT
public:
    ModuleChooser(const Hierarchy& hierarchy, int current,
                  const std::vector<ModuleSuggestion>& suggested = {}, int nodeCount = 1,
                  QWidget* parent = nullptr);
    // The chosen existing module; -1 when none, or when a new module is chosen (newScope() then).
    int selectedModule() const;
    // The new module's scope and class when "new module" is chosen, else empty.
    std::string newScope() const;
    std::string newClass() const;
    QLineEdit* filterEdit() const { return filter_; }
    QLineEdit* classEdit() const { return class_; }
    QListWidget* list() const { return list_; }
    QLabel* messageLabel() const { return message_; }
    QPushButton* okButton() const { return ok_; }

    void accept() override; // refuses, with a message, when nothing valid is chosen

private:
    void applyFilter(const QString& text);
    void onCurrentChanged(QListWidgetItem* item);
    QListWidgetItem* bestVisible(const QString& text) const;
    const Hierarchy& hierarchy_;
    int nodeCount_;
    QLineEdit* filter_;
    QListWidget* list_;
    QListWidgetItem* newItem_;          // "create <scope>", shown while the filter is a new scope
    QListWidgetItem* chosen_ = nullptr; // the last choice made (by the user, or the first suggestion)
    bool filtering_ = false;
    QLineEdit* class_;
    QLabel* message_;
    QPushButton* ok_;
};

} // namespace hs::ui
