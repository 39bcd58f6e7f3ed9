// Image file fingerprints in the project (changed-on-disk detection, backward-compatible format)
// and the sweep of stale "<file>.tmp-<pid>-<n>" temporaries next to projects and COCO exports.
#include <QtTest>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "core/coco/coco.h"
#include "core/io/file_stamp.h"
#include "core/io/project_file.h"
#include "core/util/error.h"

using namespace xs;

namespace {

std::string tmp_dir(const char* sub) {
    const QByteArray t = qgetenv("XS_TEST_TMP");
    const std::string dir = (t.isEmpty() ? std::string("/tmp/xs-test-images-project") : std::string(t.constData())) + "/" + sub;
    QDir(QString::fromStdString(dir)).removeRecursively();
    QDir().mkpath(QString::fromStdString(dir));
    return dir;
}

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
}

bool exists(const std::string& path) { return QFileInfo::exists(QString::fromStdString(path)); }

// The pid of a process that has exited and been reaped.
pid_t dead_pid() {
    const pid_t p = fork();
    if (p == 0) _exit(0);
    int st = 0;
    waitpid(p, &st, 0);
    return p;
}

}  // namespace

class TestImagesProject : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void stamp_detects_changes() {
        const std::string dir = tmp_dir("stamp");
        std::string small(1000, 'a');
        write_bytes(dir + "/small.png", small);
        std::string big(300 * 1024, 'b');
        write_bytes(dir + "/big.png", big);
        ImageRecord s, b;
        record_image_file(s, dir + "/small.png");
        record_image_file(b, dir + "/big.png");
        QCOMPARE(s.file_size, int64_t(1000));
        QVERIFY(s.file_hash.rfind("fnv1a64:", 0) == 0);
        QCOMPARE(s.file_hash.size(), size_t(8 + 16));
        QCOMPARE(check_image_file(s, dir + "/small.png"), FileState::Same);
        QCOMPARE(check_image_file(b, dir + "/big.png"), FileState::Same);
        ImageRecord none;
        QCOMPARE(check_image_file(none, dir + "/small.png"), FileState::Unrecorded);

        // Same size, one byte in the middle of a small file (hashed whole): changed.
        small[500] = 'z';
        write_bytes(dir + "/small.png", small);
        std::string detail;
        QCOMPARE(check_image_file(s, dir + "/small.png", &detail), FileState::Changed);
        QVERIFY2(detail.find("same size") != std::string::npos, detail.c_str());
        // Same size, a byte near the end of a big file: changed.
        big[big.size() - 10] = 'z';
        write_bytes(dir + "/big.png", big);
        QCOMPARE(check_image_file(b, dir + "/big.png"), FileState::Changed);
        // Documented blind spot: same size, a byte in the middle of a big file (neither end).
        big[big.size() - 10] = 'b';
        big[150 * 1024] = 'z';
        write_bytes(dir + "/big.png", big);
        QCOMPARE(check_image_file(b, dir + "/big.png"), FileState::Same);
        // Size change, and a missing file.
        write_bytes(dir + "/big.png", big + "x");
        QCOMPARE(check_image_file(b, dir + "/big.png", &detail), FileState::Changed);
        QVERIFY2(detail.find("size") != std::string::npos, detail.c_str());
        QFile::remove(QString::fromStdString(dir + "/small.png"));
        QCOMPARE(check_image_file(s, dir + "/small.png"), FileState::Missing);

        Project p;
        p.add_image("small.png", 10, 10);
        p.images.back().file_size = s.file_size;
        p.images.back().file_hash = s.file_hash;
        p.add_image("big.png", 10, 10);
        p.images.back().file_size = b.file_size;
        p.images.back().file_hash = b.file_hash;
        p.add_image("new.png", 10, 10);  // never fingerprinted: not reported
        const auto problems = find_changed_image_files(p, dir);
        QCOMPARE(int(problems.size()), 2);
        QCOMPARE(problems[0].file_name, std::string("small.png"));
        QCOMPARE(problems[0].state, FileState::Missing);
        QCOMPARE(problems[1].file_name, std::string("big.png"));
        QCOMPARE(problems[1].state, FileState::Changed);
    }

    void project_file_keeps_fingerprints_and_reads_old_files() {
        const std::string dir = tmp_dir("format");
        Project p;
        p.image_root = ".";
        p.add_image("a.jpg", 40, 30);
        ImageRecord& b = p.add_image("b.jpg", 40, 30);
        b.file_size = 12345;
        b.file_hash = "fnv1a64:0123456789abcdef";
        const std::string text = project_to_json(p);
        QVERIFY(text.find("\"file\"") != std::string::npos);
        const Project q = project_from_json(text, "p.json");
        QCOMPARE(q.images[0].file_size, int64_t(-1));
        QVERIFY(q.images[0].file_hash.empty());
        QCOMPARE(q.images[1].file_size, int64_t(12345));
        QCOMPARE(q.images[1].file_hash, b.file_hash);
        QCOMPARE(project_to_json(q), text);

        // A file written before fingerprints existed loads; the next save adds them once recorded.
        const std::string old_text =
            "{\"format\": \"xsam-studio-project\", \"version\": 1, \"image_root\": \".\",\n"
            " \"next_ids\": {\"category\": 1, \"image\": 2, \"instance\": 1}, \"categories\": [],\n"
            " \"images\": [{\"id\": 1, \"file_name\": \"a.jpg\", \"width\": 4, \"height\": 3, \"instances\": []}]}\n";
        write_bytes(dir + "/old.json", old_text);
        Project o = load_project(dir + "/old.json");
        QCOMPARE(o.images[0].file_size, int64_t(-1));
        write_bytes(dir + "/a.jpg", "abc");
        record_image_file(o.images[0], dir + "/a.jpg");
        save_project(o, dir + "/old.json");
        const Project o2 = load_project(dir + "/old.json");
        QCOMPARE(o2.images[0].file_size, int64_t(3));
        QCOMPARE(o2.images[0].file_hash, o.images[0].file_hash);

        // Malformed fingerprints are rejected with the field named.
        std::string bad = text;
        bad.replace(bad.find("12345"), 5, "-4");
        try {
            project_from_json(bad, "p.json");
            QFAIL("negative size accepted");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("images[1].file.size") != std::string::npos, e.what());
        }
    }

    void cli_info_lists_changed_images() {
        const std::string dir = tmp_dir("info");
        write_bytes(dir + "/same.jpg", "same bytes");
        write_bytes(dir + "/edited.jpg", "original");
        write_bytes(dir + "/gone.jpg", "soon gone");
        Project p;
        p.image_root = ".";
        for (const char* name : {"same.jpg", "edited.jpg", "gone.jpg"}) {
            ImageRecord& r = p.add_image(name, 8, 8);
            record_image_file(r, dir + "/" + name);
        }
        p.add_image("never-seen.jpg", 8, 8);
        save_project(p, dir + "/p.json");
        write_bytes(dir + "/edited.jpg", "modified");  // same size, other bytes
        QFile::remove(QString::fromStdString(dir + "/gone.jpg"));
        QProcess cli;
        cli.start(qEnvironmentVariable("XS_CLI"), {"info", QString::fromStdString(dir + "/p.json")});
        QVERIFY(cli.waitForFinished(60000));
        const QString out = QString::fromUtf8(cli.readAllStandardOutput());
        QCOMPARE(cli.exitCode(), 0);
        QVERIFY2(out.contains("image files: 3 fingerprinted, 2 changed or missing"), qPrintable(out));
        QVERIFY2(out.contains("changed  edited.jpg: same size but different content"), qPrintable(out));
        QVERIFY2(out.contains("missing  gone.jpg"), qPrintable(out));
        QVERIFY2(!out.contains("same.jpg:") && !out.contains("never-seen.jpg"), qPrintable(out));
    }

    void stale_temporaries_are_swept() {
        const std::string dir = tmp_dir("sweep");
        const pid_t dead = dead_pid();
        const std::string proj = dir + "/p.json";
        const std::string stale = proj + ".tmp-" + std::to_string(dead) + "-0";
        const std::string stale2 = proj + ".tmp-" + std::to_string(dead) + "-17";
        const std::string mine = proj + ".tmp-" + std::to_string(getpid()) + "-99";  // a live process: ours
        const std::string other = dir + "/q.json.tmp-" + std::to_string(dead) + "-0";  // another file's
        const std::string odd = proj + ".tmp-12x-3";                                    // not the pattern
        for (const std::string& f : {stale, stale2, mine, other, odd}) write_bytes(f, "partial");
        Project p;
        save_project(p, proj);
        QVERIFY(!exists(stale));
        QVERIFY(!exists(stale2));
        QVERIFY(exists(mine));
        QVERIFY(exists(other));
        QVERIFY(exists(odd));
        // Opening sweeps too.
        write_bytes(stale, "partial");
        load_project(proj);
        QVERIFY(!exists(stale));
        QCOMPARE(sweep_stale_temp_files(proj), 0);

        // A COCO export target is swept when written.
        const std::string coco = dir + "/out.coco.json";
        const std::string coco_stale = coco + ".tmp-" + std::to_string(dead) + "-3";
        write_bytes(coco_stale, "{\"images\": [");
        write_coco(p, coco, CocoExportOptions{}, nullptr);
        QVERIFY(exists(coco));
        QVERIFY(!exists(coco_stale));
        QVERIFY(exists(mine));
        QFile::remove(QString::fromStdString(mine));
    }
};

QTEST_APPLESS_MAIN(TestImagesProject)
#include "test_images_project.moc"
