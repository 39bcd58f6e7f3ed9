#pragma once
// Above the image list: the filter (name or pattern, status, tag, category present, instance count,
// pending candidates) with the count it shows, and the tag field that adds a tag to the selected
// images or removes it. It only edits and reports; ImageBrowser filters and MainWindow edits.
#include <QWidget>
#include <string>
#include <vector>

#include "core/annotation/project.h"
#include "core/review/image_index.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace xs {

class ImageFilterBar : public QWidget {
    Q_OBJECT
public:
    explicit ImageFilterBar(QWidget* parent = nullptr);
    ImageFilter filter() const;
    void set_tags(const std::vector<std::string>& tags);   // the tag filter's choices (keeps the choice)
    void set_categories(const std::vector<Category>& categories);
    void set_count(int shown, int total);
    void focus_name();  // Find images
    void focus_tag();   // Add tag
    void remove_typed_tag();  // Remove tag: the tag typed in the tag field, or the field gets focus

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

Q_SIGNALS:
    void filter_changed();
    void add_tag(const QString& tag);
    void remove_tag(const QString& tag);

private:
    QLineEdit* name_;
    QComboBox* status_;
    QComboBox* tag_;
    QComboBox* category_;
    QSpinBox* min_;
    QSpinBox* max_;
    QCheckBox* pending_;
    QLabel* count_;
    QLineEdit* tag_edit_;
};

}  // namespace xs
