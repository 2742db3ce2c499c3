// Reading sidecars: one pass over the bytes with nlohmann's SAX parser. The node map (100k+ entries on
// big models) goes straight into SidecarEntry values; only the small module tables are built as JSON
// values, because their shape (ours: a map by scope; HTP: a nested tree) is known only at the end.
#include "display_text.h"
#include "error.h"
#include "mapped_file.h"
#include "sidecar.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace hs {
namespace {

using json = nlohmann::json;

std::string text(const json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
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

void readOurModules(const json& modules, Sidecar& sidecar) {
    for (auto it = modules.begin(); it != modules.end(); ++it)
        if (it.value().is_object())
            sidecar.modules.push_back({it.key(), text(it.value(), "class"), text(it.value(), "path")});
}

// What the parser is inside of.
enum class Role : std::uint8_t {
    Top,        // the document's object
    NodeMap,    // node_hierarchy / nodes / tagged_nodes: key -> entry
    Entry,      // one node's object
    Candidates, // an entry's "candidates" array
    Value,      // a JSON value being built (modules, and anything under an unknown key: skipped)
};

class SidecarHandler : public nlohmann::json_sax<json> {
public:
    explicit SidecarHandler(std::string path) : path_(std::move(path)) {}

    bool null() override { return scalar(json()); }
    bool boolean(bool v) override {
        if (role() == Role::Entry && key_ == "conflict") return entry().conflict = v, true;
        if (role() == Role::Entry && key_ == "sidecar_used") return claimUnused_ = !v, true;
        return scalar(json(v));
    }
    bool number_integer(number_integer_t v) override { return number(static_cast<double>(v), json(v)); }
    bool number_unsigned(number_unsigned_t v) override { return number(static_cast<double>(v), json(v)); }
    bool number_float(number_float_t v, const string_t&) override { return number(v, json(v)); }
    bool binary(binary_t&) override { return scalar(json()); }

    bool string(string_t& v) override {
        switch (role()) {
        case Role::Top:
            if (key_ == "format_version") version_ = v, hasVersion_ = true;
            if (key_ == "onnx_model") sidecar_.onnxModel = v;
            if (key_ == "model_digest") sidecar_.modelDigest = v;
            if (key_ == "generator") sidecar_.generator = v;
            return true;
        case Role::NodeMap:
            startEntry();
            entry().path = std::move(v);
            return true;
        case Role::Entry:
            entryField(v);
            return true;
        case Role::Candidates:
            entry().candidateScopes.push_back(std::move(v));
            return true;
        case Role::Value:
            return scalar(json(std::move(v)));
        }
        return true;
    }

    bool start_object(std::size_t) override {
        switch (role()) {
        case Role::Top:
            if (stack_.empty()) return push(Role::Top);
            if (isNodeMapKey(key_)) return beginNodeMap();
            if (key_ == "modules") return modules_ = json::object(), beginValue(&modules_);
            return beginValue(nullptr);
        case Role::NodeMap:
            startEntry();
            return push(Role::Entry);
        case Role::Entry:
        case Role::Candidates:
            return beginValue(nullptr);
        case Role::Value:
            return beginValue(addToValue(json::object()));
        }
        return true;
    }

    bool key(string_t& k) override {
        if (role() == Role::NodeMap)
            entryKey_ = std::move(k);
        else
            key_ = std::move(k);
        return true;
    }

    bool end_object() override { return pop(); }

    bool start_array(std::size_t) override {
        if (role() == Role::Entry && key_ == "candidates") return push(Role::Candidates);
        if (role() == Role::NodeMap) return badEntry();
        if (role() == Role::Value) return beginValue(addToValue(json::array()));
        if (role() == Role::Top && key_ == "modules" && !stack_.empty())
            return modules_ = json::array(), beginValue(&modules_);
        return beginValue(nullptr);
    }
    bool end_array() override { return pop(); }

    bool parse_error(std::size_t position, const std::string& token,
                     const nlohmann::detail::exception& e) override {
        if (!error_.empty()) return false; // a problem found by the handler itself
        // The library's words are not shown alone: the file, the place and what is wrong, in ours.
        const bool tooBig = e.id == 406;
        error_ = path_ + ": not a valid JSON sidecar (" +
                 (tooBig ? "number out of range" : std::string("parse error")) + " at byte " +
                 std::to_string(position) + (token.empty() ? "" : " near " + quoteInput(token, 40)) + ")";
        return false;
    }

    const std::string& error() const { return error_; }

    // After a successful parse: the sidecar of the form found, or an error message.
    Sidecar finish() {
        if (!sawTopObject_) {
            error_ = path_ + ": not a hierarchy sidecar (top level is not a JSON object)";
            return {};
        }
        Sidecar s = std::move(sidecar_);
        s.filePath = path_;
        const char* forms[] = {"node_hierarchy", "nodes", "tagged_nodes"};
        for (const char* form : forms) {
            auto it =
                std::find_if(maps_.begin(), maps_.end(), [&](const auto& m) { return m.first == form; });
            if (it == maps_.end()) continue;
            s.entries = std::move(it->second);
            const bool ours = std::string(form) == "node_hierarchy";
            s.format = ours ? (hasVersion_ && !version_.empty() ? version_ : "1.0") : "htp";
            if (ours && modules_.is_object()) readOurModules(modules_, s);
            if (!ours) readHtpModules(modules_, s, 0);
            return s;
        }
        error_ = path_ + ": not a hierarchy sidecar (no node_hierarchy, nodes or tagged_nodes map)";
        return {};
    }

private:
    struct Frame {
        Role role;
        json* value; // Role::Value: where the object or array is built; null: skipped
    };

    Role role() const { return stack_.empty() ? Role::Top : stack_.back().role; }
    SidecarEntry& entry() { return currentMap_->back(); }

    static bool isNodeMapKey(const std::string& k) {
        return k == "node_hierarchy" || k == "nodes" || k == "tagged_nodes";
    }

    bool push(Role r, json* value = nullptr) {
        if (r == Role::Top) sawTopObject_ = true;
        stack_.push_back({r, value});
        return true;
    }
    bool pop() {
        if (stack_.empty()) return true;
        const Frame f = stack_.back();
        if (f.role == Role::Entry) finishEntry();
        if (f.role == Role::Value && f.value) --valueDepth_;
        stack_.pop_back();
        return true;
    }

    bool beginNodeMap() {
        // A second map of the same name replaces the first, as a JSON reader would keep the last.
        auto it = std::find_if(maps_.begin(), maps_.end(), [&](const auto& m) { return m.first == key_; });
        if (it == maps_.end()) it = maps_.insert(maps_.end(), {key_, {}});
        it->second.clear();
        currentMap_ = &it->second;
        return push(Role::NodeMap);
    }

    // A JSON value built under `target` (null: parsed and dropped). Depth is bounded so that a
    // hostile file cannot make the module reader recurse without end.
    bool beginValue(json* target) {
        if (target && valueDepth_ > 256) target = nullptr;
        if (target) ++valueDepth_;
        return push(Role::Value, target);
    }
    json* addToValue(json v) {
        json* parent = stack_.back().value;
        if (!parent) return nullptr;
        if (parent->is_array()) {
            parent->push_back(std::move(v));
            return &parent->back();
        }
        json& slot = (*parent)[key_];
        slot = std::move(v);
        return &slot;
    }
    bool scalar(json v) {
        if (role() == Role::Value) addToValue(std::move(v));
        if (role() == Role::NodeMap) return badEntry();
        return true;
    }
    bool number(double d, json v) {
        if (role() == Role::Entry && key_ == "confidence") return entry().confidence = d, true;
        return scalar(std::move(v));
    }

    void startEntry() {
        currentMap_->emplace_back();
        currentMap_->back().key = std::move(entryKey_);
        key_.clear();
        claimUnused_ = false;
    }
    void entryField(std::string& v) {
        SidecarEntry& e = entry();
        if (key_ == "hierarchy_path")
            e.path = std::move(v);
        else if (key_ == "scope")
            e.scope = std::move(v), e.hasScope = true;
        else if (key_ == "module_class")
            e.moduleClass = std::move(v);
        else if (key_ == "op_type")
            e.opType = std::move(v);
        else if (key_ == "source")
            e.source = std::move(v);
        else if (key_ == "level")
            e.level = std::move(v);
        else if (key_ == "sidecar_scope")
            e.sidecarScope = std::move(v), e.sidecarScopeKnown = true;
        else if (key_ == "sidecar_path")
            e.sidecarPath = std::move(v), e.hasSidecarClaim = true;
        else if (key_ == "sidecar_source")
            e.sidecarSource = std::move(v);
    }
    void finishEntry() {
        SidecarEntry& e = entry();
        e.hasSidecarClaim = e.hasSidecarClaim || e.sidecarScopeKnown;
        e.hasSidecarScope = e.sidecarScopeKnown && !claimUnused_;
    }
    bool badEntry() {
        error_ =
            path_ + ": node " + quoteInput(entryKey_) + " has an entry that is neither a path nor an object";
        return false;
    }

    std::string path_;
    Sidecar sidecar_;
    std::string version_;
    bool hasVersion_ = false;
    bool sawTopObject_ = false;
    bool claimUnused_ = false; // the entry being read says `"sidecar_used": false`
    std::string key_;          // last key of the object being read
    std::string entryKey_;     // last key of a node map
    std::vector<Frame> stack_;
    int valueDepth_ = 0; // containers being built, for the depth bound
    std::vector<std::pair<std::string, std::vector<SidecarEntry>>> maps_;
    std::vector<SidecarEntry>* currentMap_ = nullptr;
    json modules_;
    std::string error_;
};

} // namespace

Sidecar readSidecar(const std::string& path) {
    std::shared_ptr<const MappedFile> file = MappedFile::open(path); // its errors name the file
    SidecarHandler handler(path);
    const char* begin = reinterpret_cast<const char*>(file->data());
    const bool ok = json::sax_parse(begin, begin + file->size(), &handler);
    if (!ok || !handler.error().empty())
        throw Error(handler.error().empty() ? path + ": not a valid JSON sidecar" : handler.error());
    Sidecar sidecar = handler.finish();
    if (!handler.error().empty()) throw Error(handler.error());
    return sidecar;
}

} // namespace hs
