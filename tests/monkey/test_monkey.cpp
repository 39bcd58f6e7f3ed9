// The GUI monkey (tests/monkey/monkey.h) as a CTest suite: a short seeded run on the real main window.
// packaging/run-monkey.sh runs the same binary for minutes with XS_MONKEY_SECONDS and XS_MONKEY_SEED.
//
// Environment: XS_MONKEY_SEED (default 1), XS_MONKEY_EPISODES (default 2) x XS_MONKEY_ACTIONS actions
// (default 150); XS_MONKEY_SECONDS > 0 instead runs episodes until that time is up;
// XS_MONKEY_VERBOSE=1 prints every action.
#include <QDateTime>
#include <QDir>
#include <QSettings>
#include <QtTest>

#include "core/builtin/builtin_engines.h"
#include "tests/monkey/monkey.h"
#include "tests/ui/gui_test_support.h"
#ifdef XS_HAVE_XSAM
#include "core/xsam/engine/xsam_engine_factory.h"
#endif

using namespace xs;

class TestMonkey : public QObject {
    Q_OBJECT
    monkey::Settings settings_;

private Q_SLOTS:
    void initTestCase() {
        use_private_settings("test_monkey");
        settings_.scratch = qEnvironmentVariable("XS_TEST_TMP", QDir::tempPath() + "/xs-monkey") + "/monkey";
        QDir(settings_.scratch).removeRecursively();
        QVERIFY(QDir().mkpath(settings_.scratch));
        settings_.seed = qEnvironmentVariable("XS_MONKEY_SEED", "1").toULongLong();
        settings_.verbose = qEnvironmentVariableIntValue("XS_MONKEY_VERBOSE") == 1;
        // Every engine this build has, the classic one first; X-SAM on the tiny random-weight model.
        settings_.engines << "classic";
        for (const std::string& name : builtin_engines().names())
            if (name != "classic") settings_.engines << QString::fromStdString(name);
#ifdef XS_HAVE_XSAM
        const QString model = settings_.scratch + "/tiny-model";
        write_random_xsam_model(qEnvironmentVariable("XS_SOURCE_DIR").toStdString() + "/models/xsam-tiny.json",
                                model.toStdString(), 3);
        QSettings().setValue("xsam/model", model);  // the engine settings page's key (<engine>/<option>)
#endif
    }

    void random_user_actions_keep_every_invariant() {
        monkey::Monkey m(settings_);
        const int seconds = qEnvironmentVariableIntValue("XS_MONKEY_SECONDS");
        const int episodes = qEnvironmentVariable("XS_MONKEY_EPISODES", "2").toInt();
        const int actions = qEnvironmentVariable("XS_MONKEY_ACTIONS", "150").toInt();
        const qint64 start = QDateTime::currentMSecsSinceEpoch();
        const qint64 deadline = seconds > 0 ? start + qint64(seconds) * 1000 : 0;
        bool ok = true;
        for (int e = 0; ok && (deadline ? QDateTime::currentMSecsSinceEpoch() < deadline : e < episodes); ++e)
            ok = m.run_episode(actions, deadline);
        const double took = (QDateTime::currentMSecsSinceEpoch() - start) / 1000.0;
        qInfo("monkey: %lld actions in %d episodes, seed %llu, %.0f s, engines %s%s", (long long)m.actions_done(),
              m.episodes(), (unsigned long long)settings_.seed, took, qPrintable(settings_.engines.join(",")),
              ok ? ", every invariant held" : ", FAILED");
        qInfo("monkey actions: %s", qPrintable(m.histogram()));
        QVERIFY2(ok, qPrintable(m.failure()));
    }
};

QTEST_MAIN(TestMonkey)
#include "test_monkey.moc"
