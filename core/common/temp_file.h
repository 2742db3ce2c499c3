#pragma once
// A temporary file beside an output file, renamed over it when committed and removed otherwise: how
// extraction and embedding write models atomically (a failed write leaves the old file intact).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hs {

class TempFile {
public:
    // Creates `.<name>.tmp-XXXXXX` in the target's folder with that mode. Throws hs::Error naming
    // `target`, `failure` ("cannot save sidecar") and the reason, and saying the previous file is
    // unchanged when it was written to.
    explicit TempFile(const std::string& target, std::uint32_t mode = 0644,
                      std::string failure = "cannot write the output file");
    ~TempFile();
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    int fd() const { return fd_; }
    const std::string& path() const { return path_; }
    void write(const char* data, std::size_t size);
    // Writes at the current end, leaving a hole for runs of zeros (big generated models stay sparse).
    void writeSparse(std::string_view data);
    std::uint64_t position() const;
    void padTo(std::uint64_t size);
    // Flushed to disk and closed; commit() renames. Apart so that two files can be finished before either
    // replaces its target.
    void finish();
    void commit();
    // Throws the error of a write to fd() that failed with this errno value.
    [[noreturn]] void fail(int error) const;

private:
    std::string target_, failure_, path_;
    int fd_ = -1;
    bool committed_ = false;
};

// strerror(errno), for messages.
std::string errnoText();

} // namespace hs
