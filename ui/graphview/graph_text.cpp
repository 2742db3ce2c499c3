#include "graphview/graph_text.h"

#include "analysis/tensor_types.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "model/model.h"

#include <QStringList>

namespace hs::ui::graph_text {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

// The last segment of a node name ("/encoder/layer.0/attention/self/MatMul_1" -> "MatMul_1").
QString shortNodeName(const GraphIndex& graph, int node) {
    QString name = qs(graph.node(node).name);
    if (name.isEmpty()) name = qs(graph.key(node));
    const int slash = name.lastIndexOf(QLatin1Char('/'));
    if (slash >= 0 && slash + 1 < name.size()) name = name.mid(slash + 1);
    return name.size() > 28 ? name.left(26) + QStringLiteral("…") : name;
}

QString moduleTitle(const Module& m) {
    return m.name.empty() ? QStringLiteral("(root)") : qs(m.name);
}

QString moduleSubtitle(const Module& m) {
    const QString count =
        m.totalNodes == 1 ? QStringLiteral("1 node") : QStringLiteral("%1 nodes").arg(m.totalNodes);
    return m.className.empty() ? count : qs(m.className) + QStringLiteral(" · ") + count;
}

QString frameTitle(const Module& m) {
    const QString title = moduleTitle(m);
    return m.className.empty() ? title : title + QStringLiteral("  (%1)").arg(qs(m.className));
}

// A model input or output by its tensor name, shortened like node names.
QString terminalName(const std::string& name) {
    QString text = qs(name);
    return text.size() > 32 ? text.left(30) + QStringLiteral("…") : text;
}

// "[batch, 128, 32]" for a float tensor, "int64 [2]" otherwise; empty when no shape is declared.
QString tensorShapeLabel(const GraphIndex& g, int tensor, const TensorTypes* types) {
    if (tensor < 0) return {};
    const TensorEntry& t = g.tensor(tensor);
    TensorType type;
    const bool inferred = types && types->origin(tensor) == TypeOrigin::Inferred;
    if (inferred)
        type = types->type(tensor);
    else if (t.info)
        type = t.info->type;
    else if (t.init) {
        type.elemType = t.init->dataType;
        type.hasShape = true;
        for (std::int64_t d : t.init->dims)
            type.dims.push_back({d, {}});
    }
    if (!type.hasShape) return {};
    QStringList dims;
    for (const Dim& d : type.dims)
        dims << (d.value >= 0       ? QString::number(d.value)
                 : !d.param.empty() ? qs(d.param)
                                    : QStringLiteral("?"));
    QString text = QStringLiteral("[%1]").arg(dims.join(QStringLiteral(", ")));
    if (type.elemType != 1 && type.elemType != 0)
        text = QString::fromLatin1(dataTypeName(type.elemType)) + QLatin1Char(' ') + text;
    if (inferred) text = QStringLiteral("≈ ") + text;
    return text.size() > 40 ? text.left(38) + QStringLiteral("…") : text;
}

} // namespace hs::ui::graph_text
