#pragma once
// The node metadata_props keys an embedded hierarchy uses (core/embed writes them, the dynamo metadata
// source in hierarchy/evidence/metadata.cpp reads them back). Plain constants: included freely.
namespace hs::embed_keys {

// Read by other tools: Model Explorer groups nodes by `namespace` ("encoder/layer.0/attention/self");
// torch's dynamo exporter writes the two pkg.torch.onnx lists, which Hierscope and others read.
constexpr const char* kNamespace = "namespace";
constexpr const char* kNameScopes = "pkg.torch.onnx.name_scopes";
constexpr const char* kClassHierarchy = "pkg.torch.onnx.class_hierarchy";

// Hierscope's own: what the assignment was, so that reopening the copy restores it.
constexpr const char* kScope = "hierscope.scope";                // the module's instance scope
constexpr const char* kSource = "hierscope.source";              // sourceName(): "name_scope", "manual", ...
constexpr const char* kLevel = "hierscope.level";                // levelName(): "high", ...
constexpr const char* kConfidence = "hierscope.confidence";      // the score, "0.9"
constexpr const char* kConflict = "hierscope.conflict";          // "1" when sources disagreed
constexpr const char* kSidecarScope = "hierscope.sidecar_scope"; // what a sidecar claimed of the node
constexpr const char* kSuggestedScope = "hierscope.suggested_scope"; // a vague node's likely module
// The keys of the node that Hierscope added (space-separated): they repeat the assignment for other
// tools and are no evidence when the file is read again. A key the node had before is not listed.
constexpr const char* kWritten = "hierscope.written";
constexpr const char* kPrefix = "hierscope.";
// ModelProto.metadata_props: modules that hold no node (known from a sidecar's module list, such as
// dropout layers an export removed), one "scope<TAB>class" line each, so that the tree stays whole.
constexpr const char* kEmptyModules = "hierscope.empty_modules";

} // namespace hs::embed_keys
