#pragma once
// How the model loader's walk of the main graph pages the mapped file in and out (used by model.cpp).
#include "model/mapped_file.h"
#include "model/model.h"

#include <algorithm>
#include <cstdint>
#include <unistd.h>

namespace hs {

// How the walk of the main graph pages the file in and out.
// - Behind it: the pages it has passed are dropped from the mapping, a few MB at a time
//   (MappedFile::release). Touching a TensorProto header maps the pages the kernel faults in around
//   it, weight bytes included, and a structure-heavy file would otherwise stay resident whole after
//   its one walk. The structure is copied out of the pages, so nothing points into them.
// - Ahead of it: the kernel is told the access is random (no readahead on a fault: a cold fault on a
//   header would read megabytes of weights around it, 8 MB on a disk whose read_ahead_kb is 8192), and
//   while the walk meets small fields (nodes, small tensors) the next bytes are asked for ahead of it
//   (MADV_WILLNEED), 128 KB doubling up to 4 MB over a run of them, so dense structure is still read
//   in large requests. Normal access is restored after the walk (extraction reads payloads in order).
class WalkPaging {
public:
    WalkPaging(const MappedFile& file, ByteSpan range)
        : file_(file), range_(range), done_(pageStart(range.offset)), ahead_(range.offset),
          last_(range.offset) {
        file_.advise(MappedFile::Access::Random, range_.offset, range_.length);
    }
    ~WalkPaging() { file_.advise(MappedFile::Access::Normal, range_.offset, range_.length); }
    WalkPaging(const WalkPaging&) = delete;
    WalkPaging& operator=(const WalkPaging&) = delete;

    // Before the field at `position`: everything before it has been read.
    void at(std::uint64_t position) {
        const bool small = position - last_ < kSmallField;
        last_ = position;
        if (!small) window_ = kMinAhead; // weights: a run of structure starts again small
        if (small && position + window_ / 2 > ahead_) {
            ahead_ = std::max(ahead_, position);
            file_.advise(MappedFile::Access::WillNeed, ahead_, window_);
            ahead_ += window_;
            window_ = std::min(2 * window_, kMaxAhead); // long runs of nodes: larger requests
        }
        if (pageStart(position) >= done_ + kBehind) finish(position);
    }
    void finish(std::uint64_t position) {
        const std::uint64_t upTo = pageStart(position);
        if (upTo <= done_) return;
        file_.release(done_, upTo - done_);
        done_ = upTo;
    }

private:
    static constexpr std::uint64_t kBehind = std::uint64_t{4} << 20;
    static constexpr std::uint64_t kMinAhead = std::uint64_t{128} << 10;
    static constexpr std::uint64_t kMaxAhead = std::uint64_t{4} << 20;
    static constexpr std::uint64_t kSmallField = std::uint64_t{64} << 10;
    static std::uint64_t pageStart(std::uint64_t offset) {
        static const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
        return offset / page * page;
    }
    const MappedFile& file_;
    const ByteSpan range_;
    std::uint64_t done_, ahead_, last_;
    std::uint64_t window_ = kMinAhead;
};

} // namespace hs
