// Batch labelling without an engine: the image list rules (natural order, extensions, hidden folders,
// symbolic-link loops), the shard rule pinned to FNV-1a test vectors, the journal's torn-line recovery,
// and merge-coco on synthetic shard outputs (merged == one full document, byte for byte) with every
// bad input of the merge (message names the part and the field; nothing written).
#include <QtTest/QtTest>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include <nlohmann/json.hpp>

#include "core/coco/batch.h"
#include "core/coco/merge.h"
#include "core/io/folder_scan.h"
#include "core/mask/mask.h"
#include "tests/harness/error_message.h"

using json = nlohmann::json;
namespace fs = std::filesystem;
using namespace xs;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
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

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// A synthetic run over `names`: image i is (20 + i) x (10 + i) with i % 3 square instances.
batch::RunInfo synthetic_run(const std::vector<std::string>& names, batch::ShardSpec shard) {
    batch::RunInfo run;
    run.params["engine"] = "xsam";
    run.params["task"] = "generic";
    run.params["score_threshold"] = 0.25;
    run.categories = {"cat", "dog", "traffic light"};
    run.images_listed = int64_t(names.size());
    run.list_fingerprint = batch::list_fingerprint(names);
    run.shard = shard;
    return run;
}

batch::ImageRecord synthetic_record(const std::vector<std::string>& names, size_t i) {
    batch::ImageRecord r;
    r.index = int64_t(i);
    r.file_name = names[i];
    if (i == 4) {
        r.error = names[i] + ": not an image";
        return r;
    }
    r.ok = true;
    r.width = 20 + int(i);
    r.height = 10 + int(i);
    for (size_t k = 0; k < i % 3; ++k) {
        Mask m(r.width, r.height);
        for (int y = 1; y < 4 + int(k); ++y)
            for (int x = int(k); x < 5 + int(k); ++x) m.set(x, y, true);
        const Rle rle = rle_encode(m);
        batch::AnnotationRecord a;
        a.category = int((i + k) % 3);
        a.width = r.width;
        a.height = r.height;
        a.counts = rle_to_string(rle);
        a.area = rle_area(rle);
        const BBox b = rle_bbox(rle);
        a.bbox[0] = b.x, a.bbox[1] = b.y, a.bbox[2] = b.w, a.bbox[3] = b.h;
        a.score = 0.5 + 0.0123 * double(k) + 0.001 * double(i);
        r.annotations.push_back(a);
    }
    return r;
}

std::vector<std::string> synthetic_names() {
    std::vector<std::string> names;
    for (int i = 1; i <= 23; ++i) names.push_back((i % 4 == 0 ? "sub/img" : "img") + std::to_string(i) + ".png");
    natural_sort(names);
    return names;
}

std::string synthetic_doc(const std::vector<std::string>& names, batch::ShardSpec shard) {
    std::vector<batch::ImageRecord> recs;
    for (size_t i = 0; i < names.size(); ++i)
        if (batch::in_shard(names[i], shard)) recs.push_back(synthetic_record(names, i));
    return batch::batch_coco_json(synthetic_run(names, shard), recs);
}

}  // namespace

class TestBatchUnits : public QObject {
    Q_OBJECT
    std::string dir_;

private Q_SLOTS:
    void initTestCase() {
        dir_ = qgetenv("XS_TEST_TMP").toStdString() + "/units";
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }

    void naturalOrder() {
        std::vector<std::string> v = {"img10.png", "img2.png", "IMG1.png", "img01.png", "a/b.png", "A/a.png",
                                      "img2a.png", "x100", "x99"};
        natural_sort(v);
        const std::vector<std::string> want = {"A/a.png",  "a/b.png",   "IMG1.png", "img01.png", "img2.png",
                                               "img2a.png", "img10.png", "x99",      "x100"};
        QCOMPARE(v, want);
        QVERIFY(natural_compare("img2", "img10") < 0);
        QVERIFY(natural_compare("img10", "img2") > 0);
        QCOMPARE(natural_compare("Abc", "abc"), 0);  // ties are broken by byte order in natural_sort
    }

    void listRules() {
        const std::string root = dir_ + "/list";
        fs::remove_all(root);
        for (const char* f : {"img10.png", "img2.JPG", "img1.jpeg", "notes.txt", "sub/deep/x.tif", "sub/y.webp",
                              ".hidden/z.png", "sub/.w.png", "noext", "b.bmp.txt"})
            write_file(root + "/" + f, "x");
        fs::create_directory_symlink("..", root + "/sub/loop");  // a loop: must not be walked forever
        fs::create_directory_symlink(root + "/sub/deep", root + "/linked");
        const std::vector<std::string> got = batch::list_images(root);
        const std::vector<std::string> want = {"img1.jpeg", "img2.JPG", "img10.png", "linked/x.tif", "sub/deep/x.tif",
                                               "sub/y.webp"};
        QCOMPARE(got, want);
        QVERIFY(contains(test::expect_error([&] { batch::list_images(root + "/missing"); }), "no such folder"));
        QVERIFY(contains(test::expect_error([&] { batch::list_images(root + "/notes.txt"); }), "not a folder"));
    }

    void shardRule() {
        // FNV-1a 64 test vectors (Fowler/Noll/Vo): the rule is the same on every machine.
        QCOMPARE(batch::fnv1a64(""), uint64_t(0xcbf29ce484222325ull));
        QCOMPARE(batch::fnv1a64("a"), uint64_t(0xaf63dc4c8601ec8cull));
        QCOMPARE(batch::fnv1a64("foobar"), uint64_t(0x85944171f73967e8ull));
        // every name lands in exactly one shard; shards are roughly balanced on a larger list
        std::vector<std::string> names;
        for (int i = 0; i < 4000; ++i) names.push_back("folder" + std::to_string(i % 7) + "/img" + std::to_string(i) + ".jpg");
        const int n = 4;
        std::vector<int> count(n, 0);
        for (const std::string& s : names) {
            int hits = 0;
            for (int i = 0; i < n; ++i)
                if (batch::in_shard(s, {i, n})) ++hits, ++count[size_t(i)];
            QCOMPARE(hits, 1);
        }
        for (int c : count) QVERIFY2(c > 900 && c < 1100, qPrintable(QString::number(c)));
        QVERIFY(batch::in_shard("anything", {0, 1}));

        const batch::ShardSpec s = batch::parse_shard("2/8");
        QCOMPARE(s.index, 2);
        QCOMPARE(s.count, 8);
        QCOMPARE(batch::parse_shard("0/1").count, 1);
        QVERIFY(contains(test::expect_error([] { batch::parse_shard("3/2"); }), "between 0 and 1"));
        QVERIFY(contains(test::expect_error([] { batch::parse_shard("2/2"); }), "between 0 and 1"));
        QVERIFY(contains(test::expect_error([] { batch::parse_shard("0/0"); }), "at least 1"));
        QVERIFY(contains(test::expect_error([] { batch::parse_shard("1"); }), "no '/'"));
        QVERIFY(contains(test::expect_error([] { batch::parse_shard("-1/4"); }), "not a whole number"));
        QVERIFY(contains(test::expect_error([] { batch::parse_shard("a/4"); }), "not a whole number"));
        QVERIFY(contains(test::expect_error([] { batch::parse_shard("1/"); }), "not a whole number"));
    }

    void journalRecovery() {
        const std::vector<std::string> names = synthetic_names();
        const batch::RunInfo run = synthetic_run(names, {0, 1});
        const std::string path = dir_ + "/j.partial";
        {
            batch::Journal j = batch::Journal::create(path, run, {2, -1});
            for (size_t i = 0; i < 5; ++i) j.append(synthetic_record(names, i));
            QCOMPARE(j.syncs(), 2);  // after records 2 and 4
        }
        {
            batch::Journal j = batch::Journal::create(path, run, {0, 0.0});  // every record
            for (size_t i = 0; i < 5; ++i) j.append(synthetic_record(names, i));
            QCOMPARE(j.syncs(), 5);
        }
        const std::string good = read_file(path);
        // a torn last record (the process died in the middle of a write) is dropped and cut off
        write_file(path, good + "{\"i\":5,\"file_na");
        std::map<int64_t, batch::ImageRecord> recs;
        int torn = 0;
        {
            batch::Journal j = batch::Journal::resume(path, run, {}, recs, &torn);
            QCOMPARE(torn, 1);
            QCOMPARE(int(recs.size()), 5);
            QCOMPARE(read_file(path), good);
            j.append(synthetic_record(names, 5));
        }
        recs.clear();
        {
            batch::Journal held = batch::Journal::resume(path, run, {}, recs, &torn);
            std::map<int64_t, batch::ImageRecord> other;
            const std::string busy = test::expect_error([&] { batch::Journal::resume(path, run, {}, other); });
            QVERIFY2(contains(busy, "another batch run is writing this journal"), busy.c_str());
        }
        recs.clear();
        batch::Journal::resume(path, run, {}, recs, &torn);
        QCOMPARE(torn, 0);
        QCOMPARE(int(recs.size()), 6);
        QVERIFY(!recs.at(4).ok);
        QCOMPARE(recs.at(2).annotations.size(), size_t(2));
        QCOMPARE(recs.at(2).annotations[1].counts, synthetic_record(names, 2).annotations[1].counts);

        // another run's journal is refused, naming the difference
        batch::RunInfo other = run;
        other.categories[1] = "wolf";
        const std::string msg = test::expect_error([&] { batch::Journal::resume(path, other, {}, recs); });
        QVERIFY2(contains(msg, "categories") && contains(msg, "wolf") && contains(msg, "delete the file"), msg.c_str());
        write_file(dir_ + "/not-journal.partial", "{\"images\":[]}\n");
        QVERIFY(contains(test::expect_error([&] { batch::Journal::resume(dir_ + "/not-journal.partial", run, {}, recs); }),
                         "not a progress journal"));
    }

    void documentIsValidCoco() {
        const std::vector<std::string> names = synthetic_names();
        const json doc = json::parse(synthetic_doc(names, {0, 1}));
        QCOMPARE(doc["images"].size(), names.size() - 1);
        QCOMPARE(doc["info"]["xsam_batch"]["failed_images"].size(), size_t(1));
        QCOMPARE(doc["info"]["xsam_batch"]["failed_images"][0]["file_name"].get<std::string>(), names[4]);
        QVERIFY(!doc["info"]["xsam_batch"].contains("shard"));
        int64_t want_id = 0;
        for (const json& a : doc["annotations"]) {
            QCOMPARE(a["id"].get<int64_t>(), ++want_id);  // 1..M in image order
            QCOMPARE(a["iscrowd"].get<int>(), 0);
            const json& img = doc["images"][size_t(0)];
            (void)img;
        }
        for (size_t k = 0; k < doc["images"].size(); ++k) {
            const json& im = doc["images"][k];
            const int64_t id = im["id"].get<int64_t>();
            QCOMPARE(im["file_name"].get<std::string>(), names[size_t(id - 1)]);
        }
        QCOMPARE(doc["categories"][2]["name"].get<std::string>(), std::string("traffic light"));
        QCOMPARE(doc["categories"][2]["id"].get<int>(), 3);
    }

    void mergeEqualsFullRun() {
        const std::vector<std::string> names = synthetic_names();
        const std::string full = synthetic_doc(names, {0, 1});
        for (int n : {2, 3, 5, 40}) {  // 40 shards: some are empty
            std::vector<std::pair<std::string, std::string>> parts;
            for (int i = n - 1; i >= 0; --i)  // any order
                parts.emplace_back("part-" + std::to_string(i), synthetic_doc(names, {i, n}));
            MergeReport rep;
            const std::string merged = merge_coco_texts(parts, &rep);
            QVERIFY2(merged == full, qPrintable(QString("%1 shards").arg(n)));
            QCOMPARE(rep.shards, n);
            QCOMPARE(rep.failed_images, 1);
            QCOMPARE(rep.images, int(names.size()) - 1);
        }
        // the merge of a full run alone is the full run
        QVERIFY(merge_coco_texts({{"full", full}}) == full);
    }

    void mergeBadInputs() {
        const std::vector<std::string> names = synthetic_names();
        const std::string p0 = synthetic_doc(names, {0, 2}), p1 = synthetic_doc(names, {1, 2});
        auto err = [](std::vector<std::pair<std::string, std::string>> parts) {
            return test::expect_error([&] { merge_coco_texts(parts); });
        };
        auto edit = [](const std::string& text, const std::function<void(json&)>& f) {
            json j = json::parse(text);
            f(j);
            return j.dump();
        };
        std::string m;
        m = err({{"a.json", p0}, {"b.json", p0}});
        QVERIFY2(contains(m, "shard 0/2 is given twice") && contains(m, "a.json") && contains(m, "b.json"), m.c_str());
        m = err({{"a.json", p0}});
        QVERIFY2(contains(m, "1 of 2 shards missing (1/2)"), m.c_str());
        // categories must agree by name
        const std::string renamed = edit(p1, [](json& j) {
            j["categories"][1]["name"] = "wolf";
            j["info"]["xsam_batch"]["categories"][1] = "wolf";
        });
        m = err({{"a.json", p0}, {"b.json", renamed}});
        QVERIFY2(contains(m, "do not agree on the categories") && contains(m, "wolf") && contains(m, "b.json"), m.c_str());
        // categories[] disagreeing with the part's own header
        m = err({{"a.json", edit(p0, [](json& j) { j["categories"][0]["name"] = "kitten"; })}, {"b.json", p1}});
        QVERIFY2(contains(m, "a.json: categories") && contains(m, "kitten"), m.c_str());
        m = err({{"a.json", p0}, {"b.json", edit(p1, [](json& j) { j["info"]["xsam_batch"]["params"]["task"] = "ovseg"; })}});
        QVERIFY2(contains(m, "different settings") && contains(m, "params.task"), m.c_str());
        m = err({{"a.json", p0}, {"b.json", edit(p1, [](json& j) { j["info"]["xsam_batch"]["images_listed"] = 99; })}});
        QVERIFY2(contains(m, "different image lists"), m.c_str());
        m = err({{"a.json", p0}, {"b.json", synthetic_doc(names, {1, 3})}});
        QVERIFY2(contains(m, "different numbers of shards"), m.c_str());
        // malformed parts name the file and the field
        m = err({{"a.json", p0.substr(0, p0.size() / 2)}, {"b.json", p1}});
        QVERIFY2(contains(m, "a.json: malformed JSON"), m.c_str());
        m = err({{"plain.json", R"({"info":{},"licenses":[],"images":[],"annotations":[],"categories":[]})"}});
        QVERIFY2(contains(m, "plain.json: info.xsam_batch: missing") && contains(m, "not an output of `xsam-cli batch`"),
                 m.c_str());
        m = err({{"a.json", edit(p0, [](json& j) { j["annotations"][0]["category_id"] = 9; })}, {"b.json", p1}});
        QVERIFY2(contains(m, "a.json: annotations[0].category_id: 9 is not a category"), m.c_str());
        m = err({{"a.json", edit(p0, [](json& j) { j["annotations"][0]["image_id"] = "1"; })}, {"b.json", p1}});
        QVERIFY2(contains(m, "a.json: annotations[0].image_id: expected an integer, got a string"), m.c_str());
        m = err({{"a.json", edit(p0, [](json& j) { j["annotations"][0]["segmentation"]["size"] = {1, 1}; })},
                 {"b.json", p1}});
        QVERIFY2(contains(m, "a.json: annotations[0].segmentation.size: expected ["), m.c_str());
        m = err({{"a.json", edit(p0, [](json& j) { j["images"].push_back(j["images"][0]); })}, {"b.json", p1}});
        QVERIFY2(contains(m, "appears twice"), m.c_str());
        // an image moved into the wrong part (a duplicated or hand-edited file)
        m = err({{"a.json", edit(p0, [&](json& j) { j["images"][0]["file_name"] = json::parse(p1)["images"][0]["file_name"]; })},
                 {"b.json", p1}});
        QVERIFY2(contains(m, "does not belong to shard 0/2"), m.c_str());
        m = err({});
        QVERIFY2(contains(m, "at least one part"), m.c_str());
    }

    void mergeCliWritesNothingOnError() {
        if (qgetenv("XS_CLI").isEmpty()) QFAIL("XS_CLI not set");
        const std::vector<std::string> names = synthetic_names();
        const std::string a = dir_ + "/m-a.json", b = dir_ + "/m-b.json", out = dir_ + "/m-out.json";
        write_file(a, synthetic_doc(names, {0, 2}));
        write_file(b, synthetic_doc(names, {1, 2}));
        fs::remove(out);
        Run r = cli({"merge-coco", q(a), q(b), "--out", q(out)});
        QVERIFY2(r.code == 0, r.err.c_str());
        QVERIFY(read_file(out) == synthetic_doc(names, {0, 1}));
        const json summary = json::parse(r.out);
        QCOMPARE(summary["shards"].get<int>(), 2);

        // errors: exit 1, a message, and the existing output untouched (no temporary files either)
        write_file(out, "previous");
        r = cli({"merge-coco", q(a), "--out", q(out)});
        QCOMPARE(r.code, 1);
        QVERIFY2(contains(r.err, "xsam-cli: error: ") && contains(r.err, "missing"), r.err.c_str());
        r = cli({"merge-coco", q(a), q(dir_ + "/no-such.json"), "--out", q(out)});
        QCOMPARE(r.code, 1);
        QVERIFY2(contains(r.err, "no-such.json: cannot open the part file (No such file or directory)"), r.err.c_str());
        write_file(dir_ + "/trunc.json", read_file(b).substr(0, 100));
        r = cli({"merge-coco", q(a), q(dir_ + "/trunc.json"), "--out", q(out)});
        QCOMPARE(r.code, 1);
        QVERIFY2(contains(r.err, "trunc.json: malformed JSON"), r.err.c_str());
        r = cli({"merge-coco", "--out", q(out)});
        QCOMPARE(r.code, 1);
        QVERIFY2(contains(r.err, "needs the part files"), r.err.c_str());
        QCOMPARE(read_file(out), std::string("previous"));
        for (const auto& e : fs::directory_iterator(dir_))
            QVERIFY2(!contains(e.path().filename().string(), ".tmp-"), e.path().c_str());
    }
};

QTEST_APPLESS_MAIN(TestBatchUnits)
#include "test_batch_units.moc"
