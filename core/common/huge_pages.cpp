#include "common/huge_pages.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__GLIBC__)
#include <gnu/libc-version.h>
#endif

namespace hs {

namespace {

constexpr const char* kTunable = "glibc.malloc.hugetlb";

// What the restart sets, each unless GLIBC_TUNABLES names it already. Huge pages reach only what glibc
// takes from its main heap: a block of 128 KB to 32 MB had its own mapping of 4 KB pages until the first
// one was freed (glibc then raises its threshold), and deep-1000's first open faulted 1.2k times in the
// index and 3.2k in the inference that way. The trim threshold keeps a freed top of the heap up to 64 MB,
// as glibc's own raised threshold does (twice the mapping threshold).
struct Tunable {
    const char* name;
    const char* value;
};
constexpr Tunable kTunables[] = {
    {kTunable, "1"},
    {"glibc.malloc.mmap_threshold", "33554432"},
    {"glibc.malloc.trim_threshold", "67108864"},
};

// "2.36" -> true when at least 2.35, the first glibc with the tunable.
bool knowsHugePageTunable(const char* glibcVersion) {
    if (!glibcVersion) return false;
    int major = 0, minor = 0;
    if (std::sscanf(glibcVersion, "%d.%d", &major, &minor) != 2) return false;
    return major > 2 || (major == 2 && minor >= 35);
}

std::string readSmallFile(const char* path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The running program's file, or "" when it cannot be named (deleted or replaced since it started).
std::string ownPath() {
    char buffer[4096];
    const ssize_t length = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
    if (length <= 0) return {};
    std::string path(buffer, static_cast<std::size_t>(length));
    if (path.size() >= 10 && path.compare(path.size() - 10, 10, " (deleted)") == 0) return {};
    return ::access(path.c_str(), X_OK) == 0 ? path : std::string();
}

} // namespace

bool wantsHugePageRestart(const char* tunables, const char* optOut, const std::string& thpEnabled,
                          const char* glibcVersion) {
    if (optOut && std::strcmp(optOut, "0") == 0) return false;
    // Already set (by the restart itself, or by the user, whatever its value): never twice.
    if (tunables && std::strstr(tunables, kTunable)) return false;
    return thpEnabled.find("[madvise]") != std::string::npos && knowsHugePageTunable(glibcVersion);
}

std::string tunablesWithHugePages(const char* tunables) {
    std::string value = tunables ? tunables : "";
    for (const Tunable& t : kTunables) {
        if (value.find(std::string(t.name) + '=') != std::string::npos) continue;
        if (!value.empty()) value += ':';
        value = value + t.name + '=' + t.value;
    }
    return value;
}

void restartWithHugePages(char** argv) {
#if defined(__GLIBC__) && defined(__linux__)
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    const bool hadTunables = tunables != nullptr;
    const std::string before = hadTunables ? tunables : "";
    // Under Valgrind the exec would leave it (it follows children only when told to).
    const char* preload = std::getenv("LD_PRELOAD");
    if (preload && std::strstr(preload, "vgpreload")) return;
    if (!wantsHugePageRestart(tunables, std::getenv("HIERSCOPE_HUGE_PAGES"),
                              readSmallFile("/sys/kernel/mm/transparent_hugepage/enabled"),
                              gnu_get_libc_version()))
        return;
    const std::string value = tunablesWithHugePages(tunables);
    if (::setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) return;
    // The program's own path, not /proc/self/exe: the kernel names a process after the file it runs, and
    // "exe" in ps, top or pkill would not be the program. /proc/self/exe when the file is gone.
    const std::string self = ownPath();
    if (!self.empty()) ::execv(self.c_str(), argv);
    ::execv("/proc/self/exe", argv);
    // The exec failed (no /proc, say): run on without huge pages, leaving the environment as it was.
    if (hadTunables)
        ::setenv("GLIBC_TUNABLES", before.c_str(), 1);
    else
        ::unsetenv("GLIBC_TUNABLES");
#else
    (void)argv;
#endif
}

bool hugePagesActive() {
    static const bool active = [] {
        const char* tunables = std::getenv("GLIBC_TUNABLES");
        if (!tunables) return false;
        const std::string setting = std::string(kTunable) + '=';
        const char* at = std::strstr(tunables, setting.c_str());
        return at && at[setting.size()] == '1';
    }();
    return active;
}

void adviseHugePagesForThisThread() {
#if defined(__linux__)
    // Once per thread: a pool thread that opens one model after another keeps its arena, and asked
    // again, glibc would only map a second heap for the blocks and unmap it when they are freed.
    thread_local bool advised = false;
    if (advised || !hugePagesActive()) return;
    advised = true;
    // Two blocks of 28 MB: each below the 32 MB from which glibc maps a block of its own, together
    // within the first 64 MB heap of an arena, the one glibc never gives back (a later heap is unmapped
    // as soon as it is empty, and with it the advice).
    constexpr std::size_t kBlock = std::size_t{28} << 20;
    constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
    void* blocks[2] = {std::malloc(kBlock), std::malloc(kBlock)};
    for (void* block : blocks) {
        if (!block) continue;
        const auto start = reinterpret_cast<std::uintptr_t>(block);
        const std::uintptr_t begin = (start + kHuge - 1) & ~(kHuge - 1);
        const std::uintptr_t end = (start + kBlock) & ~(kHuge - 1);
        if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
    }
    std::free(blocks[1]);
    std::free(blocks[0]);
#endif
}

} // namespace hs
