// Issue 23 (expanding everything must finish) and issue 22, item 5 (DenseNet fan-ins with fewer
// crossings): edges from one box to many at several depths share a bus (graph_layout.h). Checked on the
// Graphviz graph itself (the ranks its edges span, bounded; every route from its source to its target)
// and on a DenseNet built from torchvision's _DenseBlock, where buses must not add crossings.
#include "document/model_document.h"
#include "edge_crossings.h"
#include "graphview/graph_layout.h"
#include "gui_test_support.h"

#include <limits>
#include <map>
#include <tuple>

using namespace hs;
using namespace hs::ui;
using namespace hs::ui::test;

namespace {

// deep-200's encoder in small: `layers` expanded layer frames in a chain, and the attention mask's
// in-port (the last item) feeding every layer.
LayoutRequest maskedChain(int layers, std::size_t busFanOut) {
    LayoutRequest r;
    r.busFanOut = busFanOut;
    r.items.assign(static_cast<std::size_t>(layers), QSizeF(1650, 5690)); // a deep-200 layer, expanded
    r.items.push_back(QSizeF(90, 24));
    for (int i = 0; i + 1 < layers; ++i)
        r.edges.push_back({i, i + 1});
    for (int i = 0; i < layers; ++i)
        r.edges.push_back({layers, i});
    return r;
}

// Every route starts on its source's box and its arrow ends on its target's (buses join pieces).
void checkRoutesJoinTheirEnds(const LayoutRequest& r, const LayoutResult& out) {
    QCOMPARE(out.routes.size(), r.edges.size());
    auto box = [&](int item, qreal margin) {
        const auto i = static_cast<std::size_t>(item);
        const QSizeF s = r.items[i];
        return QRectF(out.centers[i] - QPointF(s.width() / 2, s.height() / 2), s)
            .adjusted(-margin, -margin, margin, margin);
    };
    for (std::size_t e = 0; e < r.edges.size(); ++e) {
        QVERIFY(!out.routes[e].empty());
        QVERIFY(box(r.edges[e].first, 2).contains(out.routes[e].front()));
        QVERIFY(box(r.edges[e].second, 2).contains(out.arrowTips[e]));
    }
}

int countCrossingPlaces(MainWindow& w) {
    return countCrossings(*w.graphScene()).points;
}

} // namespace

class TestEdgeCrossings : public QObject {
    Q_OBJECT
private slots:
    // 200 layers and a mask used by each: without a bus its 200 edges spanned 1 + 2 + ... + 200 layer
    // ranks, 20,100 virtual nodes, and dot ran for more than 25 minutes in bench/run. On one bus the
    // Graphviz graph stays linear in the layers.
    void maskOfEveryLayerRidesOneBus() {
        const LayoutRequest r = maskedChain(200, kBusFanOut);
        const std::vector<Bus> buses = planBuses(r);
        QCOMPARE(buses.size(), std::size_t(1));
        QCOMPARE(buses[0].source, 200);
        QCOMPARE(buses[0].stops.size(), std::size_t(200));
        const LayoutResult out = computeLayout(r);
        QVERIFY2(out.error.isEmpty(), qPrintable(out.error));
        qInfo("200 layers: Graphviz edges span %ld ranks", out.rankSpan);
        QVERIFY2(out.rankSpan < 4 * static_cast<long>(r.items.size()),
                 qPrintable(QString::number(out.rankSpan)));
        checkRoutesJoinTheirEnds(r, out);
    }

    // Small enough for dot without a bus: the bus cuts the ranks spanned, and every edge still joins its
    // ends.
    void busAgainstNone() {
        const LayoutResult without = computeLayout(maskedChain(24, std::numeric_limits<std::size_t>::max()));
        const LayoutRequest r = maskedChain(24, kBusFanOut);
        const LayoutResult with = computeLayout(r);
        QVERIFY(without.error.isEmpty() && with.error.isEmpty());
        qInfo("24 layers: ranks spanned %ld with a bus, %ld without", with.rankSpan, without.rankSpan);
        QVERIFY2(2 * with.rankSpan < without.rankSpan,
                 qPrintable(QStringLiteral("%1 vs %2").arg(with.rankSpan).arg(without.rankSpan)));
        checkRoutesJoinTheirEnds(r, with);
    }

    // DenseNet: in a dense block every layer's output feeds every later layer. With buses the drawn
    // edges cross in no more places than without, and in fewer in the six-layer block (measured: 13
    // against 17 places; pairs of crossing edges count a bus once per edge riding it, so they are not
    // the measure here).
    void denseBlocksCrossNoMoreWithBuses() {
        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(openAndSettle(w, fixture("densenet_small.onnx")));
        GraphScene* scene = w.graphScene();
        auto measure = [&](std::size_t fanOut) {
            scene->setBusFanOut(fanOut);
            return w.waitUntilIdle(60000) ? countCrossingPlaces(w) : -1;
        };
        const std::size_t none = std::numeric_limits<std::size_t>::max();
        for (const char* scope : {"features.denseblock1", "features.denseblock2"}) {
            scene->collapseAll();
            QVERIFY(w.expandScope(QString::fromLatin1(scope)));
            QVERIFY(w.waitUntilIdle(60000));
            const int without = measure(none), with = measure(kBusFanOut);
            QVERIFY(without >= 0 && with >= 0);
            qInfo("%s: %d crossing places with buses, %d without", scope, with, without);
            QVERIFY2(with <= without, scope);
            if (QByteArray(scope) == "features.denseblock2") {
                QVERIFY(with < without);
                // The block's input feeds every layer and the final Concat along one bus: its shape is
                // written once (the other edges keep it in their tooltips).
                const std::vector<const EdgeItem*> items = edgeItems(*scene);
                std::map<int, std::pair<int, int>> ports; // in-port tensor -> edges, labelled ones
                for (std::size_t i = 0; i < items.size() && i < scene->drawnEdges().size(); ++i)
                    if (const GraphEntity from = scene->drawnEdges()[i].first;
                        from.kind == GraphEntity::InPort) {
                        ++ports[from.index].first;
                        ports[from.index].second += !items[i]->label().isEmpty();
                    }
                int fromPort = 0, labelled = 0;
                for (const auto& [tensor, counts] : ports)
                    if (counts.first > fromPort) std::tie(fromPort, labelled) = counts;
                QCOMPARE(fromPort, 7);
                QCOMPARE(labelled, 1);
            }
        }
        const Hierarchy& h = w.document()->hierarchy;
        for (int m = 1; m < static_cast<int>(h.modules.size()); ++m)
            scene->setExpanded(m, true);
        QVERIFY(w.waitUntilIdle(60000));
        const int without = measure(none), with = measure(kBusFanOut);
        qInfo("everything expanded: %d crossing places with buses, %d without", with, without);
        QVERIFY(with >= 0 && with <= without);
    }
};

QTEST_MAIN(TestEdgeCrossings)
#include "test_edge_crossings.moc"
