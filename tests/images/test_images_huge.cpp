// A 20000 x 20000 PNG and JPEG (generated here, row by row) open as a bounded working image with a
// peak resident memory far below a whole-image decode. Each decode runs in a fresh process
// (xs_decode_probe) so its peak RSS is its own; OpenCV's whole decode of the same files is the
// baseline. Figures are printed for the README.
#include <QtTest>

#include <cstdio>

#include "core/io/image_decode.h"
#include "tests/images/image_writers.h"

using namespace xs;

namespace {

constexpr int kSide = 20000;

// Four flat quarters (so the expected working colours are known exactly) with a thin diagonal line.
const unsigned char kQuarter[4][3] = {{200, 30, 40}, {20, 160, 70}, {30, 60, 210}, {240, 220, 30}};

void pattern_row(int y, unsigned char* r) {
    for (int x = 0; x < kSide; ++x) {
        const unsigned char* c = kQuarter[(y >= kSide / 2) * 2 + (x >= kSide / 2)];
        const bool line = std::abs(x - y - kSide / 8) < 8;  // misses the quarter centres
        r[3 * x] = line ? 0 : c[0];
        r[3 * x + 1] = line ? 0 : c[1];
        r[3 * x + 2] = line ? 0 : c[2];
    }
}

struct Probe {
    double peak_mib = 0, ms = 0;
    int w = 0, h = 0, fw = 0, fh = 0;
    QString method;
    std::vector<std::array<int, 5>> pixels;
};

Probe probe(const QString& file, bool opencv) {
    QProcess p;
    QStringList args{file};
    if (opencv) args << "--opencv";
    p.start(XS_DECODE_PROBE, args);
    Probe out;
    if (!p.waitForFinished(300000) || p.exitCode() != 0) {
        qWarning("probe failed: %s", p.readAllStandardError().constData());
        return out;
    }
    const QStringList lines = QString::fromUtf8(p.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts);
    for (const QString& line : lines) {
        if (line.startsWith("peak_rss_mib=")) {
            char method[128] = {0};
            std::sscanf(line.toUtf8().constData(), "peak_rss_mib=%lf ms=%lf width=%d height=%d full=%dx%d method=%127[^\n]",
                        &out.peak_mib, &out.ms, &out.w, &out.h, &out.fw, &out.fh, method);
            out.method = method;
        } else if (line.startsWith("pixel ")) {
            std::array<int, 5> v{};
            std::sscanf(line.toUtf8().constData(), "pixel %d %d %d %d %d", &v[0], &v[1], &v[2], &v[3], &v[4]);
            out.pixels.push_back(v);
        }
    }
    return out;
}

}  // namespace

class TestImagesHuge : public QObject {
    Q_OBJECT
    QString dir_;

private Q_SLOTS:
    void initTestCase() {
        dir_ = qEnvironmentVariable("XS_TEST_TMP", "/tmp/xs-test-images-huge");
        QDir().mkpath(dir_);
    }

    void huge_png_and_jpeg_open_bounded() {
        QElapsedTimer t;
        t.start();
        test::PngSpec ps;
        ps.width = ps.height = kSide;
        ps.compression = 1;
        ps.no_filter = true;
        const QString png = dir_ + "/huge.png";
        test::write_png(png.toStdString(), ps, pattern_row);
        const qint64 png_ms = t.restart();
        test::JpegSpec js;
        js.width = js.height = kSide;
        js.quality = 90;
        const QString jpg = dir_ + "/huge.jpg";
        test::write_jpeg(jpg.toStdString(), js, pattern_row);
        qInfo("generated %dx%d PNG (%lld MiB) in %lld ms, JPEG (%lld MiB) in %lld ms", kSide, kSide,
              QFileInfo(png).size() >> 20, png_ms, QFileInfo(jpg).size() >> 20, t.elapsed());

        const double full_rgb_mib = double(kSide) * kSide * 3 / (1 << 20);  // the decoded image alone
        int ew = 0, eh = 0;
        working_size(kSide, kSide, DecodeLimits{}, ew, eh);
        for (const QString& file : {png, jpg}) {
            const bool is_png = file.endsWith(".png");
            const Probe b = probe(file, false);
            QCOMPARE(b.w, ew);
            QCOMPARE(b.h, eh);
            QCOMPARE(b.fw, kSide);
            QCOMPARE(b.fh, kSide);
            const Probe full = probe(file, true);
            QCOMPARE(full.w, kSide);
            qInfo("%s: bounded %s -> %dx%d: peak RSS %.0f MiB, %.0f ms | OpenCV whole decode: peak RSS %.0f MiB, %.0f ms "
                  "| full RGB alone would be %.0f MiB",
                  is_png ? "PNG " : "JPEG", qPrintable(b.method), b.w, b.h, b.peak_mib, b.ms, full.peak_mib, full.ms, full_rgb_mib);
            // The working image itself is ew*eh*3 bytes (about 114 MiB); the bound leaves room for the
            // process and the libraries but must stay far below a whole decode.
            QVERIFY2(b.peak_mib < 0.3 * full_rgb_mib, qPrintable(QString("peak %1 MiB").arg(b.peak_mib)));
            QVERIFY2(b.peak_mib < 0.3 * full.peak_mib, qPrintable(QString("peak %1 vs %2 MiB").arg(b.peak_mib).arg(full.peak_mib)));
            // Quarter centres have the flat colours (PNG: exact area average; JPEG: lossy).
            QCOMPARE(int(b.pixels.size()), 4);
            for (int q = 0; q < 4; ++q) {
                const auto& p = b.pixels[size_t(q)];
                const int tol = is_png ? 0 : 4;
                for (int c = 0; c < 3; ++c)
                    QVERIFY2(std::abs(p[2 + c] - kQuarter[q][c]) <= tol,
                             qPrintable(QString("quarter %1 channel %2: %3 vs %4").arg(q).arg(c).arg(p[2 + c]).arg(kQuarter[q][c])));
            }
        }
        QFile::remove(png);
        QFile::remove(jpg);
    }
};

QTEST_APPLESS_MAIN(TestImagesHuge)
#include "test_images_huge.moc"
