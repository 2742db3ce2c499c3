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
    const QString count =
        m.totalNodes == 1 ? QStringLiteral("1 node") : QStringLiteral("%1 nodes").arg(m.totalNodes);
    return m.className.empty() ? count : qs(m.className) + QStringLiteral(" · ") + count;
}

// A model input or output by its tensor name, shortened like node names.
QString terminalName(const std::string& name) {
    QString text = qs(name);
    return text.size() > 32 ? text.left(30) + QStringLiteral("…") : text;
}

// "[batch, 128, 32]" for a float tensor, "int64 [2]" otherwise; empty when no shape is declared.
QString tensorShapeLabel(const GraphIndex& g, int tensor) {
    if (tensor < 0) return {};
    const TensorEntry& t = g.tensor(tensor);
    TensorType type;
    if (t.info)
        type = t.info->type;
    else if (t.init) {
        type.elemType = t.init->dataType;
        type.hasShape = true;
        for (std::int64_t d : t.init->dims)
            type.dims.push_back({d, {}});
    }
    if (!type.hasShape) return {};
    QStringList dims;
    for (const Dim& d : type.dims)
        dims << (d.value >= 0       ? QString::number(d.value)
                 : !d.param.empty() ? qs(d.param)
                                    : QStringLiteral("?"));
    QString text = QStringLiteral("[%1]").arg(dims.join(QStringLiteral(", ")));
    if (type.elemType != 1 && type.elemType != 0)
        text = QString::fromLatin1(dataTypeName(type.elemType)) + QLatin1Char(' ') + text;
    return text.size() > 40 ? text.left(38) + QStringLiteral("…") : text;
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

GraphScene::~GraphScene() {
    // Deleting selected items emits selectionChanged: nobody may hear it while the scene goes away.
    rebuilding_ = true;
    blockSignals(true);
    clear();
}

void GraphScene::setDocument(const ModelDocument* doc) {
    doc_ = doc;
    expanded_.clear();
    expandedSections_.clear();
    sections_.clear();
    sectionIds_.clear();
    splits_.clear();
    nodePosition_.clear();
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
    relayout();
}

// ---- Sections of modules with very many ops

const std::vector<int>& GraphScene::splitRange(int module, int begin, int end, int parent) const {
    const int container = parent < 0 ? module : sectionContainer(parent);
    if (auto it = splits_.find(container); it != splits_.end()) return it->second;
    std::vector<int>& ids = splits_[container];
    const int count = end - begin;
    // Consecutive ops in graph order; at most ~100 sections per level, nested when that is not enough.
    const int size = std::max(100, (count + 99) / 100);
    int number = 0;
    for (int b = begin; b < end; b += size) {
        const int e = std::min(end, b + size);
        const auto key = std::make_tuple(module, b, e);
        auto [it, added] = sectionIds_.try_emplace(key, static_cast<int>(sections_.size()));
        if (added) sections_.push_back({module, b, e, parent, 0});
        sections_[static_cast<std::size_t>(it->second)].parent = parent;
        sections_[static_cast<std::size_t>(it->second)].number = ++number;
        ids.push_back(it->second);
    }
    const auto& nodes = doc_->hierarchy.modules[static_cast<std::size_t>(module)].nodes;
    for (int i = begin; i < end; ++i)
        nodePosition_.insert(nodes[static_cast<std::size_t>(i)], i);
    return ids;
}

const std::vector<int>& GraphScene::sectionsIn(int container) const {
    static const std::vector<int> none;
    if (!doc_) return none;
    if (container >= 0) {
        const Module& m = doc_->hierarchy.modules[static_cast<std::size_t>(container)];
        if (m.nodes.size() + m.children.size() <= static_cast<std::size_t>(kSectionThreshold)) return none;
        return splitRange(container, 0, static_cast<int>(m.nodes.size()), -1);
    }
    const int s = -1 - container;
    const Section sec = section(s);
    if (sec.end - sec.begin <= kSectionThreshold) return none;
    return splitRange(sec.module, sec.begin, sec.end, s);
}

int GraphScene::positionInModule(int node) const {
    return nodePosition_.value(node, -1);
}

int GraphScene::sectionOfNode(int container, int node) const {
    const std::vector<int>& ids = sectionsIn(container);
    if (ids.empty()) return -1;
    const int pos = positionInModule(node);
    for (int id : ids) {
        const Section& sec = section(id);
        if (pos >= sec.begin && pos < sec.end) return id;
    }
    return -1;
}

QString GraphScene::sectionTitle(int s) const {
    const Section& sec = section(s);
    return tr("section %1 · ops %2–%3").arg(sec.number).arg(sec.begin + 1).arg(sec.end);
}

QString GraphScene::sectionSubtitle(int s) const {
    // The most frequent op types, so a collapsed section says what it does.
    const Section& sec = section(s);
    const auto& nodes = doc_->hierarchy.modules[static_cast<std::size_t>(sec.module)].nodes;
    std::map<std::string, int> counts;
    for (int i = sec.begin; i < sec.end; ++i)
        ++counts[doc_->graph->node(nodes[static_cast<std::size_t>(i)]).opType];
    std::vector<std::pair<int, std::string>> byCount;
    for (const auto& [op, n] : counts)
        byCount.push_back({-n, op});
    std::sort(byCount.begin(), byCount.end());
    QStringList top;
    for (std::size_t i = 0; i < byCount.size() && i < 3; ++i)
        top << QStringLiteral("%1 %2").arg(-byCount[i].first).arg(qs(byCount[i].second));
    return top.join(QStringLiteral(", "));
}

int GraphScene::containerOf(GraphEntity e) const {
    const Hierarchy& h = doc_->hierarchy;
    switch (e.kind) {
    case GraphEntity::Module:
        return h.modules[static_cast<std::size_t>(e.index)].parent;
    case GraphEntity::Section: {
        const Section& sec = section(e.index);
        return sec.parent < 0 ? sec.module : sectionContainer(sec.parent);
    }
    case GraphEntity::Node: {
        int container = h.assignments[static_cast<std::size_t>(e.index)].module;
        for (int s = sectionOfNode(container, e.index); s >= 0; s = sectionOfNode(container, e.index))
            container = sectionContainer(s);
        return container;
    }
    default:
        return 0;
    }
}

void GraphScene::reveal(GraphEntity entity) {
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
    if (entity.kind == GraphEntity::Input || entity.kind == GraphEntity::Output) {
        const auto& list =
            entity.kind == GraphEntity::Input ? doc_->model->main().inputs : doc_->model->main().outputs;
        const QString name = terminalName(list[static_cast<std::size_t>(entity.index)].name);
        return {std::max<qreal>(70, 0.85 * plain.horizontalAdvance(name) + 28), terminalHeight};
    }
    QString title, subtitle;
    if (entity.kind == GraphEntity::Section) {
        title = sectionTitle(entity.index);
        subtitle = sectionSubtitle(entity.index);
    } else {
        const Module& m = h.modules[static_cast<std::size_t>(entity.index)];
        title = moduleTitle(m);
        subtitle = moduleSubtitle(m);
    }
    if (isEntityExpanded(entity)) {
        const int container =
            entity.kind == GraphEntity::Section ? sectionContainer(entity.index) : entity.index;
        const auto it = current_.find(container);
        const QSizeF inner = it != current_.end() ? it->second.size : QSizeF(60, 20);
        const qreal titleWidth = strong.horizontalAdvance(title) + handleSize + 24;
        return {std::max(inner.width() + 2 * framePadding, titleWidth),
                inner.height() + frameHeader + 2 * framePadding};
    }
    const qreal w = std::max(strong.horizontalAdvance(title), 0.85 * plain.horizontalAdvance(subtitle));
    return {std::max<qreal>(90, w + handleSize + 30), boxHeight};
}

GraphScene::Interior GraphScene::buildInterior(int container) const {
    const Hierarchy& h = doc_->hierarchy;
    const GraphIndex& g = *doc_->graph;
    const bool isSection = container < 0;
    const Section* sec = isSection ? &section(-1 - container) : nullptr;
    const int module = isSection ? sec->module : container;
    const Module& m = h.modules[static_cast<std::size_t>(module)];
    const int begin = isSection ? sec->begin : 0;
    const int end = isSection ? sec->end : static_cast<int>(m.nodes.size());
    Interior in;
    QHash<int, int> moduleRow, nodeRow, sectionRow;
    // Ops (or their sections) first, in graph order, then child modules in order of appearance.
    const std::vector<int>& sections = sectionsIn(container);
    for (int s : sections) {
        sectionRow.insert(s, static_cast<int>(in.entities.size()));
        in.entities.push_back({GraphEntity::Section, s});
    }
    if (sections.empty())
        for (int i = begin; i < end; ++i) {
            const int node = m.nodes[static_cast<std::size_t>(i)];
            nodeRow.insert(node, static_cast<int>(in.entities.size()));
            in.entities.push_back({GraphEntity::Node, node});
        }
    if (!isSection)
        for (int child : m.children) {
            moduleRow.insert(child, static_cast<int>(in.entities.size()));
            in.entities.push_back({GraphEntity::Module, child});
        }
    // The model's inputs and outputs at the root (initializers listed as inputs are weights, not shown).
    QHash<int, int> inputRow, outputRow; // tensor -> row
    if (container == 0) {
        const Graph& main = doc_->model->main();
        for (std::size_t i = 0; i < main.inputs.size(); ++i) {
            const int t = g.findTensor(main.inputs[i].name);
            if (t < 0 || g.tensor(t).initializer) continue;
            inputRow.insert(t, static_cast<int>(in.entities.size()));
            in.entities.push_back({GraphEntity::Input, static_cast<int>(i)});
        }
        for (std::size_t i = 0; i < main.outputs.size(); ++i) {
            const int t = g.findTensor(main.outputs[i].name);
            if (t < 0) continue;
            outputRow.insert(t, static_cast<int>(in.entities.size()));
            in.entities.push_back({GraphEntity::Output, static_cast<int>(i)});
        }
    }
    for (const GraphEntity& e : in.entities)
        in.sizes.push_back(entitySize(e));

    // The entity of this interior that shows a node, or -1.
    auto rowOf = [&](int node) -> int {
        int nm = h.assignments[static_cast<std::size_t>(node)].module;
        if (nm == module) {
            if (isSection) {
                const int pos = positionInModule(node);
                if (pos < begin || pos >= end) return -1;
            }
            if (sections.empty()) return nodeRow.value(node, -1);
            return sectionRow.value(sectionOfNode(container, node), -1);
        }
        if (isSection) return -1;
        while (nm > 0 && h.modules[static_cast<std::size_t>(nm)].parent != module)
            nm = h.modules[static_cast<std::size_t>(nm)].parent;
        return nm > 0 ? moduleRow.value(nm, -1) : -1;
    };
    // Edges from every node inside, lifted to the visible children; one edge per pair, labelled with
    // the shape of the first tensor it carries.
    std::map<std::pair<int, int>, std::size_t> seen;
    auto addEdge = [&](int from, int to, int tensor) {
        if (from < 0 || to < 0 || from == to) return;
        auto [it, added] = seen.try_emplace({from, to}, in.edges.size());
        if (added) {
            in.edges.push_back({from, to});
            in.edgeLabels.push_back(tensorShapeLabel(g, tensor));
        }
    };
    auto addNode = [&](int node) {
        const int from = rowOf(node);
        if (from < 0) return;
        for (int t : g.outputs(node)) {
            for (int consumer : g.consumers(t))
                addEdge(from, rowOf(consumer), t);
            if (container == 0 && outputRow.contains(t)) addEdge(from, outputRow.value(t), t);
        }
    };
    if (isSection) {
        for (int i = begin; i < end; ++i)
            addNode(m.nodes[static_cast<std::size_t>(i)]);
    } else {
        std::vector<int> stack{module};
        while (!stack.empty()) {
            const Module& sm = h.modules[static_cast<std::size_t>(stack.back())];
            stack.pop_back();
            stack.insert(stack.end(), sm.children.begin(), sm.children.end());
            for (int node : sm.nodes)
                addNode(node);
        }
    }
    for (auto it = inputRow.constBegin(); it != inputRow.constEnd(); ++it)
        for (int consumer : g.consumers(it.key()))
            addEdge(it.value(), rowOf(consumer), it.key());
    return in;
}

QString GraphScene::cacheKey(const Interior& interior, int container) const {
    // The interior's shape depends only on the container's contents (fixed until invalidate) and the
    // sizes of its children, which change when descendants expand or collapse.
    QString key = QString::number(container);
    for (std::size_t i = 0; i < interior.entities.size(); ++i)
        if (interior.entities[i].kind == GraphEntity::Module ||
            interior.entities[i].kind == GraphEntity::Section)
            key +=
                QStringLiteral(";%1%2:%3x%4")
                    .arg(interior.entities[i].kind == GraphEntity::Section ? QStringLiteral("s") : QString())
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
    containers_.clear();
    edgeLabels_.clear();
    if (doc_ && current_.count(0)) place(0, QPointF(0, 0));
    setSceneRect(itemsBoundingRect().adjusted(-40, -40, 40, 40));
    setDimConfident(dimConfident_);
    applySemanticZoom();
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
            QString name = shortNodeName(g, e.index);
            if (name == qs(n.opType)) name.clear(); // "Shape / Shape" says nothing twice
            item = new NodeItem(e.index, rect, qs(n.opType), name, confidenceOf(a), tip);
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
                item = new ModuleBoxItem(e, rect, sectionTitle(e.index), sectionSubtitle(e.index),
                                         Confidence::High, false, tip);
            }
        } else {
            const Module& m = h.modules[static_cast<std::size_t>(e.index)];
            const QString tip =
                QStringLiteral("%1\nscope: %2\n%3").arg(qs(m.path), qs(m.scope), moduleSubtitle(m));
            if (isExpanded(e.index)) {
                QString title = moduleTitle(m);
                if (!m.className.empty()) title += QStringLiteral("  (%1)").arg(qs(m.className));
                item = new ModuleFrameItem(e, rect, title, m.depth, m.uncertainNodes > 0, tip);
                containers_[e.index].frame = item;
                containers_[e.index].parent = container;
                place(e.index, rect.topLeft() + QPointF(framePadding, frameHeader + framePadding));
            } else {
                item = new ModuleBoxItem(e, rect, moduleTitle(m), moduleSubtitle(m),
                                         confidenceOf(m.lowestLevel), m.uncertainNodes > 0, tip);
            }
        }
        item->setData(0, container); // the container the item is drawn in
        addItem(item);
        items_[keyOf(e)] = item;
        containers_[container].items.push_back(item);
    }
    for (std::size_t k = 0; k < in.edges.size() && k < layout.routes.size(); ++k) {
        const QString& label = in.edgeLabels[k];
        auto* edge = new EdgeItem(layout.routes[k], layout.arrowTips[k], origin, label);
        addItem(edge);
        containers_[container].items.push_back(edge);
        if (!label.isEmpty()) edgeLabels_ << label;
    }
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
    if (e.kind == GraphEntity::Module || e.kind == GraphEntity::Section) {
        setEntityExpanded(e, !isEntityExpanded(e));
        event->accept();
        return;
    }
    QGraphicsScene::mouseDoubleClickEvent(event);
}

} // namespace hs::ui
