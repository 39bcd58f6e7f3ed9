#pragma once
// Large heap blocks on transparent huge pages. On a kernel whose THP mode is "madvise" (Debian's
// default), glibc backs malloc's blocks with 2 MB pages only when its tunable glibc.malloc.hugetlb=1
// is set, and it reads its tunables only when a program starts. X-SAM on the CPU allocates and frees
// activations of tens of MB per layer; with 4 KB pages every new block is faulted in page by page
// (17.6 million faults in a full-depth prepare and three prompts; 0.67 million with the tunable) and a
// full-depth prepare took 32.8-38.4 s against 29.2-29.6 s with it (README, "X-SAM on the CPU").
#include <optional>
#include <string>

namespace xs {

// The GLIBC_TUNABLES value that turns malloc's huge pages on, given its current value (null: unset)
// and the kernel's THP mode line (/sys/kernel/mm/transparent_hugepage/enabled, e.g. "always [madvise]
// never"); nullopt when nothing is to change: the tunable already named there (either value), or a
// mode other than madvise (always: every block gets huge pages anyway; never: none can).
std::optional<std::string> malloc_hugepage_tunables(const char* current, const std::string& thp_mode);

// Where malloc_hugepage_tunables says so for the environment `envp`, and XS_MALLOC_HUGEPAGES is not
// "0" there, executes the program again (/proc/self/exe) with the same arguments and that environment
// with GLIBC_TUNABLES set (so the new start finds it and goes on). Returns when nothing is to change
// or the exec fails (the program then runs on without). Uses no C++ streams and no getenv: the
// programs call it from a function in their
// .preinit_array, before any shared library's initialisers run (LibTorch's take 0.4 s, which a
// restart from main() would pay twice; the restart itself costs 0.1-0.2 s of library loading).
void use_malloc_hugepages(char** argv, char** envp);

// For reports: "on (GLIBC_TUNABLES=...)" when this process was started with malloc's huge pages
// asked for (its initial environment, /proc/self/environ), else "off (THP mode: ...)".
std::string malloc_hugepages_state();

}  // namespace xs
