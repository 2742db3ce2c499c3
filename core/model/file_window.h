#pragma once
// Reading a range of the model file with pread into one reused buffer, for the loader's walk of a big
// main graph (internal to core/model). Through the mapping, every page the walk touches costs a page
// fault that maps it (and the pages around it), and the walk then unmaps them again to keep the file
// from staying resident: on a 126k-node model that was a quarter of the open's time. Read into a
// buffer, the structure is copied once, in large requests, and the file's pages are never mapped;
// weight payloads are skipped by length as before (a field too long for the buffer is a view of the
// mapping, which nothing reads).
#include "common/huge_page_array.h"
#include "model/mapped_file.h"
#include "model/wire_reader.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace hs::wire {

class FileWindow {
public:
    // Reads of `fill` bytes at least (at most `capacity`, at least a field's head). Sequential: each
    // read twice as large as the last, up to capacity. Random: the file is read only where asked (no
    // readahead around the headers of weights); a read that goes on from the end of the last (a run of
    // small fields) is twice as large as the last, one after a skip (past a weight) `fill` again.
    enum class Pattern { Sequential, Random };
    FileWindow(const MappedFile& file, std::size_t capacity, std::size_t fill, Pattern pattern);
    ~FileWindow();
    FileWindow(const FileWindow&) = delete;
    FileWindow& operator=(const FileWindow&) = delete;

    // False when the file could not be opened again as the same file that is mapped (replaced or
    // changed since), or the capacity is 0: the caller reads through the mapping instead.
    bool valid() const { return fd_ >= 0; }
    const MappedFile& file() const { return file_; }
    std::size_t capacity() const { return capacity_; }
    // [offset, offset + length) of the file (inside it; length at most capacity()), from the buffer,
    // read into it first when it is not there. The view lasts until the next call. Throws hs::Error
    // naming the file when the read fails.
    std::string_view bytes(std::uint64_t offset, std::size_t length);

private:
    void fillFrom(std::uint64_t offset, std::size_t length);
    void reserve(std::size_t bytes);

    const MappedFile& file_;
    int fd_ = -1;
    HugePageArray<char> buffer_; // in huge pages from 2 MB on
    std::size_t capacity_, fill_, firstFill_;
    bool growing_ = false;    // Sequential: each read twice as large as the last, up to capacity
    std::uint64_t start_ = 0; // file offset of buffer_[0]
    std::size_t loaded_ = 0;  // bytes of the file in the buffer
};

// Reader's fields over [begin, end) of a FileWindow: heads and bodies up to `inlineLimit` bytes are
// views of the buffer, valid until the next call; longer bodies are views of the mapping, for their
// offset and length only (reading them would fault their pages in).
class WindowReader {
public:
    WindowReader(FileWindow& window, std::uint64_t begin, std::uint64_t end, std::size_t inlineLimit)
        : window_(window), pos_(begin), end_(end), inlineLimit_(inlineLimit) {}
    bool atEnd() const { return pos_ >= end_; }
    std::uint64_t position() const { return pos_; }
    Field next();
    // Whether a field's body is in the buffer (else it is a view of the mapping).
    bool inBuffer(const Field& f) const { return f.bytes.size() <= inlineLimit_; }

private:
    FileWindow& window_;
    std::uint64_t pos_, end_;
    std::size_t inlineLimit_;
};

} // namespace hs::wire
