#include "model/file_window.h"

#include "common/error.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace hs::wire {

FileWindow::FileWindow(const MappedFile& file, std::size_t capacity, std::size_t fill, Pattern pattern)
    : file_(file), capacity_(std::max<std::size_t>(capacity, kMaxFieldHead)),
      fill_(std::min(std::max<std::size_t>(fill, kMaxFieldHead), capacity_)), firstFill_(fill_) {
    if (capacity == 0) return; // asked to read through the mapping
    // A descriptor of its own: advice given to it reaches no other reader of the file (the mapping's
    // faults read ahead as they did).
    fd_ = ::open(file.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ >= 0 && !file.isSameFile(fd_)) {
        ::close(fd_);
        fd_ = -1;
    }
    if (fd_ < 0) return;
    if (pattern == Pattern::Random) ::posix_fadvise(fd_, 0, 0, POSIX_FADV_RANDOM);
    growing_ = pattern == Pattern::Sequential;
}

FileWindow::~FileWindow() {
    if (fd_ >= 0) ::close(fd_);
}

// The buffer holds at least `bytes`. The first one is as large as the first read, any later one the whole
// capacity: a small graph does not fault in megabytes it never reads.
void FileWindow::reserve(std::size_t bytes) {
    if (bytes <= buffer_.size()) return;
    buffer_.resizeUnwritten(buffer_.empty() ? bytes : capacity_);
}

std::string_view FileWindow::bytes(std::uint64_t offset, std::size_t length) {
    if (offset < start_ || offset + length > start_ + loaded_) fillFrom(offset, length);
    return {buffer_.data() + (offset - start_), length};
}

void FileWindow::fillFrom(std::uint64_t offset, std::size_t length) {
    // Random: each read costs a system call, which on a virtual machine costs as much as copying
    // kilobytes; a run of small fields (biases between weights, value infos) is read in growing reads.
    if (!growing_) {
        const bool goesOn = loaded_ > 0 && offset >= start_ && offset <= start_ + loaded_;
        fill_ = goesOn ? std::min(2 * fill_, capacity_) : firstFill_;
    }
    const std::uint64_t size = file_.size();
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(std::max(length, fill_), size - offset));
    reserve(want);
    start_ = offset;
    loaded_ = 0;
    while (loaded_ < want) {
        const ssize_t n =
            ::pread(fd_, buffer_.data() + loaded_, want - loaded_, static_cast<off_t>(offset + loaded_));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            throw Error(
                file_.path() + ": cannot read the file" +
                (n < 0 ? std::string(": ") + std::strerror(errno) : std::string(": it became shorter")));
        loaded_ += static_cast<std::size_t>(n);
    }
    if (growing_) fill_ = std::min(2 * fill_, capacity_); // a long run: larger reads
}

Field WindowReader::next() {
    const std::size_t headBytes =
        static_cast<std::size_t>(std::min<std::uint64_t>(kMaxFieldHead, end_ - pos_));
    std::size_t read = 0;
    FieldHead head = readFieldHead(window_.bytes(pos_, headBytes), read, pos_);
    pos_ += read;
    Field& field = head.field;
    if (field.type == LengthDelimited) {
        if (head.length > end_ - pos_) throw Malformed("length-delimited field runs past the end");
        const auto length = static_cast<std::size_t>(head.length);
        field.offset = pos_;
        field.bytes =
            length <= inlineLimit_ ? window_.bytes(pos_, length) : window_.file().bytes(pos_, length);
        pos_ += length;
    }
    return field;
}

} // namespace hs::wire
