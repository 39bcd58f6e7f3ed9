// xsam-cli evaluate / evaluate-merge end to end on stamps-bench: the classic engine (interactive) and,
// where LibTorch is built, the tiny random X-SAM model on every task; shards merged equal one run;
// bad input is refused with a message naming the file or option, and nothing is written.
#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string bench_dir() { return std::string(qgetenv("XS_SHARED_DIR").constData()) + "/data/stamps-bench"; }

struct Run {
    int code = -1;
    std::string out, err;
};

Run cli(const QStringList& args) {
    QProcess p;
    p.start(QString::fromLocal8Bit(qgetenv("XS_CLI")), args);
    Run r;
    if (!p.waitForFinished(600000)) return r;
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = p.readAllStandardOutput().toStdString();
    r.err = p.readAllStandardError().toStdString();
    return r;
}

QString q(const std::string& s) { return QString::fromStdString(s); }

QStringList on_bench(const QStringList& more) {
    return QStringList{"evaluate", "--coco", q(bench_dir() + "/instances.json"), "--images", q(bench_dir() + "/images"),
                       "--progress", "none"} +
           more;
}

// Every number under `j` lies in [lo, hi] or is -1 (nothing to measure).
bool numbers_within(const json& j, double lo, double hi) {
    if (j.is_object()) {
        for (const auto& v : j)
            if (!numbers_within(v, lo, hi)) return false;
        return true;
    }
    const double v = j.get<double>();
    return v == -1.0 || (v >= lo && v <= hi);
}

}  // namespace

class TestEvalCli : public QObject {
    Q_OBJECT
    std::string tmp_, model_;

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(fs::exists(qgetenv("XS_CLI").toStdString()), "XS_CLI not built");
        tmp_ = qgetenv("XS_TEST_TMP").toStdString();
        model_ = tmp_ + "/tiny";
        fs::remove_all(model_);
        const Run r = cli({"init-random-weights", "--config", q(std::string(qgetenv("XS_SOURCE_DIR").constData()) + "/models/xsam-tiny.json"),
                           "--out", q(model_), "--seed", "1"});
        if (r.code != 0) model_.clear();  // built without LibTorch: the classic engine only
    }

    void classicInteractivePrintsEveryMetric() {
        const Run r = cli(on_bench({"--task", "interactive", "--engine", "classic", "--limit", "2", "--max-clicks", "6"}));
        QVERIFY2(r.code == 0, r.err.c_str());
        const json j = json::parse(r.out);
        QCOMPARE(j.at("images").get<int>(), 2);
        QCOMPARE(j.at("engine").get<std::string>(), std::string("classic"));
        for (const char* t : {"point", "scribble", "box", "mask"})
            for (const char* m : {"mIoU", "cIoU"}) QVERIFY2(j.at("metrics").at(t).contains(m), t);
        for (const char* m : {"NoC@85", "NoC@90", "mIoU@1", "mIoU@5"}) QVERIFY(j.at("metrics").at("clicks").contains(m));
        QVERIFY(numbers_within(j.at("metrics").at("box"), 0.0, 1.0));
        QVERIFY(j.at("metrics").at("box").at("mIoU").get<double>() > 0.3);  // a box gives the classic engine a fair mask
        QVERIFY(j.at("metrics").at("clicks").at("NoC@90").get<double>() <= 6.0);
        QVERIFY(!j.contains("state"));  // the merge state goes to --out only
    }

    void classicCannotRunTextTasks() {
        const Run r = cli(on_bench({"--task", "generic", "--engine", "classic"}));
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.find("engine 'classic' cannot run the task 'generic' (it runs: interactive)") != std::string::npos, r.err.c_str());
    }

    void tinyModelPrintsEveryMetric_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QStringList>("keys");
        QTest::newRow("referring") << QStringList{"--task", "referring"} << QStringList{"cIoU", "gIoU"};
        QTest::newRow("reasoning") << QStringList{"--task", "reasoning"} << QStringList{"cIoU", "gIoU"};
        QTest::newRow("generic") << QStringList{"--task", "generic"}
                                 << QStringList{"PQ", "SQ", "RQ", "mIoU", "fwIoU", "mACC", "pACC", "AP", "AP50", "AP75", "AR100"};
        QTest::newRow("vgd") << QStringList{"--task", "vgd"} << QStringList{"point", "scribble", "box", "mask"};
        QTest::newRow("interactive") << QStringList{"--task", "interactive", "--max-clicks", "5"}
                                     << QStringList{"point", "scribble", "box", "mask", "clicks"};
        QTest::newRow("gcg") << QStringList{"--task", "gcg"} << QStringList{"mIoU", "recall"};
    }
    void tinyModelPrintsEveryMetric() {
        if (model_.empty()) QSKIP("built without LibTorch: no X-SAM engine");
        QFETCH(QStringList, args);
        QFETCH(QStringList, keys);
        const Run r = cli(on_bench(args + QStringList{"--engine", "xsam", "--model", q(model_), "--threads", "1", "--limit", "2"}));
        QVERIFY2(r.code == 0, r.err.c_str());
        const json j = json::parse(r.out);
        QCOMPARE(j.at("images").get<int>(), 2);
        for (const QString& k : keys) QVERIFY2(j.at("metrics").contains(k.toStdString()), qPrintable(k));
        QVERIFY(numbers_within(j.at("metrics"), 0.0, 20.0));
        if (j.at("metrics").contains("vgd"))
            QCOMPARE(j.at("metrics").at("box").size(), size_t(12));  // COCOeval's twelve stats
    }

    void shardsMergeIntoOneRun() {
        const QStringList base{"--task", "interactive", "--engine", "classic", "--prompts", "box", "--max-clicks", "0"};
        const Run whole = cli(on_bench(base));
        QVERIFY2(whole.code == 0, whole.err.c_str());
        QStringList parts;
        for (int i = 0; i < 3; ++i) {
            const std::string out = tmp_ + "/part" + std::to_string(i) + ".json";
            const Run r = cli(on_bench(base + QStringList{"--shard", q(std::to_string(i) + "/3"), "--out", q(out)}));
            QVERIFY2(r.code == 0, r.err.c_str());
            parts << q(out);
        }
        const Run merged = cli(QStringList{"evaluate-merge"} + parts);
        QVERIFY2(merged.code == 0, merged.err.c_str());
        const json a = json::parse(whole.out), b = json::parse(merged.out);
        QCOMPARE(b.at("images").get<int>(), 40);
        QCOMPARE(b.at("counts"), a.at("counts"));
        QVERIFY(std::fabs(a.at("metrics").at("box").at("cIoU").get<double>() - b.at("metrics").at("box").at("cIoU").get<double>()) < 1e-12);
        QVERIFY(std::fabs(a.at("metrics").at("box").at("mIoU").get<double>() - b.at("metrics").at("box").at("mIoU").get<double>()) < 1e-12);
        const Run twice = cli({"evaluate-merge", parts[0], parts[0]});
        QCOMPARE(twice.code, 1);
        QVERIFY2(twice.err.find("shard 0/3 is given twice") != std::string::npos, twice.err.c_str());
    }

    void badInputIsRefused_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        const QString coco = q(bench_dir() + "/instances.json");
        QTest::newRow("unknown task") << QStringList{"--task", "painting"} << "--task 'painting': expected referring";
        QTest::newRow("prompts on generic") << QStringList{"--task", "generic", "--prompts", "box"}
                                            << "--prompts belongs to the vgd and interactive tasks";
        QTest::newRow("unknown prompt") << QStringList{"--task", "vgd", "--prompts", "box,lasso"}
                                        << "--prompts: 'lasso' is not a prompt type";
        QTest::newRow("too few clicks") << QStringList{"--task", "interactive", "--max-clicks", "3"}
                                        << "--max-clicks must be 0 (no clicker) or at least 5";
        QTest::newRow("refs on vgd") << QStringList{"--task", "vgd", "--refs", coco} << "--refs and --split belong to";
        QTest::newRow("bad shard") << QStringList{"--task", "interactive", "--shard", "3/3"} << "3/3";
        QTest::newRow("out over ground truth") << QStringList{"--task", "interactive", "--out", coco}
                                               << "is the same file as the ground truth";
        QTest::newRow("refs not a list") << QStringList{"--task", "referring", "--refs", coco} << "expected a list";
        QTest::newRow("threshold") << QStringList{"--task", "vgd", "--score-threshold", "2"} << "--score-threshold '2'";
    }
    void badInputIsRefused() {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const Run r = cli(on_bench(args));
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.find(message.toStdString()) != std::string::npos, r.err.c_str());
        QVERIFY(r.out.empty());
    }

    void missingFilesAreNamed() {
        Run r = cli({"evaluate", "--task", "interactive", "--coco", q(tmp_ + "/nope.json"), "--images", q(bench_dir() + "/images")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.find(tmp_ + "/nope.json") != std::string::npos, r.err.c_str());
        r = cli({"evaluate", "--task", "interactive", "--coco", q(bench_dir() + "/instances.json"), "--images", q(tmp_)});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.find("0001.jpg") != std::string::npos, r.err.c_str());
        const std::string bad = tmp_ + "/bad-part.json";
        std::ofstream(bad) << "{\"task\": \"vgd\"}";
        r = cli({"evaluate-merge", q(bad)});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.find(bad + ": not an evaluation result") != std::string::npos, r.err.c_str());
    }
};

QTEST_GUILESS_MAIN(TestEvalCli)
#include "test_eval_cli.moc"
