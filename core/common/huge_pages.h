#pragma once
// Transparent huge pages for the process's heap, asked of glibc's allocator through its documented
// tunable (glibc.malloc.hugetlb=1, glibc 2.35 and later), which it reads only when a program starts: the
// programs call restartWithHugePages first thing in main, and it starts them again with the tunable set.
//
// Why: the structure of a graph-heavy model is fresh memory, and each 4 KB page of it costs a page fault
// when first written. The first open of deep-1000 (126k nodes) in a process took 33k faults, 355 ms against
// 75 ms for the same open repeated in a process whose allocator reuses what the last one freed. With huge
// pages the kernel faults 2 MB at a time: 150-270 ms. Debian's kernels give huge pages only where a
// program asks for them ("madvise" mode); in "always" mode the heap has them already and nothing is done.
#include <string>

namespace hs {

// Whether to start again for huge pages: the kernel's mode is "madvise", glibc knows the tunable, the
// environment does not set it yet (nor opt out with HIERSCOPE_HUGE_PAGES=0). `tunables` and `optOut` are
// the values of GLIBC_TUNABLES and HIERSCOPE_HUGE_PAGES (null when unset), `thpEnabled` the text of
// /sys/kernel/mm/transparent_hugepage/enabled ("always [madvise] never").
bool wantsHugePageRestart(const char* tunables, const char* optOut, const std::string& thpEnabled,
                          const char* glibcVersion);

// GLIBC_TUNABLES with the restart's tunables added to what it held, each unless it is named there: huge
// pages, and blocks of up to 32 MB from the heap (where the huge pages are) rather than mappings of their
// own.
std::string tunablesWithHugePages(const char* tunables);

// Starts this program again (its own file, the same arguments) with the tunables set when
// wantsHugePageRestart says so and it does not run under Valgrind; returns when it does not, or when the
// exec fails (the program then runs as it would have, without huge pages). Call before any thread starts.
void restartWithHugePages(char** argv);

// Whether this process runs with the huge-page tunable (restarted, or set by the user): GLIBC_TUNABLES
// holds glibc.malloc.hugetlb=1.
bool hugePagesActive();

// For a thread about to allocate a lot: glibc asks for huge pages only in its main heap, not in a
// thread's own arena, which it also grows a few pages at a time, so each 4 KB page of it faults on
// first use (deep-1000's first open: 2.5k faults in the loader's second thread; the GUI opens a model
// on a pool thread). This takes 56 MB from this thread's arena (in blocks below the 32 MB the restart
// lets the heap serve), asks for huge pages over the 2 MB ranges inside them, and gives them back: the
// arena keeps its first heap (the restart's trim threshold is 64 MB) and carves what the thread
// allocates next out of it; beyond it, 4 KB pages as before. Once per thread; nothing without
// hugePagesActive(). Memory the thread never touches stays unbacked.
void adviseHugePagesForThisThread();

} // namespace hs
