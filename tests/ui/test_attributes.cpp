// The Attributes panel and the attribute keys on the real main window (QTest events, offscreen):
// one and several selected instances, crowd / occluded / truncated by key and by box, a custom
// choice, number and text, the note, each change one undo step, the instance list's marker, the F1
// help, the project file after reopening, and the dialog of a category's custom attribute declarations
// (bad input refused, add / change / remove one undo step each). Screenshots go to
// /tmp/gui-shots/attributes-*.png.
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTreeWidget>
#include <QUndoStack>
#include <QtTest>
#include <filesystem>
#include <memory>

#include "core/io/project_file.h"
#include "tests/ui/gui_test_support.h"
#include "ui/attribute_panel.h"
#include "ui/document.h"
#include "ui/image_canvas.h"
#include "ui/main_window.h"
#include "ui/panels.h"

using namespace xs;

namespace {

constexpr int kTimeoutMs = 60000;
constexpr int kW = 320, kH = 240;

void type_lines(QPlainTextEdit* edit, const QStringList& lines) {
    edit->setFocus();
    edit->selectAll();
    QTest::keyClick(edit, Qt::Key_Delete);
    for (int i = 0; i < lines.size(); ++i) {
        if (i) QTest::keyClick(edit, Qt::Key_Return);
        QTest::keyClicks(edit, lines[i]);
    }
}

void choose(QComboBox* combo, const QString& text) {
    combo->setFocus();
    QTest::keyClick(combo, Qt::Key_Home);
    for (int i = 0; i < combo->count() && combo->currentText() != text; ++i) QTest::keyClick(combo, Qt::Key_Down);
}

void click(QWidget* button) { QTest::mouseClick(button, Qt::LeftButton); }

void click_list_row(QListWidget* list, int row) {
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(list->item(row)).center());
}

QStringList list_texts(QListWidget* list) {
    QStringList out;
    for (int i = 0; i < list->count(); ++i) out << list->item(i)->text();
    return out;
}

}  // namespace

class TestAttributes : public QObject {
    Q_OBJECT
private:
    QString folder_;
    std::unique_ptr<MainWindow> window_;
    int64_t car1_ = 0, car2_ = 0, tree_ = 0;

    // Two cars (category "car" declares colour: red/green/blue, doors: number 4, plate: text) and a tree.
    void write_project() {
        Project p;
        p.image_root = ".";
        Category& car = p.add_category("car");
        car.attributes = {{"colour", AttributeKind::choice, {"red", "green", "blue"}, std::string("red")},
                          {"doors", AttributeKind::number, {}, 4.0},
                          {"parked", AttributeKind::boolean, {}, false},
                          {"plate", AttributeKind::text, {}, std::string()}};
        const int tree_cat = p.add_category("tree").id;
        ImageRecord& img = p.add_image("scene.png", kW, kH);
        car1_ = p.add_instance(img, 1, rle_encode(rect_mask(kW, kH, 20, 20, 100, 90))).id;
        car2_ = p.add_instance(img, 1, rle_encode(rect_mask(kW, kH, 140, 30, 220, 100))).id;
        tree_ = p.add_instance(img, tree_cat, rle_encode(rect_mask(kW, kH, 240, 120, 300, 220))).id;
        save_project(p, (folder_ + "/xsam-project.json").toStdString());
    }

    MainWindow* open_window() { return open_main_window(window_, folder_, QSize(1400, 900), true, kTimeoutMs); }

    QTreeWidgetItem* row_of(int64_t id) {
        QTreeWidget* tree = window_->instance_panel()->tree();
        for (int i = 0; i < tree->topLevelItemCount(); ++i)
            if (tree->topLevelItem(i)->data(0, Qt::UserRole).toLongLong() == id) return tree->topLevelItem(i);
        return nullptr;
    }

    // A click on the instance's row in the list (Ctrl: add to the selection).
    void click_row(int64_t id, bool extend = false) {
        QTreeWidget* tree = window_->instance_panel()->tree();
        const QRect r = tree->visualItemRect(row_of(id));
        QTest::mouseClick(tree->viewport(), Qt::LeftButton, extend ? Qt::ControlModifier : Qt::NoModifier,
                          QPoint(r.right() - 5, r.center().y()));
        window_->canvas()->setFocus();
        QTest::qWait(10);  // as between a user's clicks: new editors are shown by the event loop
    }

    void key(int k, Qt::KeyboardModifiers mods = {}) {
        window_->canvas()->setFocus();
        QTest::keyClick(window_->canvas(), Qt::Key(k), mods);
    }

    const Instance& inst(int64_t id) { return *window_->document()->project().find_instance(id); }
    // An attribute's value as text (attribute_value_text), its default when not set; "-" when the
    // instance's category does not declare it.
    QString value_of(int64_t id, const char* name) {
        const Instance& i = inst(id);
        const std::optional<AttributeValue> v =
            attribute_value(i, window_->document()->project().find_category(i.category_id), name);
        return v ? QString::fromStdString(attribute_value_text(*v)) : QString("-");
    }
    template <typename T>
    T* panel_child(const QString& name) { return window_->attribute_panel()->findChild<T*>(name); }
    QCheckBox* flag_box(const char* name) { return panel_child<QCheckBox>(QStringLiteral("attribute_%1").arg(name)); }
    QUndoStack* undo() { return window_->document()->undo_stack(); }

private Q_SLOTS:
    void initTestCase() {
        use_private_settings("test_ui_attributes");
        folder_ = qEnvironmentVariable("XS_TEST_TMP", QDir::tempPath() + "/xs-attr-test") + "/scene";
        std::filesystem::remove_all(folder_.toStdString());
        QVERIFY(QDir().mkpath(folder_));
        QImage img(kW, kH, QImage::Format_RGB32);
        img.fill(QColor(40, 90, 160));
        QVERIFY(img.save(folder_ + "/scene.png"));
        write_project();
        QVERIFY(open_window());
    }

    void cleanupTestCase() { window_.reset(); }

    void nothing_selected_disables_the_panel() {
        QVERIFY(!window_->attribute_panel()->isEnabled());
        QCOMPARE(panel_child<QLabel>("attributesHeading")->text(), QString("No instance selected"));
    }

    void crowd_key_on_one_instance_undo_redo() {
        click_row(car1_);
        QCOMPARE(panel_child<QLabel>("attributesHeading")->text(), QString("Instance #%1").arg(car1_));
        const int steps = undo()->index();
        key(Qt::Key_C, Qt::ShiftModifier);
        QVERIFY(inst(car1_).iscrowd);
        QVERIFY(!inst(car2_).iscrowd);
        QCOMPARE(undo()->index(), steps + 1);
        QCOMPARE(flag_box(kAttrCrowd)->checkState(), Qt::Checked);
        QVERIFY2(row_of(car1_)->text(0).endsWith("[C]"), qPrintable(row_of(car1_)->text(0)));
        key(Qt::Key_Z, Qt::ControlModifier);
        QVERIFY(!inst(car1_).iscrowd);
        QCOMPARE(flag_box(kAttrCrowd)->checkState(), Qt::Unchecked);
        QVERIFY(!row_of(car1_)->text(0).contains('['));
        key(Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QVERIFY(inst(car1_).iscrowd);
        // The key on an instance that has it takes it off again.
        key(Qt::Key_C, Qt::ShiftModifier);
        QVERIFY(!inst(car1_).iscrowd);
        key(Qt::Key_Z, Qt::ControlModifier);
        QVERIFY(inst(car1_).iscrowd);
    }

    void several_instances_one_step_each() {
        click_row(car1_);
        click_row(car2_, true);
        QCOMPARE(window_->instance_panel()->selected().size(), size_t(2));
        QVERIFY(panel_child<QLabel>("attributesHeading")->text().startsWith("2 instances"));
        // car1 is crowd, car2 not: the box shows both, partly checked; a click sets it on both.
        QCOMPARE(flag_box(kAttrCrowd)->checkState(), Qt::PartiallyChecked);
        const int steps = undo()->index();
        QCheckBox* occluded = flag_box(kAttrOccluded);
        QTest::mouseClick(occluded, Qt::LeftButton, {}, QPoint(8, occluded->height() / 2));
        QVERIFY(inst(car1_).occluded && inst(car2_).occluded);
        QCOMPARE(undo()->index(), steps + 1);
        QVERIFY(row_of(car2_)->text(0).endsWith("[O]"));
        QVERIFY(row_of(car1_)->text(0).endsWith("[CO]"));
        key(Qt::Key_T, Qt::ShiftModifier);
        QVERIFY(inst(car1_).truncated && inst(car2_).truncated);
        QCOMPARE(undo()->index(), steps + 2);
        key(Qt::Key_Z, Qt::ControlModifier);
        key(Qt::Key_Z, Qt::ControlModifier);
        QVERIFY(!inst(car1_).occluded && !inst(car2_).occluded && !inst(car1_).truncated);
        QCOMPARE(flag_box(kAttrOccluded)->checkState(), Qt::Unchecked);
        key(Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QVERIFY(inst(car1_).occluded && inst(car2_).occluded);
        // The mixed crowd box clicked: crowd on both, as one step.
        QCheckBox* crowd = flag_box(kAttrCrowd);
        QTest::mouseClick(crowd, Qt::LeftButton, {}, QPoint(8, crowd->height() / 2));
        QVERIFY(inst(car1_).iscrowd && inst(car2_).iscrowd);
        QCOMPARE(crowd->checkState(), Qt::Checked);
    }

    void custom_attributes_and_note() {
        click_row(car2_);
        auto* colour = panel_child<QComboBox>("attribute_colour");
        auto* doors = panel_child<QDoubleSpinBox>("attribute_doors");
        auto* plate = panel_child<QLineEdit>("attribute_plate");
        QVERIFY(colour && doors && plate && panel_child<QCheckBox>("attribute_parked"));
        QCOMPARE(colour->currentText(), QString("red"));  // the default
        QCOMPARE(doors->value(), 4.0);
        const int steps = undo()->index();
        colour->setFocus();
        QTest::keyClick(colour, Qt::Key_Down);
        QCOMPARE(value_of(car2_, "colour"), QString("\"green\""));
        doors->setFocus();
        doors->selectAll();
        QTest::keyClicks(doors, "2");
        QTest::keyClick(doors, Qt::Key_Tab);
        QCOMPARE(value_of(car2_, "doors"), QString("2"));
        plate->setFocus();
        QTest::keyClicks(plate, "AB-12");
        QTest::keyClick(plate, Qt::Key_Tab);
        QCOMPARE(value_of(car2_, "plate"), QString("\"AB-12\""));
        auto* note = panel_child<QLineEdit>("attributeNote");
        note->setFocus();
        QTest::keyClicks(note, "behind the tree");
        QTest::keyClick(note, Qt::Key_Tab);
        QCOMPARE(inst(car2_).note, std::string("behind the tree"));
        QCOMPARE(undo()->index(), steps + 4);
        QCOMPARE(value_of(car1_, "colour"), QString("\"red\""));
        shot(window_->findChild<QDockWidget*>("attributesDock"), "attributes-panel");
        shot(window_.get(), "attributes-window");
        key(Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(inst(car2_).note, std::string());
        QCOMPARE(note->text(), QString());
        key(Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(note->text(), QString("behind the tree"));

        // A tree declares nothing: the panel says so, and a car's attribute does not reach it.
        click_row(tree_);
        QVERIFY(!panel_child<QComboBox>("attribute_colour"));
        click_row(car2_);
        click_row(tree_, true);
        QTest::keyClick(panel_child<QComboBox>("attribute_colour"), Qt::Key_Down);
        QCOMPARE(value_of(car2_, "colour"), QString("\"blue\""));
        QVERIFY(inst(tree_).attributes.empty());
        QCOMPARE(value_of(tree_, "colour"), QString("-"));
    }

    void keys_are_in_the_help() {
        QCOMPARE(window_->action("toggleCrowd")->shortcut(), QKeySequence("Shift+C"));
        QCOMPARE(window_->action("toggleOccluded")->shortcut(), QKeySequence("Shift+O"));
        QCOMPARE(window_->action("toggleTruncated")->shortcut(), QKeySequence("Shift+T"));
        key(Qt::Key_F1);
        auto* help = window_->findChild<QWidget*>("helpOverlay");
        QVERIFY(help && help->isVisible());
        shot(window_.get(), "attributes-help");
        QTest::keyClick(help, Qt::Key_Escape);
    }

    void saved_and_reopened() {
        window_->document()->flush();
        Project saved = load_project((folder_ + "/xsam-project.json").toStdString());
        QCOMPARE(project_format_version(saved), 3);
        const Instance& car2 = *saved.find_instance(car2_);
        QVERIFY(car2.iscrowd && car2.occluded);
        QCOMPARE(car2.note, std::string("behind the tree"));
        QVERIFY(car2.attributes.count("plate") && car2.attributes.at("plate") == AttributeValue(std::string("AB-12")));
        window_.reset();
        QVERIFY(open_window());
        click_row(car2_);
        QCOMPARE(flag_box(kAttrCrowd)->checkState(), Qt::Checked);
        QCOMPARE(panel_child<QLineEdit>("attributeNote")->text(), QString("behind the tree"));
        QCOMPARE(panel_child<QComboBox>("attribute_colour")->currentText(), QString("blue"));
    }

    QString declared_names() {
        QStringList names;
        for (const AttributeSpec& spec : window_->document()->project().find_category(1)->attributes)
            names << QString::fromStdString(spec.name);
        return names.join(' ');
    }

    // The category list's context menu opens a category's declarations; bad input is named in the
    // dialog and changes nothing.
    void declarations_refuse_bad_input() {
        const int steps = undo()->count();
        const QString before = declared_names();
        QStringList problems;
        QString title;
        DialogScript script({{"the declarations dialog", [](QWidget* d) { return d->objectName() == "attributeDeclarations"; },
                              [&](QWidget* d) {
                                  title = d->windowTitle();
                                  auto* name = d->findChild<QLineEdit*>("attributeName");
                                  auto* kind = d->findChild<QComboBox*>("attributeKind");
                                  auto* choices = d->findChild<QPlainTextEdit*>("attributeChoices");
                                  auto* fallback = d->findChild<QLineEdit*>("attributeDefault");
                                  auto* add = d->findChild<QPushButton*>("addAttribute");
                                  auto* message = d->findChild<QLabel*>("declarationMessage");
                                  auto attempt = [&] {
                                      click(add);
                                      problems << message->text();
                                  };
                                  type_over(name, "");
                                  attempt();
                                  type_over(name, "colour");
                                  attempt();
                                  type_over(name, "size");
                                  choose(kind, "choice");
                                  type_lines(choices, {});
                                  attempt();
                                  type_lines(choices, {"s", "m", "l"});
                                  type_over(fallback, "xl");
                                  attempt();
                                  choose(kind, "number");
                                  type_over(fallback, "heavy");
                                  attempt();
                                  type_over(name, "note");
                                  type_over(fallback, "1");
                                  attempt();
                                  shot(d, "attributes-declarations-problem");
                                  QTest::keyClick(d, Qt::Key_Escape);
                              }}});
        QListWidget* categories = window_->category_panel()->list();
        window_->category_panel()->set_current_category(2);  // the menu's category becomes current
        const QPoint car = categories->visualItemRect(categories->item(0)).center();
        QVERIFY(choose_in_context_menu(categories->viewport(), car, "Attributes…"));
        QTRY_VERIFY2_WITH_TIMEOUT(script.done(), qPrintable(script.failure()), 20000);
        QCOMPARE(window_->category_panel()->current_category(), 1);
        QCOMPARE(title, QString("Attributes of \"car\""));
        const QStringList expected{"The attribute needs a name.",
                                   "This category already has an attribute named \"colour\".",
                                   "A choice attribute needs at least one choice (one per line).",
                                   "The default \"xl\" is not one of the choices.",
                                   "The default \"heavy\" is not a number.",
                                   "\"note\" is a fixed attribute of every instance"};
        QCOMPARE(problems, expected);
        QCOMPARE(undo()->count(), steps);
        QCOMPARE(declared_names(), before);
    }

    // From the Attributes panel's Declare… button: add one, rename and narrow another in one Apply,
    // remove a third; each one undo step, the instances' values following, undo and redo all of it.
    void declarations_add_change_remove_undo_redo() {
        QApplication::setActiveWindow(window_.get());
        click_row(car2_);
        const QString before = declared_names();
        QCOMPARE(before, QString("colour doors parked plate"));
        QCOMPARE(value_of(car2_, "colour"), QString("\"blue\""));
        QCOMPARE(value_of(car2_, "plate"), QString("\"AB-12\""));
        const int steps = undo()->count();
        QStringList messages, listed;
        DialogScript script({{"the declarations dialog", [](QWidget* d) { return d->objectName() == "attributeDeclarations"; },
                              [&](QWidget* d) {
                                  auto* list = d->findChild<QListWidget*>("attributeList");
                                  auto* name = d->findChild<QLineEdit*>("attributeName");
                                  auto* kind = d->findChild<QComboBox*>("attributeKind");
                                  auto* choices = d->findChild<QPlainTextEdit*>("attributeChoices");
                                  auto* fallback = d->findChild<QLineEdit*>("attributeDefault");
                                  auto* message = d->findChild<QLabel*>("declarationMessage");
                                  type_over(name, "size");
                                  choose(kind, "choice");
                                  type_lines(choices, {"s", "m", "l"});
                                  type_over(fallback, "m");
                                  click(d->findChild<QPushButton*>("addAttribute"));
                                  messages << message->text();
                                  click_list_row(list, 0);  // colour
                                  type_over(name, "paint");
                                  type_lines(choices, {"red", "green"});
                                  click(d->findChild<QPushButton*>("applyAttribute"));
                                  messages << message->text();
                                  click_list_row(list, 3);  // plate
                                  click(d->findChild<QPushButton*>("removeAttribute"));
                                  messages << message->text();
                                  listed = list_texts(list);
                                  click_list_row(list, 0);
                                  shot(d, "attributes-declarations");
                                  QTest::keyClick(d, Qt::Key_Escape);
                              }}});
        click(panel_child<QWidget>("declareAttributes"));
        QTRY_VERIFY2_WITH_TIMEOUT(script.done(), qPrintable(script.failure()), 20000);
        QApplication::setActiveWindow(window_.get());
        QCOMPARE(messages.value(0), QString("Declared \"size\"."));
        QVERIFY2(messages.value(1).startsWith("Changed \"colour\": 1 instance"), qPrintable(messages.value(1)));
        QVERIFY2(messages.value(2).startsWith("Removed \"plate\""), qPrintable(messages.value(2)));
        const QStringList expected{"paint — choice, default \"red\" (red, green)", "doors — number, default 4",
                                   "parked — boolean, default false", "size — choice, default \"m\" (s, m, l)"};
        QCOMPARE(listed, expected);
        QCOMPARE(undo()->count(), steps + 3);
        const QString after = "paint doors parked size";
        QCOMPARE(declared_names(), after);
        QCOMPARE(value_of(car2_, "paint"), QString("\"red\""));  // blue is no longer a choice
        QCOMPARE(value_of(car2_, "size"), QString("\"m\""));
        const std::map<std::string, AttributeValue> only_doors{{"doors", 2.0}};  // set in custom_attributes_and_note
        QVERIFY(inst(car2_).attributes == only_doors);
        QVERIFY(panel_child<QComboBox>("attribute_paint") && panel_child<QComboBox>("attribute_size"));
        QVERIFY(!panel_child<QWidget>("attribute_plate"));
        shot(window_->findChild<QDockWidget*>("attributesDock"), "attributes-panel-declared");

        key(Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(declared_names(), QString("paint doors parked plate size"));
        QCOMPARE(value_of(car2_, "plate"), QString("\"AB-12\""));
        key(Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(declared_names(), QString("colour doors parked plate size"));
        QCOMPARE(value_of(car2_, "colour"), QString("\"blue\""));
        QCOMPARE(panel_child<QComboBox>("attribute_colour")->currentText(), QString("blue"));
        key(Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(declared_names(), before);
        for (int i = 0; i < 3; ++i) key(Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(declared_names(), after);
        QVERIFY(inst(car2_).attributes == only_doors);
        window_->document()->flush();
        const Project saved = load_project((folder_ + "/xsam-project.json").toStdString());
        QCOMPARE(saved.find_category(1)->attributes.size(), size_t(4));
        QCOMPARE(saved.find_category(1)->attributes.front().name, std::string("paint"));
    }
};

QTEST_MAIN(TestAttributes)
#include "test_attributes.moc"
