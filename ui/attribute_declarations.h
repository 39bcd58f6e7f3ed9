#pragma once
// The custom attributes a category declares (core/annotation/attributes.h): add one, or change the
// chosen one's name, type, choices and default, or remove it. The form is checked first (an empty or
// taken name, a choice list without entries, a default that is not one of the choices or not of the
// type are named in the dialog and change nothing); each change is then handed on at once as one
// undo step of its own, and the dialog shows the declarations as the document has them.
#include <QDialog>
#include <optional>
#include <string>
#include <vector>

#include "core/annotation/attributes.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QPushButton;

namespace xs {

class AttributeDeclarationsDialog : public QDialog {
    Q_OBJECT
public:
    AttributeDeclarationsDialog(const QString& category_name, const std::vector<AttributeSpec>& specs,
                                QWidget* parent = nullptr);
    // After the document applied a change (or refused it): the list, the chosen row kept by name.
    void set_declarations(const std::vector<AttributeSpec>& specs, const std::string& chosen = {});
    void show_message(const QString& text, bool problem);

Q_SIGNALS:
    void declare_requested(const xs::AttributeSpec& spec);
    void change_requested(const std::string& name, const xs::AttributeSpec& spec);
    void remove_requested(const std::string& name);

private:
    // The declaration the form describes, or nullopt with the problem shown. `except`: the name of
    // the declaration being changed (its own name is not taken).
    std::optional<AttributeSpec> form_spec(const std::string& except);
    void show_in_form(int row);
    void kind_changed();
    void add();
    void apply();
    void remove();

    std::vector<AttributeSpec> specs_;
    QListWidget* list_;
    QLineEdit* name_;
    QComboBox* kind_;
    QPlainTextEdit* choices_;
    QLineEdit* default_;
    QPushButton* apply_;
    QPushButton* remove_;
    QLabel* message_;
};

}  // namespace xs
