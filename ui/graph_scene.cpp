#include "graph_scene.h"

#include "graph_items.h"
#include "layout_service.h"
#include "model_document.h"

#include <QFontMetricsF>
#include <QGraphicsSceneMouseEvent>
#include <QGraphicsView>
#include <QGuiApplication>
#include <algorithm>

namespace hs::ui {

using namespace graph_metrics;

namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

// The last segment of a node name ("/encoder/layer.0/attention/self/MatMul_1" -> "MatMul_1").
QString shortNodeName(const GraphIndex& graph, int node) {
    QString name = qs(graph.node(node).name);
    if (name.isEmpty()) name = qs(graph.key(node));
    const int slash = name.lastIndexOf(QLatin1Char('/'));
    if (slash >= 0 && slash + 1 < name.size()) name = name.mid(slash + 1);
    return name.size() > 28 ? name.left(26) + QStringLiteral("…") : name;
}

QString moduleTitle(const Module& m) {
    return m.name.empty() ? QStringLiteral("(root)") : qs(m.name);
}

QString moduleSubtitle(const Module& m) {
    const QString count = QStringLiteral("%1 nodes").arg(m.totalNodes);
    return m.className.empty() ? count : qs(m.className) + QStringLiteral(" · ") + count;
}

std::pair<int, int> keyOf(GraphEntity e) {
    return {static_cast<int>(e.kind), e.index};
}

} // namespace

GraphScene::GraphScene(QObject* parent) : QGraphicsScene(parent), layouts_(new LayoutService(this)) {
    connect(layouts_, &LayoutService::finished, this, &GraphScene::onLayoutFinished);
    connect(this, &QGraphicsScene::selectionChanged, this, &GraphScene::emitSelection);
    setBackgroundBrush(Qt::white);
}

void GraphScene::setDocument(const ModelDocument* doc) {
    doc_ = doc;
    expanded_.clear();
    cache_.clear();
    pendingReveal_ = {};
    relayout();
}

void GraphScene::setExpanded(int module, bool expanded) {
    if (!doc_ || module <= 0 || isExpanded(module) == expanded) return;
    if (expanded)
        expanded_.insert(module);
    else
        expanded_.erase(module);
    emit expansionChanged(module, expanded);
    relayout();
}

void GraphScene::reveal(GraphEntity entity) {
    if (!doc_ || entity.kind == GraphEntity::None) return;
    const Hierarchy& h = doc_->hierarchy;
    // A node is visible when its module is expanded; a module when its parent is.
    int m = entity.kind == GraphEntity::Node ? h.assignments[static_cast<std::size_t>(entity.index)].module
                                             : h.modules[static_cast<std::size_t>(entity.index)].parent;
    bool changed = false;
    for (; m > 0; m = h.modules[static_cast<std::size_t>(m)].parent)
        if (expanded_.insert(m).second) {
            changed = true;
            emit expansionChanged(m, true);
        }
    pendingReveal_ = entity;
    if (changed || isLayingOut())
        relayout();
    else
        applyPendingReveal();
}

void GraphScene::invalidate() {
    cache_.clear();
    relayout();
}

void GraphScene::setDimConfident(bool dim) {
    dimConfident_ = dim;
    for (QGraphicsItem* item : items())
        if (item->type() == NodeKind) {
            const Confidence c = static_cast<NodeItem*>(item)->confidence();
            const bool confident = c == Confidence::Certain || c == Confidence::High;
            item->setOpacity(dim && confident ? 0.18 : 1.0);
        }
}

// ---- Building one module's interior

QSizeF GraphScene::entitySize(GraphEntity entity) const {
    const QFont font = QGuiApplication::font();
    QFont bold = font;
    bold.setBold(true);
    const QFontMetricsF plain(font), strong(bold);
    const Hierarchy& h = doc_->hierarchy;
    if (entity.kind == GraphEntity::Node) {
        const Node& n = doc_->graph->node(entity.index);
        const qreal w = std::max(strong.horizontalAdvance(qs(n.opType)),
                                 0.85 * plain.horizontalAdvance(shortNodeName(*doc_->graph, entity.index)));
        return {std::max<qreal>(70, w + 20), nodeHeight};
    }
    const Module& m = h.modules[static_cast<std::size_t>(entity.index)];
    if (isExpanded(entity.index)) {
        const auto it = current_.find(entity.index);
        const QSizeF inner = it != current_.end() ? it->second.size : QSizeF(60, 20);
        const qreal titleWidth = strong.horizontalAdvance(moduleTitle(m)) + handleSize + 24;
        return {std::max(inner.width() + 2 * framePadding, titleWidth),
                inner.height() + frameHeader + 2 * framePadding};
    }
    const qreal w =
        std::max(strong.horizontalAdvance(moduleTitle(m)), 0.85 * plain.horizontalAdvance(moduleSubtitle(m)));
    return {std::max<qreal>(90, w + handleSize + 30), boxHeight};
}

int GraphScene::itemIndexIn(int module, int node, const Interior& interior,
                            const QHash<int, int>& moduleRow) const {
    const Hierarchy& h = doc_->hierarchy;
    int m = h.assignments[static_cast<std::size_t>(node)].module;
    if (m == module) return -2; // the caller maps direct nodes itself
    // Lift to the child of `module` that contains it, if any.
    while (m > 0 && h.modules[static_cast<std::size_t>(m)].parent != module)
        m = h.modules[static_cast<std::size_t>(m)].parent;
    if (m <= 0) return -1;
    (void)interior;
    return moduleRow.value(m, -1);
}

GraphScene::Interior GraphScene::buildInterior(int module) const {
    const Hierarchy& h = doc_->hierarchy;
    const GraphIndex& g = *doc_->graph;
    const Module& m = h.modules[static_cast<std::size_t>(module)];
    Interior in;
    QHash<int, int> moduleRow, nodeRow;
    // Ops first, in graph order, then child modules in order of appearance (the core's order).
    for (int node : m.nodes) {
        nodeRow.insert(node, static_cast<int>(in.entities.size()));
        in.entities.push_back({GraphEntity::Node, node});
    }
    for (int child : m.children) {
        moduleRow.insert(child, static_cast<int>(in.entities.size()));
        in.entities.push_back({GraphEntity::Module, child});
    }
    for (const GraphEntity& e : in.entities)
        in.sizes.push_back(entitySize(e));

    auto rowOf = [&](int node) {
        const int r = itemIndexIn(module, node, in, moduleRow);
        return r == -2 ? nodeRow.value(node, -1) : r;
    };
    // Edges from every node of the subtree, lifted to the visible children; one edge per pair.
    std::set<std::pair<int, int>> seen;
    std::vector<int> stack{module};
    while (!stack.empty()) {
        const Module& sm = h.modules[static_cast<std::size_t>(stack.back())];
        stack.pop_back();
        stack.insert(stack.end(), sm.children.begin(), sm.children.end());
        for (int node : sm.nodes) {
            const int from = rowOf(node);
            if (from < 0) continue;
            for (int consumer : g.consumersOf(node)) {
                const int to = rowOf(consumer);
                if (to >= 0 && to != from && seen.insert({from, to}).second) in.edges.push_back({from, to});
            }
        }
    }
    return in;
}

QString GraphScene::cacheKey(const Interior& interior, int module) const {
    // The interior's shape depends only on the module's contents (fixed until invalidate) and the
    // sizes of its children, which change when descendants expand or collapse.
    QString key = QString::number(module);
    for (std::size_t i = 0; i < interior.entities.size(); ++i)
        if (interior.entities[i].kind == GraphEntity::Module)
            key += QStringLiteral(";%1:%2x%3")
                       .arg(interior.entities[i].index)
                       .arg(interior.sizes[i].width(), 0, 'f', 1)
                       .arg(interior.sizes[i].height(), 0, 'f', 1);
    return key;
}

// ---- Layout pass: deepest expanded modules first, each waits for its children's sizes

void GraphScene::relayout() {
    ++generation_;
    queue_.clear();
    current_.clear();
    interiors_.clear();
    if (!doc_) {
        rebuildItems();
        return;
    }
    const Hierarchy& h = doc_->hierarchy;
    // Pre-order over visible expanded modules, then reversed: children before parents.
    std::vector<int> stack{0};
    while (!stack.empty()) {
        const int m = stack.back();
        stack.pop_back();
        queue_.push_back(m);
        for (int child : h.modules[static_cast<std::size_t>(m)].children)
            if (expanded_.count(child)) stack.push_back(child);
    }
    std::reverse(queue_.begin(), queue_.end());
    layoutNext();
}

void GraphScene::layoutNext() {
    while (!queue_.empty()) {
        const int module = queue_.front();
        Interior interior = buildInterior(module);
        const QString key = cacheKey(interior, module);
        interiors_[module] = std::move(interior);
        if (auto it = cache_.constFind(key); it != cache_.constEnd()) {
            current_[module] = *it;
            queue_.erase(queue_.begin());
            continue;
        }
        LayoutRequest request;
        request.ticket = generation_;
        request.module = module;
        request.cacheKey = key;
        request.items = interiors_[module].sizes;
        request.edges = interiors_[module].edges;
        layouts_->request(request);
        return; // resumes in onLayoutFinished
    }
    rebuildItems();
    applyPendingReveal();
    emit layoutFinished();
}

void GraphScene::onLayoutFinished(const LayoutResult& result) {
    if (result.error.isEmpty()) cache_.insert(result.cacheKey, result);
    if (result.ticket != generation_ || queue_.empty() || queue_.front() != result.module) return; // stale
    if (!result.error.isEmpty()) emit layoutFailed(result.error);
    current_[result.module] = result;
    queue_.erase(queue_.begin());
    layoutNext();
}

// ---- Scene items

void GraphScene::rebuildItems() {
    rebuilding_ = true;
    clearSelection();
    clear();
    items_.clear();
    if (doc_ && current_.count(0)) place(0, QPointF(0, 0), nullptr);
    setSceneRect(itemsBoundingRect().adjusted(-40, -40, 40, 40));
    setDimConfident(dimConfident_);
    rebuilding_ = false;
}

void GraphScene::place(int module, QPointF origin, QGraphicsItem* frame) {
    (void)frame;
    const Hierarchy& h = doc_->hierarchy;
    const GraphIndex& g = *doc_->graph;
    const LayoutResult& layout = current_.at(module);
    const Interior& in = interiors_.at(module);
    if (layout.centers.size() != in.entities.size()) return; // layout failed
    for (std::size_t i = 0; i < in.entities.size(); ++i) {
        const GraphEntity e = in.entities[i];
        const QSizeF size = in.sizes[i];
        const QRectF rect(origin + layout.centers[i] - QPointF(size.width() / 2, size.height() / 2), size);
        QGraphicsItem* item = nullptr;
        if (e.kind == GraphEntity::Node) {
            const Node& n = g.node(e.index);
            const Assignment& a = h.assignments[static_cast<std::size_t>(e.index)];
            const QString tip =
                QStringLiteral("%1\n%2 · %3\n%4")
                    .arg(qs(g.key(e.index)), qs(n.opType), confidenceLabel(confidenceOf(a)), qs(a.evidence));
            item = new NodeItem(e.index, rect, qs(n.opType), shortNodeName(g, e.index), confidenceOf(a), tip);
        } else {
            const Module& m = h.modules[static_cast<std::size_t>(e.index)];
            const QString tip =
                QStringLiteral("%1\nscope: %2\n%3").arg(qs(m.path), qs(m.scope), moduleSubtitle(m));
            if (isExpanded(e.index)) {
                QString title = moduleTitle(m);
                if (!m.className.empty()) title += QStringLiteral("  (%1)").arg(qs(m.className));
                item = new ModuleFrameItem(e.index, rect, title, m.depth, m.uncertainNodes > 0, tip);
                place(e.index, rect.topLeft() + QPointF(framePadding, frameHeader + framePadding), item);
            } else {
                item = new ModuleBoxItem(e.index, rect, moduleTitle(m), moduleSubtitle(m),
                                         confidenceOf(m.lowestLevel), m.uncertainNodes > 0, tip);
            }
        }
        item->setData(0, module); // the module the item is drawn in
        addItem(item);
        items_[keyOf(e)] = item;
    }
    for (std::size_t k = 0; k < in.edges.size() && k < layout.routes.size(); ++k)
        addItem(new EdgeItem(layout.routes[k], layout.arrowTips[k], origin));
}

std::vector<GraphEntity> GraphScene::visibleChildren(int module) const {
    std::vector<GraphEntity> result;
    for (const auto& [key, item] : items_)
        if (item->data(0).toInt() == module)
            result.push_back({static_cast<GraphEntity::Kind>(key.first), key.second});
    return result;
}

QGraphicsItem* GraphScene::itemFor(GraphEntity entity) const {
    const auto it = items_.find(keyOf(entity));
    return it == items_.end() ? nullptr : it->second;
}

GraphEntity GraphScene::entityAt(const QGraphicsItem* item) const {
    if (!item) return {};
    switch (item->type()) {
    case NodeKind:
        return {GraphEntity::Node, static_cast<const NodeItem*>(item)->node()};
    case ModuleBoxKind:
        return {GraphEntity::Module, static_cast<const ModuleBoxItem*>(item)->module()};
    case ModuleFrameKind:
        return {GraphEntity::Module, static_cast<const ModuleFrameItem*>(item)->module()};
    }
    return {};
}

GraphEntity GraphScene::selectedEntity() const {
    const QList<QGraphicsItem*> selected = selectedItems();
    return selected.size() == 1 ? entityAt(selected.first()) : GraphEntity{};
}

std::vector<int> GraphScene::selectedNodes() const {
    std::vector<int> nodes;
    for (QGraphicsItem* item : selectedItems())
        if (item->type() == NodeKind) nodes.push_back(static_cast<NodeItem*>(item)->node());
    std::sort(nodes.begin(), nodes.end());
    return nodes;
}

void GraphScene::applyPendingReveal() {
    if (pendingReveal_.kind == GraphEntity::None) return;
    QGraphicsItem* item = itemFor(pendingReveal_);
    pendingReveal_ = {};
    if (!item) return;
    rebuilding_ = true; // a programmatic selection is not a user activation
    clearSelection();
    item->setSelected(true);
    rebuilding_ = false;
    for (QGraphicsView* view : views())
        view->ensureVisible(item, 40, 40);
}

void GraphScene::emitSelection() {
    if (rebuilding_) return;
    const GraphEntity e = selectedEntity();
    if (e.kind != GraphEntity::None) emit entityActivated(e);
}

void GraphScene::mouseDoubleClickEvent(QGraphicsSceneMouseEvent* event) {
    const GraphEntity e = entityAt(itemAt(event->scenePos(), QTransform()));
    if (e.kind == GraphEntity::Module) {
        setExpanded(e.index, !isExpanded(e.index));
        event->accept();
        return;
    }
    QGraphicsScene::mouseDoubleClickEvent(event);
}

} // namespace hs::ui
