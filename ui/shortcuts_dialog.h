#pragma once
// Help > Keyboard shortcuts: every action of the action table with its keys. A key is changed by
// typing it into the row's box (QKeySequenceEdit), removed with Clear, and Reset
// brings back the row's default. A key that another action already has is refused and the dialog
// says which action has it. OK applies every change (and the caller stores them); Cancel drops them.
#include <QDialog>
#include <QHash>

#include "ui/action_table.h"

class QKeySequenceEdit;
class QLabel;
class QTableWidget;

namespace xs {

class ShortcutsDialog : public QDialog {
    Q_OBJECT
public:
    explicit ShortcutsDialog(const KeyMap& keys, QWidget* parent = nullptr);
    const KeyMap& keys() const { return keys_; }  // the edited shortcuts
    QKeySequenceEdit* editor(const QString& action_name) const { return editors_.value(action_name); }
    QLabel* problem_label() const { return problem_; }
    // What a user's edit does: true and the row updated, or false with the reason shown.
    bool change(const QString& name, const QList<QKeySequence>& wanted);

private:
    void fill_row(int row, const ActionRow& action);
    void show_keys(const QString& name);

    KeyMap keys_;
    QTableWidget* table_;
    QLabel* problem_;
    QHash<QString, QKeySequenceEdit*> editors_;
    QHash<QString, QLabel*> others_;  // the alternative keys a row has besides the first
};

}  // namespace xs
