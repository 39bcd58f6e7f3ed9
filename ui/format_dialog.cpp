#include "ui/format_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace xs {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

// The default output: "<folder>/annotations-<format>.json" for a file format; a folder format's goes
// beside the folder ("<folder>-<format>"), since YOLO and VOC exports link the images and the image
// list would show the links as more images.
QString default_output(const QString& folder, const FormatInfo& info) {
    if (info.exports_folder) return QDir::cleanPath(folder) + "-" + q(info.name);
    return folder + "/annotations-" + q(info.name) + ".json";
}

}  // namespace

FormatDialog::FormatDialog(Mode mode, const QString& folder, QWidget* parent)
    : QDialog(parent), mode_(mode), folder_(folder) {
    setObjectName(mode == Mode::Export ? "exportFormatDialog" : "importFormatDialog");
    setWindowTitle(mode == Mode::Export ? tr("Export as") : tr("Import"));
    auto* layout = new QVBoxLayout(this);
    layout->setSizeConstraint(QLayout::SetMinimumSize);  // grows with another format's losses and options
    auto* top = new QFormLayout;
    format_box_ = new QComboBox(this);
    format_box_->setObjectName("formatBox");
    for (const Format* f : all_formats()) format_box_->addItem(q(f->info().name));
    top->addRow(tr("Format:"), format_box_);
    // No word wrap: wrapped labels' height depends on their width, which a form in a dialog that
    // changes its content does not follow (rows were clipped); the lines are short and explicit.
    description_ = new QLabel(this);
    top->addRow(QString(), description_);
    cannot_carry_ = new QLabel(this);
    cannot_carry_->setObjectName("cannotCarry");
    top->addRow(tr("Cannot carry:"), cannot_carry_);
    auto* path_row = new QHBoxLayout;
    path_edit_ = new QLineEdit(this);
    path_edit_->setObjectName("pathEdit");
    path_edit_->setMinimumWidth(420);
    auto* browse_button = new QPushButton(tr("Browse…"), this);
    path_row->addWidget(path_edit_);
    path_row->addWidget(browse_button);
    top->addRow(mode == Mode::Export ? tr("Output:") : tr("Input:"), path_row);
    layout->addLayout(top);
    options_form_ = new QFormLayout;
    layout->addLayout(options_form_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(mode == Mode::Export ? tr("Export") : tr("Import"));
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(browse_button, &QPushButton::clicked, this, &FormatDialog::browse);
    connect(format_box_, &QComboBox::currentIndexChanged, this, &FormatDialog::show_format);
    show_format();
}

const Format& FormatDialog::format() const { return *all_formats().at(size_t(format_box_->currentIndex())); }

const std::vector<FormatOption>& FormatDialog::options() const {
    return mode_ == Mode::Export ? format().info().export_options : format().info().import_options;
}

bool FormatDialog::select_format(const QString& name) {
    const int i = format_box_->findText(name);
    if (i < 0) return false;
    format_box_->setCurrentIndex(i);
    return true;
}

QString FormatDialog::path() const { return path_edit_->text(); }

FormatSettings FormatDialog::settings() const {
    FormatSettings s;
    for (const auto& [key, box] : flags_)
        if (box->isChecked()) s[key] = "1";
    for (const FormatOption& o : options()) {
        auto it = values_.find(o.key);
        if (it != values_.end() && it->second->text().toStdString() != o.default_value)
            s[o.key] = it->second->text().toStdString();
    }
    return s;
}

// The format's description, losses and option widgets; an export's default output follows the format.
void FormatDialog::show_format() {
    const FormatInfo& info = format().info();
    description_->setText(q(info.description) + "\n" +
                          (mode_ == Mode::Export ? (info.exports_folder ? tr("Writes a folder.") : tr("Writes one file."))
                                                 : (info.imports_folder ? tr("Reads a folder.") : tr("Reads one file."))));
    QStringList lost;
    for (const std::string& c : info.cannot_carry) lost << "• " + q(c);
    cannot_carry_->setText(lost.isEmpty() ? tr("nothing") : lost.join("\n"));
    while (options_form_->rowCount() > 0) options_form_->removeRow(0);
    flags_.clear();
    values_.clear();
    for (const FormatOption& o : options()) {
        if (o.type == FormatOption::Type::Flag) {
            auto* box = new QCheckBox(q(o.help), this);
            box->setObjectName(q("option-" + o.key));
            flags_[o.key] = box;
            options_form_->addRow(q(o.key) + ":", box);
            continue;
        }
        auto* row = new QHBoxLayout;
        auto* edit = new QLineEdit(q(o.default_value), this);
        edit->setObjectName(q("option-" + o.key));
        edit->setFixedWidth(100);
        values_[o.key] = edit;
        auto* help = new QLabel(q(o.help), this);
        row->addWidget(edit);
        row->addWidget(help, 1);
        options_form_->addRow(q(o.key) + ":", row);
    }
    if (mode_ == Mode::Export) path_edit_->setText(default_output(folder_, info));
    layout()->activate();
    adjustSize();
}

void FormatDialog::browse() {
    const FormatInfo& info = format().info();
    const bool folder = mode_ == Mode::Export ? info.exports_folder : info.imports_folder;
    const QString start = path_edit_->text().isEmpty() ? folder_ : path_edit_->text();
    QString chosen;
    if (folder) {
        chosen = QFileDialog::getExistingDirectory(this, windowTitle(), start);
    } else if (mode_ == Mode::Export) {
        // No overwrite question here: the export asks itself (it knows what this session wrote).
        chosen = QFileDialog::getSaveFileName(this, windowTitle(), start, QString(), nullptr,
                                              QFileDialog::DontConfirmOverwrite);
    } else {
        chosen = QFileDialog::getOpenFileName(this, windowTitle(), start);
    }
    if (!chosen.isEmpty()) path_edit_->setText(chosen);
}

}  // namespace xs
