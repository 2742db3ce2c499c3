#pragma once
// The graph of the opened model, one module interior at a time (DESIGN.md "Layout and rendering at
// scale"): the root's direct children, with expanded modules opened in place. Each expanded module's
// interior is laid out on the layout thread and cached; expanding re-lays out its ancestors around it.
#include "graphview/graph_layout.h"
#include "style/confidence.h"

#include <QGraphicsScene>
#include <QHash>
#include <map>
#include <set>
#include <tuple>
#include <vector>

namespace hs::ui {

struct ModelDocument;
class LayoutService;

// What a graph item stands for: an op (node instance), a module (box or expanded frame), a section of
// a module with very many ops (index into the scene's sections), or a model input or output (index into
// the main graph's inputs or outputs, shown at the root).
struct GraphEntity {
    // InPort/OutPort (index: a tensor of the graph index): inside an expanded module, a tensor that comes
    // from outside it or leaves it, drawn where its edge enters or leaves (issue 21: every edge drawn).
    enum Kind { None, Node, Module, Section, Input, Output, InPort, OutPort } kind = None;
    int index = -1;
    bool operator==(const GraphEntity& o) const { return kind == o.kind && index == o.index; }
};

class GraphScene : public QGraphicsScene {
    Q_OBJECT
public:
    explicit GraphScene(QObject* parent = nullptr);
    ~GraphScene() override;

    void setDocument(const ModelDocument* doc); // resets expansion; nullptr clears
    // Modules were appended or the last ones removed (Move to Module's new module, its undo), or a module
    // changed its place in the tree (rename, Move Module Under): the other modules keep their indices, so
    // their expansion is kept and only what refers to a module that is gone is dropped.
    void modulesChanged();
    const ModelDocument* document() const { return doc_; }

    bool isExpanded(int module) const { return module == 0 || expanded_.count(module) > 0; }
    // Expanding or collapsing follows the module: once laid out, focusRequested shows it.
    void setExpanded(int module, bool expanded);
    const std::set<int>& expandedModules() const { return expanded_; }
    // Every module and section collapsed: the first view again.
    void collapseAll();
    // Modules and sections alike (other kinds are never expanded).
    bool isEntityExpanded(GraphEntity entity) const;
    void setEntityExpanded(GraphEntity entity, bool expanded);

    // A module with more than this many direct children shows its ops in sections (consecutive ops in
    // graph order, at most kSectionSize... each, nested when even the sections are too many).
    static constexpr int kSectionThreshold = 300;
    struct Section {
        int module = 0;
        int begin = 0, end = 0; // range of the module's nodes (Module::nodes)
        int parent = -1;        // enclosing section, -1 for a top-level section of the module
        int number = 0;         // 1-based, among its siblings
    };
    const Section& section(int id) const { return sections_[static_cast<std::size_t>(id)]; }
    // The sections a module (container >= 0) or section (container = -1 - id) is split into; empty
    // when it shows its ops directly.
    const std::vector<int>& sectionsIn(int container) const;
    // The section directly in `container` that holds `node`, or -1.
    int sectionOfNode(int container, int node) const;
    // Expands every ancestor so the node (or module) becomes visible, then selects it once laid out.
    // `alsoSelect` (nodes in the same container) are selected with it: a group moved together.
    void reveal(GraphEntity entity, const std::vector<int>& alsoSelect = {});
    // Module contents changed (re-tagging): drop cached layouts and lay out again.
    void invalidate();
    bool isLayingOut() const { return !queue_.empty(); }

    // Semantic zoom: the view's scale decides which expanded modules are big enough on screen to show
    // their insides; the others show only their frame, so a zoomed-out view paints what can be seen.
    void setViewScale(qreal scale);
    qreal viewScale() const { return viewScale_; }

    // Colours nodes and collapsed modules by a cost share (0..1 per node instance and per module, e.g.
    // MACs or measured time); empty vectors: by confidence again. Kept across re-layouts.
    void setHeat(std::vector<double> nodes, std::vector<double> modules);
    bool showsHeat() const { return !heatNodes_.empty(); }
    void setDimConfident(bool dim);
    // Edges from one box to this many at several depths share a bus (graph_layout.h); SIZE_MAX: none
    // (tests compare the two).
    void setBusFanOut(std::size_t fanOut);
    bool dimConfident() const { return dimConfident_; }

    // Search matches outlined in the graph: a match shown as a box or an op is outlined itself, one
    // inside a collapsed module outlines that module. Kept across layouts until the next call.
    void setSearchMatches(std::vector<GraphEntity> matches);
    int searchMarkCount() const { return static_cast<int>(searchMarks_.size()); }

    // What the user sees inside an expanded module: the ops, child modules and sections placed
    // directly in it (not the model's inputs and outputs shown at the root).
    std::vector<GraphEntity> visibleChildren(int module) const;
    std::vector<GraphEntity> visibleInSection(int section) const;
    // Edge labels drawn (tensor shapes), for tests.
    QStringList edgeLabels() const;
    // Every edge item drawn, by the entities it joins (within one container: ports stand for the outside).
    const std::vector<std::pair<GraphEntity, GraphEntity>>& drawnEdges() const { return drawnEdges_; }
    // Every bus trunk drawn (BusTrunkItem, in the order added), by the entity its edges come from.
    const std::vector<GraphEntity>& drawnTrunks() const { return drawnTrunks_; }
    QGraphicsItem* itemFor(GraphEntity entity) const;
    GraphEntity entityAt(const QGraphicsItem* item) const;
    GraphEntity selectedEntity() const;
    std::vector<int> selectedNodes() const;
    int cacheSize() const { return cache_.size(); }

signals:
    void layoutFinished();
    // The user's attention moved to this scene rectangle (an expanded module, a revealed node): views
    // bring it into view.
    void focusRequested(const QRectF& sceneRect);
    void expansionChanged(int module, bool expanded);
    void entityActivated(hs::ui::GraphEntity entity); // selection by the user in the graph
    void layoutFailed(const QString& message);

protected:
    void mouseDoubleClickEvent(QGraphicsSceneMouseEvent* event) override;

private:
    struct Interior { // the direct children of one module or section, as laid out
        std::vector<GraphEntity> entities;
        std::vector<QSizeF> sizes;
        std::vector<std::pair<int, int>> edges;
        std::vector<QString> edgeLabels; // per edge: tensor shape, or empty
    };
    // Containers: a module m is container m (>= 0), section s is container -1 - s.
    static int sectionContainer(int s) { return -1 - s; }
    Interior buildInterior(int container) const;
    // The container's interior: built once until invalidate (its entities, edges and labels depend only on
    // the document), its sizes measured again each time (they follow expansion below it).
    Interior interiorOf(int container);
    QSizeF entitySize(GraphEntity entity) const;
    QString cacheKey(const Interior& interior, int container) const;
    const std::vector<int>& splitRange(int module, int begin, int end, int parent) const;
    int positionInModule(int node) const;
    QString sectionTitle(int s) const;
    QString sectionSubtitle(int s) const;
    Confidence sectionLowest(int s, bool* uncertain) const; // over the section's ops
    int containerOf(GraphEntity entity) const;              // the container that shows an entity directly
    void relayout();
    void layoutNext();
    void onLayoutFinished(const LayoutResult& result);
    void rebuildItems();
    void place(int container, QPointF origin);
    void placeTrunks(int container, QPointF origin); // the container's bus trunks, one item each
    void applyPendingReveal();
    void emitSelection();

    const ModelDocument* doc_ = nullptr;
    LayoutService* layouts_;
    std::set<int> expanded_;
    std::set<int> expandedSections_;
    mutable std::vector<Section> sections_;
    mutable std::map<std::tuple<int, int, int>, int> sectionIds_; // (module, begin, end) -> id
    mutable std::map<int, std::vector<int>> splits_;              // container -> its sections
    mutable QHash<int, int> nodePosition_;                        // node -> index in Module::nodes
    QStringList edgeLabels_;
    std::vector<std::pair<GraphEntity, GraphEntity>> drawnEdges_;
    std::vector<GraphEntity> drawnTrunks_;
    // Edge labels drawn this pass, by grid cell, so no label is drawn over another.
    QHash<quint64, std::vector<QRectF>> labelCells_;
    bool labelSpotTaken(const QRectF& rect) const;
    void takeLabelSpot(const QRectF& rect);
    quint64 generation_ = 0;
    std::vector<int> queue_;              // expanded modules still to lay out, deepest first
    std::map<int, LayoutResult> current_; // this pass's results, by module
    std::map<int, Interior> interiors_;   // this pass's interiors, by module
    std::map<int, Interior> built_;       // interiors built since the last invalidate, by container
    QHash<QString, LayoutResult> cache_;
    std::size_t busFanOut_ = kBusFanOut;
    std::map<std::pair<int, int>, QGraphicsItem*> items_; // (kind, index) -> item
    GraphEntity pendingReveal_;
    std::vector<int> pendingAlsoSelect_;
    GraphEntity follow_; // expanded or collapsed by the user: brought into view once laid out
    bool dimConfident_ = false;
    std::vector<double> heatNodes_, heatModules_;
    void applyHeat(QGraphicsItem* item) const;
    std::vector<GraphEntity> searchMatches_;
    std::vector<QGraphicsItem*> searchMarks_; // owned by the scene; cleared with it
    void drawSearchMarks();
    QGraphicsItem* shownItemOf(GraphEntity entity) const; // its item, or its collapsed module's
    bool rebuilding_ = false;
    struct ContainerItems {
        QGraphicsItem* frame = nullptr; // the expanded module's (or section's) frame, none for the root
        int parent = 0;                 // the container its frame is drawn in
        std::vector<QGraphicsItem*> items;
        bool shown = true;
    };
    std::map<int, ContainerItems> containers_; // items drawn directly in each container, this pass
    qreal viewScale_ = 1.0;
    void applySemanticZoom();
    bool containerShown(int container, std::map<int, bool>& memo) const;
};

} // namespace hs::ui

Q_DECLARE_METATYPE(hs::ui::GraphEntity)
