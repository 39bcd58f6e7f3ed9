// The real main window (offscreen) opens a generated 20000 x 20000 JPEG as a bounded preview: the
// status bar says "preview W x H of 20000 x 20000", a click with the classic engine is accepted at
// the working resolution, and the project file and the COCO export hold the mask at full resolution,
// exactly the upsampled working mask; an instance that was already in the project (full resolution,
// not aligned to the working grid) comes out byte for byte as it went in. A second image whose file
// changed since it was annotated is reported in the message bar, naming it.
#include <QApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QStatusBar>
#include <QtTest>

#include "core/io/image_decode.h"
#include "core/io/project_file.h"
#include "core/mask/mask_scale.h"
#include "tests/images/image_writers.h"
#include "tests/ui/gui_test_support.h"
#include "ui/document.h"
#include "ui/image_canvas.h"
#include "ui/main_window.h"
#include "ui/widgets.h"

using namespace xs;

namespace {

constexpr int kSide = 20000;
constexpr int kEngineTimeoutMs = 120000;
// The disc the click should find, in full-resolution pixels.
constexpr int kCx = 12000, kCy = 8000, kR = 3000;

}  // namespace

class TestImagesGui : public QObject {
    Q_OBJECT
    QString dir_;
    std::unique_ptr<MainWindow> window_;
    Rle imported_;  // the pre-existing instance, full resolution

private Q_SLOTS:
    void initTestCase() {
        use_private_settings("test_images_gui");
        // Smaller working bounds than the defaults keep this test quick on two cores; the bounded
        // decode at the default bounds is measured by test_images_huge.
        DecodeLimits lim;
        lim.max_side = 4096;
        lim.max_pixels = 16'000'000;
        set_default_decode_limits(lim);

        dir_ = qEnvironmentVariable("XS_TEST_TMP", QDir::tempPath() + "/xs-test-images-gui") + "/photos";
        QDir(dir_).removeRecursively();
        QVERIFY(QDir().mkpath(dir_));
        QElapsedTimer t;
        t.start();
        test::JpegSpec js;
        js.width = js.height = kSide;
        js.quality = 90;
        test::write_jpeg((dir_ + "/a-huge.jpg").toStdString(), js, [](int y, unsigned char* r) {
            for (int x = 0; x < kSide; ++x) {
                const double dx = x + 0.5 - kCx, dy = y + 0.5 - kCy;
                const bool in = dx * dx + dy * dy <= double(kR) * kR;
                r[3 * x] = in ? 220 : 40;
                r[3 * x + 1] = in ? 60 : 90;
                r[3 * x + 2] = in ? 50 : 160;
            }
        });
        qInfo("generated a %dx%d JPEG in %lld ms", kSide, kSide, t.elapsed());
        test::JpegSpec small;
        small.width = 64;
        small.height = 48;
        test::write_jpeg((dir_ + "/b-small.jpg").toStdString(), small, [](int y, unsigned char* r) {
            for (int x = 0; x < 64; ++x) r[3 * x] = r[3 * x + 1] = r[3 * x + 2] = uint8_t(x + y);
        });

        // The project already has an instance on the huge image (a full-resolution rectangle whose
        // edges fall inside working pixels, so mapping it down and up again would change it), and
        // a fingerprint for the small image that does not match its file.
        Project p;
        p.image_root = ".";
        const int cat = p.add_category("imported").id;
        ImageRecord& huge = p.add_image("a-huge.jpg", kSide, kSide);
        // built column by column as RLE: x in [1003, 2999), y in [501, 1777)
        Rle r;
        r.width = r.height = kSide;
        {
            uint64_t zeros = uint64_t(1003) * kSide + 501;
            for (int x = 1003; x < 2999; ++x) {
                r.counts.push_back(uint32_t(zeros));
                r.counts.push_back(1777 - 501);
                zeros = uint64_t(kSide) - 1777 + 501;
            }
            r.counts.push_back(uint32_t(uint64_t(kSide) - 1777 + uint64_t(kSide - 2999) * kSide));
        }
        QCOMPARE(rle_area(r), int64_t(2999 - 1003) * (1777 - 501));
        imported_ = r;
        p.add_instance(huge, cat, r, 1.0f, "import:coco");
        ImageRecord& sm = p.add_image("b-small.jpg", 64, 48);
        sm.file_size = 5;
        sm.file_hash = "fnv1a64:0000000000000000";
        save_project(p, (dir_ + "/xsam-project.json").toStdString());
    }

    void cleanupTestCase() { window_.reset(); }

    void huge_image_click_accept_export() {
        window_ = std::make_unique<MainWindow>();
        MainWindow* w = window_.get();
        w->resize(1400, 860);
        w->show();
        QApplication::setActiveWindow(w);
        w->set_engine("classic");
        QSignalSpy status(w->statusBar(), &QStatusBar::messageChanged);
        QElapsedTimer t;
        t.start();
        QVERIFY(w->open_folder(dir_));
        QVERIFY(QTest::qWaitFor([w] { return !w->scanning() && w->image_ready() && w->engine_ready(); }, kEngineTimeoutMs));
        qInfo("opened and prepared in %lld ms", t.elapsed());
        int ww = 0, wh = 0;
        working_size(kSide, kSide, default_decode_limits(), ww, wh);
        QCOMPARE(ww, 4000);  // 16 Mpx bound: 4000 x 4000
        const QString expected = QString("preview %1 x %2 of %3 x %3").arg(ww).arg(wh).arg(kSide);
        bool seen = false;
        for (const QList<QVariant>& args : status) seen = seen || args.value(0).toString().contains(expected);
        QVERIFY2(seen, qPrintable("no status message with \"" + expected + "\""));

        const ImageRecord* rec = w->current_record();
        QVERIFY(rec);
        QCOMPARE(rec->file_name, std::string("a-huge.jpg"));
        QCOMPARE(rec->width, ww);  // held at working resolution while open
        QCOMPARE(rec->instances.size(), size_t(1));
        QCOMPARE(rec->instances[0].mask.width, ww);
        int fw = 0, fh = 0;
        QVERIFY(w->document()->working_resolution(rec->file_name, &fw, &fh, nullptr, nullptr));
        QCOMPARE(fw, kSide);

        // Click the disc (working coordinates), accept.
        ImageCanvas* c = w->canvas();
        const double s = double(ww) / kSide;
        QTest::mouseClick(c, Qt::LeftButton, {}, to_widget(c, kCx * s, kCy * s));
        QTRY_VERIFY_WITH_TIMEOUT(w->preview_count() == 1 && !w->request_pending(), kEngineTimeoutMs);
        QTest::keyClick(c, Qt::Key_Return);
        rec = w->current_record();
        QCOMPARE(rec->instances.size(), size_t(2));
        const Rle working = rec->instances[1].mask;
        QCOMPARE(working.width, ww);
        const Rle expected_full = rle_upsample(working, kSide, kSide);
        const BBox wb = rle_bbox(working);
        qInfo("accepted mask: working bbox [%d %d %d %d], area %lld", wb.x, wb.y, wb.w, wb.h,
              static_cast<long long>(rle_area(working)));
        // The classic engine found the disc: bbox within a few working pixels of the disc's.
        QVERIFY2(std::abs(wb.x - (kCx - kR) * s) < 6 && std::abs(wb.w - 2 * kR * s) < 12,
                 qPrintable(QString("bbox x %1 w %2").arg(wb.x).arg(wb.w)));

        // COCO export: full-resolution sizes and the exact mapping.
        const QString out = dir_ + "/../export.json";
        QString summary;
        QVERIFY2(w->export_coco(out, false, &summary), qPrintable(summary));
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject coco = QJsonDocument::fromJson(f.readAll()).object();
        int64_t huge_id = -1;
        for (const QJsonValue& v : coco["images"].toArray()) {
            const QJsonObject im = v.toObject();
            if (im["file_name"].toString() == "a-huge.jpg") {
                huge_id = im["id"].toInteger();
                QCOMPARE(im["width"].toInt(), kSide);
                QCOMPARE(im["height"].toInt(), kSide);
            }
        }
        QVERIFY(huge_id > 0);
        int found = 0;
        for (const QJsonValue& v : coco["annotations"].toArray()) {
            const QJsonObject a = v.toObject();
            if (a["image_id"].toInteger() != huge_id) continue;
            const QJsonObject seg = a["segmentation"].toObject();
            const QJsonArray size = seg["size"].toArray();
            QCOMPARE(size[0].toInt(), kSide);
            QCOMPARE(size[1].toInt(), kSide);
            const Rle got = rle_from_string(seg["counts"].toString().toStdString(), kSide, kSide);
            const QJsonArray bb = a["bbox"].toArray();
            if (a["id"].toInteger() == rec->instances[1].id) {
                ++found;
                QVERIFY(got == expected_full);
                const BBox eb = rle_bbox(expected_full);
                QCOMPARE(int(bb[0].toDouble()), eb.x);
                QCOMPARE(int(bb[1].toDouble()), eb.y);
                QCOMPARE(int(bb[2].toDouble()), eb.w);
                QCOMPARE(int(bb[3].toDouble()), eb.h);
                QCOMPARE(qint64(a["area"].toDouble()), qint64(rle_area(expected_full)));
                // and it is the disc at full resolution (within a few working pixels' size)
                QVERIFY(std::abs(eb.x - (kCx - kR)) < 6 / s && std::abs(eb.w - 2 * kR) < 12 / s);
            } else {
                ++found;
                QVERIFY2(got == imported_, "the imported instance changed");
                QCOMPARE(qint64(a["area"].toDouble()), qint64(rle_area(imported_)));
            }
        }
        QCOMPARE(found, 2);

        // The project file: full resolution, the same masks.
        w->document()->flush();
        const Project saved = load_project((dir_ + "/xsam-project.json").toStdString());
        const ImageRecord* srec = nullptr;
        for (const ImageRecord& r : saved.images)
            if (r.file_name == "a-huge.jpg") srec = &r;
        QVERIFY(srec);
        QCOMPARE(srec->width, kSide);
        QCOMPARE(srec->instances.size(), size_t(2));
        QVERIFY(srec->instances[0].mask == imported_);
        QVERIFY(srec->instances[1].mask == expected_full);
        QVERIFY(srec->file_size > 0);  // fingerprinted when first seen

        // Editing the imported instance maps the edit up; undoing it gives back the original exactly.
        Document* doc = w->document();
        std::vector<Instance> list = rec->instances;
        Mask m = rle_decode(list[0].mask);
        for (int y = 0; y < 50; ++y)
            for (int x = 0; x < 50; ++x) m.set(x, y, true);
        list[0].mask = rle_encode(m);
        doc->edit_instances(rec->file_name, list, "test brush");
        const Rle edited_full = rle_upsample(list[0].mask, kSide, kSide);
        auto huge_of = [](const Project& p) {
            for (const ImageRecord& r : p.images)
                if (r.file_name == "a-huge.jpg") return r;
            return ImageRecord();
        };
        QVERIFY(huge_of(doc->full_project()).instances[0].mask == edited_full);
        doc->undo_stack()->undo();
        QVERIFY(huge_of(doc->full_project()).instances[0].mask == imported_);
        doc->undo_stack()->redo();
        QVERIFY(huge_of(doc->full_project()).instances[0].mask == edited_full);
        doc->undo_stack()->undo();
        doc->flush();
        const Project again = load_project((dir_ + "/xsam-project.json").toStdString());
        QVERIFY(huge_of(again).instances[0].mask == imported_);
    }

    void changed_image_file_is_reported() {
        window_ = std::make_unique<MainWindow>();  // its own window: the tests run alone and in any order
        MainWindow* w = window_.get();
        w->show();
        w->set_engine("classic");
        QVERIFY(w->open_folder(dir_));
        QVERIFY(QTest::qWaitFor([w] { return !w->scanning() && w->image_ready(); }, kEngineTimeoutMs));
        QVERIFY(!w->notice_bar()->isVisible() || !w->notice_bar()->text().contains("changed on disk"));
        w->show_image(1);
        QTRY_VERIFY_WITH_TIMEOUT(w->image_ready() && w->current_record() && w->current_record()->file_name == "b-small.jpg", 20000);
        QTRY_VERIFY_WITH_TIMEOUT(w->notice_bar()->text().contains("b-small.jpg changed on disk"), 5000);
        qInfo("message bar: %s", qPrintable(w->notice_bar()->text()));
    }
};

QTEST_MAIN(TestImagesGui)
#include "test_images_gui.moc"
