// Reading sidecars: one recursive-descent pass over the mapped bytes that knows the sidecar forms. The
// node map (100k+ entries on big models) goes straight into SidecarEntry values, each string parsed
// once into its field; the module table's bytes are kept and read once its form (ours: a map by scope,
// HTP: a nested tree) is known at the end, also straight into values. Strict JSON, except that bytes which
// are not UTF-8 are taken as they are (a key written by another tool then still matches its node).
#include "common/display_text.h"
#include "common/error.h"
#include "model/mapped_file.h"
#include "sidecar/sidecar.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace hs {
namespace {

constexpr int kMaxDepth = 256; // deeper nesting is refused: no sidecar form needs it

struct ParseFailure {
    std::size_t at;
    std::string what;
};

// Bytes that end a run of plain text in a string: the quote, a backslash, control characters.
struct Stops {
    bool table[256] = {};
    constexpr Stops() {
        for (int c = 0; c < 0x20; ++c)
            table[c] = true;
        table[static_cast<unsigned char>('"')] = table[static_cast<unsigned char>('\\')] = true;
    }
};
constexpr Stops kStops{};

class JsonCursor {
public:
    JsonCursor(const char* begin, const char* end) : begin_(begin), p_(begin), end_(end) {}

    [[noreturn]] void fail(const std::string& what) const { throw ParseFailure{offset(), what}; }
    std::size_t offset() const { return static_cast<std::size_t>(p_ - begin_); }
    std::size_t size() const { return static_cast<std::size_t>(end_ - begin_); }
    const char* here() { return peek(), p_; } // where the next value begins

    char peek() {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t'))
            ++p_;
        return p_ < end_ ? *p_ : '\0';
    }
    bool atEnd() { return peek() == '\0' && p_ == end_; }
    void expect(char c) {
        if (peek() != c) fail(std::string("expected '") + c + "'");
        ++p_;
    }
    // After '{' or '[': true when the container goes on with a member, false at its end.
    bool firstMember(char close) {
        if (peek() != close) return true;
        ++p_;
        return false;
    }
    bool nextMember(char close) {
        const char c = peek();
        if (c == ',') return ++p_, true;
        if (c == close) return ++p_, false;
        fail(std::string("expected ',' or '") + close + "'");
    }

    void string(std::string& out) {
        expect('"');
        const char* run = p_;
        skipPlain();
        if (p_ < end_ && *p_ == '"') { // no escapes (nearly every string): one copy
            out.assign(run, p_);
            return void(++p_);
        }
        out.assign(run, p_);
        rest(out);
    }

    // A string without escapes as a view of the file's bytes; one with escapes decoded into `scratch`.
    std::string_view stringView(std::string& scratch) {
        expect('"');
        const char* run = p_;
        skipPlain();
        if (p_ < end_ && *p_ == '"')
            return ++p_, std::string_view(run, static_cast<std::size_t>(p_ - 1 - run));
        scratch.assign(run, p_);
        rest(scratch);
        return scratch;
    }

    double number() {
        const char* start = p_;
        if (p_ < end_ && *p_ == '-') ++p_;
        if (p_ < end_ && *p_ == '0')
            ++p_;
        else if (!digits())
            fail("invalid number");
        if (p_ < end_ && *p_ == '.' && (++p_, !digits())) fail("invalid number");
        if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
            ++p_;
            if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
            if (!digits()) fail("invalid number");
        }
        // from_chars, not strtod: the GUI runs under the user's locale, whose decimal point may be a comma.
        double v = 0;
        const auto [end, ec] = std::from_chars(start, p_, v);
        if (ec == std::errc::result_out_of_range || end != p_) {
            const std::string text(start, p_);
            p_ = start;
            fail("number out of range near " + quoteInput(text, 40));
        }
        return v;
    }

    bool literal() { // true, false or null; returns its truth
        for (const char* word : {"true", "false", "null"}) {
            const std::size_t n = std::strlen(word);
            if (static_cast<std::size_t>(end_ - p_) >= n && std::memcmp(p_, word, n) == 0) {
                p_ += n;
                return word[0] == 't';
            }
        }
        fail("unexpected " + (p_ < end_ ? quoteInput(std::string_view(p_, 1)) : std::string("end of file")));
    }

    // Any value, checked and skipped.
    void skip(int depth) {
        if (depth > kMaxDepth) fail("nested deeper than " + std::to_string(kMaxDepth) + " levels");
        const char c = peek();
        if (c == '{' || c == '[') {
            ++p_;
            const char close = c == '{' ? '}' : ']';
            std::string key;
            for (bool more = firstMember(close); more; more = nextMember(close)) {
                if (c == '{') {
                    string(key);
                    expect(':');
                }
                skip(depth + 1);
            }
        } else if (c == '"') {
            std::string s;
            string(s);
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            number();
        } else {
            literal();
        }
    }

private:
    // To the next quote, backslash or control character: 16 bytes at a time where SSE2 is (every x86-64),
    // as most of a sidecar's bytes are inside strings.
    void skipPlain() {
#ifdef __SSE2__
        const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
                      space = _mm_set1_epi8(0x1F);
        while (end_ - p_ >= 16) {
            const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
            const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(bytes, space), space); // <= 0x1F
            const __m128i stop = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)), control);
            if (const int mask = _mm_movemask_epi8(stop))
                return void(p_ += __builtin_ctz(static_cast<unsigned>(mask)));
            p_ += 16;
        }
#endif
        while (p_ < end_ && !kStops.table[static_cast<unsigned char>(*p_)])
            ++p_;
    }
    // The rest of a string from an escape, a control character or the end, appended to `out`.
    void rest(std::string& out) {
        for (;;) {
            if (p_ >= end_) fail("unterminated string");
            if (*p_ == '"') return void(++p_);
            if (*p_ != '\\') fail("control character in a string");
            ++p_;
            escape(out);
            const char* run = p_;
            skipPlain();
            out.append(run, p_);
        }
    }

    bool digits() {
        const char* start = p_;
        while (p_ < end_ && *p_ >= '0' && *p_ <= '9')
            ++p_;
        return p_ > start;
    }
    unsigned hex4() {
        if (end_ - p_ < 4) fail("invalid \\u escape");
        unsigned v = 0;
        for (int k = 0; k < 4; ++k, ++p_) {
            const char c = *p_;
            const int d = c >= '0' && c <= '9'   ? c - '0'
                          : c >= 'a' && c <= 'f' ? c - 'a' + 10
                          : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                 : -1;
            if (d < 0) fail("invalid \\u escape");
            v = v * 16 + static_cast<unsigned>(d);
        }
        return v;
    }
    void escape(std::string& out) {
        if (p_ >= end_) fail("unterminated string");
        const char c = *p_++;
        switch (c) {
        case '"':
        case '\\':
        case '/':
            out += c;
            return;
        case 'b':
            out += '\b';
            return;
        case 'f':
            out += '\f';
            return;
        case 'n':
            out += '\n';
            return;
        case 'r':
            out += '\r';
            return;
        case 't':
            out += '\t';
            return;
        case 'u':
            break;
        default:
            --p_;
            fail("invalid escape in a string");
        }
        unsigned code = hex4();
        if (code >= 0xD800 && code <= 0xDBFF) { // a surrogate pair
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') fail("unpaired surrogate in a string");
            p_ += 2;
            const unsigned low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("unpaired surrogate in a string");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        } else if (code >= 0xDC00 && code <= 0xDFFF) {
            fail("unpaired surrogate in a string");
        }
        appendUtf8(out, code);
    }
    static void appendUtf8(std::string& out, unsigned code) {
        if (code < 0x80) {
            out += static_cast<char>(code);
        } else if (code < 0x800) {
            out += static_cast<char>(0xC0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else if (code < 0x10000) {
            out += static_cast<char>(0xE0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (code >> 18));
            out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        }
    }

    const char* begin_;
    const char* p_;
    const char* end_;
};

// The bytes of one JSON value, already checked by the reader's pass over the whole file.
struct ValueRange {
    const char* begin = nullptr;
    const char* end = nullptr;
};

ValueRange skipValue(JsonCursor& in) {
    ValueRange r;
    r.begin = in.here();
    in.skip(1);
    r.end = in.here();
    return r;
}

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
// was bounded by the reader's pass (kMaxDepth).
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
// are found in an open-addressed table of entry numbers (a node per key of a std::unordered_map was a
// tenth of reading 126k entries).
void keepLastOfEachKey(std::vector<SidecarEntry>& entries) {
    std::size_t slots = 16;
    while (slots < 2 * entries.size())
        slots *= 2;
    // Per slot: entry number + 1 (0: empty) and the key's hash, so that a probe reads an entry only
    // when the hashes are equal.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> table(slots, {0, 0});
    std::vector<char> keep(entries.size(), 1);
    const std::hash<std::string_view> hash;
    bool repeated = false;
    for (std::size_t k = 0; k < entries.size(); ++k) {
        const std::string& key = entries[k].key;
        const std::size_t h = hash(key);
        const auto tag = static_cast<std::uint32_t>(h >> 32);
        for (std::size_t s = h & (slots - 1);; s = (s + 1) & (slots - 1)) {
            auto& [entry, keyTag] = table[s];
            if (entry == 0) {
                entry = static_cast<std::uint32_t>(k + 1), keyTag = tag;
                break;
            }
            if (keyTag == tag && entries[entry - 1].key == key) { // the later entry replaces the earlier
                keep[entry - 1] = 0;
                entry = static_cast<std::uint32_t>(k + 1);
                repeated = true;
                break;
            }
        }
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
