// No silent data loss (issue 19). One test per finding of the issue, each of which failed on the code
// before it, plus the fault tests: disk full, a read-only project, concurrent writers, outputs over
// inputs, odd file names. Every one asserts that no completed save is lost.
//
// Processes are started with fork/exec and byte-string arguments (not QProcess), so file names that
// are not valid UTF-8 reach xsam-cli exactly.
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QProcess>
#include <QtTest/QtTest>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/annotation/project_merge.h"
#include "core/coco/batch.h"
#include "core/coco/coco.h"
#include "core/io/fallback_project.h"
#include "core/io/json_names.h"
#include "core/io/output_guard.h"
#include "core/io/project_file.h"
#include "core/io/project_lock.h"
#include "core/util/limits.h"
#include "core/util/utf8.h"
#include "tests/harness/error_message.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using xs::test::expect_error;

namespace {

// Names that broke batch and the GUI: not UTF-8 (Latin-1 e-acute), and a newline.
const std::string kLatin1Name = "caf\xe9.pgm";
const std::string kNewlineName = "two\nlines.pgm";

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

// A small binary PGM with a bright disc, decodable by every reader of the project.
void write_pgm(const std::string& path, int w, int h, int seed) {
    std::string data = "P5\n" + std::to_string(w) + " " + std::to_string(h) + "\n255\n";
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const bool disc = (x - w / 2) * (x - w / 2) + (y - h / 2) * (y - h / 2) < (w * h) / 10;
            data += char(disc ? 220 - seed : (x * 3 + y * 5 + seed * 17) % 200);
        }
    write_file(path, data);
}

struct Run {
    int code = -1;
    std::string out, err;
};

// Runs argv (byte strings), stdout and stderr captured through files; waits.
Run run_process(const std::vector<std::string>& argv, const std::string& scratch) {
    const std::string out_path = scratch + "/.stdout", err_path = scratch + "/.stderr";
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int o = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int e = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(o, 1);
        ::dup2(e, 2);
        std::vector<char*> args;
        for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        std::_Exit(127);
    }
    Run r;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    r.out = read_file(out_path);
    r.err = read_file(err_path);
    fs::remove(out_path);
    fs::remove(err_path);
    return r;
}

std::string cli_path() { return qgetenv("XS_CLI").toStdString(); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A project with one image and one instance (a square) of category "object".
xs::Project small_project(const std::string& image_name, int w, int h) {
    xs::Project p;
    p.image_root = ".";
    const int cat = p.add_category("object").id;
    xs::ImageRecord& img = p.add_image(image_name, w, h);
    xs::Mask m(w, h);
    for (int y = 2; y < h / 2; ++y)
        for (int x = 2; x < w / 2; ++x) m.set(x, y, true);
    p.add_instance(img, cat, xs::rle_encode(m));
    return p;
}

// A COCO file over the given images (each w x h): one polygon per image, category "thing".
std::string coco_for(const std::vector<std::string>& names, int w, int h) {
    json doc;
    doc["images"] = json::array();
    doc["annotations"] = json::array();
    for (size_t i = 0; i < names.size(); ++i) {
        json img = {{"id", i + 1}, {"width", w}, {"height", h}};
        xs::jsonr::put_name(img, "file_name", names[i]);
        doc["images"].push_back(img);
        doc["annotations"].push_back({{"id", i + 1},
                                      {"image_id", i + 1},
                                      {"category_id", 1},
                                      {"segmentation", {{2, 2, 20, 2, 20, 18, 2, 18}}},
                                      {"area", 288},
                                      {"bbox", {2, 2, 18, 16}},
                                      {"iscrowd", 0}});
    }
    doc["categories"] = {{{"id", 1}, {"name", "thing"}}};
    return doc.dump();
}

std::set<std::string> category_names(const xs::Project& p) {
    std::set<std::string> names;
    for (const xs::Category& c : p.categories) names.insert(c.name);
    return names;
}

// Mounts a small tmpfs at dir (root only); false with the reason otherwise.
bool mount_tmpfs(const std::string& dir, const std::string& size, std::string& why) {
    if (::geteuid() != 0) {
        why = "not running as root, so no tmpfs can be mounted";
        return false;
    }
    fs::create_directories(dir);
    const std::string opts = "size=" + size + ",mode=0777";
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, opts.c_str()) != 0) {
        why = std::string("mount tmpfs failed: ") + std::strerror(errno);
        return false;
    }
    return true;
}

}  // namespace

class TestSafety : public QObject {
    Q_OBJECT
    std::string dir_;
    std::string sources_;

    std::string fresh(const std::string& name) {
        const std::string d = dir_ + "/" + name;
        fs::remove_all(d);
        fs::create_directories(d);
        return d;
    }
    Run cli(std::vector<std::string> args) {
        args.insert(args.begin(), cli_path());
        return run_process(args, dir_);
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(fs::exists(cli_path()), "XS_CLI not built");
        dir_ = qgetenv("XS_TEST_TMP").toStdString() + "/safety";
        sources_ = qgetenv("XS_SOURCE_DIR").toStdString();
        for (const char* m : {"/tmpfs-full", "/tmpfs-ro"}) ::umount2((dir_ + m).c_str(), MNT_DETACH);  // a crashed run's
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }

    // ---- Finding 1: two writers, last save wins, silently ----------------------------------------

    void lockNamesHolderAndRefusesSecondWriter() {
        const std::string d = fresh("lock");
        const std::string project = d + "/xsam-project.json";
        xs::LockAttempt first = xs::try_lock_project(project, "test_safety");
        QVERIFY2(first.lock, first.problem.c_str());
        QVERIFY(!first.stale);
        QVERIFY(fs::exists(xs::project_lock_path(project)));
        // A second writer, even in the same process, is told who holds it.
        xs::LockAttempt second = xs::try_lock_project(project, "second window");
        QVERIFY(!second.lock);
        QVERIFY(second.holder);
        QCOMPARE(second.holder->program, std::string("test_safety"));
        QCOMPARE(second.holder->pid, int64_t(::getpid()));
        QVERIFY(contains(second.holder->describe(), "test_safety (pid " + std::to_string(::getpid()) + " on "));
        QVERIFY(xs::project_lock_holder(project));
        const std::string msg = expect_error([&] { xs::lock_project_or_throw(project, "xsam-cli import-coco"); });
        QVERIFY2(contains(msg, "is open for writing in test_safety (pid"), msg.c_str());
        // Released: the file goes and the next writer gets the lock, with no stale holder.
        first.lock.reset();
        QVERIFY(!fs::exists(xs::project_lock_path(project)));
        QVERIFY(!xs::project_lock_holder(project));
        xs::LockAttempt third = xs::try_lock_project(project, "third");
        QVERIFY(third.lock);
        QVERIFY(!third.stale);
    }

    void staleLockOfKilledProcessIsTakenOver() {
        const std::string d = fresh("stale");
        const std::string project = d + "/xsam-project.json";
        QProcess holder;
        holder.start(QStringLiteral(XS_SAFETY_DRIVER), {QStringLiteral("hold-lock"), QString::fromStdString(project)});
        QVERIFY(holder.waitForReadyRead(20000));
        const QString line = QString::fromUtf8(holder.readLine()).trimmed();
        QVERIFY2(line.startsWith("locked "), qPrintable(line));
        const int64_t pid = line.mid(7).toLongLong();
        // While it runs: held, and the holder is that process.
        std::optional<xs::LockHolder> h = xs::project_lock_holder(project);
        QVERIFY(h);
        QCOMPARE(h->pid, pid);
        QCOMPARE(h->program, std::string("xs_safety_driver"));
        QVERIFY(!xs::try_lock_project(project, "test_safety").lock);
        // Killed without releasing: the lock file stays, but the kernel dropped the lock.
        ::kill(pid_t(pid), SIGKILL);
        QVERIFY(holder.waitForFinished(20000));
        QVERIFY(fs::exists(xs::project_lock_path(project)));
        QVERIFY(!xs::project_lock_holder(project));
        xs::LockAttempt taken = xs::try_lock_project(project, "test_safety");
        QVERIFY(taken.lock);
        QVERIFY(taken.stale);
        QCOMPARE(taken.stale->pid, pid);
    }

    void cliImportRefusedWhileProjectIsOpen() {
        const std::string d = fresh("import-locked");
        write_pgm(d + "/a.pgm", 40, 30, 1);
        write_file(d + "/in.json", coco_for({"a.pgm"}, 40, 30));
        const std::string project = d + "/xsam-project.json";
        xs::save_project(small_project("a.pgm", 40, 30), project);
        const std::string before = read_file(project);
        {
            xs::ProjectLock gui = xs::lock_project_or_throw(project, "xsam-studio");
            const Run r = cli({"import-coco", d + "/in.json", "--images", d, "--project", project});
            QCOMPARE(r.code, 1);
            QVERIFY2(contains(r.err, "is open for writing in xsam-studio (pid " + std::to_string(::getpid())), r.err.c_str());
            QCOMPARE(read_file(project), before);
        }
        const Run r = cli({"import-coco", d + "/in.json", "--images", d, "--project", project});
        QVERIFY2(r.code == 0, r.err.c_str());
        QCOMPARE(xs::load_project(project).instance_count(), int64_t(2));
        QVERIFY(!fs::exists(xs::project_lock_path(project)));
    }

    void checkedSaveKeepsBothVersions() {
        const std::string d = fresh("checked");
        const std::string path = d + "/p.json";
        xs::save_project(small_project("a.pgm", 40, 30), path);
        xs::DiskVersion v;
        xs::Project mine = xs::load_project(path, &v);
        QVERIFY(v.exists);
        mine.add_category("mine");
        // Someone else writes a version of their own (a new file, as every atomic writer does)...
        xs::Project theirs = xs::load_project(path);
        theirs.add_category("theirs");
        xs::save_project(theirs, path);
        const std::string theirs_bytes = read_file(path);
        // ...so ours is refused, theirs stays, ours is kept beside it and named.
        try {
            xs::save_project(mine, path, v);
            QFAIL("the save over another version succeeded");
        } catch (const xs::SaveConflict& e) {
            QVERIFY2(contains(e.what(), "was changed by another program"), e.what());
            QVERIFY2(contains(e.what(), e.kept_copy), e.what());
            QVERIFY(contains(e.kept_copy, "/p.json.mine-"));
            QCOMPARE(read_file(path), theirs_bytes);
            QCOMPARE(read_file(e.kept_copy), xs::project_to_json(mine));
        }
        // An edit in place (same inode) is seen too.
        xs::DiskVersion v2;
        xs::Project again = xs::load_project(path, &v2);
        {
            std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(0);
            f << " ";  // the text starts with '{': same size, new content
        }
        QVERIFY_THROWS_EXCEPTION(xs::SaveConflict, xs::save_project(again, path, v2));
        // A file that must not exist yet is not replaced when it appeared meanwhile.
        QVERIFY_THROWS_EXCEPTION(xs::SaveConflict, xs::save_project(again, d + "/p.json", xs::DiskVersion{}));
        // The version a save returns is what the next save expects: no false conflicts.
        xs::DiskVersion v3 = xs::save_project(again, d + "/new.json", xs::DiskVersion{});
        for (int i = 0; i < 5; ++i) {
            again.add_category("c" + std::to_string(i));
            v3 = xs::save_project(again, d + "/new.json", v3);
        }
        QCOMPARE(read_file(d + "/new.json"), xs::project_to_json(again));
    }

    void autosaverStopsAndKeepsMineAfterConflict() {
        const std::string d = fresh("autosave");
        const std::string path = d + "/p.json";
        xs::save_project(small_project("a.pgm", 40, 30), path);
        xs::DiskVersion v;
        xs::Project p = xs::load_project(path, &v);
        std::vector<std::string> errors;
        std::mutex m;
        xs::Autosaver saver(path, v, [&](const std::string& e) {
            std::lock_guard<std::mutex> lock(m);
            errors.push_back(e);
        });
        p.add_category("first");
        saver.submit(p);
        saver.flush();
        QCOMPARE(saver.saves_completed(), int64_t(1));
        QVERIFY(!saver.conflict());
        // Another program (a CLI import, a second window) replaces the file.
        xs::Project other = xs::load_project(path);
        other.add_category("imported");
        xs::save_project(other, path);
        const std::string theirs = read_file(path);
        p.add_category("second");
        saver.submit(p);
        saver.flush();
        QCOMPARE(read_file(path), theirs);  // not replaced
        const std::optional<xs::Autosaver::Conflict> c = saver.conflict();
        QVERIFY(c);
        QCOMPARE(read_file(c->kept_copy), xs::project_to_json(p));
        QCOMPARE(errors.size(), size_t(1));
        QVERIFY2(contains(errors[0], c->kept_copy), errors[0].c_str());
        // Later snapshots go to the same copy; the project file is left alone, one message only.
        p.add_category("third");
        saver.submit(p);
        saver.flush();
        QCOMPARE(read_file(path), theirs);
        QCOMPARE(read_file(c->kept_copy), xs::project_to_json(p));
        QCOMPARE(errors.size(), size_t(1));
        QCOMPARE(saver.saves_completed(), int64_t(1));
        // The user keeps theirs aside and chooses ours: the next save replaces the file.
        const std::string theirs_copy = xs::keep_side_copy(path, "theirs");
        QCOMPARE(read_file(theirs_copy), theirs);
        saver.adopt_disk_version();
        QVERIFY(!saver.conflict());
        saver.submit(p);
        saver.flush();
        QCOMPARE(read_file(path), xs::project_to_json(p));
        QCOMPARE(saver.saves_completed(), int64_t(2));
    }

    // Three processes load, change and save one project as fast as they can. Every save a process
    // reports as done must be in the final file (each save was made on top of all earlier ones), and
    // every refused one in the side copy it names. The unchecked save, run the same way, loses saves:
    // the test can tell.
    void racingWritersLoseNoCompletedSave() {
        for (const bool checked : {true, false}) {
            const std::string d = fresh(checked ? "race" : "race-unchecked");
            const std::string path = d + "/p.json";
            xs::save_project(small_project("a.pgm", 40, 30), path);
            constexpr int kWriters = 3, kSaves = 120;
            std::vector<pid_t> pids;
            for (int w = 0; w < kWriters; ++w) {
                const pid_t pid = ::fork();
                if (pid == 0) {
                    const std::string out = d + "/writer-" + std::to_string(w) + ".log";
                    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
                    ::dup2(fd, 1);
                    const std::string tag = "w" + std::to_string(w), n = std::to_string(kSaves);
                    if (checked) ::execl(XS_SAFETY_DRIVER, XS_SAFETY_DRIVER, "race", path.c_str(), tag.c_str(), n.c_str(), nullptr);
                    else ::execl(XS_SAFETY_DRIVER, XS_SAFETY_DRIVER, "race", path.c_str(), tag.c_str(), n.c_str(), "unchecked", nullptr);
                    std::_Exit(127);
                }
                pids.push_back(pid);
            }
            for (pid_t pid : pids) {
                int status = 0;
                QCOMPARE(::waitpid(pid, &status, 0), pid);
                QVERIFY(WIFEXITED(status) && WEXITSTATUS(status) == 0);
            }
            const std::set<std::string> final_names = category_names(xs::load_project(path));
            int saved = 0, refused = 0, lost = 0;
            for (int w = 0; w < kWriters; ++w) {
                std::istringstream log(read_file(d + "/writer-" + std::to_string(w) + ".log"));
                std::string kind, copy;
                int k = 0;
                while (log >> kind >> k) {
                    const std::string mark = "w" + std::to_string(w) + "-" + std::to_string(k);
                    if (kind == "S") {
                        ++saved;
                        if (!final_names.count(mark)) ++lost;
                    } else {
                        QCOMPARE(kind, std::string("C"));
                        log >> copy;
                        ++refused;
                        QVERIFY2(category_names(xs::load_project(copy)).count(mark), copy.c_str());
                    }
                }
            }
            QCOMPARE(saved + refused, kWriters * kSaves);
            qInfo("%s: %d saves done, %d refused (kept in side copies), %d done saves missing from the final file",
                  checked ? "checked" : "unchecked (negative control)", saved, refused, lost);
            if (checked) {
                QCOMPARE(lost, 0);
                QVERIFY2(refused > 0, "the writers never met: the race did not happen");
            } else {
                QVERIFY2(lost > 0, "the unchecked writers lost nothing: this race cannot show a loss");
            }
        }
    }

    // ---- Finding 2: outputs written over inputs -------------------------------------------------

    void outputsOverInputsAreRefused() {
        const std::string d = fresh("over");
        write_pgm(d + "/a.pgm", 40, 30, 1);
        const std::string project = d + "/p.json";
        xs::save_project(small_project("a.pgm", 40, 30), project);
        const std::string project_bytes = read_file(project), image_bytes = read_file(d + "/a.pgm");
        fs::create_symlink("p.json", d + "/link.json");
        fs::create_hard_link(project, d + "/hard.json");
        fs::create_directories(d + "/sub");
        for (const std::string& out : {project, d + "/link.json", d + "/hard.json", d + "/sub/../p.json"}) {
            const Run r = cli({"export-coco", project, "--out", out});
            QCOMPARE(r.code, 1);
            QVERIFY2(contains(r.err, "is the same file as the project"), r.err.c_str());
        }
        Run r = cli({"export-coco", project, "--out", d + "/a.pgm"});
        QCOMPARE(r.code, 1);
        QVERIFY2(contains(r.err, "is the same file as the image"), r.err.c_str());
        // batch: the output, and its journal, never land on an image (checked before any engine runs).
        r = cli({"batch", "--images", d, "--out", d + "/a.pgm", "--engine", "classic", "--task", "generic",
                 "--categories", "x"});
        QCOMPARE(r.code, 1);
        QVERIFY2(contains(r.err, "--out " + d + "/a.pgm is the same file as the image"), r.err.c_str());
        fs::create_symlink("a.pgm", d + "/out.json.partial");
        r = cli({"batch", "--images", d, "--out", d + "/out.json", "--engine", "classic", "--task", "generic",
                 "--categories", "x"});
        QCOMPARE(r.code, 1);
        QVERIFY2(contains(r.err, "the progress journal " + d + "/out.json.partial is the same file as the image"),
                 r.err.c_str());
        fs::remove(d + "/out.json.partial");
        // segment: the mask never replaces the photo or the input mask.
        r = cli({"segment", "--image", d + "/a.pgm", "--point", "20,15", "--out-mask", d + "/a.pgm"});
        QCOMPARE(r.code, 1);
        QVERIFY2(contains(r.err, "is the same file as the image"), r.err.c_str());
        // merge-coco: the output is not one of the parts.
        write_file(d + "/part0.json", "{}");
        const std::string part_bytes = read_file(d + "/part0.json");
        r = cli({"merge-coco", d + "/part0.json", d + "/part1.json", "--out", d + "/part0.json"});
        QCOMPARE(r.code, 1);
        QVERIFY2(contains(r.err, "is the same file as the part file"), r.err.c_str());
        // import-coco: the project is not the COCO file it reads.
        r = cli({"import-coco", project, "--images", d, "--project", project});
        QCOMPARE(r.code, 1);
        QVERIFY2(contains(r.err, "is the same file as the COCO file"), r.err.c_str());
        // Nothing was written anywhere.
        QCOMPARE(read_file(project), project_bytes);
        QCOMPARE(read_file(d + "/a.pgm"), image_bytes);
        QCOMPARE(read_file(d + "/part0.json"), part_bytes);
        for (const auto& e : fs::directory_iterator(d))
            QVERIFY2(!contains(e.path().filename().string(), ".tmp-"), e.path().c_str());
        // The core helper itself: different files are not confused, missing ones compare by path.
        QVERIFY(!xs::same_file(project, d + "/a.pgm"));
        QVERIFY(xs::same_file(d + "/nowhere/x", d + "/nowhere/../nowhere/x"));
        QVERIFY(xs::same_file(project, d + "/hard.json"));
    }

    void modelFolderOutputsOverInputsAreRefused() {
#ifdef XS_HAVE_XSAM
        const std::string d = fresh("model-over");
        fs::copy_file(sources_ + "/models/xsam-tiny.json", d + "/config.json");
        const std::string before = read_file(d + "/config.json");
        const Run r = cli({"init-random-weights", "--config", d + "/config.json", "--out", d, "--tokenizer",
                           sources_ + "/models/xsam-tiny.tokenizer.model"});
        QCOMPARE(r.code, 1);
        QVERIFY2(contains(r.err, "is the same file as the --config file"), r.err.c_str());
        QCOMPARE(read_file(d + "/config.json"), before);
        QVERIFY(!fs::exists(d + "/model.safetensors"));
#else
        QSKIP("built without LibTorch: init-random-weights and convert-checkpoint are not in this xsam-cli");
#endif
    }

    // ---- Finding 3: replacing a file this program did not write -----------------------------------

    void overwriteConfirmationForFilesNotWrittenHere() {
        const std::string d = fresh("confirm");
        const std::string path = d + "/annotations.coco.json";
        QVERIFY(!xs::needs_overwrite_confirmation(path));  // nothing there
        write_file(path, "{\"hand\": \"edited\"}");
        QVERIFY(xs::needs_overwrite_confirmation(path));  // not ours: ask
        xs::atomic_write_file(path, "{}");
        QVERIFY(!xs::needs_overwrite_confirmation(path));  // ours, untouched since
        write_file(path, "{\"edited\": 1}");
        QVERIFY(xs::needs_overwrite_confirmation(path));  // changed since we wrote it: ask again
    }

    // ---- Finding 4: file names that are not UTF-8 (and names with newlines) ----------------------

    void oddNamesRoundTripProjectAndCoco() {
        // The escaping itself.
        QCOMPARE(xs::escape_name_bytes("caf\xe9 100%.jpg"), std::string("caf%E9 100%25.jpg"));
        QCOMPARE(*xs::unescape_name_bytes("caf%E9 100%25.jpg"), std::string("caf\xe9 100%.jpg"));
        QVERIFY(!xs::unescape_name_bytes("bad%zz"));
        QVERIFY(!xs::unescape_name_bytes("cut%E"));
        QCOMPARE(xs::utf8_display("caf\xe9.jpg"), std::string("caf\xef\xbf\xbd.jpg"));
        QVERIFY(xs::is_valid_utf8("\xc3\xa9 \xf0\x9f\x98\x80"));
        for (const char* bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe9"}) QVERIFY(!xs::is_valid_utf8(bad));

        // Project file: both names and a non-UTF-8 image root survive save and load.
        const std::string d = fresh("odd-project");
        xs::Project p = small_project(kLatin1Name, 40, 30);
        p.add_image(kNewlineName, 40, 30);
        p.image_root = "/data/\xff-folder";
        xs::save_project(p, d + "/p.json");
        const json doc = json::parse(read_file(d + "/p.json"));  // valid JSON
        QCOMPARE(doc["images"][0]["file_name_bytes"].get<std::string>(), std::string("caf%E9.pgm"));
        QVERIFY(!doc["images"][1].contains("file_name_bytes"));  // a newline is valid UTF-8: plain JSON
        const xs::Project back = xs::load_project(d + "/p.json");
        QCOMPARE(back.images[0].file_name, kLatin1Name);
        QCOMPARE(back.images[1].file_name, kNewlineName);
        QCOMPARE(back.image_root, p.image_root);
        // A hand edit of one of the two fields is caught, not silently resolved.
        json edited = doc;
        edited["images"][0]["file_name"] = "other.pgm";
        QVERIFY(contains(expect_error([&] { xs::project_from_json(edited.dump(), "p.json"); }),
                         "p.json: images[0].file_name_bytes: names \"caf\xef\xbf\xbd.pgm\", but file_name is \"other.pgm\""));

        // COCO end to end through xsam-cli with real files of those names: import, export, import again.
        const std::string images = d + "/images";
        fs::create_directories(images);
        write_pgm(images + "/" + kLatin1Name, 40, 30, 1);
        write_pgm(images + "/" + kNewlineName, 40, 30, 2);
        write_file(d + "/in.json", coco_for({kLatin1Name, kNewlineName}, 40, 30));
        Run r = cli({"import-coco", d + "/in.json", "--images", images, "--project", d + "/proj.json"});
        QVERIFY2(r.code == 0, r.err.c_str());
        const xs::Project imported = xs::load_project(d + "/proj.json");
        QCOMPARE(imported.images.size(), size_t(2));
        QCOMPARE(imported.images[0].file_name, kLatin1Name);
        QCOMPARE(imported.images[1].file_name, kNewlineName);
        r = cli({"export-coco", d + "/proj.json", "--out", d + "/out.json"});
        QVERIFY2(r.code == 0, r.err.c_str());
        const json out = json::parse(read_file(d + "/out.json"));
        QCOMPARE(out["images"][0]["file_name_bytes"].get<std::string>(), std::string("caf%E9.pgm"));
        QCOMPARE(out["images"][1]["file_name"].get<std::string>(), kNewlineName);
        r = cli({"import-coco", d + "/out.json", "--images", images, "--project", d + "/proj2.json"});
        QVERIFY2(r.code == 0, r.err.c_str());
        r = cli({"export-coco", d + "/proj2.json", "--out", d + "/out2.json"});
        QVERIFY2(r.code == 0, r.err.c_str());
        QCOMPARE(read_file(d + "/out2.json"), read_file(d + "/out.json"));
        // A name with a backslash is a Linux name when such a file exists (not a Windows path).
        write_pgm(images + "/back\\slash.pgm", 40, 30, 3);
        write_file(d + "/bs.json", coco_for({"back\\slash.pgm"}, 40, 30));
        r = cli({"import-coco", d + "/bs.json", "--images", images, "--project", d + "/bs-proj.json"});
        QVERIFY2(r.code == 0, r.err.c_str());
        QCOMPARE(xs::load_project(d + "/bs-proj.json").images[0].file_name, std::string("back\\slash.pgm"));

        // Batch journal and output records, and the merge of parts, keep the bytes too.
        xs::batch::ImageRecord rec;
        rec.index = 0;
        rec.file_name = kLatin1Name;
        rec.error = kLatin1Name + ": cannot decode";
        const json jr = json::parse(xs::batch::record_to_json(rec).dump());
        QCOMPARE(xs::batch::record_from_json(jr, "journal").file_name, kLatin1Name);
        QVERIFY(xs::batch::list_fingerprint({"a\nb", "c"}) != xs::batch::list_fingerprint({"a", "b\nc"}));
        QCOMPARE(xs::batch::list_fingerprint({"a", "b"}), xs::batch::list_fingerprint({"a", "b"}));
    }

    void oddNamesBatchAndResume() {
#ifdef XS_HAVE_XSAM
        const std::string d = fresh("odd-batch");
        const std::string images = d + "/images", model = d + "/model";
        fs::create_directories(images);
        write_pgm(images + "/" + kLatin1Name, 64, 48, 1);
        write_pgm(images + "/" + kNewlineName, 64, 48, 2);
        write_pgm(images + "/plain.pgm", 64, 48, 3);
        Run r = cli({"init-random-weights", "--config", sources_ + "/models/xsam-tiny.json", "--out", model, "--seed", "1"});
        QVERIFY2(r.code == 0, r.err.c_str());
        const std::vector<std::string> common = {"batch", "--images", images, "--model", model, "--task", "generic",
                                                 "--categories", "object,thing", "--threads", "1", "--progress", "none"};
        std::vector<std::string> full = common;
        full.insert(full.end(), {"--out", d + "/full.json"});
        r = cli(full);
        QVERIFY2(r.code == 0, (r.err + r.out).c_str());
        const json out = json::parse(read_file(d + "/full.json"));
        QCOMPARE(out["images"].size(), size_t(3));
        std::set<std::string> names;
        for (const json& img : out["images"]) names.insert(xs::jsonr::get_name(img, "file_name", "full.json", "images"));
        QVERIFY(names.count(kLatin1Name) && names.count(kNewlineName) && names.count("plain.pgm"));
        // Stopped after one image, resumed: byte for byte the uninterrupted run.
        std::vector<std::string> part = common;
        part.insert(part.end(), {"--out", d + "/resumed.json", "--max-images", "1"});
        r = cli(part);
        QCOMPARE(r.code, 4);
        part.resize(common.size() + 2);
        part.push_back("--resume");
        r = cli(part);
        QVERIFY2(r.code == 0, r.err.c_str());
        QCOMPARE(read_file(d + "/resumed.json"), read_file(d + "/full.json"));
#else
        QSKIP("built without LibTorch: batch needs the X-SAM engine");
#endif
    }

    // ---- Finding 5: --threads 100000 -----------------------------------------------------------

    void absurdThreadCountsAreRefused() {
        const std::string d = fresh("threads");
        write_pgm(d + "/a.pgm", 40, 30, 1);
        Run r = cli({"segment", "--image", d + "/a.pgm", "--point", "20,15", "--threads", "100000"});
        QCOMPARE(r.code, 1);
        QVERIFY2(contains(r.err, "--threads 100000: at most " + std::to_string(xs::max_thread_count())), r.err.c_str());
        r = cli({"batch", "--images", d, "--out", d + "/o.json", "--task", "generic", "--categories", "x", "--threads",
                 "100000"});
        QCOMPARE(r.code, 1);
        QVERIFY2(contains(r.err, "--threads 100000: at most"), r.err.c_str());
        QVERIFY(!fs::exists(d + "/o.json.partial"));
        QCOMPARE(xs::parse_thread_count("0", "--threads"), 0);
        QCOMPARE(xs::parse_thread_count(std::to_string(xs::max_thread_count()), "--threads"), xs::max_thread_count());
        QVERIFY(contains(expect_error([] { xs::parse_thread_count("-1", "--threads"); }), "must be >= 0"));
        QVERIFY(contains(expect_error([] { xs::parse_thread_count("2x", "--threads"); }), "expected a whole number"));
    }

    // ---- Finding 6: annotations made while the folder was read-only -------------------------------

    void readOnlyFallbackIsFoundAndRestored() {
        const std::string d = fresh("fallback");
        const std::string folder = d + "/birds", projects = d + "/app-data/projects";
        fs::create_directories(folder);
        fs::create_directories(projects);
        const std::string folder_project = folder + "/xsam-project.json";
        xs::Project base = small_project("a.pgm", 40, 30);
        xs::save_project(base, folder_project);
        // Nothing to offer yet.
        QVERIFY(!xs::find_newer_fallback(folder, projects, folder_project));
        // The copy the GUI kept while the folder was read-only (named as the GUI of 0.1 named it):
        // the folder's project plus two new instances and a new image, saved later.
        xs::Project copy = base;
        copy.image_root = fs::canonical(folder).string();
        xs::ImageRecord& img = *copy.find_image("a.pgm");
        const int cat = copy.add_category("bird").id;
        xs::Mask m(40, 30);
        m.set(30, 20, true);
        copy.add_instance(img, cat, xs::rle_encode(m));
        copy.add_instance(copy.add_image("b.pgm", 40, 30), cat, xs::rle_encode(m));
        const std::string copy_path = projects + "/birds-3f2a91c0.json";
        ::usleep(20000);  // a later modification time than the folder's project
        xs::save_project(copy, copy_path);
        // A copy of another folder with the same name is not offered.
        xs::Project elsewhere = copy;
        elsewhere.image_root = "/elsewhere/birds";
        xs::save_project(elsewhere, projects + "/birds-00000000.json");
        const std::optional<xs::FallbackCopy> found = xs::find_newer_fallback(folder, projects, folder_project);
        QVERIFY(found);
        QCOMPARE(found->path, copy_path);
        QCOMPARE(found->instances_new, int64_t(2));
        QVERIFY2(contains(found->describe(), "2 not in the folder's project"), found->describe().c_str());
        // Merge brings them back; afterwards nothing is offered again.
        const xs::RestoreResult merged = xs::restore_fallback(folder_project, found->path, xs::RestoreMode::Merge);
        QCOMPARE(merged.merged.instances_added, int64_t(2));
        QCOMPARE(merged.merged.images_added, 1);
        const xs::Project now = xs::load_project(folder_project);
        QCOMPARE(now.instance_count(), int64_t(3));
        QCOMPARE(now.image_root, std::string("."));
        QVERIFY(!xs::find_newer_fallback(folder, projects, folder_project));
        // Replace keeps the folder's previous project as a side copy.
        ::usleep(20000);
        xs::save_project(copy, copy_path);  // newer again
        const xs::RestoreResult replaced = xs::restore_fallback(folder_project, copy_path, xs::RestoreMode::Replace);
        QVERIFY(fs::exists(replaced.replaced_copy));
        QCOMPARE(read_file(replaced.replaced_copy), xs::project_to_json(now));
        QCOMPARE(xs::load_project(folder_project).instance_count(), copy.instance_count());
        // The path rule for new copies: the folder's name and a hash of its path.
        const std::string named = xs::fallback_project_path(projects, folder);
        QVERIFY2(contains(named, projects + "/birds-") && named.size() == projects.size() + 7 + 16 + 5, named.c_str());
    }

    // ---- Finding 8: misleading messages --------------------------------------------------------

    void fileErrorsNameThePath() {
        const std::string d = fresh("messages");
        fs::create_directories(d + "/folder.json");
        write_pgm(d + "/a.pgm", 40, 30, 1);
        xs::save_project(small_project("a.pgm", 40, 30), d + "/p.json");
        Run r = cli({"import-coco", d + "/folder.json", "--images", d, "--project", d + "/new.json"});
        QCOMPARE(r.code, 1);
        QVERIFY2(contains(r.err, d + "/folder.json: is a folder, not a COCO file"), r.err.c_str());
        r = cli({"info", d + "/folder.json"});
        QCOMPARE(r.code, 1);
        QVERIFY2(contains(r.err, d + "/folder.json: is a folder, not a project file"), r.err.c_str());
        r = cli({"merge-coco", d + "/folder.json", "--out", d + "/m.json"});
        QCOMPARE(r.code, 1);
        QVERIFY2(contains(r.err, d + "/folder.json: is a folder, not a part file"), r.err.c_str());
        r = cli({"segment", "--image", d, "--point", "1,1"});
        QCOMPARE(r.code, 1);
        QVERIFY2(contains(r.err, d + ": is a folder, not an image file") && !contains(r.err, "MiB"), r.err.c_str());
        // --out --polygons: a forgotten value, not a file named "--polygons".
        r = cli({"export-coco", d + "/p.json", "--out", "--polygons"});
        QCOMPARE(r.code, 1);
        QVERIFY2(contains(r.err, "option --out needs a value, but is followed by the option --polygons"), r.err.c_str());
        QVERIFY(!fs::exists("--polygons"));
        QVERIFY(!fs::exists(d + "/--polygons"));
        r = cli({"export-coco", d + "/p.json", "--out=" + d + "/--really.json"});  // the way to say it
        QVERIFY2(r.code == 0, r.err.c_str());
        QVERIFY(fs::exists(d + "/--really.json"));
        QVERIFY(!fs::exists(d + "/new.json") && !fs::exists(d + "/m.json"));
    }

    // ---- Faults ------------------------------------------------------------------------------

    // A project grows on a 512 KiB tmpfs until the disk is full: every failed save says so, the file
    // is the last completed save, no temporary file is left, and the COCO export behaves the same.
    void diskFullLosesNoCompletedSave() {
        const std::string mnt = dir_ + "/tmpfs-full";
        std::string why;
        if (!mount_tmpfs(mnt, "512k", why)) QSKIP(("disk-full test skipped: " + why).c_str());
        struct Unmount {
            std::string at;
            ~Unmount() { ::umount2(at.c_str(), MNT_DETACH); }
        } unmount{mnt};
        const std::string path = mnt + "/p.json", coco = mnt + "/coco.json";
        xs::Project p = small_project("a.pgm", 200, 150);
        xs::DiskVersion v;
        std::string last_saved, last_coco, error;
        int saves = 0;
        for (int i = 0; i < 2000 && error.empty(); ++i) {
            xs::ImageRecord& img = p.add_image("img-" + std::to_string(i) + ".pgm", 200, 150);
            xs::Mask m(200, 150);
            for (int k = 0; k < 200; ++k) m.set((k * 37 + i * 11) % 200, (k * 53 + i * 7) % 150, true);
            p.add_instance(img, p.categories[0].id, xs::rle_encode(m));
            try {
                v = xs::save_project(p, path, v);
                last_saved = xs::project_to_json(p);
                ++saves;
                xs::write_coco(p, coco, xs::CocoExportOptions{});
                last_coco = read_file(coco);
            } catch (const xs::Error& e) {
                error = e.what();
            }
        }
        qInfo("disk full after %d saves: %s", saves, error.c_str());
        QVERIFY2(contains(error, "No space left on device"), error.c_str());
        QVERIFY(saves > 2);
        QCOMPARE(read_file(path), last_saved);  // the last completed save, whole
        QCOMPARE(xs::project_to_json(xs::load_project(path)), last_saved);
        if (!last_coco.empty()) QCOMPARE(read_file(coco), last_coco);
        for (const auto& e : fs::directory_iterator(mnt)) {
            const std::string name = e.path().filename().string();
            QVERIFY2(name == "p.json" || name == "coco.json", name.c_str());
        }
        // With the disk filled to the last byte, the Autosaver reports the same and changes nothing.
        {
            std::ofstream filler(mnt + "/filler", std::ios::binary);
            const std::string block(4096, 'x');
            while (filler.write(block.data(), std::streamsize(block.size())) && filler.flush()) {
            }
        }
        std::string reported;
        {
            xs::Autosaver saver(path, v, [&](const std::string& e) { reported = e; });
            saver.submit(p);
            saver.flush();
        }
        QVERIFY2(contains(reported, "No space left on device"), reported.c_str());
        QCOMPARE(read_file(path), last_saved);
    }

    // A project on a read-only file system (a tmpfs remounted read-only; as root a chmod would not
    // stop writes): saves, the lock and exports fail with the path named, and the file is intact.
    void readOnlyProjectLosesNothing() {
        const std::string mnt = dir_ + "/tmpfs-ro";
        std::string why;
        if (!mount_tmpfs(mnt, "1m", why)) QSKIP(("read-only test skipped: " + why).c_str());
        struct Unmount {
            std::string at;
            ~Unmount() { ::umount2(at.c_str(), MNT_DETACH); }
        } unmount{mnt};
        const std::string path = mnt + "/xsam-project.json";
        xs::Project p = small_project("a.pgm", 40, 30);
        xs::DiskVersion v = xs::save_project(p, path, xs::DiskVersion{});
        const std::string saved = read_file(path);
        QCOMPARE(::mount("tmpfs", mnt.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, nullptr), 0);
        p.add_category("more");
        const std::string msg = expect_error([&] { xs::save_project(p, path, v); });
        QVERIFY2(contains(msg, path) && contains(msg, "Read-only file system"), msg.c_str());
        const xs::LockAttempt lock = xs::try_lock_project(path, "test_safety");
        QVERIFY(!lock.lock && !lock.holder);
        QVERIFY2(contains(lock.problem, path + ".lock: cannot create the lock file (Read-only file system)"),
                 lock.problem.c_str());
        const Run r = cli({"import-coco", dir_ + "/none.json", "--images", mnt, "--project", path});
        QCOMPARE(r.code, 1);
        QCOMPARE(read_file(path), saved);
        QCOMPARE(xs::project_to_json(xs::load_project(path)), saved);
    }
};

QTEST_APPLESS_MAIN(TestSafety)
#include "test_safety.moc"
