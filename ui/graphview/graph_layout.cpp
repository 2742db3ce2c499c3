#include "graphview/graph_layout.h"

#include <gvc.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>

namespace hs::ui {

namespace {

// Graphviz takes char* for names it never modifies.
char* cstr(const char* text) {
    return const_cast<char*>(text);
}

GVC_t* context() {
    // Created on first use on the layout thread and kept: loading plugins is slow.
    static GVC_t* gvc = gvContext();
    return gvc;
}

void setGraphDefaults(Agraph_t* g, std::size_t itemCount) {
    agattr(g, AGRAPH, cstr("rankdir"), cstr("TB"));
    agattr(g, AGRAPH, cstr("nodesep"), cstr("0.3"));
    agattr(g, AGRAPH, cstr("ranksep"), cstr("0.4"));
    agattr(g, AGRAPH, cstr("splines"), cstr("spline"));
    // Without clusters both ranking code paths solve the same problem; the newer one takes half the time
    // on a bus (deep-200's encoder, 200 boxes and 200 relays: 20 ms -> 10 ms, the same coordinates).
    // Elsewhere ties may break differently: on 15 models expanded whole, 4 layouts moved, none grew and
    // none crossed more.
    agattr(g, AGRAPH, cstr("newrank"), cstr("true"));
    if (itemCount > 300) {
        // Big flat modules: fewer crossing-minimisation and network-simplex passes keep dot fast.
        agattr(g, AGRAPH, cstr("mclimit"), cstr("0.3"));
        agattr(g, AGRAPH, cstr("nslimit"), cstr("2"));
        agattr(g, AGRAPH, cstr("nslimit1"), cstr("2"));
        agattr(g, AGRAPH, cstr("searchsize"), cstr("10"));
    }
    agattr(g, AGNODE, cstr("shape"), cstr("box"));
    agattr(g, AGNODE, cstr("fixedsize"), cstr("true"));
    agattr(g, AGNODE, cstr("label"), cstr(""));
    agattr(g, AGNODE, cstr("width"), cstr("1"));
    agattr(g, AGNODE, cstr("height"), cstr("0.5"));
    agattr(g, AGEDGE, cstr("arrowsize"), cstr("0.7"));
}

} // namespace

std::vector<int> itemDepths(std::size_t count, const std::vector<std::pair<int, int>>& edges) {
    std::vector<std::vector<int>> out(count);
    std::vector<int> pending(count, 0), depth(count, 0);
    for (const auto& [from, to] : edges) {
        out[static_cast<std::size_t>(from)].push_back(to);
        ++pending[static_cast<std::size_t>(to)];
    }
    std::vector<int> ready;
    for (std::size_t i = 0; i < count; ++i)
        if (pending[i] == 0) ready.push_back(static_cast<int>(i));
    std::vector<char> done(count, 0);
    std::size_t next = 0;
    for (std::size_t processed = 0; processed < count;) {
        if (ready.empty()) {
            while (done[next])
                ++next;
            ready.push_back(static_cast<int>(next));
        }
        const auto v = static_cast<std::size_t>(ready.back());
        ready.pop_back();
        if (done[v]) continue;
        done[v] = 1;
        ++processed;
        for (int w : out[v]) {
            const auto u = static_cast<std::size_t>(w);
            depth[u] = std::max(depth[u], depth[v] + 1);
            if (--pending[u] == 0 && !done[u]) ready.push_back(w);
        }
    }
    return depth;
}

std::vector<Bus> planBuses(const LayoutRequest& request) {
    std::vector<Bus> buses;
    const std::vector<int> depth = itemDepths(request.items.size(), request.edges);
    std::map<int, std::vector<int>> fanOut; // source -> its edges going down
    for (std::size_t e = 0; e < request.edges.size(); ++e) {
        const auto [from, to] = request.edges[e];
        if (depth[static_cast<std::size_t>(to)] > depth[static_cast<std::size_t>(from)])
            fanOut[from].push_back(static_cast<int>(e));
    }
    for (const auto& [source, edges] : fanOut) {
        if (edges.size() < request.busFanOut) continue;
        std::map<int, std::vector<int>> byDepth;
        for (int e : edges)
            byDepth[depth[static_cast<std::size_t>(request.edges[static_cast<std::size_t>(e)].second)]]
                .push_back(e);
        if (byDepth.size() < kBusDepths) continue; // targets side by side: short edges, nothing to save
        Bus bus{source, {}};
        for (auto& [d, group] : byDepth)
            bus.stops.push_back(std::move(group));
        buses.push_back(std::move(bus));
    }
    return buses;
}

namespace {

// The Graphviz edges for the request's edges: per request edge, the pieces it is drawn along (one, or
// the trunk of its bus up to its stop and the branch from there).
// `trunks` gets each bus's whole trunk.
std::vector<std::vector<Agedge_t*>> addEdges(Agraph_t* g, const std::vector<Agnode_t*>& nodes,
                                             const LayoutRequest& request, std::vector<int>& busOf,
                                             std::vector<std::vector<Agedge_t*>>& trunks) {
    std::vector<std::vector<Agedge_t*>> pieces(request.edges.size());
    busOf.assign(request.edges.size(), -1);
    int edgeCount = 0;
    auto link = [&](Agnode_t* from, Agnode_t* to, bool arrow) {
        Agedge_t* e = agedge(g, from, to, cstr(("e" + std::to_string(edgeCount++)).c_str()), 1);
        if (!arrow) agsafeset(e, cstr("arrowhead"), cstr("none"), cstr("normal"));
        return e;
    };
    auto node = [&](int item) { return nodes[static_cast<std::size_t>(item)]; };
    int relayCount = 0;
    const std::vector<Bus> buses = planBuses(request);
    for (std::size_t b = 0; b < buses.size(); ++b) {
        const Bus& bus = buses[b];
        // source -> stop 1 -> stop 2 -> ...: point-sized relays, each branching to the targets at its depth.
        Agnode_t* previous = node(bus.source);
        std::vector<Agedge_t*> trunk;
        for (const std::vector<int>& stop : bus.stops) {
            Agnode_t* relay = agnode(g, cstr(("r" + std::to_string(relayCount++)).c_str()), 1);
            agset(relay, cstr("shape"), cstr("point"));
            agset(relay, cstr("width"), cstr("0.02"));
            agset(relay, cstr("height"), cstr("0.02"));
            trunk.push_back(link(previous, relay, false));
            agsafeset(trunk.back(), cstr("weight"), cstr("4"), cstr("1")); // keeps the trunk straight
            for (int e : stop) {
                busOf[static_cast<std::size_t>(e)] = static_cast<int>(b);
                auto& path = pieces[static_cast<std::size_t>(e)];
                path = trunk;
                path.push_back(link(relay, node(request.edges[static_cast<std::size_t>(e)].second), true));
            }
            previous = relay;
        }
        trunks.push_back(std::move(trunk));
    }
    for (std::size_t i = 0; i < request.edges.size(); ++i)
        if (pieces[i].empty())
            pieces[i].push_back(link(node(request.edges[i].first), node(request.edges[i].second), true));
    return pieces;
}

// One drawn route from its pieces' splines, joined by straight cubics; the arrow tip of the last piece.
// `*lastFrom`: the index of the point the last piece is joined from (the end of the piece before it).
template <typename ToScene>
std::vector<QPointF> joinedRoute(const std::vector<Agedge_t*>& path, ToScene toScene, QPointF* tip,
                                 std::size_t* lastFrom = nullptr) {
    std::vector<QPointF> route;
    for (Agedge_t* e : path) {
        if (lastFrom) *lastFrom = route.empty() ? 0 : route.size() - 1;
        const splines* spl = ED_spl(e);
        if (!spl || spl->size == 0 || spl->list[0].size == 0) continue;
        const bezier& bz = spl->list[0];
        const QPointF start = toScene(bz.list[0]);
        if (!route.empty()) {
            const QPointF end = route.back();
            route.insert(route.end(), {end, start});
        }
        route.push_back(start);
        for (int k = 1; k < bz.size; ++k)
            route.push_back(toScene(bz.list[k]));
        *tip = bz.eflag ? toScene(bz.ep) : route.back();
    }
    return route;
}

} // namespace

LayoutResult computeLayout(const LayoutRequest& request) {
    LayoutResult result;
    result.ticket = request.ticket;
    result.module = request.module;
    result.cacheKey = request.cacheKey;
    if (request.items.empty()) return result;

    Agraph_t* g = agopen(cstr("module"), Agdirected, nullptr);
    setGraphDefaults(g, request.items.size());
    std::vector<Agnode_t*> nodes;
    nodes.reserve(request.items.size());
    for (std::size_t i = 0; i < request.items.size(); ++i) {
        Agnode_t* n = agnode(g, cstr(("n" + std::to_string(i)).c_str()), 1);
        agset(n, cstr("width"), cstr(std::to_string(request.items[i].width() / 72.0).c_str()));
        agset(n, cstr("height"), cstr(std::to_string(request.items[i].height() / 72.0).c_str()));
        nodes.push_back(n);
    }
    std::vector<std::vector<Agedge_t*>> trunks;
    const std::vector<std::vector<Agedge_t*>> pieces = addEdges(g, nodes, request, result.bus, trunks);

    if (gvLayout(context(), g, "dot") != 0) {
        result.error = QStringLiteral("Graphviz could not lay out this module.");
        agclose(g);
        return result;
    }
    const boxf bb = GD_bb(g);
    auto toScene = [&](pointf p) { return QPointF(p.x - bb.LL.x, bb.UR.y - p.y); };
    result.size = QSizeF(bb.UR.x - bb.LL.x, bb.UR.y - bb.LL.y);
    for (Agnode_t* n = agfstnode(g); n; n = agnxtnode(g, n))
        for (Agedge_t* e = agfstout(g, n); e; e = agnxtout(g, e))
            result.rankSpan += std::abs(ND_rank(aghead(e)) - ND_rank(agtail(e)));
    for (Agnode_t* n : nodes)
        result.centers.push_back(toScene(ND_coord(n)));
    for (std::size_t e = 0; e < pieces.size(); ++e) {
        QPointF tip;
        std::size_t ownFrom = 0;
        result.routes.push_back(joinedRoute(pieces[e], toScene, &tip, &ownFrom));
        result.arrowTips.push_back(tip);
        result.ownFrom.push_back(result.bus[e] >= 0 ? ownFrom : 0);
    }
    for (const std::vector<Agedge_t*>& trunk : trunks) {
        QPointF end;
        result.trunks.push_back(joinedRoute(trunk, toScene, &end));
    }
    gvFreeLayout(context(), g);
    agclose(g);
    return result;
}

} // namespace hs::ui
