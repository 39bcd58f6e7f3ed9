// Dataset formats in the GUI (issue 16), driven through the real main window (offscreen) with QTest
// key and mouse events: File > Export as… in two formats (a folder and a file format) with the
// summary's loss report, the files read back with core's importers; File > Import… of a labelme
// folder as another tool writes it and of the YOLO export, each one undo step; a bad file refused
// with its name and field shown and the project unchanged. Screenshots go to /tmp/gui-shots/formats-*.png.
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QtTest>
#include <filesystem>
#include <memory>

#include "core/formats/format.h"
#include "core/io/project_file.h"
#include "core/mask/polygon.h"
#include "tests/ui/gui_test_support.h"
#include "ui/document.h"
#include "ui/main_window.h"

using namespace xs;

namespace {

constexpr int kTimeoutMs = 60000;
const QString kProjectName = "xsam-project.json";

// A ring (a disc with a hole): YOLO and labelme fill the hole, and the export must say so.
Mask ring_mask() {
    Mask m(640, 480);
    for (int y = 0; y < 480; ++y)
        for (int x = 0; x < 640; ++x) {
            const int d2 = (x - 300) * (x - 300) + (y - 220) * (y - 220);
            if (d2 <= 80 * 80 && d2 > 30 * 30) m.set(x, y, true);
        }
    return m;
}

void write_file(const QString& path, const QByteArray& bytes) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

bool is_format_dialog(QWidget* w, const char* name) { return w->objectName() == name; }
// Picks the format by typing its name into the combo box (keyboard search), sets the path, Enter.
void choose_and_accept(QWidget* dialog, const QString& format, const QString& path, const QString& screenshot = {}) {
    auto* box = dialog->findChild<QComboBox*>("formatBox");
    QVERIFY(box);
    box->setFocus();
    QTest::keyClick(box, Qt::Key_Home);
    for (int i = box->findText(format); i > 0; --i) QTest::keyClick(box, Qt::Key_Down);
    QCOMPARE(box->currentText(), format);
    auto* edit = dialog->findChild<QLineEdit*>("pathEdit");
    type_over(edit, path);
    if (!screenshot.isEmpty()) shot(dialog, "formats-" + screenshot);
    QTest::keyClick(edit, Qt::Key_Return);
}

// The instances of an image as (category name, mask) pairs, in drawing order.
std::vector<std::pair<std::string, Mask>> masks_of(const Project& p, const std::string& image) {
    std::vector<std::pair<std::string, Mask>> out;
    const ImageRecord* rec = p.find_image(image);
    if (!rec) return out;
    for (const Instance& inst : rec->instances) out.push_back({p.find_category(inst.category_id)->name, rle_decode(inst.mask)});
    return out;
}

Project import_with_core(const std::string& format, const QString& in, const QString& images) {
    Project p;
    ImportOptions options;
    options.images_dir = images.toStdString();
    ImportReport report;
    find_format(format).import_into(p, in.toStdString(), options, report);
    return p;
}

}  // namespace

class TestFormatsGui : public QObject {
    Q_OBJECT
private:
    QString root_;
    std::unique_ptr<MainWindow> window_;

    // img1.png (with the ring and the square in the project when annotated) and img2.png.
    QString make_folder(const QString& name, bool annotated) {
        const QString folder = root_ + "/" + name;
        std::filesystem::remove_all(folder.toStdString());
        QDir().mkpath(folder);
        make_disc_and_square_image(folder + "/img1.png");
        make_disc_and_square_image(folder + "/img2.png");
        if (annotated) {
            Project p;
            p.image_root = ".";
            ImageRecord& rec = p.add_image("img1.png", 640, 480);
            p.add_instance(rec, p.add_category("ring").id, rle_encode(ring_mask()), 1.0f, "test:ring");
            p.add_instance(rec, p.add_category("square").id, rle_encode(rect_mask(640, 480, 520, 380, 580, 440)), 1.0f, "test:square");
            save_project(p, (folder + "/" + kProjectName).toStdString());
        }
        return folder;
    }

    MainWindow* open_window(const QString& folder) {
        window_.reset();
        window_ = std::make_unique<MainWindow>();
        window_->resize(1400, 860);
        window_->show();
        QApplication::setActiveWindow(window_.get());
        window_->set_engine("classic");
        if (!window_->open_folder(folder)) return nullptr;
        MainWindow* w = window_.get();
        if (!QTest::qWaitFor([w] { return !w->scanning() && w->image_ready() && w->engine_ready(); }, kTimeoutMs))
            return nullptr;
        return w;
    }

    // Export as… through the dialog; returns the summary box's text (empty: no summary).
    QString export_through_dialog(MainWindow* w, const QString& format, const QString& out, const QString& screenshot) {
        QSignalSpy finished(w, &MainWindow::export_finished);
        DialogScript script({{"the Export as dialog", [](QWidget* d) { return is_format_dialog(d, "exportFormatDialog"); },
                              [&](QWidget* d) { choose_and_accept(d, format, out, screenshot); }}});
        QApplication::setActiveWindow(w);
        QTest::keyClick(w->canvas(), Qt::Key_E, Qt::ControlModifier | Qt::ShiftModifier);
        if (!QTest::qWaitFor([&] { return script.done(); }, 20000)) {
            qWarning("%s", qPrintable(script.failure()));
            return QString();
        }
        if (!QTest::qWaitFor([&] { return finished.size() == 1; }, kTimeoutMs) || !finished[0][0].toBool()) return QString();
        QMessageBox* box = nullptr;
        if (!QTest::qWaitFor([&] { return (box = visible_box("exportSummary")) != nullptr; }, 5000)) return QString();
        shot(box, "formats-" + screenshot + "-summary");
        const QString text = box->text();
        box->close();
        return text;
    }

    // Import… through the dialog; returns the import_finished arguments (ok, message).
    std::pair<bool, QString> import_through_dialog(MainWindow* w, const QString& format, const QString& in,
                                                   const QString& screenshot = {}) {
        QSignalSpy finished(w, &MainWindow::import_finished);
        DialogScript script({{"the Import dialog", [](QWidget* d) { return is_format_dialog(d, "importFormatDialog"); },
                              [&](QWidget* d) { choose_and_accept(d, format, in, screenshot); }}});
        QApplication::setActiveWindow(w);
        QTest::keyClick(w->canvas(), Qt::Key_I, Qt::ControlModifier | Qt::ShiftModifier);
        if (!QTest::qWaitFor([&] { return script.done(); }, 20000)) return {false, script.failure()};
        if (!QTest::qWaitFor([&] { return finished.size() == 1; }, kTimeoutMs)) return {false, "no import_finished"};
        return {finished[0][0].toBool(), finished[0][2].toString()};
    }

private Q_SLOTS:
    void initTestCase() {
        use_private_settings("test_ui_formats");
        root_ = qEnvironmentVariable("XS_TEST_TMP", QDir::tempPath() + "/xs-ui-formats");
        std::filesystem::remove_all(root_.toStdString());
        QVERIFY(QDir().mkpath(root_));
    }

    void cleanupTestCase() { window_.reset(); }

    // The dialog lists every registered format with what it cannot carry and its options.
    void dialog_lists_every_format_with_its_losses_and_options() {
        const QString folder = make_folder("dialog", true);
        MainWindow* w = open_window(folder);
        QVERIFY(w);
        QStringList listed, yolo_losses;
        bool val_fraction_shown = false;
        DialogScript script({{"the Export as dialog", [](QWidget* d) { return is_format_dialog(d, "exportFormatDialog"); },
                              [&](QWidget* d) {
                                  auto* box = d->findChild<QComboBox*>("formatBox");
                                  for (int i = 0; i < box->count(); ++i) listed << box->itemText(i);
                                  box->setFocus();
                                  QTest::keyClick(box, Qt::Key_Home);
                                  for (int i = box->findText("yolo-seg"); i > 0; --i) QTest::keyClick(box, Qt::Key_Down);
                                  QCOMPARE(box->currentText(), QString("yolo-seg"));
                                  yolo_losses << d->findChild<QLabel*>("cannotCarry")->text();
                                  val_fraction_shown = d->findChild<QLineEdit*>("option-val-fraction") != nullptr;
                                  shot(d, "formats-1-export-dialog-yolo");
                                  QTest::keyClick(d, Qt::Key_Escape);
                              }}});
        QTest::keyClick(w->canvas(), Qt::Key_E, Qt::ControlModifier | Qt::ShiftModifier);
        QTRY_VERIFY2_WITH_TIMEOUT(script.done(), qPrintable(script.failure()), 20000);
        QStringList registered;
        for (const Format* f : all_formats()) registered << QString::fromStdString(f->info().name);
        QCOMPARE(listed, registered);
        QVERIFY2(yolo_losses.join("").contains("holes"), qPrintable(yolo_losses.join("")));
        QVERIFY(val_fraction_shown);
    }

    // Two formats through the dialog (a folder and a file), the loss report in the summary, and the
    // files read back with core's importers give the masks the format can carry.
    void export_in_two_formats_and_read_back() {
        const QString folder = make_folder("export", true);
        MainWindow* w = open_window(folder);
        QVERIFY(w);
        const Project doc = w->document()->full_project();

        const QString yolo = root_ + "/out-yolo";
        const QString summary = export_through_dialog(w, "yolo-seg", yolo, "2-export-yolo");
        QVERIFY2(summary.contains("lost, per image") && summary.contains("img1.png: 1 instances with holes filled"),
                 qPrintable(summary));
        QVERIFY2(summary.contains("worst IoU"), qPrintable(summary));
        const Project yolo_back = import_with_core("yolo-seg", yolo, folder);
        const auto got = masks_of(yolo_back, "img1.png"), want = masks_of(doc, "img1.png");
        QCOMPARE(got.size(), size_t(2));
        QCOMPARE(got[1].first, std::string("square"));
        QVERIFY(got[1].second == want[1].second);  // no hole: exact
        // The ring comes back filled: every ring pixel, plus the hole.
        QCOMPARE(got[0].first, std::string("ring"));
        QCOMPARE(mask_intersection(got[0].second, want[0].second).area(), want[0].second.area());
        QVERIFY(got[0].second.area() > want[0].second.area());

        const QString vgd = root_ + "/out-vgd.json";
        const QString vgd_summary = export_through_dialog(w, "vgd", vgd, "3-export-vgd");
        QVERIFY2(vgd_summary.contains("2 instance(s), 0 skipped") && vgd_summary.contains("lost"), qPrintable(vgd_summary));
        const Project vgd_back = import_with_core("vgd", vgd, folder);
        const auto vgd_got = masks_of(vgd_back, "img1.png");
        QCOMPARE(vgd_got.size(), size_t(2));
        for (size_t i = 0; i < 2; ++i) {
            QCOMPARE(vgd_got[i].first, want[i].first);
            QVERIFY(vgd_got[i].second == want[i].second);  // RLE: exact, holes included
        }
    }

    // An output over an input is refused, back in the dialog; a folder this session did not write is
    // replaced only when the user says so.
    void export_output_checks() {
        const QString folder = make_folder("checks", true);
        MainWindow* w = open_window(folder);
        QVERIFY(w);
        w->document()->flush();  // the image's fingerprint, recorded when first shown
        const QByteArray project_before = file_bytes(folder + "/" + kProjectName);
        QStringList refusals;
        QString question;
        const QString earlier = root_ + "/earlier-labelme";
        std::filesystem::remove_all(earlier.toStdString());
        QVERIFY(find_format("labelme").info().exports_folder);
        {
            Project p = w->document()->full_project();
            ExportOptions options;
            options.images_dir = folder.toStdString();
            ExportReport report;
            find_format("labelme").export_project(p, earlier.toStdString(), options, report);
        }
        // As another program's export: the same marker, written again after our export.
        const QByteArray marker = file_bytes(earlier + "/xsam-export.json");
        QTest::qWait(20);
        write_file(earlier + "/xsam-export.json", marker);
        const QByteArray earlier_file = file_bytes(earlier + "/img1.json");
        QVERIFY(!earlier_file.isEmpty());
        auto is_dialog = [](QWidget* d) { return is_format_dialog(d, "exportFormatDialog"); };
        DialogScript script({
            {"the dialog", is_dialog, [&](QWidget* d) { choose_and_accept(d, "labelme", folder); }},
            {"the refusal (image folder)", is_box, [&](QWidget* b) {
                 refusals << qobject_cast<QMessageBox*>(b)->text();
                 QTest::keyClick(b, Qt::Key_Return);
             }},
            {"the dialog again", is_dialog, [&](QWidget* d) { choose_and_accept(d, "vgd", folder + "/" + kProjectName); }},
            {"the refusal (project)", is_box, [&](QWidget* b) {
                 refusals << qobject_cast<QMessageBox*>(b)->text();
                 QTest::keyClick(b, Qt::Key_Return);
             }},
            {"the dialog, third time", is_dialog, [&](QWidget* d) { choose_and_accept(d, "labelme", earlier); }},
            {"the replace question", is_box, [&](QWidget* b) {
                 question = qobject_cast<QMessageBox*>(b)->text();
                 shot(b, "formats-4-replace-folder-question");
                 QTest::keyClick(b, Qt::Key_Return);  // the default keeps the folder
             }},
            {"the dialog, fourth time", is_dialog, [](QWidget* d) { QTest::keyClick(d, Qt::Key_Escape); }},
        });
        QTest::keyClick(w->canvas(), Qt::Key_E, Qt::ControlModifier | Qt::ShiftModifier);
        QTRY_VERIFY2_WITH_TIMEOUT(script.done(), qPrintable(script.failure()), 30000);
        QCOMPARE(refusals.size(), 2);
        QVERIFY2(refusals[0].contains("would replace a folder holding the"), qPrintable(refusals[0]));
        QVERIFY2(refusals[1].contains("same file as the project"), qPrintable(refusals[1]));
        QVERIFY2(question.contains(earlier) && question.contains("did not write"), qPrintable(question));
        QVERIFY(!w->exporting());
        QCOMPARE(file_bytes(earlier + "/img1.json"), earlier_file);
        QCOMPARE(file_bytes(folder + "/" + kProjectName), project_before);
    }

    // A labelme folder as labelme writes it, then the YOLO export of another project: each import is
    // one undo step; undo gives the project before, redo the import again.
    void import_labelme_and_yolo_folders() {
        // The YOLO export of the annotated project, to import into a fresh one.
        const QString source = make_folder("yolo-source", true);
        const QString yolo = root_ + "/yolo-for-import";
        std::filesystem::remove_all(yolo.toStdString());
        {
            const Project p = load_project((source + "/" + kProjectName).toStdString());
            ExportOptions options;
            options.images_dir = source.toStdString();
            ExportReport report;
            find_format("yolo-seg").export_project(p, yolo.toStdString(), options, report);
        }
        const QString folder = make_folder("import", false);
        const QString labelme = root_ + "/labelme-in";
        std::filesystem::remove_all(labelme.toStdString());
        write_file(labelme + "/img2.json", R"({"version": "5.4.1", "flags": {}, "shapes": [
            {"label": "cat", "points": [[100, 50], [160, 90]], "group_id": null, "shape_type": "rectangle", "flags": {}},
            {"label": "tail", "points": [[10, 10], [40, 10], [40, 30]], "group_id": null, "shape_type": "polygon", "flags": {}}],
            "imagePath": "../import/img2.png", "imageData": null, "imageHeight": 480, "imageWidth": 640})");
        MainWindow* w = open_window(folder);
        QVERIFY(w);
        Document* doc = w->document();
        const std::string empty_state = project_to_json(doc->full_project());
        const int steps_before = doc->undo_stack()->count();

        const auto [ok, message] = import_through_dialog(w, "labelme", labelme, "5-import-dialog-labelme");
        QVERIFY2(ok, qPrintable(message));
        QVERIFY2(message.contains("2 instance(s)"), qPrintable(message));
        QCOMPARE(doc->undo_stack()->count(), steps_before + 1);
        const Project after = doc->full_project();
        const auto got = masks_of(after, "img2.png");
        QCOMPARE(got.size(), size_t(2));
        QCOMPARE(got[0].first, std::string("cat"));
        QCOMPARE(got[1].first, std::string("tail"));
        QVERIFY(got[0].second == polygons_to_mask({{100, 50, 160, 50, 160, 90, 100, 90}}, 640, 480));  // as pycocotools rasterises it
        QMessageBox* summary = visible_box("importSummary");
        QVERIFY(summary);
        shot(summary, "formats-6-import-summary");
        summary->close();
        const std::string imported_state = project_to_json(after);

        QApplication::setActiveWindow(w);
        QTest::keyClick(w->canvas(), Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(masks_of(doc->full_project(), "img2.png").size(), size_t(0));
        QVERIFY(doc->full_project().categories.empty());
        QTest::keyClick(w->canvas(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(project_to_json(doc->full_project()), imported_state);
        QVERIFY(empty_state != imported_state);

        // The YOLO folder adds img1's ring (filled) and square, categories matched by name.
        const auto [yolo_ok, yolo_message] = import_through_dialog(w, "yolo-seg", yolo);
        QVERIFY2(yolo_ok, qPrintable(yolo_message));
        close_boxes();
        const Project with_yolo = doc->full_project();
        const auto img1 = masks_of(with_yolo, "img1.png");
        QCOMPARE(img1.size(), size_t(2));
        QCOMPARE(img1[1].first, std::string("square"));
        QVERIFY(img1[1].second == rect_mask(640, 480, 520, 380, 580, 440));
        QCOMPARE(with_yolo.categories.size(), size_t(4));
        // Saved: the file holds the import.
        doc->flush();
        QCOMPARE(masks_of(load_project(doc->path().toStdString()), "img1.png").size(), size_t(2));
        QApplication::setActiveWindow(w);
        QTest::keyClick(w->canvas(), Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(masks_of(doc->full_project(), "img1.png").size(), size_t(0));
        QCOMPARE(masks_of(doc->full_project(), "img2.png").size(), size_t(2));
    }

    // A bad file is refused with its name and the field shown; the project and its file are unchanged.
    void bad_file_is_refused_and_nothing_changes() {
        const QString folder = make_folder("bad", true);
        const QString bad = root_ + "/labelme-bad";
        std::filesystem::remove_all(bad.toStdString());
        write_file(bad + "/img2.json", R"({"version": "5.4.1", "flags": {}, "shapes": [
            {"label": "cat", "points": [[100, 50], [160, 90]], "shape_type": "rectangle"}],
            "imagePath": "../bad/img2.png", "imageData": null, "imageHeight": 480, "imageWidth": "wide"})");
        MainWindow* w = open_window(folder);
        QVERIFY(w);
        Document* doc = w->document();
        doc->flush();
        const std::string before = project_to_json(doc->full_project());
        const QByteArray file_before = file_bytes(folder + "/" + kProjectName);
        const int steps = doc->undo_stack()->count();
        const auto [ok, message] = import_through_dialog(w, "labelme", bad);
        QVERIFY(!ok);
        QVERIFY2(message.contains(bad + "/img2.json") && message.contains("imageWidth") && message.contains("not changed"),
                 qPrintable(message));
        QMessageBox* box = nullptr;
        QTRY_VERIFY((box = visible_box("importRefused")) != nullptr);
        QVERIFY(box->text().contains("img2.json"));
        shot(box, "formats-7-import-refused");
        box->close();
        QCOMPARE(project_to_json(doc->full_project()), before);
        QCOMPARE(doc->undo_stack()->count(), steps);
        doc->flush();
        QCOMPARE(file_bytes(folder + "/" + kProjectName), file_before);
    }
};

QTEST_MAIN(TestFormatsGui)
#include "test_formats_gui.moc"
