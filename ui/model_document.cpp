#include "model_document.h"

#include "error.h"
#include "sidecar.h"

#include <QFileInfo>
#include <optional>

namespace hs::ui {

static QString baseWithoutOnnx(const QString& modelPath) {
    QString base = modelPath;
    if (base.endsWith(QLatin1String(".onnx"), Qt::CaseInsensitive)) base.chop(5);
    return base;
}

QString defaultSidecarPath(const QString& modelPath) {
    return baseWithoutOnnx(modelPath) + QStringLiteral(".hierarchy.json");
}

QString findSidecarBeside(const QString& modelPath) {
    const QString base = baseWithoutOnnx(modelPath);
    for (const QString& candidate :
         {base + QStringLiteral(".hierarchy.json"), base + QStringLiteral("_hierarchy.json")})
        if (QFileInfo::exists(candidate)) return candidate;
    return {};
}

// Reads and checks a sidecar; returns it only when it fits the model, otherwise explains in note.
static std::optional<Sidecar> fittingSidecar(const GraphIndex& graph, const QString& path, QString& note) {
    try {
        Sidecar sidecar = readSidecar(path.toStdString());
        SidecarCheck check = checkSidecar(graph, sidecar);
        if (check.applicable) return sidecar;
        note = QStringLiteral("Sidecar not applied: %1").arg(QString::fromStdString(check.message));
    } catch (const Error& e) {
        note = QStringLiteral("Sidecar not applied: %1").arg(QString::fromStdString(e.what()));
    }
    return std::nullopt;
}

std::shared_ptr<ModelDocument> loadModelDocument(const QString& modelPath, const QString& sidecarPath) {
    auto doc = std::make_shared<ModelDocument>();
    doc->modelPath = QFileInfo(modelPath).absoluteFilePath();
    try {
        doc->model = loadModel(modelPath.toStdString());
        doc->graph = std::make_unique<GraphIndex>(doc->model);
        const QString offered = sidecarPath.isEmpty() ? findSidecarBeside(modelPath) : sidecarPath;
        std::optional<Sidecar> sidecar;
        if (!offered.isEmpty()) sidecar = fittingSidecar(*doc->graph, offered, doc->sidecarNote);
        if (sidecar) doc->sidecarPath = QFileInfo(offered).absoluteFilePath();
        doc->hierarchy = inferHierarchy(*doc->graph, sidecar ? &*sidecar : nullptr);
    } catch (const std::exception& e) {
        // hs::Error messages name the file already; anything else (bad_alloc, ...) gets the path added.
        const bool named = dynamic_cast<const Error*>(&e) != nullptr;
        doc->error = named ? QString::fromStdString(e.what())
                           : QStringLiteral("Cannot open %1: %2").arg(modelPath, QString::fromUtf8(e.what()));
    }
    return doc;
}

} // namespace hs::ui
