#include "graphview/graph_text.h"

#include "analysis/tensor_types.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "model/mapped_file.h"
#include "model/model.h"
#include "model/wire_reader.h"

#include <QStringList>
#include <cstring>

namespace hs::ui::graph_text {

QString qs(std::string_view s) {
    return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size()));
}

// The last segment of a node name ("/encoder/layer.0/attention/self/MatMul_1" -> "MatMul_1").
QString shortNodeName(const GraphIndex& graph, int node) {
    QString name = qs(graph.node(node).name);
    if (name.isEmpty()) name = qs(graph.key(node));
    const int slash = name.lastIndexOf(QLatin1Char('/'));
    if (slash >= 0 && slash + 1 < name.size()) name = name.mid(slash + 1);
    return name.size() > 28 ? name.left(26) + QStringLiteral("…") : name;
}

static bool isIndex(const QString& atom) {
    if (atom.isEmpty()) return false;
    for (QChar c : atom)
        if (!c.isDigit()) return false;
    return true;
}

QString moduleTitle(const Module& m) {
    if (m.name.empty()) return QStringLiteral("(root)");
    const QString name = qs(m.name);
    if (!isIndex(name)) return name;
    // Numbered children of a list read with their list: the scope's trailing numbers after its last name.
    const QStringList atoms = qs(m.scope).split(QLatin1Char('.'));
    int first = atoms.size();
    while (first > 0 && isIndex(atoms[first - 1]))
        --first;
    if (first == 0) return name;
    QString title = atoms[first - 1];
    for (int i = first; i < atoms.size(); ++i)
        title += QLatin1Char('[') + atoms[i] + QLatin1Char(']');
    return title;
}

// The op of a module holding one node (directly or in its only descendant), else nullptr.
static const std::string* singleOp(const Module& m, const Hierarchy& h, const GraphIndex& g) {
    if (m.totalNodes != 1) return nullptr;
    const Module* at = &m;
    while (at->nodes.empty() && at->children.size() == 1)
        at = &h.modules[static_cast<std::size_t>(at->children.front())];
    return at->nodes.size() == 1 ? &g.node(at->nodes.front()).opType : nullptr;
}

QString moduleSubtitle(const Module& m, const Hierarchy& h, const GraphIndex& g) {
    const std::string* op = singleOp(m, h, g);
    const QString count = op                  ? qs(*op)
                          : m.totalNodes == 1 ? QStringLiteral("1 node")
                                              : QStringLiteral("%1 nodes").arg(m.totalNodes);
    return m.className.empty() ? count : qs(m.className) + QStringLiteral(" · ") + count;
}

bool isSmallNode(const GraphIndex& g, int node) {
    return g.opKind(node) == OpKind::Constant || g.isWeightCopy(node);
}

namespace {

// The elements of a small TensorProto (at most 8; dims, type and inline data), as text; "" when it is
// larger, external or unreadable.
QString tensorValues(std::string_view tensor) {
    std::vector<std::int64_t> dims;
    int type = 0;
    std::string_view raw;
    std::vector<QString> values;
    try {
        wire::Reader r(tensor, 0);
        while (!r.atEnd()) {
            const wire::Field f = r.next();
            auto eachVarint = [&](auto use) {
                if (f.type == wire::Varint) return use(f.varint);
                std::string_view rest = f.bytes;
                while (!rest.empty()) {
                    std::uint64_t v = 0;
                    int shift = 0;
                    std::size_t used = 0;
                    for (; used < rest.size(); ++used, shift += 7) {
                        v |= std::uint64_t(std::uint8_t(rest[used]) & 0x7f) << shift;
                        if (!(std::uint8_t(rest[used]) & 0x80)) break;
                    }
                    use(v);
                    rest.remove_prefix(std::min(rest.size(), used + 1));
                }
            };
            switch (f.number) {
            case 1:
                eachVarint([&](std::uint64_t v) { dims.push_back(static_cast<std::int64_t>(v)); });
                break;
            case 2:
                type = static_cast<int>(f.varint);
                break;
            case 4: // float_data, packed
                for (std::size_t i = 0; i + 4 <= f.bytes.size(); i += 4) {
                    float v;
                    std::memcpy(&v, f.bytes.data() + i, 4);
                    values.push_back(QString::number(v, 'g', 4));
                }
                break;
            case 5: // int32_data
            case 7: // int64_data
                eachVarint([&](std::uint64_t v) {
                    values.push_back(QString::number(static_cast<std::int64_t>(v)));
                });
                break;
            case 9:
                raw = f.bytes;
                break;
            case 14: // data_location: external
                if (f.varint == 1) return {};
                break;
            default:
                break;
            }
        }
    } catch (const std::exception&) {
        return {};
    }
    std::int64_t count = 1;
    for (std::int64_t d : dims)
        count *= d;
    if (count > 8 || count < 0) return {};
    if (!raw.empty()) {
        auto read = [&](auto zero, int width, auto format) {
            for (std::size_t i = 0; i + width <= raw.size(); i += width) {
                decltype(zero) v;
                std::memcpy(&v, raw.data() + i, width);
                values.push_back(format(v));
            }
        };
        switch (type) {
        case 1:
            read(float(0), 4, [](float v) { return QString::number(v, 'g', 4); });
            break;
        case 11:
            read(double(0), 8, [](double v) { return QString::number(v, 'g', 4); });
            break;
        case 6:
            read(std::int32_t(0), 4, [](std::int32_t v) { return QString::number(v); });
            break;
        case 7:
            read(std::int64_t(0), 8, [](std::int64_t v) { return QString::number(v); });
            break;
        case 9:
            read(std::uint8_t(0), 1,
                 [](std::uint8_t v) { return v ? QStringLiteral("true") : QStringLiteral("false"); });
            break;
        default:
            return {};
        }
    }
    if (static_cast<std::int64_t>(values.size()) != count) return {};
    QStringList list;
    for (const QString& v : values)
        list << v;
    return dims.empty() ? list.value(0) : QStringLiteral("[%1]").arg(list.join(QStringLiteral(", ")));
}

// The `value` tensor attribute of a Constant NodeProto.
std::string_view constantTensor(std::string_view nodeProto) {
    try {
        wire::Reader r(nodeProto, 0);
        while (!r.atEnd()) {
            const wire::Field f = r.next();
            if (f.number != 5 || f.type != wire::LengthDelimited) continue; // attribute
            wire::Reader a(f.bytes, 0);
            std::string_view name, tensor;
            while (!a.atEnd()) {
                const wire::Field af = a.next();
                if (af.number == 1) name = af.bytes;
                if (af.number == 5) tensor = af.bytes;
            }
            if (name == "value") return tensor;
        }
    } catch (const std::exception&) {
    }
    return {};
}

} // namespace

QString smallNodeText(const Model& model, const GraphIndex& g, int node) {
    const Node& n = g.node(node);
    if (g.opKind(node) == OpKind::Identity) {
        const QString weight = qs(g.tensor(g.inputs(node)[0]).name);
        return weight.mid(weight.lastIndexOf(QLatin1Char('.')) + 1).left(24);
    }
    for (const Attribute& a : n.attributes) {
        if (a.name == "value" && model.file) {
            const QString values =
                tensorValues(constantTensor(model.file->bytes(n.span.offset, n.span.length)));
            if (!values.isEmpty()) return QStringLiteral("= ") + values;
        } else if (a.name.rfind("value_", 0) == 0 && a.summary.size() <= 40) {
            return QStringLiteral("= ") + qs(a.summary);
        }
    }
    // Too large to show: its type and shape ("float[64]").
    return n.attributes.empty() ? QString()
                                : qs(n.attributes.front().summary).remove(QStringLiteral("tensor ")).left(24);
}

QString frameTitle(const Module& m) {
    const QString title = moduleTitle(m);
    return m.className.empty() ? title : title + QStringLiteral("  (%1)").arg(qs(m.className));
}

// A model input or output by its tensor name, shortened like node names.
QString terminalName(std::string_view name) {
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
