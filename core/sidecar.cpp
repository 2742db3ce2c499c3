#include "sidecar.h"

#include "error.h"
#include "graph.h"
#include "hierarchy.h"
#include "sha256.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace hs {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ordered = nlohmann::ordered_json;

std::string text(const json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void readNodeHierarchy(const json& map, Sidecar& sidecar) {
    for (auto it = map.begin(); it != map.end(); ++it) {
        SidecarEntry e;
        e.key = it.key();
        const json& v = it.value();
        if (v.is_string()) {
            e.path = v.get<std::string>();
        } else if (v.is_object()) {
            e.path = text(v, "hierarchy_path");
            if (v.contains("scope") && v["scope"].is_string())
                e.scope = v["scope"].get<std::string>(), e.hasScope = true;
            e.moduleClass = text(v, "module_class");
            e.opType = text(v, "op_type");
            e.source = text(v, "source");
            e.level = text(v, "level");
            if (v.contains("confidence") && v["confidence"].is_number())
                e.confidence = v["confidence"].get<double>();
            if (v.contains("sidecar_scope") && v["sidecar_scope"].is_string())
                e.sidecarScope = v["sidecar_scope"].get<std::string>(), e.hasSidecarScope = true;
        } else {
            throw Error(sidecar.filePath + ": node '" + e.key +
                        "' has an entry that is neither a path nor an object");
        }
        sidecar.entries.push_back(std::move(e));
    }
}

// HTP's nested module tree: {class_name, traced_tag, scope, children: {attr: {...}} or [...]}.
void readHtpModules(const json& node, Sidecar& sidecar, int depth) {
    if (!node.is_object() || depth > 256) return;
    SidecarModule m;
    m.className = text(node, "class_name");
    m.path = text(node, "traced_tag");
    m.scope = text(node, "scope");
    if (!m.path.empty()) sidecar.modules.push_back(m);
    auto children = node.find("children");
    if (children == node.end()) return;
    for (const auto& child : *children)
        readHtpModules(child, sidecar, depth + 1);
}

std::string levelText(const Assignment& a) {
    return levelName(a.level);
}

} // namespace

Sidecar readSidecar(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot open sidecar: " + std::strerror(errno));
    json doc;
    try {
        doc = json::parse(in);
    } catch (const json::parse_error& e) {
        throw Error(path + ": not a valid JSON sidecar (parse error at byte " + std::to_string(e.byte) + ")");
    } catch (const json::exception&) { // found by fuzz_sidecar: a number out of range (1e400)
        throw Error(path + ": not a valid JSON sidecar (a number is out of range)");
    }
    if (!doc.is_object()) throw Error(path + ": not a hierarchy sidecar (top level is not a JSON object)");
    Sidecar sidecar;
    sidecar.filePath = path;
    sidecar.onnxModel = text(doc, "onnx_model");
    sidecar.modelDigest = text(doc, "model_digest");
    if (doc.contains("node_hierarchy") && doc["node_hierarchy"].is_object()) {
        std::string version = text(doc, "format_version");
        sidecar.format = version.empty() ? "1.0" : version;
        readNodeHierarchy(doc["node_hierarchy"], sidecar);
        if (doc.contains("modules") && doc["modules"].is_object()) {
            for (auto it = doc["modules"].begin(); it != doc["modules"].end(); ++it) {
                if (!it.value().is_object()) continue;
                sidecar.modules.push_back({it.key(), text(it.value(), "class"), text(it.value(), "path")});
            }
        }
        return sidecar;
    }
    for (const char* key : {"nodes", "tagged_nodes"}) {
        if (doc.contains(key) && doc[key].is_object()) {
            sidecar.format = "htp";
            readNodeHierarchy(doc[key], sidecar);
            if (doc.contains("modules")) readHtpModules(doc["modules"], sidecar, 0);
            return sidecar;
        }
    }
    throw Error(path + ": not a hierarchy sidecar (no node_hierarchy, nodes or tagged_nodes map)");
}

void writeSidecar(const std::string& path, const Sidecar& sidecar) {
    ordered doc;
    doc["format_version"] = "1.1";
    doc["onnx_model"] = sidecar.onnxModel;
    doc["model_digest"] = sidecar.modelDigest;
    ordered modules = ordered::object();
    for (const auto& m : sidecar.modules)
        modules[m.scope] = {{"class", m.className}, {"path", m.path}};
    doc["modules"] = modules;
    ordered nodes = ordered::object();
    std::map<std::string, std::size_t> byLevel, bySource;
    std::size_t conflicts = 0;
    for (const auto& e : sidecar.entries) {
        ordered entry;
        entry["hierarchy_path"] = e.path;
        entry["scope"] = e.scope;
        entry["module_class"] = e.moduleClass;
        entry["op_type"] = e.opType;
        entry["source"] = e.source;
        entry["confidence"] = e.confidence;
        entry["level"] = e.level;
        if (e.hasSidecarScope) entry["sidecar_scope"] = e.sidecarScope;
        if (e.conflict) {
            entry["conflict"] = true;
            entry["candidates"] = e.candidateScopes;
            ++conflicts;
        }
        nodes[e.key] = std::move(entry);
        ++byLevel[e.level];
        ++bySource[e.source];
    }
    doc["node_hierarchy"] = std::move(nodes);
    doc["hierarchy_statistics"] = {{"nodes", sidecar.entries.size()},
                                   {"modules", sidecar.modules.size()},
                                   {"conflicts", conflicts},
                                   {"by_level", byLevel},
                                   {"by_source", bySource}};
    std::string content = doc.dump(2) + "\n";

    fs::path target(path);
    fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    std::string pattern = (folder / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    int fd = ::mkstemp(name.data());
    if (fd < 0)
        throw Error(path + ": cannot save sidecar: cannot create a file in " + folder.string() + ": " +
                    std::strerror(errno));
    const char* p = content.data();
    std::size_t left = content.size();
    bool ok = true;
    while (left > 0 && ok) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) p += n, left -= static_cast<std::size_t>(n);
    }
    int err = errno;
    ok = ok && ::fsync(fd) == 0;
    if (!ok) err = errno;
    ::close(fd);
    if (ok) ok = ::rename(name.data(), path.c_str()) == 0, err = ok ? 0 : errno;
    if (!ok) {
        ::unlink(name.data());
        throw Error(path + ": cannot save sidecar: " + std::strerror(err) +
                    " (the previous file is unchanged)");
    }
}

Sidecar makeSidecar(const GraphIndex& graph, const Hierarchy& hierarchy) {
    Sidecar sidecar;
    sidecar.format = "1.1";
    sidecar.onnxModel = fs::path(graph.model().path).filename().string();
    sidecar.modelDigest = modelDigest(graph);
    for (const auto& m : hierarchy.modules)
        sidecar.modules.push_back({m.scope, m.className, m.path});
    for (std::size_t i = 0; i < graph.size(); ++i) {
        const Assignment& a = hierarchy.assignments[i];
        const Module& m = hierarchy.modules[static_cast<std::size_t>(a.module)];
        SidecarEntry e;
        e.key = graph.key(static_cast<int>(i));
        e.scope = m.scope;
        e.hasScope = true;
        e.path = m.path;
        e.moduleClass = m.className;
        e.opType = graph.node(static_cast<int>(i)).opType;
        e.source = sourceName(a.source);
        e.level = levelText(a);
        e.confidence = a.score;
        e.conflict = a.conflict;
        for (const auto& c : a.candidates) {
            const std::string& scope = hierarchy.modules[static_cast<std::size_t>(c.module)].scope;
            e.candidateScopes.push_back(scope);
            if (c.source == Source::Sidecar && !e.hasSidecarScope)
                e.sidecarScope = scope, e.hasSidecarScope = true;
        }
        sidecar.entries.push_back(std::move(e));
    }
    return sidecar;
}

SidecarCheck checkSidecar(const GraphIndex& graph, const Sidecar& sidecar) {
    SidecarCheck check;
    if (!sidecar.modelDigest.empty() && sidecar.modelDigest != modelDigest(graph))
        check.digestMismatch = true;
    for (const auto& e : sidecar.entries) {
        if (graph.find(e.key) >= 0) {
            ++check.matchedKeys;
        } else {
            ++check.unknownKeys;
            if (check.unknownExamples.size() < 5) check.unknownExamples.push_back(e.key);
        }
    }
    std::ostringstream msg;
    msg << sidecar.filePath << ": sidecar does not match " << graph.model().path << ": ";
    if (check.digestMismatch) {
        check.applicable = false;
        msg << "it was written for a model with another structure (digest " << sidecar.modelDigest << ")";
        if (check.unknownKeys) msg << "; ";
    }
    if (check.unknownKeys) {
        check.applicable = false;
        msg << check.unknownKeys << " of " << sidecar.entries.size()
            << " node keys do not exist in the model (e.g. ";
        for (std::size_t k = 0; k < check.unknownExamples.size(); ++k)
            msg << (k ? ", " : "") << "'" << check.unknownExamples[k] << "'";
        msg << ")";
    }
    if (sidecar.entries.empty()) {
        check.applicable = false;
        msg << "it tags no nodes";
    }
    if (!check.applicable) check.message = msg.str();
    return check;
}

std::string modelDigest(const GraphIndex& graph) {
    Sha256 sha;
    const Graph& main = graph.model().main();
    auto add = [&](const std::string& s) {
        sha.update(s);
        sha.update(std::string_view("\0", 1));
    };
    for (const auto& vi : main.inputs)
        add(vi.name);
    sha.update("|");
    for (const auto& vi : main.outputs)
        add(vi.name);
    sha.update("|");
    for (const auto& node : main.nodes) {
        add(node.opType);
        for (const auto& in : node.inputs)
            add(in);
        sha.update(">");
        for (const auto& out : node.outputs)
            add(out);
        sha.update("\n");
    }
    return "sha256:" + sha.hexDigest();
}

} // namespace hs
