#pragma once
// A searchable list of every module, to pick the target of a re-tagging; the modules the nodes may
// belong to (Hierarchy::deeperCandidates) come first, marked as suggested.
#include <QDialog>

#include <vector>

class QLineEdit;
class QListWidget;

namespace hs {
struct Hierarchy;
}

namespace hs::ui {

class ModuleChooser : public QDialog {
    Q_OBJECT
public:
    ModuleChooser(const Hierarchy& hierarchy, int current, const std::vector<int>& suggested = {},
                  QWidget* parent = nullptr);
    int selectedModule() const;
    QLineEdit* filterEdit() const { return filter_; }
    QListWidget* list() const { return list_; }
    // Shows the dialog; -1 when cancelled.
    static int choose(const Hierarchy& hierarchy, int current, const std::vector<int>& suggested,
                      QWidget* parent);

private:
    void applyFilter(const QString& text);
    QLineEdit* filter_;
    QListWidget* list_;
};

} // namespace hs::ui
