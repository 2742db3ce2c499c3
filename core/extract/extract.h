#pragma once
// Extraction: a module (or any set of node instances) as a standalone ONNX model that computes what it
// computed inside the full model (DESIGN.md, "Extraction"). Plain C++: the ONNX classes stay in
// extract.cpp / onnx_bridge.cpp.
//
// Planning works on a "flat program": the main graph's nodes in source order, where a local-function
// call whose body is only partly selected is replaced by its body nodes (inlined, recursively). Inlined
// tensors are named `<call key>::<name in the body>`, except the function's formal inputs and outputs,
// which take the caller's names; inlined nodes are named by their instance key. A node with If/Loop/Scan
// bodies is always taken whole (its bodies are in its bytes); tensors of the outer scope its bodies use
// become inputs like any other.
#include "model/model.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace hs {

class GraphIndex;
struct Hierarchy;

struct BoundaryTensor {
    std::string name;
    TensorType type;
    bool inferred = false;    // the type comes from shape inference, not from the source's declarations
    bool graphInput = false;  // an input of the source model
    bool graphOutput = false; // an output of the source model
};

// One node of the result.
struct PlannedNode {
    int instance = -1; // GraphIndex instance it is copied from
    bool copiedConstant =
        false;            // a Constant (or an Identity of a weight) from outside the selection, copied in
    bool inlined = false; // from the body of an inlined function call: renamed
    int call = -1;        // inlined: the call instance whose body it comes from
    std::vector<std::string> inputs; // names in the result (renamed when inlined)
    std::vector<std::string> outputs;
};

struct ExtractionPlan {
    const GraphIndex* graph = nullptr; // must outlive the plan
    std::string modelPath;
    std::string scope; // the module's scope ("" for the root), empty for a node-key selection
    std::string label; // "module 'encoder.layer.0'" or "3 nodes"
    bool fromModule = false;
    std::string modulePath; // hierarchy path of the module, when from a module
    std::string moduleClass;

    std::vector<int> selected;      // instances selected (a module's nodes and their descendants)
    std::vector<PlannedNode> nodes; // the result's nodes, source order
    std::vector<BoundaryTensor> inputs;
    std::vector<BoundaryTensor> outputs;
    std::vector<std::string> initializers; // main-graph initializers carried, by name, first use order
    std::vector<int> functions;            // indices into Model::functions, used transitively, source order
    std::vector<int> expandedCalls;        // function-call instances inlined
    std::vector<std::string> outerInputs;  // inputs that are outer-scope references of If/Loop/Scan bodies
    std::vector<std::string> valueInfo;    // internal tensors whose declared type is carried as value_info
    std::vector<std::string> notes;
    // Why shape inference could not type everything (parts of a malformed model left out, the library's
    // own complaint), bounded; empty when it ran through.
    std::string inferenceProblem;
    // What the check before writing covers where the ONNX library cannot judge everything, in words
    // ("opset 18 of ai.onnx: the ONNX 1.12.0 library knows it up to 17; ..."); empty when it knows it all.
    std::vector<std::string> checking;
    // Why the plan cannot be written: a boundary tensor whose element type nothing can tell (the tensor
    // and the reason). Empty when it can; extractModel refuses otherwise, and the dialog offers no Save.
    std::string blocker;
    // Types of the result's internal tensors, kept only where the library cannot judge everything: the
    // check gives them to the library's inference, which cannot compute what follows an op it skips.
    std::vector<BoundaryTensor> internalTypes;
    std::size_t copiedConstants = 0;
    std::uint64_t weightBytes = 0; // bytes of the initializers carried
};

// All nodes of module `scope` and its descendants, as the hierarchy assigns them (manual re-tags
// included). `scope` may name the module as lookupModule reads it (full scope, path, or a last part
// only one module has); plan.scope is the full scope. Throws hs::Error for an unknown module (with
// close matches) or a module without nodes.
ExtractionPlan planExtraction(const GraphIndex& graph, const Hierarchy& hierarchy, const std::string& scope);

// Nodes by key (DESIGN.md "Node identity"); a node brings its bodies. Throws hs::Error for an
// unknown key or an empty list.
ExtractionPlan planExtraction(const GraphIndex& graph, const std::vector<std::string>& nodeKeys);

// Any set of instances (descendants of a selected node are added). Throws hs::Error when empty.
ExtractionPlan planSelection(const GraphIndex& graph, std::vector<int> instances, const std::string& label);

struct ExtractOptions {
    // Inline weights while the result stays under this size; otherwise weights go to external data
    // `<output file name>.data` beside the output. Default: 2 GiB minus headroom for the structure.
    std::uint64_t inlineLimit = (std::uint64_t{2} << 30) - (std::uint64_t{64} << 20);
    bool check = true; // run the ONNX checker (and strict shape inference) before writing
    // Called while weights are copied (bytes done, bytes in all); returning false cancels the extraction
    // (hs::Error, nothing written). For a progress bar on big models.
    std::function<bool(std::uint64_t done, std::uint64_t total)> progress;
};

struct ExtractionResult {
    std::string outputPath;
    std::string externalDataPath; // empty when weights are inline
    std::uint64_t fileBytes = 0;
    std::uint64_t externalBytes = 0;
    std::size_t nodes = 0;
    std::size_t initializers = 0;
    std::size_t functions = 0;
    std::int64_t irVersion = 0;
    std::vector<std::string> notes;
    std::vector<std::string> checking; // what was checked where the library cannot judge all (as planned)
};

// Builds the model, checks it (onnx::checker::check_model plus strict shape inference, as the full
// check does, on what the linked ONNX library knows; our structural check on all) and writes it atomically
// (temporary file, then rename). Throws hs::Error naming the problem; nothing is written then.
ExtractionResult extractModel(const ExtractionPlan& plan, const std::string& outputPath,
                              const ExtractOptions& options = {});

// The check extractModel runs before writing, done now on the plan's structure (large weights as typed
// inputs; their bytes are checked when written): "" when it passes, else the problem in words. For a
// preview that never offers a Save bound to fail. Not run by planExtraction: it costs a shape inference.
std::string checkPlan(const ExtractionPlan& plan);

// Shape inference (with data propagation) on the weight-free, fully inlined program, guarded as for
// extraction, for every tensor of `graph`: element [t] is tensor t's inferred type (elemType 0 when
// inference gave none; tensors of If/Loop/Scan bodies get none). `problem` says why inference left parts
// out or stopped early ("" when it ran through), cut and escaped for messages. For core/analysis/.
// With `inputDims`, every symbolic or unknown dimension of the graph's inputs is bound first (to its
// value there, else 1), so data propagation computes concrete shapes where symbols would stop it.
// The program is freed on another thread after it returns (freeing it took 40 ms of 350 on deep-1000).
std::vector<TensorType> inferIndexTypes(const GraphIndex& graph, std::string& problem,
                                        const std::map<std::string, std::int64_t>* inputDims = nullptr);
// Returns once the programs of earlier inferences are freed: for measurements that must start on a
// quiet machine (bench/), and before measuring memory.
void waitForFreedPrograms();

// For the numeric checks: the full model with every local function call inlined (so every tensor of
// every plan exists by its flat name) and `extraOutputs` added as graph outputs after the source's.
// Not checked; written atomically.
void writeCaptureModel(const GraphIndex& graph, const std::vector<std::string>& extraOutputs,
                       const std::string& outputPath);

} // namespace hs
