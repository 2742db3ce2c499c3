#include "model/mapped_file.h"

#include "common/error.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hs {

namespace {
#ifdef MADV_POPULATE_READ
constexpr int kPopulateRead = MADV_POPULATE_READ;
#else
constexpr int kPopulateRead = 22; // Linux 5.14; glibc's headers may predate it
#endif
} // namespace

std::shared_ptr<const MappedFile> MappedFile::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(path + ": cannot open: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        int err = errno;
        ::close(fd);
        throw Error(path + ": cannot read file status: " + std::strerror(err));
    }
    if (S_ISDIR(st.st_mode)) {
        ::close(fd);
        throw Error(path + ": is a directory, not a file");
    }
    std::shared_ptr<MappedFile> file(new MappedFile());
    file->path_ = path;
    file->size_ = static_cast<std::uint64_t>(st.st_size);
    file->device_ = static_cast<std::uint64_t>(st.st_dev);
    file->inode_ = static_cast<std::uint64_t>(st.st_ino);
    file->mtimeNs_ = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    if (file->size_ > 0) {
        void* addr = ::mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (addr == MAP_FAILED) {
            int err = errno;
            ::close(fd);
            throw Error(path + ": cannot map file: " + std::strerror(err));
        }
        file->data_ = static_cast<const std::uint8_t*>(addr);
    }
    ::close(fd);
    return file;
}

MappedFile::~MappedFile() {
    if (data_) ::munmap(const_cast<std::uint8_t*>(data_), size_);
}

bool MappedFile::isSameFile(int fd) const {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return false;
    return static_cast<std::uint64_t>(st.st_dev) == device_ &&
           static_cast<std::uint64_t>(st.st_ino) == inode_ &&
           static_cast<std::uint64_t>(st.st_size) == size_ &&
           static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec == mtimeNs_;
}

std::string_view MappedFile::bytes(std::uint64_t offset, std::uint64_t length) const {
    if (offset > size_ || length > size_ - offset) return {};
    return {reinterpret_cast<const char*>(data_ + offset), static_cast<std::size_t>(length)};
}

void MappedFile::release(std::uint64_t offset, std::uint64_t length) const {
    if (!data_ || offset >= size_) return;
    length = std::min(length, size_ - offset);
    static const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const std::uint64_t first = (offset + page - 1) / page * page, last = (offset + length) / page * page;
    if (last > first) ::madvise(const_cast<std::uint8_t*>(data_) + first, last - first, MADV_DONTNEED);
}

void MappedFile::advise(Access access, std::uint64_t offset, std::uint64_t length) const {
    if (!data_ || offset >= size_) return;
    length = std::min(length, size_ - offset);
    static const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const std::uint64_t first = offset / page * page; // madvise wants an aligned start
    void* start = const_cast<std::uint8_t*>(data_) + first;
    const std::size_t bytes = static_cast<std::size_t>(offset + length - first);
    if (access == Access::Whole && ::madvise(start, bytes, kPopulateRead) == 0) return;
    const int advice = access == Access::Random                                ? MADV_RANDOM
                       : access == Access::WillNeed || access == Access::Whole ? MADV_WILLNEED
                                                                               : MADV_NORMAL;
    ::madvise(start, bytes, advice);
}

} // namespace hs
