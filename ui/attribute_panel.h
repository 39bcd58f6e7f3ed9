#pragma once
// The Attributes panel: crowd, occluded, truncated, the note and the category's custom attributes of
// the selected instances. A box shows partly checked when the selected instances differ; each change
// asks for one edit of every selected instance (AnnotationEditor::set_attribute: one undo step).
#include <QWidget>
#include <optional>
#include <vector>

#include "core/annotation/project.h"

class QCheckBox;
class QFormLayout;
class QLabel;
class QLineEdit;

namespace xs {

class AttributePanel : public QWidget {
    Q_OBJECT
public:
    explicit AttributePanel(QWidget* parent = nullptr);
    // Shows the attributes of the selected instances of `image` (nullptr or none selected: disabled).
    void show_instances(const ImageRecord* image, const Project& project, const std::vector<int64_t>& selected);

Q_SIGNALS:
    void attribute_edited(const QString& name, const xs::AttributeValue& value);
    void declarations_requested(int category_id);  // the shown category's custom attribute declarations

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    QCheckBox* add_flag(const char* name, const QString& text, const QString& tip);
    void clear_custom();
    void show_custom(const Category* category, const std::vector<const Instance*>& chosen);
    QWidget* custom_editor(const AttributeSpec& spec);
    void show_value(QWidget* editor, const AttributeSpec& spec, const std::optional<AttributeValue>& value);

    QLabel* heading_;
    std::vector<QCheckBox*> flags_;
    QLineEdit* note_;
    QLabel* custom_heading_;
    QFormLayout* custom_;
    int shown_category_ = 0;                 // whose declarations the editors are for
    std::vector<AttributeSpec> shown_specs_;
    std::vector<QWidget*> editors_;          // one per declaration, in order
    bool updating_ = false;
};

}  // namespace xs
