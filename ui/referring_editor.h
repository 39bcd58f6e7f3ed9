#pragma once
// The referring sentences of one instance (several per instance): add, correct (double click or F2 on
// a sentence), remove (Del or the button). Every change is handed on at once through `changed` as one
// undo step of its own; the dialog shows the instance's sentences as the document has them.
#include <QDialog>
#include <string>
#include <vector>

class QLineEdit;
class QListWidget;
class QPushButton;

namespace xs {

class ReferringEditor : public QDialog {
    Q_OBJECT
public:
    // `title`: the instance as the user knows it ("#5 cat").
    ReferringEditor(const QString& title, const std::vector<std::string>& sentences, QWidget* parent = nullptr);
    void set_sentences(const std::vector<std::string>& sentences);  // after the document applied a change

Q_SIGNALS:
    // The instance's sentences after one change; undo_text says which ("Add referring sentence", ...).
    void changed(const std::vector<std::string>& sentences, const QString& undo_text);

private:
    std::vector<std::string> listed() const;
    void add();
    void remove_current();

    QListWidget* list_;
    QLineEdit* new_sentence_;
    QPushButton* remove_;
    bool updating_ = false;
};

}  // namespace xs
