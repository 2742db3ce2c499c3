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

TempFile::TempFile(const std::string& target) : target_(target) {
    const fs::path p(target);
    const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
    std::string pattern = (dir / ("." + p.filename().string() + ".tmp-XXXXXX")).string();
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    fd_ = ::mkstemp(buf.data());
    if (fd_ < 0) throw Error(target + ": cannot write the output file (" + errnoText() + ")");
    path_ = buf.data();
    ::fchmod(fd_, 0644); // mkstemp makes it 0600; a model is no secret
}

TempFile::~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_ && !path_.empty()) ::unlink(path_.c_str());
}

void TempFile::write(const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd_, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw Error(target_ + ": cannot write the output file (" + errnoText() + ")");
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
            if (::lseek(fd_, static_cast<off_t>(n), SEEK_CUR) < 0)
                throw Error(target_ + ": cannot write (" + errnoText() + ")");
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
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0)
        throw Error(target_ + ": cannot write (" + errnoText() + ")");
    ::lseek(fd_, static_cast<off_t>(size), SEEK_SET);
}

void TempFile::finish() {
    const bool synced = ::fsync(fd_) == 0;
    const int closed = ::close(fd_);
    fd_ = -1;
    if (!synced || closed != 0) throw Error(target_ + ": cannot write the output file (" + errnoText() + ")");
}

void TempFile::commit() {
    if (fd_ >= 0) finish();
    if (::rename(path_.c_str(), target_.c_str()) != 0)
        throw Error(target_ + ": cannot write the output file (" + errnoText() + ")");
    committed_ = true;
}

} // namespace hs
