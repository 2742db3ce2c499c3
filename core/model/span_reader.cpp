#include "model/span_reader.h"

#include "model/file_window.h"

namespace hs {

namespace {
constexpr std::size_t kBuffer = std::size_t{2} << 20;
constexpr std::size_t kFirstRead = std::size_t{4} << 10;
constexpr std::uint64_t kLongest = kBuffer / 2; // longer spans: views of the mapping
} // namespace

SpanReader::SpanReader(const MappedFile& file)
    : file_(file),
      // Random: no readahead around a span, and a read after a jump is small again; a read that goes on
      // from the end of the last doubles, so a run of nodes is still read in large requests.
      window_(
          std::make_unique<wire::FileWindow>(file, kBuffer, kFirstRead, wire::FileWindow::Pattern::Random)) {}

SpanReader::~SpanReader() = default;

std::string_view SpanReader::bytes(std::uint64_t offset, std::uint64_t length) {
    if (!window_->valid() || length > kLongest || offset > file_.size() || length > file_.size() - offset)
        return file_.bytes(offset, length);
    return window_->bytes(offset, static_cast<std::size_t>(length));
}

} // namespace hs
