#include "widgets/search_panel.h"

#include "document/model_document.h"

#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QShortcut>
#include <QTimer>
#include <QVBoxLayout>

namespace hs::ui {

static constexpr int kMaxResults = 500;

SearchPanel::SearchPanel(QWidget* parent) : QWidget(parent) {
    query_ = new QLineEdit(this);
    query_->setPlaceholderText(tr("Search nodes, op types, tensors, modules"));
    query_->setClearButtonEnabled(true);
    status_ = new QLabel(this);
    status_->setObjectName(QStringLiteral("searchStatus"));
    results_ = new QListWidget(this);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(query_);
    layout->addWidget(status_);
    layout->addWidget(results_);
    // F3 / Shift+F3 anywhere in the window, as in editors and browsers.
    auto* next = new QShortcut(QKeySequence::FindNext, this, this, &SearchPanel::findNext);
    auto* previous = new QShortcut(QKeySequence::FindPrevious, this, this, &SearchPanel::findPrevious);
    next->setContext(Qt::WindowShortcut);
    previous->setContext(Qt::WindowShortcut);
    // Debounce typing: searching a big model on every key press would stutter.
    auto* timer = new QTimer(this);
    timer->setSingleShot(true);
    timer->setInterval(150);
    connect(query_, &QLineEdit::textChanged, timer, qOverload<>(&QTimer::start));
    // The same query again (already searched by Enter or F3 before the delay ran out) keeps the results
    // and the match being looked at: searching again would drop the user back before the first match.
    connect(timer, &QTimer::timeout, this, [this] {
        if (query_->text().trimmed() != searched_) search(query_->text());
    });
    connect(query_, &QLineEdit::returnPressed, this, [this, timer] {
        timer->stop();
        search(query_->text());
        if (results_->count()) results_->setCurrentRow(0);
    });
    connect(results_, &QListWidget::currentItemChanged, this, [this](QListWidgetItem* item) {
        if (!item) return;
        emit entityActivated({static_cast<GraphEntity::Kind>(item->data(Qt::UserRole).toInt()),
                              item->data(Qt::UserRole + 1).toInt()});
    });
}

void SearchPanel::setDocument(const ModelDocument* doc) {
    doc_ = doc;
    // Another model: the old query means nothing there.
    const QSignalBlocker blocker(query_);
    query_->clear();
    search(QString());
}

void SearchPanel::findNext() {
    step(1);
}

void SearchPanel::findPrevious() {
    step(-1);
}

void SearchPanel::step(int by) {
    if (results_->count() == 0 && !query_->text().trimmed().isEmpty()) search(query_->text());
    const int count = results_->count();
    if (count == 0) return;
    const int row = results_->currentRow();
    results_->setCurrentRow(row < 0 ? (by > 0 ? 0 : count - 1) : (row + by + count) % count);
    status_->setText(
        tr("%1 of %2").arg(results_->currentRow() + 1).arg(status_->property("summary").toString()));
}

static void addResult(QListWidget* list, const QString& text, GraphEntity e) {
    auto* item = new QListWidgetItem(text, list);
    item->setData(Qt::UserRole, static_cast<int>(e.kind));
    item->setData(Qt::UserRole + 1, e.index);
}

void SearchPanel::search(const QString& text) {
    const QSignalBlocker blocker(results_);
    results_->clear();
    matchCount_ = 0;
    searched_ = doc_ ? text.trimmed() : QString();
    std::vector<GraphEntity> shown;
    if (!doc_ || text.trimmed().isEmpty()) {
        status_->clear();
        status_->setProperty("summary", QString());
        emit matchesChanged(shown);
        return;
    }
    const std::string needle = text.trimmed().toLower().toStdString();
    auto matches = [&](const std::string& hay) {
        if (hay.size() < needle.size()) return false;
        std::string lower(hay);
        for (char& ch : lower)
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        return lower.find(needle) != std::string::npos;
    };
    // Every match counts; the first kMaxResults are listed (and marked).
    auto found = [&](const QString& label, GraphEntity e) {
        if (++matchCount_ > kMaxResults) return;
        addResult(results_, label, e);
        shown.push_back(e);
    };
    const Hierarchy& h = doc_->hierarchy;
    for (std::size_t m = 1; m < h.modules.size(); ++m)
        if (matches(h.modules[m].scope) || matches(h.modules[m].className))
            found(tr("module  %1").arg(QString::fromStdString(h.modules[m].scope)),
                  {GraphEntity::Module, static_cast<int>(m)});
    const GraphIndex& g = *doc_->graph;
    for (std::size_t i = 0; i < g.size(); ++i) {
        const Node& n = g.node(static_cast<int>(i));
        QString why;
        if (matches(g.key(static_cast<int>(i))) || matches(n.name))
            why = tr("node");
        else if (matches(n.opType))
            why = tr("op");
        else
            for (const auto* names : {&n.inputs, &n.outputs})
                for (const std::string_view t : *names)
                    if (why.isEmpty() && matches(std::string(t)))
                        why = tr("tensor %1").arg(QString::fromUtf8(t.data(), static_cast<int>(t.size())));
        if (!why.isEmpty())
            found(QStringLiteral("%1  %2 (%3)")
                      .arg(why, QString::fromStdString(g.key(static_cast<int>(i))),
                           QString::fromStdString(n.opType)),
                  {GraphEntity::Node, static_cast<int>(i)});
    }
    QString summary = matchCount_ == 1 ? tr("1 match") : tr("%1 matches").arg(matchCount_);
    if (matchCount_ > kMaxResults) summary += tr(", the first %1 listed").arg(kMaxResults);
    status_->setProperty("summary", summary);
    status_->setText(matchCount_ == 0 ? tr("No results for \u201c%1\u201d").arg(text.trimmed()) : summary);
    emit matchesChanged(shown);
}

} // namespace hs::ui
