// ModuleTreeModel over real hierarchies: Qt's model tester, and the tree mirrors the core's tree.
#include "../model_paths.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "itemmodels/module_tree_model.h"
#include "model/model.h"

#include <QAbstractItemModelTester>
#include <QtTest>

using namespace hs;
using namespace hs::ui;

namespace {
struct Loaded {
    std::unique_ptr<GraphIndex> graph;
    Hierarchy hierarchy;
};

Loaded load(const QString& path) {
    Loaded l;
    l.graph = std::make_unique<GraphIndex>(loadModel(path.toStdString()));
    l.hierarchy = inferHierarchy(*l.graph);
    return l;
}
} // namespace

class TestModuleTree : public QObject {
    Q_OBJECT
private slots:
    void modelTester_data();
    void modelTester();
    void topLevelIsRootChildren();
    void filterKeepsAncestors();
    void marksUncertainModules();
};

void TestModuleTree::modelTester_data() {
    QTest::addColumn<QString>("path");
    QTest::newRow("bert_like_op17") << QStringLiteral(HS_FIXTURES "/bert_like_op17.onnx");
    QTest::newRow("fastestdet") << QString::fromStdString(hstest::sharedModel("fastestdet_torch2.0.onnx"));
    QTest::newRow("silero_vad") << QString::fromStdString(
        hstest::sharedModel("silero_vad_16k_op15_torch2.3.onnx"));
}

void TestModuleTree::modelTester() {
    QFETCH(QString, path);
    Loaded l = load(path);
    ModuleTreeModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setHierarchy(&l.hierarchy);
    ModuleFilterModel filter;
    QAbstractItemModelTester filterTester(&filter, QAbstractItemModelTester::FailureReportingMode::QtTest);
    filter.setSourceModel(&model);
    filter.setFilterFixedString(QStringLiteral("conv"));
    filter.setFilterFixedString(QString());
    model.refreshSummaries();
    model.setHierarchy(nullptr);
    QCOMPARE(model.rowCount(), 0);
}

void TestModuleTree::topLevelIsRootChildren() {
    Loaded l = load(QStringLiteral(HS_FIXTURES "/bert_like_op17.onnx"));
    ModuleTreeModel model;
    model.setHierarchy(&l.hierarchy);
    const auto& roots = l.hierarchy.modules[0].children;
    QCOMPARE(model.rowCount(), static_cast<int>(roots.size()));
    QStringList names;
    for (int row = 0; row < model.rowCount(); ++row) {
        const QModelIndex index = model.index(row, 0);
        QCOMPARE(index.data(ModuleTreeModel::ModuleRole).toInt(), roots[static_cast<std::size_t>(row)]);
        names << QString::fromStdString(l.hierarchy.modules[static_cast<std::size_t>(roots[row])].scope);
    }
    QCOMPARE(names, QStringList({"embeddings", "encoder", "pooler"}));
    // Children of encoder.layer.0 in the same order as the core.
    const int layer0 = l.hierarchy.findModule("encoder.layer.0");
    const QModelIndex layer0Index = model.indexOfModule(layer0);
    QCOMPARE(model.rowCount(layer0Index), static_cast<int>(l.hierarchy.modules[layer0].children.size()));
    QCOMPARE(model.parent(layer0Index), model.indexOfModule(l.hierarchy.findModule("encoder")));
    QCOMPARE(model.index(0, 0, layer0Index).data(ModuleTreeModel::ModuleRole).toInt(),
             l.hierarchy.findModule("encoder.layer.0.attention"));
}

void TestModuleTree::filterKeepsAncestors() {
    Loaded l = load(QStringLiteral(HS_FIXTURES "/bert_like_op17.onnx"));
    ModuleTreeModel model;
    model.setHierarchy(&l.hierarchy);
    ModuleFilterModel filter;
    filter.setSourceModel(&model);
    filter.setFilterFixedString(QStringLiteral("intermediate_act"));
    QCOMPARE(filter.rowCount(), 1); // only encoder remains at the top
    const QModelIndex encoder = filter.index(0, 0);
    QCOMPARE(encoder.data(ModuleTreeModel::ModuleRole).toInt(), l.hierarchy.findModule("encoder"));
    QCOMPARE(filter.rowCount(encoder), 2); // layer.0 and layer.1
}

void TestModuleTree::marksUncertainModules() {
    Loaded l = load(QStringLiteral(HS_FIXTURES "/bert_like_op17.onnx"));
    ModuleTreeModel model;
    model.setHierarchy(&l.hierarchy);
    int marked = 0;
    for (std::size_t m = 1; m < l.hierarchy.modules.size(); ++m) {
        const QModelIndex index = model.indexOfModule(static_cast<int>(m));
        const bool uncertain = l.hierarchy.modules[m].uncertainNodes > 0;
        QCOMPARE(!index.data(Qt::DecorationRole).value<QIcon>().isNull(), uncertain);
        marked += uncertain;
    }
    // The nodes column reads own / total like the CLI.
    const QModelIndex self = model.indexOfModule(l.hierarchy.findModule("encoder.layer.0.attention.self"),
                                                 ModuleTreeModel::NodesColumn);
    const Module& m = l.hierarchy.modules[l.hierarchy.findModule("encoder.layer.0.attention.self")];
    QCOMPARE(self.data().toString(), QStringLiteral("%1 / %2").arg(m.nodes.size()).arg(m.totalNodes));
    qInfo() << marked << "modules marked uncertain";
}

QTEST_MAIN(TestModuleTree)
#include "test_module_tree.moc"
