#include "widgets/empty_hint.h"

#include <QAbstractScrollArea>
#include <QEvent>

namespace hs::ui {

EmptyHint::EmptyHint(QAbstractScrollArea* view) : QLabel(view->viewport()) {
    setObjectName(QStringLiteral("emptyHint"));
    setAlignment(Qt::AlignCenter);
    setWordWrap(true);
    setTextFormat(Qt::PlainText);
    setMargin(16);
    setStyleSheet(QStringLiteral("QLabel { color: #64748b; background: transparent; }"));
    setAttribute(Qt::WA_TransparentForMouseEvents); // drops and clicks still reach the view
    view->viewport()->installEventFilter(this);
    hide();
}

void EmptyHint::setHint(const QString& text) {
    setText(text);
    setGeometry(parentWidget()->rect());
    setVisible(!text.isEmpty());
}

bool EmptyHint::eventFilter(QObject* watched, QEvent* event) {
    if (watched == parentWidget() && event->type() == QEvent::Resize) setGeometry(parentWidget()->rect());
    return QLabel::eventFilter(watched, event);
}

} // namespace hs::ui
