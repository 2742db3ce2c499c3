#pragma once
// Where a model's node input and output names live: one arena owned by the Model, in blocks that never
// move (so views of it survive moves of the Model and of its graphs). Opening a graph-heavy file
// allocated a std::string per long name and a vector per list; the arena copies each name's bytes
// once, next to its neighbours. The loader also keeps small initializers' TensorProto bytes in it
// (Initializer::kept).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <new>
#include <string_view>
#include <vector>

namespace hs {

// A read-only list of names (a node's inputs or outputs): views into a NameStore. An empty view is
// an absent optional input or output, as an empty string is in the file.
class NameList {
public:
    NameList() = default;
    NameList(const std::string_view* first, std::size_t count) : first_(first), count_(count) {}
    const std::string_view* begin() const { return first_; }
    const std::string_view* end() const { return first_ + count_; }
    std::size_t size() const { return count_; }
    bool empty() const { return count_ == 0; }
    std::string_view operator[](std::size_t i) const { return first_[i]; }
    std::string_view front() const { return first_[0]; }
    std::string_view back() const { return first_[count_ - 1]; }

private:
    const std::string_view* first_ = nullptr;
    std::size_t count_ = 0; // as wide as the padding after the pointer anyway
};

class NameStore {
public:
    NameStore() = default;
    NameStore(NameStore&&) = default;
    NameStore& operator=(NameStore&&) = default;
    NameStore(const NameStore&) = delete; // views point into its blocks
    NameStore& operator=(const NameStore&) = delete;

    // Copies the names' bytes and the list of views into the store.
    NameList list(const std::string_view* names, std::size_t count) {
        if (count == 0) return {};
        auto* views = static_cast<std::string_view*>(
            allocate(count * sizeof(std::string_view), alignof(std::string_view)));
        for (std::size_t i = 0; i < count; ++i)
            new (views + i) std::string_view(copy(names[i]));
        return {views, count};
    }
    NameList list(std::initializer_list<std::string_view> names) { return list(names.begin(), names.size()); }
    std::string_view copy(std::string_view s) {
        if (s.empty()) return {};
        char* p = static_cast<char*>(allocate(s.size(), 1));
        std::memcpy(p, s.data(), s.size());
        return {p, s.size()};
    }
    std::size_t bytes() const { return allocated_; } // block bytes held
    // Takes the blocks of another store (another thread's): views into them stay valid.
    void adopt(NameStore&& other) {
        std::move(other.blocks_.begin(), other.blocks_.end(), std::back_inserter(blocks_));
        allocated_ += other.allocated_;
        other.blocks_.clear();
        other.next_ = nullptr;
        other.left_ = other.allocated_ = 0;
    }

private:
    static constexpr std::size_t kBlock = 64 * 1024; // below glibc's mmap threshold: one heap block each
    void* allocate(std::size_t bytes, std::size_t align) {
        std::size_t pad = (align - reinterpret_cast<std::uintptr_t>(next_) % align) % align;
        if (!next_ || pad + bytes > left_) {
            const std::size_t size = std::max(kBlock, bytes + align);
            blocks_.emplace_back(new char[size]); // not zeroed
            allocated_ += size;
            next_ = blocks_.back().get();
            left_ = size;
            pad = (align - reinterpret_cast<std::uintptr_t>(next_) % align) % align;
        }
        char* p = next_ + pad;
        next_ = p + bytes;
        left_ -= pad + bytes;
        return p;
    }
    std::vector<std::unique_ptr<char[]>> blocks_;
    char* next_ = nullptr;
    std::size_t left_ = 0;
    std::size_t allocated_ = 0;
};

} // namespace hs
