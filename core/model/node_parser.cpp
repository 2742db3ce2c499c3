#include "model/node_parser.h"

#include "model/wire_messages.h"

#include <cstdio>
#include <utility>

namespace hs::wire {
namespace {

// Attribute summaries are built for every node: plain string appends, no ostringstream (which costs a
// locale setup per use and dominated opening graphs with many Constants), and no vector of the value
// texts: the first value (a scalar's summary) and the list's first 16 joined are all that is shown.
struct Values {
    static constexpr std::size_t kShown = 16;
    std::string first, list; // the first value; the first kShown joined with ", "
    std::size_t count = 0;
    void push_back(std::string value) {
        if (count < kShown) {
            if (count) list += ", ";
            list += value;
        }
        if (count == 0) first = std::move(value);
        ++count;
    }
    std::string joined() const { // "[1, 2, 3]", "[1, ..., 16, ... (40)]"
        std::string out = "[" + list;
        if (count > kShown) out += ", ... (" + std::to_string(count) + ")";
        out += ']';
        return out;
    }
};

std::string formatFloat(float v) { // as `std::ostream << v` writes it (%g, 6 digits)
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
    return buf;
}

} // namespace

Node NodeParser::parse(const Field& outer, int graph, int index, int depth) {
    Node n;
    n.span = {outer.offset, outer.bytes.size()};
    const std::size_t firstInput = inputNames_.size(), firstOutput = outputNames_.size();
    Reader r(outer.bytes, outer.offset);
    while (!r.atEnd()) {
        Field f = r.next();
        switch (f.number) {
        case 1:
            inputNames_.push_back(f.bytes);
            break;
        case 2:
            outputNames_.push_back(f.bytes);
            break;
        case 3:
            n.name = str(f);
            break;
        case 4:
            n.opType = str(f);
            break;
        case 7:
            n.domain = str(f);
            break;
        case 5:
            expectMessage(f, "attribute");
            n.attributes.push_back(parseAttribute(f, graph, index, depth));
            break;
        case 9:
            expectMessage(f, "metadata_props");
            if (n.metadata.empty()) ++nodesWithMetadata_;
            n.metadata.push_back(parseStringPair(f));
            break;
        default:
            break;
        }
    }
    n.inputs = names_.list(inputNames_.data() + firstInput, inputNames_.size() - firstInput);
    n.outputs = names_.list(outputNames_.data() + firstOutput, outputNames_.size() - firstOutput);
    inputNames_.resize(firstInput);
    outputNames_.resize(firstOutput);
    return n;
}

Attribute NodeParser::parseAttribute(const Field& outer, int graph, int node, int depth) {
    Attribute a;
    Values values;
    std::vector<Field> graphFields;
    Reader r(outer.bytes, outer.offset);
    while (!r.atEnd()) {
        Field f = r.next();
        switch (f.number) {
        case 1:
            a.name = str(f);
            break;
        case 2:
            a.kind = AttributeKind::Float;
            forEachFixed32(f, [&](float v) { values.push_back(formatFloat(v)); });
            break;
        case 3:
            a.kind = AttributeKind::Int;
            values.push_back(std::to_string(static_cast<std::int64_t>(f.varint)));
            break;
        case 4:
            a.kind = AttributeKind::String;
            values.push_back('"' + str(f).substr(0, 80) + '"');
            break;
        case 5:
            a.kind = AttributeKind::Tensor;
            values.push_back(describeTensor(parseTensorHeader(f)));
            break;
        case 6:
            a.kind = AttributeKind::Graph;
            graphFields.push_back(f);
            break;
        case 7:
            a.kind = AttributeKind::Floats;
            forEachFixed32(f, [&](float v) { values.push_back(formatFloat(v)); });
            break;
        case 8:
            a.kind = AttributeKind::Ints;
            forEachVarint(
                f, [&](std::uint64_t v) { values.push_back(std::to_string(static_cast<std::int64_t>(v))); });
            break;
        case 9:
            a.kind = AttributeKind::Strings;
            values.push_back('"' + str(f).substr(0, 40) + '"');
            break;
        case 10:
            a.kind = AttributeKind::Tensors;
            values.push_back(describeTensor(parseTensorHeader(f)));
            break;
        case 11:
            a.kind = AttributeKind::Graphs;
            graphFields.push_back(f);
            break;
        case 21:
            values.push_back("@" + str(f));
            break; // ref_attr_name inside functions
        default:
            break;
        }
    }
    if (!graphFields.empty() && !subgraphs_) throw SubgraphMet{};
    for (const Field& gf : graphFields)
        a.subgraphs.push_back(subgraphs_->parseSubgraph(gf, graph, node, a.name, depth));
    bool list = a.kind == AttributeKind::Floats || a.kind == AttributeKind::Ints ||
                a.kind == AttributeKind::Strings || a.kind == AttributeKind::Tensors;
    if (a.kind == AttributeKind::Graph || a.kind == AttributeKind::Graphs)
        a.summary = "graph (" + std::to_string(a.subgraphs.size()) + ")";
    else if (list)
        a.summary = values.joined();
    else if (values.count > 0)
        a.summary = std::move(values.first);
    return a;
}

} // namespace hs::wire
