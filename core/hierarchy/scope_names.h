#pragma once
// Parsing of the places where exporters leave module scopes: TorchScript node names and the dynamo
// exporter's node metadata. Pure string functions, no model types.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hs {

// One traced module call along a node's scope.
struct ScopeStep {
    std::string scope; // qualified instance scope: "encoder.layer.0"
    int call = 0;      // 0 for the first call of that module, 1 for torch's "_1" second call, ...
    bool operator==(const ScopeStep& o) const { return scope == o.scope && call == o.call; }
};

// The module segments of a TorchScript node name ("/encoder/layer.0/attention/MatMul" ->
// {"encoder", "layer.0", "attention"}), or nothing when the name is not a torch scope name
// (no leading '/', empty segments, or only an op segment is allowed: "/Add" -> {}).
std::optional<std::vector<std::string>> torchNameSegments(std::string_view nodeName);

// Applies torch's naming rule to segments: a segment continuing its parent's name (same head atom,
// longer numeric tail) replaces the parent's tail, otherwise it is appended. A segment "X_N" is
// call N of module X when isKnownScope(qualified X) says X exists; otherwise it is taken literally.
std::vector<ScopeStep> qualifyTorchSegments(const std::vector<std::string>& segments,
                                            const std::function<bool(const std::string&)>& isKnownScope);
// One step of qualifyTorchSegments: `segment` below the qualified scope `parent` ("" for the root).
ScopeStep qualifyTorchSegment(const std::string& parent, const std::string& segment,
                              const std::function<bool(const std::string&)>& isKnownScope);

// "['', 'enc.0', 'enc.0.c1']" -> {"", "enc.0", "enc.0.c1"}. Tolerates double quotes and escapes.
std::vector<std::string> parsePythonStringList(std::string_view text);

// "block_2" -> ("block", 2). False when there is no numeric "_N" suffix.
bool splitCallSuffix(const std::string& text, std::string& base, int& call);

// "torch.nn.modules.conv.Conv3d" -> "Conv3d"; "__main__.Block3D" -> "Block3D".
std::string shortClassName(std::string_view qualified);

// The part of a child's scope below its parent's: ("encoder", "encoder.layer.0") -> "layer.0".
std::string relativeName(const std::string& parentScope, const std::string& childScope);

// "12" -> true; "", "layer", "1a" -> false.
bool isNumericAtom(std::string_view atom);

// "encoder.layer.0" -> "encoder.layer"; "encoder" -> "" (the root). A view into `scope`.
std::string_view parentScopeOf(std::string_view scope);
// "encoder.layer.0" -> "0"; "encoder" -> "encoder". A view into `scope`.
std::string_view lastAtomOf(std::string_view scope);

// Module scopes with their numbers blanked ("features.#.#.block.#.#"): repeated blocks of a model
// share one, and so share the kinds of op they run.
std::string scopePattern(const std::string& scope);

// Scopes as dotted atoms: "encoder.layer" is an atom prefix of "encoder.layer.0" ("" of every scope),
// not of "encoder.layers"; the common atom prefix of "a.b.c" and "a.b.d" is "a.b".
bool isAtomPrefix(std::string_view prefix, std::string_view scope);
std::string commonAtomPrefix(const std::string& a, const std::string& b);

// True for converters whose '/'-separated names are not torch module scopes.
bool producerWritesForeignNames(const std::string& producerName);

} // namespace hs
