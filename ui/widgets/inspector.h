#pragma once
// Inspector dock contents: everything known about one node ("why is this node here?") or module.
#include <QTextBrowser>

namespace hs::ui {

struct ModelDocument;
struct Comparison;

QString nodeDetailsHtml(const ModelDocument& doc, int node);
QString moduleDetailsHtml(const ModelDocument& doc, int module);

class Inspector : public QTextBrowser {
    Q_OBJECT
public:
    explicit Inspector(QWidget* parent = nullptr);
    void setDocument(const ModelDocument* doc);
    // While comparing: a module's page ends with both sides' ops (comparison.h); nullptr stops it.
    void setComparison(const Comparison* comparison) { comparison_ = comparison; }
    void showNode(int node);
    void showModule(int module);
    void refresh(); // the shown entity changed (re-tagging)
    int shownNode() const { return node_; }
    int shownModule() const { return module_; }
signals:
    void acceptCandidate(int node, int module); // the user picked one claim of a conflict
    void moduleLinkActivated(int module);

private:
    void onAnchor(const QUrl& url);
    const ModelDocument* doc_ = nullptr;
    const Comparison* comparison_ = nullptr;
    int node_ = -1, module_ = -1;
};

} // namespace hs::ui
