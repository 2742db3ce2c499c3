#pragma once
// Hierarchy sidecar files: ours (format 1.1), the seed's 1.0 form and the HTP metadata forms.
#include <cstddef>
#include <string>
#include <vector>

namespace hs {

class GraphIndex;
struct Hierarchy;

struct SidecarEntry {
    std::string key;   // node key (a node name in the older forms)
    std::string scope; // instance scope when the file gives one
    bool hasScope = false;
    std::string path; // hierarchy path ("/BertModel/BertEncoder/BertLayer.0")
    std::string moduleClass;
    std::string opType;
    std::string source;     // as written: "manual", "name_scope", "exporter", ...
    std::string level;      // as written: "certain", "high", ... (may be empty)
    double confidence = -1; // as written, -1 when absent
    bool conflict = false;
    std::vector<std::string> candidateScopes; // scopes claimed by conflicting sources
    // What an earlier sidecar said of this node, kept so that re-reading our own file re-applies it.
    std::string sidecarScope;
    bool hasSidecarScope = false;
};

struct SidecarModule {
    std::string scope;
    std::string className;
    std::string path;
};

struct Sidecar {
    std::string filePath;    // where it was read from
    std::string format;      // "1.1", "1.0" or "htp"
    std::string onnxModel;   // model file name it was written for, when given
    std::string modelDigest; // "sha256:..." when given
    std::vector<SidecarEntry> entries;
    std::vector<SidecarModule> modules;
};

// Reads any supported form. Throws hs::Error naming the file and the problem.
Sidecar readSidecar(const std::string& path);

// Writes format 1.1 atomically: a temporary file in the same folder, flushed, then renamed over the
// target. On failure the previous file is left intact and hs::Error is thrown.
void writeSidecar(const std::string& path, const Sidecar& sidecar);

// Our format for the model's current hierarchy (manual edits included).
Sidecar makeSidecar(const GraphIndex& graph, const Hierarchy& hierarchy);

struct SidecarCheck {
    bool applicable = true;
    bool digestMismatch = false;
    std::size_t matchedKeys = 0;
    std::size_t unknownKeys = 0;
    std::vector<std::string> unknownExamples; // up to 5
    std::string message;                      // one line for the user when not applicable
};

// Is this sidecar for this model? A digest that differs, or any node key the model does not have,
// makes it not applicable; the message gives counts and examples.
SidecarCheck checkSidecar(const GraphIndex& graph, const Sidecar& sidecar);

// "sha256:<hex>" over the graph structure (op types and tensor names in order), not the weights.
std::string modelDigest(const GraphIndex& graph);

} // namespace hs
