// Test-only driver for test_safety: the other process of the two-writer tests.
//
//   xs_safety_driver hold-lock PROJECT      takes the project's lock, prints "locked <pid>" (or
//                                          "held <holder>"), then waits until stdin closes
//   xs_safety_driver race PROJECT TAG N [unchecked]
//                                          N times: load the project, add the category "TAG-k", save
//                                          it with the checked save (or, "unchecked", the plain one:
//                                          the negative control). Prints one line per save:
//                                          "S k" saved, "C k <side copy>" refused (conflict).
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "core/io/project_file.h"
#include "core/io/project_lock.h"

namespace {

int hold_lock(const std::string& project) {
    xs::LockAttempt a = xs::try_lock_project(project, "xs_safety_driver");
    if (a.lock) {
        std::printf("locked %d\n", int(getpid()));
    } else if (a.holder) {
        std::printf("held %s\n", a.holder->describe().c_str());
    } else {
        std::printf("problem %s\n", a.problem.c_str());
    }
    std::fflush(stdout);
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    return 0;
}

int race(const std::string& project, const std::string& tag, int n, bool unchecked) {
    for (int k = 1; k <= n; ++k) {
        try {
            xs::DiskVersion version;
            xs::Project p = xs::load_project(project, &version);
            p.add_category(tag + "-" + std::to_string(k));
            if (unchecked) {
                xs::save_project(p, project);
            } else {
                xs::save_project(p, project, version);
            }
            std::printf("S %d\n", k);
        } catch (const xs::SaveConflict& e) {
            std::printf("C %d %s\n", k, e.kept_copy.c_str());
        } catch (const std::exception& e) {
            std::printf("E %d %s\n", k, e.what());
        }
        std::fflush(stdout);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 3 && std::strcmp(argv[1], "hold-lock") == 0) return hold_lock(argv[2]);
    if ((argc == 5 || argc == 6) && std::strcmp(argv[1], "race") == 0)
        return race(argv[2], argv[3], std::atoi(argv[4]), argc == 6 && std::strcmp(argv[5], "unchecked") == 0);
    std::fprintf(stderr, "usage: %s hold-lock PROJECT | race PROJECT TAG N [unchecked]\n", argv[0]);
    return 2;
}
