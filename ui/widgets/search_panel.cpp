#include "widgets/search_panel.h"

#include "document/model_document.h"

#include <QLineEdit>
#include <QListWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace hs::ui {

static constexpr int kMaxResults = 500;

SearchPanel::SearchPanel(QWidget* parent) : QWidget(parent) {
    query_ = new QLineEdit(this);
    query_->setPlaceholderText(tr("Search nodes, op types, tensors, modules"));
    query_->setClearButtonEnabled(true);
    results_ = new QListWidget(this);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(query_);
    layout->addWidget(results_);
    // Debounce typing: searching a big model on every key press would stutter.
    auto* timer = new QTimer(this);
    timer->setSingleShot(true);
    timer->setInterval(150);
    connect(query_, &QLineEdit::textChanged, timer, qOverload<>(&QTimer::start));
    connect(timer, &QTimer::timeout, this, [this] { search(query_->text()); });
    connect(query_, &QLineEdit::returnPressed, this, [this] {
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
    results_->clear();
}

static void addResult(QListWidget* list, const QString& text, GraphEntity e) {
    auto* item = new QListWidgetItem(text, list);
    item->setData(Qt::UserRole, static_cast<int>(e.kind));
    item->setData(Qt::UserRole + 1, e.index);
}

void SearchPanel::search(const QString& text) {
    const QSignalBlocker blocker(results_);
    results_->clear();
    if (!doc_ || text.trimmed().isEmpty()) return;
    const std::string needle = text.trimmed().toLower().toStdString();
    auto matches = [&](const std::string& hay) {
        if (hay.size() < needle.size()) return false;
        std::string lower(hay);
        for (char& ch : lower)
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        return lower.find(needle) != std::string::npos;
    };
    const Hierarchy& h = doc_->hierarchy;
    for (std::size_t m = 1; m < h.modules.size() && results_->count() < kMaxResults; ++m)
        if (matches(h.modules[m].scope) || matches(h.modules[m].className))
            addResult(results_, tr("module  %1").arg(QString::fromStdString(h.modules[m].scope)),
                      {GraphEntity::Module, static_cast<int>(m)});
    const GraphIndex& g = *doc_->graph;
    for (std::size_t i = 0; i < g.size() && results_->count() < kMaxResults; ++i) {
        const Node& n = g.node(static_cast<int>(i));
        QString why;
        if (matches(g.key(static_cast<int>(i))) || matches(n.name))
            why = tr("node");
        else if (matches(n.opType))
            why = tr("op");
        else
            for (const auto* names : {&n.inputs, &n.outputs})
                for (const std::string& t : *names)
                    if (why.isEmpty() && matches(t)) why = tr("tensor %1").arg(QString::fromStdString(t));
        if (!why.isEmpty())
            addResult(results_,
                      QStringLiteral("%1  %2 (%3)")
                          .arg(why, QString::fromStdString(g.key(static_cast<int>(i))),
                               QString::fromStdString(n.opType)),
                      {GraphEntity::Node, static_cast<int>(i)});
    }
}

} // namespace hs::ui
