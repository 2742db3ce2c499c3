// GraphScene: what one container (module or section) shows directly, as plain data for the layout
// thread: sections of modules with very many ops, entity sizes, edges lifted to the visible children.
#include "document/cost_analysis.h"
#include "document/model_document.h"
#include "graphview/graph_items.h"
#include "graphview/graph_scene.h"
#include "graphview/graph_text.h"

#include <QFontMetricsF>
#include <QGuiApplication>
#include <algorithm>

namespace hs::ui {

using namespace graph_metrics;
using namespace graph_text;

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

Confidence GraphScene::sectionLowest(int s, bool* uncertain) const {
    const Section& sec = section(s);
    const Hierarchy& h = doc_->hierarchy;
    const auto& nodes = h.modules[static_cast<std::size_t>(sec.module)].nodes;
    Confidence lowest = Confidence::Certain; // the enum runs from most to least certain
    for (int i = sec.begin; i < sec.end; ++i)
        lowest = std::max(
            lowest,
            confidenceOf(h.assignments[static_cast<std::size_t>(nodes[static_cast<std::size_t>(i)])]));
    *uncertain = lowest == Confidence::Low || lowest == Confidence::Conflict;
    return lowest;
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

// ---- Building one module's interior

QSizeF GraphScene::entitySize(GraphEntity entity) const {
    const QFont font = QGuiApplication::font();
    QFont bold = font;
    bold.setBold(true);
    const QFontMetricsF plain(font), strong(bold);
    const Hierarchy& h = doc_->hierarchy;
    if (entity.kind == GraphEntity::Node && isSmallNode(*doc_->graph, entity.index)) {
        // A Constant or weight copy: one line, small type ("Constant = [1, -1]"), as drawn by NodeItem.
        const QString text = qs(doc_->graph->node(entity.index).opType) + QLatin1Char(' ') +
                             smallNodeText(*doc_->model, *doc_->graph, entity.index);
        return {std::max<qreal>(40, 0.8 * plain.horizontalAdvance(text) + 14), smallNodeHeight};
    }
    if (entity.kind == GraphEntity::Node) {
        const Node& n = doc_->graph->node(entity.index);
        const qreal w = std::max(strong.horizontalAdvance(qs(n.opType)),
                                 0.85 * plain.horizontalAdvance(shortNodeName(*doc_->graph, entity.index)));
        return {std::max<qreal>(70, w + 20), nodeHeight};
    }
    if (entity.kind == GraphEntity::InPort || entity.kind == GraphEntity::OutPort) {
        const QString name = terminalName(doc_->graph->tensor(entity.index).name);
        return {std::max<qreal>(60, 0.85 * plain.horizontalAdvance(name) + 24), terminalHeight};
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
        // Measured as drawn: a frame's header carries the class name too.
        title = isEntityExpanded(entity) ? frameTitle(m) : moduleTitle(m);
        subtitle = moduleSubtitle(m, h, *doc_->graph);
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
    constexpr int kUnknown = -2;
    std::vector<int> childRow(isSection ? 0 : h.modules.size(), kUnknown); // module -> its row, or -1
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
        // Remembered per module: deep-200's encoder asks for 25k nodes, each some levels down.
        int& known = childRow[static_cast<std::size_t>(nm)];
        if (known != kUnknown) return known;
        int top = nm;
        while (top > 0 && h.modules[static_cast<std::size_t>(top)].parent != module)
            top = h.modules[static_cast<std::size_t>(top)].parent;
        return known = top > 0 ? moduleRow.value(top, -1) : -1;
    };
    // Edges from every node inside, lifted to the visible children; one edge per pair, labelled with
    // the shape of the first tensor it carries.
    std::map<std::pair<int, int>, std::size_t> seen;
    auto addEdge = [&](int from, int to, int tensor) {
        if (from < 0 || to < 0 || from == to) return;
        auto [it, added] = seen.try_emplace({from, to}, in.edges.size());
        if (added) {
            in.edges.push_back({from, to});
            in.edgeLabels.push_back(
                tensorShapeLabel(g, tensor, doc_->analysis ? &doc_->analysis->types : nullptr));
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
    std::vector<int> inside; // every node this interior shows, directly or in a child
    if (isSection) {
        for (int i = begin; i < end; ++i)
            inside.push_back(m.nodes[static_cast<std::size_t>(i)]);
    } else {
        std::vector<int> stack{module};
        while (!stack.empty()) {
            const Module& sm = h.modules[static_cast<std::size_t>(stack.back())];
            stack.pop_back();
            stack.insert(stack.end(), sm.children.begin(), sm.children.end());
            inside.insert(inside.end(), sm.nodes.begin(), sm.nodes.end());
        }
    }
    for (int node : inside)
        addNode(node);
    // An expanded module's edges to and from the rest of the graph end at ports on its border: one per
    // tensor that comes in (from a node outside or a model input) or goes out (to a node outside or a
    // model output). Weights and torch's hoisted Constants and weight copies get none: they are
    // parameters of the op, not data flowing through the module.
    if (!isSection && container != 0) {
        QHash<int, int> inPort, outPort; // tensor -> row
        auto port = [&](QHash<int, int>& ports, GraphEntity::Kind kind, int t) {
            auto it = ports.constFind(t);
            if (it != ports.constEnd()) return it.value();
            const int row = static_cast<int>(in.entities.size());
            ports.insert(t, row);
            in.entities.push_back({kind, t});
            in.sizes.push_back(entitySize(in.entities.back()));
            return row;
        };
        for (int node : inside) {
            const int to = rowOf(node);
            if (to < 0) continue;
            for (int t : g.inputs(node)) {
                const TensorEntry& e = g.tensor(t);
                if (e.initializer) continue;
                if (e.producer >= 0) {
                    if (rowOf(e.producer) >= 0 || g.opKind(e.producer) == OpKind::Constant ||
                        g.isWeightCopy(e.producer))
                        continue;
                } else if (!e.graphInput) {
                    continue; // an outer value of a control-flow body: its owner shows it
                }
                addEdge(port(inPort, GraphEntity::InPort, t), to, t);
            }
            for (int t : g.outputs(node)) {
                bool leaves = g.tensor(t).graphOutput;
                for (int consumer : g.consumers(t))
                    leaves = leaves || rowOf(consumer) < 0;
                if (leaves) addEdge(rowOf(node), port(outPort, GraphEntity::OutPort, t), t);
            }
        }
    }
    for (auto it = inputRow.constBegin(); it != inputRow.constEnd(); ++it)
        for (int consumer : g.consumers(it.key()))
            addEdge(it.value(), rowOf(consumer), it.key());
    return in;
}

GraphScene::Interior GraphScene::interiorOf(int container) {
    // deep-200's encoder: 4 ms to build (25k nodes inside), 0.2 ms to measure again.
    auto it = built_.find(container);
    if (it == built_.end()) return built_.emplace(container, buildInterior(container)).first->second;
    Interior& in = it->second;
    for (std::size_t i = 0; i < in.entities.size(); ++i)
        in.sizes[i] = entitySize(in.entities[i]);
    return in;
}

QString GraphScene::cacheKey(const Interior& interior, int container) const {
    // The interior's shape depends only on the container's contents (fixed until invalidate) and the
    // sizes of its children, which change when descendants expand or collapse.
    QString key = QString::number(container) + QStringLiteral("b%1").arg(busFanOut_);
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
} // namespace hs::ui
