// Started by test_huge_pages: restarts for huge pages as the programs do, then prints what it runs with
// (its GLIBC_TUNABLES, its arguments) and how much of 64 MB it allocated and wrote lies in huge pages.
#include "common/huge_pages.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

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
    const std::size_t bytes = std::size_t{64} << 20;
    char* block = static_cast<char*>(std::malloc(bytes));
    std::memset(block, 1, bytes);
    std::ifstream rollup("/proc/self/smaps_rollup");
    for (std::string line; std::getline(rollup, line);)
        if (line.rfind("AnonHugePages:", 0) == 0) std::printf("%s\n", line.c_str());
    std::free(block);
    return 0;
}
