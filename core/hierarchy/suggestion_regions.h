#pragma once
// Where the code between modules probably ran, read from the shape of the data flow (internal to
// hierarchy/suggestions.cpp). Two rules, tried before counting a node's connections:
//  - Branches that join: a vague node that combines tensors forked from one earlier tensor (a residual
//    Add, the squeeze-excitation Mul, the Reshape after a Conv1D's Gemm that reuses the input's Shape)
//    lies, with the vague code on the branches, in the lowest module that holds every placed node on
//    those branches.
//  - A module's head: a chain of vague code that only feeds one module, read from something that no
//    other module below the chain's placement produced (LayerNorm's decomposed mean and variance before
//    its weight Mul), belongs to that module.
#include <vector>

namespace hs {

class GraphIndex;
struct Hierarchy;

// What the region rules decided for each node: a module deeper than the node's placement, "none"
// (the node joins branches that span its own module: it is that module's own code), or undecided
// (the caller's other rules apply).
struct RegionSuggestions {
    static constexpr int kUndecided = -1;
    static constexpr int kNone = -2;
    std::vector<int> module; // per node: a module index, kUndecided or kNone
    std::vector<int> why;    // per node, for a module: 0 joins branches, 1 on joined branches, 2 feeds
};

// A ModuleList or Sequential: every child is a list item. Such a container runs no code of its own.
bool isListContainer(const Hierarchy& hierarchy, int module);

// A vague node that reads a weight (an initializer of two or more dimensions and 16 or more elements,
// not a shape or a scalar): a module's parameterised work whose parameter names are gone (a Conv folded
// with its BatchNorm).
bool readsUnplacedWeight(const GraphIndex& graph, const Hierarchy& hierarchy, int node);

RegionSuggestions suggestFromRegions(const GraphIndex& graph, const Hierarchy& hierarchy);

} // namespace hs
