// The formats through their one interface: round trips (exact where the format can carry the data,
// otherwise exactly as lossy as its export report says), edge cases, bad input, cancel.
#include <QtTest/QtTest>

#include <fstream>

#include "core/formats/output_folder.h"
#include "core/io/file_io.h"
#include "core/mask/polygon.h"
#include "tests/formats/fixture.h"
#include "tests/harness/error_message.h"

using namespace xs;
using namespace xs::test;

namespace {

void write_text(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

// Nothing of an export attempt is left next to `out` (no folder, no staging folder, no temporary file).
bool nothing_written_at(const std::string& out) {
    const fs::path dir = fs::path(out).parent_path();
    const std::string base = fs::path(out).filename().string();
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().filename().string().rfind(base, 0) == 0) return false;
    }
    return true;
}

}  // namespace

class TestFormats : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void registryListsEveryFormatOnce() {
        std::set<std::string> names;
        for (const Format* f : all_formats()) {
            QVERIFY(names.insert(f->info().name).second);
            QVERIFY(!f->info().description.empty());
            QCOMPARE(&find_format(f->info().name), f);
        }
        const std::string e = expect_error([] { find_format("pascal"); });
        QVERIFY2(e.find("unknown format \"pascal\" (known: coco, yolo-seg") == 0, e.c_str());
    }

    void settingsAreChecked() {
        const Format& f = find_format("yolo-seg");
        std::string e = expect_error([&] { checked_settings(f.info().export_options, {{"polygons", "1"}}, "yolo-seg"); });
        QVERIFY2(e.find("format yolo-seg has no option \"polygons\"") == 0, e.c_str());
        e = expect_error([&] { checked_settings(f.info().export_options, {{"val-fraction", "a lot"}}, "yolo-seg"); });
        QVERIFY2(e.find("\"a lot\" is not a number") != std::string::npos, e.c_str());
        QCOMPARE(checked_settings(f.info().export_options, {}, "yolo-seg").at("val-fraction"), std::string("0"));
    }

    // ---- YOLO segmentation ----

    void yoloRoundTripOnStampsBench() {
        const Project p = bench_project();
        const std::string out = scratch("yolo-bench") + "/out";
        const ExportReport rep = export_with(find_format("yolo-seg"), p, out, {{"val-fraction", "0.25"}});
        QCOMPARE(rep.instances, int64_t(57));
        QVERIFY(rep.lost_total.at("instances with holes filled") > 0);  // stamps occlude each other
        QVERIFY(rep.min_iou > 0.9 && rep.min_iou < 1.0);
        const Project back = import_with(find_format("yolo-seg"), out, p.image_root);
        check_round_trip(p, back, rep);
    }

    void yoloEdgeCases() {
        const std::string dir = scratch("yolo-edge");
        const Project p = edge_project(dir + "/images");
        const ExportReport rep = export_with(find_format("yolo-seg"), p, dir + "/out");
        // Only the ring loses something: its hole (with the dot inside it) is filled.
        QCOMPARE(int(rep.losses.size()), 1);
        QCOMPARE(rep.losses[0].counts.at("instances with holes filled"), int64_t(1));
        QCOMPARE(rep.losses[0].pixels_changed, int64_t(16));
        QCOMPARE(read_whole_file(dir + "/out/labels/empty.txt", "labels"), std::string());
        check_round_trip(p, import_with(find_format("yolo-seg"), dir + "/out", dir + "/images"), rep);
        // The two-part instance is one line: one polygon with a bridge that adds no pixel.
        const std::string labels = read_whole_file(dir + "/out/labels/sub/a.txt", "labels");
        QCOMPARE(int(std::count(labels.begin(), labels.end(), '\n')), 9);
    }

    void yoloReadsUltralyticsLayouts() {
        // A dataset as Ultralytics users have it: images/train and labels/train folders, names as a
        // list, a detection box line, and a comment.
        const std::string dir = scratch("yolo-ultra");
        fs::create_directories(dir + "/ds/images/train");
        cv::imwrite(dir + "/ds/images/train/x.png", cv::Mat(20, 40, CV_8UC3, cv::Scalar(1, 2, 3)));
        write_text(dir + "/ds/data.yaml", "path: .  # dataset root\ntrain: images/train\nval: images/train\nnames: ['cat', \"dog, big\"]\n");
        write_text(dir + "/ds/labels/train/x.txt", "1 0.5 0.5 0.5 0.5\n0 0 0 0.25 0 0.25 0.5\n");
        const Project q = import_with(find_format("yolo-seg"), dir + "/ds", dir + "/ds/images");
        QCOMPARE(int(q.images.size()), 1);
        QCOMPARE(q.images[0].file_name, std::string("train/x.png"));
        QCOMPARE(int(q.images[0].instances.size()), 2);
        const Instance& box = q.images[0].instances[0];
        QCOMPARE(const_cast<Project&>(q).find_category(box.category_id)->name, std::string("dog, big"));
        QCOMPARE(rle_area(box.mask), int64_t(20 * 10));  // x 10..30, y 5..15
        QCOMPARE(rle_bbox(box.mask), (BBox{10, 5, 20, 10}));
    }

    void yoloBadFilesAreRefusedByName_data() {
        QTest::addColumn<QString>("yaml");
        QTest::addColumn<QString>("labels");
        QTest::addColumn<QString>("message");
        const QString ok_yaml = "train: images\nnames:\n  0: cat\n";
        QTest::newRow("class out of range") << ok_yaml << "3 0.1 0.1 0.2 0.1 0.2 0.2\n" << "labels/x.txt:1: class \"3\" is not one of 0..0";
        QTest::newRow("odd coordinates") << ok_yaml << "0 0.1 0.1 0.2\n" << "labels/x.txt:1: 3 coordinates";
        QTest::newRow("not normalised") << ok_yaml << "\n0 0.1 0.1 20 0.1 0.2 0.2\n" << "labels/x.txt:2: value 3 = 20 is not normalised";
        QTest::newRow("not a number") << ok_yaml << "0 0.1 nan 0.2 0.1 0.2 0.2\n" << "labels/x.txt:1: value 2 \"nan\" is not a number";
        QTest::newRow("no names") << "train: images\n" << "" << "data.yaml: names: missing";
        QTest::newRow("names with a gap") << "train: images\nnames:\n  0: a\n  2: b\n" << "" << "data.yaml: names: class index \"2\"";
        QTest::newRow("nc disagrees") << "train: images\nnc: 3\nnames: [a]\n" << "" << "data.yaml: nc: 3 classes, but names lists 1";
        QTest::newRow("missing split folder") << "train: pictures\nnames: [a]\n" << "" << "data.yaml: train: \"pictures\" is neither";
        QTest::newRow("bad indentation") << "  train: images\nnames: [a]\n" << "" << "data.yaml:1: indented line outside a key";
    }

    void yoloBadFilesAreRefusedByName() {
        QFETCH(QString, yaml);
        QFETCH(QString, labels);
        QFETCH(QString, message);
        const std::string dir = scratch("yolo-bad");
        fs::create_directories(dir + "/images");
        cv::imwrite(dir + "/images/x.png", cv::Mat(10, 10, CV_8UC3, cv::Scalar(0, 0, 0)));
        write_text(dir + "/data.yaml", yaml.toStdString());
        write_text(dir + "/labels/x.txt", labels.toStdString());
        Project p = bench_project();
        const std::string before = p.images[0].file_name;
        const int64_t instances = p.instance_count();
        ImportOptions io;
        io.images_dir = dir + "/images";
        ImportReport rep;
        const std::string e = expect_error([&] { find_format("yolo-seg").import_into(p, dir, io, rep); });
        QVERIFY2(e.find(dir + "/" + message.toStdString()) == 0, e.c_str());
        QCOMPARE(p.instance_count(), instances);  // unchanged
        QCOMPARE(int(p.images.size()), 40);
    }

    // ---- every folder format ----

    void cancelledExportWritesNothing() {
        const Project p = bench_project();
        for (const Format* f : all_formats()) {
            const std::string out = scratch("cancel-" + f->info().name) + "/out" + (f->info().exports_folder ? "" : ".json");
            ExportOptions eo;
            eo.images_dir = p.image_root;
            int calls = 0, wrong_totals = 0;
            eo.progress = [&](int done, int total) -> bool {
                ++calls;
                wrong_totals += total != 40;
                return done < 3;
            };
            ExportReport rep;
            const std::string e = expect_error([&] { f->export_project(p, out, eo, rep); });
            QVERIFY2(e == "cancelled", (f->info().name + ": " + e).c_str());
            QCOMPARE(calls, 4);
            QCOMPARE(wrong_totals, 0);
            QVERIFY2(nothing_written_at(out), f->info().name.c_str());
        }
    }

    void folderExportsReplaceOnlyTheirOwnKind() {
        const Project p = bench_project();
        const std::string dir = scratch("replace");
        for (const Format* f : all_formats()) {
            if (!f->info().exports_folder) continue;
            const std::string out = dir + "/" + f->info().name;
            export_with(*f, p, out);
            export_with(*f, p, out);  // an earlier export of the same format is replaced
            QVERIFY(fs::exists(out + "/" + OutputFolder::kExportMarker));
            for (const Format* other : all_formats()) {
                if (other == f || !other->info().exports_folder) continue;
                const std::string e = expect_error([&] { export_with(*other, p, out); });
                QVERIFY2(e.find("the folder is not empty and holds no earlier " + other->info().name + " export") !=
                             std::string::npos, e.c_str());
            }
        }
        write_text(dir + "/other/notes.txt", "mine");
        const std::string e = expect_error([&] { export_with(find_format("yolo-seg"), p, dir + "/other"); });
        QVERIFY2(e.find("nothing was written") != std::string::npos, e.c_str());
        QCOMPARE(read_whole_file(dir + "/other/notes.txt", "notes"), std::string("mine"));
    }

    void stemsMustBeUnique() {
        const std::string dir = scratch("stems");
        Project p;
        p.image_root = dir;
        p.add_image("a/x.jpg", 4, 4);
        p.add_image("a/x.png", 4, 4);
        const std::string e = expect_error([&] { export_with(find_format("yolo-seg"), p, dir + "/out"); });
        QVERIFY2(e.find("\"a/x.jpg\" and \"a/x.png\" would share \"a/x\"") != std::string::npos, e.c_str());
        QVERIFY(nothing_written_at(dir + "/out"));
    }
};

QTEST_GUILESS_MAIN(TestFormats)
#include "test_formats.moc"
