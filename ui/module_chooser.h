#pragma once
// A searchable list of every module, to pick the target of a re-tagging.
#include <QDialog>

class QLineEdit;
class QListWidget;

namespace hs {
struct Hierarchy;
}

namespace hs::ui {

class ModuleChooser : public QDialog {
    Q_OBJECT
public:
    ModuleChooser(const Hierarchy& hierarchy, int current, QWidget* parent = nullptr);
    int selectedModule() const;
    QLineEdit* filterEdit() const { return filter_; }
    QListWidget* list() const { return list_; }
    // Shows the dialog; -1 when cancelled.
    static int choose(const Hierarchy& hierarchy, int current, QWidget* parent);

private:
    void applyFilter(const QString& text);
    QLineEdit* filter_;
    QListWidget* list_;
};

} // namespace hs::ui
