// The image list with many images (issue 15 item 3's figures): prints, for a folder of N images
// (default 100,000, made by this program under the given folder when missing: 100 distinct small
// JPEGs, the rest hard links to them, 1,000 per sub-folder),
//   - the time from opening the folder to the first image shown,
//   - the time of the whole scan,
//   - the time for a filter change to redraw the list (the list repainted),
//   - the longest GUI-thread block while the list scrolls from top to bottom, a page per 16 ms frame:
//     a 1 ms timer records the gaps between its ticks (time the event loop could not run) and the GUI
//     thread's own CPU time in each; the block is the largest CPU time in one gap, and the longest
//     gap (which adds the time a loaded machine gave the thread no core) is printed beside it,
//   - the process's peak resident memory (VmHWM) with thumbnails on,
// It measures and prints; it asserts nothing about the times.
//
//   bench_image_list [folder] [images]     (folder default /tmp/xs-bench-images)
//   XS_BENCH_THUMBNAILS=0 bench_image_list ...   (the same with View > Thumbnails off)
#include <QAction>
#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QImage>
#include <QLineEdit>
#include <QListView>
#include <QScrollBar>
#include <QStandardPaths>
#include <QTimer>
#include <QtTest>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <ctime>
#include <vector>

#include "ui/image_browser.h"
#include "ui/image_filter_bar.h"
#include "ui/main_window.h"
#include "ui/thumbnails.h"

using namespace xs;

namespace {

constexpr int kDistinct = 100;
constexpr int kPerFolder = 1000;

QString image_path(const QString& root, int i) {
    return QStringLiteral("%1/d%2/img%3.jpg").arg(root).arg(i / kPerFolder, 3, 10, QLatin1Char('0')).arg(i, 6, 10, QLatin1Char('0'));
}

bool make_folder(const QString& root, int n) {
    if (QFile::exists(image_path(root, n - 1))) return true;
    std::printf("making %d images under %s ...\n", n, qPrintable(root));
    std::fflush(stdout);
    for (int d = 0; d * kPerFolder < n; ++d) QDir().mkpath(QFileInfo(image_path(root, d * kPerFolder)).path());
    for (int i = 0; i < n; ++i) {
        const QString path = image_path(root, i);
        if (QFile::exists(path)) continue;
        if (i < kDistinct) {
            QImage img(320, 240, QImage::Format_RGB32);
            img.fill(QColor::fromHsv((i * 37) % 360, 180, 200));
            if (!img.save(path, "JPG", 85)) return false;
        } else {
            std::error_code ec;
            std::filesystem::create_hard_link(image_path(root, i % kDistinct).toStdString(), path.toStdString(), ec);
            if (ec) return false;
        }
    }
    return true;
}

double thread_cpu_s() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
}

long peak_rss_kb() {
    QFile f("/proc/self/status");
    if (!f.open(QIODevice::ReadOnly)) return -1;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith("VmHWM:")) return line.mid(6).trimmed().split(' ').value(0).toLong();
    return -1;
}

// Records the gaps between ticks of a 1 ms timer: time the event loop could not run, either because
// the GUI thread was busy (its own CPU time during the gap, CLOCK_THREAD_CPUTIME_ID) or because a
// loaded machine did not give it a core (the rest of the gap).
class GapMeter : public QObject {
public:
    GapMeter() {
        connect(&timer_, &QTimer::timeout, this, [this] {
            const qint64 now = clock_.nsecsElapsed();
            const double cpu = thread_cpu_s();
            if (last_ >= 0) {
                gaps_.push_back((now - last_) / 1e6);
                busy_.push_back({(cpu - last_cpu_) * 1000, now / 1e9});
            }
            last_ = now;
            last_cpu_ = cpu;
        });
        timer_.setTimerType(Qt::PreciseTimer);
    }
    void start() {
        gaps_.clear();
        last_ = -1;
        busy_.clear();
        // Room for a long scroll, so the meter itself never reallocates while it measures.
        gaps_.reserve(size_t(1) << 20);
        busy_.reserve(size_t(1) << 20);
        clock_.start();
        timer_.start(1);
    }
    void stop() { timer_.stop(); }
    double longest_ms() const { return gaps_.empty() ? 0 : *std::max_element(gaps_.begin(), gaps_.end()); }
    double percentile_ms(double p) const {
        if (gaps_.empty()) return 0;
        std::vector<double> sorted = gaps_;
        std::sort(sorted.begin(), sorted.end());
        return sorted[std::min(sorted.size() - 1, size_t(p * double(sorted.size())))];
    }
    int count_over(double ms) const { return int(std::count_if(gaps_.begin(), gaps_.end(), [ms](double g) { return g > ms; })); }
    int count() const { return int(gaps_.size()); }
    // The GUI thread's CPU time in the `n` busiest gaps (ms) and when they began (s into the run).
    std::vector<std::pair<double, double>> busiest(size_t n) const {
        std::vector<std::pair<double, double>> sorted = busy_;
        std::sort(sorted.rbegin(), sorted.rend());
        sorted.resize(std::min(n, sorted.size()));
        return sorted;
    }

private:
    QTimer timer_;
    QElapsedTimer clock_;
    qint64 last_ = -1;
    double last_cpu_ = 0;
    std::vector<std::pair<double, double>> busy_;  // (CPU ms in the gap, seconds at its end)
    std::vector<double> gaps_;
};

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("xsam-studio-test");
    QCoreApplication::setApplicationName("bench_image_list");
    const QString root = argc > 1 ? QString::fromLocal8Bit(argv[1]) : QStringLiteral("/tmp/xs-bench-images");
    const int n = argc > 2 ? std::atoi(argv[2]) : 100000;
    if (!make_folder(root, n)) {
        std::fprintf(stderr, "could not make the images under %s\n", qPrintable(root));
        return 1;
    }
    QFile::remove(root + "/xsam-project.json");

    MainWindow w;
    w.resize(1400, 900);
    w.show();
    QApplication::setActiveWindow(&w);
    w.set_engine("classic");
    if (qEnvironmentVariable("XS_BENCH_THUMBNAILS") == "0") w.action("toggleThumbnails")->trigger();
    QTest::qWait(200);

    QElapsedTimer clock;
    clock.start();
    if (!w.open_folder(root)) return 1;
    if (!QTest::qWaitFor([&w] { return w.image_ready(); }, 120000)) return 1;
    const double first_ms = clock.nsecsElapsed() / 1e6;
    if (!QTest::qWaitFor([&w] { return !w.scanning(); }, 120000)) return 1;
    const double scan_ms = clock.nsecsElapsed() / 1e6;  // the list is complete

    QListView* list = w.file_list();
    QLineEdit* name = w.filter_bar()->findChild<QLineEdit*>("filterName");
    double filter_ms = 0;
    for (const char* text : {"img01", "d05", "*7.jpg", ""}) {  // the longest of four filter changes
        clock.restart();
        name->setText(text);
        list->viewport()->repaint();
        filter_ms = std::max(filter_ms, clock.nsecsElapsed() / 1e6);
    }

    GapMeter gaps;
    QScrollBar* bar = list->verticalScrollBar();
    const int pages = bar->maximum() / std::max(1, bar->pageStep()) + 1;
    // A page every 16 ms (a frame at 60 Hz) from a timer, so the real event loop runs in between:
    // painting, thumbnails arriving, requests trimmed.
    QEventLoop loop;
    QTimer stepper;
    int value = 0;
    QObject::connect(&stepper, &QTimer::timeout, &loop, [&] {
        if (value > bar->maximum()) return loop.quit();
        bar->setValue(value);
        value += bar->pageStep();
    });
    const double cpu_before = thread_cpu_s();
    gaps.start();
    clock.restart();
    stepper.start(16);
    loop.exec();
    stepper.stop();
    const double scroll_s = clock.nsecsElapsed() / 1e9;
    const double scroll_cpu_s = thread_cpu_s() - cpu_before;
    gaps.stop();
    QTest::qWait(500);  // the last thumbnails

    ThumbnailCache* thumbs = w.image_browser()->thumbnails();
    std::printf("images: %d (%s)\n", w.image_count(), qPrintable(root));
    std::printf("first image shown after opening the folder: %.0f ms (goal <= 2000)\n", first_ms);
    std::printf("whole scan (list complete): %.0f ms (goal <= 15000)\n", scan_ms);
    std::printf("filter change to the list redrawn, longest of 4: %.1f ms (goal <= 200)\n", filter_ms);
    std::printf("scrolling top to bottom (%d pages, %.1f s): longest GUI-thread block %.1f ms of CPU work (goal <= 30); "
                "longest event-loop gap %.1f ms, %d of %d gaps over 30 ms, 99.9th percentile %.1f ms, median %.1f ms\n",
                pages, scroll_s, gaps.busiest(1).empty() ? 0.0 : gaps.busiest(1)[0].first, gaps.longest_ms(), gaps.count_over(30), gaps.count(),
                gaps.percentile_ms(0.999), gaps.percentile_ms(0.5));
    std::printf("the busiest gaps (CPU ms at s into the scroll):");
    for (const auto& [ms, at] : gaps.busiest(5)) std::printf(" %.1f at %.1f", ms, at);
    std::printf("\n");
    std::printf("GUI thread's CPU time while scrolling: %.1f s (%.1f ms per page)\n", scroll_cpu_s,
                1000 * scroll_cpu_s / std::max(1, pages));
    std::printf("thumbnails cached: %d (%.1f MB), still queued %d\n", thumbs->cached(), thumbs->cached_bytes() / 1e6,
                thumbs->queued());
    std::printf("peak resident memory (VmHWM): %.0f MB (goal < 1024)\n", peak_rss_kb() / 1024.0);
    return 0;
}
