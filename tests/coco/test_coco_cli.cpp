// xsam-cli import-coco / export-coco / info end to end on stamps-bench: the done-criterion of issue 2
// (every mask pixel for pixel, ids/areas/bboxes/categories per coco.md, a byte-stable second round
// trip), and "nothing written on any error".
#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "core/mask/mask.h"
#include "core/mask/polygon.h"

using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string bench_dir() { return std::string(qgetenv("XS_SHARED_DIR").constData()) + "/data/stamps-bench"; }

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct Run {
    int code = -1;
    std::string out, err;
};

Run cli(const QStringList& args) {
    QProcess p;
    p.start(QString::fromLocal8Bit(qgetenv("XS_CLI")), args);
    Run r;
    if (!p.waitForFinished(120000)) return r;
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = p.readAllStandardOutput().toStdString();
    r.err = p.readAllStandardError().toStdString();
    return r;
}

QString q(const std::string& s) { return QString::fromStdString(s); }

// Pixel-exact mask of an annotation as any pycocotools reader would rasterise it.
xs::Mask ann_mask(const json& a, int w, int h) {
    const json& seg = a["segmentation"];
    if (seg.is_array()) {
        std::vector<xs::Polygon> polys;
        for (const json& p : seg) polys.push_back(p.get<xs::Polygon>());
        return xs::polygons_to_mask(polys, w, h);
    }
    if (seg["counts"].is_string()) return xs::rle_decode(xs::rle_from_string(seg["counts"], h, w));
    xs::Rle r;
    r.height = h;
    r.width = w;
    r.counts = seg["counts"].get<std::vector<uint32_t>>();
    return xs::rle_decode(r);
}

}  // namespace

class TestCocoCli : public QObject {
    Q_OBJECT
    std::string dir_;

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(fs::exists(qgetenv("XS_CLI").toStdString()), "XS_CLI not built");
        QVERIFY2(fs::exists(bench_dir() + "/instances.json"), "stamps-bench missing");
        dir_ = qgetenv("XS_TEST_TMP").toStdString() + "/cli";
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }

    void roundTripStampsBench() {
        const std::string images = bench_dir() + "/images";
        const std::string p1 = dir_ + "/p1.json", a = dir_ + "/a.json", p2 = dir_ + "/p2.json", b = dir_ + "/b.json";
        Run r = cli({"import-coco", q(bench_dir() + "/instances.json"), "--images", q(images), "--project", q(p1)});
        QVERIFY2(r.code == 0, r.err.c_str());
        r = cli({"info", q(p1)});
        QVERIFY2(r.code == 0, r.err.c_str());
        QVERIFY2(r.out.find("instances:  57") != std::string::npos, r.out.c_str());
        QVERIFY2(r.out.find("images:     40") != std::string::npos, r.out.c_str());
        r = cli({"export-coco", q(p1), "--out", q(a)});
        QVERIFY2(r.code == 0, r.err.c_str());

        const json src = json::parse(read_file(bench_dir() + "/instances.json"));
        const json out = json::parse(read_file(a));
        for (const char* key : {"info", "licenses", "images", "annotations", "categories"}) QVERIFY(out.contains(key));
        std::map<int, std::pair<int, int>> sizes;
        QCOMPARE(out["images"].size(), src["images"].size());
        for (size_t i = 0; i < src["images"].size(); ++i) {
            const json& o = out["images"][i];
            const json& s = src["images"][i];
            QCOMPARE(o["id"], s["id"]);
            QCOMPARE(o["file_name"], s["file_name"]);
            QCOMPARE(o["width"], s["width"]);
            QCOMPARE(o["height"], s["height"]);
            sizes[o["id"].get<int>()] = {o["width"].get<int>(), o["height"].get<int>()};
        }
        QCOMPARE(out["annotations"].size(), src["annotations"].size());
        int64_t pixels = 0;
        for (size_t i = 0; i < src["annotations"].size(); ++i) {
            const json& o = out["annotations"][i];
            const json& s = src["annotations"][i];
            QCOMPARE(o["id"], s["id"]);
            QCOMPARE(o["image_id"], s["image_id"]);
            QCOMPARE(o["category_id"], s["category_id"]);
            QCOMPARE(o["iscrowd"], json(0));
            QCOMPARE(o["area"].get<double>(), s["area"].get<double>());
            for (int k = 0; k < 4; ++k) QCOMPARE(o["bbox"][k].get<double>(), s["bbox"][k].get<double>());
            const auto [w, h] = sizes[o["image_id"].get<int>()];
            const xs::Mask mo = ann_mask(o, w, h), ms = ann_mask(s, w, h);
            QVERIFY(mo == ms);  // pixel for pixel
            QCOMPARE(mo.area(), o["area"].get<int64_t>());
            pixels += mo.area();
        }
        QVERIFY(pixels > 100000);
        QCOMPARE(out["categories"].size(), src["categories"].size());
        for (size_t i = 0; i < src["categories"].size(); ++i) {
            QCOMPARE(out["categories"][i]["id"], src["categories"][i]["id"]);
            QCOMPARE(out["categories"][i]["name"], src["categories"][i]["name"]);
        }

        // Second round trip: byte-stable.
        r = cli({"import-coco", q(a), "--images", q(images), "--project", q(p2)});
        QVERIFY2(r.code == 0, r.err.c_str());
        r = cli({"export-coco", q(p2), "--out", q(b)});
        QVERIFY2(r.code == 0, r.err.c_str());
        QCOMPARE(read_file(b), read_file(a));

        // Polygons on request: exact where possible, RLE for holes, and the same pixels back.
        const std::string c = dir_ + "/c.json", p3 = dir_ + "/p3.json", d = dir_ + "/d.json", e = dir_ + "/e.json";
        r = cli({"export-coco", q(p1), "--out", q(c), "--polygons"});
        QVERIFY2(r.code == 0, r.err.c_str());
        QVERIFY2(r.out.find("polygons") != std::string::npos, r.out.c_str());
        const json poly = json::parse(read_file(c));
        int n_poly = 0, n_rle = 0;
        for (const json& ann : poly["annotations"]) (ann["segmentation"].is_array() ? n_poly : n_rle)++;
        QVERIFY(n_poly > 0 && n_rle > 0);
        r = cli({"import-coco", q(c), "--images", q(images), "--project", q(p3)});
        QVERIFY2(r.code == 0, r.err.c_str());
        r = cli({"export-coco", q(p3), "--out", q(d), "--polygons"});
        QVERIFY2(r.code == 0, r.err.c_str());
        QCOMPARE(read_file(d), read_file(c));
        r = cli({"export-coco", q(p3), "--out", q(e)});
        QVERIFY2(r.code == 0, r.err.c_str());
        QCOMPARE(read_file(e), read_file(a));  // every mask identical after the polygon trip
    }

    // import-coco and export-coco carry iscrowd and CVAT's attributes object (stamps-bench with a crowd
    // annotation and attributes added); a bad attribute is refused by name and nothing is written.
    void attributesRoundTrip() {
        json src = json::parse(read_file(bench_dir() + "/instances.json"));
        json& a0 = src["annotations"][0];
        json& a1 = src["annotations"][1];
        a0["iscrowd"] = 1;
        a0["attributes"] = {{"occluded", true}, {"truncated", false}, {"note", "two stamps overlap"}, {"pose", "up"}};
        a1["attributes"] = {{"occluded", false}, {"pose", "down"}};
        const std::string in = dir_ + "/attrs-in.json", p = dir_ + "/attrs-p.json", out = dir_ + "/attrs-out.json";
        std::ofstream(in) << src.dump();
        Run r = cli({"import-coco", q(in), "--images", q(bench_dir() + "/images"), "--project", q(p)});
        QVERIFY2(r.code == 0, r.err.c_str());
        const json project = json::parse(read_file(p));
        QCOMPARE(project["version"], json(3));
        r = cli({"export-coco", q(p), "--out", q(out), "--polygons"});
        QVERIFY2(r.code == 0, r.err.c_str());
        const json back = json::parse(read_file(out));
        const json& b0 = back["annotations"][0];
        QCOMPARE(b0["id"], a0["id"]);
        QCOMPARE(b0["iscrowd"], json(1));
        QVERIFY(b0["segmentation"].is_object());  // crowd: RLE even with --polygons
        QCOMPARE(b0["attributes"]["occluded"], json(true));
        QCOMPARE(b0["attributes"]["note"], json("two stamps overlap"));
        QCOMPARE(b0["attributes"]["pose"], json("up"));
        QCOMPARE(back["annotations"][1]["attributes"]["pose"], json("down"));
        QCOMPARE(back["annotations"][1]["iscrowd"], json(0));
        for (const json& a : back["annotations"]) QVERIFY(a["attributes"].contains("occluded"));

        a1["attributes"]["occluded"] = "yes";
        const std::string bad = dir_ + "/attrs-bad.json", p_bad = dir_ + "/attrs-bad-p.json";
        std::ofstream(bad) << src.dump();
        r = cli({"import-coco", q(bad), "--images", q(bench_dir() + "/images"), "--project", q(p_bad)});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.find("annotations[1].attributes.occluded: expected true or false, got a string") != std::string::npos,
                 r.err.c_str());
        QVERIFY(!fs::exists(p_bad));
    }

    void errorsWriteNothing() {
        const std::string images = bench_dir() + "/images";
        const std::string bad = dir_ + "/bad.json";
        {
            json doc = json::parse(read_file(bench_dir() + "/instances.json"));
            doc["annotations"][5]["category_id"] = 777;
            std::ofstream(bad) << doc.dump();
        }
        const std::string fresh = dir_ + "/never.json";
        Run r = cli({"import-coco", q(bad), "--images", q(images), "--project", q(fresh)});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.find("xsam-cli: error:") != std::string::npos, r.err.c_str());
        QVERIFY2(r.err.find("annotations[5].category_id: unknown category id 777") != std::string::npos, r.err.c_str());
        QVERIFY(!fs::exists(fresh));

        // An existing project is left byte for byte as it was.
        const std::string existing = dir_ + "/existing.json";
        r = cli({"import-coco", q(bench_dir() + "/instances.json"), "--images", q(images), "--project", q(existing)});
        QVERIFY2(r.code == 0, r.err.c_str());
        const std::string before = read_file(existing);
        r = cli({"import-coco", q(bad), "--images", q(images), "--project", q(existing)});
        QVERIFY(r.code != 0);
        QCOMPARE(read_file(existing), before);

        // Truncated JSON.
        const std::string trunc = dir_ + "/trunc.json";
        std::ofstream(trunc) << read_file(bench_dir() + "/instances.json").substr(0, 3000);
        r = cli({"import-coco", q(trunc), "--images", q(images), "--project", q(fresh)});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.find("malformed JSON") != std::string::npos, r.err.c_str());
        QVERIFY(!fs::exists(fresh));

        // Missing option, missing image folder, unknown option.
        r = cli({"import-coco", q(bench_dir() + "/instances.json"), "--project", q(fresh)});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.find("--images") != std::string::npos, r.err.c_str());
        r = cli({"import-coco", q(bench_dir() + "/instances.json"), "--images", q(dir_ + "/nowhere"), "--project", q(fresh)});
        QVERIFY(r.code != 0);
        QVERIFY(!fs::exists(fresh));

        // export-coco: a broken project, a folder that does not exist.
        const std::string out = dir_ + "/out.json";
        std::ofstream(dir_ + "/broken-project.json") << "{\"format\": \"xsam-studio-project\", \"version\": 1";
        r = cli({"export-coco", q(dir_ + "/broken-project.json"), "--out", q(out)});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.find("malformed JSON") != std::string::npos, r.err.c_str());
        QVERIFY(!fs::exists(out));
        r = cli({"export-coco", q(existing), "--out", q(dir_ + "/no/such/dir/out.json")});
        QVERIFY(r.code != 0);
        QVERIFY(!fs::exists(dir_ + "/no"));
        r = cli({"info", q(dir_ + "/missing-project.json")});
        QVERIFY(r.code != 0);
        // No temporary files anywhere.
        for (const auto& e : fs::directory_iterator(dir_)) {
            QVERIFY2(e.path().filename().string().find(".tmp-") == std::string::npos, e.path().c_str());
        }
    }
};

QTEST_APPLESS_MAIN(TestCocoCli)
#include "test_coco_cli.moc"
