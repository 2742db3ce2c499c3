#include "graphview/graph_layout.h"

#include <gvc.h>

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
    std::vector<Agedge_t*> edges;
    for (const auto& [from, to] : request.edges)
        edges.push_back(agedge(g, nodes[static_cast<std::size_t>(from)], nodes[static_cast<std::size_t>(to)],
                               cstr(("e" + std::to_string(edges.size())).c_str()), 1));

    if (gvLayout(context(), g, "dot") != 0) {
        result.error = QStringLiteral("Graphviz could not lay out this module.");
        agclose(g);
        return result;
    }
    const boxf bb = GD_bb(g);
    auto toScene = [&](pointf p) { return QPointF(p.x - bb.LL.x, bb.UR.y - p.y); };
    result.size = QSizeF(bb.UR.x - bb.LL.x, bb.UR.y - bb.LL.y);
    for (Agnode_t* n : nodes)
        result.centers.push_back(toScene(ND_coord(n)));
    for (Agedge_t* e : edges) {
        std::vector<QPointF> route;
        QPointF tip;
        if (const splines* spl = ED_spl(e); spl && spl->size > 0) {
            const bezier& bz = spl->list[0];
            for (int k = 0; k < bz.size; ++k)
                route.push_back(toScene(bz.list[k]));
            tip = bz.eflag ? toScene(bz.ep) : (route.empty() ? QPointF() : route.back());
        }
        result.routes.push_back(std::move(route));
        result.arrowTips.push_back(tip);
    }
    gvFreeLayout(context(), g);
    agclose(g);
    return result;
}

} // namespace hs::ui
