#pragma once
// Shared helpers of the core test suites: fixture paths and a loaded model with its hierarchy.
// Third-party models: hstest::sharedModel and HSTEST_SKIP_IF_ABSENT (../model_paths.h).
#include "../model_paths.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "model/model.h"
#include "sidecar/sidecar.h"

#include <memory>
#include <string>

namespace hstest {

inline std::string fixture(const std::string& name) {
    return std::string(HS_FIXTURES) + "/" + name;
}

struct Loaded {
    std::shared_ptr<const hs::Model> model;
    std::unique_ptr<hs::GraphIndex> graph;
    hs::Hierarchy hierarchy;

    const std::string& scopeOf(int node) const {
        return hierarchy
            .modules[static_cast<std::size_t>(hierarchy.assignments[static_cast<std::size_t>(node)].module)]
            .scope;
    }
    int node(const std::string& key) const { return graph->find(key); }
};

Loaded load(const std::string& path, const hs::Sidecar* sidecar = nullptr);
Loaded analyse(std::shared_ptr<const hs::Model> model, const hs::Sidecar* sidecar = nullptr);

// A copy of the model in which the given main-graph nodes are renamed "Op_<index>", as optimizers do.
std::shared_ptr<const hs::Model> withRenamedNodes(const hs::Model& model, const std::vector<int>& nodes);

} // namespace hstest
