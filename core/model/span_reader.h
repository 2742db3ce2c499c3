#pragma once
// Reading many small spans of a model file (nodes, small tensors, value infos) with pread, their pages
// never mapped. Through the mapping, each span's page fault mapped the large folio around it, weights
// included: shape inference's program, built from every node and every small initializer of deep-1000,
// left 200 MB of the 224 MB file resident to read 22 MB of nodes and 10k tensors of a few hundred bytes.
#include "model/mapped_file.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace hs {

namespace wire {
class FileWindow;
}

class SpanReader {
public:
    explicit SpanReader(const MappedFile& file);
    ~SpanReader();
    SpanReader(const SpanReader&) = delete;
    SpanReader& operator=(const SpanReader&) = delete;

    const MappedFile& file() const { return file_; }
    // [offset, offset + length) of the file, valid until the next call. Read into a buffer: spans that
    // follow each other (a graph's nodes) in reads that double up to 2 MB, a span elsewhere in a read of
    // 4 KB. A span of more than 1 MB, or any span when the file was replaced since it was mapped, is a
    // view of the mapping. Throws hs::Error naming the file when a read fails.
    std::string_view bytes(std::uint64_t offset, std::uint64_t length);

private:
    const MappedFile& file_;
    std::unique_ptr<wire::FileWindow> window_;
};

} // namespace hs
