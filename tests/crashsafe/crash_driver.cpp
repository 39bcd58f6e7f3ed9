// Test-only driver for test_crashsafe. It saves generations 1..N of generation.h into a folder:
// each one through xs::Autosaver (the project file) and then xs::write_coco (the COCO export), and
// logs every step to <folder>/events.log with one write(2) per line (O_APPEND), so every line it
// logged survives a SIGKILL:
//   "B P k" before submitting generation k to the Autosaver, "E P k" once flush() returned,
//   "B C k" before write_coco, "E C k" once it returned.
//
//   xs_crash_driver <folder> <N>   one run in this process; exit status 0 after generation N
//   xs_crash_driver --serve        reads "<folder> <N> [unsafe]" lines on stdin; for each forks a child that
//                                  does the run, prints "pid <child>", waits for it and prints
//                                  "exit <status>" (or "signal <n>"). Forking from a warm process
//                                  avoids paying the ~0.3 s start-up of the OpenCV libraries that
//                                  xs_io/xs_coco link, so many kills fit in a short test.
//                                  "unsafe" writes the project file naively instead (negative
//                                  control: the test must see partial files then).
#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>

#include "core/io/project_file.h"
#include "tests/crashsafe/generation.h"

namespace {

void write_all(int fd, const char* p, size_t n) {
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w <= 0) std::_Exit(3);
        p += w;
        n -= size_t(w);
    }
}

void report(int fd, char phase, char what, int k) {
    char line[64];
    const int n = std::snprintf(line, sizeof(line), "%c %c %d\n", phase, what, k);
    write_all(fd, line, size_t(n));
}

// The negative control of the test: what a naive writer does (truncate the real file, write it in
// pieces, no temporary file, no rename). A kill in the middle leaves a partial file.
void unsafe_write(const std::string& path, const std::string& bytes) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) std::_Exit(4);
    for (size_t at = 0; at < bytes.size(); at += 4096) {
        write_all(fd, bytes.data() + at, std::min<size_t>(4096, bytes.size() - at));
        ::usleep(200);  // a slow disk: widens the window in which the file is partial
    }
    ::close(fd);
}

int run(const std::string& dir, int generations, bool unsafe) {
    const std::string project_path = dir + "/" + xs::crashsafe::kProjectName;
    const std::string coco_path = dir + "/" + xs::crashsafe::kCocoName;
    const std::string events_path = dir + "/" + xs::crashsafe::kEventsName;
    const int fd = ::open(events_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        std::fprintf(stderr, "cannot open %s: %s\n", events_path.c_str(), std::strerror(errno));
        return 1;
    }
    bool failed = false;
    try {
        xs::Autosaver saver(project_path, [&](const std::string& message) {
            std::fprintf(stderr, "autosave error: %s\n", message.c_str());
            failed = true;
        });
        for (int k = 1; k <= generations; ++k) {
            const xs::Project p = xs::crashsafe::make_generation(k);
            report(fd, 'B', 'P', k);
            if (unsafe) {
                unsafe_write(project_path, xs::project_to_json(p));
            } else {
                saver.submit(p);
                saver.flush();
            }
            if (failed) return 1;
            report(fd, 'E', 'P', k);
            report(fd, 'B', 'C', k);
            xs::write_coco(p, coco_path, xs::crashsafe::export_options());
            report(fd, 'E', 'C', k);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "driver error: %s\n", e.what());
        return 1;
    }
    ::close(fd);
    return 0;
}

int serve() {
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream in(line);
        std::string dir;
        int generations = 0;
        std::string mode;
        if (!(in >> dir >> generations)) {
            std::cout << "error bad command" << std::endl;
            continue;
        }
        in >> mode;  // optional "unsafe"
        std::cout.flush();
        const pid_t pid = ::fork();
        if (pid < 0) {
            std::cout << "error fork" << std::endl;
            continue;
        }
        if (pid == 0) std::_Exit(run(dir, generations, mode == "unsafe"));  // the child never returns into the loop
        std::cout << "pid " << pid << std::endl;
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (WIFSIGNALED(status))
            std::cout << "signal " << WTERMSIG(status) << std::endl;
        else
            std::cout << "exit " << WEXITSTATUS(status) << std::endl;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::strcmp(argv[1], "--serve") == 0) return serve();
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s <folder> <generations> | --serve\n", argv[0]);
        return 2;
    }
    return run(argv[1], std::atoi(argv[2]), false);
}
