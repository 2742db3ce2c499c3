// Writing format 1.1: the text is put together directly (in the entries' order, linear in their
// number; a JSON library's ordered map searched its keys on every insert and made saving quadratic),
// then written atomically.
#include "common/display_text.h"
#include "common/error.h"
#include "sidecar/sidecar.h"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sys/stat.h>
#include <unistd.h>

namespace hs {
namespace {

namespace fs = std::filesystem;

const char kHex[] = "0123456789abcdef";

// A JSON string literal. Invalid UTF-8 is escaped first (`\xFF` as four characters), so a model whose
// names are not UTF-8 can still be saved, and its keys read back (bindSidecarKeys).
void appendString(std::string& out, std::string_view raw) {
    bool plain = true;
    for (char c : raw)
        if (static_cast<unsigned char>(c) >= 0x80) plain = false;
    const std::string escaped = plain ? std::string() : utf8Escaped(raw);
    const std::string_view s = plain ? raw : std::string_view(escaped);
    out += '"';
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            const char* named = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : nullptr;
            if (named) {
                out += named;
            } else {
                out += "\\u00";
                out += kHex[u >> 4];
                out += kHex[u & 15];
            }
        } else {
            out += c;
        }
    }
    out += '"';
}

void appendNumber(std::string& out, double v) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, ec == std::errc() ? end : buf);
    if (ec != std::errc()) out += "null";
}

// `"key": ` at the given indent, after a comma when not the first member.
void member(std::string& out, int indent, std::string_view key, bool& first) {
    out += first ? "\n" : ",\n";
    first = false;
    out.append(static_cast<std::size_t>(indent), ' ');
    appendString(out, key);
    out += ": ";
}

void stringMember(std::string& out, int indent, std::string_view key, std::string_view value, bool& first) {
    member(out, indent, key, first);
    appendString(out, value);
}

void closeObject(std::string& out, int indent, bool empty) {
    if (!empty) {
        out += '\n';
        out.append(static_cast<std::size_t>(indent), ' ');
    }
    out += '}';
}

void appendEntry(std::string& out, const SidecarEntry& e) {
    bool first = true;
    out += '{';
    stringMember(out, 6, "hierarchy_path", e.path, first);
    stringMember(out, 6, "scope", e.scope, first);
    stringMember(out, 6, "module_class", e.moduleClass, first);
    stringMember(out, 6, "op_type", e.opType, first);
    stringMember(out, 6, "source", e.source, first);
    member(out, 6, "confidence", first);
    appendNumber(out, e.confidence);
    stringMember(out, 6, "level", e.level, first);
    if (!e.suggestedScope.empty()) {
        stringMember(out, 6, "suggested_scope", e.suggestedScope, first);
        stringMember(out, 6, "suggested_reason", e.suggestedReason, first);
    }
    if (e.hasSidecarClaim) {
        if (!e.sidecarPath.empty()) stringMember(out, 6, "sidecar_path", e.sidecarPath, first);
        if (e.sidecarScopeKnown) stringMember(out, 6, "sidecar_scope", e.sidecarScope, first);
        if (!e.sidecarSource.empty()) stringMember(out, 6, "sidecar_source", e.sidecarSource, first);
        if (e.sidecarScopeKnown && !e.hasSidecarScope) member(out, 6, "sidecar_used", first), out += "false";
    }
    if (e.conflict) {
        member(out, 6, "conflict", first);
        out += "true";
        member(out, 6, "candidates", first);
        out += '[';
        for (std::size_t k = 0; k < e.candidateScopes.size(); ++k) {
            if (k) out += ", ";
            appendString(out, e.candidateScopes[k]);
        }
        out += ']';
    }
    closeObject(out, 4, false);
}

void appendCounts(std::string& out, const std::map<std::string, std::size_t>& counts) {
    bool first = true;
    out += '{';
    for (const auto& [name, n] : counts) {
        member(out, 6, name, first);
        out += std::to_string(n);
    }
    closeObject(out, 4, counts.empty());
}

std::string sidecarText(const Sidecar& sidecar, const SidecarProgress& progress) {
    std::string out;
    out.reserve(256 + sidecar.entries.size() * 320);
    bool first = true;
    out += '{';
    stringMember(out, 2, "format_version", "1.1", first);
    stringMember(out, 2, "generator", "hierscope", first);
    stringMember(out, 2, "onnx_model", sidecar.onnxModel, first);
    stringMember(out, 2, "model_digest", sidecar.modelDigest, first);
    member(out, 2, "modules", first);
    bool firstModule = true;
    out += '{';
    for (const auto& m : sidecar.modules) {
        member(out, 4, m.scope, firstModule);
        bool f = true;
        out += '{';
        stringMember(out, 6, "class", m.className, f);
        stringMember(out, 6, "path", m.path, f);
        if (!m.renamedFrom.empty()) stringMember(out, 6, "renamed_from", m.renamedFrom, f);
        closeObject(out, 4, false);
    }
    closeObject(out, 2, sidecar.modules.empty());
    member(out, 2, "node_hierarchy", first);
    bool firstNode = true;
    out += '{';
    std::map<std::string, std::size_t> byLevel, bySource;
    std::size_t conflicts = 0;
    const std::size_t total = sidecar.entries.size();
    for (std::size_t i = 0; i < total; ++i) {
        const SidecarEntry& e = sidecar.entries[i];
        member(out, 4, e.key, firstNode);
        appendEntry(out, e);
        ++byLevel[e.level];
        ++bySource[e.source];
        conflicts += e.conflict;
        if (progress && (i + 1) % 8192 == 0) progress(i + 1, total);
    }
    closeObject(out, 2, total == 0);
    member(out, 2, "hierarchy_statistics", first);
    bool f = true;
    out += '{';
    member(out, 4, "nodes", f), out += std::to_string(total);
    member(out, 4, "modules", f), out += std::to_string(sidecar.modules.size());
    member(out, 4, "conflicts", f), out += std::to_string(conflicts);
    member(out, 4, "by_level", f), appendCounts(out, byLevel);
    member(out, 4, "by_source", f), appendCounts(out, bySource);
    closeObject(out, 2, false);
    closeObject(out, 0, false);
    out += '\n';
    if (progress) progress(total, total);
    return out;
}

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

bool writeAll(int fd, const std::string& content) {
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

} // namespace

void writeSidecar(const std::string& path, const Sidecar& sidecar, const SidecarProgress& progress) {
    const std::string content = sidecarText(sidecar, progress);
    const fs::path target(path);
    const fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    const std::string pattern = (folder / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    const int fd = ::mkstemp(name.data());
    if (fd < 0)
        throw Error(path + ": cannot save sidecar: cannot create a file in " + folder.string() + ": " +
                    std::strerror(errno));
    // mkstemp creates the file 0600; the sidecar is no secret and keeps the mode a save should give.
    bool ok = ::fchmod(fd, modeFor(path)) == 0 && writeAll(fd, content) && ::fsync(fd) == 0;
    int err = ok ? 0 : errno;
    ::close(fd);
    if (ok) ok = ::rename(name.data(), path.c_str()) == 0, err = ok ? 0 : errno;
    if (!ok) {
        ::unlink(name.data());
        throw Error(path + ": cannot save sidecar: " + std::strerror(err) +
                    " (the previous file is unchanged)");
    }
}

} // namespace hs
