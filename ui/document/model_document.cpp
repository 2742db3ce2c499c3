#include "document/model_document.h"

#include "common/error.h"
#include "common/huge_pages.h"
#include "sidecar/discovery.h"
#include "sidecar/sidecar.h"

#include <QFileInfo>
#include <algorithm>

namespace hs::ui {

QString defaultSidecarPath(const QString& modelPath) {
    return QString::fromStdString(hs::defaultSidecarPath(modelPath.toStdString()));
}

QString findSidecarBeside(const QString& modelPath) {
    return QString::fromStdString(hs::findSidecarBeside(modelPath.toStdString()));
}

// The sidecar given, or found beside the model, applied to the document when it fits.
static void chooseDocumentSidecar(ModelDocument& doc, SidecarReading& reading) {
    try {
        ChosenSidecar chosen = reading.finish(*doc.graph);
        doc.sidecarPartial = QString::fromStdString(chosen.partial);
        if (!chosen.note.empty())
            doc.sidecarNote =
                QStringLiteral("Sidecar not applied: %1").arg(QString::fromStdString(chosen.note));
        if (!chosen.sidecar) return;
        const QString path = QFileInfo(QString::fromStdString(chosen.path)).absoluteFilePath();
        doc.sidecarPath = path;
        doc.sidecarFoundBeside = chosen.foundBeside;
        if (writtenByHierscope(*chosen.sidecar)) doc.ownSidecarPath = path;
        doc.sidecar = std::make_shared<const Sidecar>(std::move(*chosen.sidecar));
    } catch (const Error& e) {
        doc.sidecarNote = QStringLiteral("Sidecar not applied: %1").arg(QString::fromStdString(e.what()));
    }
}

std::shared_ptr<ModelDocument> loadModelDocument(const QString& modelPath, const QString& sidecarPath,
                                                 bool matchingOnly) {
    // The GUI opens on a pool thread, whose allocations glibc takes from an arena without huge pages.
    adviseHugePagesForThisThread();
    auto doc = std::make_shared<ModelDocument>();
    doc->modelPath = QFileInfo(modelPath).absoluteFilePath();
    try {
        // The sidecar is read while the model loads.
        SidecarReading sidecarReading(modelPath.toStdString(), sidecarPath.toStdString(), matchingOnly);
        doc->model = loadModel(modelPath.toStdString());
        doc->graph = std::make_unique<GraphIndex>(doc->model);
        chooseDocumentSidecar(*doc, sidecarReading);
        doc->hierarchy = inferHierarchy(*doc->graph, doc->sidecar.get());
        if (doc->sidecar) retakeSuggestions(*doc->graph, *doc->sidecar, doc->hierarchy); // as the CLI does
        // Kept for the claims it carries into every save. A file of ours without any (the usual case)
        // adds nothing to what the hierarchy now says: not kept (100k+ entries on big models).
        if (doc->sidecar && writtenByHierscope(*doc->sidecar) &&
            std::none_of(doc->sidecar->entries.begin(), doc->sidecar->entries.end(),
                         [](const SidecarEntry& e) { return e.hasSidecarClaim; }))
            doc->sidecar.reset();
    } catch (const std::exception& e) {
        // hs::Error messages name the file already; anything else (bad_alloc, ...) gets the path added.
        const bool named = dynamic_cast<const Error*>(&e) != nullptr;
        doc->error = named ? QString::fromStdString(e.what())
                           : QStringLiteral("Cannot open %1: %2").arg(modelPath, QString::fromUtf8(e.what()));
    }
    return doc;
}

} // namespace hs::ui
