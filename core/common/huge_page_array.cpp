#include "common/huge_page_array.h"

#include <cstdint>

#include <sys/mman.h>

namespace hs::huge_pages {

void* allocate(std::size_t bytes, std::size_t& mapped) {
    mapped = 0;
    if (bytes < kPageSize) return nullptr;
    // Mapped with a huge page to spare, then trimmed to start on a huge page boundary: only aligned 2 MB
    // ranges can become huge pages.
    const std::size_t size = mappedSize(bytes);
    void* p = ::mmap(nullptr, size + kPageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    const auto start = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t aligned = (start + kPageSize - 1) / kPageSize * kPageSize;
    if (aligned > start) ::munmap(p, aligned - start);
    const std::uintptr_t tail = aligned + size, end = start + size + kPageSize;
    if (tail < end) ::munmap(reinterpret_cast<void*>(tail), end - tail);
    ::madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE); // advice only: 4 KB pages work too
    mapped = size;
    return reinterpret_cast<void*>(aligned);
}

void release(void* p, std::size_t mapped) {
    ::munmap(p, mapped);
}

} // namespace hs::huge_pages
