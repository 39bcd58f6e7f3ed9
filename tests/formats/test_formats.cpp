// The formats through their one interface: round trips (exact where the format can carry the data,
// otherwise exactly as lossy as its export report says), edge cases, bad input, cancel.
#include <QtTest/QtTest>

#include <fstream>

#include <nlohmann/json.hpp>

#include "core/formats/output_folder.h"
#include "core/formats/png_codec.h"
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

    // A project whose categories were all deleted (images, no category, no instance) exports in every
    // format, and the export imports back without complaint (the 30-minute monkey, seed 20261204: a
    // yolo-seg export after the last category was deleted wrote "names:" with nothing under it, which
    // its own import refused as "names: missing").
    void everyFormatExportsAndImportsAProjectWithoutCategories() {
        Project p = bench_project();
        for (ImageRecord& img : p.images) img.instances.clear();
        while (!p.categories.empty()) p.remove_category(p.categories.front().id);
        QCOMPARE(int(p.categories.size()), 0);
        for (const Format* f : all_formats()) {
            const std::string name = f->info().name;
            const std::string dir = scratch("no-categories-" + name);
            const std::string out = dir + (f->info().exports_folder ? "/out" : "/out.json");
            const ExportReport rep = export_with(*f, p, out);
            QCOMPARE(rep.instances, int64_t(0));
            ImportReport back;
            try {
                const Project q = import_with(*f, out, p.image_root, &back);
                QCOMPARE(int(q.categories.size()), 0);
                QCOMPARE(q.instance_count(), int64_t(0));
            } catch (const std::exception& e) {
                QFAIL(qPrintable(QString::fromStdString(name + ": its own export does not import: " + e.what())));
            }
        }
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
        QCOMPARE(int(std::count(labels.begin(), labels.end(), '\n')), 10);
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

    // ---- every format that writes whole instances ----

    void roundTripOnStampsBench_data() {
        QTest::addColumn<QString>("format");
        QTest::addColumn<bool>("exact");  // masks kept: stamps-bench has holes (occlusions) but no overlaps
        QTest::newRow("coco") << "coco" << true;
        QTest::newRow("yolo-seg") << "yolo-seg" << false;
        QTest::newRow("png-masks") << "png-masks" << true;
        QTest::newRow("voc") << "voc" << true;
        QTest::newRow("labelme") << "labelme" << false;
    }

    void roundTripOnStampsBench() {
        QFETCH(QString, format);
        QFETCH(bool, exact);
        const Format& f = find_format(format.toStdString());
        const Project p = bench_project();
        const std::string out = scratch("bench-" + f.info().name) + "/out" + (f.info().exports_folder ? "" : ".json");
        const ExportReport rep = export_with(f, p, out);
        QCOMPARE(rep.images, 40);
        QCOMPARE(rep.instances, int64_t(57));
        // Every stamps-bench annotation carries a custom attribute ("stamp": its object's name): COCO
        // keeps it, the others report it lost on every instance, and an exact format nothing else.
        const std::string attributes_lost = "instances with attributes";
        QCOMPARE(rep.lost_total.count(attributes_lost) ? rep.lost_total.at(attributes_lost) : 0,
                 int64_t(format == "coco" ? 0 : 57));
        bool only_attributes = true;
        for (const ImageLoss& l : rep.losses)
            only_attributes = only_attributes && l.pixels_changed == 0 && l.counts.size() == 1 && l.counts.count(attributes_lost);
        QCOMPARE(only_attributes, exact);
        check_round_trip(p, import_with(f, out, p.image_root), rep);
    }

    void roundTripOnEdgeCases_data() {
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("losses");  // what the export must report for sub/a.png
        QTest::newRow("coco") << "coco" << "";
        QTest::newRow("yolo-seg") << "yolo-seg" << "1 instances with holes filled";
        QTest::newRow("png-masks") << "png-masks"
                                   << "1 instances hidden entirely by later ones, 1 instances partly hidden by later ones";
        QTest::newRow("voc") << "voc" << "1 instances hidden entirely by later ones, 1 instances partly hidden by later ones";
        QTest::newRow("labelme") << "labelme" << "1 instances with holes filled";
    }

    void roundTripOnEdgeCases() {
        QFETCH(QString, format);
        QFETCH(QString, losses);
        const Format& f = find_format(format.toStdString());
        const std::string dir = scratch("edge-" + f.info().name);
        const Project p = edge_project(dir + "/images");
        const std::string out = dir + "/out" + (f.info().exports_folder ? "" : ".json");
        const ExportReport rep = export_with(f, p, out);
        std::string reported;
        if (const ImageLoss* l = loss_of(rep, "sub/a.png")) {
            for (const auto& [what, n] : l->counts) reported += (reported.empty() ? "" : ", ") + std::to_string(n) + " " + what;
        }
        QCOMPARE(QString::fromStdString(reported), losses);
        QVERIFY(!loss_of(rep, "empty.png"));
        check_round_trip(p, import_with(f, out, dir + "/images"), rep);
    }

    // ---- PNG masks and VOC ----

    void rasterLayouts() {
        const std::string dir = scratch("raster-layout");
        const Project p = edge_project(dir + "/images");
        export_with(find_format("png-masks"), p, dir + "/png");
        const PngValues ids = png_decode_values(read_whole_file(dir + "/png/instances/sub/a.png", "png"), "ids");
        const PngValues cls = png_decode_values(read_whole_file(dir + "/png/semantic/sub/a.png", "png"), "cls");
        QCOMPARE(int(ids.kind), int(PngValues::Kind::Grey));
        QCOMPARE(int(cls.kind), int(PngValues::Kind::Indexed));
        QCOMPARE(ids.values[size_t(15) * 24 + 23], uint32_t(8));  // the corner pixel: the 8th instance
        QCOMPARE(cls.values[size_t(15) * 24 + 23], uint32_t(2));  // class "dot" (second category)
        QVERIFY(cls.palette[2] == p.categories[1].color);
        QVERIFY(read_whole_file(dir + "/png/classes.json", "c").find("\"name\": \"dot\"") != std::string::npos);
        export_with(find_format("voc"), p, dir + "/voc", {{"val-fraction", "0.5"}});
        const PngValues obj = png_decode_values(read_whole_file(dir + "/voc/SegmentationObject/sub/a.png", "png"), "obj");
        QCOMPARE(int(obj.kind), int(PngValues::Kind::Indexed));
        QVERIFY(obj.palette[1] == (Rgb{128, 0, 0}));  // the VOC colour map
        QCOMPARE(read_whole_file(dir + "/voc/labelmap.txt", "l"), std::string("# label:color_rgb:parts:actions\nbackground:0,0,0::\n"
                 "shape:230,25,75::\ndot:60,180,75::\n"));
        QCOMPARE(read_whole_file(dir + "/voc/ImageSets/Segmentation/trainval.txt", "l"), std::string("sub/a\nempty\n"));
        QVERIFY(fs::is_symlink(dir + "/voc/JPEGImages/sub/a.png"));
    }

    void vocWithoutLabelmapAndWithVoid() {
        // As VOC 2012 ships it: no labelmap.txt, 255 on object borders, no ImageSets.
        const std::string dir = scratch("voc-plain");
        fs::create_directories(dir + "/images");
        cv::imwrite(dir + "/images/2007_000032.jpg", cv::Mat(6, 8, CV_8UC3, cv::Scalar(9, 9, 9)));
        std::vector<uint8_t> obj(48, 0), cls(48, 0);
        for (int y = 1; y < 4; ++y)
            for (int x = 1; x < 4; ++x) {
                obj[size_t(y) * 8 + x] = 1;
                cls[size_t(y) * 8 + x] = 15;  // person
            }
        obj[0] = cls[0] = 255;  // void
        std::vector<Rgb> pal(256);
        write_text(dir + "/voc/SegmentationObject/2007_000032.png", png_encode_indexed(8, 6, obj, pal));
        write_text(dir + "/voc/SegmentationClass/2007_000032.png", png_encode_indexed(8, 6, cls, pal));
        ImportReport rep;
        const Project q = import_with(find_format("voc"), dir + "/voc", dir + "/images", &rep);
        QCOMPARE(int(q.images[0].instances.size()), 1);
        QCOMPARE(const_cast<Project&>(q).find_category(q.images[0].instances[0].category_id)->name, std::string("person"));
        QCOMPARE(rle_area(q.images[0].instances[0].mask), int64_t(9));
        QVERIFY(rep.warnings[0].find("no labelmap.txt") != std::string::npos);
    }

    void rasterBadFilesAreRefusedByName_data() {
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("damage");
        QTest::addColumn<QString>("message");
        QTest::newRow("png: class missing from the table") << "png-masks" << "classes" << "semantic/sub/a.png: class 2 is not in classes.json";
        QTest::newRow("png: truncated") << "png-masks" << "truncate" << "instances/sub/a.png: PNG file is truncated or corrupt";
        QTest::newRow("png: semantic missing") << "png-masks" << "no-semantic" << "semantic/sub/a.png: cannot open";
        QTest::newRow("png: background under an instance") << "png-masks" << "background" << "semantic/sub/a.png: background at (23, 15) under instance 8";
        QTest::newRow("png: sizes differ") << "png-masks" << "size" << "semantic/sub/a.png: 4x4, but";
        QTest::newRow("png: image missing") << "png-masks" << "no-image" << "instances/empty.png: no image \"empty.*\"";
        QTest::newRow("png: bad class table") << "png-masks" << "bad-json" << "classes.json: [1].index: must be 0..255";
        QTest::newRow("voc: labelmap colour") << "voc" << "labelmap" << "labelmap.txt:3: colour \"1,2\" is not r,g,b";
        QTest::newRow("voc: class beyond labelmap") << "voc" << "classes" << "SegmentationClass/sub/a.png: class 2 is not in labelmap.txt";
        QTest::newRow("voc: two classes in one object") << "voc" << "mixed" << "SegmentationClass/sub/a.png: instance 1 of";
    }

    void rasterBadFilesAreRefusedByName() {
        QFETCH(QString, format);
        QFETCH(QString, damage);
        QFETCH(QString, message);
        const Format& f = find_format(format.toStdString());
        const std::string dir = scratch("raster-bad");
        const Project p = edge_project(dir + "/images");
        const std::string out = dir + "/out";
        export_with(f, p, out);
        const bool voc = format == "voc";
        const std::string cls_png = out + (voc ? "/SegmentationClass/sub/a.png" : "/semantic/sub/a.png");
        const std::string ids_png = out + (voc ? "/SegmentationObject/sub/a.png" : "/instances/sub/a.png");
        PngValues cls = png_decode_values(read_whole_file(cls_png, "png"), "cls");
        std::vector<uint8_t> cls8(cls.values.begin(), cls.values.end());
        const std::string d = damage.toStdString();
        if (d == "classes" && voc) write_text(out + "/labelmap.txt", "background:0,0,0::\nshape:1,2,3::\n");
        if (d == "classes" && !voc) write_text(out + "/classes.json", "[{\"index\": 1, \"name\": \"shape\"}]");
        if (d == "bad-json") write_text(out + "/classes.json", "[{\"index\": 0, \"name\": \"bg\"}, {\"index\": 300, \"name\": \"x\"}]");
        if (d == "labelmap") write_text(out + "/labelmap.txt", "# x\nbackground:0,0,0::\nshape:1,2::\n");
        if (d == "truncate") write_text(ids_png, read_whole_file(ids_png, "png").substr(0, 60));
        if (d == "no-semantic") fs::remove(cls_png);
        if (d == "no-image") fs::remove(dir + "/images/empty.png");
        if (d == "background" || d == "mixed") {
            if (d == "background") cls8[size_t(15) * 24 + 23] = 0;  // the corner dot
            else cls8[size_t(1) * 24 + 1] = 2;                      // one pixel of the ring
            write_text(cls_png, png_encode_indexed(24, 16, cls8, cls.palette));
        }
        if (d == "size") write_text(cls_png, png_encode_indexed(4, 4, std::vector<uint8_t>(16, 1), cls.palette));
        Project target = bench_project();
        const int64_t before = target.instance_count();
        ImportOptions io;
        io.images_dir = dir + "/images";
        ImportReport rep;
        const std::string e = expect_error([&] { f.import_into(target, out, io, rep); });
        QVERIFY2(e.find(message.toStdString()) != std::string::npos && e.find(out) != std::string::npos, e.c_str());
        QCOMPARE(target.instance_count(), before);
        QCOMPARE(int(target.categories.size()), 20);
    }

    void tooManyClassesForEightBitsIsRefused() {
        const std::string dir = scratch("classes");
        Project p;
        p.image_root = dir;
        for (int i = 0; i < 256; ++i) p.add_category("c" + std::to_string(i));
        std::string e = expect_error([&] { export_with(find_format("png-masks"), p, dir + "/png"); });
        QVERIFY2(e.find("at most 255 classes; the project has 256 (nothing was written)") != std::string::npos, e.c_str());
        e = expect_error([&] { export_with(find_format("voc"), p, dir + "/voc"); });
        QVERIFY2(e.find("at most 254 classes") != std::string::npos, e.c_str());
        QVERIFY(nothing_written_at(dir + "/png") && nothing_written_at(dir + "/voc"));
    }

    // ---- labelme ----

    void labelmeLayoutAndForeignShapes() {
        const std::string dir = scratch("labelme");
        const Project p = edge_project(dir + "/images");
        export_with(find_format("labelme"), p, dir + "/out");
        const nlohmann::json doc = nlohmann::json::parse(read_whole_file(dir + "/out/sub/a.json", "labelme"));
        QCOMPARE(doc["imagePath"].get<std::string>(), std::string("../../images/sub/a.png"));
        QCOMPARE(doc["imageWidth"].get<int>(), 24);
        // The two-part instance is two polygons sharing a group_id; single parts have none.
        int grouped = 0;
        for (const auto& s : doc["shapes"]) grouped += s["group_id"].is_null() ? 0 : 1;
        QCOMPARE(grouped, 4);  // the two-part instance and the diagonal pair
        // labelme files as labelme writes them: next to the image, a rectangle, a point (left out),
        // a mask shape (a 2x2 PNG at its box), shapes grouped by group_id.
        std::vector<uint8_t> px = {1, 0, 1, 1};
        std::vector<Rgb> pal = {Rgb{0, 0, 0}, Rgb{255, 255, 255}};
        const std::string png = png_encode_indexed(2, 2, px, pal);
        static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        std::string enc;
        for (size_t i = 0; i < png.size(); i += 3) {
            uint32_t n = uint32_t(uint8_t(png[i])) << 16;
            if (i + 1 < png.size()) n |= uint32_t(uint8_t(png[i + 1])) << 8;
            if (i + 2 < png.size()) n |= uint32_t(uint8_t(png[i + 2]));
            enc += b64[(n >> 18) & 63];
            enc += b64[(n >> 12) & 63];
            enc += i + 1 < png.size() ? b64[(n >> 6) & 63] : '=';
            enc += i + 2 < png.size() ? b64[n & 63] : '=';
        }
        write_text(dir + "/images/empty.json",
                   "{\"shapes\": [{\"label\": \"box\", \"shape_type\": \"rectangle\", \"points\": [[0.5, 0.5], [2.5, 3.5]]},"
                   " {\"label\": \"pt\", \"shape_type\": \"point\", \"points\": [[1, 1]]},"
                   " {\"label\": \"m\", \"shape_type\": \"mask\", \"points\": [[5, 5], [6, 6]], \"mask\": \"" + enc + "\"}],"
                   " \"imagePath\": \"empty.png\", \"imageData\": null, \"imageHeight\": 8, \"imageWidth\": 10}");
        ImportReport rep;
        const Project q = import_with(find_format("labelme"), dir + "/images/empty.json", dir + "/images", &rep);
        QCOMPARE(int(q.images[0].instances.size()), 2);
        QCOMPARE(rle_bbox(q.images[0].instances[0].mask), (BBox{1, 1, 2, 3}));
        QCOMPARE(rle_area(q.images[0].instances[1].mask), int64_t(3));
        QVERIFY(rle_decode(q.images[0].instances[1].mask).at(5, 5));
        QVERIFY(!rle_decode(q.images[0].instances[1].mask).at(6, 5));
        QVERIFY(rep.warnings[0].find("a point shape is not a region; left out") != std::string::npos);
    }

    void labelmeBadFilesAreRefusedByName_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("message");
        const QString tail = ", \"imagePath\": \"empty.png\", \"imageHeight\": 8, \"imageWidth\": 10}";
        QTest::newRow("not labelme") << "{\"a\": 1}" << "x.json: not a labelme file";
        QTest::newRow("two points") << "{\"shapes\": [{\"label\": \"a\", \"points\": [[0, 0], [1, 1]]}]" + tail
                                    << "x.json: shapes[0].points: 2 point(s); a polygon needs at least 3";
        QTest::newRow("no label") << "{\"shapes\": [{\"points\": [[0, 0], [1, 1], [1, 0]]}]" + tail
                                  << "x.json: shapes[0]: missing required field \"label\"";
        QTest::newRow("wrong size") << "{\"shapes\": [], \"imagePath\": \"empty.png\", \"imageHeight\": 9, \"imageWidth\": 10}"
                                    << "x.json: the data is for a 10x9 image";
        QTest::newRow("image elsewhere") << "{\"shapes\": [], \"imagePath\": \"/etc/x.png\", \"imageHeight\": 9, \"imageWidth\": 10}"
                                         << "x.json: imagePath: /etc/x.png is not inside the image folder";
        QTest::newRow("far away") << "{\"shapes\": [{\"label\": \"a\", \"points\": [[0, 0], [1e9, 1], [1, 0]]}]" + tail
                                  << "x.json: shapes[0].points[1]: lies far outside";
        QTest::newRow("bad base64") << "{\"shapes\": [{\"label\": \"a\", \"shape_type\": \"mask\", \"points\": [[0, 0], [1, 1]], \"mask\": \"*\"}]" + tail
                                    << "x.json: shapes[0].mask: not base64";
    }

    void labelmeBadFilesAreRefusedByName() {
        QFETCH(QString, text);
        QFETCH(QString, message);
        const std::string dir = scratch("labelme-bad");
        edge_project(dir + "/images");
        write_text(dir + "/images/x.json", text.toStdString());
        Project target = bench_project();
        ImportOptions io;
        io.images_dir = dir + "/images";
        ImportReport rep;
        const std::string e = expect_error([&] { find_format("labelme").import_into(target, dir + "/images/x.json", io, rep); });
        QVERIFY2(e.find(dir + "/images/" + message.toStdString()) == 0, e.c_str());
        QCOMPARE(target.instance_count(), int64_t(57));
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
        const std::string dir = scratch("replace");
        const Project p = edge_project(dir + "/images");
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
        // A folder whose parent is missing is not created, parents included.
        std::string e = expect_error([&] { export_with(find_format("voc"), p, dir + "/missing/out"); });
        QVERIFY2(e.find("No such file or directory; nothing was written") != std::string::npos, e.c_str());
        QVERIFY(!fs::exists(dir + "/missing"));
        write_text(dir + "/other/notes.txt", "mine");
        e = expect_error([&] { export_with(find_format("yolo-seg"), p, dir + "/other"); });
        QVERIFY2(e.find("nothing was written") != std::string::npos, e.c_str());
        QCOMPARE(read_whole_file(dir + "/other/notes.txt", "notes"), std::string("mine"));
    }

    // A program asks before replacing a folder it did not export as it is now.
    void folderReplacementNeedsConfirmationUnlessOurOwn() {
        const std::string dir = scratch("confirm");
        const Project p = edge_project(dir + "/images");
        const std::string out = dir + "/labelme";
        QVERIFY(!folder_needs_overwrite_confirmation(out));  // missing
        fs::create_directories(out);
        QVERIFY(!folder_needs_overwrite_confirmation(out));  // empty
        export_with(find_format("labelme"), p, out);
        QVERIFY(!folder_needs_overwrite_confirmation(out));  // our own, as committed
        QVERIFY(!folder_needs_overwrite_confirmation(out + "/"));
        write_text(out + "/" + OutputFolder::kExportMarker, "{\"format\": \"labelme\", \"written_by\": \"X-SAM Studio\"}\n ");
        QVERIFY(folder_needs_overwrite_confirmation(out));  // rewritten since
        write_text(dir + "/theirs/notes.txt", "theirs");
        QVERIFY(folder_needs_overwrite_confirmation(dir + "/theirs"));  // never exported here
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
