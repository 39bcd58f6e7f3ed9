// xsam-cli export / import / formats end to end.
#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>

#include "core/io/project_file.h"
#include "tests/formats/fixture.h"

using namespace xs;
using namespace xs::test;

namespace {

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

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

class TestFormatsCli : public QObject {
    Q_OBJECT
    std::string dir_, project_;

private Q_SLOTS:
    void initTestCase() {
        dir_ = scratch("cli");
        project_ = dir_ + "/p.json";
        const Run r = cli({"import-coco", q(bench_dir() + "/instances.json"), "--images", q(bench_dir() + "/images"),
                           "--project", q(project_)});
        QVERIFY2(r.code == 0, r.err.c_str());
    }

    void cocoThroughTheInterfaceIsExportCoco() {
        for (const char* polygons : {"", "--polygons"}) {
            QStringList a = {"export-coco", q(project_), "--out", q(dir_ + "/old.json")};
            QStringList b = {"export", q(project_), "--format", "coco", "--out", q(dir_ + "/new.json")};
            if (*polygons) {
                a << polygons;
                b << polygons;
            }
            Run r = cli(a);
            QVERIFY2(r.code == 0, r.err.c_str());
            r = cli(b);
            QVERIFY2(r.code == 0, r.err.c_str());
            QVERIFY(r.out.find("exported " + project_ + " to " + dir_ + "/new.json as coco: 40 image(s), 57 instance(s), 0 skipped") == 0);
            QCOMPARE(read_file(dir_ + "/new.json"), read_file(dir_ + "/old.json"));
        }
    }

    void yoloExportPrintsLossesPerImageAndImportsBack() {
        Run r = cli({"export", q(project_), "--format", "yolo-seg", "--out", q(dir_ + "/yolo"), "--val-fraction", "0.2"});
        QVERIFY2(r.code == 0, r.err.c_str());
        // Every stamps-bench instance carries a custom attribute ("stamp"), which YOLO cannot hold.
        QVERIFY2(r.out.find("\n  0002.jpg: 2 instances with attributes, 1 instances with holes filled (143 mask pixels "
                            "differ, worst IoU 0.9683)\n") != std::string::npos,
                 r.out.c_str());
        QVERIFY2(r.out.find("lost in total: 57 instances with attributes, 29 instances with holes filled; worst IoU of a "
                            "mask read back: 0.9324") != std::string::npos,
                 r.out.c_str());
        r = cli({"import", q(dir_ + "/yolo"), "--format", "yolo-seg", "--images", q(bench_dir() + "/images"), "--project",
                 q(dir_ + "/back.json")});
        QVERIFY2(r.code == 0, r.err.c_str());
        QVERIFY2(r.out.find("40 image(s) added, 0 matched; 20 categories added, 0 matched; 57 instance(s)") != std::string::npos,
                 r.out.c_str());
    }

    void groundingSurvivesExportAndImportThroughTheCli() {
        // A project with grounding data, saved as a project file, exported and imported by the CLI.
        const std::string grounded = dir_ + "/grounded.json";
        Project p = grounded_bench();
        std::ofstream(grounded) << project_to_json(p);
        for (const char* format : {"refcoco", "gcg", "vgd"}) {
            const std::string out = dir_ + "/g-" + format + (std::string(format) == "refcoco" ? "" : ".json");
            Run r = cli({"export", q(grounded), "--format", format, "--out", q(out)});
            QVERIFY2(r.code == 0, r.err.c_str());
            const std::string back = dir_ + "/g-" + format + "-back.json";
            r = cli({"import", q(out), "--format", format, "--images", q(bench_dir() + "/images"), "--project", q(back)});
            QVERIFY2(r.code == 0, r.err.c_str());
            r = cli({"info", q(back)});
            QVERIFY2(r.code == 0, r.err.c_str());
            const char* expected = std::string(format) == "refcoco" ? "0 instance prompt(s), 32 referring sentence(s), 0 caption(s), 0 episode(s)"
                                   : std::string(format) == "gcg"   ? "caption(s)"
                                                                    : "0 caption(s), 8 episode(s)";
            QVERIFY2(r.out.find(expected) != std::string::npos, r.out.c_str());
            // refcoco and vgd write COCO annotations, which also bring back stamps-bench's attributes
            // ("stamp"): version 3. gcg does not carry them.
            const char* version = std::string(format) == "gcg" ? "(format version 2)" : "(format version 3)";
            QVERIFY2(r.out.find(version) != std::string::npos, r.out.c_str());
        }
        const Run r = cli({"export", q(grounded), "--format", "coco", "--out", q(dir_ + "/g.json")});
        QVERIFY2(r.out.find("lost in total: ") != std::string::npos && r.out.find("32 referring sentences") != std::string::npos,
                 r.out.c_str());
    }

    void badUsageIsRefusedAndWritesNothing() {
        Run r = cli({"export", q(project_), "--format", "pascal", "--out", q(dir_ + "/x")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.find("unknown format \"pascal\"") != std::string::npos, r.err.c_str());
        r = cli({"export", q(project_), "--format", "yolo-seg", "--out", q(dir_ + "/x"), "--polygons"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.find("unknown option --polygons") != std::string::npos, r.err.c_str());
        r = cli({"export", q(project_), "--format", "yolo-seg", "--out", q(bench_dir() + "/images")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.find("would replace a folder holding the image") != std::string::npos, r.err.c_str());
        r = cli({"export", q(project_), "--format", "yolo-seg", "--out", q(project_)});
        QCOMPARE(r.code, 1);
        QVERIFY(!fs::exists(dir_ + "/x"));
        // A bad import leaves the project file as it was.
        const std::string before = read_file(project_);
        fs::create_directories(dir_ + "/bad");
        std::ofstream(dir_ + "/bad/data.yaml") << "train: nowhere.txt\nnames: [a]\n";
        r = cli({"import", q(dir_ + "/bad"), "--format", "yolo-seg", "--images", q(bench_dir() + "/images"), "--project", q(project_)});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.find("nowhere.txt") != std::string::npos, r.err.c_str());
        QCOMPARE(read_file(project_), before);
    }

    void formatsListsWhatEachCannotCarry() {
        const Run r = cli({"formats"});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.find("yolo-seg: ") != std::string::npos);
        QVERIFY(r.out.find("cannot carry: holes") != std::string::npos);
        QVERIFY(r.out.find("export --val-fraction VALUE") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestFormatsCli)
#include "test_formats_cli.moc"
