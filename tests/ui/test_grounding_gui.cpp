// Grounding data recorded from the GUI (issue 16), driven through the real main window (offscreen)
// with QTest mouse and key events and a scripted engine (fixed answers, no weights): the prompt kept
// with an accepted instance, a "find all like this" episode (example, accepted, rejected), a grounded
// caption's phrase links, each restored exactly by undo and redo; and the referring-sentence editor
// (add, correct, remove; one undo step each; saved). Screenshots go to /tmp/gui-shots/grounding-*.png.
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QtTest>
#include <filesystem>
#include <memory>

#include "core/io/project_file.h"
#include "tests/ui/gui_test_support.h"
#include "ui/document.h"
#include "ui/engine_worker.h"
#include "ui/image_canvas.h"
#include "ui/main_window.h"

using namespace xs;

namespace {

constexpr int kTimeoutMs = 60000;
// Wider than the working bound (core/io/image_decode.h kWorkingMaxSide 8192): shown reduced.
constexpr int kWideW = 10000, kWideH = 200;

Mask disc_mask() {
    Mask m(640, 480);
    for (int y = 0; y < 480; ++y)
        for (int x = 0; x < 640; ++x)
            if ((x - 300) * (x - 300) + (y - 220) * (y - 220) <= 90 * 90) m.set(x, y, true);
    return m;
}

struct ScriptedPrepared : PreparedImage {
    size_t memory_bytes() const override { return 1; }
};

// Fixed answers: interactive gives the boxes' union; "find all like this" three candidates (the
// disc, the square, a small patch); the grounded caption two phrases with the disc and the square.
class ScriptedEngine : public Engine {
public:
    std::string name() const override { return "scripted"; }
    std::string device() const override { return "cpu"; }
    Capabilities capabilities() const override {
        Capabilities c;
        c.tasks[Task::Interactive] = {PromptKind::Point, PromptKind::NegativePoint, PromptKind::Box};
        c.tasks[Task::VisualGrounded] = {PromptKind::Point, PromptKind::Box, PromptKind::Mask};
        c.tasks[Task::GroundedCaption] = {};
        return c;
    }
    std::shared_ptr<const PreparedImage> prepare(const Image& image, const CancelToken&) override {
        auto p = std::make_shared<ScriptedPrepared>();
        p->width = image.width;
        p->height = image.height;
        return p;
    }
    SegmentResult segment(const PreparedImage& prepared, const SegmentRequest& r, const CancelToken&) override {
        SegmentResult out;
        if (r.task == Task::VisualGrounded) {
            out.instances = {{disc_mask(), 0.9f, "", 0}, {rect_mask(640, 480, 520, 380, 580, 440), 0.8f, "", 0},
                             {rect_mask(640, 480, 10, 10, 40, 30), 0.3f, "", 0}};
        } else if (r.task == Task::GroundedCaption) {
            out.text = "<p>A red disc</p><SEG> beside <p>a green square</p><SEG>.";
            out.instances = {{disc_mask(), 0.9f, "A red disc", 0}, {rect_mask(640, 480, 520, 380, 580, 440), 0.8f, "a green square", 1}};
        } else {
            Mask m(prepared.width, prepared.height);
            for (const BoxPrompt& b : r.boxes)
                for (int y = std::max(0, int(b.y0)); y < std::min(prepared.height, int(b.y1)); ++y)
                    for (int x = std::max(0, int(b.x0)); x < std::min(prepared.width, int(b.x1)); ++x) m.set(x, y, true);
            out.instances = {{m, 0.95f, "", 0}};
        }
        return out;
    }
};

const EngineRegistry& scripted_registry() {
    static const EngineRegistry reg = [] {
        EngineRegistry r;
        r.add("scripted", "fixed answers for the grounding GUI tests",
              [](const EngineOptions&) { return std::make_unique<ScriptedEngine>(); });
        return r;
    }();
    return reg;
}

void drag_box(ImageCanvas* c, double x0, double y0, double x1, double y1) {
    const QPoint a = to_widget(c, x0, y0), b = to_widget(c, x1, y1);
    QTest::mousePress(c, Qt::LeftButton, {}, a);
    QTest::mouseMove(c, (a + b) / 2);
    QTest::mouseMove(c, b);
    QTest::mouseRelease(c, Qt::LeftButton, {}, b);
}

bool wait_answer(MainWindow* w) {
    return QTest::qWaitFor([w] { return !w->request_pending(); }, kTimeoutMs);
}

// The project as undo restores it: the id counters move forward and are not undone.
std::string state(MainWindow* w) {
    Project p = w->document()->full_project();
    p.next_category_id = p.next_image_id = 1;
    p.next_instance_id = 1;
    return project_to_json(p);
}

void undo(MainWindow* w) { QTest::keyClick(w->canvas(), Qt::Key_Z, Qt::ControlModifier); }
void redo(MainWindow* w) { QTest::keyClick(w->canvas(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier); }

}  // namespace

class TestGroundingGui : public QObject {
    Q_OBJECT
private:
    QString root_;
    std::unique_ptr<MainWindow> window_;

    // A window on a folder with img1.png (640 x 480), or a wide image the window shows reduced.
    MainWindow* open_window(const QString& name, bool wide = false) {
        const QString folder = root_ + "/" + name;
        std::filesystem::remove_all(folder.toStdString());
        QDir().mkpath(folder);
        if (wide) {
            QImage img(kWideW, kWideH, QImage::Format_RGB32);
            img.fill(QColor(40, 90, 160));
            if (!img.save(folder + "/img1.png")) return nullptr;
        } else {
            make_disc_and_square_image(folder + "/img1.png");
        }
        window_.reset();
        window_ = std::make_unique<MainWindow>();
        MainWindow* w = window_.get();
        w->engine_worker()->set_registry(&scripted_registry());
        w->resize(1400, 860);
        w->show();
        QApplication::setActiveWindow(w);
        w->set_engine("scripted");
        if (!w->open_folder(folder)) return nullptr;
        if (!QTest::qWaitFor([w] { return !w->scanning() && w->image_ready() && w->engine_ready(); }, kTimeoutMs))
            return nullptr;
        w->canvas()->setFocus();
        return w;
    }

    const ImageRecord& record(MainWindow* w) { return *w->current_record(); }

private Q_SLOTS:
    void initTestCase() {
        use_private_settings("test_ui_grounding");
        root_ = qEnvironmentVariable("XS_TEST_TMP", QDir::tempPath() + "/xs-ui-grounding");
        std::filesystem::remove_all(root_.toStdString());
        QVERIFY(QDir().mkpath(root_));
    }

    void cleanupTestCase() { window_.reset(); }

    // A box drawn and accepted: the instance keeps the task and the box's corners; undo takes it
    // away, redo gives back exactly the same record; the file holds it.
    void prompt_is_kept_on_accept_and_by_undo_redo() {
        MainWindow* w = open_window("prompt");
        QVERIFY(w);
        w->action("toolPrompt")->trigger();
        drag_box(w->canvas(), 505, 365, 595, 455);
        QVERIFY(wait_answer(w));
        QCOMPARE(w->preview_count(), 1);
        const std::string before = state(w);
        QTest::keyClick(w->canvas(), Qt::Key_Return);
        QCOMPARE(record(w).instances.size(), size_t(1));
        const Instance& inst = record(w).instances.back();
        QCOMPARE(inst.prompt.task, std::string("interactive"));
        QCOMPARE(inst.prompt.visual.size(), size_t(1));
        const VisualPrompt& box = inst.prompt.visual[0];
        QCOMPARE(box.kind, VisualPrompt::Kind::Box);
        QCOMPARE(box.points.size(), size_t(2));
        // The corners as dragged, to the canvas's pixel (the view scales the image).
        QVERIFY2(std::abs(box.points[0][0] - 505) < 2 && std::abs(box.points[0][1] - 365) < 2 &&
                     std::abs(box.points[1][0] - 595) < 2 && std::abs(box.points[1][1] - 455) < 2,
                 qPrintable(QStringLiteral("%1,%2 %3,%4").arg(box.points[0][0]).arg(box.points[0][1])
                                .arg(box.points[1][0]).arg(box.points[1][1])));
        const std::string accepted = state(w);
        undo(w);
        QCOMPARE(state(w), before);
        redo(w);
        QCOMPARE(state(w), accepted);
        w->document()->flush();
        const Project saved = load_project(w->document()->path().toStdString());
        QVERIFY(saved.images.front().instances.back().prompt == record(w).instances.back().prompt);
    }

    // On an image shown reduced, the prompt is kept in the image's full-resolution pixels, like the
    // mask the project saves.
    void prompt_on_a_reduced_image_is_kept_at_full_resolution() {
        MainWindow* w = open_window("reduced", true);
        QVERIFY(w);
        int full_w = 0, full_h = 0, work_w = 0, work_h = 0;
        QVERIFY(w->document()->working_resolution("img1.png", &full_w, &full_h, &work_w, &work_h));
        QCOMPARE(full_w, kWideW);
        QVERIFY(work_w < full_w);
        w->action("toolPrompt")->trigger();
        drag_box(w->canvas(), 1000, 40, 3000, 140);  // in the shown (working) image's pixels
        QVERIFY(wait_answer(w));
        QTest::keyClick(w->canvas(), Qt::Key_Return);
        const Project full = w->document()->full_project();
        const Instance& inst = full.images.front().instances.back();
        QCOMPARE(inst.mask.width, kWideW);
        QCOMPARE(inst.prompt.visual.size(), size_t(1));
        const auto& p = inst.prompt.visual[0].points;
        const double sx = double(full_w) / work_w, sy = double(full_h) / work_h;
        // The canvas shows 10000 px in about 1100: a widget pixel is about 7 working pixels.
        const double tol = 12 * sx;
        QVERIFY2(std::abs(p[0][0] - 1000 * sx) < tol && std::abs(p[1][0] - 3000 * sx) < tol &&
                     std::abs(p[0][1] - 40 * sy) < tol && std::abs(p[1][1] - 140 * sy) < tol,
                 qPrintable(QStringLiteral("%1,%2 %3,%4 (scale %5)").arg(p[0][0]).arg(p[0][1]).arg(p[1][0]).arg(p[1][1]).arg(sx)));
    }

    // "Find all like this" from a marked box: accept one (Y), reject one (N), reject the rest (Esc):
    // one episode with the example, the accepted id and both rejected masks; each decision is one
    // undo step and redo gives back the same records.
    void find_all_episode_is_recorded() {
        MainWindow* w = open_window("episode");
        QVERIFY(w);
        w->action("toolPrompt")->trigger();
        drag_box(w->canvas(), 205, 125, 395, 315);
        QVERIFY(wait_answer(w));
        const std::string start = state(w);
        QTest::keyClick(w->canvas(), Qt::Key_G);
        QVERIFY(wait_answer(w));
        QCOMPARE(int(w->candidates().size()), 3);
        shot(w, "grounding-1-candidates");
        QTest::keyClick(w->canvas(), Qt::Key_Y);  // the disc
        const std::string after_accept = state(w);
        QCOMPARE(int(w->candidates().size()), 2);
        QTest::keyClick(w->canvas(), Qt::Key_N);  // the square
        QCOMPARE(int(w->candidates().size()), 1);
        QCOMPARE(record(w).episodes.at(0).rejected.size(), size_t(1));
        const std::string after_reject = state(w);
        QTest::keyClick(w->canvas(), Qt::Key_Escape);  // the patch
        const std::string after_all = state(w);
        QCOMPARE(int(w->candidates().size()), 0);

        const ImageRecord& rec = record(w);
        QCOMPARE(rec.instances.size(), size_t(1));
        QCOMPARE(rec.episodes.size(), size_t(1));
        const FindAllEpisode& e = rec.episodes[0];
        QCOMPARE(e.example_instance_id, int64_t(0));
        QCOMPARE(e.example.size(), size_t(1));
        QCOMPARE(e.example[0].kind, VisualPrompt::Kind::Box);
        QCOMPARE(e.accepted, std::vector<int64_t>{rec.instances[0].id});
        QCOMPARE(e.rejected.size(), size_t(2));
        QVERIFY(rle_decode(e.rejected[0].mask) == rect_mask(640, 480, 520, 380, 580, 440));
        QCOMPARE(e.rejected[0].score, 0.8f);
        QVERIFY(rle_decode(e.rejected[1].mask) == rect_mask(640, 480, 10, 10, 40, 30));
        QCOMPARE(e.source, std::string("scripted"));
        QCOMPARE(rec.instances[0].prompt.task, std::string("vgd"));

        undo(w);
        QCOMPARE(state(w), after_reject);
        undo(w);
        QCOMPARE(state(w), after_accept);
        QCOMPARE(record(w).episodes[0].rejected.size(), size_t(0));
        undo(w);
        QCOMPARE(state(w), start);
        QVERIFY(record(w).episodes.empty());
        redo(w);
        redo(w);
        redo(w);
        QCOMPARE(state(w), after_all);
        w->document()->flush();
        QVERIFY(load_project(w->document()->path().toStdString()).images.front().episodes == record(w).episodes);
    }

    // The episode of a selected instance names it as the example.
    void find_all_from_a_selected_instance_names_it() {
        MainWindow* w = open_window("episode-selected");
        QVERIFY(w);
        w->action("toolPrompt")->trigger();
        drag_box(w->canvas(), 505, 365, 595, 455);
        QVERIFY(wait_answer(w));
        QTest::keyClick(w->canvas(), Qt::Key_Return);
        const int64_t example = record(w).instances.back().id;
        QTest::keyClick(w->canvas(), Qt::Key_Escape);  // accepting selected it: start from no selection
        QVERIFY(w->selected_instances().empty());
        QTest::mouseClick(w->canvas(), Qt::LeftButton, Qt::ControlModifier, to_widget(w->canvas(), 550, 410));
        QCOMPARE(w->selected_instances(), std::vector<int64_t>{example});
        QTest::keyClick(w->canvas(), Qt::Key_G);
        QVERIFY(wait_answer(w));
        QVERIFY(!w->candidates().empty());  // the square is annotated already: not offered again
        QTest::keyClick(w->canvas(), Qt::Key_Y, Qt::ShiftModifier);
        QCOMPARE(record(w).episodes.size(), size_t(1));
        QCOMPARE(record(w).episodes[0].example_instance_id, example);
        QVERIFY(record(w).episodes[0].example.empty());
        QCOMPARE(record(w).episodes[0].accepted.size(), record(w).instances.size() - 1);
    }

    // A grounded caption accepted: the caption with both phrases linked to the new instances.
    void caption_links_are_kept_on_accept() {
        MainWindow* w = open_window("caption");
        QVERIFY(w);
        auto* combo = w->findChild<QComboBox*>("taskCombo");
        combo->setCurrentIndex(combo->findText("Grounded caption"));
        QTest::mouseClick(w->findChild<QPushButton*>("runText"), Qt::LeftButton);
        QVERIFY(wait_answer(w));
        QCOMPARE(w->preview_count(), 2);
        const std::string before = state(w);
        w->canvas()->setFocus();
        QTest::keyClick(w->canvas(), Qt::Key_Return);
        const ImageRecord& rec = record(w);
        QCOMPARE(rec.instances.size(), size_t(2));
        QCOMPARE(rec.captions.size(), size_t(1));
        const GroundedCaption& c = rec.captions[0];
        QCOMPARE(c.text, std::string("A red disc beside a green square."));
        QCOMPARE(c.phrases.size(), size_t(2));
        QCOMPARE(phrase_text(c, c.phrases[0]), std::string("A red disc"));
        QCOMPARE(c.phrases[0].instance_ids, std::vector<int64_t>{rec.instances[0].id});
        QCOMPARE(phrase_text(c, c.phrases[1]), std::string("a green square"));
        QCOMPARE(c.phrases[1].instance_ids, std::vector<int64_t>{rec.instances[1].id});
        QCOMPARE(rec.instances[0].prompt.task, std::string("gcg"));
        const std::string accepted = state(w);
        undo(w);
        QCOMPARE(state(w), before);
        redo(w);
        QCOMPARE(state(w), accepted);
    }

    // R on the selected instance: add two sentences, correct the first, remove the second; each is
    // one undo step, undo and redo walk through them, and the file holds the result.
    void referring_sentences_are_edited_one_step_each() {
        MainWindow* w = open_window("sentences");
        QVERIFY(w);
        w->action("toolPrompt")->trigger();
        drag_box(w->canvas(), 505, 365, 595, 455);
        QVERIFY(wait_answer(w));
        QTest::keyClick(w->canvas(), Qt::Key_Return);
        const int64_t id = record(w).instances.back().id;
        QTest::keyClick(w->canvas(), Qt::Key_Escape);  // accepting selected it: start from no selection
        QTest::mouseClick(w->canvas(), Qt::LeftButton, Qt::ControlModifier, to_widget(w->canvas(), 550, 410));
        QCOMPARE(w->selected_instances(), std::vector<int64_t>{id});
        const int steps = w->document()->undo_stack()->count();
        QStringList seen;
        DialogScript script({{"the sentence editor", [](QWidget* d) { return d->objectName() == "referringEditor"; },
                              [&](QWidget* d) {
                                  auto* line = d->findChild<QLineEdit*>("newSentence");
                                  auto* list = d->findChild<QListWidget*>("sentenceList");
                                  line->setFocus();
                                  QTest::keyClicks(line, "the green square");
                                  QTest::keyClick(line, Qt::Key_Return);
                                  QTest::keyClicks(line, "a small box");
                                  QTest::keyClick(line, Qt::Key_Return);
                                  shot(d, "grounding-2-sentence-editor");
                                  QTest::mouseClick(list->viewport(), Qt::LeftButton, {},
                                                    list->visualItemRect(list->item(0)).center());
                                  QTest::keyClick(list, Qt::Key_F2);
                                  auto* editor = list->findChild<QLineEdit*>();
                                  if (editor) {
                                      editor->selectAll();
                                      QTest::keyClicks(editor, "the green block");
                                      QTest::keyClick(editor, Qt::Key_Return);
                                      QCoreApplication::processEvents();  // the delegate commits through a queued call
                                  }
                                  QTest::mouseClick(list->viewport(), Qt::LeftButton, {},
                                                    list->visualItemRect(list->item(1)).center());
                                  QTest::keyClick(list, Qt::Key_Delete);
                                  for (int i = 0; i < list->count(); ++i) seen << list->item(i)->text();
                                  shot(d, "grounding-3-sentence-editor-after");
                                  QTest::keyClick(d, Qt::Key_Escape);
                              }}});
        QTest::keyClick(w->canvas(), Qt::Key_R);
        QTRY_VERIFY2_WITH_TIMEOUT(script.done(), qPrintable(script.failure()), 20000);
        QVERIFY2(seen == QStringList{"the green block"}, qPrintable(seen.join(" / ")));
        QApplication::setActiveWindow(w);  // a window manager gives it back when the dialog closes
        w->canvas()->setFocus();
        auto sentences = [w, id] { return w->document()->project().find_instance(id)->referring; };
        using S = std::vector<std::string>;
        QCOMPARE(sentences(), S{"the green block"});
        QCOMPARE(w->document()->undo_stack()->count(), steps + 4);
        undo(w);
        QCOMPARE(sentences(), (S{"the green block", "a small box"}));
        undo(w);
        QCOMPARE(sentences(), (S{"the green square", "a small box"}));
        undo(w);
        QCOMPARE(sentences(), S{"the green square"});
        undo(w);
        QCOMPARE(sentences(), S{});
        for (int i = 0; i < 4; ++i) redo(w);
        QCOMPARE(sentences(), S{"the green block"});
        w->document()->flush();
        QCOMPARE(load_project(w->document()->path().toStdString()).find_instance(id)->referring, S{"the green block"});
        shot(w, "grounding-4-instance-list");
    }
};

QTEST_MAIN(TestGroundingGui)
#include "test_grounding_gui.moc"
