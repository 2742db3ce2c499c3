// Evidence from other converters' name paths: tf2onnx, Keras and TF-slim name a node after the layers
// it came from ("StatefulPartitionedCall/model/conv2d_3/Conv2D", "MobilenetV2/expanded_conv/depthwise/
// Relu6"). These are layers of another framework, never PyTorch modules: medium at most, shown as such,
// and only read where no PyTorch evidence exists.
#include "common/display_text.h"
#include "graph/graph.h"
#include "hierarchy/evidence/evidence.h"

#include <string_view>

namespace hs {
namespace {

bool isDigits(std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// One layer segment of a name path as a module name: without tf2onnx's "__<n>" suffix of the nodes it
// adds ("Relu6__97"), spox's inlined-branch marker ("If_0_else_branch__Inline_0__" is the branch).
std::string layerName(std::string_view segment) {
    const std::size_t inl = segment.find("__Inline_");
    if (inl != std::string_view::npos && inl > 0) return std::string(segment.substr(0, inl));
    const std::size_t mark = segment.rfind("__");
    if (mark != std::string_view::npos && mark > 0 && isDigits(segment.substr(mark + 2)))
        segment = segment.substr(0, mark);
    return std::string(segment);
}

// The layers a node name states, outermost first: the last segment is the op itself; wrappers of
// TensorFlow's function calls are not layers.
std::vector<std::string> layersOf(std::string_view name) {
    std::vector<std::string> layers;
    if (name.empty() || name.front() == '/' || name.find('/') == std::string_view::npos) return layers;
    std::size_t start = 0;
    while (true) {
        const std::size_t slash = name.find('/', start);
        if (slash == std::string_view::npos) break; // the op segment
        const std::string_view segment = name.substr(start, slash - start);
        start = slash + 1;
        if (segment.empty()) return {};
        if (layers.empty() && (segment == "StatefulPartitionedCall" || segment == "PartitionedCall"))
            continue;
        layers.push_back(layerName(segment));
    }
    return layers;
}

} // namespace

void collectConverterScopes(Evidence& ev) {
    const GraphIndex& g = ev.graph;
    for (std::size_t i = 0; i < g.size(); ++i)
        if (ev.has(static_cast<int>(i))) return; // PyTorch evidence (or a sidecar) speaks: not ours to guess
    std::vector<ScopeStep> chain;
    bool any = false;
    std::size_t tooDeep = 0, firstLevels = 0;
    int firstTooDeep = -1;
    for (std::size_t i = 0; i < g.size(); ++i) {
        std::vector<std::string> layers = layersOf(g.node(static_cast<int>(i)).name);
        if (layers.empty()) continue;
        chain.clear();
        std::string scope;
        if (layers.size() > static_cast<std::size_t>(kMaxModuleDepth)) {
            if (tooDeep++ == 0) firstTooDeep = static_cast<int>(i), firstLevels = layers.size();
            layers.resize(static_cast<std::size_t>(kMaxModuleDepth)); // each scope repeats the ones above
        }
        for (const std::string& layer : layers) {
            scope += (scope.empty() ? "" : ".") + layer;
            chain.push_back({scope, 0});
        }
        Claim claim;
        claim.call = ev.calls.callFor(chain, {});
        for (int c = claim.call; c > 0; c = ev.calls.call(c).parent)
            ev.calls.markConverterModule(ev.calls.moduleOf(c));
        claim.source = Source::ConverterScope;
        claim.kind = ClaimKind::ConverterName;
        claim.ref = static_cast<int>(i);
        claim.medium = true;
        ev.add(static_cast<int>(i), claim);
        any = true;
    }
    if (any) {
        const std::string& producer = g.model().producerName;
        ev.hierarchy.notes.push_back("Modules are the layers of " +
                                     (producer.empty() ? "another converter" : producer) +
                                     "'s node name paths, not PyTorch modules.");
    }
    if (tooDeep)
        ev.hierarchy.notes.push_back("The name path of node " + quoteInput(g.node(firstTooDeep).name) +
                                     " has " + std::to_string(firstLevels) + " layers" +
                                     (tooDeep > 1 ? " (and " + std::to_string(tooDeep - 1) + " more)" : "") +
                                     "; at most " + std::to_string(kMaxModuleDepth) +
                                     " are supported, and only those are read.");
}

} // namespace hs
