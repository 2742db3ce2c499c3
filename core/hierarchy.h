#pragma once
// Module hierarchy of a model: the module tree and, for every node instance, the module it belongs
// to with a confidence, the source of that decision and the evidence behind it.
#include <cstdint>
#include <string>
#include <vector>

namespace hs {

class GraphIndex;
struct Sidecar;

enum class Level { Certain = 0, High = 1, Medium = 2, Low = 3 };

// Where an assignment comes from. Order is the strength of explicit evidence.
enum class Source { Manual, Metadata, Function, NameScope, Sidecar, Inferred, Fallback };

struct Module {
    std::string scope;     // instance scope: "encoder.layer.0"; "" for the root
    std::string name;      // the part of the scope below the parent: "layer.0"
    std::string className; // "BertLayer"; empty when unknown
    std::string path;      // hierarchy path: "/BertModel/BertEncoder/BertLayer.0" or "/encoder/layer.0"
    int parent = -1;
    int depth = 0;
    std::vector<int> children;          // in order of first appearance in the graph
    std::vector<int> nodes;             // node instances assigned directly to it
    std::size_t totalNodes = 0;         // in its whole subtree
    std::uint64_t parameters = 0;       // parameter elements owned directly (by initializer name or use)
    std::uint64_t totalParameters = 0;  // in its whole subtree
    Level lowestLevel = Level::Certain; // lowest confidence in its subtree (Certain when empty)
    std::size_t uncertainNodes = 0;     // low or conflicting nodes in its subtree
};

struct Candidate {
    int module = -1;
    Source source = Source::Inferred;
    std::string detail; // what says so: "node name '/encoder/layer.0/...'", "sidecar path '/Bert...'"
};

struct Assignment {
    int module = 0;
    Level level = Level::Low;
    double score = 0.0; // 0..1, orders assignments within a level
    Source source = Source::Fallback;
    bool conflict = false;
    std::vector<Candidate> candidates; // every explicit claim about this node (two or more on conflict)
    std::string evidence;              // "why is this node here?", in words
};

struct HierarchyStatistics {
    std::size_t nodes = 0;
    std::size_t byLevel[4] = {0, 0, 0, 0};
    std::size_t conflicts = 0;
    std::size_t bySource[7] = {0, 0, 0, 0, 0, 0, 0};
};

struct Hierarchy {
    std::vector<Module> modules;         // modules[0] is the root
    std::vector<Assignment> assignments; // one per node instance of the GraphIndex
    std::vector<std::string> notes;      // model-level remarks ("names are not torch scopes: ...")

    int findModule(const std::string& scope) const; // -1 when absent
    bool isAncestorOrSelf(int ancestor, int module) const;
    HierarchyStatistics statistics() const;
    // Recomputes node lists, counts and lowest levels after assignments changed.
    void refreshModuleSummaries();
    // A person moves a node: certain, source manual, previous claims kept as candidates.
    void assignManually(int node, int module);
};

// Builds the hierarchy from all explicit evidence of the model (node-name scopes, node metadata,
// local functions) and an optional sidecar, then infers the rest (DESIGN.md, LCA rule).
// The sidecar must already be checked against the model (see checkSidecar).
Hierarchy inferHierarchy(const GraphIndex& graph, const Sidecar* sidecar = nullptr);

const char* levelName(Level level);    // "certain", "high", "medium", "low"
const char* sourceName(Source source); // "manual", "metadata", "function", "name_scope", ...
bool parseLevel(const std::string& text, Level& level);
bool parseSource(const std::string& text, Source& source);

} // namespace hs
