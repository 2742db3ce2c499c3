#pragma once
// Counts where drawn edges cross in a laid-out GraphScene (issue 22, item 5): every edge's path as drawn
// (its Bezier pieces flattened to a polyline), tested pairwise for proper crossings. Two edges that share
// an end (the same producer, or the same consumer) are not counted: they meet at that box by design, and
// edges sharing a bus run along one trunk. Touching and overlapping without crossing is not a crossing.
#include "graphview/graph_items.h"
#include "graphview/graph_scene.h"

#include <QPainterPath>
#include <QPolygonF>
#include <cmath>
#include <set>
#include <vector>

namespace hs::ui::test {

struct Crossings {
    int pairs = 0;  // pairs of edges that cross at least once
    int points = 0; // distinct places where edges cross (a crossing of a bus with one edge is one place)
};

namespace detail {
inline double orient(QPointF a, QPointF b, QPointF c) {
    return (b.x() - a.x()) * (c.y() - a.y()) - (b.y() - a.y()) * (c.x() - a.x());
}
// Proper crossing of segments ab and cd (each strictly on both sides of the other); its point in *at.
inline bool segmentsCross(QPointF a, QPointF b, QPointF c, QPointF d, QPointF* at) {
    constexpr double eps = 1e-6;
    const double d1 = orient(c, d, a), d2 = orient(c, d, b), d3 = orient(a, b, c), d4 = orient(a, b, d);
    if (!(((d1 > eps && d2 < -eps) || (d1 < -eps && d2 > eps)) &&
          ((d3 > eps && d4 < -eps) || (d3 < -eps && d4 > eps))))
        return false;
    *at = a + (b - a) * (d1 / (d1 - d2));
    return true;
}
} // namespace detail

// Edge items in the order the scene added them, which is the order of drawnEdges().
inline std::vector<const EdgeItem*> edgeItems(const GraphScene& scene) {
    std::vector<const EdgeItem*> edges;
    for (QGraphicsItem* item : scene.items(Qt::AscendingOrder))
        if (item->type() == EdgeKind) edges.push_back(static_cast<const EdgeItem*>(item));
    return edges;
}

// Bus trunks (BusTrunkItem) in the order the scene added them, which is the order of drawnTrunks().
inline std::vector<const EdgeItem*> trunkItems(const GraphScene& scene) {
    std::vector<const EdgeItem*> trunks;
    for (QGraphicsItem* item : scene.items(Qt::AscendingOrder))
        if (item->type() == BusKind) trunks.push_back(static_cast<const EdgeItem*>(item));
    return trunks;
}

// An item's path in scene coordinates, its Bezier pieces flattened.
inline QPolygonF drawnLine(const EdgeItem* e) {
    QPolygonF line;
    for (const QPolygonF& sub : e->sceneTransform().map(e->path()).toSubpathPolygons())
        line += sub;
    return line;
}

// Every edge as drawn, and each bus trunk drawn once (its edges are drawn from where they leave it): a
// trunk counts as an edge from its source to nowhere, so it crosses what its own edges would have.
inline Crossings countCrossings(const GraphScene& scene) {
    std::vector<std::pair<GraphEntity, GraphEntity>> ends;
    std::vector<QPolygonF> lines;
    const std::vector<const EdgeItem*> edges = edgeItems(scene), trunks = trunkItems(scene);
    for (std::size_t i = 0; i < edges.size() && i < scene.drawnEdges().size(); ++i) {
        lines.push_back(drawnLine(edges[i]));
        ends.push_back(scene.drawnEdges()[i]);
    }
    for (std::size_t i = 0; i < trunks.size() && i < scene.drawnTrunks().size(); ++i) {
        lines.push_back(drawnLine(trunks[i]));
        ends.push_back({scene.drawnTrunks()[i], GraphEntity{}});
    }
    std::vector<QRectF> bounds;
    for (const QPolygonF& line : lines)
        bounds.push_back(line.boundingRect());
    auto same = [](GraphEntity a, GraphEntity b) { return a.kind != GraphEntity::None && a == b; };
    Crossings result;
    std::set<std::pair<long, long>> places; // rounded to 2 scene units
    const std::size_t n = lines.size();
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i + 1; j < n; ++j) {
            if (same(ends[i].first, ends[j].first) || same(ends[i].second, ends[j].second) ||
                same(ends[i].first, ends[j].second) || same(ends[i].second, ends[j].first))
                continue;
            if (!bounds[i].intersects(bounds[j])) continue;
            bool crossed = false;
            for (int a = 0; a + 1 < lines[i].size(); ++a)
                for (int b = 0; b + 1 < lines[j].size(); ++b) {
                    QPointF at;
                    if (!detail::segmentsCross(lines[i][a], lines[i][a + 1], lines[j][b], lines[j][b + 1],
                                               &at))
                        continue;
                    crossed = true;
                    places.insert({std::lround(at.x() / 2), std::lround(at.y() / 2)});
                }
            result.pairs += crossed;
        }
    result.points = static_cast<int>(places.size());
    return result;
}

} // namespace hs::ui::test
