#pragma once
// GUI tests' renamed exports (issue 20): a fixture with every main-graph node renamed as torch <= 1.12
// named them ("<Op>_<index>", parameter names kept), and each node's true module from the original names.
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "model/model.h"

#include <onnx/onnx_pb.h>

#include <QString>
#include <fstream>
#include <string>
#include <vector>

namespace hs::ui::test {

// A copy of a fixture with every main-graph node renamed "<Op>_<index>", and each node's true scope
// (by index) where the original's torch name scope says it.
struct Renamed {
    QString path;
    std::vector<std::string> trueScope; // empty string: root; "?" no ground truth
};

inline bool renameAsOldTorch(const QString& source, const QString& target, Renamed& r) {
    onnx::ModelProto proto;
    std::ifstream in(source.toStdString(), std::ios::binary);
    if (!proto.ParseFromIstream(&in)) return false;
    for (int i = 0; i < proto.graph().node_size(); ++i) {
        onnx::NodeProto* node = proto.mutable_graph()->mutable_node(i);
        node->set_name(node->op_type() + "_" + std::to_string(i));
    }
    std::ofstream out(target.toStdString(), std::ios::binary);
    if (!proto.SerializeToOstream(&out)) return false;
    out.close();
    const auto model = loadModel(source.toStdString());
    const GraphIndex graph(model);
    const Hierarchy truth = inferHierarchy(graph);
    r.path = target;
    for (std::size_t i = 0; i < truth.assignments.size(); ++i) {
        const Assignment& a = truth.assignments[i];
        r.trueScope.push_back(a.source == Source::NameScope
                                  ? truth.modules[static_cast<std::size_t>(a.module)].scope
                                  : std::string("?"));
    }
    return true;
}

inline const std::string& scopeOf(const Hierarchy& h, int node) {
    return h.modules[static_cast<std::size_t>(h.assignments[static_cast<std::size_t>(node)].module)].scope;
}

// Whether `ancestor` is `scope` or above it, by atoms: "encoder" is above "encoder.layer.0", "" above all.
inline bool above(const std::string& ancestor, const std::string& scope) {
    return ancestor.empty() || scope == ancestor ||
           (scope.size() > ancestor.size() && scope.compare(0, ancestor.size(), ancestor) == 0 &&
            scope[ancestor.size()] == '.');
}

} // namespace hs::ui::test
