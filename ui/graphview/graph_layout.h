#pragma once
// Graphviz "dot" layout of one module's interior: its direct children as fixed-size boxes and the
// (already lifted and deduplicated) edges between them. Plain data in and out so a request can be
// built on the UI thread and laid out on the layout thread. Graphviz headers stay in the .cpp.
#include <QMetaType>
#include <QPointF>
#include <QSizeF>
#include <QString>
#include <cstddef>
#include <vector>

namespace hs::ui {

// A node feeding many others at several depths (a mask used by every layer of a 200-layer encoder)
// made dot route one long edge past every rank for each of them: 20,000 virtual nodes, and network
// simplex ran for more than 25 minutes. Such edges share a bus instead: a chain of point-sized relays,
// one per depth of the targets, each branching to the targets at that depth; each edge is drawn along
// the trunk to its branch (what dot's concentrate=true does to a whole graph). On DenseNet's dense
// blocks, where every layer feeds all later ones, buses also cut the places where edges cross
// (tests/gui/test_edge_crossings.cpp); of the thresholds tried (3, 4, 5, 8, 16) 3 crossed least.
constexpr std::size_t kBusFanOut = 3; // edges going down from one item before they share a bus...
constexpr std::size_t kBusDepths = 3; // ...if their targets lie at this many depths or more

struct LayoutRequest {
    quint64 ticket = 0; // echoed in the result so stale results can be dropped
    int module = 0;
    QString cacheKey;          // echoed: any finished layout can be cached, even one that arrives stale
    std::vector<QSizeF> items; // box sizes in scene units (1 unit = 1 Graphviz point)
    std::vector<std::pair<int, int>> edges; // indices into items, from -> to
    std::size_t busFanOut = kBusFanOut;     // see kBusFanOut; SIZE_MAX: no buses
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
    std::vector<int> bus; // per edge: the bus it rides (an index), or -1
    // Per bus: its trunk, from the source to the last relay (same encoding as routes, no arrow). Per
    // edge: where in its route its own part starts, after the stretch of trunk it shares (0 off a bus):
    // the scene draws each trunk once and each edge from there, not 200 copies of one trunk.
    std::vector<std::vector<QPointF>> trunks;
    std::vector<std::size_t> ownFrom;
    // Sum over the edges handed to Graphviz of the ranks each spans: dot adds a virtual node per rank
    // crossed, so this is the size of the graph it ranks, orders and positions (tests bound it).
    long rankSpan = 0;
    QString error;
};

struct Bus {
    int source = 0;
    std::vector<std::vector<int>> stops; // per depth of the targets, top to bottom: request edge indices
};
// Longest-path depth of each item over the edges. Items on a cycle (lifted edges between interleaved
// modules) are taken in index order when nothing else is ready.
std::vector<int> itemDepths(std::size_t count, const std::vector<std::pair<int, int>>& edges);
// The buses computeLayout routes edges along, for the request's fan-outs.
std::vector<Bus> planBuses(const LayoutRequest& request);

// Lays out with Graphviz. Not thread-safe (Graphviz keeps global state): call from one thread only.
LayoutResult computeLayout(const LayoutRequest& request);

} // namespace hs::ui

Q_DECLARE_METATYPE(hs::ui::LayoutRequest)
Q_DECLARE_METATYPE(hs::ui::LayoutResult)
