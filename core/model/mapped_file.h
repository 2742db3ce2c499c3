#pragma once
// Read-only memory map of a file. Pages are only read by the OS when touched, so mapping a model
// costs nothing in proportion to its weights until their bytes are actually used.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace hs {

class MappedFile {
public:
    // Throws hs::Error naming the file when it cannot be opened or mapped.
    static std::shared_ptr<const MappedFile> open(const std::string& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const std::string& path() const { return path_; }
    std::uint64_t size() const { return size_; }
    const std::uint8_t* data() const { return data_; }
    std::string_view bytes(std::uint64_t offset, std::uint64_t length) const;
    // Drops the whole pages inside [offset, offset + length) from this process's mapping
    // (madvise MADV_DONTNEED): they stay in the page cache and touching them again maps them again,
    // so the bytes never change; only what counts as resident does. For walks that are done with a range.
    void release(std::uint64_t offset, std::uint64_t length) const;
    // How a range will be read, for the kernel's readahead (madvise): Random reads only the pages
    // touched, WillNeed starts reading the range now, Normal undoes Random, Whole maps every page of it
    // now, in one call, for a range that is read through at once (a profile trace: a fault per 64 KB
    // cost a third of the scan; MADV_POPULATE_READ, WillNeed on kernels before 5.14).
    enum class Access { Normal, Random, WillNeed, Whole };
    void advise(Access access, std::uint64_t offset, std::uint64_t length) const;
    // Whether an open file descriptor is the file that was mapped, unchanged since (device, inode, size,
    // modification time): then its bytes may be read from it instead of through the mapping.
    bool isSameFile(int fd) const;

private:
    MappedFile() = default;
    std::string path_;
    const std::uint8_t* data_ = nullptr;
    std::uint64_t size_ = 0;
    std::uint64_t device_ = 0, inode_ = 0;
    std::int64_t mtimeNs_ = 0;
};

} // namespace hs
