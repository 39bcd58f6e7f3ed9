#include "ui/attribute_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>

#include "ui/qt_convert.h"
#include "ui/widgets.h"

namespace xs {

namespace {

// The number box's range: wide enough for counts and measures, narrow enough for a box of sensible
// width (its size hint is the width of the longest number).
constexpr double kNumberLimit = 1e9;

// The value every chosen instance shares, or nullopt when they differ; a custom attribute (`category`
// given) counts only the instances of that category.
std::optional<AttributeValue> common_value(const std::vector<const Instance*>& chosen, const Category* category,
                                           const std::string& name) {
    std::optional<AttributeValue> common;
    for (const Instance* inst : chosen) {
        if (category && inst->category_id != category->id) continue;
        const std::optional<AttributeValue> v = attribute_value(*inst, category, name);
        if (!v) continue;
        if (common && !(*common == *v)) return std::nullopt;
        common = v;
    }
    return common;
}

Qt::CheckState check_state(const std::optional<AttributeValue>& v) {
    if (!v || !std::holds_alternative<bool>(*v)) return Qt::PartiallyChecked;
    return std::get<bool>(*v) ? Qt::Checked : Qt::Unchecked;
}

}  // namespace

AttributePanel::AttributePanel(QWidget* parent) : QWidget(parent) {
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(6, 6, 6, 6);
    heading_ = new QLabel(this);
    heading_->setObjectName("attributesHeading");
    lay->addWidget(heading_);
    auto* row = new QHBoxLayout;
    for (QCheckBox* box : {add_flag(kAttrCrowd, tr("Crowd"), tr("A crowd region (COCO iscrowd 1, exported as RLE) (Shift+C)")),
                           add_flag(kAttrOccluded, tr("Occluded"), tr("Partly hidden by something in front (Shift+O)")),
                           add_flag(kAttrTruncated, tr("Truncated"), tr("Cut off by the image border (Shift+T)"))})
        row->addWidget(box);
    row->addStretch();
    lay->addLayout(row);
    auto* form = new QFormLayout;
    note_ = new QLineEdit(this);
    note_->setObjectName("attributeNote");
    note_->setPlaceholderText(tr("A note for the reviewer"));
    note_->installEventFilter(this);
    form->addRow(tr("Note:"), note_);
    lay->addLayout(form);
    connect(note_, &QLineEdit::editingFinished, this, [this] {
        if (!updating_ && note_->isModified()) Q_EMIT attribute_edited(QString::fromLatin1(kAttrNote), AttributeValue(stdstr(note_->text())));
        note_->setModified(false);
    });
    auto* heading_row = new QHBoxLayout;
    custom_heading_ = new QLabel(this);
    custom_heading_->setWordWrap(true);
    heading_row->addWidget(custom_heading_, 1);
    auto* declare = new QToolButton(this);
    declare->setObjectName("declareAttributes");
    declare->setText(tr("Declare…"));
    declare->setToolTip(tr("Declare, change or remove the custom attributes of this category"));
    connect(declare, &QToolButton::clicked, this, [this] {
        if (shown_category_) Q_EMIT declarations_requested(shown_category_);
    });
    heading_row->addWidget(declare);
    lay->addLayout(heading_row);
    custom_ = new QFormLayout;
    lay->addLayout(custom_);
    lay->addStretch();
    show_instances(nullptr, Project(), {});
}

QCheckBox* AttributePanel::add_flag(const char* name, const QString& text, const QString& tip) {
    auto* box = new QCheckBox(text, this);
    box->setObjectName(QStringLiteral("attribute_%1").arg(QString::fromLatin1(name)));
    box->setToolTip(tip);
    // A click on a partly checked box (mixed selection) sets the attribute on all.
    connect(box, &QCheckBox::clicked, this, [this, box, name](bool on) {
        if (updating_) return;
        box->setTristate(false);
        Q_EMIT attribute_edited(QString::fromLatin1(name), AttributeValue(on));
    });
    flags_.push_back(box);
    return box;
}

void AttributePanel::show_instances(const ImageRecord* image, const Project& project, const std::vector<int64_t>& selected) {
    std::vector<const Instance*> chosen;
    if (image)
        for (const Instance& inst : image->instances)
            if (std::find(selected.begin(), selected.end(), inst.id) != selected.end()) chosen.push_back(&inst);
    updating_ = true;
    setEnabled(!chosen.empty());
    heading_->setText(chosen.empty() ? tr("No instance selected")
                      : chosen.size() == 1 ? tr("Instance #%1").arg(chosen.front()->id)
                                           : tr("%1 instances (a change applies to all)").arg(chosen.size()));
    for (QCheckBox* box : flags_) {
        const std::string name = stdstr(box->objectName().mid(int(qstrlen("attribute_"))));
        const Qt::CheckState state = chosen.empty() ? Qt::Unchecked : check_state(common_value(chosen, nullptr, name));
        box->setTristate(state == Qt::PartiallyChecked);
        box->setCheckState(state);
    }
    const std::optional<AttributeValue> note = chosen.empty() ? std::nullopt : common_value(chosen, nullptr, kAttrNote);
    if (!note_->hasFocus() || chosen.empty()) {
        note_->setText(note ? qstr(std::get<std::string>(*note)) : QString());
        note_->setPlaceholderText(note || chosen.empty() ? tr("A note for the reviewer") : tr("(notes differ)"));
        note_->setModified(false);
    }
    show_custom(chosen.empty() ? nullptr : project.find_category(chosen.front()->category_id), chosen);
    updating_ = false;
}

// The custom attributes of the first selected instance's category; a change reaches every selected
// instance whose category declares the attribute. The editors stay while the declarations do (focus
// and Tab order survive an edit); only their values change.
void AttributePanel::show_custom(const Category* category, const std::vector<const Instance*>& chosen) {
    const std::vector<AttributeSpec> none;
    const std::vector<AttributeSpec>& specs = category ? category->attributes : none;
    if (!category || category->id != shown_category_ || specs != shown_specs_) {
        clear_custom();
        shown_category_ = category ? category->id : 0;
        shown_specs_ = specs;
        for (const AttributeSpec& spec : specs) {
            editors_.push_back(custom_editor(spec));
            custom_->addRow(qstr(spec.name) + ":", editors_.back());
        }
    }
    if (!category || specs.empty()) {
        custom_heading_->setText(category ? tr("Category \"%1\" declares no custom attributes.").arg(qstr(category->name))
                                          : QString());
        return;
    }
    custom_heading_->setText(tr("Attributes of \"%1\":").arg(qstr(category->name)));
    for (size_t i = 0; i < specs.size(); ++i)
        show_value(editors_[i], specs[i], common_value(chosen, category, specs[i].name));
}

// The old editors go later, not now: this may run inside an edit that one of them started (its signal
// is still being emitted), and they answer nothing from now on.
void AttributePanel::clear_custom() {
    editors_.clear();
    while (custom_->rowCount() > 0) {
        const QFormLayout::TakeRowResult row = custom_->takeRow(0);
        for (QLayoutItem* item : {row.labelItem, row.fieldItem}) {
            if (!item) continue;
            if (QWidget* w = item->widget()) {
                disconnect(w, nullptr, this, nullptr);
                w->setObjectName(QString());
                w->hide();
                w->deleteLater();
            }
            delete item;
        }
    }
}

QWidget* AttributePanel::custom_editor(const AttributeSpec& spec) {
    const QString name = qstr(spec.name);
    const auto edited = [this, name](const AttributeValue& v) {
        if (!updating_) Q_EMIT attribute_edited(name, v);
    };
    QWidget* editor = nullptr;
    switch (spec.kind) {
        case AttributeKind::boolean: {
            auto* box = new QCheckBox(this);
            connect(box, &QCheckBox::clicked, this, [box, edited](bool on) {
                box->setTristate(false);
                edited(AttributeValue(on));
            });
            editor = box;
            break;
        }
        case AttributeKind::choice: {
            auto* combo = new QComboBox(this);
            for (const std::string& c : spec.choices) combo->addItem(qstr(c));
            connect(combo, &QComboBox::activated, this,
                    [combo, edited](int) { edited(AttributeValue(stdstr(combo->currentText()))); });
            editor = combo;
            break;
        }
        case AttributeKind::number: {
            auto* spin = new QDoubleSpinBox(this);
            spin->setRange(-kNumberLimit, kNumberLimit);
            spin->setDecimals(3);
            spin->installEventFilter(this);
            connect(spin, &QDoubleSpinBox::editingFinished, this, [spin, edited] {
                // "(differ)" left as it was is no value to set.
                if (spin->specialValueText().isEmpty() || spin->value() != spin->minimum())
                    edited(AttributeValue(spin->value()));
            });
            editor = spin;
            break;
        }
        case AttributeKind::text: {
            auto* line = new QLineEdit(this);
            line->installEventFilter(this);
            connect(line, &QLineEdit::editingFinished, this, [line, edited] {
                if (line->isModified()) edited(AttributeValue(stdstr(line->text())));
                line->setModified(false);
            });
            editor = line;
            break;
        }
    }
    editor->setObjectName(QStringLiteral("attribute_%1").arg(name));
    editor->setToolTip(tr("%1 (%2, default %3)").arg(name, QString::fromLatin1(attribute_kind_name(spec.kind)),
                                                     qstr(attribute_value_text(spec.default_value))));
    return editor;
}

// Shows the selected instances' common value (nullopt: they differ) in the spec's editor.
void AttributePanel::show_value(QWidget* editor, const AttributeSpec& spec, const std::optional<AttributeValue>& value) {
    switch (spec.kind) {
        case AttributeKind::boolean: {
            auto* box = static_cast<QCheckBox*>(editor);
            box->setTristate(!value);
            box->setCheckState(check_state(value));
            break;
        }
        case AttributeKind::choice: {
            auto* combo = static_cast<QComboBox*>(editor);
            combo->setCurrentIndex(value ? combo->findText(qstr(std::get<std::string>(*value))) : -1);
            break;
        }
        case AttributeKind::number: {
            auto* spin = static_cast<QDoubleSpinBox*>(editor);
            spin->setSpecialValueText(value ? QString() : tr("(differ)"));  // shown at the minimum
            spin->setValue(value ? std::get<double>(*value) : spin->minimum());
            break;
        }
        case AttributeKind::text: {
            auto* line = static_cast<QLineEdit*>(editor);
            line->setText(value ? qstr(std::get<std::string>(*value)) : QString());
            line->setPlaceholderText(value ? QString() : tr("(differ)"));
            line->setModified(false);
            break;
        }
    }
}

// Return in a text or number field commits that field: without this the window's "Accept mask"
// shortcut (Return) took the key, accepted a pending preview and moved the selection before the
// field's edit was applied (found by the GUI monkey: a note landed on other instances).
bool AttributePanel::eventFilter(QObject* watched, QEvent* event) {
    if (claim_return_key(event)) return true;
    return QWidget::eventFilter(watched, event);
}

}  // namespace xs
