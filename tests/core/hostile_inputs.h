#pragma once
// Generators of hostile but small inputs (issue 24): structure a mutating fuzzer rarely builds, each
// of which once crashed a command or made it grow without bound. Written on demand by the tests, never
// stored.
#include <onnx/onnx_pb.h>

#include <fstream>
#include <string>

namespace hstest::hostile {

inline onnx::ValueInfoProto floatValue(const std::string& name) {
    onnx::ValueInfoProto v;
    v.set_name(name);
    auto* t = v.mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    t->mutable_shape()->add_dim()->set_dim_value(1);
    return v;
}

inline onnx::ModelProto emptyModel(int opset = 17) {
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.set_producer_name("pytorch");
    m.set_producer_version("1.13.1");
    auto* op = m.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    m.mutable_graph()->set_name("hostile");
    return m;
}

inline void addNode(onnx::GraphProto& g, const std::string& name, const std::string& op,
                    const std::string& in, const std::string& out, const std::string& domain = "") {
    auto* n = g.add_node();
    n->set_name(name);
    n->set_op_type(op);
    n->set_domain(domain);
    n->add_input(in);
    n->add_output(out);
}

// Where a model states a deep module scope, each read by its own evidence source.
enum class Deep {
    TorchName,     // x -> Relu named "/a/a/.../a/Relu" -> Relu "/Relu" -> y
    ConverterName, // tf2onnx's "a/a/.../a/Relu"
    Metadata,      // dynamo's name_scopes ['', 'a', 'a', ..., 'relu']
    Parameter,     // x -> MatMul with the weight "a.a.....a.weight"
};

inline void addMetadata(onnx::NodeProto& node, const std::string& key, const std::string& value) {
    onnx::StringStringEntryProto entry; // NodeProto.metadata_props (field 9), newer than ONNX 1.12
    entry.set_key(key);
    entry.set_value(value);
    node.GetReflection()->MutableUnknownFields(&node)->AddLengthDelimited(9, entry.SerializeAsString());
}

inline onnx::ModelProto deepName(int levels, Deep where = Deep::TorchName) {
    onnx::ModelProto m = emptyModel();
    auto* g = m.mutable_graph();
    *g->add_input() = floatValue("x");
    *g->add_output() = floatValue("y");
    std::string name;
    for (int k = 0; k < levels; ++k)
        name += where == Deep::ConverterName && k == 0 ? "a" : "/a";
    switch (where) {
    case Deep::TorchName:
        addNode(*g, name + "/Relu", "Relu", "x", "t");
        break;
    case Deep::ConverterName:
        m.set_producer_name("tf2onnx");
        addNode(*g, name + "/Relu", "Relu", "x", "t");
        break;
    case Deep::Metadata: {
        addNode(*g, "node_Relu_0", "Relu", "x", "t");
        std::string scopes = "['', ";
        for (int k = 0; k < levels; ++k)
            scopes += "'a', ";
        addMetadata(*g->mutable_node(0), "pkg.torch.onnx.name_scopes", scopes + "'relu']");
        break;
    }
    case Deep::Parameter: {
        std::string weight;
        for (int k = 0; k < levels; ++k)
            weight += "a.";
        weight += "weight";
        auto* w = g->add_initializer();
        w->set_name(weight);
        w->set_data_type(onnx::TensorProto::FLOAT);
        w->add_dims(1);
        w->add_dims(1);
        w->add_float_data(2.0f);
        auto* n = g->add_node();
        n->set_name("MatMul_0");
        n->set_op_type("MatMul");
        n->add_input("x");
        n->add_input(weight);
        n->add_output("t");
        break;
    }
    }
    addNode(*g, where == Deep::TorchName ? "/Relu" : "Relu_1", "Relu", "t", "y");
    return m;
}

// Local functions f0 .. f<levels-1> of domain "hostile": each calls the next `calls` times in a chain, the
// last one is a Relu. One call of f0 expands into calls^levels instances of the last body. With
// `selfCalls`, a single function calls itself `calls` times instead (nesting stops at the index's limit).
inline onnx::ModelProto functionFan(int levels, int calls, bool selfCalls = false) {
    onnx::ModelProto m = emptyModel();
    auto* op = m.add_opset_import();
    op->set_domain("hostile");
    op->set_version(1);
    const int functions = selfCalls ? 1 : levels;
    for (int f = 0; f < functions; ++f) {
        auto* fn = m.add_functions();
        fn->set_name("f" + std::to_string(f));
        fn->set_domain("hostile");
        fn->add_input("x");
        fn->add_output("y");
        *fn->add_opset_import() = m.opset_import(0);
        *fn->add_opset_import() = *op;
        const bool last = !selfCalls && f == levels - 1;
        if (last) {
            auto* n = fn->add_node();
            n->set_op_type("Relu");
            n->add_input("x");
            n->add_output("y");
            continue;
        }
        const std::string callee = "f" + std::to_string(selfCalls ? 0 : f + 1);
        for (int c = 0; c < calls; ++c) {
            auto* n = fn->add_node();
            n->set_op_type(callee);
            n->set_domain("hostile");
            n->add_input(c == 0 ? "x" : "t" + std::to_string(c - 1));
            n->add_output(c == calls - 1 ? "y" : "t" + std::to_string(c));
        }
    }
    auto* g = m.mutable_graph();
    *g->add_input() = floatValue("x");
    *g->add_output() = floatValue("y");
    addNode(*g, "/f0", "f0", "x", "y", "hostile");
    return m;
}

// `levels` If nodes nested in each other's then_branch ("/l0/If" holds "/l1/If" ...), the innermost
// branch an Identity of x.
inline onnx::ModelProto nestedIfs(int levels) {
    onnx::ModelProto m = emptyModel();
    auto* g = m.mutable_graph();
    *g->add_input() = floatValue("x");
    onnx::ValueInfoProto cond;
    cond.set_name("cond");
    cond.mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::BOOL);
    cond.mutable_type()->mutable_tensor_type()->mutable_shape(); // a scalar
    *g->add_input() = cond;
    *g->add_output() = floatValue("y");
    auto branch = [](const std::string& name, const std::string& out) {
        onnx::GraphProto b;
        b.set_name(name);
        *b.add_output() = floatValue(out);
        return b;
    };
    // Built from the inside out.
    onnx::GraphProto inner = branch("then" + std::to_string(levels), "y" + std::to_string(levels));
    addNode(inner, "/l" + std::to_string(levels) + "/Identity", "Identity", "x",
            "y" + std::to_string(levels));
    for (int k = levels - 1; k >= 0; --k) {
        const std::string out = "y" + std::to_string(k);
        onnx::GraphProto outer = k == 0 ? *g : branch("then" + std::to_string(k), out);
        auto* n = outer.add_node();
        n->set_name("/l" + std::to_string(k) + "/If");
        n->set_op_type("If");
        n->add_input("cond");
        n->add_output(k == 0 ? "y" : out);
        auto* thenBranch = n->add_attribute();
        thenBranch->set_name("then_branch");
        thenBranch->set_type(onnx::AttributeProto::GRAPH);
        *thenBranch->mutable_g() = inner;
        onnx::GraphProto otherwise = branch("else" + std::to_string(k), "e" + std::to_string(k));
        addNode(otherwise, "/l" + std::to_string(k) + "/Else", "Identity", "x", "e" + std::to_string(k));
        auto* elseBranch = n->add_attribute();
        elseBranch->set_name("else_branch");
        elseBranch->set_type(onnx::AttributeProto::GRAPH);
        *elseBranch->mutable_g() = otherwise;
        if (k == 0) {
            *g = outer;
            break;
        }
        inner = outer;
    }
    return m;
}

inline bool save(const onnx::ModelProto& m, const std::string& path) {
    std::ofstream out(path, std::ios::binary);
    return m.SerializeToOstream(&out) && out.good();
}

// A sidecar (format 1.0, no digest) for deepName's model: its two nodes tagged with a hierarchy path of
// `levels` segments ("/M/S/S/.../S").
inline std::string deepPathSidecar(const onnx::ModelProto& model, int levels) {
    std::string path = "/M";
    for (int k = 0; k < levels; ++k)
        path += "/Seq";
    std::string s = "{\"node_hierarchy\": {";
    for (int k = 0; k < model.graph().node_size(); ++k)
        s += std::string(k ? ", " : "") + "\"" + model.graph().node(k).name() +
             "\": {\"hierarchy_path\": \"" + path + (k ? "/Tail" : "") + "\"}";
    return s + "}}\n";
}

// A sidecar of format 1.1 listing `modules` modules under the root (and each node tagged with one of them).
inline std::string manyModulesSidecar(const onnx::ModelProto& model, int modules) {
    std::string s = "{\"format_version\": \"1.1\", \"modules\": {";
    s.reserve(static_cast<std::size_t>(modules) * 90);
    for (int k = 0; k < modules; ++k) {
        const std::string n = std::to_string(k);
        s += std::string(k ? ",\n" : "\n") + "\"blocks." + n +
             "\": {\"class\": \"Block\", \"path\": \"/Net/Block." + n + "\"}";
    }
    s += "},\n\"node_hierarchy\": {";
    for (int k = 0; k < model.graph().node_size(); ++k)
        s += std::string(k ? ", " : "") + "\"" + model.graph().node(k).name() +
             "\": {\"hierarchy_path\": \"/Net/Block." + std::to_string(k) + "\"}";
    return s + "}}\n";
}

inline bool saveText(const std::string& text, const std::string& path) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    return out.good();
}

} // namespace hstest::hostile
