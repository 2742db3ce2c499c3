#pragma once
// Ctrl+F: search node names and keys, op types, tensor names and module scopes; results navigable.
#include "graphview/graph_scene.h"

#include <QWidget>

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
    void search(const QString& text);
signals:
    void entityActivated(hs::ui::GraphEntity entity);

private:
    const ModelDocument* doc_ = nullptr;
    QLineEdit* query_;
    QListWidget* results_;
};

} // namespace hs::ui
