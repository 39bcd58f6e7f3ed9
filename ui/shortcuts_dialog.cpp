#include "ui/shortcuts_dialog.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QKeySequenceEdit>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace xs {

namespace {

enum Column { kAction, kKey, kOtherKeys, kClear, kReset, kColumns };

// Rows without a menu (the digits) share one text; their default key tells them apart.
QString row_label(const ActionRow& row) {
    if (row.menu != MenuId::None) return action_title(row);
    return QStringLiteral("%1 %2").arg(action_title(row), QString::fromLatin1(row.keys));
}

}  // namespace

ShortcutsDialog::ShortcutsDialog(const KeyMap& keys, QWidget* parent) : QDialog(parent), keys_(keys) {
    setObjectName("shortcutsDialog");
    setWindowTitle(tr("Keyboard shortcuts"));
    auto* layout = new QVBoxLayout(this);
    auto* intro = new QLabel(tr("Click a key box and press the new key; Clear removes the shortcut, Reset brings back the default. "
                                "A key another action already has is refused."), this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    table_ = new QTableWidget(int(action_rows().size()), kColumns, this);
    table_->setObjectName("shortcutsTable");
    table_->setHorizontalHeaderLabels({tr("Action"), tr("Shortcut"), tr("Also"), QString(), QString()});
    table_->verticalHeader()->hide();
    table_->setSelectionMode(QAbstractItemView::NoSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    for (int i = 0; i < int(action_rows().size()); ++i) fill_row(i, action_rows()[i]);
    table_->horizontalHeader()->setSectionResizeMode(kAction, QHeaderView::Stretch);
    table_->horizontalHeader()->setSectionResizeMode(kKey, QHeaderView::Fixed);
    table_->setColumnWidth(kKey, 170);
    table_->resizeColumnToContents(kOtherKeys);
    table_->resizeColumnToContents(kClear);
    table_->resizeColumnToContents(kReset);
    layout->addWidget(table_, 1);
    problem_ = new QLabel(this);
    problem_->setObjectName("shortcutProblem");
    problem_->setWordWrap(true);
    problem_->setStyleSheet("color: #e74c3c;");
    layout->addWidget(problem_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    resize(640, 720);
}

void ShortcutsDialog::fill_row(int i, const ActionRow& row) {
    const QString name = row.name;
    auto* title = new QTableWidgetItem(row_label(row));
    title->setToolTip(tr(row.tip));
    table_->setItem(i, kAction, title);
    auto* edit = new QKeySequenceEdit(table_);
    edit->setObjectName(QStringLiteral("key_%1").arg(name));
    table_->setCellWidget(i, kKey, edit);
    editors_.insert(name, edit);
    auto* others = new QLabel(table_);
    table_->setCellWidget(i, kOtherKeys, others);
    others_.insert(name, others);
    auto* clear = new QPushButton(tr("Clear"), table_);
    clear->setObjectName(QStringLiteral("clear_%1").arg(name));
    clear->setToolTip(tr("No shortcut for this action"));
    clear->setAutoDefault(false);  // Enter means OK, whichever button was clicked last
    table_->setCellWidget(i, kClear, clear);
    auto* reset = new QPushButton(tr("Reset"), table_);
    reset->setObjectName(QStringLiteral("reset_%1").arg(name));
    reset->setToolTip(tr("Back to %1").arg(QKeySequence::listToString(default_keys(row), QKeySequence::NativeText)));
    reset->setAutoDefault(false);
    table_->setCellWidget(i, kReset, reset);
    show_keys(name);
    // A typed key replaces all of the row's keys; editingFinished comes a moment after the last key.
    connect(edit, &QKeySequenceEdit::editingFinished, this, [this, name, edit] {
        const QKeySequence typed = edit->keySequence();
        change(name, typed.isEmpty() ? QList<QKeySequence>() : QList<QKeySequence>{typed});
    });
    connect(clear, &QPushButton::clicked, this, [this, name] { change(name, {}); });
    connect(reset, &QPushButton::clicked, this, [this, &row] { change(row.name, default_keys(row)); });
}

bool ShortcutsDialog::change(const QString& name, const QList<QKeySequence>& wanted) {
    if (wanted == keys_.value(name)) return true;
    const QString other = shortcut_conflict(keys_, name, wanted);
    if (!other.isEmpty()) {
        QStringList taken;
        for (const QKeySequence& k : wanted)
            if (keys_.value(other).contains(k)) taken << k.toString(QKeySequence::NativeText);
        problem_->setText(tr("%1 is already the shortcut of \"%2\"; \"%3\" keeps its shortcut. Change or clear that one first.")
                              .arg(taken.join(", "), row_label(*find_action_row(other)), row_label(*find_action_row(name))));
        show_keys(name);  // back to what it was
        return false;
    }
    problem_->clear();
    keys_.insert(name, wanted);
    show_keys(name);
    return true;
}

void ShortcutsDialog::show_keys(const QString& name) {
    const QList<QKeySequence> keys = keys_.value(name);
    QKeySequenceEdit* edit = editors_.value(name);
    const QSignalBlocker quiet(edit);
    edit->setKeySequence(keys.value(0));
    others_.value(name)->setText(QKeySequence::listToString(keys.mid(1), QKeySequence::NativeText));
}

}  // namespace xs
