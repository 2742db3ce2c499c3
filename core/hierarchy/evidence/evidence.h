#pragma once
// Explicit evidence about nodes (internal to hierarchy inference). Every evidence source is one
// function with the same signature: it reads the graph (and what earlier sources found) and adds
// claims, per node instance, that the node belongs to some module call. Resolution
// (hierarchy/build.cpp) then turns each node's claims into its assignment.
#include "hierarchy/hierarchy.h"
#include "hierarchy/module_calls.h"

#include <string>
#include <vector>

namespace hs {

class GraphIndex;
struct Node;
struct Sidecar;

// One explicit claim about a node: a module call, and who says so. Claims of a node form a list
// threaded through one pool (`next`), so that 100k named nodes cost no allocation each.
struct Claim {
    int chain = -1; // names and metadata: index of the pending chain, until calls are created
    int call = -1;
    Source source = Source::NameScope;
    ClaimKind kind = ClaimKind::NodeName;
    int ref = -1;
    bool certain = false; // a person said so (manual, restored from a sidecar)
    bool medium = false;  // evidence of the medium level at most (a fused op's parameters, converter names)
    int suggest = -1;     // a deeper call the node probably ran in (a parameter's owner the claim went above)
    int next = -1;        // the node's next claim
};

// One step of a chain of module calls from the root, as names and metadata state it, linked to the
// step before it: node names of one scope prefix ("/encoder/layer.0/attention/") share one chain, and
// prefixes share their parents' steps. Calls are created for them in graph order (materialize), so
// that module children follow the order of the graph.
struct PendingChain {
    int parent = -1; // the step before, -1 when this is the first below the root
    ScopeStep step;
    std::string className; // "" when unknown
    int call = -1;         // once created
};

// Sidecar entries that carry a suggested scope, with their nodes: (entry, node).
struct SuggestedEntry {
    std::size_t entry;
    int node;
};
using SuggestedEntries = std::vector<SuggestedEntry>;

class Evidence {
public:
    Evidence(const GraphIndex& graph, const Sidecar* sidecar, Hierarchy& hierarchy, ModuleCalls& calls);

    const GraphIndex& graph;
    const Sidecar* sidecar; // checked against the model already; may be null
    Hierarchy& hierarchy;   // for notes and quoted texts; modules through `calls`
    ModuleCalls& calls;
    // The sidecar's entries with a suggested scope (collectSidecarClaims finds them as it reads every
    // entry), for restoreSidecarSuggestions after inference: no second walk of 126k entries.
    SuggestedEntries suggestedEntries;

    void add(int node, Claim claim);
    bool has(int node) const { return first_[static_cast<std::size_t>(node)] >= 0; }
    const Claim* first(int node, Source source) const; // the node's first claim from that source
    // Claims of a node: for (int k = head(n); k >= 0; k = claim(k).next)
    int head(int node) const { return first_[static_cast<std::size_t>(node)]; }
    const Claim& claim(int k) const { return claims_[static_cast<std::size_t>(k)]; }

    // A chain step below `parent` (-1: the root); returns its index.
    int addChain(PendingChain chain);
    const PendingChain& chain(int k) const { return chains_[static_cast<std::size_t>(k)]; }
    std::size_t chainCount() const { return chains_.size(); }
    std::vector<ScopeStep> stepsOf(int chain) const; // from the root
    // Creates the calls of every claim stated as a chain, in node order.
    void materialize();

private:
    int callOfChain(int chain);

    std::vector<Claim> claims_;
    std::vector<int> first_, last_; // per node, -1 when it has none
    std::vector<PendingChain> chains_;
    std::vector<int> pending_; // callOfChain's steps, reused
};

// The sources, in the order they run (hierarchy/build.cpp). Each is in its own file.
void collectNameScopes(Evidence& evidence);    // hierarchy/evidence/names.cpp: TorchScript node-name scopes
void collectMetadata(Evidence& evidence);      // hierarchy/evidence/metadata.cpp: dynamo name_scopes metadata
void collectSidecarClaims(Evidence& evidence); // hierarchy/evidence/sidecar.cpp: a sidecar file's entries
// hierarchy/evidence/metadata.cpp: manual tags and sidecar claims a copy written by core/embed carries.
void collectEmbeddedClaims(Evidence& evidence);
// hierarchy/evidence/metadata.cpp: an embedded copy's record of explicit placements, where the file no
// longer says the same (nodes renamed or rewritten after the embed). After every other source.
void collectEmbeddedRecords(Evidence& evidence);
void collectFunctions(Evidence& evidence); // hierarchy/evidence/functions.cpp: ONNX local functions
void collectParameters(
    Evidence& evidence); // hierarchy/evidence/parameters.cpp: parameter names ("x.y.weight")
// hierarchy/evidence/converter.cpp: other converters' name paths (tf2onnx, Keras), only where nothing else
// spoke.
void collectConverterScopes(Evidence& evidence);

// The value of a node's metadata_props entry, null when absent (hierarchy/evidence/metadata.cpp).
const std::string* metadataValue(const Node& node, const char* key);
// The metadata key whose scope collectMetadata claims for the node (pkg.torch.onnx.name_scopes, else
// namespace; not when Hierscope's embed wrote it), null when none.
const char* scopeMetadataKey(const Node& node);

} // namespace hs
