#pragma once
// Hierarchy injection: a copy of the model whose nodes carry their module in metadata_props, for tools
// that read node metadata (Model Explorer's `namespace`, torch dynamo's scope lists) and for Hierscope
// itself when the copy is opened again. Weights are copied byte for byte from the mapped file; only
// NodeProto messages and the length prefixes around them are written anew.
#include "model/model.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace hs {

class GraphIndex;
struct Hierarchy;

// A node of the model that some instance runs, and the instance whose assignment it carries. A node with
// several instances (function bodies, one per call) is `ambiguous` when they are placed differently: it
// gets no entries (an earlier embed's keys are still removed).
struct NodeMetadata {
    int graph = -1, node = -1; // Model::graphs index and node index
    int instance = -1;         // GraphIndex instance
    bool ambiguous = false;
};

// Every node some instance runs, with the instance that describes it. No entries are built here: they are
// made when the node is written (nodeMetadataEntries), so a 100k-node model holds none of them at once.
std::vector<NodeMetadata> planNodeMetadata(const GraphIndex& graph, const Hierarchy& hierarchy);

// The metadata the node of an instance gets (keys of core/embed/keys.h), in the order they are written.
// The parts every node of a module shares (its namespace, the scope and class lists down to it) are made
// once per module: one maker serves all the nodes of a write.
class NodeMetadataMaker {
public:
    NodeMetadataMaker(const GraphIndex& graph, const Hierarchy& hierarchy);
    StringPairs entries(int instance);

private:
    struct ModuleText {
        bool made = false;
        std::string path;            // "encoder/layer.0"
        std::string scopes, classes; // "['', 'encoder', 'encoder.layer.0'": the lists without the op
    };
    const ModuleText& textOf(int module);
    const GraphIndex& graph_;
    const Hierarchy& hierarchy_;
    std::vector<ModuleText> texts_;
};
StringPairs nodeMetadataEntries(const GraphIndex& graph, const Hierarchy& hierarchy, int instance);

// Whether a metadata key the node already has is replaced: hierscope.* and the keys an earlier embed
// listed in hierscope.written. Every other key the node had is kept as it is.
bool replacedOnEmbed(const Node& node, const std::string& key);

// The model-level entry listing the modules that hold no node ("" when there are none).
std::string emptyModulesText(const Hierarchy& hierarchy);

// The module a vague node most likely belongs to (its Assignment::suggestion), "" when none.
std::string suggestedScope(const GraphIndex& graph, const Hierarchy& hierarchy, int node);

// Called while the copy is written: bytes done, bytes in all; return false to cancel.
using EmbedProgress = std::function<bool(std::uint64_t done, std::uint64_t total)>;

struct EmbedOptions {
    // Copy the external data files the model refers to beside the output (same relative locations).
    // Without it, the output must be in the model's folder, where the locations it keeps resolve.
    bool copyExternal = false;
    EmbedProgress progress;
};

struct EmbedResult {
    std::string outputPath;
    std::uint64_t bytesWritten = 0;
    std::size_t nodesTagged = 0;  // nodes given metadata
    std::size_t nodesSkipped = 0; // function body nodes whose calls disagree
    std::vector<std::string> externalFilesCopied;
};

// Writes the copy atomically (temporary file in the target folder, fsync, rename). Throws hs::Error
// naming the file and the problem: output equal to the model, external data that would not resolve
// from the output's folder, a model file changed since it was opened, write errors, cancellation.
EmbedResult embedHierarchy(const GraphIndex& graph, const Hierarchy& hierarchy, const std::string& outputPath,
                           const EmbedOptions& options = {});

} // namespace hs
