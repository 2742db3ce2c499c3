// Started by test_huge_pages: restarts for huge pages as the programs do, then prints what it runs with
// (its name, GLIBC_TUNABLES, its arguments) and how much of what a thread allocates in small blocks lies
// in huge pages, with adviseHugePagesForThisThread or (HS_PROBE_THREAD=plain) without.
#include "common/huge_pages.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {
long anonHugeKb() {
    std::ifstream rollup("/proc/self/smaps_rollup");
    for (std::string line; std::getline(rollup, line);)
        if (line.rfind("AnonHugePages:", 0) == 0) return std::atol(line.c_str() + 14);
    return -1;
}

// 16 MB in blocks of 2 KB, written, on a thread of its own (so in an arena of its own): the huge pages
// that came with them, in KB.
long hugeKbOfAThread(bool advised) {
    long grown = 0;
    std::thread([&] {
        if (advised) hs::adviseHugePagesForThisThread();
        std::vector<char*> blocks;
        const long before = anonHugeKb();
        for (int i = 0; i < 8192; ++i) {
            blocks.push_back(static_cast<char*>(std::malloc(2048)));
            std::memset(blocks.back(), 1, 2048);
        }
        grown = anonHugeKb() - before;
        for (char* b : blocks)
            std::free(b);
    }).join();
    return grown;
}
} // namespace

int main(int argc, char** argv) {
    hs::restartWithHugePages(argv);
    std::ifstream comm("/proc/self/comm");
    std::string name;
    std::getline(comm, name);
    std::printf("comm=%s\n", name.c_str());
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    std::printf("tunables=%s\n", tunables ? tunables : "(unset)");
    for (int i = 1; i < argc; ++i)
        std::printf("arg=%s\n", argv[i]);
    // One thread per process: a second one would reuse the first one's arena, its pages already there.
    const char* mode = std::getenv("HS_PROBE_THREAD");
    const bool advised = !mode || std::strcmp(mode, "plain") != 0;
    std::printf("%s thread=%ld kB\n", advised ? "advised" : "plain", hugeKbOfAThread(advised));
    return 0;
}
