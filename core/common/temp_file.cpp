#include "common/temp_file.h"

#include "common/error.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace hs {

namespace fs = std::filesystem;

std::string errnoText() {
    return std::strerror(errno);
}

TempFile::TempFile(const std::string& target, std::uint32_t mode, std::string failure)
    : target_(target), failure_(std::move(failure)) {
    const fs::path p(target);
    const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
    std::string pattern = (dir / ("." + p.filename().string() + ".tmp-XXXXXX")).string();
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    fd_ = ::mkstemp(buf.data());
    if (fd_ < 0)
        throw Error(target_ + ": " + failure_ + ": cannot create a file in " + dir.string() + ": " +
                    errnoText());
    path_ = buf.data();
    // mkstemp makes it 0600; models and sidecars are no secrets, and a save keeps the old file's mode.
    if (::fchmod(fd_, static_cast<mode_t>(mode)) != 0) {
        const int error = errno;
        ::close(fd_); // no destructor runs for an object whose constructor throws
        ::unlink(path_.c_str());
        fail(error);
    }
}

void TempFile::fail(int error) const {
    throw Error(target_ + ": " + failure_ + ": " + std::strerror(error) +
                " (the previous file is unchanged)");
}

TempFile::~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_ && !path_.empty()) ::unlink(path_.c_str());
}

void TempFile::write(const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd_, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail(n < 0 ? errno : EIO);
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

void TempFile::writeSparse(std::string_view data) {
    constexpr std::size_t kBlock = 1 << 16;
    static const std::string zeros(kBlock, '\0');
    std::size_t pos = 0;
    while (pos < data.size()) {
        const std::size_t n = std::min(kBlock, data.size() - pos);
        if (n == kBlock && std::memcmp(data.data() + pos, zeros.data(), n) == 0) {
            if (::lseek(fd_, static_cast<off_t>(n), SEEK_CUR) < 0) fail(errno);
        } else {
            write(data.data() + pos, n);
        }
        pos += n;
    }
}

std::uint64_t TempFile::position() const {
    return static_cast<std::uint64_t>(::lseek(fd_, 0, SEEK_CUR));
}

void TempFile::padTo(std::uint64_t size) {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) fail(errno);
    ::lseek(fd_, static_cast<off_t>(size), SEEK_SET);
}

void TempFile::finish() {
    const int synced = ::fsync(fd_) == 0 ? 0 : errno;
    const int closed = ::close(fd_) == 0 ? 0 : errno;
    fd_ = -1;
    if (synced || closed) fail(synced ? synced : closed);
}

void TempFile::commit() {
    if (fd_ >= 0) finish();
    if (::rename(path_.c_str(), target_.c_str()) != 0) fail(errno);
    committed_ = true;
}

} // namespace hs
