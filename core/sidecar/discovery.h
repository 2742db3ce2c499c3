#pragma once
// Which sidecar belongs to a model when none is named: one rule for the CLI and the GUI.
//
// With `base` the model's path without its `.onnx` extension, the first of these files that exists:
//   1. <base>.hierarchy.json       what `hierscope-cli tag`, the GUI's Save and extraction write
//   2. <base>_hierarchy.json       the older exporter's name
//   3. <base>.sidecar.json, <base>_sidecar.json, <base>_seed_sidecar.json, <base>_htp_sidecar.json
//                                  names used for sidecars of other formats (the bundled sample's)
// Only these exact names: a sidecar of another model in the same folder is never picked up by accident.
#include "sidecar/sidecar.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hs {

class GraphIndex;

// The names above, in order, whether they exist or not.
std::vector<std::string> sidecarCandidates(const std::string& modelPath);
// The first candidate that exists (a regular file), or "" when there is none.
std::string findSidecarBeside(const std::string& modelPath);
// Where a sidecar of ours is saved by default: candidate 1.
std::string defaultSidecarPath(const std::string& modelPath);

// The sidecar a model is opened with: the one given (it must fit: hs::Error otherwise), else the one
// found beside the model, applied when it fits (when not, `note` says why and none is applied).
// `matchingOnly` (a sidecar given for a related model, the user agreed): only its entries whose keys
// match apply (readMatchingPartFor), and `partial` says how many.
struct ChosenSidecar {
    std::optional<Sidecar> sidecar; // read, keys bound, checked
    std::string path;               // given or found, "" when none
    bool foundBeside = false;
    std::string note;    // why a sidecar found beside the model was not applied
    std::string partial; // "applied 180 of 214 entries of f.json (...)" when matchingOnly
};
ChosenSidecar chooseSidecar(const GraphIndex& graph, const std::string& modelPath, const std::string& given,
                            bool matchingOnly = false);

// chooseSidecar in two halves, so that the sidecar is read while the model loads: the constructor chooses
// the file and, when it is a regular file and the machine has a second core, reads it (readSidecar needs
// no model) on another thread; finish() waits for it and fits it to the graph as chooseSidecar does, with the
// same results and errors. A sidecar as big as deep-1000's (40 MB, 126k entries) takes about as long to read
// as the model to open. Not finished (the model failed to load), it waits for the read and drops it, errors
// included.
class SidecarReading {
public:
    SidecarReading(const std::string& modelPath, const std::string& given, bool matchingOnly = false);
    ~SidecarReading();

    ChosenSidecar finish(const GraphIndex& graph); // once

private:
    struct Read;
    std::unique_ptr<Read> read_;
};

} // namespace hs
