// No silent data loss in the GUI (issue 19), driven through the real main window (offscreen) with
// QTest mouse and key events: the project lock (a second program's lock opens the folder read-only
// and names it), opening that writes nothing, a project file changed by another program (both
// versions kept, the notice names the copy, quitting asks), COCO export refusing its inputs and
// asking before replacing a file this session did not write, the read-only fallback offered back,
// a file name that is not UTF-8 end to end, and the thread-count cap. Screenshots go to
// /tmp/gui-shots/safety-*.png.
#include <QApplication>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QDialog>
#include <QDir>
#include <QFile>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QSpinBox>
#include <QTimer>
#include <QtTest>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <unistd.h>

#include "core/annotation/vertex_editing.h"
#include "core/coco/coco.h"
#include "core/mask/mask.h"
#include "core/io/fallback_project.h"
#include "core/io/file_io.h"
#include "core/io/project_file.h"
#include "core/io/project_lock.h"
#include "core/util/limits.h"
#include "ui/image_canvas.h"
#include "ui/main_window.h"
#include "ui/project_opener.h"
#include "ui/widgets.h"
#include "tests/ui/gui_test_support.h"

using namespace xs;

namespace {

constexpr int kEngineTimeoutMs = 60000;
const QString kProjectName = "xsam-project.json";

QPushButton* notice_button(MainWindow* w, const QString& starts_with) {
    for (QPushButton* b : w->notice_bar()->findChildren<QPushButton*>())
        if (b->isVisible() && b->text().startsWith(starts_with)) return b;
    return nullptr;
}

bool is_export_dialog(QWidget* w) { return !qobject_cast<QMessageBox*>(w) && w->windowTitle() == "Export COCO"; }

void set_path_and_press_enter(QWidget* dialog, const QString& path) {
    auto* edit = dialog->findChild<QLineEdit*>();
    type_over(edit, path);
    QTest::keyClick(edit, Qt::Key_Return);
}

}  // namespace

class TestSafetyGui : public QObject {
    Q_OBJECT
private:
    QString root_;
    std::unique_ptr<MainWindow> window_;

    // A folder with img1.png (and a project holding the disc when with_project).
    QString make_folder(const QString& name, bool with_project) {
        const QString folder = root_ + "/" + name;
        std::filesystem::remove_all(folder.toStdString());
        QDir().mkpath(folder);
        make_disc_and_square_image(folder + "/img1.png");
        if (with_project) {
            Project p;
            p.image_root = ".";
            ImageRecord& rec = p.add_image("img1.png", 640, 480);
            Mask disc(640, 480);
            for (int y = 130; y < 310; ++y)
                for (int x = 210; x < 390; ++x)
                    if ((x - 300) * (x - 300) + (y - 220) * (y - 220) <= 80 * 80) disc.set(x, y, true);
            p.add_instance(rec, p.add_category("object").id, rle_encode(disc), 1.0f, "test:disc");
            save_project(p, (folder + "/" + kProjectName).toStdString());
        }
        return folder;
    }

    MainWindow* open_window(const QString& folder) {
        return open_main_window(window_, folder, QSize(1400, 860), true, kEngineTimeoutMs);
    }

    // A click on the green square and Enter: one more instance, through the real canvas.
    static void accept_square(MainWindow* w) {
        ImageCanvas* c = w->canvas();
        QTest::keyClick(c, Qt::Key_Escape);
        const QPoint a = to_widget(c, 505, 365), b = to_widget(c, 595, 455);
        QTest::mousePress(c, Qt::LeftButton, {}, a);
        QTest::mouseMove(c, (a + b) / 2);
        QTest::mouseMove(c, b);
        QTest::mouseRelease(c, Qt::LeftButton, {}, b);
        QTRY_VERIFY_WITH_TIMEOUT(w->preview_count() == 1 && !w->request_pending(), kEngineTimeoutMs);
        QTest::keyClick(c, Qt::Key_Return);
    }

    // What another program does: load the project, add a category, save it without asking anyone.
    static void write_as_another_program(const QString& path, const std::string& category) {
        Project other = load_project(path.toStdString());
        other.add_category(category);
        save_project(other, path.toStdString());
    }

private Q_SLOTS:
    void initTestCase() {
        use_private_settings("test_ui_safety");
        root_ = qEnvironmentVariable("XS_TEST_TMP", QDir::tempPath() + "/xs-ui-safety");
        std::filesystem::remove_all(root_.toStdString());
        QVERIFY(QDir().mkpath(root_));
        std::filesystem::remove_all(fallback_projects_dir().toStdString());
    }

    void cleanupTestCase() { window_.reset(); }

    // 1. Another program (a second process) holds the lock: the folder opens read-only, the notice
    // names the holder, an accepted mask is refused, and nothing touches the file. The window's own
    // lock goes when the folder closes.
    void locked_project_opens_read_only_naming_the_holder() {
        const QString folder = make_folder("locked", true);
        const QString project = folder + "/" + kProjectName;
        QProcess holder;
        holder.start(XS_SAFETY_DRIVER, {"hold-lock", project});
        QVERIFY(holder.waitForReadyRead(10000));
        const QString line = QString::fromUtf8(holder.readLine()).trimmed();
        QVERIFY2(line.startsWith("locked "), qPrintable(line));
        const QString pid = line.mid(7);
        const QByteArray before = file_bytes(project);
        const DiskVersion version_before = disk_version(project.toStdString());

        MainWindow* w = open_window(folder);
        QVERIFY(w);
        const QString notice = w->notice_bar()->text();
        char host[256] = {0};
        gethostname(host, sizeof host - 1);
        QVERIFY2(notice.contains("read-only") && notice.contains("xs_safety_driver") && notice.contains("pid " + pid) &&
                     notice.contains(QString::fromLocal8Bit(host)) && notice.contains("since"),
                 qPrintable(notice));
        QVERIFY(w->document()->read_only());
        shot(w, "safety-1-read-only");
        accept_square(w);  // refused: the project is read-only here
        QCOMPARE(w->current_record()->instances.size(), size_t(1));
        QVERIFY(w->notice_bar()->text().contains("read-only"));
        QTest::qWait(1700);  // a disk check
        w->document()->flush();
        window_.reset();  // quitting writes nothing either
        QCOMPARE(file_bytes(project), before);
        QVERIFY(disk_version(project.toStdString()) == version_before);

        holder.closeWriteChannel();  // the holder ends: its lock goes
        QVERIFY(holder.waitForFinished(10000));
        w = open_window(folder);
        QVERIFY(w);
        QVERIFY(!w->document()->read_only());
        std::optional<LockHolder> mine = project_lock_holder(project.toStdString());
        QVERIFY(mine && mine->program == "xsam-studio" && mine->pid == int64_t(getpid()));
        const QString other = make_folder("locked-other", false);
        QVERIFY(w->open_folder(other));  // closing the folder releases its lock
        QVERIFY(!project_lock_holder(project.toStdString()));
        QVERIFY(project_lock_holder((other + "/" + kProjectName).toStdString()));
        window_.reset();  // quitting releases the other
        QVERIFY(!project_lock_holder((other + "/" + kProjectName).toStdString()));
    }

    // 2. Opening writes nothing. Another program writes the file while the window has edits: autosave
    // stops writing it, our version goes to the .mine copy the notice names, quitting asks, and
    // "Overwrite theirs with mine" keeps theirs in a copy. Nothing of either side is lost.
    void changed_on_disk_keeps_both_versions() {
        const QString folder = make_folder("conflict", true);
        const QString project = folder + "/" + kProjectName;
        QVERIFY(open_window(folder));  // the first session records the image's fingerprint
        window_.reset();
        const QByteArray stored = file_bytes(project);
        const DiskVersion stored_version = disk_version(project.toStdString());

        MainWindow* w = open_window(folder);
        QVERIFY(w);
        QTest::qWait(1700);  // a disk check
        w->document()->flush();
        QVERIFY2(disk_version(project.toStdString()) == stored_version, "opening rewrote the project file");
        QCOMPARE(file_bytes(project), stored);

        // Another program writes the file; our next edit (a second instance) meets their version.
        write_as_another_program(project, "theirs");
        accept_square(w);
        QCOMPARE(w->current_record()->instances.size(), size_t(2));
        QTRY_VERIFY_WITH_TIMEOUT(w->document()->in_conflict(), 8000);
        w->document()->flush();
        const QString mine = w->document()->mine_copy();
        QVERIFY(mine.contains(".mine-"));
        QVERIFY2(w->notice_bar()->text().contains("changed by another program") && w->notice_bar()->text().contains(mine),
                 qPrintable(w->notice_bar()->text()));
        shot(w, "safety-2-changed-on-disk");
        // Both sides are on disk: theirs in the project file, ours in the copy.
        Project on_disk = load_project(project.toStdString());
        QVERIFY(on_disk.find_category(std::string("theirs")));
        QCOMPARE(on_disk.images[0].instances.size(), size_t(1));
        Project kept = load_project(mine.toStdString());
        QVERIFY(!kept.find_category(std::string("theirs")));
        QCOMPARE(kept.images[0].instances.size(), size_t(2));
        // A later edit goes to the copy, not over theirs.
        QTest::keyClick(w->canvas(), Qt::Key_Z, Qt::ControlModifier);
        w->document()->flush();
        QCOMPARE(load_project(mine.toStdString()).images[0].instances.size(), size_t(1));
        QVERIFY(load_project(project.toStdString()).find_category(std::string("theirs")));
        QTest::keyClick(w->canvas(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);

        // Quitting with the conflict open asks; Cancel keeps the window.
        QString asked;
        DialogScript quit({{"the quit question", is_box, [&asked](QWidget* box) {
                                asked = box_text(box);
                                QTest::keyClick(box, Qt::Key_Escape);
                            }}});
        w->close();
        QVERIFY2(quit.done(), qPrintable(quit.failure()));
        QVERIFY2(asked.contains(mine) && asked.contains("changed by another program"), qPrintable(asked));
        QVERIFY(w->isVisible());

        QPushButton* overwrite = notice_button(w, "Overwrite theirs");
        QVERIFY(overwrite);
        QTest::mouseClick(overwrite, Qt::LeftButton);
        QVERIFY(!w->document()->in_conflict());
        w->document()->flush();
        QCOMPARE(load_project(project.toStdString()).images[0].instances.size(), size_t(2));
        const QStringList theirs = QDir(folder).entryList({kProjectName + ".theirs-*"});
        QCOMPARE(theirs.size(), 1);
        QVERIFY(load_project((folder + "/" + theirs[0]).toStdString()).find_category(std::string("theirs")));
        QVERIFY2(w->notice_bar()->text().contains(theirs[0]), qPrintable(w->notice_bar()->text()));
    }

    // "Take theirs" when theirs is corrupt says where ours is and changes nothing; once theirs is
    // readable it is taken, and ours stays in the copy.
    void take_theirs_after_a_corrupt_replacement() {
        const QString folder = make_folder("corrupt", true);
        const QString project = folder + "/" + kProjectName;
        MainWindow* w = open_window(folder);
        QVERIFY(w);
        accept_square(w);
        w->document()->flush();
        {
            QFile f(project + ".tmp");
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("{\"format_version\": 1, \"categories\": [");
        }
        QVERIFY(QFile::rename(project + ".tmp", project) || (QFile::remove(project) && QFile::rename(project + ".tmp", project)));
        QTRY_VERIFY_WITH_TIMEOUT(w->document()->in_conflict(), 8000);
        const QString mine = w->document()->mine_copy();
        QPushButton* take = notice_button(w, "Take theirs");
        QVERIFY(take);
        QTest::mouseClick(take, Qt::LeftButton);
        QVERIFY(w->document()->in_conflict());
        QVERIFY2(w->notice_bar()->text().contains("Could not read") && w->notice_bar()->text().contains(mine),
                 qPrintable(w->notice_bar()->text()));
        shot(w, "safety-3-corrupt-theirs");
        QCOMPARE(file_bytes(project), QByteArray("{\"format_version\": 1, \"categories\": ["));
        QCOMPARE(load_project(mine.toStdString()).images[0].instances.size(), size_t(2));

        // Theirs made whole again (the disc only, a new category): taken; ours stays in the copy.
        Project theirs = load_project(mine.toStdString());
        theirs.images[0].instances.resize(1);
        theirs.add_category("repaired");
        save_project(theirs, project.toStdString());
        take = notice_button(w, "Take theirs");
        QVERIFY(take);
        QTest::mouseClick(take, Qt::LeftButton);
        QVERIFY(!w->document()->in_conflict());
        QVERIFY(w->document()->project().find_category(std::string("repaired")));
        QTRY_COMPARE_WITH_TIMEOUT(w->current_record() ? w->current_record()->instances.size() : size_t(99), size_t(1), 10000);
        QVERIFY2(w->notice_bar()->text().contains(mine), qPrintable(w->notice_bar()->text()));
        QCOMPARE(load_project(mine.toStdString()).images[0].instances.size(), size_t(2));
    }

    // A vertex edit still open when the user takes theirs belongs to our version: it is applied
    // before the switch (so the copy of ours has it) and never lands on theirs. (The 30-minute monkey,
    // seed 20261203, episode 24: the edit was applied to theirs when the image was shown again.)
    void take_theirs_with_a_vertex_edit_open() {
        const QString folder = make_folder("vertex-conflict", true);
        const QString project = folder + "/" + kProjectName;
        MainWindow* w = open_window(folder);
        QVERIFY(w);
        ImageCanvas* c = w->canvas();
        w->findChild<QDoubleSpinBox*>("vertexTolerance")->setValue(1.0);
        const Mask disc = rle_decode(w->current_record()->instances.at(0).mask);
        QTest::mouseClick(c, Qt::LeftButton, Qt::ControlModifier, to_widget(c, 300, 220));
        QCOMPARE(w->selected_instances().size(), size_t(1));
        QTest::keyClick(c, Qt::Key_E, Qt::ShiftModifier);
        QCOMPARE(c->tool_name(), QString("editVertices"));
        const PolygonShapes shapes = mask_to_shapes(disc, 1.0);
        const QPoint from = to_widget(c, shapes[0].outer[0], shapes[0].outer[1]);
        const QPoint to = from + QPoint(-40, 25);
        QTest::mousePress(c, Qt::LeftButton, {}, from);
        QTest::mouseMove(c, (from + to) / 2);
        QTest::mouseMove(c, to);
        QTest::mouseRelease(c, Qt::LeftButton, {}, to);
        w->document()->flush();
        write_as_another_program(project, "theirs");
        QTRY_VERIFY_WITH_TIMEOUT(w->document()->in_conflict(), 8000);
        const std::string theirs = project_to_json(load_project(project.toStdString()));
        const QString mine_copy = w->document()->mine_copy();
        QPushButton* take = notice_button(w, "Take theirs");
        QVERIFY(take);
        QTest::mouseClick(take, Qt::LeftButton);
        QVERIFY(!w->document()->in_conflict());
        QTRY_VERIFY_WITH_TIMEOUT(w->image_ready(), 10000);
        QCOMPARE(w->document()->undo_stack()->count(), 0);  // theirs starts a fresh history
        QTest::keyClick(c, Qt::Key_Return);  // would apply an edit still open
        QTest::qWait(50);
        QVERIFY(project_to_json(w->document()->full_project()) == theirs);
        QVERIFY(rle_decode(w->current_record()->instances.at(0).mask) == disc);
        Project mine = load_project(mine_copy.toStdString());
        QVERIFY(rle_decode(mine.images[0].instances.at(0).mask) != disc);  // ours kept the edit
        QVERIFY(!mine.find_category(std::string("theirs")));
    }

    // 3. Export refuses the project file and an image as its output (back to the dialog), and asks
    // before replacing a file this session did not write, also on Ctrl+E + Enter; Enter there keeps
    // the file. A file this session wrote is replaced without asking.
    void export_refuses_inputs_and_asks_before_replacing() {
        const QString folder = make_folder("export", true);
        MainWindow* w = open_window(folder);
        QVERIFY(w);
        const QString project = folder + "/" + kProjectName;
        const QString target = folder + "/annotations.coco.json";  // the dialog's default
        QFile hand(target);
        QVERIFY(hand.open(QIODevice::WriteOnly));
        hand.write("{\"hand\": \"edited\"}");
        hand.close();
        w->document()->flush();  // the image's fingerprint, recorded when first shown
        const QByteArray project_before = file_bytes(project), image_before = file_bytes(folder + "/img1.png");

        QStringList refusals;
        QString question;
        DialogScript script({
            {"the export dialog", is_export_dialog, [project](QWidget* d) { set_path_and_press_enter(d, project); }},
            {"the refusal (project)", is_box, [&refusals](QWidget* b) { refusals << box_text(b); QTest::keyClick(b, Qt::Key_Return); }},
            {"the export dialog again", is_export_dialog, [folder](QWidget* d) { set_path_and_press_enter(d, folder + "/img1.png"); }},
            {"the refusal (image)", is_box, [&refusals](QWidget* b) { refusals << box_text(b); QTest::keyClick(b, Qt::Key_Return); }},
            {"the export dialog, third time", is_export_dialog, [target](QWidget* d) { set_path_and_press_enter(d, target); }},
            {"the replace question", is_box, [&question](QWidget* b) {
                 question = box_text(b);
                 shot(b, "safety-4-replace-question");
                 QTest::keyClick(b, Qt::Key_Return);  // the default keeps the file
             }},
            {"the export dialog, fourth time", is_export_dialog, [](QWidget* d) { QTest::keyClick(d, Qt::Key_Escape); }},
        });
        QTest::keyClick(w->canvas(), Qt::Key_E, Qt::ControlModifier);
        QVERIFY2(script.done(), qPrintable(script.failure()));
        QCOMPARE(refusals.size(), 2);
        QVERIFY2(refusals[0].contains("same file as the project"), qPrintable(refusals[0]));
        QVERIFY2(refusals[1].contains("same file as the image"), qPrintable(refusals[1]));
        QVERIFY2(question.contains(target) && question.contains("not written by this session"), qPrintable(question));
        QVERIFY(!w->exporting());
        QCOMPARE(file_bytes(target), QByteArray("{\"hand\": \"edited\"}"));
        QCOMPARE(file_bytes(project), project_before);
        QCOMPARE(file_bytes(folder + "/img1.png"), image_before);
        // The scripted path refuses too.
        QString summary;
        QVERIFY(!w->export_coco(project, false, &summary));
        QVERIFY(summary.contains("same file as the project"));

        // Ctrl+E, Enter, Replace: written. Then Ctrl+E, Enter again: our own file, no question.
        QApplication::setActiveWindow(w);
        DialogScript replace({
            {"the export dialog", is_export_dialog, [](QWidget* d) { QTest::keyClick(d, Qt::Key_Return); }},
            {"the replace question", is_box, [](QWidget* b) {
                 for (QAbstractButton* button : qobject_cast<QMessageBox*>(b)->buttons())
                     if (button->text() == "Replace") QTest::mouseClick(button, Qt::LeftButton);
             }},
        });
        QTest::keyClick(w->canvas(), Qt::Key_E, Qt::ControlModifier);
        QVERIFY2(replace.done(), qPrintable(replace.failure()));
        QTRY_VERIFY_WITH_TIMEOUT(!w->exporting(), 20000);
        QTRY_VERIFY(file_bytes(target).contains("\"annotations\""));
        for (QWidget* top : QApplication::topLevelWidgets())
            if (auto* box = qobject_cast<QMessageBox*>(top); box && box->isVisible()) box->close();
        QApplication::setActiveWindow(w);
        DialogScript again({{"the export dialog", is_export_dialog, [](QWidget* d) { QTest::keyClick(d, Qt::Key_Return); }}});
        QSignalSpy finished(w, &MainWindow::export_finished);
        QTest::keyClick(w->canvas(), Qt::Key_E, Qt::ControlModifier);
        QVERIFY2(again.done(), qPrintable(again.failure()));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 20000);
        QVERIFY(finished[0][0].toBool());
        for (QWidget* top : QApplication::topLevelWidgets())
            if (auto* box = qobject_cast<QMessageBox*>(top); box && box->isVisible()) box->close();
    }

    // 4. Annotations kept in the app-data copy while the folder was read-only are offered back when
    // the folder opens: Merge brings them in; Replace makes the copy the project, keeping the old one.
    void newer_fallback_is_offered_back() {
        for (const QString mode : {"Merge", "Replace"}) {
            const QString folder = make_folder("fallback-" + mode, true);
            const QString project = folder + "/" + kProjectName;
            QDir().mkpath(fallback_projects_dir());
            const QString copy = QString::fromStdString(fallback_project_path(fallback_projects_dir().toStdString(), folder.toStdString()));
            Project kept = load_project(project.toStdString());
            kept.image_root = folder.toStdString();
            kept.add_instance(kept.images[0], kept.categories[0].id, rle_encode(rect_mask(640, 480, 520, 380, 580, 440)), 1.0f, "test:square");
            QTest::qWait(20);  // newer than the project
            save_project(kept, copy.toStdString());

            MainWindow* w = open_window(folder);
            QVERIFY(w);
            QVERIFY2(w->notice_bar()->text().contains(copy) && w->notice_bar()->text().contains("read-only"),
                     qPrintable(w->notice_bar()->text()));
            QVERIFY(notice_button(w, "Merge") && notice_button(w, "Replace") && notice_button(w, "Not now"));
            if (mode == "Merge") shot(w, "safety-5-fallback-offer");
            QTest::mouseClick(notice_button(w, mode), Qt::LeftButton);
            QTRY_VERIFY_WITH_TIMEOUT(!w->scanning() && w->image_ready(), 20000);
            QCOMPARE(w->document()->project().images[0].instances.size(), size_t(2));
            w->document()->flush();
            QCOMPARE(load_project(project.toStdString()).images[0].instances.size(), size_t(2));
            QVERIFY(QFileInfo::exists(copy));  // the copy stays where it was
            if (mode == "Replace") {
                const QStringList old = QDir(folder).entryList({kProjectName + ".*-*.json"});
                QCOMPARE(old.size(), 1);
                QCOMPARE(load_project((folder + "/" + old[0]).toStdString()).images[0].instances.size(), size_t(1));
            }
            window_.reset();
            QVERIFY(open_window(folder));  // offered once: nothing new in the copy now
            QVERIFY(!notice_button(window_.get(), "Merge"));
            window_.reset();
            QFile::remove(copy);
        }
    }

    // 5. A file name that is not UTF-8: listed (shown with U+FFFD), annotated, saved and exported
    // under its own bytes.
    void odd_name_annotated_saved_exported() {
        const QString folder = make_folder("odd", false);
        const std::string raw = "z-\xff\xfe.png";
        QVERIFY(std::filesystem::copy_file((folder + "/img1.png").toStdString(), folder.toStdString() + "/" + raw));
        MainWindow* w = open_window(folder);
        QVERIFY(w);
        QCOMPARE(w->image_count(), 2);
        QCOMPARE(w->file_list()->model()->index(1, 0).data().toString(), QString::fromUtf8("z-\xef\xbf\xbd\xef\xbf\xbd.png"));
        w->file_list()->setCurrentIndex(w->file_list()->model()->index(1, 0));
        QTRY_VERIFY_WITH_TIMEOUT(w->image_ready() && w->current_index() == 1, 20000);
        accept_square(w);
        QCOMPARE(w->current_record()->file_name, raw);
        QCOMPARE(w->current_record()->instances.size(), size_t(1));
        w->document()->flush();
        const Project saved = load_project((folder + "/" + kProjectName).toStdString());
        const ImageRecord* rec = saved.find_image(raw);
        QVERIFY(rec && rec->instances.size() == 1);
        QString summary;
        const QString coco = root_ + "/odd.coco.json";
        QVERIFY2(w->export_coco(coco, false, &summary), qPrintable(summary));
        QVERIFY(file_bytes(coco).contains("z-%FF%FE.png"));
        CocoImportOptions options;
        options.images_dir = folder.toStdString();  // every image is opened by its exported name
        const Project read = read_coco(coco.toStdString(), options);
        const ImageRecord* exported = read.find_image(raw);
        QVERIFY(exported && exported->instances.size() == 1);
        QCOMPARE(exported->instances[0].mask, rec->instances[0].mask);
    }

    // 6. The engine's thread-count box stops at max_thread_count().
    void thread_count_is_capped() {
        MainWindow w;
        w.show();
        auto* combo = w.findChild<QComboBox*>("engineCombo");
        QVERIFY(combo);
        const int xsam = combo->findText("xsam", Qt::MatchStartsWith);
        if (xsam < 0) QSKIP("this build has no X-SAM engine (the one with a thread-count setting)");
        combo->setCurrentIndex(xsam);  // shown, not chosen: no load starts
        w.open_engine_settings();
        QTRY_VERIFY(w.engine_settings_dialog());
        auto* spin = w.engine_settings_dialog()->findChild<QSpinBox*>("option-threads");
        QVERIFY(spin);
        QCOMPARE(spin->maximum(), max_thread_count());
        spin->setFocus();
        spin->selectAll();
        QTest::keyClicks(spin, "100000");
        QVERIFY(spin->value() <= max_thread_count());
        w.engine_settings_dialog()->close();
    }
};

QTEST_MAIN(TestSafetyGui)
#include "test_safety_gui.moc"
