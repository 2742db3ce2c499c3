#pragma once
// A centred grey sentence over an empty list, tree or graph that says why it is empty and what to do
// ("No model open. File > Open... (Ctrl+O)"), instead of a blank panel.
#include <QLabel>

class QAbstractScrollArea;

namespace hs::ui {

class EmptyHint : public QLabel {
    Q_OBJECT
public:
    // Covers the view's viewport (following its size); hidden until setHint(text).
    explicit EmptyHint(QAbstractScrollArea* view);
    void setHint(const QString& text); // empty = hidden

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;
};

} // namespace hs::ui
