#pragma once
// Ctrl+F: search node names and keys, op types, tensor names and module scopes; results navigable,
// counted ("12 matches", "No results for ..."), stepped through with F3 / Shift+F3, marked in the graph
// (matchesChanged), cleared when another model opens.
#include "graphview/graph_scene.h"

#include <QWidget>

#include <vector>

class QLabel;
class QLineEdit;
class QListWidget;

namespace hs::ui {

struct ModelDocument;

class SearchPanel : public QWidget {
    Q_OBJECT
public:
    explicit SearchPanel(QWidget* parent = nullptr);
    void setDocument(const ModelDocument* doc);
    QLineEdit* queryEdit() const { return query_; }
    QListWidget* results() const { return results_; }
    QLabel* status() const { return status_; }
    void search(const QString& text);
    // F3 / Shift+F3: the next or previous result, wrapping around; the graph follows.
    void findNext();
    void findPrevious();
    int matchCount() const { return matchCount_; }
signals:
    void entityActivated(hs::ui::GraphEntity entity);
    // Every listed result, for the graph to mark; empty when the search is cleared.
    void matchesChanged(const std::vector<hs::ui::GraphEntity>& matches);

private:
    void step(int by);
    const ModelDocument* doc_ = nullptr;
    QLineEdit* query_;
    QLabel* status_;
    QListWidget* results_;
    int matchCount_ = 0; // all matches, also those past the listed ones
    QString searched_;   // the query the results are for
};

} // namespace hs::ui
