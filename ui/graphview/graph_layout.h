#pragma once
// Graphviz "dot" layout of one module's interior: its direct children as fixed-size boxes and the
// (already lifted and deduplicated) edges between them. Plain data in and out so a request can be
// built on the UI thread and laid out on the layout thread. Graphviz headers stay in the .cpp.
#include <QMetaType>
#include <QPointF>
#include <QSizeF>
#include <QString>
#include <vector>

namespace hs::ui {

struct LayoutRequest {
    quint64 ticket = 0; // echoed in the result so stale results can be dropped
    int module = 0;
    QString cacheKey;          // echoed: any finished layout can be cached, even one that arrives stale
    std::vector<QSizeF> items; // box sizes in scene units (1 unit = 1 Graphviz point)
    std::vector<std::pair<int, int>> edges; // indices into items, from -> to
};

struct LayoutResult {
    quint64 ticket = 0;
    int module = 0;
    QString cacheKey;
    QSizeF size;                  // bounding box of the drawing
    std::vector<QPointF> centers; // per item, y down, origin at the top left of the box
    // Per edge: cubic Bezier control points (p0, c1, c2, p1, c1, c2, p2, ...), then the arrow tip.
    std::vector<std::vector<QPointF>> routes;
    std::vector<QPointF> arrowTips;
    QString error;
};

// Lays out with Graphviz. Not thread-safe (Graphviz keeps global state): call from one thread only.
LayoutResult computeLayout(const LayoutRequest& request);

} // namespace hs::ui

Q_DECLARE_METATYPE(hs::ui::LayoutRequest)
Q_DECLARE_METATYPE(hs::ui::LayoutResult)
