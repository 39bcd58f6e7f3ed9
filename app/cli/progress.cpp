#include "app/cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/util/error.h"

namespace xs::cli {

namespace {

std::string format_duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "--:--";
    const long long s = (long long)(seconds + 0.5);
    char buf[32];
    if (s >= 3600) std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
    else std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
    return buf;
}

}  // namespace

Progress::Mode Progress::parse_mode(const std::string& text) {
    if (text == "auto") return isatty(2) ? Bar : Lines;
    if (text == "bar") return Bar;
    if (text == "lines") return Lines;
    if (text == "none") return None;
    throw Error("--progress '" + text + "': expected auto, bar, lines or none");
}

void Progress::update(int64_t done, int64_t failed, bool final) {
    done_ = done;
    failed_ = failed;
    if (mode_ == None) return;
    const double t = clock_.elapsed_ms() / 1000.0;
    if (mode_ == Bar) {
        if (!final && t - last_draw_ < 0.2) return;
        last_draw_ = t;
        std::fprintf(stderr, "\r%s\033[K%s", line(t, true).c_str(), final ? "\n" : "");
    } else {
        const int64_t decile = total_ > 0 ? done * 10 / total_ : 10;
        if (final ? done == last_printed_ : (decile == last_decile_ && t - last_draw_ < 30.0)) return;
        last_printed_ = done;
        last_decile_ = decile;
        last_draw_ = t;
        std::fprintf(stderr, "%s: %s\n", name_.c_str(), line(t, false).c_str());
    }
    std::fflush(stderr);
}

std::string Progress::line(double t, bool bar) const {
    const int64_t ran = done_ - start_done_;
    const double rate = t > 0 ? ran / t : 0;
    const double eta = rate > 0 ? (total_ - done_) / rate : -1;
    const double pct = total_ > 0 ? 100.0 * double(done_) / double(total_) : 100.0;
    std::string s;
    char buf[200];
    std::snprintf(buf, sizeof buf, "%lld/%lld", (long long)done_, (long long)total_);
    s += buf;
    if (bar) {
        constexpr int width = 28;
        const int fill = total_ > 0 ? int(width * done_ / total_) : width;
        s += " [" + std::string(size_t(fill), '=') + (fill < width ? ">" : "") +
             std::string(size_t(std::max(0, width - fill - 1)), ' ') + "]";
    }
    std::snprintf(buf, sizeof buf, " %5.1f%%  %.2f img/s  elapsed %s  ETA %s", pct, rate, format_duration(t).c_str(),
                  done_ >= total_ ? "0:00" : format_duration(eta).c_str());
    s += buf;
    if (failed_ > 0) s += "  failed " + std::to_string(failed_);
    return s;
}

}  // namespace xs::cli
