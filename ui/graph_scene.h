#pragma once
// The graph of the opened model, one module interior at a time (DESIGN.md "Layout and rendering at
// scale"): the root's direct children, with expanded modules opened in place. Each expanded module's
// interior is laid out on the layout thread and cached; expanding re-lays out its ancestors around it.
#include "graph_layout.h"

#include <QGraphicsScene>
#include <QHash>
#include <map>
#include <set>
#include <vector>

namespace hs::ui {

struct ModelDocument;
class LayoutService;

// What a graph item stands for: an op (node instance) or a module (box or expanded frame).
struct GraphEntity {
    enum Kind { None, Node, Module } kind = None;
    int index = -1;
    bool operator==(const GraphEntity& o) const { return kind == o.kind && index == o.index; }
};

class GraphScene : public QGraphicsScene {
    Q_OBJECT
public:
    explicit GraphScene(QObject* parent = nullptr);

    void setDocument(const ModelDocument* doc); // resets expansion; nullptr clears
    const ModelDocument* document() const { return doc_; }

    bool isExpanded(int module) const { return module == 0 || expanded_.count(module) > 0; }
    void setExpanded(int module, bool expanded);
    // Expands every ancestor so the node (or module) becomes visible, then selects it once laid out.
    void reveal(GraphEntity entity);
    // Module contents changed (re-tagging): drop cached layouts and lay out again.
    void invalidate();
    bool isLayingOut() const { return !queue_.empty(); }

    void setDimConfident(bool dim);
    bool dimConfident() const { return dimConfident_; }

    // What the user sees inside an expanded module: the entities placed directly in it.
    std::vector<GraphEntity> visibleChildren(int module) const;
    QGraphicsItem* itemFor(GraphEntity entity) const;
    GraphEntity entityAt(const QGraphicsItem* item) const;
    GraphEntity selectedEntity() const;
    std::vector<int> selectedNodes() const;
    int cacheSize() const { return cache_.size(); }

signals:
    void layoutFinished();
    void expansionChanged(int module, bool expanded);
    void entityActivated(hs::ui::GraphEntity entity); // selection by the user in the graph
    void layoutFailed(const QString& message);

protected:
    void mouseDoubleClickEvent(QGraphicsSceneMouseEvent* event) override;

private:
    struct Interior { // the direct children of one module, as laid out
        std::vector<GraphEntity> entities;
        std::vector<QSizeF> sizes;
        std::vector<std::pair<int, int>> edges;
    };
    Interior buildInterior(int module) const;
    int itemIndexIn(int module, int node, const Interior& interior, const QHash<int, int>& moduleRow) const;
    QSizeF entitySize(GraphEntity entity) const;
    QString cacheKey(const Interior& interior, int module) const;
    void relayout();
    void layoutNext();
    void onLayoutFinished(const LayoutResult& result);
    void rebuildItems();
    void place(int module, QPointF origin, QGraphicsItem* frame);
    void applyPendingReveal();
    void emitSelection();

    const ModelDocument* doc_ = nullptr;
    LayoutService* layouts_;
    std::set<int> expanded_;
    quint64 generation_ = 0;
    std::vector<int> queue_;              // expanded modules still to lay out, deepest first
    std::map<int, LayoutResult> current_; // this pass's results, by module
    std::map<int, Interior> interiors_;   // this pass's interiors, by module
    QHash<QString, LayoutResult> cache_;
    std::map<std::pair<int, int>, QGraphicsItem*> items_; // (kind, index) -> item
    GraphEntity pendingReveal_;
    bool dimConfident_ = false;
    bool rebuilding_ = false;
};

} // namespace hs::ui

Q_DECLARE_METATYPE(hs::ui::GraphEntity)
