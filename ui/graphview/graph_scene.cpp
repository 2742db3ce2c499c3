// GraphScene: expansion, the layout pass (deepest containers first, on the layout thread) and the scene
// items placed from its results; graph_scene_interior.cpp builds what each container shows.
#include "graphview/graph_scene.h"

#include "document/model_document.h"
#include "graphview/graph_items.h"
#include "graphview/graph_text.h"
#include "graphview/layout_service.h"

#include <QFontMetricsF>
#include <QGraphicsSceneMouseEvent>
#include <QGraphicsView>
#include <QGuiApplication>
#include <QPen>
#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

namespace hs::ui {

using namespace graph_metrics;
using namespace graph_text;

namespace {

std::pair<int, int> keyOf(GraphEntity e) {
    return {static_cast<int>(e.kind), e.index};
}

} // namespace

GraphScene::GraphScene(QObject* parent) : QGraphicsScene(parent), layouts_(new LayoutService(this)) {
    connect(layouts_, &LayoutService::finished, this, &GraphScene::onLayoutFinished);
    connect(this, &QGraphicsScene::selectionChanged, this, &GraphScene::emitSelection);
    setBackgroundBrush(Qt::white);
}

GraphScene::~GraphScene() {
    // Deleting selected items emits selectionChanged: nobody may hear it while the scene goes away.
    rebuilding_ = true;
    blockSignals(true);
    clear();
}

void GraphScene::setDocument(const ModelDocument* doc) {
    doc_ = doc;
    searchMatches_.clear(); // indices into the old model
    expanded_.clear();
    expandedSections_.clear();
    sections_.clear();
    sectionIds_.clear();
    splits_.clear();
    nodePosition_.clear();
    cache_.clear();
    built_.clear();
    pendingReveal_ = {};
    relayout();
}

void GraphScene::modulesChanged() {
    if (!doc_) return;
    const int count = static_cast<int>(doc_->hierarchy.modules.size());
    expanded_.erase(expanded_.lower_bound(count), expanded_.end());
    for (auto it = expandedSections_.begin(); it != expandedSections_.end();)
        it = sections_[static_cast<std::size_t>(*it)].module >= count ? expandedSections_.erase(it)
                                                                      : std::next(it);
    for (auto it = sectionIds_.begin(); it != sectionIds_.end();) // a removed module's sections
        it = std::get<0>(it->first) >= count ? sectionIds_.erase(it) : std::next(it);
    searchMatches_.erase(std::remove_if(searchMatches_.begin(), searchMatches_.end(),
                                        [count](const GraphEntity& e) {
                                            return e.kind == GraphEntity::Module && e.index >= count;
                                        }),
                         searchMatches_.end());
    if (pendingReveal_.kind == GraphEntity::Module && pendingReveal_.index >= count) pendingReveal_ = {};
    if (follow_.kind == GraphEntity::Module && follow_.index >= count) follow_ = {};
    invalidate();
}

void GraphScene::setExpanded(int module, bool expanded) {
    if (!doc_ || module <= 0 || isExpanded(module) == expanded) return;
    if (expanded)
        expanded_.insert(module);
    else
        expanded_.erase(module);
    follow_ = {GraphEntity::Module, module};
    emit expansionChanged(module, expanded);
    relayout();
}

void GraphScene::collapseAll() {
    if (!doc_) return;
    const std::set<int> modules = std::exchange(expanded_, {});
    expandedSections_.clear();
    pendingReveal_ = follow_ = {};
    for (int module : modules)
        emit expansionChanged(module, false);
    relayout();
}

bool GraphScene::isEntityExpanded(GraphEntity e) const {
    if (e.kind == GraphEntity::Module) return isExpanded(e.index);
    if (e.kind == GraphEntity::Section) return expandedSections_.count(e.index) > 0;
    return false;
}

void GraphScene::setEntityExpanded(GraphEntity e, bool expanded) {
    if (e.kind == GraphEntity::Module) return setExpanded(e.index, expanded);
    if (!doc_ || e.kind != GraphEntity::Section || isEntityExpanded(e) == expanded) return;
    if (expanded)
        expandedSections_.insert(e.index);
    else
        expandedSections_.erase(e.index);
    follow_ = e;
    relayout();
}

void GraphScene::reveal(GraphEntity entity, const std::vector<int>& alsoSelect) {
    if (!doc_ || entity.kind == GraphEntity::None) return;
    const Hierarchy& h = doc_->hierarchy;
    bool changed = false;
    // Open every section and module around it, innermost first.
    for (int c = containerOf(entity); c != 0;) {
        if (c < 0) {
            const int s = -1 - c;
            changed |= expandedSections_.insert(s).second;
            c = containerOf({GraphEntity::Section, s});
        } else {
            if (expanded_.insert(c).second) {
                changed = true;
                emit expansionChanged(c, true);
            }
            c = h.modules[static_cast<std::size_t>(c)].parent;
        }
    }
    pendingReveal_ = entity;
    pendingAlsoSelect_ = alsoSelect;
    if (changed || isLayingOut())
        relayout();
    else
        applyPendingReveal();
}

void GraphScene::invalidate() {
    // Module contents changed: sections are re-cut (ids of unchanged ranges are kept, so are expansions).
    splits_.clear();
    nodePosition_.clear();
    cache_.clear();
    built_.clear();
    relayout();
}

void GraphScene::setBusFanOut(std::size_t fanOut) {
    if (fanOut == busFanOut_) return;
    busFanOut_ = fanOut;
    cache_.clear();
    relayout();
}

void GraphScene::setHeat(std::vector<double> nodes, std::vector<double> modules) {
    heatNodes_ = std::move(nodes);
    heatModules_ = std::move(modules);
    for (QGraphicsItem* item : items())
        applyHeat(item);
}

void GraphScene::applyHeat(QGraphicsItem* item) const {
    auto heatOf = [](const std::vector<double>& heat, int i) {
        return i >= 0 && static_cast<std::size_t>(i) < heat.size() ? heat[static_cast<std::size_t>(i)] : -1.0;
    };
    if (item->type() == NodeKind) {
        auto* node = static_cast<NodeItem*>(item);
        node->setHeat(heatOf(heatNodes_, node->node()));
    } else if (item->type() == ModuleBoxKind) {
        auto* box = static_cast<ModuleBoxItem*>(item);
        const GraphEntity e = box->entity();
        box->setHeat(e.kind == GraphEntity::Module ? heatOf(heatModules_, e.index) : -1.0);
    } else if (item->type() == ModuleFrameKind) { // an expanded module: its header
        auto* frame = static_cast<ModuleFrameItem*>(item);
        const GraphEntity e = frame->entity();
        frame->setHeat(e.kind == GraphEntity::Module ? heatOf(heatModules_, e.index) : -1.0);
    }
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

void GraphScene::setSearchMatches(std::vector<GraphEntity> matches) {
    searchMatches_ = std::move(matches);
    for (QGraphicsItem* mark : searchMarks_) {
        removeItem(mark);
        delete mark;
    }
    searchMarks_.clear();
    drawSearchMarks();
}

QGraphicsItem* GraphScene::shownItemOf(GraphEntity entity) const {
    if (QGraphicsItem* item = itemFor(entity)) return item;
    if (!doc_ || (entity.kind != GraphEntity::Node && entity.kind != GraphEntity::Module)) return nullptr;
    const Hierarchy& h = doc_->hierarchy;
    int module = entity.kind == GraphEntity::Node
                     ? h.assignments[static_cast<std::size_t>(entity.index)].module
                     : h.modules[static_cast<std::size_t>(entity.index)].parent;
    // The outermost collapsed module on the way up is the box the user sees.
    QGraphicsItem* shown = nullptr;
    for (; module > 0; module = h.modules[static_cast<std::size_t>(module)].parent)
        if (!isExpanded(module))
            if (QGraphicsItem* item = itemFor({GraphEntity::Module, module})) shown = item;
    return shown;
}

// Outlines above everything, letting clicks through to the item below.
void GraphScene::drawSearchMarks() {
    constexpr std::size_t kMaxMarks = 2000;
    std::set<QGraphicsItem*> marked;
    const QPen pen(QColor(0xff, 0x8f, 0x00), 3);
    for (const GraphEntity& e : searchMatches_) {
        QGraphicsItem* item = shownItemOf(e);
        if (!item || !marked.insert(item).second) continue;
        auto* mark = addRect(item->sceneBoundingRect().adjusted(-4, -4, 4, 4), pen);
        mark->setZValue(1000);
        mark->setAcceptedMouseButtons(Qt::NoButton);
        mark->setData(0, QStringLiteral("searchMark"));
        searchMarks_.push_back(mark);
        if (searchMarks_.size() >= kMaxMarks) break;
    }
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
    // Pre-order over visible expanded modules and sections, then reversed: children before parents.
    std::vector<int> stack{0};
    while (!stack.empty()) {
        const int c = stack.back();
        stack.pop_back();
        queue_.push_back(c);
        for (int s : sectionsIn(c))
            if (expandedSections_.count(s)) stack.push_back(sectionContainer(s));
        if (c >= 0)
            for (int child : h.modules[static_cast<std::size_t>(c)].children)
                if (expanded_.count(child)) stack.push_back(child);
    }
    std::reverse(queue_.begin(), queue_.end());
    layoutNext();
}

void GraphScene::layoutNext() {
    while (!queue_.empty()) {
        const int module = queue_.front();
        Interior interior = interiorOf(module);
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
        request.busFanOut = busFanOut_;
        layouts_->request(request);
        return; // resumes in onLayoutFinished
    }
    rebuildItems();
    applyPendingReveal();
    if (QGraphicsItem* followed = itemFor(std::exchange(follow_, {})))
        emit focusRequested(followed->sceneBoundingRect());
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
    // What the user selected stays selected in the new items (an expanded box becomes a selected frame).
    std::vector<GraphEntity> selected;
    for (QGraphicsItem* item : selectedItems())
        selected.push_back(entityAt(item));
    clearSelection();
    clear();
    searchMarks_.clear(); // deleted by clear()
    items_.clear();
    containers_.clear();
    edgeLabels_.clear();
    drawnEdges_.clear();
    drawnTrunks_.clear();
    labelCells_.clear();
    if (doc_ && current_.count(0)) place(0, QPointF(0, 0));
    for (const GraphEntity& e : selected)
        if (QGraphicsItem* item = itemFor(e)) item->setSelected(true);
    setSceneRect(itemsBoundingRect().adjusted(-40, -40, 40, 40));
    setDimConfident(dimConfident_);
    applySemanticZoom();
    drawSearchMarks();
    rebuilding_ = false;
}

void GraphScene::setViewScale(qreal scale) {
    if (qFuzzyCompare(scale, viewScale_)) return;
    viewScale_ = scale;
    applySemanticZoom();
}

bool GraphScene::containerShown(int container, std::map<int, bool>& memo) const {
    constexpr qreal minimumOnScreen = 24; // pixels: below this a module's insides are unreadable specks
    auto known = memo.find(container);
    if (known != memo.end()) return known->second;
    auto it = containers_.find(container);
    bool shown = true;
    if (it != containers_.end() && it->second.frame) {
        const QRectF r = it->second.frame->boundingRect();
        shown = std::min(r.width(), r.height()) * viewScale_ >= minimumOnScreen &&
                containerShown(it->second.parent, memo);
    }
    memo[container] = shown;
    return shown;
}

void GraphScene::applySemanticZoom() {
    std::map<int, bool> memo;
    for (auto& [container, entry] : containers_) {
        const bool shown = containerShown(container, memo);
        if (shown == entry.shown) continue;
        entry.shown = shown;
        for (QGraphicsItem* item : entry.items)
            item->setVisible(shown);
    }
}

void GraphScene::place(int container, QPointF origin) {
    const Hierarchy& h = doc_->hierarchy;
    const GraphIndex& g = *doc_->graph;
    const LayoutResult& layout = current_.at(container);
    const Interior& in = interiors_.at(container);
    if (layout.centers.size() != in.entities.size()) return; // layout failed
    for (std::size_t i = 0; i < in.entities.size(); ++i) {
        const GraphEntity e = in.entities[i];
        const QSizeF size = in.sizes[i];
        const QRectF rect(origin + layout.centers[i] - QPointF(size.width() / 2, size.height() / 2), size);
        QGraphicsItem* item = nullptr;
        if (e.kind == GraphEntity::Node) {
            const Node& n = g.node(e.index);
            const Assignment& a = h.assignments[static_cast<std::size_t>(e.index)];
            const QString tip = QStringLiteral("%1\n%2 · %3\n%4")
                                    .arg(qs(g.key(e.index)), qs(n.opType), confidenceLabel(confidenceOf(a)),
                                         qs(h.explain(g, e.index)));
            QString name =
                isSmallNode(g, e.index) ? smallNodeText(*doc_->model, g, e.index) : shortNodeName(g, e.index);
            if (name == qs(n.opType)) name.clear(); // "Shape / Shape" says nothing twice
            item = new NodeItem(e.index, rect, qs(n.opType), name, confidenceOf(a), tip);
        } else if (e.kind == GraphEntity::InPort || e.kind == GraphEntity::OutPort) {
            const bool input = e.kind == GraphEntity::InPort;
            const TensorEntry& t = g.tensor(e.index);
            QString from = t.producer >= 0 ? qs(g.key(t.producer)) : tr("a model input");
            QString tip = input ? tr("comes into this module: %1\nfrom %2").arg(qs(t.name), from)
                                : tr("leaves this module: %1").arg(qs(t.name));
            item = new TerminalItem(e, rect, terminalName(t.name), input, tip);
        } else if (e.kind == GraphEntity::Input || e.kind == GraphEntity::Output) {
            const bool input = e.kind == GraphEntity::Input;
            const ValueInfo& v = (input ? doc_->model->main().inputs
                                        : doc_->model->main().outputs)[static_cast<std::size_t>(e.index)];
            const QString tip =
                QStringLiteral("%1 %2\n%3")
                    .arg(input ? tr("model input") : tr("model output"), qs(v.name), qs(formatType(v.type)));
            item = new TerminalItem(e, rect, terminalName(v.name), input, tip);
        } else if (e.kind == GraphEntity::Section) {
            const Section& sec = section(e.index);
            const QString tip =
                tr("%1 of %2\nops %3 to %4 of its %5 direct ops, in graph order")
                    .arg(sectionTitle(e.index),
                         sec.module == 0 ? tr("the root")
                                         : qs(h.modules[static_cast<std::size_t>(sec.module)].scope))
                    .arg(sec.begin + 1)
                    .arg(sec.end)
                    .arg(h.modules[static_cast<std::size_t>(sec.module)].nodes.size());
            if (isEntityExpanded(e)) {
                item = new ModuleFrameItem(e, rect, sectionTitle(e.index), 1, false, tip);
                containers_[sectionContainer(e.index)].frame = item;
                containers_[sectionContainer(e.index)].parent = container;
                place(sectionContainer(e.index),
                      rect.topLeft() + QPointF(framePadding, frameHeader + framePadding));
            } else {
                bool uncertain = false;
                const Confidence lowest = sectionLowest(e.index, &uncertain);
                item = new ModuleBoxItem(e, rect, sectionTitle(e.index), sectionSubtitle(e.index), lowest,
                                         uncertain, tip);
            }
        } else {
            const Module& m = h.modules[static_cast<std::size_t>(e.index)];
            const QString tip =
                QStringLiteral("%1\nscope: %2\n%3").arg(qs(m.path), qs(m.scope), moduleSubtitle(m, h, g));
            if (isExpanded(e.index)) {
                item = new ModuleFrameItem(e, rect, frameTitle(m), m.depth, m.uncertainNodes > 0, tip);
                containers_[e.index].frame = item;
                containers_[e.index].parent = container;
                place(e.index, rect.topLeft() + QPointF(framePadding, frameHeader + framePadding));
            } else {
                item = new ModuleBoxItem(e, rect, moduleTitle(m), moduleSubtitle(m, h, g),
                                         confidenceOf(m.lowestLevel), m.uncertainNodes > 0, tip);
            }
        }
        applyHeat(item);
        item->setData(0, container);                              // the container the item is drawn in
        if (item->type() != ModuleFrameKind) takeLabelSpot(rect); // edge labels are not drawn over boxes
        addItem(item);
        items_[keyOf(e)] = item;
        containers_[container].items.push_back(item);
    }
    placeTrunks(container, origin);
    std::set<std::pair<int, QString>> busLabels;
    for (std::size_t k = 0; k < in.edges.size() && k < layout.routes.size(); ++k) {
        const QString& label = in.edgeLabels[k];
        // Edges on one bus share its trunk, drawn once: each edge is drawn from where it leaves it, and a
        // shape is written once per bus, repeats go to tooltips.
        const int bus = k < layout.bus.size() ? layout.bus[k] : -1;
        const bool repeat = bus >= 0 && !busLabels.insert({bus, label}).second;
        const std::vector<QPointF>& route = layout.routes[k];
        const std::size_t from = k < layout.ownFrom.size() ? std::min(layout.ownFrom[k], route.size()) : 0;
        auto* edge = new EdgeItem(
            from == 0 ? route : std::vector<QPointF>(route.begin() + static_cast<long>(from), route.end()),
            layout.arrowTips[k], origin, repeat ? QString() : label);
        if (repeat) edge->setToolTip(label);
        edge->setData(0, container);
        edge->placeLabel([&](const QRectF& r) { return labelSpotTaken(r); });
        addItem(edge);
        containers_[container].items.push_back(edge);
        drawnEdges_.push_back({in.entities[static_cast<std::size_t>(in.edges[k].first)],
                               in.entities[static_cast<std::size_t>(in.edges[k].second)]});
        if (!edge->label().isEmpty()) {
            takeLabelSpot(edge->labelRect());
            edgeLabels_ << label;
        }
    }
}

void GraphScene::placeTrunks(int container, QPointF origin) {
    const LayoutResult& layout = current_.at(container);
    const Interior& in = interiors_.at(container);
    std::vector<int> source(layout.trunks.size(), -1), riders(layout.trunks.size(), 0);
    std::vector<QString> shape(layout.trunks.size());
    for (std::size_t k = 0; k < layout.bus.size() && k < in.edges.size(); ++k)
        if (const int b = layout.bus[k]; b >= 0 && static_cast<std::size_t>(b) < source.size()) {
            source[static_cast<std::size_t>(b)] = in.edges[k].first;
            ++riders[static_cast<std::size_t>(b)];
            if (shape[static_cast<std::size_t>(b)].isEmpty())
                shape[static_cast<std::size_t>(b)] = in.edgeLabels[k];
        }
    for (std::size_t b = 0; b < layout.trunks.size(); ++b) {
        if (source[b] < 0) continue;
        QString tip = tr("%n edges share this line", nullptr, riders[b]);
        if (!shape[b].isEmpty()) tip += QStringLiteral(" · ") + shape[b];
        auto* trunk = new BusTrunkItem(layout.trunks[b], origin, tip);
        trunk->setData(0, container);
        addItem(trunk);
        containers_[container].items.push_back(trunk);
        drawnTrunks_.push_back(in.entities[static_cast<std::size_t>(source[b])]);
    }
}

// Labels are small: a grid of cells a few labels wide finds the ones near a spot without a scan of all.
static constexpr qreal kLabelCell = 160;

template <typename Visit> static void forCells(const QRectF& r, Visit visit) {
    for (auto x = static_cast<qint64>(std::floor(r.left() / kLabelCell));
         x <= static_cast<qint64>(std::floor(r.right() / kLabelCell)); ++x)
        for (auto y = static_cast<qint64>(std::floor(r.top() / kLabelCell));
             y <= static_cast<qint64>(std::floor(r.bottom() / kLabelCell)); ++y)
            visit((static_cast<quint64>(x) << 32) ^ static_cast<quint32>(y));
}

bool GraphScene::labelSpotTaken(const QRectF& rect) const {
    bool taken = false;
    forCells(rect, [&](quint64 cell) {
        const auto it = labelCells_.constFind(cell);
        if (it != labelCells_.constEnd())
            for (const QRectF& other : *it)
                taken = taken || other.intersects(rect);
    });
    return taken;
}

void GraphScene::takeLabelSpot(const QRectF& rect) {
    forCells(rect, [&](quint64 cell) { labelCells_[cell].push_back(rect); });
}

std::vector<GraphEntity> GraphScene::visibleChildren(int module) const {
    std::vector<GraphEntity> result;
    for (const auto& [key, item] : items_)
        if (item->data(0).toInt() == module &&
            (key.first == GraphEntity::Node || key.first == GraphEntity::Module ||
             key.first == GraphEntity::Section))
            result.push_back({static_cast<GraphEntity::Kind>(key.first), key.second});
    return result;
}

std::vector<GraphEntity> GraphScene::visibleInSection(int s) const {
    return visibleChildren(sectionContainer(s));
}

QStringList GraphScene::edgeLabels() const {
    return edgeLabels_;
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
        return static_cast<const ModuleBoxItem*>(item)->entity();
    case ModuleFrameKind:
        return static_cast<const ModuleFrameItem*>(item)->entity();
    case TerminalKind:
        return static_cast<const TerminalItem*>(item)->entity();
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
    for (int node : std::exchange(pendingAlsoSelect_, {}))
        if (QGraphicsItem* other = itemFor({GraphEntity::Node, node})) other->setSelected(true);
    rebuilding_ = false;
    follow_ = {}; // the revealed entity is what the user asked to see
    emit focusRequested(item->sceneBoundingRect());
}

void GraphScene::emitSelection() {
    if (rebuilding_) return;
    const GraphEntity e = selectedEntity();
    if (e.kind != GraphEntity::None) emit entityActivated(e);
}

void GraphScene::mouseDoubleClickEvent(QGraphicsSceneMouseEvent* event) {
    const GraphEntity e = entityAt(itemAt(event->scenePos(), QTransform()));
    if (e.kind == GraphEntity::Module || e.kind == GraphEntity::Section) {
        setEntityExpanded(e, !isEntityExpanded(e));
        event->accept();
        return;
    }
    QGraphicsScene::mouseDoubleClickEvent(event);
}

} // namespace hs::ui
