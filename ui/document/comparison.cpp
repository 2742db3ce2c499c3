#include "document/comparison.h"

#include "document/model_document.h"
#include "itemmodels/module_tree_model.h"

#include <QFileInfo>

namespace hs::ui {

namespace {

QString esc(const std::string& s) {
    return QString::fromStdString(s).toHtmlEscaped();
}

QString opsHtml(const std::vector<OpCount>& ops) {
    if (ops.empty()) return QStringLiteral("<i>none</i>");
    QStringList items;
    for (const OpCount& op : ops)
        items << (op.count > 1 ? QStringLiteral("%1&nbsp;\u00d7%2").arg(esc(op.opType)).arg(op.count)
                               : esc(op.opType));
    return items.join(QStringLiteral(", "));
}

QString fileName(const ModelDocument& doc) {
    return QFileInfo(doc.modelPath).fileName().toHtmlEscaped();
}

} // namespace

const ModuleDelta* Comparison::deltaFor(int module) const {
    if (module < 0 || static_cast<std::size_t>(module) >= deltaOfModule.size()) return nullptr;
    const int d = deltaOfModule[static_cast<std::size_t>(module)];
    return d < 0 ? nullptr : &result.modules[static_cast<std::size_t>(d)];
}

std::shared_ptr<Comparison> compareDocuments(const ModelDocument& primary,
                                             std::shared_ptr<const ModelDocument> other) {
    auto c = std::make_shared<Comparison>();
    c->result = compareHierarchies({*primary.graph, primary.hierarchy}, {*other->graph, other->hierarchy});
    c->other = std::move(other);
    c->deltaOfModule.assign(primary.hierarchy.modules.size(), -1);
    for (std::size_t k = 0; k < c->result.modules.size(); ++k) {
        const int a = c->result.modules[k].moduleA;
        if (a >= 0) c->deltaOfModule[static_cast<std::size_t>(a)] = static_cast<int>(k);
    }
    return c;
}

QString deltaText(std::uint64_t a, std::uint64_t b, bool asCount) {
    const QString left = asCount ? QString::number(a) : formatCount(a);
    const QString right = asCount ? QString::number(b) : formatCount(b);
    return a == b ? left : QStringLiteral("%1 \u2192 %2").arg(left, right);
}

QString comparisonHtml(const Comparison& c, int module) {
    const ModuleDelta* d = c.deltaFor(module);
    if (!d) return {};
    QString html = QStringLiteral("<h4>Compared with %1</h4>").arg(fileName(*c.other));
    if (d->match == ModuleMatch::Removed)
        return html + QStringLiteral("<p><b>Only in this model</b> (not in %1): %2</p>")
                          .arg(fileName(*c.other), esc(d->summary));
    if (!d->scopeB.empty())
        html += QStringLiteral("<p>There: <code>%1</code> (matched by %2)</p>")
                    .arg(esc(d->scopeB), QString::fromLatin1(moduleMatchName(d->match)));
    html += QStringLiteral("<p>%1</p>")
                .arg(d->changed          ? QStringLiteral("<b>Changed:</b> %1").arg(esc(d->summary))
                     : d->subtreeChanged ? QStringLiteral("Its own ops are the same; a module below changed.")
                                         : QStringLiteral("No change."));
    html += QStringLiteral("<table><tr><td></td><td><b>this model</b></td><td><b>%1</b></td></tr>")
                .arg(fileName(*c.other));
    html += QStringLiteral("<tr><td>Own ops</td><td>%1</td><td>%2</td></tr>")
                .arg(opsHtml(d->opsA), opsHtml(d->opsB));
    html += QStringLiteral("<tr><td>Nodes</td><td>%1 own, %2 in total</td><td>%3 own, %4 in total</td></tr>")
                .arg(d->nodesA)
                .arg(d->totalNodesA)
                .arg(d->nodesB)
                .arg(d->totalNodesB);
    html += QStringLiteral("<tr><td>Parameters</td><td>%1</td><td>%2</td></tr></table>")
                .arg(formatCount(d->totalParametersA), formatCount(d->totalParametersB));
    QStringList onlyInB;
    for (int k : d->children) {
        const ModuleDelta& child = c.result.modules[static_cast<std::size_t>(k)];
        if (child.match == ModuleMatch::Added)
            onlyInB << QStringLiteral("<code>%1</code> (%2)").arg(esc(child.scope), esc(child.summary));
    }
    if (!onlyInB.isEmpty())
        html += QStringLiteral("<p>Only in %1: %2</p>")
                    .arg(fileName(*c.other), onlyInB.join(QStringLiteral(", ")));
    if (d->movedIn || d->movedOut)
        html +=
            QStringLiteral("<p>%1 named node(s) came here from another module, %2 went to another one.</p>")
                .arg(d->movedIn)
                .arg(d->movedOut);
    return html;
}

} // namespace hs::ui
