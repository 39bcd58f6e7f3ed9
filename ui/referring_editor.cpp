#include "ui/referring_editor.h"

#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QShortcut>
#include <QVBoxLayout>

namespace xs {

ReferringEditor::ReferringEditor(const QString& title, const std::vector<std::string>& sentences, QWidget* parent)
    : QDialog(parent) {
    setObjectName("referringEditor");
    setWindowTitle(tr("Referring sentences of %1").arg(title));
    auto* layout = new QVBoxLayout(this);
    auto* help = new QLabel(tr("Sentences that name this instance. Double click or F2 corrects one, Del removes it; "
                               "each change is one undo step."),
                            this);
    help->setWordWrap(true);
    layout->addWidget(help);
    list_ = new QListWidget(this);
    list_->setObjectName("sentenceList");
    list_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    layout->addWidget(list_);
    auto* add_row = new QHBoxLayout;
    new_sentence_ = new QLineEdit(this);
    new_sentence_->setObjectName("newSentence");
    new_sentence_->setPlaceholderText(tr("A new sentence, e.g. \"the dog on the left\"; Enter adds it"));
    auto* add_button = new QPushButton(tr("Add"), this);
    add_button->setObjectName("addSentence");
    remove_ = new QPushButton(tr("Remove"), this);
    remove_->setObjectName("removeSentence");
    add_row->addWidget(new_sentence_);
    add_row->addWidget(add_button);
    add_row->addWidget(remove_);
    layout->addLayout(add_row);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    layout->addWidget(buttons);
    // Enter belongs to the sentence line (it adds), never to a default button that would close.
    for (QPushButton* b : findChildren<QPushButton*>()) b->setAutoDefault(false);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(add_button, &QPushButton::clicked, this, &ReferringEditor::add);
    connect(new_sentence_, &QLineEdit::returnPressed, this, &ReferringEditor::add);
    connect(remove_, &QPushButton::clicked, this, &ReferringEditor::remove_current);
    auto* del = new QShortcut(QKeySequence::Delete, list_, nullptr, nullptr, Qt::WidgetShortcut);
    connect(del, &QShortcut::activated, this, &ReferringEditor::remove_current);
    connect(list_, &QListWidget::itemChanged, this, [this] {
        if (!updating_) Q_EMIT changed(listed(), tr("Correct referring sentence"));
    });
    connect(list_, &QListWidget::currentRowChanged, this, [this](int row) { remove_->setEnabled(row >= 0); });
    set_sentences(sentences);
    resize(520, 320);
    new_sentence_->setFocus();
}

void ReferringEditor::set_sentences(const std::vector<std::string>& sentences) {
    if (list_->count() > 0 && listed() == sentences) return;  // a correction in place: keep the editing state
    updating_ = true;
    const int row = list_->currentRow();
    list_->clear();
    for (const std::string& s : sentences) {
        auto* item = new QListWidgetItem(QString::fromStdString(s), list_);
        item->setFlags(item->flags() | Qt::ItemIsEditable);
    }
    list_->setCurrentRow(std::min(row, list_->count() - 1));
    remove_->setEnabled(list_->currentRow() >= 0);
    updating_ = false;
}

std::vector<std::string> ReferringEditor::listed() const {
    std::vector<std::string> out;
    for (int i = 0; i < list_->count(); ++i) out.push_back(list_->item(i)->text().toStdString());
    return out;
}

void ReferringEditor::add() {
    const QString text = new_sentence_->text().trimmed();
    if (text.isEmpty()) return;
    std::vector<std::string> next = listed();
    next.push_back(text.toStdString());
    new_sentence_->clear();
    Q_EMIT changed(next, tr("Add referring sentence"));
}

void ReferringEditor::remove_current() {
    const int row = list_->currentRow();
    if (row < 0) return;
    std::vector<std::string> next = listed();
    next.erase(next.begin() + row);
    Q_EMIT changed(next, tr("Remove referring sentence"));
}

}  // namespace xs
