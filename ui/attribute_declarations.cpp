#include "ui/attribute_declarations.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>
#include <cmath>

#include "ui/qt_convert.h"

namespace xs {

namespace {

const AttributeKind kKinds[] = {AttributeKind::boolean, AttributeKind::choice, AttributeKind::number, AttributeKind::text};

// A value as the Default field shows it: true, 2.5, red (no quotes).
QString value_text(const AttributeValue& value) {
    if (std::holds_alternative<std::string>(value)) return qstr(std::get<std::string>(value));
    return qstr(attribute_value_text(value));
}

QString row_text(const AttributeSpec& spec) {
    QString text = QStringLiteral("%1 — %2, default %3")
                       .arg(qstr(spec.name), QString::fromLatin1(attribute_kind_name(spec.kind)),
                            qstr(attribute_value_text(spec.default_value)));
    if (spec.kind == AttributeKind::choice) {
        QStringList choices;
        for (const std::string& c : spec.choices) choices << qstr(c);
        text += QStringLiteral(" (%1)").arg(choices.join(", "));
    }
    return text;
}

// The Default field read as a value of `kind`; nullopt with *problem when it is not one.
std::optional<AttributeValue> parse_default(AttributeKind kind, const QString& text, const std::vector<std::string>& choices,
                                            QString* problem) {
    const QString t = text.trimmed();
    switch (kind) {
        case AttributeKind::boolean:
            if (t == "true" || t == "false") return AttributeValue(t == "true");
            *problem = AttributeDeclarationsDialog::tr("The default of a boolean attribute is true or false, not \"%1\".").arg(t);
            return std::nullopt;
        case AttributeKind::number: {
            bool ok = false;
            const double d = t.toDouble(&ok);  // C locale: the project file's numbers
            if (ok && std::isfinite(d)) return AttributeValue(d);
            *problem = AttributeDeclarationsDialog::tr("The default \"%1\" is not a number.").arg(t);
            return std::nullopt;
        }
        case AttributeKind::choice:
            for (const std::string& c : choices)
                if (qstr(c) == t) return AttributeValue(c);
            *problem = AttributeDeclarationsDialog::tr("The default \"%1\" is not one of the choices.").arg(t);
            return std::nullopt;
        case AttributeKind::text: return AttributeValue(stdstr(text));
    }
    return std::nullopt;
}

}  // namespace

AttributeDeclarationsDialog::AttributeDeclarationsDialog(const QString& category_name, const std::vector<AttributeSpec>& specs,
                                                         QWidget* parent)
    : QDialog(parent) {
    setObjectName("attributeDeclarations");
    setWindowTitle(tr("Attributes of \"%1\"").arg(category_name));
    auto* layout = new QVBoxLayout(this);
    auto* help = new QLabel(tr("The custom attributes every instance of this category has. Choose one to change its "
                               "name, type, choices or default; each change is one undo step. Instances keep their "
                               "values where the new declaration takes them, else they get its default."),
                            this);
    help->setWordWrap(true);
    layout->addWidget(help);
    list_ = new QListWidget(this);
    list_->setObjectName("attributeList");
    layout->addWidget(list_, 1);

    auto* form = new QFormLayout;
    name_ = new QLineEdit(this);
    name_->setObjectName("attributeName");
    kind_ = new QComboBox(this);
    kind_->setObjectName("attributeKind");
    for (AttributeKind k : kKinds) kind_->addItem(QString::fromLatin1(attribute_kind_name(k)));
    choices_ = new QPlainTextEdit(this);
    choices_->setObjectName("attributeChoices");
    choices_->setPlaceholderText(tr("One choice per line"));
    choices_->setTabChangesFocus(true);
    choices_->setFixedHeight(choices_->fontMetrics().lineSpacing() * 4 + 12);
    default_ = new QLineEdit(this);
    default_->setObjectName("attributeDefault");
    form->addRow(tr("Name:"), name_);
    form->addRow(tr("Type:"), kind_);
    form->addRow(tr("Choices:"), choices_);
    form->addRow(tr("Default:"), default_);
    layout->addLayout(form);

    message_ = new QLabel(this);
    message_->setObjectName("declarationMessage");
    message_->setWordWrap(true);
    layout->addWidget(message_);

    auto* row = new QHBoxLayout;
    auto* add_button = new QPushButton(tr("Add"), this);
    add_button->setObjectName("addAttribute");
    add_button->setToolTip(tr("Declare a new attribute as the form describes it"));
    apply_ = new QPushButton(tr("Apply"), this);
    apply_->setObjectName("applyAttribute");
    apply_->setToolTip(tr("Give the chosen attribute the form's name, type, choices and default"));
    remove_ = new QPushButton(tr("Remove"), this);
    remove_->setObjectName("removeAttribute");
    remove_->setToolTip(tr("Remove the chosen attribute and every instance's value of it (Undo brings them back)"));
    row->addWidget(add_button);
    row->addWidget(apply_);
    row->addWidget(remove_);
    row->addStretch();
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    row->addWidget(buttons);
    layout->addLayout(row);
    // Enter in a field never closes the dialog through a default button.
    for (QPushButton* b : findChildren<QPushButton*>()) b->setAutoDefault(false);

    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(add_button, &QPushButton::clicked, this, &AttributeDeclarationsDialog::add);
    connect(apply_, &QPushButton::clicked, this, &AttributeDeclarationsDialog::apply);
    connect(remove_, &QPushButton::clicked, this, &AttributeDeclarationsDialog::remove);
    connect(list_, &QListWidget::currentRowChanged, this, &AttributeDeclarationsDialog::show_in_form);
    connect(kind_, &QComboBox::currentIndexChanged, this, &AttributeDeclarationsDialog::kind_changed);
    set_declarations(specs);
    resize(520, 440);
}

void AttributeDeclarationsDialog::set_declarations(const std::vector<AttributeSpec>& specs, const std::string& chosen) {
    specs_ = specs;
    QSignalBlocker block(list_);
    list_->clear();
    int row = -1;
    for (const AttributeSpec& spec : specs) {
        if (spec.name == chosen) row = list_->count();
        list_->addItem(row_text(spec));
    }
    list_->setCurrentRow(row);
    block.unblock();
    show_in_form(row);
}

void AttributeDeclarationsDialog::show_message(const QString& text, bool problem) {
    message_->setText(text);
    message_->setStyleSheet(problem ? QStringLiteral("color: #d03030;") : QString());
}

void AttributeDeclarationsDialog::show_in_form(int row) {
    const bool chosen = row >= 0 && row < int(specs_.size());
    apply_->setEnabled(chosen);
    remove_->setEnabled(chosen);
    if (!chosen) return kind_changed();  // the form keeps what was typed: the next Add starts from it
    const AttributeSpec& spec = specs_[size_t(row)];
    name_->setText(qstr(spec.name));
    QStringList choices;
    for (const std::string& c : spec.choices) choices << qstr(c);
    choices_->setPlainText(choices.join('\n'));
    QSignalBlocker block(kind_);
    kind_->setCurrentIndex(int(std::find(std::begin(kKinds), std::end(kKinds), spec.kind) - std::begin(kKinds)));
    block.unblock();
    default_->setText(value_text(spec.default_value));
    kind_changed();
}

// Only a choice attribute has choices; a default the new type cannot read becomes that type's plain one.
void AttributeDeclarationsDialog::kind_changed() {
    const AttributeKind kind = kKinds[kind_->currentIndex()];
    choices_->setEnabled(kind == AttributeKind::choice);
    std::vector<std::string> choices;
    for (const QString& c : choices_->toPlainText().split('\n', Qt::SkipEmptyParts))
        if (!c.trimmed().isEmpty()) choices.push_back(stdstr(c.trimmed()));
    QString ignored;
    if (kind == AttributeKind::text || parse_default(kind, default_->text(), choices, &ignored)) return;
    default_->setText(kind == AttributeKind::boolean ? "false"
                      : kind == AttributeKind::number ? "0"
                      : choices.empty() ? QString() : qstr(choices.front()));
}

std::optional<AttributeSpec> AttributeDeclarationsDialog::form_spec(const std::string& except) {
    AttributeSpec spec;
    spec.name = stdstr(name_->text().trimmed());
    spec.kind = kKinds[kind_->currentIndex()];
    if (spec.kind == AttributeKind::choice)
        for (const QString& c : choices_->toPlainText().split('\n'))
            if (!c.trimmed().isEmpty()) spec.choices.push_back(stdstr(c.trimmed()));
    QString problem;
    if (spec.name.empty()) problem = tr("The attribute needs a name.");
    for (const AttributeSpec& s : specs_)
        if (problem.isEmpty() && s.name == spec.name && s.name != except)
            problem = tr("This category already has an attribute named \"%1\".").arg(qstr(spec.name));
    if (problem.isEmpty() && spec.kind == AttributeKind::choice && spec.choices.empty())
        problem = tr("A choice attribute needs at least one choice (one per line).");
    if (problem.isEmpty()) {
        std::optional<AttributeValue> value = parse_default(spec.kind, default_->text(), spec.choices, &problem);
        if (value) spec.default_value = *value;
    }
    if (problem.isEmpty()) problem = qstr(attribute_spec_problem(spec));  // a fixed name, a repeated choice
    if (problem.isEmpty()) return spec;
    show_message(problem, true);
    return std::nullopt;
}

void AttributeDeclarationsDialog::add() {
    if (std::optional<AttributeSpec> spec = form_spec({})) Q_EMIT declare_requested(*spec);
}

void AttributeDeclarationsDialog::apply() {
    const int row = list_->currentRow();
    if (row < 0 || row >= int(specs_.size())) return;
    if (std::optional<AttributeSpec> spec = form_spec(specs_[size_t(row)].name))
        Q_EMIT change_requested(specs_[size_t(row)].name, *spec);
}

void AttributeDeclarationsDialog::remove() {
    const int row = list_->currentRow();
    if (row >= 0 && row < int(specs_.size())) Q_EMIT remove_requested(specs_[size_t(row)].name);
}

}  // namespace xs
