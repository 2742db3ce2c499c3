// Writing format 1.1: the text is put together directly (in the entries' order, linear in their
// number; a JSON library's ordered map searched its keys on every insert and made saving quadratic)
// and written to a temporary file a megabyte at a time as it grows, then renamed over the target.
#include "common/display_text.h"
#include "common/error.h"
#include "common/json_stops.h"
#include "common/temp_file.h"
#include "sidecar/sidecar_text.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace hs {
namespace {

const char kHex[] = "0123456789abcdef";

// A JSON string literal. Invalid UTF-8 is escaped first (`\xFF` as four characters), so a model whose
// names are not UTF-8 can still be saved, and its keys read back (bindSidecarKeys). Text with nothing
// to escape (nearly all of it) is copied whole.
void appendString(TextBuffer& out, std::string_view raw) {
    const char* const rawEnd = raw.data() + raw.size();
    // What needs more than a copy: '"', '\\', control characters, and bytes of 0x80 and above (which
    // are checked as UTF-8 first).
    const char* p = json_stops::firstStop<true>(raw.data(), rawEnd);
    out.add('"');
    if (p == rawEnd) {
        out.add(raw);
        out.add('"');
        return;
    }
    bool plain = true;
    for (const char* q = p; q < rawEnd; ++q)
        if (static_cast<unsigned char>(*q) >= 0x80) plain = false;
    const std::string escaped = plain ? std::string() : utf8Escaped(raw);
    const std::string_view s = plain ? raw : std::string_view(escaped);
    const char* run = s.data();
    const char* const end = s.data() + s.size();
    for (p = run; p < end; ++p) {
        const char c = *p;
        const auto u = static_cast<unsigned char>(c);
        if (c != '"' && c != '\\' && u >= 0x20) continue;
        out.add(std::string_view(run, static_cast<std::size_t>(p - run)));
        run = p + 1;
        out.add('\\');
        if (u >= 0x20) {
            out.add(c);
            continue;
        }
        const char named = c == '\n' ? 'n' : c == '\t' ? 't' : c == '\r' ? 'r' : '\0';
        if (named) {
            out.add(named);
        } else {
            out.add("u00");
            out.add(kHex[u >> 4]);
            out.add(kHex[u & 15]);
        }
    }
    out.add(std::string_view(run, static_cast<std::size_t>(end - run)));
    out.add('"');
}

void appendNumber(TextBuffer& out, double v) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.add(std::string_view(buf, ec == std::errc() ? static_cast<std::size_t>(end - buf) : 0));
    if (ec != std::errc()) out.add("null");
}

void appendCount(TextBuffer& out, std::size_t n) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    out.add(std::string_view(buf, static_cast<std::size_t>(end - buf)));
}

void indent(TextBuffer& out, int n) {
    for (int k = 0; k < n; ++k)
        out.add(' ');
}

// `"key": ` at the given indent, after a comma when not the first member.
void member(TextBuffer& out, int depth, std::string_view key, bool& first) {
    out.add(first ? std::string_view("\n") : std::string_view(",\n"));
    first = false;
    indent(out, depth);
    appendString(out, key);
    out.add(": ");
}

void stringMember(TextBuffer& out, int depth, std::string_view key, std::string_view value, bool& first) {
    member(out, depth, key, first);
    appendString(out, value);
}

void closeObject(TextBuffer& out, int depth, bool empty) {
    if (!empty) {
        out.add('\n');
        indent(out, depth);
    }
    out.add('}');
}

// An entry's members, each after its literal `,\n      "name": ` (what member() writes at indent 6).
void appendEntry(TextBuffer& out, const EntryView& e) {
    out.add("{\n      \"hierarchy_path\": ");
    appendString(out, e.path);
    out.add(",\n      \"scope\": ");
    appendString(out, e.scope);
    out.add(",\n      \"module_class\": ");
    appendString(out, e.moduleClass);
    out.add(",\n      \"op_type\": ");
    appendString(out, e.opType);
    out.add(",\n      \"source\": ");
    appendString(out, e.source);
    out.add(",\n      \"confidence\": ");
    appendNumber(out, e.confidence);
    out.add(",\n      \"level\": ");
    appendString(out, e.level);
    bool first = false;
    if (!e.suggestedScope.empty()) {
        stringMember(out, 6, "suggested_scope", e.suggestedScope, first);
        stringMember(out, 6, "suggested_reason", e.suggestedReason, first);
    }
    if (e.hasSidecarClaim) {
        if (!e.sidecarPath.empty()) stringMember(out, 6, "sidecar_path", e.sidecarPath, first);
        if (e.sidecarScopeKnown) stringMember(out, 6, "sidecar_scope", e.sidecarScope, first);
        if (!e.sidecarSource.empty()) stringMember(out, 6, "sidecar_source", e.sidecarSource, first);
        if (e.sidecarScopeKnown && !e.hasSidecarScope)
            member(out, 6, "sidecar_used", first), out.add("false");
    }
    if (e.conflict) {
        member(out, 6, "conflict", first);
        out.add("true");
        member(out, 6, "candidates", first);
        out.add('[');
        for (std::size_t k = 0; k < e.candidateScopes.size(); ++k) {
            if (k) out.add(", ");
            appendString(out, e.candidateScopes[k]);
        }
        out.add(']');
    }
    out.add("\n    }");
}

// Counts in the order of their keys (std::string's), as a std::map would list them.
void appendCounts(TextBuffer& out, std::vector<std::pair<std::string, std::size_t>> counts) {
    std::sort(counts.begin(), counts.end());
    bool first = true;
    out.add('{');
    for (const auto& [name, n] : counts) {
        member(out, 6, name, first);
        appendCount(out, n);
    }
    closeObject(out, 4, counts.empty());
}

bool writeAll(int fd, std::string_view content) {
    const char* p = content.data();
    std::size_t left = content.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    return true;
}

// The text is written out in pieces of about this size: they stay in the cache while being filled.
constexpr std::size_t kPiece = std::size_t{1} << 20;

// The process's umask, read without changing it (umask() can only be read by setting it, which would
// race with other threads creating files meanwhile).
mode_t currentUmask() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("Umask:", 0) == 0)
            return static_cast<mode_t>(std::strtoul(line.c_str() + 6, nullptr, 8));
    return 022;
}

// The mode the saved file gets: a replaced file's own, else what a new file gets under the umask.
mode_t modeFor(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return st.st_mode & 07777;
    return 0666 & ~currentUmask();
}

} // namespace

void TextBuffer::grow(std::size_t more) {
    const std::size_t capacity = std::max(2 * cap_, size_ + more);
    std::unique_ptr<char[]> data(new char[capacity]);
    if (size_) std::memcpy(data.get(), data_.get(), size_);
    data_ = std::move(data);
    cap_ = capacity;
}

SidecarText::SidecarText(int fd, std::size_t entries, const SidecarProgress& progress)
    : fd_(fd), total_(entries), progress_(progress) {
    out_.grow(kPiece + 64 * 1024);
}

void SidecarText::flushIfFull() {
    if (out_.size() >= kPiece) flush();
}

bool SidecarText::flush() {
    if (ok_ && !writeAll(fd_, out_.view())) ok_ = false, error_ = errno;
    out_.clear();
    return ok_;
}

void SidecarText::count(std::vector<std::pair<std::string, std::size_t>>& counts, std::string_view key) {
    for (auto& [name, n] : counts)
        if (name == key) return void(++n);
    counts.emplace_back(key, 1);
}

void SidecarText::header(std::string_view onnxModel, std::string_view digest) {
    bool first = true;
    out_.add('{');
    stringMember(out_, 2, "format_version", "1.1", first);
    stringMember(out_, 2, "generator", "hierscope", first);
    stringMember(out_, 2, "onnx_model", onnxModel, first);
    stringMember(out_, 2, "model_digest", digest, first);
    out_.add(",\n  \"modules\": {");
}

void SidecarText::module(std::string_view scope, std::string_view className, std::string_view path,
                         std::string_view renamedFrom) {
    member(out_, 4, scope, firstModule_);
    bool f = true;
    out_.add('{');
    stringMember(out_, 6, "class", className, f);
    stringMember(out_, 6, "path", path, f);
    if (!renamedFrom.empty()) stringMember(out_, 6, "renamed_from", renamedFrom, f);
    closeObject(out_, 4, false);
    ++modules_;
    flushIfFull();
}

void SidecarText::nodes() {
    closeObject(out_, 2, modules_ == 0);
    out_.add(",\n  \"node_hierarchy\": {");
}

void SidecarText::entry(const EntryView& e) {
    member(out_, 4, e.key, firstNode_);
    appendEntry(out_, e);
    count(byLevel_, e.level);
    count(bySource_, e.source);
    conflicts_ += e.conflict;
    ++done_;
    if (progress_ && done_ % 8192 == 0) progress_(done_, total_);
    flushIfFull();
}

bool SidecarText::finish() {
    closeObject(out_, 2, done_ == 0);
    bool f = true;
    out_.add(",\n  \"hierarchy_statistics\": {");
    member(out_, 4, "nodes", f), appendCount(out_, done_);
    member(out_, 4, "modules", f), appendCount(out_, modules_);
    member(out_, 4, "conflicts", f), appendCount(out_, conflicts_);
    member(out_, 4, "by_level", f), appendCounts(out_, byLevel_);
    member(out_, 4, "by_source", f), appendCounts(out_, bySource_);
    closeObject(out_, 2, false);
    closeObject(out_, 0, false);
    out_.add('\n');
    if (progress_) progress_(done_, done_);
    return flush();
}

void writeSidecarFile(const std::string& path, std::size_t entries, const SidecarProgress& progress,
                      const std::function<void(SidecarText&)>& fill) {
    TempFile file(path, modeFor(path), "cannot save sidecar"); // removed unless committed
    SidecarText text(file.fd(), entries, progress);
    fill(text);
    if (!text.finish()) file.fail(text.error());
    file.commit(); // fsync, close, rename over the old file
}

void writeSidecar(const std::string& path, const Sidecar& sidecar, const SidecarProgress& progress) {
    writeSidecarFile(path, sidecar.entries.size(), progress, [&](SidecarText& text) {
        text.header(sidecar.onnxModel, sidecar.modelDigest);
        for (const auto& m : sidecar.modules)
            text.module(m.scope, m.className, m.path, m.renamedFrom);
        text.nodes();
        EntryView v; // reused
        for (const auto& e : sidecar.entries) {
            copyEntryMembers(e, v);
            text.entry(v);
        }
    });
}

} // namespace hs
