#pragma once
// Module signatures, for comparing two exports whose module scopes and parameter names both differ (a
// re-implementation calling `blocks.0.attn` what the other calls `encoder.layer.0.attention`, renamed
// weights): what a module is made of, without its name. Used by compareHierarchies only.
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace hs {

class GraphIndex;
struct Hierarchy;

// Per module of one side; ids are comparable between the two sides computed by one SignatureTable.
struct ModuleSignatures {
    // The shapes of the initializers it owns (those whose users' common module it is; as a multiset),
    // its own and its subtree's node counts per op type, its non-empty children's exact ids (as a
    // multiset: a re-implementation may run siblings in another order).
    std::vector<int> exact;
    // Only the shapes it owns and its children's shape ids: equal when one side fused ops (a LayerNorm
    // decomposed into 9 ops against one LayerNormalization). -1 when its subtree owns no initializer:
    // a parameterless module's shape says nothing.
    std::vector<int> shapes;
};

class SignatureTable {
public:
    // opOf: per node instance, its op type as a small integer numbered alike for both sides.
    ModuleSignatures compute(const GraphIndex& graph, const Hierarchy& h, const std::vector<int>& opOf);

private:
    int intern(const std::vector<std::int64_t>& key);
    std::map<std::vector<std::int64_t>, int> ids_;
};

enum class SignatureKind : std::uint8_t { Exact, Shapes };

// Pairs (module of A, module of B) among the still unmatched children of two matched modules (restA,
// restB, in order of first appearance) whose signatures of `kind` are equal and unique on each side, or
// which are equally long lists of numbered siblings of one signature (A's layer.0..11, B's
// blocks.0..11), paired by number. Known classes must agree. Anything else is ambiguous: no pair.
// Modules without initializers pair only when `parameterless` (the parents themselves are alike): a
// lone AveragePool says nothing about two unrelated models.
std::vector<std::pair<int, int>> pairBySignature(const Hierarchy& ha, const ModuleSignatures& sigA,
                                                 const std::vector<int>& restA, const Hierarchy& hb,
                                                 const ModuleSignatures& sigB, const std::vector<int>& restB,
                                                 SignatureKind kind, bool parameterless);

} // namespace hs
