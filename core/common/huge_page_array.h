#pragma once
// A fixed-size array of plain values that asks the kernel for 2 MB pages when it is large. Hash tables
// over 100k-node graphs are probed at random across megabytes: with 4 KB pages nearly every probe also
// missed the TLB, and this kernel gives huge pages only to memory that asks (transparent_hugepage is
// "madvise"). Small arrays stay on the heap.
#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace hs {

namespace huge_pages {
constexpr std::size_t kPageSize = std::size_t{2} << 20;
// What allocate maps for `bytes` (of at least one huge page): whole huge pages.
constexpr std::size_t mappedSize(std::size_t bytes) {
    return (bytes + kPageSize - 1) / kPageSize * kPageSize;
}
// `bytes` rounded up to whole 2 MB pages, aligned, with the kernel asked for huge pages; null (and
// `mapped` 0) when the size is under one huge page or the mapping fails.
void* allocate(std::size_t bytes, std::size_t& mapped);
void release(void* p, std::size_t mapped);
} // namespace huge_pages

template <typename T> class HugePageArray {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

public:
    HugePageArray() = default;
    HugePageArray(const HugePageArray& other) {
        if (other.size_ == 0) return;
        allocate(other.size_);
        std::memcpy(static_cast<void*>(data_), other.data_, size_ * sizeof(T));
    }
    HugePageArray& operator=(const HugePageArray& other) {
        if (this != &other) HugePageArray(other).swap(*this);
        return *this;
    }
    HugePageArray(HugePageArray&& other) noexcept { swap(other); }
    HugePageArray& operator=(HugePageArray&& other) noexcept {
        HugePageArray(std::move(other)).swap(*this);
        return *this;
    }
    ~HugePageArray() { release(); }

    // Replaces the contents with `count` copies of `value`.
    void assign(std::size_t count, const T& value) {
        release();
        if (count == 0) return;
        allocate(count);
        for (std::size_t i = 0; i < count; ++i)
            data_[i] = value;
    }
    // Replaces the contents with `count` values left unwritten: for a buffer its user fills before it
    // reads (assign would touch every page of it).
    void resizeUnwritten(std::size_t count) {
        release();
        if (count > 0) allocate(count);
    }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    T& operator[](std::size_t i) { return data_[i]; }
    T* data() { return data_; }
    const T& operator[](std::size_t i) const { return data_[i]; }

private:
    void allocate(std::size_t count) {
        const std::size_t bytes = count * sizeof(T);
        void* p = huge_pages::allocate(bytes, mapped_);
        data_ = static_cast<T*>(p ? p : ::operator new(bytes));
        size_ = count;
    }
    void release() {
        if (data_ && mapped_)
            huge_pages::release(data_, mapped_);
        else if (data_)
            ::operator delete(data_);
        data_ = nullptr;
        size_ = mapped_ = 0;
    }
    void swap(HugePageArray& other) noexcept {
        std::swap(data_, other.data_);
        std::swap(size_, other.size_);
        std::swap(mapped_, other.mapped_);
    }

    T* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t mapped_ = 0; // bytes mapped for it, 0 when on the heap
};

} // namespace hs
