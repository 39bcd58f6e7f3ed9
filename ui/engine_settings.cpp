#include "ui/engine_settings.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QTimer>
#include <QVBoxLayout>

#include "ui/qt_convert.h"

namespace xs {

namespace {

QString settings_key(const EngineDescription& engine, const std::string& option) {
    return qstr(engine.name) + "/" + qstr(option);
}

QString html_list(const QStringList& items) {
    QString html = QStringLiteral("<ul style='margin-left:-20px'>");
    for (const QString& p : items) html += QStringLiteral("<li>%1</li>").arg(p.toHtmlEscaped());
    return html + QStringLiteral("</ul>");
}

}  // namespace

EngineSettings EngineSettings::load(const EngineDescription& engine) {
    QSettings s;
    EngineSettings out;
    for (const EngineOption& o : engine.options)
        out.options[o.key] = s.value(settings_key(engine, o.key), qstr(o.default_value)).toString().toStdString();
    out.cache_mb = s.value("cache/budget_mb", 2048).toInt();
    return out;
}

void EngineSettings::save(const EngineDescription& engine) const {
    QSettings s;
    for (const auto& [key, value] : options) s.setValue(settings_key(engine, key), qstr(value));
    s.setValue("cache/budget_mb", cache_mb);
}

std::string EngineSettings::model_folder(const EngineDescription& engine) const {
    if (engine.model_folder_option.empty()) return std::string();
    auto it = options.find(engine.model_folder_option);
    return it == options.end() ? std::string() : it->second;
}

EngineSettingsDialog::EngineSettingsDialog(const EngineDescription& engine, const EngineSettings& settings, QWidget* parent)
    : QDialog(parent), engine_(engine) {
    setObjectName("engineSettings");
    setWindowTitle(tr("%1 settings").arg(qstr(engine_.title)));
    setMinimumWidth(620);
    auto* lay = new QVBoxLayout(this);
    auto* intro = new QLabel(engine_.folder_help.empty() ? qstr(engine_.summary) : qstr(engine_.folder_help), this);
    intro->setWordWrap(true);
    lay->addWidget(intro);
    auto* form = new QFormLayout;
    for (const EngineOption& o : engine_.options) {
        auto it = settings.options.find(o.key);
        form->addRow(qstr(o.label), make_field(o, it == settings.options.end() ? o.default_value : it->second));
        field(o.key)->setToolTip(qstr(o.help));
    }
    cache_ = new QSpinBox(this);
    cache_->setObjectName("cacheBudget");
    cache_->setRange(64, 262144);
    cache_->setSingleStep(256);
    cache_->setSuffix(tr(" MB"));
    cache_->setValue(settings.cache_mb);
    cache_->setToolTip(tr("Memory for prepared images, shared by every engine (least recently used ones are dropped "
                          "first). A large model's prepared image can take more than a gigabyte."));
    form->addRow(tr("Prepared-image cache"), cache_);
    lay->addLayout(form);

    status_ = new QLabel(this);
    status_->setObjectName("engineStatusReport");
    status_->setWordWrap(true);
    status_->setTextFormat(Qt::RichText);
    status_->setMinimumHeight(60);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    status_->setFrameShape(QFrame::StyledPanel);
    status_->setMargin(8);
    lay->addWidget(status_);
    buttons_ = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    use_button()->setText(tr("Use %1").arg(qstr(engine_.title)));
    use_button()->setObjectName("useEngine");
    lay->addWidget(buttons_);
    connect(buttons_, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons_, &QDialogButtonBox::rejected, this, &QDialog::reject);

    debounce_ = new QTimer(this);
    debounce_->setSingleShot(true);
    debounce_->setInterval(250);
    connect(debounce_, &QTimer::timeout, this, &EngineSettingsDialog::start_check);
    if (QLineEdit* folder = folder_edit()) connect(folder, &QLineEdit::textChanged, this, &EngineSettingsDialog::schedule_check);
    schedule_check();
}

EngineSettingsDialog::~EngineSettingsDialog() {
    if (check_) check_->wait();
}

// The option's row of the form; its editor goes to fields_.
QWidget* EngineSettingsDialog::make_field(const EngineOption& o, const std::string& value) {
    if (o.type == EngineOption::Type::Folder) return make_folder_field(o, value);
    if (o.type == EngineOption::Type::Choice) return make_choice_field(o, value);
    auto* spin = new QSpinBox(this);
    spin->setObjectName(qstr("option-" + o.key));
    spin->setRange(o.min, o.max);
    if (!o.zero_means.empty()) spin->setSpecialValueText(qstr(o.zero_means));
    spin->setValue(QString::fromStdString(value).toInt());
    fields_.insert(qstr(o.key), spin);
    return spin;
}

// A line edit with a Browse button beside it.
QWidget* EngineSettingsDialog::make_folder_field(const EngineOption& o, const std::string& value) {
    auto* row = new QWidget(this);
    auto* lay = new QHBoxLayout(row);
    lay->setContentsMargins(0, 0, 0, 0);
    auto* edit = new QLineEdit(qstr(value), row);
    edit->setObjectName(qstr("option-" + o.key));
    edit->setPlaceholderText(tr("/path/to/the/model-folder"));
    auto* browse = new QPushButton(tr("Browse…"), row);
    lay->addWidget(edit, 1);
    lay->addWidget(browse);
    connect(browse, &QPushButton::clicked, this, [this, edit, o] {
        const QString dir = QFileDialog::getExistingDirectory(this, qstr(o.label), edit->text());
        if (!dir.isEmpty()) edit->setText(dir);
    });
    fields_.insert(qstr(o.key), edit);
    return row;
}

// Choices this machine does not offer stay listed, greyed out with the reason; a saved one falls back
// to the first available choice, and the page says so.
QWidget* EngineSettingsDialog::make_choice_field(const EngineOption& o, const std::string& value) {
    auto* combo = new QComboBox(this);
    combo->setObjectName(qstr("option-" + o.key));
    auto* items = qobject_cast<QStandardItemModel*>(combo->model());
    int first_available = -1;
    for (const EngineOption::Choice& c : o.choices) {
        combo->addItem(qstr(c.label), qstr(c.value));
        if (c.available) {
            if (first_available < 0) first_available = combo->count() - 1;
            continue;
        }
        QStandardItem* item = items->item(combo->count() - 1);
        item->setEnabled(false);
        item->setToolTip(qstr(c.why_not));
    }
    const int saved = combo->findData(qstr(value));
    const bool usable = saved >= 0 && items->item(saved)->isEnabled();
    combo->setCurrentIndex(usable ? saved : std::max(0, first_available));
    if (saved >= 0 && !usable)
        notes_ << tr("%1: the saved choice \"%2\" is not available: %3. \"%4\" is selected.")
                      .arg(qstr(o.label), combo->itemText(saved), items->item(saved)->toolTip(), combo->currentText());
    fields_.insert(qstr(o.key), combo);
    return combo;
}

QWidget* EngineSettingsDialog::field(const std::string& key) const { return fields_.value(qstr(key)); }

QLineEdit* EngineSettingsDialog::folder_edit() const {
    return engine_.model_folder_option.empty() ? nullptr : qobject_cast<QLineEdit*>(field(engine_.model_folder_option));
}

QPushButton* EngineSettingsDialog::use_button() { return buttons_->button(QDialogButtonBox::Ok); }

EngineSettings EngineSettingsDialog::settings() const {
    EngineSettings s;
    for (const EngineOption& o : engine_.options) {
        QWidget* f = field(o.key);
        QString value;
        if (auto* edit = qobject_cast<QLineEdit*>(f)) value = edit->text().trimmed().isEmpty() ? QString() : QDir::cleanPath(edit->text().trimmed());
        else if (auto* combo = qobject_cast<QComboBox*>(f)) value = combo->currentData().toString();
        else if (auto* spin = qobject_cast<QSpinBox*>(f)) value = QString::number(spin->value());
        s.options[o.key] = value.toStdString();
    }
    s.cache_mb = cache_->value();
    return s;
}

void EngineSettingsDialog::show_problem(const QString& text) {
    extra_problem_ = text;
    schedule_check();
}

void EngineSettingsDialog::schedule_check() {
    checked_ok_ = false;
    use_button()->setEnabled(false);
    status_->setText(tr("Checking…"));
    debounce_->start();
}

void EngineSettingsDialog::start_check() {
    if (check_) {  // a check is running: come back when it ends
        debounce_->start();
        return;
    }
    const QString dir = folder_edit() ? folder_edit()->text().trimmed() : QString();
    if (!folder_edit() || dir.isEmpty()) {
        FolderReport r;
        r.ok = !folder_edit();  // nothing to check when the engine needs no folder
        if (!r.ok) r.problems.push_back(tr("Choose the model folder.").toStdString());
        show_report(r, dir);
        return;
    }
    std::function<FolderReport(const std::string&)> check = engine_.check_folder;
    const std::string path = QDir::cleanPath(dir).toStdString();
    check_ = run_in_background<FolderReport>(
        this,
        [check, path](TaskControl&) {
            FolderReport r;
            if (check) return check(path);
            r.ok = true;
            return r;
        },
        [this, dir](FolderReport r, const TaskControl&) {
            check_.reset();
            // The text changed meanwhile: a new check is due.
            if (folder_edit() && dir == folder_edit()->text().trimmed()) show_report(r, dir);
        });
}

void EngineSettingsDialog::show_report(const FolderReport& r, const QString& dir) {
    checked_ok_ = r.ok;
    use_button()->setEnabled(r.ok);
    QString html;
    for (const QString& note : notes_) html += QStringLiteral("<p style='color:#b9770e'><b>%1</b></p>").arg(note.toHtmlEscaped());
    if (!extra_problem_.isEmpty())
        html += QStringLiteral("<p style='color:#c0392b'><b>%1</b> %2</p>").arg(tr("Last load failed:"), extra_problem_.toHtmlEscaped());
    if (r.ok && folder_edit()) {
        html += QStringLiteral("<p style='color:#1e8449'><b>✓ %1</b><br>%2</p>")
                    .arg(tr("The folder is complete and matches."), qstr(r.summary).toHtmlEscaped());
    } else if (r.ok) {
        html += QStringLiteral("<p>%1</p>").arg(tr("Nothing to check: this engine needs no model folder."));
    } else {
        QStringList problems;
        for (const std::string& p : r.problems) problems << qstr(p);
        html += QStringLiteral("<p style='color:#c0392b'><b>✗ %1</b></p>")
                    .arg(dir.isEmpty() ? tr("No folder chosen.") : tr("This folder cannot be used:")) +
                html_list(problems);
    }
    status_->setText(html);
    Q_EMIT check_finished(r.ok);
}

}  // namespace xs
