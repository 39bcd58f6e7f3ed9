#include "ui/prompt_bar.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QStandardItemModel>

namespace xs {

namespace {

struct TaskEntry {
    Task task;
    const char* label;
    const char* placeholder;
    bool needs_text;
};
const TaskEntry kTextTasks[] = {
    {Task::Referring, "Referring", "Describe one object, e.g. \"the cat on the left\"", true},
    {Task::Reasoning, "Reasoning", "Ask a question whose answer is an object", true},
    {Task::Generic, "Categories", "Category names separated by commas, e.g. person, car, dog", true},
    {Task::OpenVocabulary, "Open vocabulary", "Any category names separated by commas", true},
    {Task::GroundedCaption, "Grounded caption", "(no text needed) describe the image with linked masks", false},
    {Task::VisualGrounded, "Visual grounded", "(no text needed) find every object like the prompted one", false},
    {Task::Chat, "Chat", "Ask anything about the image; the answer appears in the Caption panel", true},
};

const TaskEntry& entry(Task t) {
    for (const TaskEntry& e : kTextTasks)
        if (e.task == t) return e;
    return kTextTasks[0];
}

}  // namespace

PromptBar::PromptBar(QWidget* parent) : QToolBar(tr("Text prompt"), parent) {
    setObjectName("promptBar");
    setMovable(false);
    addWidget(new QLabel(tr(" Task "), this));
    tasks_ = new QComboBox(this);
    tasks_->setObjectName("taskCombo");
    for (const TaskEntry& t : kTextTasks) tasks_->addItem(tr(t.label), int(t.task));
    addWidget(tasks_);
    text_ = new QLineEdit(this);
    text_->setObjectName("textPrompt");
    text_->setClearButtonEnabled(true);
    addWidget(text_);
    run_ = new QPushButton(tr("Run"), this);
    run_->setObjectName("runText");
    addWidget(run_);
    connect(tasks_, &QComboBox::currentIndexChanged, this, &PromptBar::update_for_task);
    auto run = [this] { Q_EMIT run_requested(task(), text()); };
    connect(text_, &QLineEdit::returnPressed, this, run);
    connect(run_, &QPushButton::clicked, this, run);
}

Task PromptBar::task() const { return Task(tasks_->currentData().toInt()); }
QString PromptBar::text() const { return text_->text(); }

void PromptBar::focus_text() {
    text_->setFocus();
    text_->selectAll();
}

void PromptBar::set_engine(bool ready, const Capabilities& caps, const std::function<QString(const QString&)>& why_not) {
    ready_ = ready;
    caps_ = caps;
    why_not_ = why_not;
    auto* model = qobject_cast<QStandardItemModel*>(tasks_->model());
    for (int i = 0; i < tasks_->count(); ++i) {
        const Task t = Task(tasks_->itemData(i).toInt());
        const bool ok = ready && caps.supports(t);
        model->item(i)->setEnabled(ok);
        model->item(i)->setToolTip(ok ? QString() : why_not(tr("the %1 task").arg(QString::fromLatin1(task_name(t)))));
    }
    update_for_task();
}

void PromptBar::update_for_task() {
    if (tasks_->currentIndex() < 0 || !why_not_) return;
    const Task t = task();
    const bool ok = ready_ && caps_.supports(t);
    text_->setPlaceholderText(tr(entry(t).placeholder));
    text_->setEnabled(ok && entry(t).needs_text);
    run_->setEnabled(ok);
    const QString reason = why_not_(tr("the %1 task").arg(QString::fromLatin1(task_name(t))));
    tasks_->setToolTip(ok ? tr("What the text prompt asks for") : reason);
    run_->setToolTip(ok ? tr("Run the text prompt (Enter in the text box)") : reason);
    text_->setToolTip(ok ? QString() : reason);
}

}  // namespace xs
