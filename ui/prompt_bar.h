#pragma once
// The text-prompt bar: the task (every text task the engines know), the text, and Run. Tasks the
// engine cannot do are disabled, with the reason as their tooltip.
#include <QToolBar>

#include "core/engine/engine.h"

class QComboBox;
class QLineEdit;
class QPushButton;

namespace xs {

class PromptBar : public QToolBar {
    Q_OBJECT
public:
    explicit PromptBar(QWidget* parent = nullptr);
    // `why_not(what)` words why the engine cannot do `what` ("the referring task").
    void set_engine(bool ready, const Capabilities& caps, const std::function<QString(const QString&)>& why_not);
    Task task() const;
    QString text() const;
    QLineEdit* text_edit() const { return text_; }
    void focus_text();

Q_SIGNALS:
    void run_requested(xs::Task task, const QString& text);

private:
    void update_for_task();

    QComboBox* tasks_;
    QLineEdit* text_;
    QPushButton* run_;
    bool ready_ = false;
    Capabilities caps_;
    std::function<QString(const QString&)> why_not_;
};

}  // namespace xs
