#pragma once
// Hierarchy sidecar files: ours (format 1.1), the seed's 1.0 form and the HTP metadata forms.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace hs {

class GraphIndex;
struct Hierarchy;
struct Model;

struct SidecarEntry {
    // What inference reads of every entry comes first, so that a pass over 126k of them touches three
    // cache lines of each, not seven: key, path, source, level, the flags and the suggestion.
    std::string key;    // node key (a node name in the older forms)
    std::string path;   // hierarchy path ("/BertModel/BertEncoder/BertLayer.0")
    std::string source; // as written: "manual", "name_scope", "exporter", ...
    std::string level;  // as written: "certain", "high", ... (may be empty)
    bool hasScope = false;
    bool conflict = false;
    // What an earlier sidecar (another tool's file, or the one ours was saved from) said of this node,
    // kept in every save (`sidecar_path`, `sidecar_scope`, `sidecar_source`, `sidecar_used`) so that
    // nothing it said is lost. hasSidecarScope: the claim is evidence and applies again when the file is
    // read (false for a claim the engine did not use, such as an exporter's "could not place it").
    bool hasSidecarScope = false;
    bool sidecarScopeKnown = false;
    bool hasSidecarClaim = false; // the earlier file spoke about the node at all
    // A deeper module the node probably belongs to, and why in words (Hierarchy::suggestionReason).
    std::string suggestedScope;
    std::string scope; // instance scope when the file gives one (hasScope)
    std::string moduleClass;
    std::string opType;
    double confidence = -1;                   // as written, -1 when absent
    std::vector<std::string> candidateScopes; // scopes claimed by conflicting sources (conflict)
    std::string sidecarScope;                 // the module the claim maps to
    std::string sidecarPath;                  // its hierarchy path, exactly as that file wrote it
    std::string sidecarSource;                // its source as written ("exporter_fallback"), may be empty
    std::string suggestedReason;
};

struct SidecarModule {
    std::string scope;
    std::string className;
    std::string path;
    std::string
        renamedFrom; // `renamed_from`: the scope the model's own evidence gives it (Module::evidenceScope)
};

// The node of each entry in the model a sidecar was read for (readSidecarFor found them): inference
// takes them instead of looking every key up again (deep-1000: 126k keys, their strings and the graph's
// read from memory, a third of what the sidecar added to inference). They apply to that model only (the
// same Model object, which a GraphIndex built from it indexes alike) and while there is one per entry:
// code that changes entries' keys or order clears them (bindSidecarKeys, keepMatchingEntries do).
struct SidecarNodes {
    std::weak_ptr<const Model> model;
    std::vector<int> of; // per entry
};

struct Sidecar {
    std::string filePath;    // where it was read from
    std::string format;      // "1.1", "1.0" or "htp"
    std::string onnxModel;   // model file name it was written for, when given
    std::string modelDigest; // "sha256:..." when given
    std::string generator;   // "hierscope" in files this project's CLI and GUI write
    std::vector<SidecarEntry> entries;
    std::vector<SidecarModule> modules;
    SidecarNodes nodes; // empty unless read for a model (readSidecarFor)
};

// Reads any supported form. Throws hs::Error naming the file and the problem.
Sidecar readSidecar(const std::string& path);

// Called while a sidecar is written: entries done, entries in all.
using SidecarProgress = std::function<void(std::size_t done, std::size_t total)>;

// Writes format 1.1 atomically: a temporary file in the same folder, flushed, then renamed over the
// target. A replaced file keeps its mode; a new one gets 0666 minus the umask, like any new file.
// Text from the model (node names, scopes) that is not valid UTF-8 is written escaped (`\xFF`).
// On failure the previous file is left intact and hs::Error is thrown. Linear in the entries.
void writeSidecar(const std::string& path, const Sidecar& sidecar, const SidecarProgress& progress = {});

// Our format for the model's current hierarchy (manual edits included). `loaded` is the sidecar the
// hierarchy was built with, if any: every node it spoke about keeps that claim (sidecar_path,
// sidecar_scope, sidecar_source), whether the engine agreed with it, disagreed or did not use it.
Sidecar makeSidecar(const GraphIndex& graph, const Hierarchy& hierarchy, const Sidecar* loaded = nullptr);

// writeSidecar(path, makeSidecar(graph, hierarchy, loaded), progress), byte for byte, without the
// entries in memory: each is made and written in turn (a 126k-node model's entries were 60 MB, built,
// written and freed). What `tag` and the GUI's Save do.
void saveSidecar(const std::string& path, const GraphIndex& graph, const Hierarchy& hierarchy,
                 const Sidecar* loaded = nullptr, const SidecarProgress& progress = {});

// Suggestions taken in an earlier session (entries of source "suggestion": `tag --accept-suggestions`,
// the GUI's Accept Suggested) are taken again: a suggestion is not evidence, so inference alone leaves
// those nodes where it placed them. Only where the node is still inferred (or a fallback) above the module
// the entry names, so nothing the evidence now says is overruled. Returns how many were taken again;
// module summaries are refreshed when any was.
std::size_t retakeSuggestions(const GraphIndex& graph, const Sidecar& sidecar, Hierarchy& hierarchy);

// True for files this project's CLI and GUI wrote (format 1.1 and our generator or a structural
// digest): the only ones Save may replace in place. Another format, or another tool's 1.1 file (the
// PyTorch-side exporter's), is never rewritten without asking.
bool writtenByHierscope(const Sidecar& sidecar);

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

// Entries whose key is the escaped form of a node key that is not valid UTF-8 (what writeSidecar
// writes for it) get the node's own key back, so such nodes match when the file is read again.
void bindSidecarKeys(const GraphIndex& graph, Sidecar& sidecar);

// readSidecar + bindSidecarKeys + checkSidecar: the sidecar, ready for inferHierarchy, with the nodes
// its entries name (Sidecar::nodes). Throws hs::Error naming the file when it cannot be read or is for
// another model (the check's message).
Sidecar readSidecarFor(const GraphIndex& graph, const std::string& path);
// The same for a sidecar read already (readSidecar: the part that needs no model, so it may run while
// the model loads).
Sidecar fitToModel(const GraphIndex& graph, Sidecar sidecar);

// The sidecar's nodes (one per entry, -1 for a key the model lacks) when they were found in this graph's
// model; nullptr otherwise (then each key must be looked up).
const std::vector<int>* boundNodes(const GraphIndex& graph, const Sidecar& sidecar);

// A sidecar written for a related model (another opset, a re-export): only the entries whose keys name
// nodes of this graph are kept (positional "#12" keys never: they are places in the other graph, not
// names), and the digest is cleared, so that what matches applies. Returns how many
// entries were dropped. Keys must be bound first (bindSidecarKeys).
std::size_t keepMatchingEntries(const GraphIndex& graph, Sidecar& sidecar);

// readSidecarFor for a related model: its matching entries only (keepMatchingEntries). Throws hs::Error
// when none names a node of the model. `summary` gets "applied 180 of 214 entries of f.json (34 name
// nodes this model does not have)".
Sidecar readMatchingPartFor(const GraphIndex& graph, const std::string& path, std::string& summary);
// The same for a sidecar read already.
Sidecar matchingPartFor(const GraphIndex& graph, Sidecar sidecar, std::string& summary);

// "sha256:<hex>" over the graph structure (op types and tensor names in order), not the weights.
// Computed once per loaded model and remembered while the model lives (thread-safe).
std::string modelDigest(const GraphIndex& graph);

} // namespace hs
