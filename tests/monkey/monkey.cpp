#include "tests/monkey/monkey.h"

#include <QAbstractButton>
#include <QAction>
#include <QCheckBox>
#include <QApplication>
#include <QComboBox>
#include <QDateTime>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QDockWidget>
#include <QFile>
#include <QKeySequenceEdit>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QPainter>
#include <QPlainTextEdit>
#include <QRadioButton>
#include <QSlider>
#include <QSpinBox>
#include <QTimer>
#include <QToolButton>
#include <QTreeWidget>
#include <QUndoStack>
#include <QWheelEvent>
#include <QtTest>
#include <set>
#include <sstream>

#include "core/coco/coco.h"
#include "core/formats/format.h"
#include "core/annotation/editing.h"
#include "core/review/image_index.h"
#include "core/io/project_file.h"
#include "core/io/project_lock.h"
#include "core/mask/polygon.h"
#include "tests/ui/gui_test_support.h"
#include "ui/attribute_panel.h"
#include "ui/display_panel.h"
#include "ui/document.h"
#include "ui/hover_preview.h"
#include "ui/image_browser.h"
#include "ui/image_canvas.h"
#include "ui/image_filter_bar.h"
#include "ui/main_window.h"
#include "ui/panels.h"
#include "ui/shortcuts_dialog.h"
#include "ui/theme.h"
#include "ui/widgets.h"

namespace xs::monkey {

namespace {

constexpr int kEngineTimeoutMs = 90000;
constexpr int kFileCheckEvery = 10;   // actions between file == document checks
constexpr int kUndoCheckEvery = 60;   // actions between undo-all / redo-all checks
const char* const kCategoryNames[] = {"object", "cat", "tree", "bird", "Äpfel", "日本の猫", "x"};
const char* const kTexts[] = {"the red disc", "a green square", "everything", "object, tree", ""};

// A disc and a square on a plain background; sizes differ between images.
QImage scene(int w, int h, QColor bg, QColor disc, QPoint centre, int radius) {
    QImage img(w, h, QImage::Format_RGB32);
    img.fill(bg);
    QPainter p(&img);
    p.setPen(Qt::NoPen);
    p.setBrush(disc);
    p.drawEllipse(centre, radius, radius);
    p.setBrush(QColor(40, 200, 60));
    p.drawRect(w - 70, h - 60, 45, 40);
    return img;
}

Mask box_mask(int w, int h, int x0, int y0, int x1, int y1) {
    Mask m(w, h);
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) m.set(x, y, true);
    return m;
}

// The first line where two texts differ, with a little context, for failure messages.
QString first_difference(const std::string& a, const std::string& b) {
    std::istringstream sa(a), sb(b);
    std::string la, lb;
    for (int line = 1;; ++line) {
        const bool ga = bool(std::getline(sa, la)), gb = bool(std::getline(sb, lb));
        if (!ga && !gb) return QStringLiteral("(no difference)");
        if (!ga || !gb || la != lb)
            return QStringLiteral("line %1:\n  expected: %2\n  actual:   %3")
                .arg(line)
                .arg(QString::fromStdString(ga ? la : "<end>").left(300), QString::fromStdString(gb ? lb : "<end>").left(300));
    }
}

// Types text like a keyboard would; QTest::keyClicks takes ASCII only, so other characters are sent as
// key events that carry their text (as an input method does).
void type_text(QWidget* w, const QString& text) {
    for (const QChar ch : text) {
        if (ch.unicode() < 0x80) QTest::keyClick(w, ch.toLatin1());
        else QTest::sendKeyEvent(QTest::Click, w, Qt::Key_unknown, QString(ch), Qt::NoModifier);
    }
}

// Picks a combo box entry with the keyboard (Home, then Down to it).
void choose_in_combo(QComboBox* box, const QString& text) {
    box->setFocus();
    QTest::keyClick(box, Qt::Key_Home);
    for (int i = box->findText(text); i > 0; --i) QTest::keyClick(box, Qt::Key_Down);
}

// Clicks a dialog's standard button, like a user would; a dialog without one is rejected.
void press_button(QWidget* dialog, QDialogButtonBox::StandardButton which) {
    if (auto* box = dialog->findChild<QDialogButtonBox*>())
        if (QAbstractButton* b = box->button(which)) {
            QTest::mouseClick(b, Qt::LeftButton);
            return;
        }
    if (auto* d = qobject_cast<QDialog*>(dialog)) d->reject();
}

}  // namespace

std::string undoable_state(const Project& project) {
    std::ostringstream out;
    Project p;
    p.categories = project.categories;
    for (const ImageRecord& rec : project.images) {
        if (rec.instances.empty() && rec.captions.empty() && rec.episodes.empty()) continue;
        ImageRecord r = rec;
        r.file_size = -1;  // fingerprints are recorded without undo
        r.file_hash.clear();
        p.images.push_back(std::move(r));
    }
    std::sort(p.images.begin(), p.images.end(),
              [](const ImageRecord& a, const ImageRecord& b) { return a.file_name < b.file_name; });
    for (ImageRecord& r : p.images) r.id = 0;  // ids are given when an image is first shown
    // The id counters (left at 1 here) move forward and are not undone: ids are never reused.
    return project_to_json(p);
}

Monkey::Monkey(Settings settings) : settings_(std::move(settings)), rng_(settings_.seed) { build_actions(); }

Monkey::~Monkey() { close_window(); }

int Monkey::uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
bool Monkey::chance(double p) { return std::bernoulli_distribution(p)(rng_); }

void Monkey::note(const QString& what) {
    recent_ << QStringLiteral("#%1 %2").arg(actions_done_).arg(what);
    while (recent_.size() > 30) recent_.removeFirst();
    if (settings_.verbose) qInfo("monkey %s", qPrintable(recent_.last()));
}

void Monkey::fail(const QString& what) {
    if (!failure_.isEmpty()) return;  // the first failure is the one that matters
    failure_ = QStringLiteral("seed %1, episode %2, after %3 actions: %4\nlast actions:\n  %5")
                   .arg(settings_.seed)
                   .arg(episodes_)
                   .arg(actions_done_)
                   .arg(what, recent_.join("\n  "));
}

QString Monkey::histogram() const {
    QStringList lines;
    for (size_t i = 0; i < actions_.size(); ++i) lines << QStringLiteral("%1 %2").arg(actions_[i].name).arg(counts_[i]);
    QStringList sources;
    for (const auto& [source, n] : sources_) sources << QStringLiteral("%1 %2").arg(QString::fromStdString(source)).arg(n);
    return lines.join(", ") + "; instances seen by source: " + sources.join(", ");
}

// The folder ---------------------------------------------------------------------------------------

void Monkey::make_folder(const QString& folder) {
    QDir(folder).removeRecursively();
    QDir(folder + "-exports").removeRecursively();
    QDir().mkpath(folder + "/sub");
    scene(220, 160, QColor(40, 90, 160), QColor(220, 60, 50), QPoint(80, 70), 40).save(folder + "/a1.png");
    scene(200, 150, QColor(30, 30, 30), QColor(240, 220, 40), QPoint(100, 60), 35).save(folder + "/a2.png");
    scene(240, 180, QColor(200, 200, 200), QColor(20, 20, 200), QPoint(60, 90), 45).save(folder + "/a10.png");
    scene(180, 140, QColor(20, 120, 40), QColor(250, 250, 250), QPoint(70, 60), 30).save(folder + "/sub/b1.png");
    scene(160, 120, QColor(90, 30, 90), QColor(240, 140, 20), QPoint(50, 50), 25).save(folder + "/Äpfel.png");
    QFile junk(folder + "/broken.png");  // not an image: opening it must say so and change nothing
    if (junk.open(QIODevice::WriteOnly)) junk.write("this is not a PNG file");
    // A starting project with two instances, so undoing everything has somewhere to go back to.
    Project p;
    p.image_root = ".";
    Category& declaring = p.add_category("object");
    declaring.attributes = {{"colour", AttributeKind::choice, {"red", "green"}, std::string("red")},
                            {"parked", AttributeKind::boolean, {}, false}};
    const int object = declaring.id;
    const int tree = p.add_category("tree").id;
    ImageRecord& a1 = p.add_image("a1.png", 220, 160);
    p.add_instance(a1, object, rle_encode(box_mask(220, 160, 40, 30, 120, 110)), 0.9f, "monkey:start");
    p.add_instance(a1, tree, rle_encode(box_mask(220, 160, 150, 100, 195, 140)), 1.0f, "monkey:start");
    save_project(p, (folder + "/xsam-project.json").toStdString());
}

bool Monkey::open_window(const QString& folder) {
    window_ = std::make_unique<MainWindow>();
    window_->resize(1200, 800);
    window_->show();
    QApplication::setActiveWindow(window_.get());
    if (!QTest::qWaitForWindowExposed(window_.get())) {
        fail("the main window was never exposed");
        return false;
    }
    window_->set_engine(settings_.engines.value(uniform(0, int(settings_.engines.size()) - 1)));
    if (!window_->open_folder(folder)) {
        fail("open_folder failed: " + window_->notice_bar()->text());
        return false;
    }
    MainWindow* w = window_.get();
    if (!QTest::qWaitFor([w] { return !w->scanning() && w->image_ready() && w->engine_ready(); }, kEngineTimeoutMs)) {
        fail("the folder did not open with an image and a ready engine");
        return false;
    }
    QObject::connect(window_.get(), &MainWindow::export_finished, window_.get(),
                     [this](bool ok, bool cancelled, const QString& message) {
                         if (!ok && !cancelled) fail("the export failed: " + message);
                     });
    baseline_ = undoable_state(window_->document()->project());
    canvas()->setFocus();
    return true;
}

void Monkey::close_window() {
    if (!window_) return;
    // Close any dialog the last action may have left (the export summary, say).
    for (QWidget* top : QApplication::topLevelWidgets())
        if (auto* box = qobject_cast<QMessageBox*>(top)) box->close();
    window_.reset();
}

bool Monkey::run_episode(int actions, int64_t deadline_ms) {
    ++episodes_;
    seen_.clear();  // ids start again in the fresh folder
    last_vgd_export_.clear();
    folder_ = QDir(settings_.scratch).filePath(QStringLiteral("episode-%1").arg(episodes_ % 3));
    close_window();
    make_folder(folder_);
    note(QStringLiteral("open %1").arg(folder_));
    if (!open_window(folder_)) return false;
    std::vector<int> weights;
    for (const Action& a : actions_) weights.push_back(a.weight);
    std::discrete_distribution<int> pick(weights.begin(), weights.end());
    for (int i = 0; i < actions && failure_.isEmpty(); ++i) {
        if (deadline_ms && QDateTime::currentMSecsSinceEpoch() > deadline_ms) break;
        const int k = pick(rng_);
        ++counts_[size_t(k)];
        ++actions_done_;
        actions_[size_t(k)].run();
        drop_dialog_answer();
        QTest::qWait(uniform(0, 3) == 0 ? 20 : 1);
        if (QWidget* modal = QApplication::activeModalWidget()) {
            QStringList says;  // what the dialog says (a settings page opened by a failed load names why)
            for (QLabel* label : modal->findChildren<QLabel*>())
                if (label->isVisible() && !label->text().isEmpty()) says << label->text();
            fail(QStringLiteral("a dialog was left open: %1 \"%2\" saying: %3")
                     .arg(modal->metaObject()->className(), modal->windowTitle(), says.join(" | ").left(600)));
        }
        if (!failure_.isEmpty()) break;
        check_quick();
        if (actions_done_ % kFileCheckEvery == 0) check_file_matches_document();
        if (actions_done_ % kUndoCheckEvery == 0) check_undo_redo_all();
    }
    if (failure_.isEmpty()) check_undo_redo_all();
    if (failure_.isEmpty()) check_file_matches_document();
    close_window();
    return failure_.isEmpty();
}

// Helpers ------------------------------------------------------------------------------------------

QWidget* Monkey::canvas() const { return window_->canvas(); }

QPoint Monkey::image_point() {
    auto* c = window_->canvas();
    const QSize s = c->image_size().isValid() ? c->image_size() : QSize(200, 150);
    // Mostly inside the image, sometimes a little outside it.
    const double x = std::uniform_real_distribution<double>(-10, s.width() + 10)(rng_);
    const double y = std::uniform_real_distribution<double>(-10, s.height() + 10)(rng_);
    QPoint p = c->image_to_widget(QPointF(x, y)).toPoint();
    return QPoint(std::clamp(p.x(), 1, c->width() - 2), std::clamp(p.y(), 1, c->height() - 2));
}

QPoint Monkey::instance_point(int64_t* id) {
    *id = 0;
    const ImageRecord* rec = window_->current_record();
    if (!rec || rec->instances.empty()) return image_point();
    const Instance& inst = rec->instances[size_t(uniform(0, int(rec->instances.size()) - 1))];
    const Mask m = rle_decode(inst.mask);
    for (int tries = 0; tries < 200; ++tries) {
        const int x = uniform(0, m.width() - 1), y = uniform(0, m.height() - 1);
        if (m.at(x, y)) {
            *id = inst.id;
            return window_->canvas()->image_to_widget(QPointF(x + 0.5, y + 0.5)).toPoint();
        }
    }
    return image_point();
}

void Monkey::key(int k, int modifiers) {
    // A window manager gives the window back its focus when a dialog closes; offscreen, the user's
    // click on the window does.
    if (QApplication::activeWindow() != window_.get()) QApplication::setActiveWindow(window_.get());
    if (!canvas()->hasFocus()) canvas()->setFocus();
    QTest::keyClick(canvas(), Qt::Key(k), Qt::KeyboardModifiers(modifiers));
}

void Monkey::drag(int button, int modifiers, const std::vector<QPoint>& path) {
    QWidget* c = canvas();
    const auto b = Qt::MouseButton(button);
    const auto m = Qt::KeyboardModifiers(modifiers);
    QTest::mousePress(c, b, m, path.front());
    for (size_t i = 1; i < path.size(); ++i) QTest::mouseMove(c, path[i]);
    QTest::mouseRelease(c, b, m, path.back());
}

// Vertex editing of a random instance: Shift+E, then a few vertex gestures (drags, rubber bands,
// Shift+clicks, double clicks on edges, Del), then Enter, Esc, another tool, another image or undo.
void Monkey::edit_vertices() {
    int64_t id = 0;
    const QPoint on = instance_point(&id);
    choose_tool("toolSelect", Qt::Key_V);  // a plain click selects just this one
    QTest::mouseClick(canvas(), Qt::LeftButton, Qt::NoModifier, on);
    key(Qt::Key_E, Qt::ShiftModifier);
    auto* c = window_->canvas();
    if (c->tool_name() != "editVertices") return note(QStringLiteral("edit vertices of %1: not started").arg(id));
    // Where the vertices are: the instance's shapes at the tool's tolerance (as the editor made them).
    std::vector<QPoint> vertices;
    if (const ImageRecord* rec = window_->current_record())
        for (const Instance& inst : rec->instances)
            if (inst.id == id) {
                const double tolerance = window_->findChild<QDoubleSpinBox*>("vertexTolerance")->value();
                for (const PolygonShape& s : mask_to_shapes(rle_decode(inst.mask), tolerance)) {
                    std::vector<const Polygon*> rings{&s.outer};
                    for (const Polygon& h : s.holes) rings.push_back(&h);
                    for (const Polygon* r : rings)
                        for (size_t i = 0; i + 1 < r->size(); i += 2)
                            vertices.push_back(c->image_to_widget(QPointF((*r)[i] + 0.5, (*r)[i + 1] + 0.5)).toPoint());
                }
            }
    if (vertices.empty()) vertices.push_back(on);
    auto vertex = [&] { return vertices[size_t(uniform(0, int(vertices.size()) - 1))]; };
    QStringList done;
    for (int n = uniform(1, 5); n > 0; --n) {
        switch (uniform(0, 4)) {
            case 0: {
                const QPoint v = vertex();
                drag(Qt::LeftButton, 0, {v, v + QPoint(uniform(-30, 30), uniform(-30, 30))});
                done << "drag";
                break;
            }
            case 1: {
                const QPoint v = vertex();
                drag(Qt::LeftButton, chance(0.5) ? int(Qt::ShiftModifier) : 0, {v + QPoint(-40, -40), v + QPoint(40, 40)});
                done << "band";
                break;
            }
            case 2:
                QTest::mouseClick(canvas(), Qt::LeftButton, Qt::ShiftModifier, vertex());
                done << "shift+click";
                break;
            case 3:
                QTest::mouseDClick(canvas(), Qt::LeftButton, Qt::NoModifier, (vertex() + vertex()) / 2);
                done << "double-click";
                break;
            default:
                key(chance(0.5) ? Qt::Key_Delete : Qt::Key_Backspace);
                done << "delete";
                break;
        }
    }
    static const char* const kEnds[] = {"Enter", "Esc", "select tool (V)", "next image (D)", "undo", "left open"};
    const int end = uniform(0, 5);
    note(QStringLiteral("edit vertices of %1 (%2 vertices): %3, %4").arg(id).arg(vertices.size()).arg(done.join(", ")).arg(kEnds[end]));
    const int keys[] = {Qt::Key_Return, Qt::Key_Escape, Qt::Key_V, Qt::Key_D};
    if (end < 4) key(keys[end]);
    if (end == 4) key(Qt::Key_Z, Qt::ControlModifier);
    if (end == 3) settle_image();
}

void Monkey::choose_tool(const char* action_name, int k) {
    QAction* a = window_->action(action_name);
    if (a && !a->isChecked()) key(k);
}

// Most of the time the monkey waits for the engine like a patient user; sometimes it races on.
void Monkey::settle_engine() {
    if (chance(0.25)) return;
    MainWindow* w = window_.get();
    if (!QTest::qWaitFor([w] { return !w->request_pending() && !w->engine_loading(); }, kEngineTimeoutMs))
        fail("the engine did not answer within 90 s");
}

void Monkey::settle_image() {
    if (chance(0.3)) return;
    MainWindow* w = window_.get();
    (void)QTest::qWaitFor([w] { return w->image_ready(); }, 3000);  // the broken file never becomes ready
}

// Answers the next modal dialog (opened by the action that runs right after this call). The answer
// is dropped when the action ends without a dialog (e.g. nothing to rename), so it can never answer
// a later action's dialog.
void Monkey::answer_next_dialog(std::function<void(QWidget*)> answer) {
    drop_dialog_answer();
    answerer_ = new QTimer;
    QTimer* timer = answerer_;
    QObject::connect(timer, &QTimer::timeout, timer, [this, timer, answer] {
        QWidget* modal = QApplication::activeModalWidget();
        if (!modal || !modal->isVisible()) return;
        drop_dialog_answer();
        answer(modal);
    });
    timer->start(5);
}

void Monkey::drop_dialog_answer() {
    if (!answerer_) return;
    answerer_->stop();
    answerer_->deleteLater();
    answerer_ = nullptr;
}

// Actions ------------------------------------------------------------------------------------------

void Monkey::add(const char* name, int weight, std::function<void()> run) {
    actions_.push_back(Action{name, weight, std::move(run)});
}

void Monkey::build_actions() {
    add_prompt_actions();
    add_edit_actions();
    add_category_actions();
    add_view_actions();
    add_file_actions();
    counts_.assign(actions_.size(), 0);
}

// Prompts: points, boxes, scribbles, text tasks; accept and discard.
void Monkey::add_prompt_actions() {
    add("click", 12, [this] {
        choose_tool("toolPrompt", Qt::Key_P);
        const bool positive = chance(0.75);
        const QPoint p = image_point();
        note(QStringLiteral("click %1 at %2,%3").arg(positive ? "left" : "right").arg(p.x()).arg(p.y()));
        QTest::mouseClick(canvas(), positive ? Qt::LeftButton : Qt::RightButton, {}, p);
        settle_engine();
    });
    add("box", 5, [this] {
        choose_tool("toolPrompt", Qt::Key_P);
        const QPoint a = image_point(), b = image_point();
        note(QStringLiteral("box %1,%2 -> %3,%4").arg(a.x()).arg(a.y()).arg(b.x()).arg(b.y()));
        drag(Qt::LeftButton, 0, {a, (a + b) / 2, b});
        settle_engine();
    });
    add("scribble", 4, [this] {
        choose_tool("toolScribble", Qt::Key_S);
        std::vector<QPoint> path{image_point()};
        for (int i = uniform(1, 6); i > 0; --i) path.push_back(path.back() + QPoint(uniform(-30, 30), uniform(-30, 30)));
        const bool positive = chance(0.7);
        note(QStringLiteral("scribble %1, %2 points").arg(positive ? "left" : "right").arg(path.size()));
        drag(positive ? Qt::LeftButton : Qt::RightButton, 0, path);
        settle_engine();
    });
    // Pointer moves with pauses, some past the hover preview's rest time, sometimes waiting for its
    // answer and clicking where it rests (the click may take the hover's answer). Resting never
    // changes the document, the undo history or the live preview.
    add("hover", 6, [this] {
        if (chance(0.8)) choose_tool("toolPrompt", Qt::Key_P);
        MainWindow* w = window_.get();
        // An answer still on its way would change the preview meanwhile: wait for it first.
        if (!QTest::qWaitFor([w] { return !w->request_pending() && !w->engine_loading(); }, kEngineTimeoutMs))
            return fail("the engine did not answer within 90 s");
        const QUndoStack* stack = w->document()->undo_stack();
        const int steps = stack->count(), index = stack->index(), previews = w->preview_count();
        const int64_t instances = w->document()->project().instance_count();
        QPoint p;
        QStringList path;
        for (int i = uniform(1, 5); i > 0; --i) {
            p = image_point();
            const int pause = chance(0.5) ? uniform(160, 400) : uniform(0, 100);
            path << QStringLiteral("%1,%2 (%3 ms)").arg(p.x()).arg(p.y()).arg(pause);
            QTest::mouseMove(canvas(), p);
            QTest::qWait(pause);
        }
        note("hover " + path.join(" "));
        if (chance(0.5)) {  // a patient user: past the rest time, until the preview is answered
            QTest::qWait(HoverPreview::kRestMs + 30);
            (void)QTest::qWaitFor([w] { return !w->hover_pending(); }, kEngineTimeoutMs);
        }
        if (stack->count() != steps || stack->index() != index || w->document()->project().instance_count() != instances ||
            w->preview_count() != previews)
            return fail(QStringLiteral("resting the pointer changed the document, the undo history or the preview "
                                       "(undo steps %1 -> %2, instances %3 -> %4, preview masks %5 -> %6)")
                            .arg(steps).arg(stack->count()).arg(instances).arg(w->document()->project().instance_count())
                            .arg(previews).arg(w->preview_count()));
        if (chance(0.4)) {
            note(QStringLiteral("click where the pointer rests%1").arg(w->hover().empty() ? "" : " (on a hover preview)"));
            QTest::mouseClick(canvas(), Qt::LeftButton, {}, p);
            settle_engine();
        }
    });
    add("hover_mode", 1, [this] {
        const HoverMode mode = kHoverModes[uniform(0, 2)];
        note(QStringLiteral("View > %1").arg(window_->action(hover_mode_action(mode))->text()));
        window_->action(hover_mode_action(mode))->trigger();
    });
    add("accept", 8, [this] {
        note("accept (Enter)");
        key(Qt::Key_Return);
    });
    add("discard", 4, [this] {
        note("discard (Esc)");
        key(Qt::Key_Escape);
    });
    add("text_prompt", 2, [this] {
        auto* combo = window_->findChild<QComboBox*>("taskCombo");
        auto* text = window_->findChild<QLineEdit*>("textPrompt");
        if (!combo || !text) return note("text prompt: no prompt bar");
        combo->setFocus();
        QTest::keyClick(combo, chance(0.5) ? Qt::Key_Down : Qt::Key_Up);
        const QString words = QString::fromUtf8(kTexts[uniform(0, int(std::size(kTexts)) - 1)]);
        note(QStringLiteral("text prompt task \"%1\" text \"%2\"").arg(combo->currentText(), words));
        if (text->isEnabled()) {
            text->setFocus();
            text->selectAll();
            QTest::keyClick(text, Qt::Key_Delete);
            type_text(text, words);
            QTest::keyClick(text, Qt::Key_Return);
        } else if (auto* run = window_->findChild<QAbstractButton*>("runText"); run && run->isEnabled()) {
            QTest::mouseClick(run, Qt::LeftButton);
        }
        canvas()->setFocus();
        settle_engine();
    });
}

// Selections and edits: brush, eraser, merge, subtract, delete, reorder, category keys, undo, redo.
// A click on one of the Attributes panel's boxes, or a note typed there: afterwards every selected
// instance must hold what the panel shows.
void Monkey::edit_in_attribute_panel() {
    static const char* const kFlags[] = {kAttrCrowd, kAttrOccluded, kAttrTruncated};
    const ImageRecord* rec = window_->current_record();
    const Selection selected = window_->instance_panel()->selected();
    if (!rec || selected.empty()) return note("attribute panel: nothing selected");
    if (chance(0.3)) {
        auto* line = window_->findChild<QLineEdit*>("attributeNote");
        const QString words = QString::fromUtf8(kTexts[uniform(0, int(std::size(kTexts)) - 1)]);
        note(QStringLiteral("attribute panel note \"%1\"").arg(words));
        line->setFocus();
        line->selectAll();
        QTest::keyClick(line, Qt::Key_Delete);
        type_text(line, words);
        QTest::keyClick(line, Qt::Key_Return);
        canvas()->setFocus();
        for (const Instance& inst : window_->current_record()->instances)
            if (std::count(selected.begin(), selected.end(), inst.id) && QString::fromStdString(inst.note) != words)
                return fail(QStringLiteral("instance %1's note is not the one typed in the panel").arg(inst.id));
        return;
    }
    if (chance(0.3)) return choose_in_attribute_panel(selected);
    const char* flag = kFlags[uniform(0, 2)];
    auto* box = window_->findChild<QCheckBox*>(QStringLiteral("attribute_%1").arg(QString::fromLatin1(flag)));
    note(QStringLiteral("attribute panel click %1").arg(QString::fromLatin1(flag)));
    QTest::mouseClick(box, Qt::LeftButton, {}, QPoint(8, box->height() / 2));
    canvas()->setFocus();
    for (const Instance& inst : window_->current_record()->instances) {
        if (!std::count(selected.begin(), selected.end(), inst.id)) continue;
        if (*attribute_value(inst, nullptr, flag) != AttributeValue(box->checkState() == Qt::Checked))
            return fail(QStringLiteral("instance %1's %2 differs from the panel's box").arg(inst.id).arg(flag));
    }
}

// A custom choice attribute's list in the panel, one step down: every selected instance whose
// category declares it then holds the choice shown.
void Monkey::choose_in_attribute_panel(const Selection& selected) {
    std::vector<QComboBox*> combos;
    for (QComboBox* c : window_->attribute_panel()->findChildren<QComboBox*>())
        if (c->isVisible() && c->objectName().startsWith("attribute_")) combos.push_back(c);
    if (combos.empty()) return note("attribute panel: no custom choice shown");
    QComboBox* combo = combos[size_t(uniform(0, int(combos.size()) - 1))];
    const std::string name = combo->objectName().mid(int(qstrlen("attribute_"))).toStdString();
    note(QStringLiteral("attribute panel choice %1, one down").arg(QString::fromStdString(name)));
    combo->setFocus();
    QTest::keyClick(combo, chance(0.5) ? Qt::Key_Down : Qt::Key_Up);
    canvas()->setFocus();
    if (combo->currentIndex() < 0) return;  // "(differ)" left as it was
    const AttributeValue shown(combo->currentText().toStdString());
    const Project& p = window_->document()->project();
    for (const Instance& inst : window_->current_record()->instances) {
        const Category* category = p.find_category(inst.category_id);
        if (!std::count(selected.begin(), selected.end(), inst.id) || !category || !find_attribute(*category, name)) continue;
        if (*attribute_value(inst, category, name) != shown)
            return fail(QStringLiteral("instance %1's %2 differs from the panel's list").arg(inst.id).arg(QString::fromStdString(name)));
    }
}

void Monkey::add_edit_actions() {
    add("select", 8, [this] {
        int64_t id = 0;
        const QPoint p = instance_point(&id);
        const int mods = int(Qt::ControlModifier) | (chance(0.3) ? int(Qt::ShiftModifier) : 0);
        note(QStringLiteral("ctrl+click instance %1 at %2,%3%4").arg(id).arg(p.x()).arg(p.y()).arg(mods & Qt::ShiftModifier ? " +shift" : ""));
        QTest::mouseClick(canvas(), Qt::LeftButton, Qt::KeyboardModifiers(mods), p);
    });
    add("sentences", 2, [this] { edit_sentences(); });
    add("select_list", 3, [this] {
        auto* tree = window_->findChild<QTreeWidget*>("instanceTree");
        if (!tree || tree->topLevelItemCount() == 0) return note("select in list: empty");
        const int row = uniform(0, tree->topLevelItemCount() - 1);
        const QRect r = tree->visualItemRect(tree->topLevelItem(row));
        const bool extend = chance(0.4);
        note(QStringLiteral("list click row %1%2").arg(row).arg(extend ? " +ctrl" : ""));
        QTest::mouseClick(tree->viewport(), Qt::LeftButton, extend ? Qt::ControlModifier : Qt::NoModifier,
                          QPoint(r.right() - 5, r.center().y()));
        canvas()->setFocus();
    });
    add("brush", 5, [this] {
        choose_tool("toolBrush", Qt::Key_B);
        std::vector<QPoint> path{image_point()};
        for (int i = uniform(0, 5); i > 0; --i) path.push_back(path.back() + QPoint(uniform(-25, 25), uniform(-25, 25)));
        const bool paint = chance(0.8);
        note(QStringLiteral("brush %1, %2 points").arg(paint ? "paint" : "right (erase)").arg(path.size()));
        drag(paint ? Qt::LeftButton : Qt::RightButton, 0, path);
    });
    add("eraser", 3, [this] {
        choose_tool("toolEraser", Qt::Key_E);
        std::vector<QPoint> path{image_point()};
        for (int i = uniform(0, 4); i > 0; --i) path.push_back(path.back() + QPoint(uniform(-20, 20), uniform(-20, 20)));
        note(QStringLiteral("eraser, %1 points").arg(path.size()));
        drag(Qt::LeftButton, 0, path);
    });
    add("polygon", 5, [this] {
        choose_tool("toolPolygon", Qt::Key_L);
        std::vector<QPoint> vertices{image_point()};
        for (int i = uniform(0, 6); i > 0; --i) vertices.push_back(vertices.back() + QPoint(uniform(-60, 60), uniform(-60, 60)));
        for (const QPoint& v : vertices) QTest::mouseClick(canvas(), Qt::LeftButton, Qt::NoModifier, v);
        static const char* const kEnds[] = {"Enter", "click on the first vertex", "Backspace, then Enter", "Esc", "left open"};
        const int end = uniform(0, 4);
        note(QStringLiteral("polygon of %1 clicks, %2").arg(vertices.size()).arg(kEnds[end]));
        if (end == 0) key(Qt::Key_Return);
        if (end == 1) QTest::mouseClick(canvas(), Qt::LeftButton, Qt::NoModifier, vertices.front());
        if (end == 2) {
            key(Qt::Key_Backspace);
            key(Qt::Key_Return);
        }
        if (end == 3) key(Qt::Key_Escape);
    });
    add("edit_vertices", 6, [this] { edit_vertices(); });
    add("vertex_tolerance", 1, [this] {
        auto* box = window_->findChild<QDoubleSpinBox*>("vertexTolerance");
        const double value = uniform(0, 6) * 0.5;
        note(QStringLiteral("vertex tolerance %1 px").arg(value));
        box->setValue(value);
    });
    add("attribute_panel", 3, [this] { edit_in_attribute_panel(); });
    add("brush_size", 1, [this] {
        const bool bigger = chance(0.5);
        note(bigger ? "brush bigger (])" : "brush smaller ([)");
        key(bigger ? Qt::Key_BracketRight : Qt::Key_BracketLeft);
    });
    struct Simple {
        const char* name;
        int weight;
        int key;
        int modifiers;
    };
    const Simple simple[] = {
        {"merge (M)", 3, Qt::Key_M, 0},         {"subtract (X)", 3, Qt::Key_X, 0},
        {"delete (Del)", 3, Qt::Key_Delete, 0}, {"raise (PgUp)", 2, Qt::Key_PageUp, 0},
        {"lower (PgDn)", 2, Qt::Key_PageDown, 0}, {"apply category (C)", 3, Qt::Key_C, 0},
        {"select tool (V)", 1, Qt::Key_V, 0},   {"outlines (O)", 1, Qt::Key_O, 0},
        {"fit (F)", 1, Qt::Key_F, 0},           {"1:1 (0)", 1, Qt::Key_0, 0},
        {"zoom in (=)", 1, Qt::Key_Equal, 0},   {"zoom out (-)", 1, Qt::Key_Minus, 0},
        {"inspector (Ctrl+I)", 1, Qt::Key_I, int(Qt::ControlModifier)},
        {"find all like this (G)", 2, Qt::Key_G, 0}, {"accept candidate (Y)", 2, Qt::Key_Y, 0},
        {"reject candidate (N)", 1, Qt::Key_N, 0}, {"accept all candidates (Shift+Y)", 1, Qt::Key_Y, int(Qt::ShiftModifier)},
        {"reject all candidates (Shift+N)", 1, Qt::Key_N, int(Qt::ShiftModifier)},
        {"crowd (Shift+C)", 2, Qt::Key_C, int(Qt::ShiftModifier)},
        {"occluded (Shift+O)", 2, Qt::Key_O, int(Qt::ShiftModifier)},
        {"truncated (Shift+T)", 1, Qt::Key_T, int(Qt::ShiftModifier)},
        {"status to do (Alt+1)", 1, Qt::Key_1, int(Qt::AltModifier)},
        {"status in progress (Alt+2)", 1, Qt::Key_2, int(Qt::AltModifier)},
        {"status done (Alt+3)", 2, Qt::Key_3, int(Qt::AltModifier)},
        {"status needs review (Alt+4)", 1, Qt::Key_4, int(Qt::AltModifier)},
        {"next unfinished (Ctrl+J)", 2, Qt::Key_J, int(Qt::ControlModifier)},
    };
    for (const Simple& s : simple) {
        add(s.name, s.weight, [this, s] {
            note(s.name);
            key(s.key, s.modifiers);
            if (s.key == Qt::Key_G) settle_engine();
        });
    }
    add("undo_run", 6, [this] {
        const int n = uniform(1, 6);
        note(QStringLiteral("undo x%1").arg(n));
        for (int i = 0; i < n; ++i) key(Qt::Key_Z, Qt::ControlModifier);
    });
    add("redo_run", 4, [this] {
        const int n = uniform(1, 6);
        note(QStringLiteral("redo x%1").arg(n));
        for (int i = 0; i < n; ++i) key(Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    });
}

// Categories: the digit keys, adding, renaming and deleting through their dialogs.
void Monkey::add_category_actions() {
    add("category_key", 4, [this] {
        const int digit = uniform(1, 9);
        note(QStringLiteral("category key %1").arg(digit));
        key(Qt::Key_0 + digit);
    });
    add("add_category", 2, [this] {
        const QString name = QString::fromUtf8(kCategoryNames[uniform(0, int(std::size(kCategoryNames)) - 1)]);
        const bool ok = chance(0.85);
        note(QStringLiteral("add category \"%1\" (%2)").arg(name, ok ? "OK" : "Cancel"));
        answer_next_dialog([name, ok](QWidget* dialog) {
            if (auto* edit = dialog->findChild<QLineEdit*>()) {
                edit->selectAll();
                type_text(edit, name);
            }
            press_button(dialog, ok ? QDialogButtonBox::Ok : QDialogButtonBox::Cancel);
        });
        key(Qt::Key_N, Qt::ControlModifier);
    });
    add("rename_category", 1, [this] {
        QToolButton* rename = nullptr;
        for (QToolButton* b : window_->category_panel()->findChildren<QToolButton*>())
            if (b->text() == "Rename") rename = b;
        const QString name = QString::fromUtf8(kCategoryNames[uniform(0, int(std::size(kCategoryNames)) - 1)]) + "-r";
        note(QStringLiteral("rename the current category to \"%1\"").arg(name));
        answer_next_dialog([name](QWidget* dialog) {
            if (auto* edit = dialog->findChild<QLineEdit*>()) {
                edit->selectAll();
                type_text(edit, name);
            }
            press_button(dialog, QDialogButtonBox::Ok);
        });
        if (rename) QTest::mouseClick(rename, Qt::LeftButton);
        canvas()->setFocus();
    });
    add("declarations", 2, [this] { edit_declarations(); });
    add("delete_category", 2, [this] {
        QToolButton* del = nullptr;
        for (QToolButton* b : window_->category_panel()->findChildren<QToolButton*>())
            if (b->text() == "Delete") del = b;
        const bool yes = chance(0.75);
        note(QStringLiteral("delete the current category (%1)").arg(yes ? "Yes" : "Cancel"));
        answer_next_dialog([yes](QWidget* dialog) {
            if (auto* box = qobject_cast<QMessageBox*>(dialog)) {
                QTest::mouseClick(box->button(yes ? QMessageBox::Yes : QMessageBox::Cancel), Qt::LeftButton);
            } else if (auto* d = qobject_cast<QDialog*>(dialog)) {
                d->reject();
            }
        });
        if (del) QTest::mouseClick(del, Qt::LeftButton);
        canvas()->setFocus();
    });
}

// A category's attribute declarations through their dialog (the category list's context menu): one
// add (sometimes with bad input), change or remove. Afterwards the dialog listed what the document declares, a change made
// one undo step and a refused one none (check_quick checks every instance's values against them).
void Monkey::edit_declarations() {
    static const char* const kNames[] = {"colour", "parked", "size", "Länge", "note", ""};
    static const char* const kKinds[] = {"boolean", "choice", "number", "text"};
    QListWidget* categories = window_->category_panel()->list();
    if (categories->count() == 0) return note("declarations: no category");
    QListWidgetItem* item = categories->item(uniform(0, categories->count() - 1));
    const int category_id = item->data(Qt::UserRole).toInt();
    Document* doc = window_->document();
    const Category* category = doc->project().find_category(category_id);
    if (!category) return note("declarations: no current category");
    const std::vector<AttributeSpec> before = category->attributes;
    const int steps = doc->undo_stack()->index();
    const int op = uniform(0, 2);  // 0 add, 1 change, 2 remove
    const QString name = QString::fromUtf8(kNames[uniform(0, int(std::size(kNames)) - 1)]);
    const QString kind = kKinds[uniform(0, 3)];
    const QString choices = QStringList{"", "red", "red\ngreen", "green\nblue\nred", "red\nred"}[uniform(0, 4)];
    // Mostly a default of the type (a first choice for a choice), sometimes one that is not.
    const QString fitting = kind == "boolean" ? "true" : kind == "number" ? "2" : choices.section('\n', 0, 0);
    const QString fallback = chance(0.7) ? fitting : QStringList{"red", "true", "2", "pink", ""}[uniform(0, 4)];
    const int row = uniform(0, 4);
    note(QStringLiteral("declarations of category %1: %2 \"%3\" %4 [%5] default \"%6\" (row %7)")
             .arg(category_id).arg(op == 0 ? "add" : op == 1 ? "change" : "remove", name, kind,
                                   QString(choices).replace('\n', ','), fallback).arg(row));
    QStringList listed;
    answer_next_dialog([&](QWidget* dialog) {
        auto* list = dialog->findChild<QListWidget*>("attributeList");
        auto* name_line = dialog->findChild<QLineEdit*>("attributeName");
        auto* kind_combo = dialog->findChild<QComboBox*>("attributeKind");
        auto* choices_edit = dialog->findChild<QPlainTextEdit*>("attributeChoices");
        auto* default_line = dialog->findChild<QLineEdit*>("attributeDefault");
        if (!list || !name_line || !kind_combo || !choices_edit || !default_line)
            return press_button(dialog, QDialogButtonBox::Close);
        if (op > 0 && row < list->count())
            QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(list->item(row)).center());
        if (op < 2) {
            if (op == 0 || chance(0.3)) {
                name_line->setFocus();
                name_line->selectAll();
                QTest::keyClick(name_line, Qt::Key_Delete);
                type_text(name_line, name);
            }
            kind_combo->setFocus();
            QTest::keyClick(kind_combo, Qt::Key_Home);
            for (int i = 0; i < 4 && kind_combo->currentText() != kind; ++i) QTest::keyClick(kind_combo, Qt::Key_Down);
            if (choices_edit->isEnabled() && chance(0.7)) {
                choices_edit->setFocus();
                choices_edit->selectAll();
                QTest::keyClick(choices_edit, Qt::Key_Delete);
                for (const QString& line : choices.split('\n', Qt::SkipEmptyParts)) {
                    type_text(choices_edit, line);
                    QTest::keyClick(choices_edit, Qt::Key_Return);
                }
            }
            if (chance(0.7)) {
                default_line->setFocus();
                default_line->selectAll();
                QTest::keyClick(default_line, Qt::Key_Delete);
                type_text(default_line, fallback);
            }
        }
        const char* button = op == 0 ? "addAttribute" : op == 1 ? "applyAttribute" : "removeAttribute";
        if (auto* b = dialog->findChild<QPushButton*>(button); b && b->isEnabled()) QTest::mouseClick(b, Qt::LeftButton);
        for (int i = 0; i < list->count(); ++i) listed << list->item(i)->text().section(QStringLiteral(" — "), 0, 0);
        press_button(dialog, QDialogButtonBox::Close);
    });
    categories->scrollToItem(item);
    const bool opened = choose_in_context_menu(categories->viewport(), categories->visualItemRect(item).center(), "Attributes…");
    drop_dialog_answer();
    if (!opened) return fail("the category list's context menu has no Attributes… entry");
    QApplication::setActiveWindow(window_.get());
    canvas()->setFocus();
    const Category* after = doc->project().find_category(category_id);
    QStringList declared;
    for (const AttributeSpec& spec : after ? after->attributes : std::vector<AttributeSpec>())
        declared << QString::fromStdString(spec.name);
    if (listed != declared)
        return fail(QStringLiteral("the declarations dialog listed [%1], the category declares [%2]")
                        .arg(listed.join(", "), declared.join(", ")));
    const bool changed = !after || before != after->attributes;
    note(changed ? "declarations: changed" : "declarations: refused or the same");
    if (doc->undo_stack()->index() != steps + (changed ? 1 : 0))
        return fail(QStringLiteral("a declaration edit made %1 undo steps, expected %2")
                        .arg(doc->undo_stack()->index() - steps).arg(changed ? 1 : 0));
}

// Images and the view: next, previous, the list, wheel zoom, panning, the help overlay.
void Monkey::add_view_actions() {
    add("next_image", 4, [this] {
        note("next image (D)");
        key(Qt::Key_D);
        settle_image();
    });
    add("prev_image", 3, [this] {
        note("previous image (A)");
        key(Qt::Key_A);
        settle_image();
    });
    add("pick_image", 2, [this] {
        auto* list = window_->file_list();
        const int rows = list->model()->rowCount();
        if (rows == 0) return note("pick image: empty list");
        const int row = uniform(0, rows - 1);
        note(QStringLiteral("click image %1 in the list").arg(row));
        list->scrollTo(list->model()->index(row, 0));
        QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualRect(list->model()->index(row, 0)).center());
        canvas()->setFocus();
        settle_image();
    });
    add("wheel", 3, [this] {
        const QPoint at = image_point();
        const int notches = chance(0.5) ? 1 : -1;
        note(QStringLiteral("wheel %1 at %2,%3").arg(notches).arg(at.x()).arg(at.y()));
        QWheelEvent wheel(QPointF(at), canvas()->mapToGlobal(QPointF(at)), QPoint(), QPoint(0, 120 * notches), Qt::NoButton,
                          Qt::NoModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(canvas(), &wheel);
    });
    add("pan", 2, [this] {
        const QPoint a = image_point();
        const QPoint b = a + QPoint(uniform(-60, 60), uniform(-60, 60));
        note(QStringLiteral("middle drag %1,%2 -> %3,%4").arg(a.x()).arg(a.y()).arg(b.x()).arg(b.y()));
        drag(Qt::MiddleButton, 0, {a, b});
    });
    add_review_actions();
    add_display_actions();
    add("help", 1, [this] {
        note("help (F1), then Esc");
        key(Qt::Key_F1);
        if (auto* help = window_->findChild<HelpOverlay*>("helpOverlay"); help && help->isVisible())
            QTest::keyClick(help, Qt::Key_Escape);
        canvas()->setFocus();
    });
}

// Display adjustments, themes and the shortcuts page: none of them may change the document, and
// each leaves the state it shows (the canvas draws what the panel says, the checked theme is the
// applied one, a cancelled shortcuts page changes no key).
// The image list: tags typed in the tag field, the filter bar. After each, the list must show
// exactly what an index built afresh from the project passes (the browser keeps its index up to date
// image by image; this catches an edit it missed).
void Monkey::add_review_actions() {
    add("tag", 2, [this] {
        static const char* const kTags[] = {"night", "blurred", "ask Anna"};
        const QString tag = kTags[uniform(0, 2)];
        const bool add_it = chance(0.7);
        note(QStringLiteral("%1 tag \"%2\" on the selected images").arg(add_it ? "add" : "remove", tag));
        auto* field = window_->filter_bar()->findChild<QLineEdit*>("tagEdit");
        field->setText(tag);
        if (add_it) {
            field->setFocus();
            QTest::keyClick(field, Qt::Key_Return);
        } else {
            QTest::mouseClick(window_->filter_bar()->findChild<QPushButton*>("removeTagButton"), Qt::LeftButton);
        }
        canvas()->setFocus();
        check_image_list();
    });
    add("filter", 3, [this] {
        ImageFilterBar* bar = window_->filter_bar();
        switch (uniform(0, 4)) {
            case 0: {
                static const char* const kNames[] = {"", "img", "*.png", "1", "sub/", "zzz"};
                const QString text = kNames[uniform(0, 5)];
                note(QStringLiteral("filter name \"%1\"").arg(text));
                bar->findChild<QLineEdit*>("filterName")->setText(text);
                break;
            }
            case 1: {
                auto* box = bar->findChild<QComboBox*>("filterStatus");
                const int i = uniform(0, box->count() - 1);
                note(QStringLiteral("filter status %1").arg(box->itemText(i)));
                box->setCurrentIndex(i);
                break;
            }
            case 2: {
                auto* box = bar->findChild<QComboBox*>("filterTag");
                const int i = uniform(0, box->count() - 1);
                note(QStringLiteral("filter tag %1").arg(box->itemText(i)));
                box->setCurrentIndex(i);
                break;
            }
            case 3: {
                const int lo = uniform(0, 2);
                note(QStringLiteral("filter instances >= %1").arg(lo));
                bar->findChild<QSpinBox*>("filterMin")->setValue(lo);
                break;
            }
            default:
                note("filter cleared");
                bar->findChild<QLineEdit*>("filterName")->clear();
                for (const char* name : {"filterStatus", "filterTag", "filterCategory"})
                    bar->findChild<QComboBox*>(name)->setCurrentIndex(0);
                bar->findChild<QSpinBox*>("filterMin")->setValue(0);
                bar->findChild<QSpinBox*>("filterMax")->setValue(-1);
                bar->findChild<QCheckBox*>("filterPending")->setChecked(false);
        }
        check_image_list();
    });
}

void Monkey::check_image_list() {
    ImageBrowser* browser = window_->image_browser();
    std::vector<ImageKey> keys;
    for (int i = 0; i < browser->count(); ++i) keys.push_back(browser->key(i));
    ImageIndex fresh;
    fresh.reset(keys, window_->document()->project());
    std::set<ImageKey> pending;
    if (!window_->candidates().empty()) pending.insert(browser->current_key());
    const std::vector<int> expected = fresh.filter(browser->filter(), pending);
    if (expected != browser->shown_indexes() && browser->filter() == window_->filter_bar()->filter())
        return fail(QStringLiteral("the image list shows %1 images, the filter passes %2 of the project as it is")
                        .arg(browser->shown_indexes().size()).arg(expected.size()));
    for (int i = 0; i < browser->count(); ++i) {
        const ImageSummary& a = fresh.at(i);
        const ImageSummary& b = browser->image_index().at(i);
        if (a.status != b.status || a.tags != b.tags || a.instance_count != b.instance_count || a.categories != b.categories)
            return fail(QStringLiteral("the image list's summary of %1 differs from the project").arg(QString::fromStdString(a.key)));
    }
}

void Monkey::add_display_actions() {
    add("display_adjust", 3, [this] {
        if (!window_->display_dock()->isVisible()) key(Qt::Key_B, Qt::ControlModifier);
        static const char* const kSliders[] = {"brightnessSlider", "contrastSlider", "gammaSlider"};
        const char* name = kSliders[uniform(0, 2)];
        auto* slider = window_->display_panel()->findChild<QSlider*>(name);
        const int steps = uniform(1, 3);
        const bool up = chance(0.5);
        note(QStringLiteral("display: %1 %2 x%3").arg(name, up ? "PgUp" : "PgDown").arg(steps));
        const std::string before = undoable_state(window_->document()->project());
        if (chance(0.2)) {
            auto* tick = window_->display_panel()->findChild<QAbstractButton*>("engineSeesAdjustment");
            note(QStringLiteral("display: %1 \"Apply to what the engine sees\"").arg(tick->isChecked() ? "untick" : "tick"));
            QTest::mouseClick(tick, Qt::LeftButton);
        }
        for (int i = 0; i < steps; ++i) QTest::keyClick(slider, up ? Qt::Key_PageUp : Qt::Key_PageDown);
        canvas()->setFocus();
        if (window_->canvas()->display_adjustment() != window_->display_panel()->adjustment())
            return fail("the canvas does not draw the Display panel's adjustment");
        if (undoable_state(window_->document()->project()) != before) fail("a display adjustment changed the document");
    });
    add("display_reset", 1, [this] {
        note("reset display (Ctrl+0)");
        key(Qt::Key_0, Qt::ControlModifier);
        if (!window_->canvas()->display_adjustment().is_identity() || !window_->display_panel()->adjustment().is_identity())
            fail("Ctrl+0 left a display adjustment on");
    });
    add("theme", 1, [this] {
        static const char* const kThemes[] = {"themeSystem", "themeLight", "themeDark"};
        const int pick = uniform(0, 2);
        note(QStringLiteral("theme: %1").arg(kThemes[pick]));
        window_->action(kThemes[pick])->trigger();
        for (int i = 0; i < 3; ++i)
            if (window_->action(kThemes[i])->isChecked() != (i == pick)) return fail("the theme menu checks the wrong entry");
        if (current_theme() != Theme(pick)) return fail("the checked theme is not the applied one");
        const int lightness = QApplication::palette().color(QPalette::Window).lightness();
        if (Theme(pick) == Theme::Dark && lightness > 100) fail("the dark theme has a light window colour");
        if (Theme(pick) == Theme::Light && lightness < 150) fail("the light theme has a dark window colour");
    });
    add("shortcuts_page", 1, [this] {
        const KeyMap before_keys = [this] {
            KeyMap keys;
            for (const ActionRow& row : action_rows()) keys.insert(row.name, window_->action(row.name)->shortcuts());
            return keys;
        }();
        window_->action("shortcutSettings")->trigger();
        ShortcutsDialog* dialog = window_->shortcuts_dialog();
        if (!dialog || !dialog->isVisible()) return fail("Keyboard shortcuts did not open its page");
        const ActionRow& row = action_rows()[size_t(uniform(0, int(action_rows().size()) - 1))];
        const int letter = Qt::Key_A + uniform(0, 25);
        note(QStringLiteral("shortcuts page: %1 to %2, then Cancel").arg(row.name, QKeySequence(letter).toString()));
        QKeySequenceEdit* edit = dialog->editor(row.name);
        QTest::mouseClick(edit, Qt::LeftButton);
        QTest::keyClick(edit, Qt::Key(letter));
        QTest::qWaitFor([dialog, &row, letter] {
            return dialog->keys().value(row.name).value(0) == QKeySequence(letter) || !dialog->problem_label()->text().isEmpty();
        }, 3000);
        // Either taken (and the page names the other action) or refused with the key unchanged.
        const QString other = shortcut_conflict(before_keys, row.name, {QKeySequence(letter)});
        if (!other.isEmpty() && dialog->keys().value(row.name) != before_keys.value(row.name))
            return fail(QStringLiteral("the shortcuts page let %1 take %2's key").arg(row.name, other));
        if (!other.isEmpty() && !dialog->problem_label()->text().contains(action_title(*find_action_row(other))))
            return fail("the shortcuts page refused a key without naming its action: " + dialog->problem_label()->text());
        press_button(dialog, QDialogButtonBox::Cancel);
        QTest::qWaitFor([this] { return !window_->shortcuts_dialog(); }, 2000);
        for (const ActionRow& r : action_rows())
            if (window_->action(r.name)->shortcuts() != before_keys.value(r.name))
                return fail(QStringLiteral("Cancel on the shortcuts page changed the key of %1").arg(r.name));
        QApplication::setActiveWindow(window_.get());
        canvas()->setFocus();
    });
}

// Export, engines, closing and opening the folder again.
void Monkey::add_file_actions() {
    add("export", 2, [this] {
        const QString path = QDir(folder_).filePath(QStringLiteral("export-%1.json").arg(exports_++ % 2));
        const bool polygons = chance(0.4);
        note(QStringLiteral("export COCO (%1) to %2").arg(polygons ? "polygons" : "RLE", path));
        answer_next_dialog([path, polygons](QWidget* dialog) {
            if (auto* edit = dialog->findChild<QLineEdit*>()) {
                edit->selectAll();
                QTest::keyClick(edit, Qt::Key_Delete);
                type_text(edit, path);
            }
            for (QRadioButton* r : dialog->findChildren<QRadioButton*>())
                if (r->text().startsWith(polygons ? "Polygons" : "RLE")) QTest::mouseClick(r, Qt::LeftButton);
            press_button(dialog, QDialogButtonBox::Ok);
        });
        QFile::remove(path);
        key(Qt::Key_E, Qt::ControlModifier);
        MainWindow* w = window_.get();
        if (!QTest::qWaitFor([w] { return !w->exporting(); }, kEngineTimeoutMs)) return fail("the export never ended");
        // The summary box (or a failure notice) closes like a user would.
        QTest::qWait(20);
        for (QWidget* top : QApplication::topLevelWidgets())
            if (auto* box = qobject_cast<QMessageBox*>(top); box && box->isVisible())
                QTest::mouseClick(box->button(QMessageBox::Ok), Qt::LeftButton);
        QApplication::setActiveWindow(w);
        check_export(path);
    });
    if (settings_.engines.size() > 1) {
        add("engine_switch", 1, [this] {
            auto* combo = window_->findChild<QComboBox*>("engineCombo");
            if (!combo) return note("engine switch: no engine list");
            combo->setFocus();
            const int to = (combo->currentIndex() + uniform(1, combo->count() - 1)) % combo->count();
            note(QStringLiteral("switch engine to %1").arg(combo->itemText(to)));
            while (combo->currentIndex() != to) QTest::keyClick(combo, combo->currentIndex() < to ? Qt::Key_Down : Qt::Key_Up);
            canvas()->setFocus();
            MainWindow* w = window_.get();
            if (!QTest::qWaitFor([w] { return !w->engine_loading(); }, kEngineTimeoutMs)) fail("the engine load never ended");
        });
    }
    add("export_format", 2, [this] { export_in_another_format(); });
    add("import_format", 1, [this] { import_last_export(); });
    add("import_bad_file", 1, [this] { import_bad_file(); });
    add("external_write", 1, [this] { another_program_writes(); });
    add("second_window", 1, [this] { second_window_opens_read_only(); });
    add("reopen", 1, [this] {
        note("close the window and open the folder again");
        const std::string before = project_to_json(window_->document()->full_project());
        const QString path = window_->document()->path();
        close_window();
        try {
            const std::string after = project_to_json(load_project(path.toStdString()));
            if (after != before) return fail("the project file after closing differs from the document:\n" +
                                             first_difference(before, after));
        } catch (const std::exception& e) {
            return fail(QStringLiteral("the project file does not load after closing: %1").arg(e.what()));
        }
        open_window(folder_);
    });
}

// File > Export as… in a format other than COCO, through the dialog; the output must read back with
// core's importer, and a VGD export must give back every exported instance exactly (RLE, prompts).
void Monkey::export_in_another_format() {
    static const char* const kFormats[] = {"vgd", "labelme", "yolo-seg", "png-masks"};
    const QString format = kFormats[uniform(0, 3)];
    const bool folder = find_format(format.toStdString()).info().exports_folder;
    // Beside the image folder, not in it: YOLO and VOC exports link the images, which the scan would list.
    const QString path = folder_ + "-exports/" + format + (folder ? "" : ".json");
    QDir().mkpath(folder_ + "-exports");
    note(QStringLiteral("export as %1 to %2").arg(format, path));
    answer_next_dialog([format, path](QWidget* dialog) {
        if (auto* box = dialog->findChild<QComboBox*>("formatBox")) {
            choose_in_combo(box, format);
        }
        if (auto* edit = dialog->findChild<QLineEdit*>("pathEdit")) {
            edit->selectAll();
            QTest::keyClick(edit, Qt::Key_Delete);
            type_text(edit, path);
        }
        press_button(dialog, QDialogButtonBox::Ok);
    });
    MainWindow* w = window_.get();
    QSignalSpy finished(w, &MainWindow::export_finished);
    key(Qt::Key_E, int(Qt::ControlModifier | Qt::ShiftModifier));
    if (!QTest::qWaitFor([&] { return !w->exporting() && finished.size() == 1; }, kEngineTimeoutMs))
        return fail("the " + format + " export never ended");
    drop_dialog_answer();
    QTest::qWait(20);
    for (QWidget* top : QApplication::topLevelWidgets())
        if (auto* box = qobject_cast<QMessageBox*>(top); box && box->isVisible())
            QTest::mouseClick(box->button(QMessageBox::Ok), Qt::LeftButton);
    QApplication::setActiveWindow(w);
    if (!finished[0][0].toBool()) return fail("the " + format + " export failed: " + finished[0][2].toString());
    const Project doc = w->document()->full_project();
    Project back;
    ImportOptions options;
    options.images_dir = folder_.toStdString();
    ImportReport report;
    try {
        find_format(format.toStdString()).import_into(back, path.toStdString(), options, report);
    } catch (const std::exception& e) {
        return fail(QStringLiteral("the %1 export %2 does not import: %3").arg(format, path, e.what()));
    }
    if (format != "vgd") return;
    last_vgd_export_ = path;
    for (const ImageRecord& rec : doc.images)
        for (const Instance& inst : rec.instances) {
            if (!doc.find_category(inst.category_id) || rle_area(inst.mask) == 0) continue;
            const Instance* got = back.find_instance(inst.id);
            if (!got || !(got->mask == inst.mask) || !(got->prompt == inst.prompt))
                return fail(QStringLiteral("instance %1 does not come back from the VGD export %2 as it was").arg(inst.id).arg(path));
        }
}

// File > Import… of the last VGD export: every instance it holds is added again (new ids), in one
// undo step.
void Monkey::import_last_export() {
    if (last_vgd_export_.isEmpty() || !QFile::exists(last_vgd_export_)) return note("import: no VGD export yet");
    MainWindow* w = window_.get();
    Document* doc = w->document();
    Project exported;
    ImportOptions options;
    options.images_dir = folder_.toStdString();
    ImportReport report;
    try {
        find_format("vgd").import_into(exported, last_vgd_export_.toStdString(), options, report);
    } catch (const std::exception& e) {
        return fail(QStringLiteral("the VGD export %1 no longer imports: %2").arg(last_vgd_export_, e.what()));
    }
    const int64_t before = doc->project().instance_count();
    const int steps = doc->undo_stack()->index();  // where the user is: redo steps past it go on a push
    note(QStringLiteral("import %1 (vgd, %2 instances)").arg(last_vgd_export_).arg(exported.instance_count()));
    const QString path = last_vgd_export_;
    answer_next_dialog([path](QWidget* dialog) {
        if (auto* box = dialog->findChild<QComboBox*>("formatBox")) {
            choose_in_combo(box, "vgd");
        }
        if (auto* edit = dialog->findChild<QLineEdit*>("pathEdit")) type_text(edit, path);
        press_button(dialog, QDialogButtonBox::Ok);
    });
    QSignalSpy finished(w, &MainWindow::import_finished);
    key(Qt::Key_I, int(Qt::ControlModifier | Qt::ShiftModifier));
    if (!QTest::qWaitFor([&] { return finished.size() == 1; }, kEngineTimeoutMs)) return fail("the import never ended");
    drop_dialog_answer();
    for (QWidget* top : QApplication::topLevelWidgets())
        if (auto* box = qobject_cast<QMessageBox*>(top); box && box->isVisible()) box->close();
    QApplication::setActiveWindow(w);
    if (!finished[0][0].toBool()) return fail("importing our own VGD export was refused: " + finished[0][2].toString());
    if (doc->project().instance_count() != before + exported.instance_count())
        return fail(QStringLiteral("the import added %1 instances, the file holds %2")
                        .arg(doc->project().instance_count() - before).arg(exported.instance_count()));
    if ((doc->undo_stack()->count() != steps + 1 || doc->undo_stack()->index() != steps + 1) && exported.instance_count() > 0)
        return fail("the import is not one undo step");
}

// A labelme file with a bad field: refused naming the file and the field, the project unchanged.
void Monkey::import_bad_file() {
    const QString bad = folder_ + "-exports/bad-labelme";
    QDir().mkpath(bad);
    QFile f(bad + "/a1.json");
    if (!f.open(QIODevice::WriteOnly)) return fail("cannot write " + bad);
    f.write(QStringLiteral(R"({"shapes": [], "imagePath": "%1/a1.png", "imageHeight": 160, "imageWidth": -3})")
                .arg(folder_).toUtf8());
    f.close();
    MainWindow* w = window_.get();
    const std::string before = project_to_json(w->document()->project());
    const int steps = w->document()->undo_stack()->count();
    note("import a bad labelme file");
    answer_next_dialog([bad](QWidget* dialog) {
        if (auto* box = dialog->findChild<QComboBox*>("formatBox")) {
            choose_in_combo(box, "labelme");
        }
        if (auto* edit = dialog->findChild<QLineEdit*>("pathEdit")) type_text(edit, bad);
        press_button(dialog, QDialogButtonBox::Ok);
    });
    QSignalSpy finished(w, &MainWindow::import_finished);
    key(Qt::Key_I, int(Qt::ControlModifier | Qt::ShiftModifier));
    if (!QTest::qWaitFor([&] { return finished.size() == 1; }, kEngineTimeoutMs)) return fail("the bad import never ended");
    drop_dialog_answer();
    for (QWidget* top : QApplication::topLevelWidgets())
        if (auto* box = qobject_cast<QMessageBox*>(top); box && box->isVisible()) box->close();
    QApplication::setActiveWindow(w);
    const QString message = finished[0][2].toString();
    if (finished[0][0].toBool() || !message.contains("a1.json") || !message.contains("imageWidth"))
        return fail("the bad labelme file was not refused naming it and the field: " + message);
    if (project_to_json(w->document()->project()) != before || w->document()->undo_stack()->count() != steps)
        return fail("a refused import changed the project");
}

// The referring-sentence editor (R) on an instance picked in the list: add, correct or remove one,
// each one undo step, and the instance holds exactly the sentences the editor shows.
void Monkey::edit_sentences() {
    auto* tree = window_->findChild<QTreeWidget*>("instanceTree");
    if (!tree || tree->topLevelItemCount() == 0) return note("sentences: no instance");
    const int row = uniform(0, tree->topLevelItemCount() - 1);
    const QRect r = tree->visualItemRect(tree->topLevelItem(row));
    QTest::mouseClick(tree->viewport(), Qt::LeftButton, Qt::NoModifier, QPoint(r.right() - 5, r.center().y()));
    canvas()->setFocus();
    const std::vector<int64_t> sel = window_->selected_instances();
    if (sel.size() != 1) return note("sentences: no single selection");
    const int64_t id = sel.front();
    Document* doc = window_->document();
    const int steps = doc->undo_stack()->index();  // redo steps past it go on a push
    const Instance* before_edit = doc->project().find_instance(id);
    const std::vector<std::string> before = before_edit ? before_edit->referring : std::vector<std::string>{};
    const int op = uniform(0, 2);  // 0 add, 1 correct, 2 remove
    const QString sentence = QStringLiteral("the thing nr %1 · grün").arg(uniform(1, 999));
    std::vector<std::string> shown;
    bool changed = false;
    note(QStringLiteral("sentences of #%1: %2").arg(id).arg(op == 0 ? "add" : op == 1 ? "correct" : "remove"));
    answer_next_dialog([&, op, sentence](QWidget* dialog) {
        auto* list = dialog->findChild<QListWidget*>("sentenceList");
        auto* line = dialog->findChild<QLineEdit*>("newSentence");
        if (!list || !line) return press_button(dialog, QDialogButtonBox::Close);
        if (op == 0 || list->count() == 0) {
            line->setFocus();
            type_text(line, sentence);
            QTest::keyClick(line, Qt::Key_Return);
            changed = true;
        } else {
            list->setFocus();
            list->setCurrentRow(uniform(0, list->count() - 1));
            if (op == 1) {
                QTest::keyClick(list, Qt::Key_F2);
                if (auto* editor = list->findChild<QLineEdit*>()) {
                    editor->selectAll();
                    type_text(editor, sentence);
                    QTest::keyClick(editor, Qt::Key_Return);
                    changed = true;
                }
            } else {
                QTest::keyClick(list, Qt::Key_Delete);
                changed = true;
            }
        }
        // The item delegate commits a correction on Return through a queued call: let it arrive.
        QCoreApplication::processEvents();
        for (int i = 0; i < list->count(); ++i) shown.push_back(list->item(i)->text().toStdString());
        press_button(dialog, QDialogButtonBox::Close);
    });
    key(Qt::Key_R);
    drop_dialog_answer();
    QApplication::setActiveWindow(window_.get());
    canvas()->setFocus();
    const Instance* inst = window_->document()->project().find_instance(id);
    if (!inst) return fail(QStringLiteral("instance %1 vanished while editing its sentences").arg(id));
    if (inst->referring != shown) {
        QStringList held, listed;
        for (const std::string& t : inst->referring) held << QString::fromStdString(t);
        for (const std::string& t : shown) listed << QString::fromStdString(t);
        return fail(QStringLiteral("instance %1 holds other sentences than its editor shows: [%2] vs [%3]")
                        .arg(id).arg(held.join(" | "), listed.join(" | ")));
    }
    // One undo step when the sentences changed, none when they did not (a sentence added twice, or
    // corrected to the text it had, changes nothing).
    const int expected = changed && inst->referring != before ? 1 : 0;
    if (doc->undo_stack()->index() != steps + expected)
        return fail(QStringLiteral("a sentence edit made %1 undo steps, expected %2")
                        .arg(doc->undo_stack()->index() - steps)
                        .arg(expected));
}

// Another program writes the project file (adds a category). The window must notice, keep both
// versions (theirs in the file, ours in the .mine copy the notice names), and the user's choice must
// lose neither: "Take theirs" shows theirs and leaves ours in the copy; "Overwrite theirs with mine"
// writes ours and keeps theirs in a .theirs copy.
void Monkey::another_program_writes() {
    Document* doc = window_->document();
    const QString path = doc->path();
    // A vertex edit still open would go into our version at the choice, after `ours` is taken below;
    // test_ui_safety's take_theirs_with_a_vertex_edit_open checks that case. Here it is applied first.
    if (window_->canvas()->tool_name() == "editVertices") key(Qt::Key_Return);
    doc->flush();
    const std::string ours = project_to_json(doc->full_project());
    Project theirs;
    try {
        theirs = load_project(path.toStdString());
    } catch (const std::exception& e) {
        return fail(QStringLiteral("the project file does not load: %1").arg(e.what()));
    }
    const std::string tag = "external-" + std::to_string(++external_writes_);
    theirs.add_category(tag);
    save_project(theirs, path.toStdString());  // unchecked, as a program that knows nothing of ours would
    const std::string theirs_json = project_to_json(theirs);
    note(QStringLiteral("another program writes the project file (adds the category %1)").arg(QString::fromStdString(tag)));
    if (!QTest::qWaitFor([doc] { return doc->in_conflict(); }, 10000)) return fail("the external write was not noticed");
    const QString mine = doc->mine_copy();
    if (!window_->notice_bar()->text().contains(mine)) return fail("the conflict notice does not name " + mine);
    doc->flush();
    try {
        if (project_to_json(load_project(path.toStdString())) != theirs_json) return fail("their version was overwritten");
        if (project_to_json(load_project(mine.toStdString())) != ours) return fail("our version is not in " + mine);
    } catch (const std::exception& e) {
        return fail(QStringLiteral("a version does not load: %1").arg(e.what()));
    }
    const bool take = chance(0.5);
    note(take ? "take theirs" : "overwrite theirs with mine");
    QPushButton* button = nullptr;
    NoticeBar* notice = window_->notice_bar();
    (void)QTest::qWaitFor([&] {  // buttons added to a shown bar appear at the next event-loop turn
        for (QPushButton* b : notice->findChildren<QPushButton*>())
            if (b->isVisible() && b->text().startsWith(take ? "Take theirs" : "Overwrite theirs")) button = b;
        return button != nullptr;
    }, 2000);
    if (!button) {
        QStringList buttons;
        for (QPushButton* b : window_->notice_bar()->findChildren<QPushButton*>()) buttons << b->text() + (b->isVisible() ? "" : " (hidden)");
        return fail(QStringLiteral("the conflict notice (%1) has no button for that choice: %2; it says %3")
                        .arg(window_->notice_bar()->isVisible() ? "shown" : "hidden", buttons.join(", "), window_->notice_bar()->text()));
    }
    QTest::mouseClick(button, Qt::LeftButton);
    if (doc->in_conflict()) return fail("the conflict stayed after the choice: " + window_->notice_bar()->text());
    settle_image();
    doc->flush();
    try {
        if (take) {
            if (project_to_json(doc->full_project()) != theirs_json) return fail("after taking theirs the document is not theirs:\n" +
                                                                                 first_difference(theirs_json, project_to_json(doc->full_project())));
            if (project_to_json(load_project(mine.toStdString())) != ours) return fail("our version left " + mine);
            baseline_ = undoable_state(doc->project());  // a reloaded project starts a new undo history
        } else {
            if (project_to_json(load_project(path.toStdString())) != ours) return fail("our version was not written back");
            bool kept = false;
            for (const QString& f : QDir(QFileInfo(path).absolutePath()).entryList({QFileInfo(path).fileName() + ".theirs-*"}))
                kept |= project_to_json(load_project(QFileInfo(path).absolutePath().toStdString() + "/" + f.toStdString())) == theirs_json;
            if (!kept) return fail("their version was not kept in a .theirs copy");
        }
    } catch (const std::exception& e) {
        return fail(QStringLiteral("a version does not load: %1").arg(e.what()));
    }
    canvas()->setFocus();
}

// A second window on the same folder: the first holds the lock, so the second opens read-only naming
// it, refuses an edit, and writes nothing, also when it closes; the first keeps its lock.
void Monkey::second_window_opens_read_only() {
    Document* doc = window_->document();
    doc->flush();
    const QString path = doc->path();
    const DiskVersion before = disk_version(path.toStdString());
    note("a second window opens the same folder, tries to add a category, closes");
    {
        MainWindow second;
        second.resize(900, 600);
        second.show();
        second.set_engine("classic");
        if (!second.open_folder(folder_)) return fail("the second window did not open the folder: " + second.notice_bar()->text());
        const QString holder = QStringLiteral("xsam-studio (pid %1").arg(QCoreApplication::applicationPid());
        if (!second.document()->read_only() || !second.notice_bar()->text().contains(holder))
            return fail("the second window is not read-only naming the first: " + second.notice_bar()->text());
        (void)QTest::qWaitFor([&second] { return !second.scanning() && second.image_ready(); }, 10000);
        Document* other = second.document();
        if (std::optional<ProjectEdit> edit = add_category(other->project(), "second-window")) other->edit(*edit, "add category");
        if (other->project().find_category(std::string("second-window")) || other->undo_stack()->count() != 0)
            return fail("the read-only second window took an edit");
    }
    if (disk_version(path.toStdString()) != before) return fail("the read-only second window wrote the project file");
    const std::optional<LockHolder> holder = project_lock_holder(path.toStdString());
    if (!holder || holder->pid != QCoreApplication::applicationPid()) return fail("the first window lost its lock");
    QApplication::setActiveWindow(window_.get());
    canvas()->setFocus();
}

// Invariants ---------------------------------------------------------------------------------------

void Monkey::check_quick() {
    if (!window_) return;
    Document* doc = window_->document();
    const Project& p = doc->project();
    std::set<int64_t> ids;
    std::set<int> cats;
    for (const Category& c : p.categories) cats.insert(c.id);
    for (const ImageRecord& rec : p.images)
        for (const Instance& inst : rec.instances) {
            if (seen_.insert(inst.id).second) ++sources_[inst.source.substr(0, inst.source.find(':'))];
            if (!ids.insert(inst.id).second) return fail(QStringLiteral("instance id %1 appears twice").arg(inst.id));
            if (!cats.count(inst.category_id))
                return fail(QStringLiteral("instance %1 has the unknown category %2").arg(inst.id).arg(inst.category_id));
            if (inst.mask.width != rec.width || inst.mask.height != rec.height)
                return fail(QStringLiteral("instance %1 is %2x%3 on a %4x%5 image").arg(inst.id).arg(inst.mask.width)
                                .arg(inst.mask.height).arg(rec.width).arg(rec.height));
            if (inst.id >= p.next_instance_id) return fail(QStringLiteral("instance id %1 is not below the next id").arg(inst.id));
            Instance declared_only = inst;
            keep_declared_attributes(declared_only, *p.find_category(inst.category_id));
            if (declared_only.attributes != inst.attributes)
                return fail(QStringLiteral("instance %1 holds an attribute value its category does not declare, "
                                           "or one that does not fit or is the default").arg(inst.id));
        }
    if (const ImageRecord* rec = window_->current_record()) {
        auto* tree = window_->findChild<QTreeWidget*>("instanceTree");
        if (tree && tree->topLevelItemCount() != int(rec->instances.size()))
            return fail(QStringLiteral("the instance list shows %1 rows for %2 instances")
                            .arg(tree->topLevelItemCount()).arg(rec->instances.size()));
    }
    if (window_->notice_bar()->isVisible() && window_->notice_bar()->text().contains("changed by another program"))
        return fail("our own saves were taken for another program's: " + window_->notice_bar()->text());
    if (actions_done_ % 2 == 0) {
        try {
            load_project(doc->path().toStdString());  // whatever autosave is doing, the file loads
        } catch (const std::exception& e) {
            fail(QStringLiteral("the project file does not load: %1").arg(e.what()));
        }
    }
}

void Monkey::check_file_matches_document() {
    if (!window_) return;
    Document* doc = window_->document();
    doc->flush();
    try {
        const std::string disk = project_to_json(load_project(doc->path().toStdString()));
        const std::string memory = project_to_json(doc->full_project());
        if (disk != memory) fail("the project file differs from the document:\n" + first_difference(memory, disk));
    } catch (const std::exception& e) {
        fail(QStringLiteral("the project file does not load: %1").arg(e.what()));
    }
}

// From wherever the user is in the undo history: redo to its end (the final state), undo everything
// (the starting state), redo everything (the final state again), then undo back to where the user was.
void Monkey::check_undo_redo_all() {
    if (!window_) return;
    MainWindow* w = window_.get();
    if (!QTest::qWaitFor([w] { return !w->request_pending() && !w->engine_loading(); }, kEngineTimeoutMs))
        return fail("the engine did not answer within 90 s");
    // A vertex edit in progress is applied first (undo and redo keys would apply it on the way).
    if (w->canvas()->tool_name() == "editVertices") key(Qt::Key_Return);
    QUndoStack* stack = w->document()->undo_stack();
    const Project& project = w->document()->project();
    const int where = stack->index(), steps = stack->count();
    const std::string at_where = project_to_json(project);
    auto press = [&](bool redo, int until_index) {
        for (int i = 0; i <= steps && stack->index() != until_index; ++i)
            key(Qt::Key_Z, redo ? int(Qt::ControlModifier | Qt::ShiftModifier) : int(Qt::ControlModifier));
        return stack->index() == until_index;
    };
    if (!press(true, steps)) return fail(QStringLiteral("redo keys did not reach the end of %1 steps").arg(steps));
    const std::string final_state = project_to_json(project);
    if (!press(false, 0)) {
        QWidget* f = QApplication::focusWidget();
        return fail(QStringLiteral("undo keys did not undo all %1 steps (stopped at %2; focus %3 %4; active window %5)")
                        .arg(steps).arg(stack->index()).arg(f ? f->metaObject()->className() : "none", f ? f->objectName() : "")
                        .arg(QApplication::activeWindow() ? QApplication::activeWindow()->metaObject()->className() : "none"));
    }
    const std::string initial = undoable_state(project);
    if (initial != baseline_)
        return fail(QStringLiteral("undoing all %1 steps does not give the starting state:\n").arg(steps) +
                    first_difference(baseline_, initial));
    if (!press(true, steps)) return fail(QStringLiteral("redo keys did not redo all %1 steps").arg(steps));
    const std::string redone = project_to_json(project);
    if (redone != final_state)
        return fail(QStringLiteral("redoing all %1 steps does not give the final state:\n").arg(steps) +
                    first_difference(final_state, redone));
    if (!press(false, where)) return fail(QStringLiteral("undo keys did not go back to step %1").arg(where));
    if (project_to_json(project) != at_where)
        return fail(QStringLiteral("going back to step %1 of %2 does not give the state there:\n").arg(where).arg(steps) +
                    first_difference(at_where, project_to_json(project)));
    note(QStringLiteral("checked: undo all %1 steps = start, redo all = end, back to step %2").arg(steps).arg(where));
}

void Monkey::check_export(const QString& path) {
    const Project doc = window_->document()->full_project();
    CocoImportOptions options;
    options.images_dir = folder_.toStdString();
    options.check_images = true;
    Project coco;
    try {
        coco = read_coco(path.toStdString(), options);
    } catch (const std::exception& e) {
        return fail(QStringLiteral("the exported COCO %1 fails the import checks: %2").arg(path, e.what()));
    }
    int expected = 0;
    for (const ImageRecord& rec : doc.images)
        for (const Instance& inst : rec.instances) {
            if (!doc.find_category(inst.category_id) || rle_area(inst.mask) == 0) continue;
            ++expected;
            ImageRecord* image = nullptr;
            const Instance* got = coco.find_instance(inst.id, &image);
            if (!got) return fail(QStringLiteral("instance %1 is missing from the export").arg(inst.id));
            if (image->file_name != rec.file_name || !(rle_decode(got->mask) == rle_decode(inst.mask)))
                return fail(QStringLiteral("instance %1 differs in the export").arg(inst.id));
            const Category* c = coco.find_category(got->category_id);
            if (!c || c->name != doc.find_category(inst.category_id)->name)
                return fail(QStringLiteral("instance %1 has another category in the export").arg(inst.id));
        }
    if (coco.instance_count() != expected)
        return fail(QStringLiteral("the export has %1 annotations for %2 instances").arg(coco.instance_count()).arg(expected));
}

}  // namespace xs::monkey
