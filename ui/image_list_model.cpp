#include "ui/image_list_model.h"

#include <QApplication>
#include <QColor>
#include <QPainter>
#include <algorithm>

#include "ui/qt_convert.h"
#include "ui/thumbnails.h"

namespace xs {

QColor review_status_color(ReviewStatus status) {
    switch (status) {
        case ReviewStatus::todo: return QColor(0x9e, 0x9e, 0x9e);
        case ReviewStatus::in_progress: return QColor(0xf3, 0x9c, 0x12);
        case ReviewStatus::done: return QColor(0x27, 0xae, 0x60);
        case ReviewStatus::needs_review: return QColor(0xe7, 0x4c, 0x3c);
    }
    return QColor();
}

namespace {

constexpr int kMark = 6;  // width of the status bar left of the thumbnail

// The row's picture in `r`: a status bar in the status colour, then the thumbnail (or an empty frame
// while it is on its way, or a red cross for a file that cannot be read). Painted straight into the
// view: an icon made per paint went through Qt's QPixmapCache under a new key each time, at a cost
// that grew with the rows scrolled (40 to 80 ms GUI-thread blocks in bench_image_list).
void paint_row_picture(QPainter& p, const QRect& r, ReviewStatus status, const QImage& thumbnail, bool thumbnails,
                       bool failed) {
    const int side = r.height();
    p.fillRect(QRect(r.left(), r.top(), kMark, side), review_status_color(status));
    const QRect area(r.left() + kMark + 2, r.top(), side, side);
    if (failed) {
        p.setPen(QPen(QColor(0xe7, 0x4c, 0x3c), 2));
        p.drawLine(area.topLeft() + QPoint(3, 3), area.bottomRight() - QPoint(3, 3));
        p.drawLine(area.topRight() + QPoint(-3, 3), area.bottomLeft() + QPoint(3, -3));
    } else if (thumbnails && !thumbnail.isNull()) {
        const QSize size = thumbnail.size().scaled(area.size(), Qt::KeepAspectRatio);
        p.drawImage(QRect(area.center() - QPoint(size.width() / 2, size.height() / 2), size), thumbnail);
    } else if (thumbnails) {
        p.setPen(QColor(0x90, 0x90, 0x90, 120));
        p.drawRect(area.adjusted(0, 0, -1, -1));
    }
}

}  // namespace

ImageListModel::ImageListModel(const ImageIndex* index, ThumbnailCache* thumbnails, ErrorOf error_of, QObject* parent)
    : QAbstractListModel(parent), index_(index), thumbnails_(thumbnails), error_of_(std::move(error_of)) {}

int ImageListModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(rows_.size()); }

QString ImageListModel::text(const ImageSummary& s) const {
    QString t = display_name(s.key);
    if (s.instance_count > 0) t += QStringLiteral("   (%1)").arg(s.instance_count);
    if (s.status != ReviewStatus::todo) t += QStringLiteral("   [%1]").arg(tr(review_status_title(s.status)).toLower());
    if (!s.tags.empty()) {
        QStringList tags;
        for (const std::string& tag : s.tags) tags << QString::fromStdString(tag);
        t += QStringLiteral("   #") + tags.join(QStringLiteral(" #"));
    }
    return t;
}

QString ImageListModel::tooltip(const ImageSummary& s) const {
    const QString error = error_of_(s.key);
    if (!error.isEmpty()) return error;
    QString t = tr(review_status_title(s.status));
    t += s.instance_count > 0 ? tr(", %1 instances").arg(s.instance_count) : tr(", not annotated yet");
    return t;
}

QVariant ImageListModel::data(const QModelIndex& index, int role) const {
    const int row = index_row(index.row());
    if (row < 0) return QVariant();
    const ImageSummary& s = index_->at(row);
    switch (role) {
        case Qt::DisplayRole: return text(s);
        case Qt::ToolTipRole: return tooltip(s);
        case ThumbnailRole: return thumbnails_shown_ ? thumbnails_->get(s.key) : QImage();
        case FailedRole: return !error_of_(s.key).isEmpty();
        case InstanceCountRole: return s.instance_count;
        case StatusRole: return int(s.status);
        case KeyRole: return QByteArray::fromStdString(s.key);
        default: return QVariant();
    }
}

void ImageListModel::set_rows(std::vector<int> index_rows) {
    beginResetModel();
    rows_ = std::move(index_rows);
    endResetModel();
}

int ImageListModel::index_row(int view_row) const {
    return view_row >= 0 && view_row < int(rows_.size()) ? rows_[size_t(view_row)] : -1;
}

int ImageListModel::view_row(int index_row) const {
    const auto it = std::lower_bound(rows_.begin(), rows_.end(), index_row);
    return it != rows_.end() && *it == index_row ? int(it - rows_.begin()) : -1;
}

void ImageListModel::index_row_changed(int index_row) {
    const int v = view_row(index_row);
    if (v < 0) return;
    const QModelIndex i = this->index(v);
    Q_EMIT dataChanged(i, i);
}

QSize ImageListModel::picture_size() const {
    const int side = thumbnails_shown_ ? ThumbnailCache::kSide : 12;
    return QSize(kMark + 2 + side, side);
}

ImageRowDelegate::ImageRowDelegate(const ImageListModel* model, QObject* parent)
    : QStyledItemDelegate(parent), model_(model) {}

// Room for the picture as if it were an icon (the style lays out text beside it); no icon is set.
void ImageRowDelegate::initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const {
    QStyledItemDelegate::initStyleOption(option, index);
    option->features |= QStyleOptionViewItem::HasDecoration;
    option->decorationSize = model_->picture_size();
}

void ImageRowDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const {
    QStyledItemDelegate::paint(painter, option, index);  // background, selection, text
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QWidget* widget = opt.widget;
    const QStyle* style = widget ? widget->style() : QApplication::style();
    const QRect r = style->subElementRect(QStyle::SE_ItemViewItemDecoration, &opt, widget);
    painter->save();
    paint_row_picture(*painter, r, ReviewStatus(index.data(ImageListModel::StatusRole).toInt()),
                      index.data(ImageListModel::ThumbnailRole).value<QImage>(), model_->thumbnails_shown(),
                      index.data(ImageListModel::FailedRole).toBool());
    painter->restore();
}

void ImageListModel::set_thumbnails_shown(bool on) {
    if (on == thumbnails_shown_) return;
    beginResetModel();  // the rows' height changes
    thumbnails_shown_ = on;
    endResetModel();
}

}  // namespace xs
