#pragma once
// Module hierarchy of a model: the module tree and, for every node instance, the module it belongs
// to with a confidence, the source of that decision and the evidence behind it.
#include <cstdint>
#include <string>
#include <vector>

namespace hs {

class GraphIndex;
struct Sidecar;

enum class Level : std::uint8_t { Certain = 0, High = 1, Medium = 2, Low = 3 };

// Where an assignment comes from. Order is the strength of explicit evidence.
enum class Source : std::uint8_t {
    Manual,
    Metadata,
    Function,
    NameScope,
    Parameter, // the node uses a parameter named "<module>.<attribute>"
    Sidecar,
    ConverterScope, // another converter's name path (tf2onnx, Keras): never a PyTorch module
    Inferred,
    Fallback,
    Suggestion // a suggested deeper module taken in bulk (hierscope-cli tag --accept-suggestions): medium
};
constexpr int kSourceCount = 10;

// The deepest module tree Hierscope builds. Real exports nest 6 levels at most (34 models measured);
// evidence deeper than this is read down to this depth, with a note (a 30,000-level node name once
// overflowed the stack). Every walk of the tree may recurse this deep.
constexpr int kMaxModuleDepth = 64;

struct Module {
    std::string scope;     // instance scope: "encoder.layer.0"; "" for the root
    std::string name;      // the part of the scope below the parent: "layer.0"
    std::string className; // "BertLayer"; empty when unknown
    std::string path;      // hierarchy path: "/BertModel/BertEncoder/BertLayer.0" or "/encoder/layer.0"
    bool fromConverterNames = false; // a layer of another converter's name paths, not a PyTorch module
    // The scope the file's evidence gives it, when a person renamed or moved it (empty otherwise): saved
    // as the sidecar's `renamed_from`, so that a reload maps that evidence to the module's new scope.
    std::string evidenceScope;
    int parent = -1;
    int depth = 0;
    std::vector<int> children;          // in order of first appearance in the graph
    std::vector<int> nodes;             // node instances assigned directly to it
    std::size_t totalNodes = 0;         // in its whole subtree
    std::uint64_t parameters = 0;       // parameter elements owned directly (by initializer name or use)
    std::uint64_t totalParameters = 0;  // in its whole subtree
    Level lowestLevel = Level::Certain; // lowest confidence in its subtree (Certain when empty)
    std::size_t uncertainNodes = 0;     // uncertain nodes (isUncertain) in its subtree
};

// What a claim quotes. Kept as a reference, not as words: graphs have 100k+ nodes, and the words
// are wanted for the one node a person looks at (Hierarchy::describe renders them).
enum class ClaimKind : std::uint8_t {
    NodeName,      // ref: the node whose torch scope name says so
    NodeMetadata,  // ref: the node whose pkg.torch.onnx.name_scopes says so
    FunctionCall,  // ref: the call node of a local function (the node itself)
    FunctionBody,  // ref: the call node whose function body holds the node
    Text,          // ref: index into Hierarchy::texts (sidecar entries)
    Parameter,     // ref: the node, whose parameters ("x.y.weight") say so
    ConverterName, // ref: the node whose name path (tf2onnx, Keras) says so
    BeforeManual,  // the assignment a manual tag replaced
};

struct Candidate {
    int module = -1;
    Source source = Source::Inferred;
    ClaimKind kind = ClaimKind::Text;
    int ref = -1;
};

// Why a node is where it is, compact (see ClaimKind); Hierarchy::explain puts it in words.
struct Reason {
    enum Kind : std::uint8_t {
        Claims,          // every candidate agrees
        Conflict,        // candidates disagree: placed at their common ancestor
        ClaimedByHand,   // candidate `a` is a manual tag
        ByHand,          // re-tagged in this session
        NoScopesInModel, // the model carries no scope evidence at all
        Inferred,        // inside module `bound` because of `why`; maybe placed deeper
        Analogy,         // inside `bound` because of `why`, placed deeper like `twin` in another instance
        Connected,       // at the deepest common module of its placed neighbours
        Unplaced,        // nothing nearby to infer from
    };
    enum Why : std::uint8_t { DataPath, InsideOwner, OrderNeighbours };
    Kind kind = Unplaced;
    Why why = DataPath;
    int bound = 0; // module the node certainly lies inside (Inferred, Analogy)
    int a = -1;    // Inferred, Analogy: data path start or owner node (-1: a graph input/output);
                   // ClaimedByHand: candidate index
    int b = -1;    // Inferred, Analogy: data path end
    int twin = -1; // Analogy: the named node in another instance of the block that it follows
};

// The claims about one node: almost always exactly one, kept inline so that 100k named nodes cost no
// allocation each; more spill to the heap. A vector's interface, as far as it is used.
class CandidateList {
public:
    void push_back(const Candidate& c) {
        if (size_ == 0) {
            first_ = c;
        } else {
            if (size_ == 1) more_.assign(1, first_);
            more_.push_back(c);
        }
        ++size_;
    }
    void clear() {
        size_ = 0;
        more_.clear();
    }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    const Candidate* begin() const { return size_ > 1 ? more_.data() : &first_; }
    const Candidate* end() const { return begin() + size_; }
    const Candidate& operator[](std::size_t i) const { return begin()[i]; }

private:
    Candidate first_;
    std::uint32_t size_ = 0;
    std::vector<Candidate> more_; // all of them once there are two or more
};

// A deeper module a vague node probably belongs to (the sidecar's `suggested_scope`). It never changes
// the placement (DESIGN rule 2): a person accepts it, one node or a whole module at a time.
struct Suggestion {
    enum Why : std::uint8_t {
        None,
        UncalledOwner,  // the node uses the module's parameters; names show its parent, not it, running code
        DataNeighbours, // the node's group of inferred neighbours reads from and feeds that module (ref:
                        // connections)
        FromSidecar,    // a saved sidecar suggested it (ref: index into Hierarchy::texts, its reason)
        JoinsBranches,  // the node joins branches forked from one tensor; the module holds their placed nodes
        OnJoinedBranches, // the node lies on such branches (a Conv1D's Shape arithmetic before its Gemm)
        FeedsModule,      // the node's vague chain feeds only that module (LayerNorm's decomposed mean)
    };
    int module = -1;
    Why why = None;
    int ref = -1;
};

struct Assignment {
    int module = 0;
    Level level = Level::Low;
    Source source = Source::Fallback;
    bool conflict = false;
    double score = 0.0;       // 0..1, orders assignments within a level
    Reason reason;            // "why is this node here?": Hierarchy::explain
    CandidateList candidates; // every explicit claim about this node (two or more on conflict)
    Suggestion suggestion;    // where a vague node probably belongs, deeper than `module`
};

// The one meaning of "uncertain" (the GUI's list, tree sign, inspector, status bar and legend, the CLI's
// tree): no explicit source confirms where the node is, so a person should look. That is a conflict, a
// low placement (disagreeing evidence, root fallback), or a medium one: inferred from agreeing neighbours,
// usually vague (a safe ancestor, often with a suggested deeper module), a parameter nothing confirms,
// another converter's layer path, or a suggestion taken in bulk and not yet checked. Vague nodes count
// whether or not they carry a suggestion: a renamed export's inferred nodes are what a person fixes.
bool isUncertain(const Assignment& a);

struct HierarchyStatistics {
    std::size_t nodes = 0;
    std::size_t byLevel[4] = {0, 0, 0, 0}; // conflicts counted under their level (low) too
    std::size_t conflicts = 0;
    std::size_t uncertain = 0; // isUncertain
    std::size_t bySource[kSourceCount] = {};
};

struct Hierarchy {
    std::vector<Module> modules;         // modules[0] is the root
    std::vector<Assignment> assignments; // one per node instance of the GraphIndex
    std::vector<std::string> notes;      // model-level remarks ("names are not torch scopes: ...")
    std::vector<std::string> texts;      // claims quoted as words (ClaimKind::Text)

    int findModule(const std::string& scope) const; // -1 when absent
    bool isAncestorOrSelf(int ancestor, int module) const;
    HierarchyStatistics statistics() const;
    // Recomputes node lists, counts and lowest levels after assignments changed.
    void refreshModuleSummaries();
    // A person moves a node: certain, source manual, previous claims kept as candidates.
    void assignManually(int node, int module);
    // A node's suggested module taken (one by one or in bulk, without checking each): source Suggestion,
    // level medium; its reason still says what bounds it.
    void takeSuggestion(int node, int module);

    // A module a person creates: one the file names nowhere (a Conv folded with its BatchNorm leaves no
    // parameter naming `features.conv0`; a fused LayerNorm none naming `transformer.ln_f`). `scope` is
    // dotted atoms of letters, digits and `_`; its parent is the deepest existing module whose scope
    // is an atom prefix of it (the root at least). newModuleProblem says why a scope cannot be created
    // ("" when it can); addModule appends the module (children stay after parents) and returns it.
    std::string newModuleProblem(const std::string& scope) const;
    int parentForNewModule(const std::string& scope) const;
    int addModule(const std::string& scope, const std::string& className);
    // Undoes addModule: only the last module, and only while it holds no node and no child.
    void removeLastModule();

    // "Why is this node here?", in words; `graph` is the one the hierarchy was built from.
    std::string explain(const GraphIndex& graph, int node) const;
    // What a candidate claim says: "node name '/encoder/layer.0/...'", "sidecar in f.json: path '...'".
    std::string describe(const GraphIndex& graph, const Candidate& candidate) const;
    // Where an inferred node may belong below its module, when nothing in the file tells: the modules
    // on the way down to the placed nodes its data comes from and goes to, through the nodes inferred
    // into the same module (the attention math between attention.self's projections and
    // attention.output.dense, placed in attention: attention.self, attention.output, ...). Most
    // connections first, then the shallower; empty for a node placed by evidence or by hand.
    std::vector<int> deeperCandidates(const GraphIndex& graph, int node) const;
    // Why the node's suggestion is offered, in words ("" when it has none): "it uses the parameters of
    // 'blocks.0.attn.out_proj' (...)", "its inferred neighbours read from and feed it (3 connections)".
    std::string suggestionReason(const GraphIndex& graph, int node) const;
    // Nodes with a suggestion, in graph order.
    std::size_t suggestionCount() const;
};

// The module a vague node most likely belongs to below where it is placed (its Assignment::suggestion,
// hierarchy/suggestions.cpp); -1 when there is none.
int suggestedModule(const Hierarchy& hierarchy, const GraphIndex& graph, int node);
// Takes every suggestion at once (all read before any is taken): each vague node that has one moves there
// with source Suggestion and level medium (a guess taken, not a fact); its reason still says what bounds
// it. Returns how many nodes moved.
std::size_t acceptSuggestions(Hierarchy& hierarchy, const GraphIndex& graph);

// Builds the hierarchy from all explicit evidence of the model (node-name scopes, node metadata,
// local functions) and an optional sidecar, then infers the rest (DESIGN.md, LCA rule).
// The sidecar must already be checked against the model (see checkSidecar).
Hierarchy inferHierarchy(const GraphIndex& graph, const Sidecar* sidecar = nullptr);

const char* levelName(Level level);    // "certain", "high", "medium", "low"
const char* sourceName(Source source); // "manual", "metadata", "function", "name_scope", ...
// What a source is, in words for people: "TorchScript name scopes", "parameter names", ...
const char* sourceDescription(Source source);
// The sources a hierarchy's assignments came from, strongest first, in words with their node counts:
// "parameter names (26 nodes), inferred from the graph (164 nodes)".
std::string sourcesSummary(const HierarchyStatistics& statistics);
bool parseLevel(const std::string& text, Level& level);
bool parseSource(const std::string& text, Source& source);

} // namespace hs
