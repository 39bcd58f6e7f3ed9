// Crash-safe saves (issue 8, item 3). xs_crash_driver saves generations 1..N of generation.h through
// xs::Autosaver and xs::write_coco; this suite kills it with SIGKILL at seeded random moments spread
// over its save window, many times, and proves after every kill that
//   - the project file is absent only if no save had completed, and otherwise loads with
//     xs::load_project and is byte-for-byte generation L or L+1, where L is the last generation the
//     driver logged as saved and L+1 the one in flight (never older than L: nothing accepted is lost),
//     and reopening it gives back exactly that content;
//   - the COCO file likewise parses as complete JSON and is byte-for-byte the export of L or L+1;
//   - the only other files are the driver's log and recognisable temporary files
//     ("<name>.tmp-<driver pid>-<n>") that never replace the real file, and at most the swap file of
//     a checked save killed between its two renames ("<name>.swap-<pid>-<n>"), a complete version.
// XS_CRASHSAFE_KILLS (default 200) and XS_CRASHSAFE_SEED (default 20261126) override the figures.
#include <signal.h>
#include <sys/types.h>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QThread>
#include <QtTest/QtTest>
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/io/project_file.h"
#include "core/util/error.h"
#include "tests/crashsafe/generation.h"

namespace {

constexpr int kGenerations = 10;

struct Events {
    int done[2] = {0, 0};      // last completed generation: [0] project, [1] COCO
    int in_flight[2] = {0, 0}; // generation begun but not completed, 0 if none
};

Events parse_events(const QString& path) {
    Events ev;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return ev;
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (const QByteArray& line : lines) {
        const QList<QByteArray> parts = line.split(' ');
        if (parts.size() != 3) continue;  // the empty tail after the last newline
        const int which = parts[1] == "P" ? 0 : 1;
        const int k = parts[2].toInt();
        if (parts[0] == "B") {
            ev.in_flight[which] = k;
        } else {
            ev.done[which] = k;
            ev.in_flight[which] = 0;
        }
    }
    return ev;
}

std::string read_bytes(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    const QByteArray b = f.readAll();
    return std::string(b.constData(), size_t(b.size()));
}

int env_int(const char* name, int fallback) {
    bool ok = false;
    const int v = qEnvironmentVariableIntValue(name, &ok);
    return ok ? v : fallback;
}

}  // namespace

class TestCrashSafe : public QObject {
    Q_OBJECT

private:
    // What generation k looks like on disk (cached: rebuilding it for every kill would dominate).
    const std::string& project_text(int k) {
        auto it = project_cache_.find(k);
        if (it == project_cache_.end())
            it = project_cache_.emplace(k, xs::project_to_json(xs::crashsafe::make_generation(k))).first;
        return it->second;
    }
    const std::string& coco_text(int k) {
        auto it = coco_cache_.find(k);
        if (it == coco_cache_.end())
            it = coco_cache_
                     .emplace(k, xs::coco_to_json(xs::crashsafe::make_generation(k),
                                                  xs::crashsafe::export_options()))
                     .first;
        return it->second;
    }

    QString read_line(QProcess& driver) {
        while (!driver.canReadLine()) {
            if (!driver.waitForReadyRead(20000)) return QString();
        }
        return QString::fromUtf8(driver.readLine()).trimmed();
    }

    std::map<int, std::string> project_cache_;
    std::map<int, std::string> coco_cache_;

private Q_SLOTS:
    void generationsAreDeterministicAndDistinct();
    void killDuringSaves();
    void checkerSeesPartialFilesOfANaiveWriter();
};

void TestCrashSafe::generationsAreDeterministicAndDistinct() {
    // The checker relies on rebuilding generation k exactly; prove it is stable and that neighbouring
    // generations differ (otherwise "equals L or L+1" would prove nothing).
    QCOMPARE(xs::project_to_json(xs::crashsafe::make_generation(3)), project_text(3));
    QVERIFY(project_text(3) != project_text(4));
    QVERIFY(coco_text(3) != coco_text(4));
    // Non-trivial masks: every instance has dozens of runs.
    const xs::Project p = xs::crashsafe::make_generation(1);
    QCOMPARE(int(p.instance_count()), 4 * 6);
    for (const auto& img : p.images)
        for (const auto& inst : img.instances) QVERIFY(inst.mask.counts.size() > 60);
    // Sizes grow with k, so later saves take longer.
    QVERIFY(project_text(kGenerations).size() > 4 * project_text(1).size());
}

void TestCrashSafe::killDuringSaves() {
    const int kills = env_int("XS_CRASHSAFE_KILLS", 200);
    const quint32 seed = quint32(env_int("XS_CRASHSAFE_SEED", 20261126));
    const QString scratch = qEnvironmentVariable("XS_TEST_TMP", QDir::tempPath()) + "/crashsafe";
    QDir(scratch).removeRecursively();
    QVERIFY(QDir().mkpath(scratch));

    QElapsedTimer total;
    total.start();
    QProcess driver;
    driver.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    driver.start(QStringLiteral(XS_CRASH_DRIVER), {QStringLiteral("--serve")});
    QVERIFY2(driver.waitForStarted(10000), qPrintable(driver.errorString()));

    // One run per folder; returns the child's pid line and fills "ended" with its last line.
    auto start_run = [&](const QString& dir, qint64* pid) -> bool {
        if (!QDir().mkpath(dir)) return false;
        driver.write((dir + " " + QString::number(kGenerations) + "\n").toUtf8());
        const QString line = read_line(driver);
        if (!line.startsWith("pid ")) return false;
        *pid = line.mid(4).toLongLong();
        return *pid > 0;
    };

    // Calibration: complete runs give the length of the save window (the fastest of three, so that
    // a run slowed by a busy machine does not stretch it) and check the end state.
    qint64 window_ms = 0;
    for (int c = 0; c < 3; ++c) {
        const QString dir = scratch + "/calibrate";
        qint64 pid = 0;
        QElapsedTimer t;
        t.start();
        QVERIFY(start_run(dir, &pid));
        QCOMPARE(read_line(driver), QStringLiteral("exit 0"));
        window_ms = c == 0 ? t.elapsed() : std::min(window_ms, t.elapsed());
        const Events ev = parse_events(dir + "/" + xs::crashsafe::kEventsName);
        QCOMPARE(ev.done[0], kGenerations);
        QCOMPARE(ev.done[1], kGenerations);
        QVERIFY(read_bytes(dir + "/" + xs::crashsafe::kProjectName) == project_text(kGenerations));
        QVERIFY(read_bytes(dir + "/" + xs::crashsafe::kCocoName) == coco_text(kGenerations));
        QCOMPARE(QDir(dir).entryList(QDir::Files | QDir::Hidden).size(), 3);
        QDir(dir).removeRecursively();
    }
    QVERIFY(window_ms > 0);

    // "swap": a checked save (xs::atomic_replace_file) killed between its two renames.
    const QRegularExpression temp_re(QStringLiteral("^(%1|%2)\\.(tmp|swap)-(\\d+)-(\\d+)$")
                                         .arg(QRegularExpression::escape(xs::crashsafe::kProjectName),
                                              QRegularExpression::escape(xs::crashsafe::kCocoName)));
    QRandomGenerator rng(seed);
    int killed = 0, finished_first = 0, mid_save = 0, mid_project = 0, mid_coco = 0;
    int new_version_on_disk = 0, runs_with_temp = 0, temp_files = 0, swap_files = 0, no_project_yet = 0;
    for (int i = 0; i < kills; ++i) {
        const QString dir = scratch + "/run-" + QString::number(i);
        const int delay_us = int(rng.bounded(quint32(window_ms * 1000)));
        qint64 pid = 0;
        QVERIFY(start_run(dir, &pid));
        QThread::usleep(ulong(delay_us));
        ::kill(pid_t(pid), SIGKILL);
        const QString ended = read_line(driver);
        if (ended == QStringLiteral("signal 9")) {
            ++killed;
        } else {
            QCOMPARE(ended, QStringLiteral("exit 0"));  // finished before the kill: no error allowed
            ++finished_first;
        }
        const QString ctx = QStringLiteral("run %1 (delay %2 us)").arg(i).arg(delay_us);
        const Events ev = parse_events(dir + "/" + xs::crashsafe::kEventsName);
        if (ev.in_flight[0] || ev.in_flight[1]) ++mid_save;
        if (ev.in_flight[0]) ++mid_project;
        if (ev.in_flight[1]) ++mid_coco;

        // Nothing but the two files, the log and recognisable temporary files of this driver child.
        int temps_here = 0;
        const QStringList entries = QDir(dir).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
        for (const QString& name : entries) {
            if (name == xs::crashsafe::kProjectName || name == xs::crashsafe::kCocoName ||
                name == xs::crashsafe::kEventsName)
                continue;
            const QRegularExpressionMatch m = temp_re.match(name);
            QVERIFY2(m.hasMatch(), qPrintable(ctx + ": unexpected file " + name));
            QVERIFY2(m.captured(3).toLongLong() == pid, qPrintable(ctx + ": temp file of another process " + name));
            if (m.captured(2) == QStringLiteral("swap")) {  // always a complete version, never removed
                const std::string bytes = read_bytes(dir + "/" + name);
                QVERIFY2(bytes == project_text(ev.done[0]) || bytes == project_text(ev.in_flight[0]),
                         qPrintable(ctx + ": " + name + " is not a complete generation"));
                ++swap_files;
            }
            ++temps_here;
        }
        temp_files += temps_here;
        if (temps_here) ++runs_with_temp;

        // The project file: L or the one in flight, loads, and reopening gives back the same content.
        const QString project_path = dir + "/" + xs::crashsafe::kProjectName;
        if (!QFile::exists(project_path)) {
            QVERIFY2(ev.done[0] == 0, qPrintable(ctx + ": project file missing after a completed save"));
            ++no_project_yet;
        } else {
            const std::string bytes = read_bytes(project_path);
            int found = 0;
            for (int k : {ev.done[0], ev.in_flight[0]})
                if (k > 0 && bytes == project_text(k)) found = k;
            QVERIFY2(found > 0, qPrintable(ctx + QStringLiteral(": project file (%1 bytes) is neither "
                                                                "generation %2 nor %3")
                                                     .arg(bytes.size())
                                                     .arg(ev.done[0])
                                                     .arg(ev.in_flight[0])));
            QVERIFY(found >= ev.done[0]);
            if (found == ev.in_flight[0]) ++new_version_on_disk;
            try {
                const xs::Project reopened = xs::load_project(project_path.toStdString());
                QVERIFY2(xs::project_to_json(reopened) == bytes, qPrintable(ctx + ": reopen changed content"));
                QCOMPARE(reopened.image_root, "gen-" + std::to_string(found));
            } catch (const std::exception& e) {
                QFAIL(qPrintable(ctx + ": load_project failed: " + e.what()));
            }
        }

        // The COCO export: complete JSON, L or the one in flight.
        const QString coco_path = dir + "/" + xs::crashsafe::kCocoName;
        if (!QFile::exists(coco_path)) {
            QVERIFY2(ev.done[1] == 0, qPrintable(ctx + ": COCO file missing after a completed export"));
        } else {
            const std::string bytes = read_bytes(coco_path);
            int found = 0;
            for (int k : {ev.done[1], ev.in_flight[1]})
                if (k > 0 && bytes == coco_text(k)) found = k;
            QVERIFY2(found > 0, qPrintable(ctx + QStringLiteral(": COCO file (%1 bytes) is neither "
                                                                "generation %2 nor %3")
                                                     .arg(bytes.size())
                                                     .arg(ev.done[1])
                                                     .arg(ev.in_flight[1])));
            QVERIFY(found >= ev.done[1]);
            const nlohmann::json doc = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
            QVERIFY2(!doc.is_discarded(), qPrintable(ctx + ": COCO file is not complete JSON"));
            QCOMPARE(int(doc.at("images").size()), 2 + 2 * found);
            QCOMPARE(int(doc.at("annotations").size()), 6 * (2 + 2 * found));
        }
        QDir(dir).removeRecursively();
    }
    driver.closeWriteChannel();
    QVERIFY(driver.waitForFinished(10000));
    QCOMPARE(driver.exitStatus(), QProcess::NormalExit);

    qInfo("crashsafe: seed %u, %d runs, save window %lld ms (%d generations): %d killed, %d finished "
          "before the kill; %d kills landed mid-save (project %d, COCO %d), %d left the new version "
          "on disk, %d before the first save; %d runs left %d temp files (%d swap files); %.1f s",
          seed, kills, window_ms, kGenerations, killed, finished_first, mid_save, mid_project, mid_coco,
          new_version_on_disk, no_project_yet, runs_with_temp, temp_files, swap_files, total.elapsed() / 1000.0);
    // The kills must actually exercise the interesting windows, or the test proves nothing.
    QVERIFY2(mid_save >= kills / 4, "too few kills landed during a save");
    QVERIFY(mid_project > 0);
    QVERIFY(mid_coco > 0);
}


void TestCrashSafe::checkerSeesPartialFilesOfANaiveWriter() {
    // Negative control: the same kills against a driver that truncates and rewrites the project file
    // in place must leave files that are neither generation, or the checks above could not fail.
    const QString scratch = qEnvironmentVariable("XS_TEST_TMP", QDir::tempPath()) + "/crashsafe-naive";
    QDir(scratch).removeRecursively();
    QVERIFY(QDir().mkpath(scratch));
    QProcess driver;
    driver.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    driver.start(QStringLiteral(XS_CRASH_DRIVER), {QStringLiteral("--serve")});
    QVERIFY2(driver.waitForStarted(10000), qPrintable(driver.errorString()));
    QRandomGenerator rng(7);
    int partial = 0, killed = 0;
    const int runs = 30;
    for (int i = 0; i < runs; ++i) {
        const QString dir = scratch + "/run-" + QString::number(i);
        QVERIFY(QDir().mkpath(dir));
        driver.write((dir + " " + QString::number(kGenerations) + " unsafe\n").toUtf8());
        const QString line = read_line(driver);
        QVERIFY(line.startsWith("pid "));
        QThread::usleep(ulong(20000 + rng.bounded(200000)));
        ::kill(pid_t(line.mid(4).toLongLong()), SIGKILL);
        if (read_line(driver) == QStringLiteral("signal 9")) ++killed;
        const Events ev = parse_events(dir + "/" + xs::crashsafe::kEventsName);
        const QString project_path = dir + "/" + xs::crashsafe::kProjectName;
        if (QFile::exists(project_path)) {
            const std::string bytes = read_bytes(project_path);
            bool ok = false;
            for (int k : {ev.done[0], ev.in_flight[0]})
                if (k > 0 && bytes == project_text(k)) ok = true;
            if (!ok) {
                ++partial;
                bool load_failed = false;
                try {
                    xs::load_project(project_path.toStdString());
                } catch (const xs::Error&) {
                    load_failed = true;
                }
                QVERIFY2(load_failed || bytes.empty(), "a partial project file loaded without error");
            }
        }
        QDir(dir).removeRecursively();
    }
    driver.closeWriteChannel();
    QVERIFY(driver.waitForFinished(10000));
    qInfo("naive writer: %d runs, %d killed, %d left a partial project file", runs, killed, partial);
    QVERIFY2(partial > 0, "the checker never saw a partial file from the naive writer");
}

QTEST_APPLESS_MAIN(TestCrashSafe)
#include "test_crashsafe.moc"
