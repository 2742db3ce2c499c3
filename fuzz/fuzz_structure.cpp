// Hostile structure built from a recipe (issue 24). A mutating fuzzer rarely writes a 20,000-level scope,
// a function that calls itself four times or a sidecar of a million modules, so the input here is not
// the file but a few numbers and names from which the target builds a model (deep names, function call
// fans, nested If bodies) and a sidecar beside it (long hierarchy paths, many modules, in our format or
// HTP's). Then the command-line tool runs on them as a user would: `info --json`, `tree --json`,
// `diff MODEL MODEL` and `tag`, its printers included. Anything but exit 0 or 1 with hs::Error's message
// (a crash, a sanitizer report, "unexpected failure", a timeout, memory past -rss_limit_mb) is a finding.
#include "fuzz_support.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

int hierscope_cli_main(int argc, char** argv); // app/cli_main.cpp, its main renamed in this build

namespace {

// ---- protobuf wire format, enough to write a ModelProto ----
void varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out += static_cast<char>((v & 0x7F) | 0x80);
        v >>= 7;
    }
    out += static_cast<char>(v);
}
void bytesField(std::string& out, int field, const std::string& value) {
    varint(out, static_cast<std::uint64_t>(field) << 3 | 2);
    varint(out, value.size());
    out += value;
}
void intField(std::string& out, int field, std::uint64_t value) {
    varint(out, static_cast<std::uint64_t>(field) << 3);
    varint(out, value);
}

std::string node(const std::string& name, const std::string& op, const std::string& in,
                 const std::string& out, const std::string& domain = "", const std::string& attributes = "") {
    std::string n;
    bytesField(n, 1, in);
    bytesField(n, 2, out);
    bytesField(n, 3, name);
    bytesField(n, 4, op);
    n += attributes;
    if (!domain.empty()) bytesField(n, 7, domain);
    return n;
}
std::string floatInput(const std::string& name) {
    std::string shape, tensor, type, vi;
    std::string dim;
    intField(dim, 1, 1);
    bytesField(shape, 1, dim);
    intField(tensor, 1, 1); // FLOAT
    bytesField(tensor, 2, shape);
    bytesField(type, 1, tensor);
    bytesField(vi, 1, name);
    bytesField(vi, 2, type);
    return vi;
}
std::string opset(const std::string& domain, int version) {
    std::string o;
    if (!domain.empty()) bytesField(o, 1, domain);
    intField(o, 2, static_cast<std::uint64_t>(version));
    return o;
}

struct Recipe {
    std::string segment;  // one scope level
    std::uint32_t depth;  // levels of the deep name
    std::uint8_t calls;   // calls per function body
    std::uint8_t levels;  // functions calling the next
    bool selfCalls;       // one function calling itself instead
    std::uint8_t ifDepth; // If bodies inside each other
    std::uint32_t pathDepth, modules;
    std::uint8_t sidecarForm; // 0: none, 1: ours (1.1), 2: 1.0 paths, 3: HTP
};

Recipe readRecipe(FuzzedDataProvider& in) {
    Recipe r;
    r.segment = in.ConsumeRandomLengthString(12);
    r.depth = in.ConsumeIntegralInRange<std::uint32_t>(0, 30000);
    r.calls = in.ConsumeIntegralInRange<std::uint8_t>(0, 12);
    r.levels = in.ConsumeIntegralInRange<std::uint8_t>(0, 20);
    r.selfCalls = in.ConsumeBool();
    r.ifDepth = in.ConsumeIntegralInRange<std::uint8_t>(0, 120);
    r.pathDepth = in.ConsumeIntegralInRange<std::uint32_t>(0, 30000);
    r.modules = in.ConsumeIntegralInRange<std::uint32_t>(0, 50000);
    r.sidecarForm = in.ConsumeIntegralInRange<std::uint8_t>(0, 3);
    // Expansions the budget (2^20 instances) allows but that take seconds under the sanitizers (about
    // 15 us per instance without them) are legitimate work, not what this target looks for: kept below
    // 20,000 instances; those past the budget stay, they are refused before anything is expanded.
    auto expansion = [&](int depth) { // calls^depth, stopping past 4e6
        double n = 1;
        for (int k = 0; k < depth && n <= 4e6; ++k)
            n *= r.calls;
        return n;
    };
    const double instances = expansion(r.selfCalls ? 16 : r.levels - 1);
    if (r.calls > 1 && instances > 20000 && instances < 4e6) {
        r.selfCalls = false;
        while (r.levels > 1 && expansion(r.levels - 1) > 20000)
            --r.levels;
    }
    return r;
}

std::string repeated(const std::string& piece, std::uint32_t times, const std::string& separator) {
    std::string s;
    s.reserve((piece.size() + separator.size()) * times);
    for (std::uint32_t k = 0; k < times; ++k)
        s.append(separator).append(piece);
    return s;
}

// x -> deep-named Relu -> [function call] -> [nested Ifs] -> y
std::string buildModel(const Recipe& r, std::vector<std::string>& nodeNames) {
    std::string graph;
    const std::string deep = repeated(r.segment, r.depth, "/") + "/Relu";
    nodeNames.push_back(deep);
    bytesField(graph, 1, node(deep, "Relu", "x", "t0"));
    std::string last = "t0";
    std::string functions;
    if (r.calls > 0 && r.levels > 0) {
        const int count = r.selfCalls ? 1 : r.levels;
        for (int f = 0; f < count; ++f) {
            std::string fn;
            bytesField(fn, 1, "f" + std::to_string(f));
            bytesField(fn, 4, "x");
            bytesField(fn, 5, "y");
            if (!r.selfCalls && f == count - 1) {
                bytesField(fn, 7, node("", "Relu", "x", "y"));
            } else {
                const std::string callee = "f" + std::to_string(r.selfCalls ? 0 : f + 1);
                for (int c = 0; c < r.calls; ++c)
                    bytesField(fn, 7,
                               node("", callee, c == 0 ? "x" : "t" + std::to_string(c - 1),
                                    c == r.calls - 1 ? "y" : "t" + std::to_string(c), "fuzz"));
            }
            bytesField(fn, 9, opset("", 17));
            bytesField(fn, 9, opset("fuzz", 1));
            bytesField(fn, 10, "fuzz");
            bytesField(functions, 25, fn);
        }
        nodeNames.push_back("/call/f0");
        bytesField(graph, 1, node("/call/f0", "f0", last, "t1", "fuzz"));
        last = "t1";
    }
    if (r.ifDepth > 0) {
        // From the inside out: the innermost branch returns x.
        std::string inner;
        bytesField(inner, 1, node("/if/inner", "Identity", "x", "b" + std::to_string(r.ifDepth)));
        bytesField(inner, 2, "then" + std::to_string(r.ifDepth));
        bytesField(inner, 12, floatInput("b" + std::to_string(r.ifDepth)));
        for (int k = r.ifDepth - 1; k >= 0; --k) {
            std::string thenAttr, elseAttr, elseGraph;
            bytesField(thenAttr, 1, "then_branch");
            bytesField(thenAttr, 6, inner);
            intField(thenAttr, 20, 5); // GRAPH
            bytesField(elseGraph, 1,
                       node("/if/else" + std::to_string(k), "Identity", "x", "e" + std::to_string(k)));
            bytesField(elseGraph, 2, "else" + std::to_string(k));
            bytesField(elseGraph, 12, floatInput("e" + std::to_string(k)));
            bytesField(elseAttr, 1, "else_branch");
            bytesField(elseAttr, 6, elseGraph);
            intField(elseAttr, 20, 5);
            std::string attributes;
            bytesField(attributes, 5, thenAttr);
            bytesField(attributes, 5, elseAttr);
            const std::string out = k == 0 ? "t2" : "b" + std::to_string(k);
            const std::string ifNode =
                node("/if/l" + std::to_string(k) + "/If", "If", "c", out, "", attributes);
            if (k == 0) {
                nodeNames.push_back("/if/l0/If");
                bytesField(graph, 1, ifNode);
                break;
            }
            inner.clear();
            bytesField(inner, 1, ifNode);
            bytesField(inner, 2, "then" + std::to_string(k));
            bytesField(inner, 12, floatInput(out));
        }
        last = "t2";
    }
    nodeNames.push_back("/Relu");
    bytesField(graph, 1, node("/Relu", "Relu", last, "y"));
    bytesField(graph, 2, "fuzz");
    bytesField(graph, 11, floatInput("x"));
    std::string cond, condType, condTensor;
    intField(condTensor, 1, 9); // BOOL
    bytesField(condType, 1, condTensor);
    bytesField(cond, 1, "c");
    bytesField(cond, 2, condType);
    bytesField(graph, 11, cond);
    bytesField(graph, 12, floatInput("y"));
    std::string model;
    intField(model, 1, 8); // ir_version
    bytesField(model, 2, "pytorch");
    bytesField(model, 7, graph);
    bytesField(model, 8, opset("", 17));
    bytesField(model, 8, opset("fuzz", 1));
    return model + functions;
}

std::string jsonString(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

std::string buildSidecar(const Recipe& r, const std::vector<std::string>& nodeNames) {
    const std::string path = "/Net" + repeated(r.segment.empty() ? "Seq" : r.segment, r.pathDepth, "/");
    std::ostringstream s;
    if (r.sidecarForm == 3) { // HTP: a flat node map and a module tree with one wide level
        s << "{\"nodes\": {";
        for (std::size_t k = 0; k < nodeNames.size(); ++k)
            s << (k ? ", " : "") << jsonString(nodeNames[k]) << ": "
              << jsonString(path + (k % 2 ? "/Tail" : ""));
        s << "}, \"modules\": {\"class_name\": \"Net\", \"traced_tag\": \"/Net\", \"children\": [";
        for (std::uint32_t m = 0; m < r.modules; ++m)
            s << (m ? ", " : "") << "{\"class_name\": \"Block\", \"traced_tag\": \"/Net/Block." << m
              << "\", \"scope\": \"blocks." << m << "\"}";
        s << "]}}";
        return s.str();
    }
    s << "{\"format_version\": \"" << (r.sidecarForm == 1 ? "1.1" : "1.0") << "\", \"modules\": {";
    for (std::uint32_t m = 0; m < r.modules; ++m)
        s << (m ? ", " : "") << "\"blocks." << m << "\": {\"class\": \"Block\", \"path\": \"/Net/Block." << m
          << "\"}";
    s << "}, \"node_hierarchy\": {";
    for (std::size_t k = 0; k < nodeNames.size(); ++k)
        s << (k ? ", " : "") << jsonString(nodeNames[k])
          << ": {\"hierarchy_path\": " << jsonString(path + (k % 2 ? "/Tail" : ""))
          << (r.sidecarForm == 1 ? ", \"scope\": \"blocks.1\"" : "") << "}";
    s << "}}";
    return s.str();
}

// One command of the CLI, its output discarded; its error text is kept for the check below.
int runCli(std::vector<std::string> args, std::string& err) {
    args.insert(args.begin(), "hierscope-cli");
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    std::ostringstream out, errors;
    std::streambuf* oldOut = std::cout.rdbuf(out.rdbuf());
    std::streambuf* oldErr = std::cerr.rdbuf(errors.rdbuf());
    const int code = hierscope_cli_main(static_cast<int>(args.size()), argv.data());
    std::cout.rdbuf(oldOut);
    std::cerr.rdbuf(oldErr);
    err = errors.str();
    return code;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const Recipe recipe = readRecipe(in);
    std::vector<std::string> nodeNames;
    const std::string model = buildModel(recipe, nodeNames);
    const std::string modelPath =
        hs::fuzz::writeInput(reinterpret_cast<const std::uint8_t*>(model.data()), model.size(), ".onnx");
    // Found beside the model: input.onnx -> input.hierarchy.json.
    const std::string sidecarPath = modelPath.substr(0, modelPath.size() - 5) + ".hierarchy.json";
    if (recipe.sidecarForm > 0) {
        std::ofstream(sidecarPath, std::ios::binary) << buildSidecar(recipe, nodeNames);
    } else {
        std::remove(sidecarPath.c_str());
    }
    const std::string tagged = modelPath.substr(0, modelPath.size() - 5) + ".tagged.json";
    for (const auto& args : std::vector<std::vector<std::string>>{{"info", modelPath, "--json"},
                                                                  {"tree", modelPath, "--json"},
                                                                  {"diff", modelPath, modelPath},
                                                                  {"tag", modelPath, "-o", tagged}}) {
        std::string err;
        const int code = runCli(args, err);
        // Exit 1 is bad input said in our words; an exception the core did not foresee is a finding.
        if (code > 1 || err.find("unexpected failure") != std::string::npos) {
            std::fprintf(stderr, "hierscope-cli %s: exit %d: %s\n", args[0].c_str(), code, err.c_str());
            std::abort();
        }
    }
    return 0;
}
