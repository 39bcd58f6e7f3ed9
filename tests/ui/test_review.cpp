// Review status, tags and finding images on the real main window (QTest events, offscreen): the
// status keys on the shown image and on several images selected in the list (one undo step each),
// tags typed in the tag field, the filter bar (name, status, tag, category, count, pending), A/D
// within the filtered list, next unfinished, thumbnails arriving, the keys in the shortcuts page, and
// the project file after reopening. Screenshots go to /tmp/gui-shots/review-*.png.
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QUndoStack>
#include <QtTest>
#include <filesystem>
#include <memory>

#include "core/io/project_file.h"
#include "ui/document.h"
#include "ui/image_browser.h"
#include "ui/image_canvas.h"
#include "ui/image_filter_bar.h"
#include "ui/image_list_model.h"
#include "ui/main_window.h"
#include "tests/ui/gui_test_support.h"
#include "ui/shortcuts_dialog.h"
#include "ui/thumbnails.h"

using namespace xs;

namespace {

constexpr int kTimeoutMs = 60000;
constexpr int kImages = 12;  // img01.png .. img12.png, each its own colour
constexpr int kW = 64, kH = 48;

QString image_name(int i) { return QStringLiteral("img%1.png").arg(i + 1, 2, 10, QLatin1Char('0')); }

}  // namespace

class TestReview : public QObject {
    Q_OBJECT
private:
    QString folder_;
    std::unique_ptr<MainWindow> window_;

    // img02 has two "cat" instances and img05 one "dog"; the others none.
    void write_project() {
        Project p;
        p.image_root = ".";
        const int cat = p.add_category("cat").id;
        const int dog = p.add_category("dog").id;
        Mask m(kW, kH);
        m.set(3, 3, true);
        ImageRecord& a = p.add_image("img02.png", kW, kH);
        p.add_instance(a, cat, rle_encode(m));
        p.add_instance(a, cat, rle_encode(m));
        ImageRecord& b = p.add_image("img05.png", kW, kH);
        p.add_instance(b, dog, rle_encode(m));
        save_project(p, (folder_ + "/xsam-project.json").toStdString());
    }

    MainWindow* open_window() { return open_main_window(window_, folder_, QSize(1400, 900), false, kTimeoutMs); }

    QListView* list() { return window_->file_list(); }
    ImageBrowser* browser() { return window_->image_browser(); }
    QUndoStack* undo() { return window_->document()->undo_stack(); }
    const Project& project() { return window_->document()->project(); }
    ReviewStatus status_of(int i) { return project().review(image_name(i).toStdString()).status; }
    QString current_name() { return QString::fromStdString(browser()->current_key()); }
    template <typename T>
    T* bar(const char* name) { return window_->filter_bar()->findChild<T*>(name); }

    void key(int k, Qt::KeyboardModifiers mods = {}) {
        window_->canvas()->setFocus();
        QTest::keyClick(window_->canvas(), Qt::Key(k), mods);
    }

    // A click on the list's row showing image i (Ctrl: add it to the selection).
    void click_image(int i, Qt::KeyboardModifiers mods = {}) {
        const QModelIndex at = list()->model()->index(browser()->model()->view_row(i), 0);
        QVERIFY(at.isValid());
        list()->scrollTo(at);
        QTest::mouseClick(list()->viewport(), Qt::LeftButton, mods, list()->visualRect(at).center());
    }

    // The names the list shows, in order (without counts and tags).
    QStringList shown() {
        QStringList names;
        for (int r = 0; r < list()->model()->rowCount(); ++r)
            names << list()->model()->index(r, 0).data(ImageListModel::KeyRole).toByteArray();
        return names;
    }

    void clear_filter() {
        bar<QLineEdit>("filterName")->clear();
        bar<QComboBox>("filterStatus")->setCurrentIndex(0);
        bar<QComboBox>("filterTag")->setCurrentIndex(0);
        bar<QComboBox>("filterCategory")->setCurrentIndex(0);
        bar<QSpinBox>("filterMin")->setValue(0);
        bar<QSpinBox>("filterMax")->setValue(-1);
        bar<QCheckBox>("filterPending")->setChecked(false);
        QCOMPARE(list()->model()->rowCount(), kImages);
    }

private Q_SLOTS:
    void initTestCase() {
        use_private_settings("test_ui_review");
        folder_ = qEnvironmentVariable("XS_TEST_TMP", QDir::tempPath() + "/xs-review-test") + "/images";
        std::filesystem::remove_all(folder_.toStdString());
        QVERIFY(QDir().mkpath(folder_));
        for (int i = 0; i < kImages; ++i) {
            QImage img(kW, kH, QImage::Format_RGB32);
            img.fill(QColor::fromHsv(i * 30, 200, 220));
            QVERIFY(img.save(folder_ + "/" + image_name(i)));
        }
        write_project();
        QVERIFY(open_window());
    }

    void cleanupTestCase() { window_.reset(); }

    void thumbnails_arrive_for_visible_rows() {
        QCOMPARE(list()->model()->rowCount(), kImages);
        ThumbnailCache* thumbs = browser()->thumbnails();
        QTRY_VERIFY_WITH_TIMEOUT(thumbs->cached() == kImages, 20000);  // all twelve rows are on screen
        // A thumbnail is the image, small: img01's colour at its centre.
        const QImage t = thumbs->get("img01.png");
        QVERIFY(!t.isNull() && std::max(t.width(), t.height()) == ThumbnailCache::kSide);
        QCOMPARE(t.pixelColor(t.width() / 2, t.height() / 2).hue(), QColor::fromHsv(0, 200, 220).hue());
        QVERIFY(list()->model()->index(1, 0).data().toString().startsWith("img02.png   (2)"));
        shot(window_.get(), "review-01-list-with-thumbnails");
    }

    void status_keys_on_the_shown_image_one_undo_step_each() {
        QCOMPARE(current_name(), QString("img01.png"));
        const int steps = undo()->index();
        key(Qt::Key_3, Qt::AltModifier);
        QCOMPARE(status_of(0), ReviewStatus::done);
        QCOMPARE(undo()->index(), steps + 1);
        QCOMPARE(list()->model()->index(0, 0).data(ImageListModel::StatusRole).toInt(), int(ReviewStatus::done));
        key(Qt::Key_2, Qt::AltModifier);
        QCOMPARE(status_of(0), ReviewStatus::in_progress);
        key(Qt::Key_2, Qt::AltModifier);  // no change: no step
        QCOMPARE(undo()->index(), steps + 2);
        key(Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(status_of(0), ReviewStatus::done);
        key(Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(status_of(0), ReviewStatus::todo);
        QVERIFY(project().reviews.empty());
        key(Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(status_of(0), ReviewStatus::done);
        QCOMPARE(list()->model()->index(0, 0).data(ImageListModel::StatusRole).toInt(), int(ReviewStatus::done));
    }

    void status_keys_on_several_selected_images() {
        click_image(3);
        QTRY_COMPARE(current_name(), QString("img04.png"));
        click_image(5, Qt::ControlModifier);
        click_image(6, Qt::ControlModifier);
        QCOMPARE(browser()->selected_keys().size(), size_t(3));
        const int steps = undo()->index();
        key(Qt::Key_4, Qt::AltModifier);
        QCOMPARE(undo()->index(), steps + 1);
        for (int i : {3, 5, 6}) QCOMPARE(status_of(i), ReviewStatus::needs_review);
        QCOMPARE(status_of(4), ReviewStatus::todo);
        key(Qt::Key_Z, Qt::ControlModifier);
        for (int i : {3, 5, 6}) QCOMPARE(status_of(i), ReviewStatus::todo);
        key(Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        for (int i : {3, 5, 6}) QCOMPARE(status_of(i), ReviewStatus::needs_review);
        shot(window_.get(), "review-02-statuses");
    }

    void tags_typed_in_the_tag_field() {
        QCOMPARE(browser()->selected_keys().size(), size_t(3));  // img04, img06, img07 still selected
        key(Qt::Key_T, Qt::ControlModifier);  // Add tag: the tag field takes the keys
        QLineEdit* field = bar<QLineEdit>("tagEdit");
        QVERIFY(field->hasFocus());
        const int steps = undo()->index();
        QTest::keyClicks(field, "night");
        QTest::keyClick(field, Qt::Key_Return);
        QCOMPARE(undo()->index(), steps + 1);
        for (int i : {3, 5, 6}) QVERIFY(project().review(image_name(i).toStdString()).has_tag("night"));
        QVERIFY(list()->model()->index(3, 0).data().toString().endsWith("#night"));
        QCOMPARE(window_->preview_count(), 0);  // Return did not reach "Accept mask"
        // Remove from one image only.
        click_image(5);
        QTRY_COMPARE(current_name(), QString("img06.png"));
        QTest::mouseClick(bar<QPushButton>("removeTagButton"), Qt::LeftButton);
        QCOMPARE(undo()->index(), steps + 2);
        QVERIFY(!project().review("img06.png").has_tag("night"));
        QVERIFY(project().review("img07.png").has_tag("night"));
        key(Qt::Key_Z, Qt::ControlModifier);
        QVERIFY(project().review("img06.png").has_tag("night"));
        QCOMPARE(bar<QComboBox>("filterTag")->findText("night"), 1);  // the tag filter offers it
    }

    void filter_bar_filters_the_list() {
        // Now: img01 done; img04, img06, img07 needs review + night; img02 two cats; img05 one dog.
        QTest::keyClicks(bar<QLineEdit>("filterName"), "IMG1");
        QCOMPARE(shown(), QStringList({"img10.png", "img11.png", "img12.png"}));
        QVERIFY(bar<QLabel>("filterCount")->text().contains("3 of 12"));
        bar<QLineEdit>("filterName")->setText("*0?.png");
        QCOMPARE(shown().size(), 9);
        clear_filter();
        bar<QComboBox>("filterStatus")->setCurrentIndex(1 + int(ReviewStatus::needs_review));
        QCOMPARE(shown(), QStringList({"img04.png", "img06.png", "img07.png"}));
        bar<QComboBox>("filterStatus")->setCurrentIndex(1 + int(ReviewStatus::todo));
        QCOMPARE(shown().size(), 8);
        clear_filter();
        bar<QComboBox>("filterTag")->setCurrentIndex(bar<QComboBox>("filterTag")->findText("night"));
        QCOMPARE(shown(), QStringList({"img04.png", "img06.png", "img07.png"}));
        clear_filter();
        bar<QComboBox>("filterCategory")->setCurrentIndex(bar<QComboBox>("filterCategory")->findText("dog"));
        QCOMPARE(shown(), QStringList({"img05.png"}));
        clear_filter();
        bar<QSpinBox>("filterMin")->setValue(1);
        QCOMPARE(shown(), QStringList({"img02.png", "img05.png"}));
        bar<QSpinBox>("filterMax")->setValue(1);
        QCOMPARE(shown(), QStringList({"img05.png"}));
        clear_filter();
        bar<QCheckBox>("filterPending")->setChecked(true);
        QCOMPARE(shown(), QStringList());  // no candidates listed anywhere
        clear_filter();
    }

    // An edit moves an image into or out of the filtered list at once (the monkey, seed 20261204: a
    // tag added to the shown image under that tag's filter left the list empty).
    void edits_move_images_in_and_out_of_the_filter() {
        bar<QComboBox>("filterTag")->setCurrentIndex(bar<QComboBox>("filterTag")->findText("night"));
        QCOMPARE(shown(), QStringList({"img04.png", "img06.png", "img07.png"}));
        click_image(5);
        QTRY_COMPARE(current_name(), QString("img06.png"));
        bar<QLineEdit>("tagEdit")->setText("night");
        QTest::mouseClick(bar<QPushButton>("removeTagButton"), Qt::LeftButton);
        QCOMPARE(shown(), QStringList({"img04.png", "img07.png"}));
        QVERIFY(bar<QLabel>("filterCount")->text().contains("2 of 12"));
        key(Qt::Key_Z, Qt::ControlModifier);  // the tag back: img06 with it
        QCOMPARE(shown(), QStringList({"img04.png", "img06.png", "img07.png"}));
        key(Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(shown(), QStringList({"img04.png", "img07.png"}));
        key(Qt::Key_Z, Qt::ControlModifier);
        clear_filter();
    }

    void navigation_walks_the_filtered_list() {
        bar<QComboBox>("filterTag")->setCurrentIndex(bar<QComboBox>("filterTag")->findText("night"));
        QCOMPARE(shown(), QStringList({"img04.png", "img06.png", "img07.png"}));
        shot(window_.get(), "review-03-filtered");
        browser()->show(0);  // img01, not shown by the filter: D goes to the first shown after it
        QTRY_VERIFY_WITH_TIMEOUT(window_->image_ready(), 20000);
        key(Qt::Key_D);
        QCOMPARE(current_name(), QString("img04.png"));
        key(Qt::Key_D);
        QCOMPARE(current_name(), QString("img06.png"));
        key(Qt::Key_D);
        key(Qt::Key_D);  // the end of the filtered list: stays
        QCOMPARE(current_name(), QString("img07.png"));
        key(Qt::Key_A);
        QCOMPARE(current_name(), QString("img06.png"));
        clear_filter();
    }

    void next_unfinished_skips_done_images() {
        browser()->show(0);
        QTRY_VERIFY_WITH_TIMEOUT(window_->image_ready(), 20000);
        // img02 and img03 done: from img01 the next unfinished is img04.
        click_image(1);
        click_image(2, Qt::ShiftModifier);
        key(Qt::Key_3, Qt::AltModifier);
        QCOMPARE(status_of(1), ReviewStatus::done);
        QCOMPARE(status_of(2), ReviewStatus::done);
        browser()->show(0);
        key(Qt::Key_J, Qt::ControlModifier);
        QCOMPARE(current_name(), QString("img04.png"));
        // Within a filter and wrapping: images with instances are img02 (done) and img05.
        bar<QSpinBox>("filterMin")->setValue(1);
        browser()->show(5);  // img06
        key(Qt::Key_J, Qt::ControlModifier);
        QCOMPARE(current_name(), QString("img05.png"));
        clear_filter();
    }

    void keys_are_in_the_shortcuts_page() {
        const std::vector<std::pair<const char*, const char*>> keys = {
            {"statusTodo", "Alt+1"}, {"statusInProgress", "Alt+2"}, {"statusDone", "Alt+3"}, {"statusNeedsReview", "Alt+4"},
            {"nextUnfinished", "Ctrl+J"}, {"addTag", "Ctrl+T"}, {"removeTag", "Ctrl+Shift+T"}, {"findImages", "Ctrl+F"}};
        for (const auto& [name, k] : keys) QCOMPARE(window_->action(name)->shortcut(), QKeySequence(k));
        window_->open_shortcuts_dialog();
        ShortcutsDialog* dialog = window_->shortcuts_dialog();
        QVERIFY(dialog);
        auto* table = dialog->findChild<QTableWidget*>("shortcutsTable");
        QVERIFY(table);
        QStringList texts;
        for (int r = 0; r < table->rowCount(); ++r)
            for (int c = 0; c < table->columnCount(); ++c)
                if (table->item(r, c)) texts << table->item(r, c)->text();
        for (const char* t : {"Status: done", "Next unfinished image", "Add tag…", "Find images"})
            QVERIFY2(texts.contains(t), t);
        dialog->reject();
        key(Qt::Key_F, Qt::ControlModifier);
        QVERIFY(bar<QLineEdit>("filterName")->hasFocus());
    }

    void saved_and_reopened() {
        window_->document()->flush();
        const Project saved = load_project((folder_ + "/xsam-project.json").toStdString());
        QCOMPARE(project_format_version(saved), 4);
        QVERIFY(saved.reviews == project().reviews);
        QCOMPARE(saved.review("img07.png").status, ReviewStatus::needs_review);
        window_.reset();
        QVERIFY(open_window());
        QCOMPARE(list()->model()->index(6, 0).data(ImageListModel::StatusRole).toInt(), int(ReviewStatus::needs_review));
        QVERIFY(list()->model()->index(6, 0).data().toString().endsWith("#night"));
        QCOMPARE(bar<QComboBox>("filterTag")->findText("night"), 1);
    }
};

QTEST_MAIN(TestReview)
#include "test_review.moc"
