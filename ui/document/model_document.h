#pragma once
// One opened model as the GUI holds it: the core's model, graph index and hierarchy, plus where it
// came from. Built on a worker thread by loadModelDocument(), then owned and edited on the UI thread.
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "model/model.h"

#include <QString>
#include <memory>

namespace hs {
struct Sidecar;
}

namespace hs::ui {

struct CostAnalysis;
struct ProfileTimes;

struct ModelDocument {
    QString modelPath;
    QString sidecarPath;             // the sidecar that was applied; empty when none
    QString sidecarNote;             // why a sidecar was not applied, for the user; empty when nothing to say
    QString sidecarPartial;          // "applied 180 of 214 entries of ..." for a related model's sidecar
    bool sidecarFoundBeside = false; // applied without being named (sidecar discovery)
    // The applied sidecar as read: its claims go into every save (saveSidecar's `loaded`). Null when
    // none was applied, or when it is a file of ours that carries no claim of another file.
    std::shared_ptr<const Sidecar> sidecar;
    // The file Save may replace without asking: a sidecar of ours that was applied, or the one the
    // last save of this session wrote. Empty when Save must write beside the model (or ask).
    QString ownSidecarPath;
    std::shared_ptr<const Model> model;
    std::unique_ptr<GraphIndex> graph;
    Hierarchy hierarchy;
    QString error; // set instead of the rest when the model could not be opened
    // Set on the UI thread once the background analysis is done (cost_analysis.h); null until then.
    std::shared_ptr<CostAnalysis> analysis;
    // A loaded ONNX Runtime profile matched to this model (File > Load Profile...); null without one.
    std::shared_ptr<ProfileTimes> profile;
};

// Opens a model and infers its hierarchy. Never throws: failures land in error / sidecarNote.
// An explicit sidecar that does not fit the model is reported and not applied; without one, a
// sidecar found beside the model (the CLI's rule) is applied when it fits. Either is read while the model
// loads (core's SidecarReading).
// `matchingOnly`: the sidecar was written for a related model; its entries whose keys match apply.
std::shared_ptr<ModelDocument> loadModelDocument(const QString& modelPath, const QString& sidecarPath,
                                                 bool matchingOnly = false);

// Where Save writes by default: <model>.hierarchy.json (the CLI's choice too; core/sidecar/discovery.h).
QString defaultSidecarPath(const QString& modelPath);
// An existing sidecar beside the model by core's rule (core/sidecar/discovery.h), or an empty string.
QString findSidecarBeside(const QString& modelPath);

} // namespace hs::ui
