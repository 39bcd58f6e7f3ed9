#pragma once
// The dialog of File > Export as… and File > Import…: every registered format (core/formats'
// registry; no format is named here), its description, what it cannot carry, its options as widgets
// generated from their description (a check box for a flag, a line for a number or a text), and the
// output or input path (a file or a folder, as the format says).
#include <QDialog>
#include <map>

#include "core/formats/format.h"

class QCheckBox;
class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;

namespace xs {

class FormatDialog : public QDialog {
    Q_OBJECT
public:
    enum class Mode { Export, Import };
    // `folder`: where the default output is put (export) or where browsing starts (import).
    FormatDialog(Mode mode, const QString& folder, QWidget* parent = nullptr);

    const Format& format() const;
    QString path() const;
    // The options as the user set them (only those that differ from the default); flags "1".
    FormatSettings settings() const;
    bool select_format(const QString& name);  // false: no such format

private:
    void show_format();
    void browse();
    const std::vector<FormatOption>& options() const;

    Mode mode_;
    QString folder_;
    QComboBox* format_box_;
    QLabel* description_;
    QLabel* cannot_carry_;
    QFormLayout* options_form_;
    QLineEdit* path_edit_;
    std::map<std::string, QCheckBox*> flags_;
    std::map<std::string, QLineEdit*> values_;
};

}  // namespace xs
