#pragma once
// Shared by the GUI suites that drive modal dialogs.
#include <QApplication>
#include <QDialog>
#include <QElapsedTimer>
#include <QMessageBox>
#include <QTimer>
#include <deque>
#include <functional>

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
