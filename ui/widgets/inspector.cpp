#include "widgets/inspector.h"

#include "document/comparison.h"
#include "document/model_document.h"
#include "itemmodels/module_tree_model.h"
#include "style/confidence.h"

#include <QUrl>

namespace hs::ui {

namespace {

QString esc(const std::string& s) {
    return QString::fromStdString(s).toHtmlEscaped();
}

QString row(const QString& label, const QString& value) {
    return QStringLiteral("<tr><td style='color:#475569; padding-right:8px'>%1</td><td>%2</td></tr>")
        .arg(label, value);
}

QString moduleLink(const Hierarchy& h, int module) {
    const Module& m = h.modules[static_cast<std::size_t>(module)];
    const QString text = m.scope.empty() ? QStringLiteral("(root)") : esc(m.scope);
    return QStringLiteral("<a href='module:%1'>%2</a>").arg(module).arg(text);
}

QString tensorRows(const GraphIndex& g, const std::vector<std::string>& names) {
    QString html;
    for (const std::string& name : names) {
        QString type;
        const int t = g.findTensor(name);
        if (t >= 0 && g.tensor(t).info)
            type = QString::fromStdString(formatType(g.tensor(t).info->type));
        else if (t >= 0 && g.tensor(t).init) {
            QStringList dims;
            for (auto d : g.tensor(t).init->dims)
                dims << QString::number(d);
            type = QStringLiteral("%1[%2] (initializer)")
                       .arg(QString::fromLatin1(dataTypeName(g.tensor(t).init->dataType)),
                            dims.join(QLatin1Char(',')));
        }
        html += QStringLiteral("<li><code>%1</code> %2</li>")
                    .arg(name.empty() ? QStringLiteral("(none)") : esc(name), type.toHtmlEscaped());
    }
    return html.isEmpty() ? QStringLiteral("<li>(none)</li>") : html;
}

} // namespace

QString nodeDetailsHtml(const ModelDocument& doc, int node) {
    const GraphIndex& g = *doc.graph;
    const Hierarchy& h = doc.hierarchy;
    const Node& n = g.node(node);
    const Assignment& a = h.assignments[static_cast<std::size_t>(node)];
    const Module& m = h.modules[static_cast<std::size_t>(a.module)];
    const Confidence c = confidenceOf(a);
    QString html = QStringLiteral("<h3>%1</h3><table>").arg(esc(n.opType));
    html += row(QStringLiteral("Key"), QStringLiteral("<code>%1</code>").arg(esc(g.key(node))));
    html += row(QStringLiteral("Name"), n.name.empty() ? QStringLiteral("(empty)") : esc(n.name));
    html += row(QStringLiteral("Op"),
                esc(n.opType) + (n.domain.empty() ? QString() : QStringLiteral(" (%1)").arg(esc(n.domain))));
    html += row(QStringLiteral("Module"),
                moduleLink(h, a.module) +
                    (m.className.empty() ? QString() : QStringLiteral(" (%1)").arg(esc(m.className))));
    html += row(QStringLiteral("Path"), esc(m.path));
    html += row(QStringLiteral("Confidence"), QStringLiteral("<b style='color:%1'>%2</b> (score %3)")
                                                  .arg(confidenceColor(c).name(), confidenceLabel(c))
                                                  .arg(a.score, 0, 'f', 2));
    html += row(QStringLiteral("Source"), QString::fromLatin1(sourceName(a.source)));
    html += QStringLiteral("</table><h4>Why is this node here?</h4><p>%1</p>").arg(esc(h.explain(g, node)));
    // A vague node's suggestion: where it probably belongs, deeper; accepting it is a manual re-tag.
    if (a.suggestion.module >= 0)
        html +=
            QStringLiteral("<p><b>Probably in</b> %1: %2. <a href='accept:%3'>[accept suggestion]</a></p>")
                .arg(moduleLink(h, a.suggestion.module), esc(h.suggestionReason(g, node)))
                .arg(a.suggestion.module);
    if (!a.candidates.empty()) {
        html += QStringLiteral("<h4>%1</h4><ul>")
                    .arg(a.conflict ? QStringLiteral("Conflicting claims") : QStringLiteral("Claims"));
        for (const Candidate& cand : a.candidates) {
            html += QStringLiteral("<li>%1 — %2, %3")
                        .arg(moduleLink(h, cand.module), QString::fromLatin1(sourceName(cand.source)),
                             esc(h.describe(g, cand)));
            if (a.conflict && cand.module != a.module)
                html += QStringLiteral(" <a href='accept:%1'>[accept]</a>").arg(cand.module);
            html += QStringLiteral("</li>");
        }
        html += QStringLiteral("</ul>");
    }
    html += QStringLiteral("<h4>Inputs</h4><ul>%1</ul>").arg(tensorRows(g, n.inputs));
    html += QStringLiteral("<h4>Outputs</h4><ul>%1</ul>").arg(tensorRows(g, n.outputs));
    if (!n.attributes.empty()) {
        html += QStringLiteral("<h4>Attributes</h4><table>");
        for (const Attribute& attr : n.attributes)
            html += row(esc(attr.name), esc(attr.summary));
        html += QStringLiteral("</table>");
    }
    return html;
}

QString moduleDetailsHtml(const ModelDocument& doc, int module) {
    const Hierarchy& h = doc.hierarchy;
    const Module& m = h.modules[static_cast<std::size_t>(module)];
    QString html =
        QStringLiteral("<h3>%1</h3><table>").arg(m.name.empty() ? QStringLiteral("(root)") : esc(m.name));
    html +=
        row(QStringLiteral("Class"), m.className.empty() ? QStringLiteral("(unknown)") : esc(m.className));
    html += row(QStringLiteral("Scope"), QStringLiteral("<code>%1</code>").arg(esc(m.scope)));
    html += row(QStringLiteral("Path"), esc(m.path));
    if (m.parent >= 0) html += row(QStringLiteral("Parent"), moduleLink(h, m.parent));
    html += row(QStringLiteral("Nodes"),
                QStringLiteral("%1 own, %2 in total").arg(m.nodes.size()).arg(m.totalNodes));
    html += row(QStringLiteral("Child modules"), QString::number(m.children.size()));
    html += row(
        QStringLiteral("Parameters"),
        QStringLiteral("%1 own, %2 in total").arg(formatCount(m.parameters), formatCount(m.totalParameters)));
    const Confidence c = confidenceOf(m.lowestLevel);
    html +=
        row(QStringLiteral("Lowest confidence"),
            QStringLiteral("<b style='color:%1'>%2</b>").arg(confidenceColor(c).name(), confidenceLabel(c)));
    html += row(QStringLiteral("Uncertain nodes"), QString::number(m.uncertainNodes));
    return html + QStringLiteral("</table>");
}

Inspector::Inspector(QWidget* parent) : QTextBrowser(parent) {
    setOpenLinks(false);
    connect(this, &QTextBrowser::anchorClicked, this, &Inspector::onAnchor);
}

void Inspector::setDocument(const ModelDocument* doc) {
    doc_ = doc;
    node_ = module_ = -1;
    clear();
}

void Inspector::showNode(int node) {
    node_ = node;
    module_ = -1;
    refresh();
}

void Inspector::showModule(int module) {
    module_ = module;
    node_ = -1;
    refresh();
}

void Inspector::refresh() {
    if (!doc_) return clear();
    if (node_ >= 0)
        setHtml(nodeDetailsHtml(*doc_, node_));
    else if (module_ >= 0)
        setHtml(moduleDetailsHtml(*doc_, module_) +
                (comparison_ ? comparisonHtml(*comparison_, module_) : QString()));
    else
        clear();
}

void Inspector::onAnchor(const QUrl& url) {
    const QString s = url.toString();
    const int value = s.section(QLatin1Char(':'), 1).toInt();
    if (s.startsWith(QLatin1String("accept:")) && node_ >= 0)
        emit acceptCandidate(node_, value);
    else if (s.startsWith(QLatin1String("module:")))
        emit moduleLinkActivated(value);
}

} // namespace hs::ui
