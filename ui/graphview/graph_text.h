#pragma once
// Texts the graph shows for nodes, modules, model inputs/outputs and edges (shared by the scene's
// interior building, which measures them, and its item placement, which draws them).
#include <QString>
#include <string>

namespace hs {
class GraphIndex;
struct Module;
struct TensorTypes;
} // namespace hs

namespace hs::ui::graph_text {

QString qs(const std::string& s);
// The last segment of a node name ("/encoder/layer.0/attention/self/MatMul_1" -> "MatMul_1").
QString shortNodeName(const GraphIndex& graph, int node);
QString moduleTitle(const Module& m);
QString moduleSubtitle(const Module& m);
// The header of an expanded module: "attention  (BertAttention)".
QString frameTitle(const Module& m);
// A model input or output by its tensor name, shortened like node names.
QString terminalName(const std::string& name);
// "[batch, 128, 32]" for a float tensor, "int64 [2]" otherwise; empty when no shape is known. A shape
// only shape inference gives (`types`, the background analysis; may be null) is marked: "≈ [1, 64, 56, 56]".
QString tensorShapeLabel(const GraphIndex& g, int tensor, const TensorTypes* types = nullptr);

} // namespace hs::ui::graph_text
