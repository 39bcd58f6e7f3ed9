// COCO reader and writer on stamps-bench (written by pycocotools) and on every bad input of issue 2.
#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include <nlohmann/json.hpp>

#include "tests/harness/error_message.h"
#include "core/coco/coco.h"
#include "core/io/project_file.h"
#include "core/mask/polygon.h"
#include "core/util/error.h"

using namespace xs;
using json = nlohmann::json;
namespace fs = std::filesystem;

using xs::test::expect_error;

namespace {

std::string bench_dir() { return std::string(qgetenv("XS_SHARED_DIR").constData()) + "/data/stamps-bench"; }
std::string bench_images() { return bench_dir() + "/images"; }

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string tmp_dir(const std::string& sub) {
    const QByteArray t = qgetenv("XS_TEST_TMP");
    const std::string dir = (t.isEmpty() ? std::string("/tmp/xs_test_coco") : std::string(t.constData())) + "/" + sub;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

const json& bench_json() {
    static const json j = json::parse(read_file(bench_dir() + "/instances.json"));
    return j;
}

CocoImportOptions bench_options(bool check_images = true) {
    CocoImportOptions o;
    o.images_dir = bench_images();
    o.check_images = check_images;
    return o;
}

}  // namespace

class TestCoco : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void importBench() {
        CocoImportReport rep;
        const Project p = read_coco(bench_dir() + "/instances.json", bench_options(), &rep);
        const json& src = bench_json();
        QCOMPARE(int(p.images.size()), int(src["images"].size()));
        QCOMPARE(p.instance_count(), int64_t(src["annotations"].size()));
        QCOMPARE(int(p.categories.size()), int(src["categories"].size()));
        QCOMPARE(rep.rle_segmentations, 57);
        QVERIFY2(rep.warnings.empty(), rep.warnings.empty() ? "" : rep.warnings[0].c_str());
        for (const auto& c : src["categories"]) {
            const Category* pc = p.find_category(c["id"].get<int>());
            QVERIFY(pc);
            QCOMPARE(pc->name, c["name"].get<std::string>());
        }
        Project& mp = const_cast<Project&>(p);
        for (const auto& a : src["annotations"]) {
            ImageRecord* img = nullptr;
            const Instance* inst = mp.find_instance(a["id"].get<int64_t>(), &img);
            QVERIFY(inst);
            QCOMPARE(img->id, a["image_id"].get<int>());
            QCOMPARE(inst->category_id, a["category_id"].get<int>());
            const auto& seg = a["segmentation"];
            const Rle orig = rle_from_string(seg["counts"], seg["size"][0], seg["size"][1]);
            QVERIFY(rle_decode(inst->mask) == rle_decode(orig));
        }
        QCOMPARE(p.image_root, bench_images());
    }

    void exportRleMatchesPycocotools() {
        const Project p = read_coco(bench_dir() + "/instances.json", bench_options(false));
        CocoExportReport rep;
        const std::string text = coco_to_json(p, CocoExportOptions{}, &rep);
        QCOMPARE(rep.as_rle, 57);
        QCOMPARE(rep.skipped, 0);
        const json out = json::parse(text);
        for (const char* key : {"info", "licenses", "images", "annotations", "categories"}) QVERIFY(out.contains(key));
        QVERIFY(out["licenses"].is_array());
        const json& src = bench_json();
        QCOMPARE(out["images"].size(), src["images"].size());
        for (size_t i = 0; i < src["images"].size(); ++i) {
            QCOMPARE(out["images"][i]["id"], src["images"][i]["id"]);
            QCOMPARE(out["images"][i]["file_name"], src["images"][i]["file_name"]);
            QCOMPARE(out["images"][i]["width"], src["images"][i]["width"]);
            QCOMPARE(out["images"][i]["height"], src["images"][i]["height"]);
        }
        QCOMPARE(out["annotations"].size(), src["annotations"].size());
        for (size_t i = 0; i < src["annotations"].size(); ++i) {
            const json& a = out["annotations"][i];
            const json& s = src["annotations"][i];
            QCOMPARE(a["id"], s["id"]);
            QCOMPARE(a["image_id"], s["image_id"]);
            QCOMPARE(a["category_id"], s["category_id"]);
            QVERIFY(a["id"].is_number_integer() && a["id"].get<int>() >= 1);
            QVERIFY(a["iscrowd"].is_number_integer() && a["iscrowd"].get<int>() == 0);
            QVERIFY(a["area"].is_number_integer());
            QCOMPARE(a["area"].get<double>(), s["area"].get<double>());
            for (int k = 0; k < 4; ++k) {
                QVERIFY(a["bbox"][k].is_number_integer());
                QCOMPARE(a["bbox"][k].get<double>(), s["bbox"][k].get<double>());
            }
            // Byte-identical to the string pycocotools wrote.
            QCOMPARE(a["segmentation"]["counts"], s["segmentation"]["counts"]);
            QCOMPARE(a["segmentation"]["size"], s["segmentation"]["size"]);
        }
        QCOMPARE(out["categories"].size(), src["categories"].size());
        for (size_t i = 0; i < src["categories"].size(); ++i) {
            QCOMPARE(out["categories"][i]["id"], src["categories"][i]["id"]);
            QCOMPARE(out["categories"][i]["name"], src["categories"][i]["name"]);
        }
        // A round trip of the export is byte-stable.
        const Project q = coco_from_json(text, "export.json", bench_options(false));
        QCOMPARE(coco_to_json(q, CocoExportOptions{}), text);
    }

    void exportPolygons() {
        const Project p = read_coco(bench_dir() + "/instances.json", bench_options(false));
        CocoExportOptions opt;
        opt.polygons = true;
        CocoExportReport rep;
        const std::string text = coco_to_json(p, opt, &rep);
        QVERIFY(rep.as_polygons > 0);
        QVERIFY(rep.as_rle > 0);  // stamps with holes
        QCOMPARE(rep.as_polygons + rep.as_rle, 57);
        const json out = json::parse(text);
        Project& mp = const_cast<Project&>(p);
        for (const json& a : out["annotations"]) {
            const Instance* inst = mp.find_instance(a["id"].get<int64_t>());
            QVERIFY(inst);
            const Mask m = rle_decode(inst->mask);
            if (a["segmentation"].is_array()) {
                std::vector<Polygon> polys;
                for (const json& poly : a["segmentation"]) {
                    QVERIFY(poly.size() >= 6 && poly.size() % 2 == 0);
                    polys.push_back(poly.get<Polygon>());
                }
                QVERIFY(polygons_to_mask(polys, m.width(), m.height()) == m);
                QVERIFY(!mask_has_holes(m));
            } else {
                QVERIFY(mask_has_holes(m));  // only holes force RLE on this data
            }
            QCOMPARE(a["area"].get<int64_t>(), m.area());
        }
        const Project q = coco_from_json(text, "poly.json", bench_options(false));
        for (const ImageRecord& img : p.images) {
            const ImageRecord* qi = q.find_image(img.id);
            QVERIFY(qi);
            QCOMPARE(qi->instances.size(), img.instances.size());
            for (size_t k = 0; k < img.instances.size(); ++k) {
                QVERIFY(rle_decode(qi->instances[k].mask) == rle_decode(img.instances[k].mask));
            }
        }
        QCOMPARE(coco_to_json(q, opt), text);
    }

    void uncompressedRleAndPolygonImport() {
        const json doc = {
            {"images", {{{"id", 7}, {"file_name", "sub/a.png"}, {"width", 3}, {"height", 2}}}},
            {"categories", {{{"id", 4}, {"name", "thing"}}}},
            {"annotations",
             {{{"id", 1}, {"image_id", 7}, {"category_id", 4}, {"segmentation", {{"size", {2, 3}}, {"counts", {2, 2, 1, 1}}}}},
              {{"id", 2}, {"image_id", 7}, {"category_id", 4}, {"segmentation", {{"size", {2, 3}}, {"counts", "221O"}}}},
              {{"id", 3}, {"image_id", 7}, {"category_id", 4},
               {"segmentation", {{0.5, -0.5, 2.5, -0.5, 2.5, 1.5, 0.5, 1.5}}}, {"iscrowd", 0}}}}};
        CocoImportReport rep;
        Project p = coco_from_json(doc.dump(), "mem.json", bench_options(false), &rep);
        QCOMPARE(rep.rle_segmentations, 2);
        QCOMPARE(rep.polygon_segmentations, 1);
        const Mask a = rle_decode(p.find_instance(1)->mask);
        QVERIFY(a == rle_decode(p.find_instance(2)->mask));
        QCOMPARE(a.area(), int64_t(3));
        const Mask poly = rle_decode(p.find_instance(3)->mask);
        QCOMPARE(poly.area(), int64_t(4));  // pixels x 1..2, y 0..1
        QVERIFY(poly.at(1, 0) && poly.at(2, 1) && !poly.at(0, 0));
        QCOMPARE(p.categories[0].id, 4);  // valid ids are kept
        QCOMPARE(p.images[0].id, 7);
        QCOMPARE(p.images[0].file_name, std::string("sub/a.png"));
    }

    void invalidIdsAreRenumbered() {
        // Image id 0 and category id 0 are not valid COCO ids for export: all are renumbered from 1,
        // keeping the references consistent, with a warning. A crowd annotation stays a crowd instance.
        const json doc = {
            {"images", {{{"id", 0}, {"file_name", "a.png"}, {"width", 2}, {"height", 2}},
                        {{"id", 5}, {"file_name", "b.png"}, {"width", 2}, {"height", 2}}}},
            {"categories", {{{"id", 0}, {"name", "zero"}}, {{"id", 3}, {"name", "three"}}}},
            {"annotations",
             {{{"id", 10}, {"image_id", 0}, {"category_id", 3}, {"iscrowd", 1},
               {"segmentation", {{"size", {2, 2}}, {"counts", {0, 1, 3}}}}},
              {{"id", 11}, {"image_id", 5}, {"category_id", 0}, {"segmentation", {{"size", {2, 2}}, {"counts", "04"}}}}}}};
        CocoImportReport rep;
        Project p = coco_from_json(doc.dump(), "ids.json", bench_options(false), &rep);
        QCOMPARE(p.images[0].id, 1);
        QCOMPARE(p.images[1].id, 2);
        QCOMPARE(p.categories[0].id, 1);
        QCOMPARE(p.categories[0].name, std::string("zero"));
        QCOMPARE(p.categories[1].id, 2);
        QCOMPARE(p.find_instance(10)->category_id, 2);  // "three"
        QCOMPARE(p.find_instance(11)->category_id, 1);  // "zero"
        QCOMPARE(int(p.find_image(2)->instances.size()), 1);
        QCOMPARE(p.find_image(2)->instances[0].id, int64_t(11));
        QCOMPARE(rle_area(p.find_instance(11)->mask), int64_t(4));
        QVERIFY(p.find_instance(10)->iscrowd);
        QVERIFY(!p.find_instance(11)->iscrowd);
        int renumbered = 0;
        for (const std::string& w : rep.warnings) renumbered += w.find("renumbered") != std::string::npos;
        QCOMPARE(renumbered, 2);
    }

    void attributesRoundTrip() {
        // A crowd instance (a plain square, which polygons could express) and a custom choice, number,
        // boolean and text on "car"; "tree" declares nothing.
        Project p;
        Category& car = p.add_category("car");
        car.attributes = {{"colour", AttributeKind::choice, {"red", "green"}, std::string("red")},
                          {"doors", AttributeKind::number, {}, 4.0},
                          {"parked", AttributeKind::boolean, {}, false},
                          {"plate", AttributeKind::text, {}, std::string()}};
        p.add_category("tree");
        ImageRecord& img = p.add_image("a.png", 8, 6);
        Mask square(8, 6);
        for (int y = 1; y < 4; ++y)
            for (int x = 1; x < 4; ++x) square.set(x, y, true);
        Instance& crowd = p.add_instance(img, 1, rle_encode(square));
        crowd.iscrowd = true;
        crowd.occluded = true;
        crowd.note = "a row of parked cars";
        crowd.attributes = {{"colour", std::string("green")}, {"doors", 2.0}};
        const Instance crowd_before = crowd;  // the reference dies with the next add_instance
        Mask corner(8, 6);
        corner.set(6, 5, true);
        Instance& tree = p.add_instance(img, 2, rle_encode(corner));
        tree.truncated = true;
        const int64_t tree_id = tree.id;

        CocoExportOptions polygons;
        polygons.polygons = true;
        const std::string text = coco_to_json(p, polygons);
        const json out = json::parse(text);
        const json& a0 = out["annotations"][0];
        QCOMPARE(a0["iscrowd"], json(1));
        QVERIFY2(a0["segmentation"].is_object(), "a crowd instance is written as RLE");
        QVERIFY(out["annotations"][1]["segmentation"].is_array());
        QCOMPARE(out["annotations"][1]["iscrowd"], json(0));
        const json expected0 = {{"occluded", true}, {"truncated", false}, {"note", "a row of parked cars"},
                                {"colour", "green"}, {"doors", 2.0}, {"parked", false}, {"plate", ""}};
        QCOMPARE(a0["attributes"], expected0);
        QCOMPARE(out["annotations"][1]["attributes"], json({{"occluded", false}, {"truncated", true}}));
        QCOMPARE(out["categories"][0]["attributes"].size(), size_t(4));
        QVERIFY(!out["categories"][1].contains("attributes"));

        // Imported back: the same attributes, declarations and crowd flag; exported again byte for byte.
        Project q = coco_from_json(text, "attrs.json", bench_options(false));
        const Instance& c = *q.find_instance(crowd_before.id);
        QVERIFY(c.iscrowd && c.occluded && !c.truncated);
        QCOMPARE(c.note, crowd_before.note);
        QVERIFY(c.attributes == crowd_before.attributes);
        QVERIFY(q.find_instance(tree_id)->truncated);
        QCOMPARE(q.categories[0].attributes[0].choices, (std::vector<std::string>{"red", "green"}));
        QCOMPARE(rle_area(c.mask), int64_t(9));
        QCOMPARE(coco_to_json(q, polygons), text);
        // The imported project saves and loads as a project file.
        QVERIFY(project_from_json(project_to_json(q), "q.json").find_instance(crowd_before.id)->iscrowd);
    }

    void cvatAttributesAreDeclaredFromTheirValues() {
        // CVAT's files carry no declarations: each custom attribute is declared from its value's type.
        const json doc = {
            {"images", {{{"id", 1}, {"file_name", "a.png"}, {"width", 2}, {"height", 2}}}},
            {"categories", {{{"id", 1}, {"name", "car"}}}},
            {"annotations",
             {{{"id", 1}, {"image_id", 1}, {"category_id", 1}, {"iscrowd", 0},
               {"attributes", {{"occluded", true}, {"parked", true}, {"speed", 30}, {"model", "T"}}},
               {"segmentation", {{"size", {2, 2}}, {"counts", "04"}}}},
              {{"id", 2}, {"image_id", 1}, {"category_id", 1}, {"iscrowd", 0},
               {"attributes", {{"occluded", false}, {"parked", false}, {"speed", 0}, {"model", ""}}},
               {"segmentation", {{"size", {2, 2}}, {"counts", "04"}}}}}}};
        Project p = coco_from_json(doc.dump(), "cvat.json", bench_options(false));
        const std::vector<AttributeSpec>& specs = p.categories[0].attributes;
        QCOMPARE(specs.size(), size_t(3));
        QCOMPARE(specs[0].name, std::string("model"));  // in the object's key order
        QVERIFY(specs[0].kind == AttributeKind::text);
        QVERIFY(specs[1].kind == AttributeKind::boolean);
        QVERIFY(specs[2].kind == AttributeKind::number);
        const Instance& one = *p.find_instance(1);
        QVERIFY(one.occluded);
        QVERIFY(one.attributes.at("parked") == AttributeValue(true));
        QVERIFY(one.attributes.at("speed") == AttributeValue(30.0));
        QVERIFY(one.attributes.at("model") == AttributeValue(std::string("T")));
        QVERIFY(!has_attributes(*p.find_instance(2)));  // every value the kind's default

        // Bad attributes are refused with the field named, and an open project is left as it was.
        Project before = p;
        const std::string text_before = project_to_json(before);
        auto refused = [&](const json& bad) {
            return expect_error([&] { import_coco_json(before, bad.dump(), "bad.json", bench_options(false)); });
        };
        json bad = doc;
        bad["annotations"][1]["attributes"]["speed"] = "fast";
        std::string e = refused(bad);
        QVERIFY2(e.find("bad.json: annotations[1].attributes.speed: expected a number, got a string") == 0, e.c_str());
        bad = doc;
        bad["annotations"][0]["attributes"]["occluded"] = 1;
        e = refused(bad);
        QVERIFY2(e.find("bad.json: annotations[0].attributes.occluded: expected true or false") == 0, e.c_str());
        bad = doc;
        bad["annotations"][0]["attributes"]["model"] = json::array();
        e = refused(bad);
        QVERIFY2(e.find("bad.json: annotations[0].attributes.model: expected a boolean, a number or a string") == 0,
                 e.c_str());
        bad = doc;
        bad["annotations"][0]["attributes"] = "occluded";
        e = refused(bad);
        QVERIFY2(e.find("bad.json: annotations[0].attributes: expected an object") == 0, e.c_str());
        bad = doc;
        bad["categories"][0]["attributes"] = {{{"name", "speed"}, {"kind", "colour"}, {"default", 0}}};
        e = refused(bad);
        QVERIFY2(e.find("bad.json: categories[0].attributes[0].kind: unknown kind \"colour\"") == 0, e.c_str());
        QCOMPARE(project_to_json(before), text_before);
    }

    void badInputs_data() {
        QTest::addColumn<QString>("mutation");
        QTest::addColumn<QString>("expected");
        QTest::newRow("malformed") << "malformed" << "malformed JSON";
        QTest::newRow("truncated") << "truncated" << "malformed JSON";
        QTest::newRow("not an object") << "array" << "expected an object";
        QTest::newRow("missing annotations") << "drop-annotations" << "missing required field \"annotations\"";
        QTest::newRow("missing segmentation") << "drop-segmentation" << "annotations[0]: missing required field \"segmentation\"";
        QTest::newRow("missing image width") << "drop-width" << "images[2]: missing required field \"width\"";
        QTest::newRow("duplicate annotation id") << "dup-ann" << "annotations[1].id: duplicate annotation id 1";
        QTest::newRow("duplicate image id") << "dup-img" << "images[1].id: duplicate image id 1";
        QTest::newRow("duplicate category id") << "dup-cat" << "categories[1].id: duplicate category id 1";
        QTest::newRow("unknown image") << "unknown-img" << "annotations[0].image_id: unknown image id 9999";
        QTest::newRow("unknown category") << "unknown-cat" << "annotations[0].category_id: unknown category id 9999";
        QTest::newRow("string id") << "string-id" << "annotations[0].id: expected an integer, got a string";
        QTest::newRow("rle size") << "rle-size" << "annotations[0].segmentation.size: [518, 644] disagrees with image 1";
        QTest::newRow("counts sum string") << "counts-string" << "annotations[0].segmentation.counts: RLE counts sum to";
        QTest::newRow("counts sum list") << "counts-list" << "annotations[0].segmentation.counts: RLE counts sum to 6, expected 332948";
        QTest::newRow("bad counts char") << "counts-char" << "invalid character";
        QTest::newRow("polygon two points") << "poly-2" << "annotations[0].segmentation[0]: polygon has 2 point(s), at least 3 are needed";
        QTest::newRow("polygon odd") << "poly-odd" << "odd number of coordinates";
        QTest::newRow("flat polygon") << "poly-flat" << "polygons must be nested";
        QTest::newRow("iscrowd") << "iscrowd" << "annotations[0].iscrowd: must be 0 or 1";
        QTest::newRow("absolute file name") << "abs-name" << "images[0].file_name: \"/tmp/0001.jpg\" is absolute";
        QTest::newRow("missing image file") << "missing-file" << "images[0] (\"nope.jpg\")";
        QTest::newRow("truncated image file") << "truncated-file" << "truncated";
        QTest::newRow("non-image file") << "text-file" << "not an image";
        QTest::newRow("image size") << "image-size" << "images[0]: width/height 645x517";
    }

    void badInputs() {
        QFETCH(QString, mutation);
        QFETCH(QString, expected);
        const std::string m = mutation.toStdString();
        json doc = bench_json();
        std::string text;
        std::string images = bench_images();
        if (m == "truncated-file" || m == "text-file") {
            // A copy of the image folder with one file broken.
            images = tmp_dir("broken-" + m);
            for (const auto& e : fs::directory_iterator(bench_images())) fs::copy_file(e.path(), images + "/" + e.path().filename().string());
            const std::string victim = images + "/" + doc["images"][3]["file_name"].get<std::string>();
            const std::string bytes = read_file(victim);
            std::ofstream out(victim, std::ios::binary | std::ios::trunc);
            if (m == "truncated-file") {
                out << bytes.substr(0, bytes.size() / 2);
            } else {
                out << "GIF? no, plain text\n";
            }
        }
        if (m == "malformed") text = "{\"images\": [}";
        else if (m == "truncated") text = read_file(bench_dir() + "/instances.json").substr(0, 5000);
        else if (m == "array") text = "[1, 2]";
        else if (m == "drop-annotations") doc.erase("annotations");
        else if (m == "drop-segmentation") doc["annotations"][0].erase("segmentation");
        else if (m == "drop-width") doc["images"][2].erase("width");
        else if (m == "dup-ann") doc["annotations"][1]["id"] = doc["annotations"][0]["id"];
        else if (m == "dup-img") doc["images"][1]["id"] = doc["images"][0]["id"];
        else if (m == "dup-cat") doc["categories"][1]["id"] = doc["categories"][0]["id"];
        else if (m == "unknown-img") doc["annotations"][0]["image_id"] = 9999;
        else if (m == "unknown-cat") doc["annotations"][0]["category_id"] = 9999;
        else if (m == "string-id") doc["annotations"][0]["id"] = "1";
        else if (m == "rle-size") doc["annotations"][0]["segmentation"]["size"] = {518, 644};
        else if (m == "counts-string") doc["annotations"][0]["segmentation"]["counts"] = doc["annotations"][1]["segmentation"]["counts"];
        else if (m == "counts-list") doc["annotations"][0]["segmentation"]["counts"] = {1, 2, 3};
        else if (m == "counts-char") doc["annotations"][0]["segmentation"]["counts"] = "01 5";
        else if (m == "poly-2") doc["annotations"][0]["segmentation"] = {{1, 2, 30, 40}};
        else if (m == "poly-odd") doc["annotations"][0]["segmentation"] = {{1, 2, 30, 40, 5, 6, 7}};
        else if (m == "poly-flat") doc["annotations"][0]["segmentation"] = {1, 2, 30, 40, 5, 60};
        else if (m == "iscrowd") doc["annotations"][0]["iscrowd"] = 2;
        else if (m == "abs-name") doc["images"][0]["file_name"] = "/tmp/0001.jpg";
        else if (m == "missing-file") doc["images"][0]["file_name"] = "nope.jpg";
        else if (m == "image-size") {
            doc["images"][0]["width"] = 645;  // and no annotations on it, so only the file check can object
            json kept = json::array();
            for (const json& a : doc["annotations"]) {
                if (a["image_id"] != doc["images"][0]["id"]) kept.push_back(a);
            }
            doc["annotations"] = kept;
        }
        if (text.empty()) text = doc.dump();

        // Import into a project that already holds data: it must come out untouched.
        Project project;
        project.image_root = images;
        project.add_category("bear");
        ImageRecord& img = project.add_image("other.jpg", 4, 4);
        Mask mk(4, 4);
        mk.set(1, 1, true);
        project.add_instance(img, 1, rle_encode(mk));
        const std::string before = project_to_json(project);

        CocoImportOptions opt;
        opt.images_dir = images;
        const std::string err = expect_error([&] { import_coco_json(project, text, "in.json", opt); });
        QVERIFY2(err.find(expected.toStdString()) != std::string::npos, err.c_str());
        QVERIFY2(err.rfind("in.json", 0) == 0, err.c_str());  // names the file
        QCOMPARE(project_to_json(project), before);
    }

    void importIntoExisting() {
        Project p;
        p.image_root = bench_images();
        p.add_category("a first one");
        p.add_category("b second");
        p.add_category("c third");
        p.add_category("bear");  // id 4; the file's "bear" is 1
        ImageRecord& img = p.add_image("0001.jpg", 644, 517);  // same file as the bench's image 1
        Mask mk(644, 517);
        mk.set(3, 3, true);
        p.add_instance(img, 4, rle_encode(mk));  // instance id 1, as the file's first annotation
        CocoImportReport rep;
        import_coco(p, bench_dir() + "/instances.json", bench_options(false), &rep);
        QCOMPARE(rep.categories_matched, 1);
        QCOMPARE(rep.categories_added, 19);
        QCOMPARE(rep.images_matched, 1);
        QCOMPARE(rep.images_added, 39);
        QCOMPARE(p.instance_count(), int64_t(58));
        QCOMPARE(p.find_image("0001.jpg")->instances.size(), size_t(1 + 1));
        // "bear" annotations went to the existing category 4.
        for (const ImageRecord& r : p.images) {
            for (const Instance& i : r.instances) QVERIFY(p.find_category(i.category_id));
        }
        std::set<int64_t> ids;
        for (const ImageRecord& r : p.images) {
            for (const Instance& i : r.instances) QVERIFY(ids.insert(i.id).second);
        }
        std::set<int> cat_ids;
        for (const Category& c : p.categories) QVERIFY(cat_ids.insert(c.id).second);
        QVERIFY(!rep.warnings.empty());  // some ids were renumbered
        // The result saves and loads (all invariants hold).
        const Project q = project_from_json(project_to_json(p), "mem");
        QCOMPARE(q.instance_count(), int64_t(58));
    }

    void exportEdgeCases() {
        Project p;
        p.add_category("cat");
        p.add_category("_background_");
        ImageRecord& img = p.add_image("dir/x.png", 5, 4);
        Mask m(5, 4);
        m.set(0, 0, true);
        p.add_instance(img, 1, rle_encode(m));
        p.add_instance(img, 2, rle_encode(m));
        Instance& orphan = p.add_instance(img, 1, rle_encode(m));
        orphan.category_id = 42;  // a label unknown to the category list
        CocoExportReport rep;
        const json out = json::parse(coco_to_json(p, CocoExportOptions{}, &rep));
        QCOMPARE(rep.annotations, 1);
        QCOMPARE(rep.skipped, 2);
        QVERIFY(rep.warnings.size() >= 2);
        QCOMPARE(out["categories"].size(), size_t(1));
        QCOMPARE(out["annotations"][0]["bbox"], json({0, 0, 1, 1}));  // a single pixel at (0,0)
        QCOMPARE(out["annotations"][0]["area"], json(1));
        // counts [0, 1, 19]: 19 has the 0x10 bit set, so it takes two characters: 19|0x20 -> 'c', then '0'.
        QCOMPARE(out["annotations"][0]["segmentation"]["counts"], json("01c0"));

        // Absolute file names cannot be exported; nothing is written.
        Project bad = p;
        bad.images[0].file_name = "/abs/x.png";
        const std::string dir = tmp_dir("export");
        const std::string err = expect_error([&] { write_coco(bad, dir + "/out.json", CocoExportOptions{}); });
        QVERIFY2(err.find("absolute") != std::string::npos, err.c_str());
        QVERIFY(!fs::exists(dir + "/out.json"));
        QVERIFY(fs::is_empty(dir));
    }
    // The progress hook: it reaches (total, total) on a complete export; returning false after a few
    // images aborts with xs::Cancelled and leaves an existing output file byte-for-byte untouched,
    // with no temporary file beside it (and creates no file where there was none).
    void exportProgressAndCancel() {
        Project p;
        p.add_category("cat");
        for (int i = 0; i < 20; ++i) {
            ImageRecord& img = p.add_image("img" + std::to_string(i) + ".png", 16, 12);
            Mask m(16, 12);
            for (int k = 0; k <= i % 10; ++k) m.set(k, k, true);
            p.add_instance(img, 1, rle_encode(m));
        }
        const std::string dir = tmp_dir("export-cancel");
        const std::string out = dir + "/out.json";

        // Not cancelled: every step is seen once, in order, ending at (20, 20).
        std::vector<std::pair<int, int>> seen;
        CocoExportOptions opt;
        opt.progress = [&](int done, int total) {
            seen.emplace_back(done, total);
            return true;
        };
        CocoExportReport rep;
        write_coco(p, out, opt, &rep);
        QCOMPARE(rep.images, 20);
        QCOMPARE(int(seen.size()), 21);
        for (int i = 0; i <= 20; ++i) QCOMPARE(seen[size_t(i)], std::make_pair(i, 20));
        std::string before;
        {
            std::ifstream in(out, std::ios::binary);
            before.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        }
        QVERIFY(!before.empty());
        QCOMPARE(coco_to_json(p, CocoExportOptions{}), before);  // the hook changes nothing

        // Cancelled after 3 images, writing over the existing file: it is untouched.
        Project q = p;
        q.categories[0].name = "renamed";  // a different document, so a write would show
        int calls = 0;
        opt.progress = [&](int done, int) {
            ++calls;
            return done < 3;
        };
        bool cancelled = false;
        try {
            write_coco(q, out, opt);
        } catch (const Cancelled&) {
            cancelled = true;
        }
        QVERIFY(cancelled);
        QCOMPARE(calls, 4);  // (0), (1), (2), (3) -> stop: no image after the third is processed
        std::string after;
        {
            std::ifstream in(out, std::ios::binary);
            after.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        }
        QCOMPARE(after, before);
        int entries = 0;
        for (const auto& e : fs::directory_iterator(dir)) {
            QCOMPARE(e.path().filename().string(), std::string("out.json"));  // no temp file left
            ++entries;
        }
        QCOMPARE(entries, 1);

        // Cancelled where no file exists: none is created. Cancelling before the first image works too.
        const std::string fresh = dir + "/fresh.json";
        opt.progress = [](int, int) { return false; };
        QVERIFY_THROWS_EXCEPTION(Cancelled, write_coco(p, fresh, opt));
        QVERIFY(!fs::exists(fresh));
        entries = 0;
        for (const auto& e : fs::directory_iterator(dir)) { (void)e; ++entries; }
        QCOMPARE(entries, 1);
    }
};

QTEST_APPLESS_MAIN(TestCoco)
#include "test_coco.moc"
