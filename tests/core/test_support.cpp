#include "test_support.h"

namespace hstest {

Loaded analyse(std::shared_ptr<const hs::Model> model, const hs::Sidecar* sidecar) {
    Loaded l;
    l.model = std::move(model);
    l.graph = std::make_unique<hs::GraphIndex>(l.model);
    l.hierarchy = hs::inferHierarchy(*l.graph, sidecar);
    return l;
}

Loaded load(const std::string& path, const hs::Sidecar* sidecar) {
    return analyse(hs::loadModel(path), sidecar);
}

std::shared_ptr<const hs::Model> withRenamedNodes(const hs::Model& model, const std::vector<int>& nodes) {
    auto copy = std::make_shared<hs::Model>(model);
    for (int i : nodes)
        copy->graphs[0].nodes[static_cast<std::size_t>(i)].name = "Op_" + std::to_string(i);
    return copy;
}

} // namespace hstest
