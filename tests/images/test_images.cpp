// Unusual images decode to the right RGB (against hand-computed values on small generated files),
// the bounded decoder's area average equals a dense reference, and masks map exactly between
// working and full resolution (against dense references and by round trips).
#include <QtTest>

#include <cmath>
#include <cstdlib>
#include <random>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/io/image.h"
#include "core/io/image_decode.h"
#include "core/mask/mask.h"
#include "core/util/error.h"
#include "core/mask/mask_scale.h"
#include "tests/images/image_writers.h"

using namespace xs;
using xs::test::JpegSpec;
using xs::test::PngSpec;

namespace {

std::string tmp_dir() {
    const QByteArray t = qgetenv("XS_TEST_TMP");
    std::string dir = t.isEmpty() ? std::string("/tmp/xs-test-images") : std::string(t.constData());
    QDir().mkpath(QString::fromStdString(dir));
    return dir;
}

struct Px {
    int r, g, b;
};

Px px(const Image& im, int x, int y) {
    const uint8_t* p = im.pixel(x, y);
    return {p[0], p[1], p[2]};
}

bool near(Px a, Px b, int tol) { return std::abs(a.r - b.r) <= tol && std::abs(a.g - b.g) <= tol && std::abs(a.b - b.b) <= tol; }

QString text(Px p) { return QString("(%1,%2,%3)").arg(p.r).arg(p.g).arg(p.b); }

#define CHECK_PX(img, x, y, expected, tol)                                                                       \
    do {                                                                                                         \
        const Px got_ = px(img, x, y);                                                                           \
        QVERIFY2(near(got_, expected, tol),                                                                      \
                 qPrintable(QString("pixel (%1,%2): got %3, expected %4").arg(x).arg(y).arg(text(got_), text(expected)))); \
    } while (0)

// Dense reference of the working image: the rounded mean of the full pixels whose floor mapping
// lands in each working pixel.
Image reference_area(const Image& full, int w, int h) {
    Image out;
    out.width = w;
    out.height = h;
    out.rgb.assign(size_t(w) * h * 3, 0);
    std::vector<uint64_t> sum(size_t(w) * h * 3, 0), n(size_t(w) * h, 0);
    for (int y = 0; y < full.height; ++y)
        for (int x = 0; x < full.width; ++x) {
            const size_t k = size_t(full_to_working(y, full.height, h)) * w + full_to_working(x, full.width, w);
            for (int c = 0; c < 3; ++c) sum[k * 3 + c] += full.pixel(x, y)[c];
            ++n[k];
        }
    for (size_t k = 0; k < n.size(); ++k)
        for (int c = 0; c < 3; ++c) out.rgb[k * 3 + c] = uint8_t((sum[k * 3 + c] + n[k] / 2) / n[k]);
    return out;
}

// Random blobby mask: a few filled ellipses and holes.
Mask random_mask(int w, int h, std::mt19937& rng) {
    Mask m(w, h);
    std::uniform_real_distribution<double> u(0, 1);
    for (int e = 0; e < 6; ++e) {
        const double cx = u(rng) * w, cy = u(rng) * h, rx = 1 + u(rng) * w / 3, ry = 1 + u(rng) * h / 3;
        const bool on = e < 4;
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const double dx = (x + 0.5 - cx) / rx, dy = (y + 0.5 - cy) / ry;
                if (dx * dx + dy * dy <= 1) m.set(x, y, on);
            }
    }
    // a few isolated pixels, the edges of the mapping
    for (int k = 0; k < 5; ++k) m.set(int(u(rng) * w), int(u(rng) * h), true);
    m.set(0, 0, true);
    m.set(w - 1, h - 1, true);
    return m;
}

Mask dense_up(const Mask& m, int W, int H) {
    Mask out(W, H);
    for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) out.set(x, y, m.at(int(int64_t(x) * m.width() / W), int(int64_t(y) * m.height() / H)));
    return out;
}

Mask dense_down(const Mask& full, int w, int h) {
    Mask out(w, h);
    const int W = full.width(), H = full.height();
    for (int i = 0; i < h; ++i)
        for (int j = 0; j < w; ++j) {
            const int x = int((int64_t(j) * W + w - 1) / w), y = int((int64_t(i) * H + h - 1) / h);
            out.set(j, i, full.at(x, y));
        }
    return out;
}

}  // namespace

class TestImages : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // ---- odd formats ---------------------------------------------------------------------------

    void png16_rgb_rgba_grey() {
        const std::string dir = tmp_dir();
        // 16-bit RGB, 2 x 1: (0, 65535, 32896) and (1000, 257, 65280). round(v / 257):
        // 0, 255, 128 | 4 (1000/257 = 3.89), 1, 254 (65280/257 = 254.0)
        PngSpec s;
        s.width = 2;
        s.height = 1;
        s.bit_depth = 16;
        const unsigned v[6] = {0, 65535, 32896, 1000, 257, 65280};
        xs::test::write_png(dir + "/rgb16.png", s, [&](int, unsigned char* r) {
            for (int i = 0; i < 6; ++i) { r[2 * i] = v[i] >> 8; r[2 * i + 1] = v[i] & 0xFF; }
        });
        const ImageHeader h = read_image_header(dir + "/rgb16.png");
        QCOMPARE(h.bit_depth, 16);
        QCOMPARE(h.channels, 3);
        QCOMPARE(h.color, ColorModel::Rgb);
        const Image a = load_image(dir + "/rgb16.png");
        CHECK_PX(a, 0, 0, (Px{0, 255, 128}), 0);
        CHECK_PX(a, 1, 0, (Px{4, 1, 254}), 0);

        // 16-bit RGBA: colour (65535, 0, 32896) alpha 32896 (-> 128): over white
        // R = (255*128 + 255*127 + 127)/255 = 255; G = (0 + 32385 + 127)/255 = 127; B = (128*128 + 32385 + 127)/255 = 191
        s.color_type = PNG_COLOR_TYPE_RGB_ALPHA;
        s.width = 1;
        const unsigned va[4] = {65535, 0, 32896, 32896};
        xs::test::write_png(dir + "/rgba16.png", s, [&](int, unsigned char* r) {
            for (int i = 0; i < 4; ++i) { r[2 * i] = va[i] >> 8; r[2 * i + 1] = va[i] & 0xFF; }
        });
        QCOMPARE(read_image_header(dir + "/rgba16.png").color, ColorModel::Rgba);
        CHECK_PX(load_image(dir + "/rgba16.png"), 0, 0, (Px{255, 127, 191}), 0);

        // 16-bit grey 51400 -> 200
        s.color_type = PNG_COLOR_TYPE_GRAY;
        xs::test::write_png(dir + "/g16.png", s, [&](int, unsigned char* r) { r[0] = 51400 >> 8; r[1] = 51400 & 0xFF; });
        CHECK_PX(load_image(dir + "/g16.png"), 0, 0, (Px{200, 200, 200}), 0);
    }

    void tiff16() {
        const std::string dir = tmp_dir();
        // OpenCV writes BGR order: B = 65535, G = 32896, R = 1000 -> RGB (4, 128, 255)
        cv::Mat m(3, 2, CV_16UC3, cv::Scalar(65535, 32896, 1000));
        m.at<cv::Vec3w>(2, 1) = cv::Vec3w(0, 25700, 514);  // -> RGB (2, 100, 0)
        QVERIFY(cv::imwrite(dir + "/rgb16.tif", m));
        const ImageHeader h = read_image_header(dir + "/rgb16.tif");
        QCOMPARE(h.format, std::string("tiff"));
        QCOMPARE(h.width, 2);
        QCOMPARE(h.height, 3);
        QCOMPARE(h.bit_depth, 16);
        QCOMPARE(h.channels, 3);
        const WorkingImage wi = load_working_image(dir + "/rgb16.tif");
        QCOMPARE(wi.image.width, 2);
        QCOMPARE(wi.image.height, 3);
        CHECK_PX(wi.image, 0, 0, (Px{4, 128, 255}), 0);
        CHECK_PX(wi.image, 1, 2, (Px{2, 100, 0}), 0);
    }

    void grey_grey_alpha_low_bit_depths() {
        const std::string dir = tmp_dir();
        PngSpec s;
        s.width = 3;
        s.height = 1;
        s.color_type = PNG_COLOR_TYPE_GRAY_ALPHA;
        // (100, a 128) -> (100*128 + 255*127 + 127)/255 = 45312/255 = 177; (100, 255) -> 100; (7, 0) -> 255
        xs::test::write_png(dir + "/ga.png", s, [&](int, unsigned char* r) {
            const unsigned char v[6] = {100, 128, 100, 255, 7, 0};
            std::memcpy(r, v, 6);
        });
        const ImageHeader h = read_image_header(dir + "/ga.png");
        QCOMPARE(h.color, ColorModel::GreyAlpha);
        QCOMPARE(h.channels, 2);
        const Image a = load_image(dir + "/ga.png");
        CHECK_PX(a, 0, 0, (Px{177, 177, 177}), 0);
        CHECK_PX(a, 1, 0, (Px{100, 100, 100}), 0);
        CHECK_PX(a, 2, 0, (Px{255, 255, 255}), 0);

        // 2-bit grey: levels 0..3 -> 0, 85, 170, 255
        s.color_type = PNG_COLOR_TYPE_GRAY;
        s.bit_depth = 2;
        s.width = 4;
        xs::test::write_png(dir + "/g2.png", s, [&](int, unsigned char* r) { r[0] = 0x1B; });  // 00 01 10 11
        const Image g = load_image(dir + "/g2.png");
        CHECK_PX(g, 0, 0, (Px{0, 0, 0}), 0);
        CHECK_PX(g, 1, 0, (Px{85, 85, 85}), 0);
        CHECK_PX(g, 2, 0, (Px{170, 170, 170}), 0);
        CHECK_PX(g, 3, 0, (Px{255, 255, 255}), 0);
        QCOMPARE(read_image_header(dir + "/g2.png").bit_depth, 2);
    }

    void palette_png_with_transparency() {
        const std::string dir = tmp_dir();
        PngSpec s;
        s.width = 4;
        s.height = 1;
        s.color_type = PNG_COLOR_TYPE_PALETTE;
        s.bit_depth = 2;
        s.palette = {{200, 10, 20}, {0, 128, 255}, {90, 90, 90}, {1, 2, 3}};
        s.trns = {255, 255, 0, 128};  // entry 2 transparent, entry 3 half
        xs::test::write_png(dir + "/pal.png", s, [&](int, unsigned char* r) { r[0] = 0x1B; });
        const ImageHeader h = read_image_header(dir + "/pal.png");
        QCOMPARE(h.color, ColorModel::Palette);
        QCOMPARE(h.channels, 1);
        const Image a = load_image(dir + "/pal.png");
        CHECK_PX(a, 0, 0, (Px{200, 10, 20}), 0);
        CHECK_PX(a, 1, 0, (Px{0, 128, 255}), 0);
        CHECK_PX(a, 2, 0, (Px{255, 255, 255}), 0);
        // (1*128 + 255*127 + 127)/255 = 32640/255 = 128; (2*128 + 32512)/255 = 128.5 -> 128; (3*128 + 32512)/255 = 129.0
        CHECK_PX(a, 3, 0, (Px{128, 128, 129}), 0);
    }

    void cmyk_jpeg_plain_and_adobe_inverted() {
        const std::string dir = tmp_dir();
        JpegSpec s;
        s.width = 16;
        s.height = 16;
        s.components = 4;
        s.in_space = JCS_CMYK;
        s.quality = 100;
        auto fill = [](int, unsigned char* r) {
            for (int x = 0; x < 16; ++x) { r[4 * x] = 200; r[4 * x + 1] = 100; r[4 * x + 2] = 50; r[4 * x + 3] = 220; }
        };
        s.adobe_marker = true;
        xs::test::write_jpeg(dir + "/cmyk-adobe.jpg", s, fill);
        s.adobe_marker = false;
        xs::test::write_jpeg(dir + "/cmyk-plain.jpg", s, fill);
        const ImageHeader ha = read_image_header(dir + "/cmyk-adobe.jpg");
        QCOMPARE(ha.color, ColorModel::Cmyk);
        QCOMPARE(ha.channels, 4);
        QVERIFY(ha.adobe_marker);
        QVERIFY(!read_image_header(dir + "/cmyk-plain.jpg").adobe_marker);
        // Adobe (stored inverted): R = (200*220 + 127)/255 = 173, G = (100*220 + 127)/255 = 86, B = (50*220 + 127)/255 = 43
        // Plain: C' = 55, M' = 155, Y' = 205, K' = 35: R = (55*35 + 127)/255 = 8, G = (155*35 + 127)/255 = 21, B = (205*35 + 127)/255 = 28
        // JPEG at quality 100 on a flat image is within 1 level per sample; 2 after the product.
        const Image a = load_image(dir + "/cmyk-adobe.jpg");
        const Image p = load_image(dir + "/cmyk-plain.jpg");
        for (int y : {0, 7, 15})
            for (int x : {0, 9, 15}) {
                CHECK_PX(a, x, y, (Px{173, 86, 43}), 2);
                CHECK_PX(p, x, y, (Px{8, 21, 28}), 2);
            }
    }

    void exif_orientation_all_eight() {
        const std::string dir = tmp_dir();
        // Stored: 3 x 2 blocks of 8 x 8 pixels, A B C / D E F.
        const Px colors[6] = {{230, 30, 30}, {30, 200, 40}, {40, 60, 220}, {240, 230, 40}, {30, 220, 230}, {200, 40, 210}};
        enum { A, B, C, D, E, F };
        // Displayed block grids, written out by hand from the EXIF definitions.
        const std::vector<std::vector<int>> expected[9] = {
            {},
            {{A, B, C}, {D, E, F}},          // 1 as stored
            {{C, B, A}, {F, E, D}},          // 2 mirrored left-right
            {{F, E, D}, {C, B, A}},          // 3 rotated 180
            {{D, E, F}, {A, B, C}},          // 4 mirrored top-bottom
            {{A, D}, {B, E}, {C, F}},        // 5 transposed
            {{D, A}, {E, B}, {F, C}},        // 6 rotated 90 clockwise
            {{F, C}, {E, B}, {D, A}},        // 7 transversed
            {{C, F}, {B, E}, {A, D}},        // 8 rotated 90 counter-clockwise
        };
        for (int o = 1; o <= 8; ++o) {
            JpegSpec s;
            s.width = 24;
            s.height = 16;
            s.quality = 100;
            s.exif_orientation = o;
            const std::string path = dir + "/o" + std::to_string(o) + ".jpg";
            xs::test::write_jpeg(path, s, [&](int y, unsigned char* r) {
                for (int x = 0; x < 24; ++x) {
                    const Px c = colors[(y / 8) * 3 + x / 8];
                    r[3 * x] = uint8_t(c.r);
                    r[3 * x + 1] = uint8_t(c.g);
                    r[3 * x + 2] = uint8_t(c.b);
                }
            });
            const ImageHeader h = read_image_header(path);
            QCOMPARE(h.orientation, o);
            QCOMPARE(h.width, o >= 5 ? 16 : 24);
            QCOMPARE(h.height, o >= 5 ? 24 : 16);
            QCOMPARE(h.stored_width, 24);
            const Image im = load_image(path);
            const auto& grid = expected[o];
            QCOMPARE(im.height, int(grid.size()) * 8);
            QCOMPARE(im.width, int(grid[0].size()) * 8);
            for (size_t by = 0; by < grid.size(); ++by)
                for (size_t bx = 0; bx < grid[by].size(); ++bx)
                    for (int dy : {1, 4, 6})
                        for (int dx : {1, 4, 6}) CHECK_PX(im, int(bx) * 8 + dx, int(by) * 8 + dy, colors[grid[by][bx]], 4);
            // The bounded decoder (here forced to reduce by 2 in each direction) keeps the orientation.
            DecodeLimits lim;
            lim.max_side = std::max(im.width, im.height) / 2;
            const WorkingImage wi = load_working_image(path, lim);
            QCOMPARE(wi.image.width, im.width / 2);
            QCOMPARE(wi.image.height, im.height / 2);
            QCOMPARE(wi.full_width, im.width);
            for (size_t by = 0; by < grid.size(); ++by)
                for (size_t bx = 0; bx < grid[by].size(); ++bx) CHECK_PX(wi.image, int(bx) * 4 + 2, int(by) * 4 + 2, colors[grid[by][bx]], 4);
        }
    }

    void errors_name_the_file() {
        const std::string dir = tmp_dir();
        // A 16-bit PNG cut in the middle of its data.
        PngSpec s;
        s.width = 300;
        s.height = 300;
        s.compression = 0;
        xs::test::write_png(dir + "/cut.png", s, [](int y, unsigned char* r) { std::memset(r, y & 0xFF, 900); });
        QFile f(QString::fromStdString(dir + "/cut.png"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QByteArray bytes = f.readAll();
        f.close();
        bytes = bytes.left(bytes.size() / 2) + bytes.right(12);  // keeps IEND so only the data is short
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(bytes);
        f.close();
        try {
            load_working_image(dir + "/cut.png");
            QFAIL("a cut PNG decoded");
        } catch (const Error& e) {
            const std::string m = e.what();
            QVERIFY2(m.find("cut.png") != std::string::npos && m.find("corrupt") != std::string::npos, m.c_str());
        }
        // Over the whole-decode budget: a TIFF that would need more than the budget is refused, naming it.
        cv::Mat m(200, 300, CV_8UC3, cv::Scalar(1, 2, 3));
        QVERIFY(cv::imwrite(dir + "/big.tif", m));
        DecodeLimits lim;
        lim.full_decode_budget_bytes = 100'000;
        try {
            load_working_image(dir + "/big.tif", lim);
            QFAIL("over-budget TIFF decoded");
        } catch (const Error& e) {
            const std::string msg = e.what();
            QVERIFY2(msg.find("big.tif") != std::string::npos && msg.find("budget") != std::string::npos, msg.c_str());
        }
    }

    // ---- bounded decode ------------------------------------------------------------------------

    void working_size_bounds() {
        int w = 0, h = 0;
        working_size(20000, 20000, DecodeLimits{}, w, h);
        QVERIFY(w <= kWorkingMaxSide && h <= kWorkingMaxSide);
        QVERIFY(int64_t(w) * h <= kWorkingMaxPixels);
        QVERIFY(int64_t(w) * h > kWorkingMaxPixels * 99 / 100);  // not needlessly small
        QCOMPARE(w, h);
        working_size(30000, 1000, DecodeLimits{}, w, h);
        QCOMPARE(w, 8192);
        QCOMPARE(h, 273);  // floor(1000 * 8192 / 30000)
        working_size(640, 480, DecodeLimits{}, w, h);
        QCOMPARE(w, 640);
        QCOMPARE(h, 480);
    }

    void png_area_average_equals_dense_reference() {
        const std::string dir = tmp_dir();
        std::mt19937 rng(7);
        const int W = 1001, H = 703;
        std::vector<unsigned char> all(size_t(W) * H * 4);
        for (auto& v : all) v = uint8_t(rng());
        PngSpec s;
        s.width = W;
        s.height = H;
        s.color_type = PNG_COLOR_TYPE_RGB_ALPHA;
        xs::test::write_png(dir + "/noise.png", s, [&](int y, unsigned char* r) { std::memcpy(r, &all[size_t(y) * W * 4], size_t(W) * 4); });
        const Image full = load_image(dir + "/noise.png");
        QCOMPARE(full.width, W);
        for (int side : {1001, 500, 333, 97, 1}) {
            DecodeLimits lim;
            lim.max_side = side;
            const WorkingImage wi = load_working_image(dir + "/noise.png", lim);
            int w, h;
            working_size(W, H, lim, w, h);
            QCOMPARE(wi.image.width, w);
            QCOMPARE(wi.image.height, h);
            const Image ref = reference_area(full, w, h);
            QVERIFY2(wi.image.rgb == ref.rgb, qPrintable(QString("side %1 differs from the dense area average").arg(side)));
        }
    }

    void jpeg_scaled_decode_is_close_to_area_average() {
        const std::string dir = tmp_dir();
        const int W = 2000, H = 1200;
        JpegSpec s;
        s.width = W;
        s.height = H;
        s.quality = 95;
        s.exif_orientation = 6;
        auto val = [](int x, int y, int c) {
            return uint8_t(127.5 + 120 * std::sin(x * 0.01 * (c + 1) + y * 0.013) * std::cos(y * 0.007 * (3 - c)));
        };
        xs::test::write_jpeg(dir + "/smooth.jpg", s, [&](int y, unsigned char* r) {
            for (int x = 0; x < W; ++x)
                for (int c = 0; c < 3; ++c) r[3 * x + c] = val(x, y, c);
        });
        const Image full = load_image(dir + "/smooth.jpg");  // displayed: 1200 x 2000
        QCOMPARE(full.width, H);
        QCOMPARE(full.height, W);
        DecodeLimits lim;
        lim.max_side = 450;  // DCT scale 2/8 (500 x 300) then area to 450 x 270 (displayed 270 x 450)
        const WorkingImage wi = load_working_image(dir + "/smooth.jpg", lim);
        QCOMPARE(wi.method, std::string("libjpeg 2/8 + area"));
        QCOMPARE(wi.image.width, 270);
        QCOMPARE(wi.image.height, 450);
        const Image ref = reference_area(full, 270, 450);
        double err = 0;
        int worst = 0;
        for (size_t k = 0; k < ref.rgb.size(); ++k) {
            const int d = std::abs(int(ref.rgb[k]) - int(wi.image.rgb[k]));
            err += d;
            worst = std::max(worst, d);
        }
        err /= double(ref.rgb.size()) * 255.0;
        // Normalised mean absolute error against the exact area average of the full decode: DCT
        // scaling is a different low-pass filter, so allow 1% of the range on average.
        QVERIFY2(err < 0.01, qPrintable(QString("normalised error %1, worst %2").arg(err).arg(worst)));
    }

    // ---- masks ---------------------------------------------------------------------------------

    void mask_up_and_down_match_dense_references() {
        std::mt19937 rng(11);
        const int sizes[][4] = {{37, 23, 100, 61}, {37, 23, 37, 23}, {1, 1, 7, 5}, {50, 40, 51, 41},
                                {64, 64, 1000, 999}, {120, 80, 377, 241}, {3, 200, 10, 613}};
        for (const auto& sz : sizes) {
            const int w = sz[0], h = sz[1], W = sz[2], H = sz[3];
            for (int trial = 0; trial < 3; ++trial) {
                const Mask m = random_mask(w, h, rng);
                const Mask up_ref = dense_up(m, W, H);
                const Rle up = mask_upsample_rle(m, W, H);
                QVERIFY2(up == rle_encode(up_ref), qPrintable(QString("up %1x%2 -> %3x%4").arg(w).arg(h).arg(W).arg(H)));
                QCOMPARE(rle_area(up), up_ref.area());
                QVERIFY(rle_bbox(up) == up_ref.bbox());
                // exact round trip
                QVERIFY(rle_downsample(up, w, h) == rle_encode(m));
                // down of an arbitrary full-resolution mask against its dense reference
                const Mask F = random_mask(W, H, rng);
                const Rle down = rle_downsample(rle_encode(F), w, h);
                QVERIFY2(down == rle_encode(dense_down(F, w, h)), qPrintable(QString("down %1x%2 -> %3x%4").arg(W).arg(H).arg(w).arg(h)));
            }
        }
        // Edge masks: empty, full.
        Mask empty(9, 7), full(9, 7);
        for (int y = 0; y < 7; ++y)
            for (int x = 0; x < 9; ++x) full.set(x, y, true);
        QVERIFY(mask_upsample_rle(empty, 30, 20) == rle_encode(Mask(30, 20)));
        QCOMPARE(rle_area(mask_upsample_rle(full, 30, 20)), int64_t(600));
        QVERIFY(rle_downsample(mask_upsample_rle(full, 30, 20), 9, 7) == rle_encode(full));
    }

    void mask_up_to_20000_squared_without_dense() {
        std::mt19937 rng(5);
        const int w = 1500, h = 1500, W = 20000, H = 20000;
        const Mask m = random_mask(w, h, rng);
        QElapsedTimer t;
        t.start();
        const Rle up = mask_upsample_rle(m, W, H);
        const qint64 up_ms = t.elapsed();
        // Area and bbox from the working mask and the box sizes of the mapping.
        auto span = [](int j, int full, int work) { return working_sample(j + 1, full, work) - working_sample(j, full, work); };
        int64_t area = 0;
        int x0 = W, y0 = H, x1 = -1, y1 = -1;
        for (int i = 0; i < h; ++i)
            for (int j = 0; j < w; ++j)
                if (m.at(j, i)) {
                    area += int64_t(span(j, W, w)) * span(i, H, h);
                    x0 = std::min(x0, working_sample(j, W, w));
                    y0 = std::min(y0, working_sample(i, H, h));
                    x1 = std::max(x1, working_sample(j + 1, W, w));
                    y1 = std::max(y1, working_sample(i + 1, H, h));
                }
        QCOMPARE(rle_area(up), area);
        QVERIFY(rle_bbox(up) == (BBox{x0, y0, x1 - x0, y1 - y0}));
        t.restart();
        QVERIFY(rle_downsample(up, w, h) == rle_encode(m));
        qInfo("upsample 1500^2 -> 20000^2: %lld ms, %zu counts; downsample back: %lld ms", up_ms, up.counts.size(),
              static_cast<long long>(t.elapsed()));
    }
};

QTEST_APPLESS_MAIN(TestImages)
#include "test_images.moc"
