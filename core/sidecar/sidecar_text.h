#pragma once
// The text of a format 1.1 sidecar, put together piece by piece and written to the file as it grows
// (write.cpp): a 126k-node sidecar is 40 MB, and one string of it cost page faults on every megabyte. Used
// by writeSidecar (a Sidecar's entries) and saveSidecar (entries made one at a time from the hierarchy),
// so both write the same bytes. Internal to core/sidecar.
#include "sidecar/sidecar.h"

#include <cstddef>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hs {

// Text appended without std::string's bookkeeping (a terminator kept, appends out of line): a 126k-node
// sidecar is 7 M small appends.
class TextBuffer {
public:
    void add(char c) {
        if (size_ == cap_) grow(1);
        data_[size_++] = c;
    }
    void add(std::string_view s) {
        if (cap_ - size_ < s.size()) grow(s.size());
        if (!s.empty()) std::memcpy(data_.get() + size_, s.data(), s.size());
        size_ += s.size();
    }
    std::string_view view() const { return {data_.get(), size_}; }
    std::size_t size() const { return size_; }
    void clear() { size_ = 0; }
    void grow(std::size_t more); // room for `more` bytes, at least

private:
    std::unique_ptr<char[]> data_;
    std::size_t size_ = 0, cap_ = 0;
};

// One node's entry as the text needs it: views of strings that live elsewhere (the hierarchy's modules,
// the graph, a loaded sidecar's entries, a SidecarEntry), so that saving copies no string per node.
struct EntryView {
    std::string_view key, scope, path, moduleClass, opType, source, level;
    double confidence = -1;
    bool conflict = false;
    std::vector<std::string_view> candidateScopes;
    std::string_view sidecarScope;
    bool hasSidecarScope = false, sidecarScopeKnown = false, hasSidecarClaim = false;
    std::string_view sidecarPath, sidecarSource, suggestedScope, suggestedReason;
};

// Copies the members an EntryView and a SidecarEntry share, either way (views of a SidecarEntry's strings,
// or strings made from a view's).
template <typename From, typename To> void copyEntryMembers(const From& from, To& to) {
    to.key = from.key, to.scope = from.scope, to.path = from.path, to.moduleClass = from.moduleClass;
    to.opType = from.opType, to.source = from.source, to.level = from.level;
    to.confidence = from.confidence;
    to.conflict = from.conflict;
    to.candidateScopes.assign(from.candidateScopes.begin(), from.candidateScopes.end());
    to.sidecarScope = from.sidecarScope;
    to.hasSidecarScope = from.hasSidecarScope, to.sidecarScopeKnown = from.sidecarScopeKnown;
    to.hasSidecarClaim = from.hasSidecarClaim;
    to.sidecarPath = from.sidecarPath, to.sidecarSource = from.sidecarSource;
    to.suggestedScope = from.suggestedScope, to.suggestedReason = from.suggestedReason;
}

class SidecarText {
public:
    SidecarText(int fd, std::size_t entries, const SidecarProgress& progress);

    // In this order: header, module (each), nodes, entry (each, `entries` of them), finish.
    void header(std::string_view onnxModel, std::string_view digest);
    void module(std::string_view scope, std::string_view className, std::string_view path,
                std::string_view renamedFrom);
    void nodes();
    void entry(const EntryView& e);
    // The statistics and the last bytes. False when a write failed (error() says why).
    bool finish();
    int error() const { return error_; }

private:
    void flushIfFull();
    bool flush();
    void count(std::vector<std::pair<std::string, std::size_t>>& counts, std::string_view key);

    int fd_;
    bool ok_ = true;
    int error_ = 0; // errno of the failed write
    TextBuffer out_;
    std::size_t total_, done_ = 0, modules_ = 0, conflicts_ = 0;
    bool firstModule_ = true, firstNode_ = true;
    // by level and by source: a handful of values, counted in order of appearance, sorted at the end
    std::vector<std::pair<std::string, std::size_t>> byLevel_, bySource_;
    const SidecarProgress& progress_;
};

// Writes `path` atomically: a temporary file in the same folder, `fill` writing its text, flushed,
// then renamed over the target (the mode: a replaced file's, else 0666 minus the umask). On failure the
// temporary is removed, the previous file is left intact and hs::Error is thrown.
void writeSidecarFile(const std::string& path, std::size_t entries, const SidecarProgress& progress,
                      const std::function<void(SidecarText&)>& fill);

} // namespace hs
