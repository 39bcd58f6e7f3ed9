// xsam-cli batch end to end with the X-SAM engine on the tiny random-weight model: the output is valid COCO
// in the GUI's image order; N shards merged by merge-coco equal one full run byte for byte; a run stopped
// by --max-images, by SIGTERM or by SIGKILL (with a torn journal line) and then resumed writes the same
// bytes as an uninterrupted run; unreadable images are listed, not fatal (exit 3); bad inputs give a clear
// message, exit 1 and write nothing.
#include <QtTest/QtTest>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/coco/batch.h"
#include "core/coco/coco.h"

using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const std::string& bytes) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
}

// A binary PPM (P6) or PGM (P5) with a deterministic pattern: blobs on a gradient.
void write_pnm(const std::string& path, int w, int h, int seed, bool grey = false) {
    std::string data = std::string(grey ? "P5\n" : "P6\n") + std::to_string(w) + " " + std::to_string(h) + "\n255\n";
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const bool blob = ((x - w / 3) * (x - w / 3) + (y - h / 2) * (y - h / 2)) < (w * h) / (8 + seed);
            for (int c = 0; c < (grey ? 1 : 3); ++c)
                data += char(blob ? (200 - 40 * c + seed * 7) % 256 : (x * 5 + y * 3 + c * 60 + seed * 11) % 256);
        }
    write_file(path, data);
}

struct Run {
    int code = -1;
    std::string out, err;
};

QString cli_path() { return QString::fromLocal8Bit(qgetenv("XS_CLI")); }

Run cli(const QStringList& args, int timeout_ms = 180000) {
    QProcess p;
    p.start(cli_path(), args);
    Run r;
    if (!p.waitForFinished(timeout_ms)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out";
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = p.readAllStandardOutput().toStdString();
    r.err = p.readAllStandardError().toStdString();
    return r;
}

// Runs the commands at the same time (independent runs; the suite's wall time is mostly process start-up).
std::vector<Run> cli_many(const std::vector<QStringList>& commands, int timeout_ms = 180000) {
    std::vector<std::unique_ptr<QProcess>> procs;
    for (const QStringList& args : commands) {
        procs.push_back(std::make_unique<QProcess>());
        procs.back()->start(cli_path(), args);
    }
    std::vector<Run> runs(procs.size());
    for (size_t i = 0; i < procs.size(); ++i) {
        QProcess& p = *procs[i];
        if (!p.waitForFinished(timeout_ms)) {
            p.kill();
            p.waitForFinished();
            runs[i].err = "timed out";
            continue;
        }
        runs[i].code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
        runs[i].out = p.readAllStandardOutput().toStdString();
        runs[i].err = p.readAllStandardError().toStdString();
    }
    return runs;
}

QString q(const std::string& s) { return QString::fromStdString(s); }
bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

int count_lines(const std::string& path) {
    const std::string t = read_file(path);
    return int(std::count(t.begin(), t.end(), '\n'));
}

}  // namespace

class TestBatch : public QObject {
    Q_OBJECT
    std::string tmp_, model_, data_, full_, full_text_;
    const std::string cats_ = "cat,dog,traffic light";
    std::vector<std::string> expected_;  // the list in natural order

    QStringList base(const std::string& out) const {
        return {"batch", "--images", q(data_), "--model", q(model_), "--categories", q(cats_), "--out", q(out),
                "--score-threshold", "0.02", "--threads", "1", "--progress", "lines"};
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(fs::exists(cli_path().toStdString()), "XS_CLI not built");
        tmp_ = qgetenv("XS_TEST_TMP").toStdString();
        const std::string src = qgetenv("XS_SOURCE_DIR").toStdString();
        for (const char* d : {"/model", "/data", "/runs", "/bad"}) fs::remove_all(tmp_ + d);
        fs::create_directories(tmp_ + "/runs");
        model_ = tmp_ + "/model";
        Run r = cli({"init-random-weights", "--config", q(src + "/models/xsam-tiny.json"), "--out", q(model_), "--seed", "3"});
        QVERIFY2(r.code == 0, r.err.c_str());

        data_ = tmp_ + "/data";
        write_pnm(data_ + "/img1.ppm", 48, 40, 1);
        write_pnm(data_ + "/img2.ppm", 64, 48, 2);
        write_pnm(data_ + "/img10.ppm", 33, 57, 3);
        write_pnm(data_ + "/IMG4.ppm", 40, 40, 4);
        write_pnm(data_ + "/img11.ppm", 70, 30, 5);
        write_pnm(data_ + "/sub/deeper/b1.pgm", 40, 30, 6, true);
        write_pnm(data_ + "/sub/a3.ppm", 52, 44, 7);
        fs::copy_file(src + "/resources/samples/chelsea.png", data_ + "/sub/chelsea.png");
        write_file(data_ + "/broken.png", "this is not a PNG file");   // listed, unreadable
        write_pnm(data_ + "/.hidden/h.ppm", 20, 20, 8);                 // hidden folder: not listed
        write_file(data_ + "/notes.txt", "not an image");
        expected_ = {"broken.png", "img1.ppm", "img2.ppm", "IMG4.ppm", "img10.ppm", "img11.ppm",
                     "sub/a3.ppm", "sub/chelsea.png", "sub/deeper/b1.pgm"};

        // The reference: one uninterrupted, unsharded run.
        full_ = tmp_ + "/runs/full.json";
        QElapsedTimer t;
        t.start();
        r = cli(base(full_));
        QVERIFY2(r.code == 3, (r.err + r.out).c_str());  // 3: done, one image could not be read
        qInfo("full run of %zu images: %.1f s (%s)", expected_.size(), t.elapsed() / 1000.0, r.out.c_str());
        full_text_ = read_file(full_);
        QVERIFY(!full_text_.empty());
        QVERIFY(!fs::exists(full_ + ".partial"));
        QVERIFY2(contains(r.err, "batch: ") && contains(r.err, "img/s") && contains(r.err, "ETA"), r.err.c_str());
        QVERIFY2(contains(r.err, "cannot label broken.png"), r.err.c_str());
    }

    void fullRunIsValidCoco() {
        const json doc = json::parse(full_text_);
        const json& xb = doc["info"]["xsam_batch"];
        QCOMPARE(xb["images_listed"].get<size_t>(), expected_.size());
        QCOMPARE(xb["failed_images"].size(), size_t(1));
        QCOMPARE(xb["failed_images"][0]["file_name"].get<std::string>(), std::string("broken.png"));
        QCOMPARE(xb["failed_images"][0]["id"].get<int>(), 1);
        const std::string why = xb["failed_images"][0]["error"];
        QVERIFY2(contains(why, "broken.png") && !contains(why, tmp_), why.c_str());  // relative, no machine paths
        QCOMPARE(xb["params"]["model"].get<std::string>(), std::string("model"));
        // images: the GUI's order, ids = position in the list + 1
        QCOMPARE(doc["images"].size(), expected_.size() - 1);
        for (const json& im : doc["images"]) {
            const int id = im["id"];
            QCOMPARE(im["file_name"].get<std::string>(), expected_[size_t(id - 1)]);
        }
        QCOMPARE(doc["images"][0]["file_name"].get<std::string>(), std::string("img1.ppm"));
        QCOMPARE(doc["images"][6]["width"].get<int>(), 451);  // chelsea.png
        // categories in the given order, ids 1..3
        QCOMPARE(doc["categories"].size(), size_t(3));
        QCOMPARE(doc["categories"][2]["name"].get<std::string>(), std::string("traffic light"));
        QCOMPARE(doc["categories"][2]["id"].get<int>(), 3);
        // annotations 1..M, every image has some at this threshold, every category is used
        QVERIFY(doc["annotations"].size() >= doc["images"].size());
        std::set<int> images_with, cats_used;
        int64_t id = 0;
        for (const json& a : doc["annotations"]) {
            QCOMPARE(a["id"].get<int64_t>(), ++id);
            images_with.insert(a["image_id"].get<int>());
            cats_used.insert(a["category_id"].get<int>());
            QVERIFY(a["score"].get<double>() >= 0.02 && a["score"].get<double>() <= 1.0);
            QCOMPARE(a["iscrowd"].get<int>(), 0);
        }
        QCOMPARE(images_with.size(), doc["images"].size());
        QCOMPARE(cats_used, (std::set<int>{1, 2, 3}));
        // the project's own strict COCO reader accepts it, every mask against the real image sizes
        xs::CocoImportOptions opt;
        opt.images_dir = data_;
        opt.check_images = true;
        xs::CocoImportReport rep;
        const xs::Project p = xs::coco_from_json(full_text_, "full.json", opt, &rep);
        QCOMPARE(int64_t(p.instance_count()), int64_t(doc["annotations"].size()));
        QCOMPARE(rep.rle_segmentations, int(doc["annotations"].size()));
        for (const xs::ImageRecord& im : p.images)
            for (const xs::Instance& inst : im.instances) QVERIFY(xs::rle_area(inst.mask) > 0);
    }

    void shardsMergedEqualFullRun() {
        const int n = 3;
        QStringList parts;
        std::vector<QStringList> commands;
        for (int i = 0; i < n; ++i) {
            parts << q(tmp_ + "/runs/part-" + std::to_string(i) + ".json");
            commands.push_back(base(parts.back().toStdString()) << "--shard" << q(std::to_string(i) + "/" + std::to_string(n)));
        }
        const std::vector<Run> runs = cli_many(commands);
        std::set<std::string> seen;
        for (int i = 0; i < n; ++i) {
            const Run& r = runs[size_t(i)];
            const bool has_broken = xs::batch::in_shard("broken.png", {i, n});
            QVERIFY2(r.code == (has_broken ? 3 : 0), (r.err + r.out).c_str());
            const json doc = json::parse(read_file(parts[i].toStdString()));
            QCOMPARE(doc["info"]["xsam_batch"]["shard"].get<std::string>(), std::to_string(i) + "/" + std::to_string(n));
            for (const json& im : doc["images"]) {
                const std::string f = im["file_name"];
                QVERIFY(xs::batch::in_shard(f, {i, n}));
                QVERIFY(seen.insert(f).second);
            }
        }
        QCOMPARE(seen.size(), expected_.size() - 1);
        // merged in any order: byte for byte the unsharded run
        std::reverse(parts.begin(), parts.end());
        const std::string merged = tmp_ + "/runs/merged.json";
        const Run r = cli(QStringList{"merge-coco"} << parts << "--out" << q(merged));
        QVERIFY2(r.code == 0, r.err.c_str());
        QVERIFY2(read_file(merged) == full_text_, "the merged shards differ from the full run");
        const json summary = json::parse(r.out);
        QCOMPARE(summary["failed_images"].get<int>(), 1);
        QCOMPARE(summary["shards"].get<int>(), n);
    }

    void resumeAfterMaxImages() {
        const std::string out = tmp_ + "/runs/resume.json", journal = out + ".partial";
        QStringList a = base(out);
        Run r = cli(QStringList(a) << "--max-images" << "3");
        QVERIFY2(r.code == 4, (r.err + r.out).c_str());
        QVERIFY2(contains(r.err, "--resume"), r.err.c_str());
        QVERIFY(!fs::exists(out));
        QCOMPARE(count_lines(journal), 1 + 3);  // header + 3 images
        const std::string j3 = read_file(journal);

        // without --resume: refused, nothing touched
        r = cli(a);
        QCOMPARE(r.code, 1);
        QVERIFY2(contains(r.err, "--resume") && contains(r.err, ".partial"), r.err.c_str());
        QVERIFY(read_file(journal) == j3);
        // with other settings: refused, naming what differs, nothing touched
        QStringList other = a;
        other[other.indexOf("--categories") + 1] = "cat,dog,bus";
        r = cli(other << "--resume");
        QCOMPARE(r.code, 1);
        QVERIFY2(contains(r.err, "categories") && contains(r.err, "bus") && contains(r.err, "other settings"),
                 r.err.c_str());
        QVERIFY(read_file(journal) == j3);
        QVERIFY(!fs::exists(out));

        r = cli(QStringList(a) << "--resume" << "--max-images" << "2");
        QVERIFY2(r.code == 4, (r.err + r.out).c_str());
        // broken.png (first in the list) failed: failed images are tried again on --resume
        QVERIFY2(contains(r.err, "2 already done"), r.err.c_str());
        QCOMPARE(count_lines(journal), 1 + 5);
        r = cli(QStringList(a) << "--resume");
        QVERIFY2(r.code == 3, (r.err + r.out).c_str());
        QCOMPARE(json::parse(r.out)["resumed"].get<int>(), 3);
        QVERIFY2(read_file(out) == full_text_, "the resumed run differs from the uninterrupted one");
        QVERIFY(!fs::exists(journal));
    }

    void resumeAfterSigtermAndSigkill() {
        for (int sig : {SIGTERM, SIGKILL}) {
            const std::string out = tmp_ + "/runs/killed-" + std::to_string(sig) + ".json", journal = out + ".partial";
            QProcess p;
            p.start(cli_path(), base(out));
            QVERIFY(p.waitForStarted());
            QElapsedTimer t;
            t.start();
            while (count_lines(journal) < 1 + 3 && t.elapsed() < 120000 && p.state() == QProcess::Running)
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            QVERIFY2(p.state() == QProcess::Running, "the run ended before it could be interrupted");
            ::kill(pid_t(p.processId()), sig);
            QVERIFY(p.waitForFinished(60000));
            QVERIFY(!fs::exists(out));
            if (sig == SIGTERM) {  // a clean stop: exit 128 + 15, journal kept, a message
                QCOMPARE(p.exitStatus(), QProcess::NormalExit);
                QCOMPARE(p.exitCode(), 128 + SIGTERM);
                QVERIFY(contains(p.readAllStandardError().toStdString(), "terminated"));
            } else {               // no chance to clean up; also a torn last line as if killed mid-write
                QCOMPARE(p.exitStatus(), QProcess::CrashExit);
                std::ofstream(journal, std::ios::app) << "{\"i\":7,\"file_name\":\"sub/ch";
            }
            const int done = count_lines(journal) - 1;
            QVERIFY(done >= 3 && done < int(expected_.size()));
            const Run r = cli(QStringList(base(out)) << "--resume");
            QVERIFY2(r.code == 3, (r.err + r.out).c_str());
            if (sig == SIGKILL) QVERIFY2(contains(r.err, "dropped a torn last record"), r.err.c_str());
            QVERIFY2(read_file(out) == full_text_, qPrintable(QString("resumed after signal %1 differs").arg(sig)));
            QVERIFY(!fs::exists(journal));
        }
    }

    void clusterJobFilesSimulated() {
        // packaging/cluster/simulate-local.sh: the Slurm array script once per SLURM_ARRAY_TASK_ID and its
        // merge step; the Kubernetes Indexed Job's container script once per JOB_COMPLETION_INDEX and the
        // merge Job's script. Both results must be the unsharded run's bytes.
        const std::string src = qgetenv("XS_SOURCE_DIR").toStdString();
        const std::string sim = tmp_ + "/sim";
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("XS_CLI", cli_path());
        env.insert("XS_IMAGES", q(data_));
        env.insert("XS_MODEL", q(model_));
        env.insert("XS_OUT_DIR", q(sim));
        env.insert("XS_CATEGORIES", q(cats_));
        env.insert("XS_DEVICE", "cpu");
        env.insert("XS_THREADS", "1");
        env.insert("XS_EXTRA_ARGS", "--score-threshold 0.02");
        p.setProcessEnvironment(env);
        p.start("bash", {q(src + "/packaging/cluster/simulate-local.sh"), "--shards", "2"});
        QVERIFY(p.waitForFinished(240000));
        const std::string out = p.readAllStandardOutput().toStdString(), err = p.readAllStandardError().toStdString();
        QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, (out + err).c_str());
        QVERIFY2(contains(out, "Indexed, completions 8 = XS_SHARDS"), out.c_str());
        for (const char* m : {"/slurm/", "/k8s/"}) {
            QVERIFY2(read_file(sim + m + "instances.json") == full_text_, m);
            for (int i = 0; i < 2; ++i) QVERIFY(fs::exists(sim + m + "part-" + std::to_string(i) + ".json"));
        }
        const std::string log = read_file(sim + "/slurm/log.txt");
        QVERIFY2(contains(log, "some images could not be read"), log.c_str());  // exit 3 reported, not fatal
    }

    void otherTasks() {
        // The grounded caption: one category, a caption per image and a phrase per annotation.
        const std::string dir = tmp_ + "/data2";
        fs::remove_all(dir);
        write_pnm(dir + "/a.ppm", 40, 32, 1);
        write_pnm(dir + "/b.ppm", 36, 36, 2);
        const std::string out = tmp_ + "/runs/caption.json";
        Run r = cli({"batch", "--images", q(dir), "--model", q(model_), "--task", "caption", "--out", q(out),
                     "--threads", "1", "--progress", "none"});
        QVERIFY2(r.code == 0, (r.err + r.out).c_str());
        json doc = json::parse(read_file(out));
        QCOMPARE(doc["categories"].size(), size_t(1));
        QCOMPARE(doc["categories"][0]["name"].get<std::string>(), std::string("object"));
        QCOMPARE(doc["info"]["xsam_batch"]["params"]["task"].get<std::string>(), std::string("gcg"));
        QCOMPARE(doc["images"].size(), size_t(2));
        for (const json& a : doc["annotations"]) QVERIFY(a.contains("phrase"));
        // A fixed referring expression: one mask per image, labelled with the given category.
        r = cli({"batch", "--images", q(dir), "--model", q(model_), "--task", "referring", "--text", "the red blob",
                 "--categories", "blob", "--out", q(out), "--threads", "1", "--progress", "none"});
        QVERIFY2(r.code == 0, (r.err + r.out).c_str());
        doc = json::parse(read_file(out));
        QCOMPARE(doc["categories"][0]["name"].get<std::string>(), std::string("blob"));
        QVERIFY(doc["annotations"].size() <= 2);
        QCOMPARE(doc["info"]["xsam_batch"]["params"]["text"].get<std::string>(), std::string("the red blob"));
    }

    void badInputs() {
        const std::string empty = tmp_ + "/bad/empty";
        fs::create_directories(empty);
        write_file(tmp_ + "/bad/textonly/readme.txt", "no images here");
        struct Case {
            Case(QStringList a, std::string m, bool with_model = true, std::string o = "")
                : args(std::move(a)), message(std::move(m)), model(with_model), out(std::move(o)) {}
            QStringList args;
            std::string message;
            bool model;       // pass --model and --threads (the classic engine takes neither)
            std::string out;  // "" = out.json in the case's own folder, "-" = no --out
        };
        const std::string m = model_;
        const QStringList common = {"--model", q(m), "--threads", "1"};
        const std::vector<Case> cases = {
                 {{"--images", q(tmp_ + "/no-such-folder"), "--categories", "cat"}, "no-such-folder: no such folder"},
                 {{"--images", q(data_), "--categories", "cat", "--shard", "3/2"}, "must be between 0 and 1"},
                 {{"--images", q(data_), "--categories", "cat", "--shard", "0/0"}, "must be at least 1"},
                 {{"--images", q(tmp_ + "/bad/textonly"), "--categories", "cat"}, "no images found"},
                 {{"--images", q(data_), "--task", "interactive"}, "needs prompts drawn on each image"},
                 {{"--images", q(data_)}, "needs --categories"},
                 {{"--images", q(data_), "--categories", "cat,,dog"}, "category 2 is empty"},
                 {{"--images", q(data_), "--categories", "cat,cat"}, "\"cat\" is given twice"},
                 {{"--images", q(data_), "--categories", "cat", "--engine", "classic"},
                  "engine 'classic' does not support the task 'generic'", false},
                 {{"--images", q(data_), "--categories", "cat", "--score-threshold", "2"}, "between 0 and 1"},
                 {{"--images", q(data_), "--task", "gcg", "--categories", "a,b"}, "at most one name"},
                 {{"--images", q(data_), "--task", "referring"}, "needs --text"},
                 {{"--images", q(data_), "--categories", "cat"}, "does not exist", true, tmp_ + "/bad/missing-dir/out.json"},
                 {{"--images", q(data_), "--categories", "cat"}, "missing required option --out", true, "-"},
                 {{"--images", q(data_), "--categories", "cat", "--model", q(empty)}, "xsam-cli: error: ", false},
        };
        std::vector<QStringList> commands;
        for (size_t k = 0; k < cases.size(); ++k) {
            const std::string dir = tmp_ + "/bad/case" + std::to_string(k);
            fs::create_directories(dir);
            const std::string out = cases[k].out.empty() ? dir + "/out.json" : cases[k].out;
            commands.push_back(QStringList{"batch"} << cases[k].args << (cases[k].model ? common : QStringList())
                                                    << (out == "-" ? QStringList() : QStringList{"--out", q(out)}));
        }
        const std::vector<Run> runs = cli_many(commands);
        for (size_t k = 0; k < cases.size(); ++k) {
            const Case& c = cases[k];
            const Run& r = runs[k];
            QVERIFY2(r.code == 1, qPrintable(c.args.join(' ') + " -> " + QString::number(r.code)));
            QVERIFY2(contains(r.err, "xsam-cli: error: ") && contains(r.err, c.message),
                     qPrintable(c.args.join(' ') + " -> " + q(r.err)));
            QVERIFY2(fs::is_empty(tmp_ + "/bad/case" + std::to_string(k)), qPrintable("wrote something: " + c.args.join(' ')));
        }
        QVERIFY(!fs::exists(tmp_ + "/bad/missing-dir"));
        QVERIFY(fs::is_empty(empty));
    }
};

QTEST_APPLESS_MAIN(TestBatch)
#include "test_batch.moc"
