// Reading sidecars: one recursive-descent pass over the mapped bytes that knows the sidecar forms. The
// node map (100k+ entries on big models) goes straight into SidecarEntry values, each string parsed
// once into its field; the module table's bytes are kept and read once its form (ours: a map by scope,
// HTP: a nested tree) is known at the end, also straight into values. Strict JSON, except that bytes which
// are not UTF-8 are taken as they are (a key written by another tool then still matches its node).
#include "common/display_text.h"
#include "common/error.h"
#include "graph/name_table.h"
#include "model/mapped_file.h"
#include "sidecar/json_cursor.h"
#include "sidecar/sidecar.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hs {
namespace {

// The string value at the cursor, or "" for any other value (skipped).
std::string textOrEmpty(JsonCursor& in) {
    std::string s;
    if (in.peek() == '"')
        in.string(s);
    else
        in.skip(1);
    return s;
}

// An object's members sorted by key, a repeated key meaning its last value (as the JSON library's map
// read them before: the module tables keep that order).
std::vector<std::pair<std::string, ValueRange>> sortedMembers(JsonCursor& in) {
    std::vector<std::pair<std::string, ValueRange>> members;
    in.expect('{');
    for (bool more = in.firstMember('}'); more; more = in.nextMember('}')) {
        members.emplace_back();
        in.string(members.back().first);
        in.expect(':');
        members.back().second = skipValue(in);
    }
    std::stable_sort(members.begin(), members.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    // Of equal keys, keep the last.
    std::size_t kept = 0;
    for (std::size_t k = 0; k < members.size(); ++k) {
        if (k + 1 < members.size() && members[k + 1].first == members[k].first) continue;
        if (kept != k) members[kept] = std::move(members[k]);
        ++kept;
    }
    members.resize(kept);
    return members;
}

// HTP's nested module tree: {class_name, traced_tag, scope, children: {attr: {...}} or [...]}. Nesting
// was bounded by the reader's pass (kMaxJsonDepth).
void readHtpModules(ValueRange range, Sidecar& sidecar) {
    JsonCursor in(range.begin, range.end);
    if (in.peek() != '{') return;
    SidecarModule m;
    ValueRange children;
    in.expect('{');
    std::string key;
    for (bool more = in.firstMember('}'); more; more = in.nextMember('}')) {
        in.string(key);
        in.expect(':');
        if (key == "class_name")
            m.className = textOrEmpty(in);
        else if (key == "traced_tag")
            m.path = textOrEmpty(in);
        else if (key == "scope")
            m.scope = textOrEmpty(in);
        else if (key == "children")
            children = skipValue(in);
        else
            in.skip(1);
    }
    if (!m.path.empty()) sidecar.modules.push_back(std::move(m));
    if (!children.begin) return;
    JsonCursor c(children.begin, children.end);
    if (c.peek() == '{') {
        for (const auto& member : sortedMembers(c))
            readHtpModules(member.second, sidecar);
    } else if (c.peek() == '[') {
        c.expect('[');
        for (bool more = c.firstMember(']'); more; more = c.nextMember(']'))
            readHtpModules(skipValue(c), sidecar);
    }
}

// Ours: {scope: {class, path}}, read straight into the sidecar's list (2.3 M modules once took 3.6 GB as
// JSON values).
void readOurModules(ValueRange range, Sidecar& sidecar) {
    JsonCursor in(range.begin, range.end);
    if (in.peek() != '{') return;
    auto members = sortedMembers(in);
    sidecar.modules.reserve(members.size());
    std::string key;
    for (auto& member : members) {
        JsonCursor v(member.second.begin, member.second.end);
        if (v.peek() != '{') continue;
        SidecarModule m;
        m.scope = std::move(member.first);
        v.expect('{');
        for (bool more = v.firstMember('}'); more; more = v.nextMember('}')) {
            v.string(key);
            v.expect(':');
            if (key == "class")
                m.className = textOrEmpty(v);
            else if (key == "path")
                m.path = textOrEmpty(v);
            else if (key == "renamed_from")
                m.renamedFrom = textOrEmpty(v);
            else
                v.skip(1);
        }
        sidecar.modules.push_back(std::move(m));
    }
}

// A key repeated in a node map means its last entry, as JSON readers keep the last value: a million
// entries of one node once became a million claims and modules. Kept in file order otherwise. The keys
// are found in a NameTable of views (a node per key of a std::unordered_map was a tenth of reading 126k
// entries); it maps each key to its first entry, `latest` that entry to the key's latest one.
void keepLastOfEachKey(std::vector<SidecarEntry>& entries) {
    NameTable firstOfKey;
    firstOfKey.reserve(entries.size());
    std::vector<std::size_t> latest(entries.size());
    std::vector<char> keep(entries.size(), 1);
    bool repeated = false;
    for (std::size_t k = 0; k < entries.size(); ++k) {
        const auto [first, inserted] = firstOfKey.tryEmplace(entries[k].key, static_cast<int>(k));
        const auto f = static_cast<std::size_t>(first);
        if (!inserted) { // the later entry replaces the earlier
            keep[latest[f]] = 0;
            repeated = true;
        }
        latest[f] = k;
    }
    if (!repeated) return;
    std::size_t n = 0;
    for (std::size_t k = 0; k < entries.size(); ++k)
        if (keep[k]) {
            if (n != k) entries[n] = std::move(entries[k]);
            ++n;
        }
    entries.resize(n);
}

// The members of an entry object the reader knows: a string into its field, or one of the others. Found
// by length, then bytes (a chain of string comparisons was a tenth of reading 126k entries).
enum class Other { None, Confidence, Conflict, SidecarUsed, Candidates };
struct EntryField {
    std::string SidecarEntry::*text = nullptr;
    Other other = Other::None;
};

EntryField entryField(std::string_view key) {
    struct Known {
        std::string_view name;
        EntryField field;
    };
    static const Known known[] = {
        {"hierarchy_path", {&SidecarEntry::path}},
        {"scope", {&SidecarEntry::scope}},
        {"module_class", {&SidecarEntry::moduleClass}},
        {"op_type", {&SidecarEntry::opType}},
        {"source", {&SidecarEntry::source}},
        {"confidence", {nullptr, Other::Confidence}},
        {"level", {&SidecarEntry::level}},
        {"sidecar_scope", {&SidecarEntry::sidecarScope}},
        {"sidecar_path", {&SidecarEntry::sidecarPath}},
        {"sidecar_source", {&SidecarEntry::sidecarSource}},
        {"sidecar_used", {nullptr, Other::SidecarUsed}},
        {"suggested_scope", {&SidecarEntry::suggestedScope}},
        {"suggested_reason", {&SidecarEntry::suggestedReason}},
        {"conflict", {nullptr, Other::Conflict}},
        {"candidates", {nullptr, Other::Candidates}},
    };
    for (const Known& k : known)
        if (k.name.size() == key.size() && std::memcmp(k.name.data(), key.data(), key.size()) == 0)
            return k.field;
    return {};
}

class SidecarReader {
    static constexpr std::size_t kSampleEntries = 64;

public:
    SidecarReader(const std::string& path, const char* begin, const char* end)
        : path_(path), in_(begin, end) {}

    Sidecar read() {
        if (in_.peek() != '{') {
            in_.skip(0); // a valid document that is not an object, or the parse error
            throw Error(path_ + ": not a hierarchy sidecar (top level is not a JSON object)");
        }
        in_.expect('{');
        std::string key;
        for (bool more = in_.firstMember('}'); more; more = in_.nextMember('}')) {
            in_.string(key);
            in_.expect(':');
            topMember(key);
        }
        if (!in_.atEnd()) in_.fail("unexpected text after the document");
        return finish();
    }

private:
    void topMember(const std::string& key) {
        const bool isString = in_.peek() == '"';
        if (isString &&
            (key == "format_version" || key == "onnx_model" || key == "model_digest" || key == "generator")) {
            std::string& field = key == "format_version" ? version_
                                 : key == "onnx_model"   ? sidecar_.onnxModel
                                 : key == "model_digest" ? sidecar_.modelDigest
                                                         : sidecar_.generator;
            in_.string(field);
            hasVersion_ = hasVersion_ || key == "format_version";
        } else if (in_.peek() == '{' &&
                   (key == "node_hierarchy" || key == "nodes" || key == "tagged_nodes")) {
            nodeMap(mapFor(key));
        } else if (key == "modules") {
            modules_ = skipValue(in_); // its form is known at the end
        } else {
            in_.skip(1);
        }
    }

    // A second map of the same name replaces the first, as JSON readers keep the last.
    std::vector<SidecarEntry>& mapFor(const std::string& key) {
        auto it = std::find_if(maps_.begin(), maps_.end(), [&](const auto& m) { return m.first == key; });
        if (it == maps_.end()) it = maps_.insert(maps_.end(), {key, {}});
        it->second.clear();
        return it->second;
    }

    void nodeMap(std::vector<SidecarEntry>& entries) {
        in_.expect('{');
        const std::size_t start = in_.offset();
        for (bool more = in_.firstMember('}'); more; more = in_.nextMember('}')) {
            if (entries.size() == kSampleEntries) reserveLikeTheSample(entries, start);
            entries.emplace_back();
            SidecarEntry& e = entries.back();
            in_.string(e.key);
            in_.expect(':');
            const char c = in_.peek();
            if (c == '"')
                in_.string(e.path);
            else if (c == '{')
                entry(e);
            else
                throw Error(path_ + ": node " + quoteInput(e.key) +
                            " has an entry that is neither a path nor an object");
        }
    }

    // Room for as many entries as the rest of the file holds if they are like the first ones: growing
    // the vector moved 126k entries of 440 bytes twice over. At most 4 bytes of entries per byte of
    // the file are reserved (ours take 1.4), so a file whose first entries mislead costs no more.
    void reserveLikeTheSample(std::vector<SidecarEntry>& entries, std::size_t start) {
        const std::size_t bytesPerEntry = std::max<std::size_t>(1, (in_.offset() - start) / entries.size());
        const std::size_t left = in_.size() - in_.offset();
        const std::size_t estimate = entries.size() + left / bytesPerEntry + left / bytesPerEntry / 8;
        entries.reserve(std::min(estimate, 4 * in_.size() / sizeof(SidecarEntry)));
    }

    void entry(SidecarEntry& e) {
        in_.expect('{');
        bool claimUnused = false;
        for (bool more = in_.firstMember('}'); more; more = in_.nextMember('}')) {
            const EntryField field = entryField(in_.stringView(key_));
            in_.expect(':');
            const char c = in_.peek();
            if (c == '"' && field.text) {
                in_.string(e.*field.text);
                e.hasScope = e.hasScope || field.text == &SidecarEntry::scope;
                e.sidecarScopeKnown = e.sidecarScopeKnown || field.text == &SidecarEntry::sidecarScope;
                e.hasSidecarClaim = e.hasSidecarClaim || field.text == &SidecarEntry::sidecarPath;
            } else if (field.other == Other::Confidence && (c == '-' || (c >= '0' && c <= '9'))) {
                e.confidence = in_.number();
            } else if (field.other == Other::Conflict && (c == 't' || c == 'f')) {
                e.conflict = in_.literal();
            } else if (field.other == Other::SidecarUsed && (c == 't' || c == 'f')) {
                claimUnused = !in_.literal();
            } else if (field.other == Other::Candidates && c == '[') {
                candidates(e);
            } else {
                in_.skip(3);
            }
        }
        e.hasSidecarClaim = e.hasSidecarClaim || e.sidecarScopeKnown;
        e.hasSidecarScope = e.sidecarScopeKnown && !claimUnused;
    }

    void candidates(SidecarEntry& e) {
        in_.expect('[');
        for (bool more = in_.firstMember(']'); more; more = in_.nextMember(']')) {
            if (in_.peek() != '"') {
                in_.skip(4);
                continue;
            }
            e.candidateScopes.emplace_back();
            in_.string(e.candidateScopes.back());
        }
    }

    Sidecar finish() {
        Sidecar s = std::move(sidecar_);
        s.filePath = path_;
        for (const char* form : {"node_hierarchy", "nodes", "tagged_nodes"}) {
            auto it =
                std::find_if(maps_.begin(), maps_.end(), [&](const auto& m) { return m.first == form; });
            if (it == maps_.end()) continue;
            s.entries = std::move(it->second);
            keepLastOfEachKey(s.entries);
            const bool ours = it->first == "node_hierarchy";
            s.format = ours ? (hasVersion_ && !version_.empty() ? version_ : "1.0") : "htp";
            if (modules_.begin && ours) readOurModules(modules_, s);
            if (modules_.begin && !ours) readHtpModules(modules_, s);
            return s;
        }
        throw Error(path_ + ": not a hierarchy sidecar (no node_hierarchy, nodes or tagged_nodes map)");
    }

    const std::string& path_;
    JsonCursor in_;
    Sidecar sidecar_;
    std::string version_;
    bool hasVersion_ = false;
    std::string key_; // the member being read, reused
    std::vector<std::pair<std::string, std::vector<SidecarEntry>>> maps_;
    ValueRange modules_;
};

} // namespace

Sidecar readSidecar(const std::string& path) {
    std::shared_ptr<const MappedFile> file = MappedFile::open(path); // its errors name the file
    const char* begin = reinterpret_cast<const char*>(file->data());
    try {
        return SidecarReader(path, begin, begin + file->size()).read();
    } catch (const ParseFailure& f) {
        throw Error(path + ": not a valid JSON sidecar (" + f.what + " at byte " + std::to_string(f.at) +
                    ")");
    }
}

} // namespace hs
