#pragma once
// Module-by-module comparison of two exports of one model (another opset, another exporter, an
// optimizer's output): which modules changed, how their ops and parameters differ, which modules were
// added or removed and which named nodes changed module. Linear in the size of both graphs.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hs {

class GraphIndex;
struct Hierarchy;

// One side of a comparison: a graph and the hierarchy built from it.
struct ComparedModel {
    const GraphIndex& graph;
    const Hierarchy& hierarchy;
};

struct OpCount {
    std::string opType; // "LayerNormalization"; a non-default domain is prefixed: "com.microsoft.Attention"
    std::size_t count = 0;
};

// How a module of one side found its counterpart on the other.
enum class ModuleMatch : std::uint8_t {
    Scope,      // the same instance scope on both sides
    Parameters, // different scopes, but the nodes of both use the same parameter names
    Position,   // different scopes, same parent and same place among the unmatched siblings
    Signature,  // different scopes and parameter names, same parent, and alone among the unmatched
                // siblings on each side with its signature: initializer shapes, op counts (own and
                // below), children's signatures; or with its initializer shapes alone (one side fused
                // ops; and a module without initializers: only below alike parents); numbered siblings
                // of one signature (layer.0.., blocks.0..) pair by number
    Prefix,     // the same scope below a wrapper: A's "model.stft" is B's "stft" (or the other way)
    Wrapper,    // the module one side wraps the whole model in ("model"); its counterpart is the other
                // side's root, whose own nodes it is compared with (moduleA or moduleB is -1 then)
    Removed,    // only in A
    Added,      // only in B
};

struct ModuleDelta {
    int parent = -1;           // index into HierarchyComparison::modules; -1 for the root
    std::vector<int> children; // indices into HierarchyComparison::modules
    int moduleA = -1;          // index into A's Hierarchy::modules, -1 when added
    int moduleB = -1;          // index into B's Hierarchy::modules, -1 when removed
    std::string scope;         // A's scope (B's when added)
    std::string scopeB;        // B's scope when matched under another one, else empty
    std::string className;     // A's class, else B's
    ModuleMatch match = ModuleMatch::Scope;
    std::vector<OpCount> opsA, opsB;    // the module's own nodes by op type, in order of first appearance
    std::size_t nodesA = 0, nodesB = 0; // own nodes
    std::size_t totalNodesA = 0, totalNodesB = 0;             // nodes in the whole subtree
    std::uint64_t parametersA = 0, parametersB = 0;           // parameter elements owned directly
    std::uint64_t totalParametersA = 0, totalParametersB = 0; // in the whole subtree
    std::size_t movedIn = 0, movedOut = 0; // named nodes that came from / went to another module
    bool changed = false;        // own ops or parameters differ, or added/removed with nodes or parameters
    bool subtreeChanged = false; // it or a module below it changed
    std::string summary;         // one line for a changed module, empty otherwise
};

// A node present on both sides under one name and op type whose module is not the counterpart.
struct MovedNode {
    std::string key;
    std::string opType;
    int nodeA = -1, nodeB = -1;
    int deltaA = -1; // the delta of its module in A
    int deltaB = -1; // the delta of its module in B
};

struct HierarchyComparison {
    std::vector<ModuleDelta> modules; // modules[0] is the root; a tree, parents before children
    std::vector<MovedNode> moved;     // in A's graph order
    std::size_t changedModules = 0, addedModules = 0, removedModules = 0;
    std::size_t matchedByParameters = 0, matchedByPosition = 0, matchedByPrefix = 0, matchedBySignature = 0;
    std::string wrapperA, wrapperB; // the scope one side wraps the whole model in, else empty
    std::size_t nodesA = 0, nodesB = 0;

    // The delta of a scope (A's scope, or B's for added modules), -1 when absent.
    int find(const std::string& scope) const;
};

HierarchyComparison compareHierarchies(const ComparedModel& a, const ComparedModel& b);

// "9 ops -> 1: ReduceMean×2, Sub, Pow, Add×2, Sqrt, Div, Mul -> LayerNormalization"; "parameters 544 -> 800"
// is appended when those differ. Empty when nothing of the module itself changed.
std::string deltaSummary(const ModuleDelta& delta);

// "scope", "parameters", "position", "signature", "prefix", "wrapper", "removed", "added"
const char* moduleMatchName(ModuleMatch match);

} // namespace hs
