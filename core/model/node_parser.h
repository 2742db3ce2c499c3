#pragma once
// Reading NodeProto messages into Nodes (internal to core/model). The loader runs one NodeParser per
// thread: the main graph's nodes are read by two threads on big graphs (see model.cpp), each with its
// own name buffers and NameStore.
#include "model/model.h"
#include "model/wire_reader.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace hs::wire {

// Where a node's Graph and Graphs attributes (If, Loop, Scan bodies) are read: the loader, which
// appends them to Model::graphs and returns their index.
class SubgraphSink {
public:
    virtual int parseSubgraph(const Field& f, int parentGraph, int parentNode, const std::string& attribute,
                              int depth) = 0;

protected:
    ~SubgraphSink() = default;
};

// Thrown by a NodeParser without a SubgraphSink when a node has a graph attribute: the nodes it was
// reading must be read again by the loader's own parser, in order.
struct SubgraphMet {};

class NodeParser {
public:
    // subgraphs may be null: a graph attribute then throws SubgraphMet.
    NodeParser(NameStore& names, SubgraphSink* subgraphs) : names_(names), subgraphs_(subgraphs) {}

    Node parse(const Field& outer, int graph, int index, int depth);
    std::size_t nodesWithMetadata() const { return nodesWithMetadata_; }

private:
    Attribute parseAttribute(const Field& outer, int graph, int node, int depth);

    NameStore& names_;
    SubgraphSink* subgraphs_;
    std::size_t nodesWithMetadata_ = 0;
    // Input and output names are gathered as views of the file in two buffers shared by all nodes (a
    // body node parsed inside an attribute appends after its owner's names and truncates back), then
    // copied into the NameStore once the node ends: no string or vector per name.
    std::vector<std::string_view> inputNames_, outputNames_;
};

} // namespace hs::wire
