#pragma once
// Texts the graph shows for nodes, modules, model inputs/outputs and edges (shared by the scene's
// interior building, which measures them, and its item placement, which draws them).
#include <QString>
#include <string>
#include <string_view>

namespace hs {
class GraphIndex;
struct Hierarchy;
struct Model;
struct Module;
struct TensorTypes;
} // namespace hs

namespace hs::ui::graph_text {

QString qs(std::string_view s);
// The last segment of a node name ("/encoder/layer.0/attention/self/MatMul_1" -> "MatMul_1").
QString shortNodeName(const GraphIndex& graph, int node);
// A module's name; a list item ("features.1", name "1") with its list: "features[1]", "features[0][2]",
// "block[0]" (the tooltip has the full scope).
QString moduleTitle(const Module& m);
// "BertSelfAttention · 12 nodes"; a module of one op names the op instead: "LayerNorm · LayerNormalization".
QString moduleSubtitle(const Module& m, const Hierarchy& h, const GraphIndex& g);
// Ops drawn small: Constants and torch's Identity copies of a weight (parameters of the op they feed,
// not steps of the computation).
bool isSmallNode(const GraphIndex& g, int node);
// What a small node shows after its op: a Constant's value when it has at most 8 elements ("= 0.5",
// "= [1, -1, 64]"), else its type ("float[64]"); an Identity copy, its weight's last name part.
QString smallNodeText(const Model& model, const GraphIndex& g, int node);
// The header of an expanded module: "attention  (BertAttention)".
QString frameTitle(const Module& m);
// A model input or output by its tensor name, shortened like node names.
QString terminalName(std::string_view name);
// "[batch, 128, 32]" for a float tensor, "int64 [2]" otherwise; empty when no shape is known. A shape
// only shape inference gives (`types`, the background analysis; may be null) is marked: "≈ [1, 64, 56, 56]".
QString tensorShapeLabel(const GraphIndex& g, int tensor, const TensorTypes* types = nullptr);

} // namespace hs::ui::graph_text
