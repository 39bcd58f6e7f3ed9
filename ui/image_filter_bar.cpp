#include "ui/image_filter_bar.h"

#include <QCheckBox>
#include <QComboBox>
#include <QGridLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>

#include "ui/image_list_model.h"
#include "ui/widgets.h"

namespace xs {

namespace {

constexpr int kNarrowest = 24;

QIcon status_swatch(ReviewStatus s) {
    QPixmap pm(12, 12);
    pm.fill(review_status_color(s));
    return QIcon(pm);
}

// Puts `items` (text, data) into the combo box after its first ("any") entry, keeping the choice
// when it is still there; no signal. True when the choice went (back to "any").
bool refill(QComboBox* box, const std::vector<std::pair<QString, QVariant>>& items) {
    const QVariant keep = box->currentData();
    QSignalBlocker block(box);
    while (box->count() > 1) box->removeItem(1);
    for (const auto& [text, data] : items) box->addItem(text, data);
    const int at = box->findData(keep);
    box->setCurrentIndex(at >= 0 ? at : 0);
    return at < 0 && keep != box->itemData(0);
}

}  // namespace

ImageFilterBar::ImageFilterBar(QWidget* parent) : QWidget(parent) {
    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(2, 2, 2, 2);
    grid->setSpacing(3);
    name_ = new QLineEdit(this);
    name_->setObjectName("filterName");
    name_->setPlaceholderText(tr("Find: part of the name, or a pattern like *.png"));
    name_->setClearButtonEnabled(true);
    status_ = new QComboBox(this);
    status_->setObjectName("filterStatus");
    status_->addItem(tr("Any status"), -1);
    for (ReviewStatus s : kReviewStatuses) status_->addItem(status_swatch(s), tr(review_status_title(s)), int(s));
    tag_ = new QComboBox(this);
    tag_->setObjectName("filterTag");
    tag_->addItem(tr("Any tag"), QString());
    category_ = new QComboBox(this);
    category_->setObjectName("filterCategory");
    category_->addItem(tr("Any category"), 0);
    min_ = new QSpinBox(this);
    min_->setObjectName("filterMin");
    min_->setRange(0, 100000);
    min_->setPrefix(tr("instances ≥ "));
    max_ = new QSpinBox(this);
    max_->setObjectName("filterMax");
    max_->setRange(-1, 100000);
    max_->setValue(-1);
    max_->setSpecialValueText(tr("≤ any"));
    max_->setPrefix(tr("≤ "));
    pending_ = new QCheckBox(tr("Pending candidates"), this);
    pending_->setObjectName("filterPending");
    pending_->setToolTip(tr("Only images with \"find all like this\" candidates not accepted or rejected yet"));
    count_ = new QLabel(this);
    count_->setObjectName("filterCount");
    tag_edit_ = new QLineEdit(this);
    tag_edit_->setObjectName("tagEdit");
    tag_edit_->setPlaceholderText(tr("Tag (Enter adds it to the selected images)"));
    auto* add = new QPushButton(tr("Add tag"), this);
    add->setObjectName("addTagButton");
    auto* remove = new QPushButton(tr("Remove tag"), this);
    remove->setObjectName("removeTagButton");

    // The dock may be narrow (a small screen): every box may shrink below its text.
    for (QWidget* box : std::initializer_list<QWidget*>{name_, status_, tag_, category_, min_, max_, pending_, tag_edit_, add, remove})
        box->setMinimumWidth(kNarrowest);
    count_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    grid->addWidget(name_, 0, 0, 1, 3);
    grid->addWidget(status_, 1, 0);
    grid->addWidget(tag_, 1, 1);
    grid->addWidget(category_, 1, 2);
    grid->addWidget(min_, 2, 0);
    grid->addWidget(max_, 2, 1);
    grid->addWidget(pending_, 2, 2);
    grid->addWidget(tag_edit_, 3, 0);
    grid->addWidget(add, 3, 1);
    grid->addWidget(remove, 3, 2);
    grid->addWidget(count_, 4, 0, 1, 3);

    name_->installEventFilter(this);
    tag_edit_->installEventFilter(this);
    const auto changed = [this] { Q_EMIT filter_changed(); };
    connect(name_, &QLineEdit::textChanged, this, changed);
    for (QComboBox* box : {status_, tag_, category_}) connect(box, &QComboBox::currentIndexChanged, this, changed);
    for (QSpinBox* box : {min_, max_}) connect(box, &QSpinBox::valueChanged, this, changed);
    connect(pending_, &QCheckBox::toggled, this, changed);
    const auto add_typed = [this] {
        if (!tag_edit_->text().trimmed().isEmpty()) Q_EMIT add_tag(tag_edit_->text());
    };
    connect(tag_edit_, &QLineEdit::returnPressed, this, add_typed);
    connect(add, &QPushButton::clicked, this, add_typed);
    connect(remove, &QPushButton::clicked, this, &ImageFilterBar::remove_typed_tag);
}

// Return in the name or tag field belongs to the field, not to the window's "Accept mask" (Return).
bool ImageFilterBar::eventFilter(QObject* watched, QEvent* event) {
    if (claim_return_key(event)) return true;
    return QWidget::eventFilter(watched, event);
}

void ImageFilterBar::remove_typed_tag() {
    if (tag_edit_->text().trimmed().isEmpty()) {
        focus_tag();
        return;
    }
    Q_EMIT remove_tag(tag_edit_->text());
}

ImageFilter ImageFilterBar::filter() const {
    ImageFilter f;
    f.name = name_->text().toStdString();
    if (status_->currentData().toInt() >= 0) f.status = ReviewStatus(status_->currentData().toInt());
    f.tag = tag_->currentData().toString().toStdString();
    f.category_id = category_->currentData().toInt();
    f.min_instances = min_->value();
    f.max_instances = max_->value();
    f.pending_only = pending_->isChecked();
    return f;
}

void ImageFilterBar::set_tags(const std::vector<std::string>& tags) {
    std::vector<std::pair<QString, QVariant>> items;
    for (const std::string& t : tags) items.push_back({QString::fromStdString(t), QString::fromStdString(t)});
    if (refill(tag_, items)) Q_EMIT filter_changed();
}

void ImageFilterBar::set_categories(const std::vector<Category>& categories) {
    std::vector<std::pair<QString, QVariant>> items;
    for (const Category& c : categories) items.push_back({QString::fromStdString(c.name), c.id});
    if (refill(category_, items)) Q_EMIT filter_changed();
}

void ImageFilterBar::set_count(int shown, int total) {
    count_->setText(shown == total ? tr("%1 images").arg(total) : tr("%1 of %2 images").arg(shown).arg(total));
}

void ImageFilterBar::focus_name() {
    name_->setFocus();
    name_->selectAll();
}

void ImageFilterBar::focus_tag() {
    tag_edit_->setFocus();
    tag_edit_->selectAll();
}

}  // namespace xs
