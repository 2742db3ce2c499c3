#pragma once
// Everything the loader reads of a model, as text: two reads are the same model when their texts are
// equal. Shared by tests/core/test_model_threads.cpp and fuzz/fuzz_model.cpp (header-only, no Qt).
#include "model/mapped_file.h"
#include "model/model.h"

#include <ostream>
#include <sstream>
#include <string>
#include <vector>

namespace hstest {

inline void describeType(std::ostream& out, const hs::TensorType& t) {
    out << t.elemType << (t.hasShape ? "[" : "(");
    for (const hs::Dim& d : t.dims)
        out << d.value << ':' << d.param << ',';
    out << ']';
}

inline void describeValues(std::ostream& out, const char* what, const std::vector<hs::ValueInfo>& values) {
    for (const hs::ValueInfo& v : values) {
        out << what << ' ' << v.name << ' ' << v.span.offset << '+' << v.span.length << ' ';
        describeType(out, v.type);
        out << '\n';
    }
}

inline void describeNode(std::ostream& out, const hs::Node& n) {
    out << "node " << n.name << ' ' << n.domain << "::" << n.opType << ' ' << n.span.offset << '+'
        << n.span.length << " in";
    for (std::string_view in : n.inputs)
        out << " '" << in << '\'';
    out << " out";
    for (std::string_view o : n.outputs)
        out << " '" << o << '\'';
    for (const hs::Attribute& a : n.attributes) {
        out << " @" << a.name << '=' << static_cast<int>(a.kind) << ':' << a.summary;
        for (int s : a.subgraphs)
            out << " g" << s;
    }
    for (const auto& [key, value] : n.metadata)
        out << " {" << key << '=' << value << '}';
    out << '\n';
}

// The loader's copy of a small initializer (Initializer::kept): "kept" when it holds the file's bytes of
// the tensor, "-" when there is none.
inline const char* keptCopy(const hs::Model& m, const hs::Initializer& i) {
    if (i.kept.empty()) return "-";
    return m.file && i.kept == m.file->bytes(i.span.offset, i.span.length) ? "kept" : "kept-but-different";
}

inline void describeInitializer(std::ostream& out, const hs::Model& m, const hs::Initializer& i) {
    out << "init " << i.name << ' ' << i.dataType << " [";
    for (std::int64_t d : i.dims)
        out << d << ',';
    out << "] " << i.span.offset << '+' << i.span.length << ' ' << i.payload.offset << '+' << i.payload.length
        << ' ' << i.external << ' ' << i.externalPath << ' ' << i.externalLocation << ' ' << i.externalOffset
        << '+' << i.externalLength << ' ' << keptCopy(m, i) << '\n';
}

// Everything the loader reads, as text: two reads are the same model when their texts are equal.
inline std::string describe(const hs::Model& m) {
    std::ostringstream out;
    out << m.irVersion << ' ' << m.producerName << ' ' << m.nodesWithMetadata << ' ' << m.graphs.size() << ' '
        << m.functions.size() << '\n';
    for (const hs::Graph& g : m.graphs) {
        out << "graph " << g.name << ' ' << static_cast<int>(g.kind) << ' ' << g.parentGraph << ' '
            << g.parentNode << ' ' << g.parentAttribute << ' ' << g.function << '\n';
        for (const hs::Node& n : g.nodes)
            describeNode(out, n);
        for (const hs::Initializer& i : g.initializers)
            describeInitializer(out, m, i);
        describeValues(out, "input", g.inputs);
        describeValues(out, "output", g.outputs);
        describeValues(out, "value_info", g.valueInfo);
    }
    return out.str();
}

} // namespace hstest
