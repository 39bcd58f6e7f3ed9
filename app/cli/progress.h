#pragma once
// Progress of a long command on stderr (batch, evaluate): a bar redrawn in place on a terminal, plain
// lines (each 10 % or 30 s) in logs, or nothing; chosen with --progress auto|bar|lines|none.
//
//   Progress progress("evaluate", Progress::parse_mode(args.take("progress").value_or("auto")), total, 0);
//   progress.update(done, failed);            // cheap: redraws at most every 0.2 s
//   progress.update(done, failed, true);      // the last line
#include <cstdint>
#include <string>

#include "core/util/timer.h"

namespace xs::cli {

class Progress {
public:
    enum Mode { Bar, Lines, None };
    // "auto" (a bar on a terminal, else lines), "bar", "lines" or "none"; xs::Error otherwise.
    static Mode parse_mode(const std::string& text);

    // `name` prefixes the plain lines ("batch: 12/40 ..."); `already` images were done before this run.
    Progress(std::string name, Mode mode, int64_t total, int64_t already)
        : name_(std::move(name)), mode_(mode), total_(total), done_(already), start_done_(already) {}

    void update(int64_t done, int64_t failed, bool final = false);
    Mode mode() const { return mode_; }

private:
    std::string line(double t, bool bar) const;

    std::string name_;
    Mode mode_;
    int64_t total_, done_, start_done_, failed_ = 0;
    StopWatch clock_;
    double last_draw_ = -1e9;
    int64_t last_decile_ = -1;
    int64_t last_printed_ = -1;
};

}  // namespace xs::cli
