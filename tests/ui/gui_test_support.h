#pragma once
// What the GUI suites (tests/ui) share: answering modal dialogs in order (DialogScript), message
// boxes, screenshots, typing over a field, the canvas's coordinates, and the test scene.
#include <QApplication>
#include <QByteArray>
#include <QDialog>
#include <QElapsedTimer>
#include <QMessageBox>
#include <QPoint>
#include <QSize>
#include <QString>
#include <QTimer>
#include <deque>
#include <functional>
#include <memory>

#include "core/mask/mask.h"

class QLineEdit;

namespace xs {
class ImageCanvas;
class MainWindow;
}

// Gives this test process settings of its own, empty at the start: QStandardPaths' test mode, the
// organisation "xsam-studio-test" and application `app_name`, and a settings folder named after the
// process id (removed at exit). Two runs of one suite at once (a long monkey run beside CI's short
// one, or two worktrees' ctest runs) would otherwise share one file, and one run's clear() would
// empty the other's engine settings mid-run (the 30-minute monkey once found the X-SAM settings page
// open, "needs a model folder", after another run cleared the file).
void use_private_settings(const QString& app_name);

// Saves the widget's picture as /tmp/gui-shots/NAME.png (after pending layout and paint events ran,
// so it is what a user sees); a suite's names start with its own prefix ("formats-...").
void shot(QWidget* w, const QString& name);
QByteArray file_bytes(const QString& path);  // empty when it cannot be read
// What a user does to replace a line edit's text: focus it, select all, type.
void type_over(QLineEdit* line, const QString& text);
// A new main window in `window` (shown, active, `size`, the classic engine) with `folder` open. Null
// when the folder does not open, or when the scan and the first image (and the engine, when
// wait_for_engine) are not ready within timeout_ms.
xs::MainWindow* open_main_window(std::unique_ptr<xs::MainWindow>& window, const QString& folder, QSize size,
                                 bool wait_for_engine, int timeout_ms);
// A point of the image (image pixels) in the canvas widget's coordinates.
QPoint to_widget(xs::ImageCanvas* canvas, double x, double y);
// The scene the format, safety and grounding suites open: 640 x 480, blue, a red disc at (300, 220)
// r 90 and a green square at (520..580, 380..440).
void make_disc_and_square_image(const QString& path);
xs::Mask rect_mask(int width, int height, int x0, int y0, int x1, int y1);  // x1, y1 exclusive

// Opens the context menu of a list, tree or other scroll area's viewport at `pos` (as a right click
// does) and chooses the entry whose text is `entry` with the mouse; false when no menu opened or it
// had no such entry. What that entry opens runs (and must be answered, e.g. by a DialogScript)
// before this returns.
bool choose_in_context_menu(QWidget* viewport, const QPoint& pos, const QString& entry);

bool is_box(QWidget* w);      // a QMessageBox
QString box_text(QWidget* w); // a message box's text
QMessageBox* visible_box(const QString& object_name);  // a shown top-level message box of that name
void close_boxes();           // every shown top-level message box

// Answers the modal dialogs a user action opens, in order: each step says which dialog it expects
// (its check) and what the user does there. A dialog nobody expected within the timeout is rejected
// (and the test fails), so a test never hangs in a modal loop.
class DialogScript : public QObject {
public:
    struct Step {
        QString what;
        std::function<bool(QWidget*)> is;
        std::function<void(QWidget*)> answer;
    };
    explicit DialogScript(std::deque<Step> steps) : steps_(std::move(steps)) {
        connect(&timer_, &QTimer::timeout, this, [this] { poll(); });
        timer_.start(40);
        started_.start();
    }
    bool done() const { return steps_.empty() && failure_.isEmpty(); }
    QString failure() const { return failure_.isEmpty() && !steps_.empty() ? "never saw: " + steps_.front().what : failure_; }

private:
    void poll() {
        QWidget* modal = QApplication::activeModalWidget();
        if (!modal || !modal->isVisible()) return;
        if (!steps_.empty() && steps_.front().is(modal)) {
            Step step = steps_.front();
            steps_.pop_front();
            started_.restart();
            if (steps_.empty()) timer_.stop();  // done: later dialogs belong to another script
            step.answer(modal);
            return;
        }
        if (started_.elapsed() > 15000) {
            failure_ = "unexpected dialog: " + modal->windowTitle() +
                       (qobject_cast<QMessageBox*>(modal) ? " / " + qobject_cast<QMessageBox*>(modal)->text() : QString());
            if (auto* d = qobject_cast<QDialog*>(modal)) d->reject();
            else modal->close();
        }
    }
    std::deque<Step> steps_;
    QTimer timer_;
    QElapsedTimer started_;
    QString failure_;
};
