#pragma once
// The image list as a model (QListView in uniform-size mode draws only the rows on screen, so a
// list of 100,000 images costs what a screenful does): the rows of the ImageIndex that pass the
// current filter, each showing its review status (a coloured mark), name, instance count, tags and,
// when thumbnails are on, its thumbnail (asked from the ThumbnailCache when the row is drawn).
//
// Two kinds of row numbers: an index row is the image's place in the whole list (ImageIndex,
// ImageBrowser's show()); a view row its place among the rows shown. view_row() / index_row() map them.
#include <QAbstractListModel>
#include <QStyledItemDelegate>
#include <QString>
#include <functional>
#include <vector>

#include "core/review/image_index.h"

namespace xs {

class ThumbnailCache;

class ImageListModel : public QAbstractListModel {
    Q_OBJECT
public:
    // Data roles besides Qt's: the instance count (int), the review status (int, ReviewStatus), the
    // key (QByteArray), the thumbnail (QImage, null until it arrives; asks for it) and whether the
    // file could not be read (bool). ImageRowDelegate paints the picture from them.
    enum Role { InstanceCountRole = Qt::UserRole, StatusRole, KeyRole, ThumbnailRole, FailedRole };
    using ErrorOf = std::function<QString(const ImageKey&)>;  // why an image could not be read, or ""
    ImageListModel(const ImageIndex* index, ThumbnailCache* thumbnails, ErrorOf error_of, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role) const override;

    void set_rows(std::vector<int> index_rows);  // what passes the filter, in list order
    const std::vector<int>& rows() const { return rows_; }
    int index_row(int view_row) const;  // -1 when out of range
    int view_row(int index_row) const;  // -1 when that image is not shown
    void index_row_changed(int index_row);  // its summary, error or thumbnail changed: redraw it
    void set_thumbnails_shown(bool on);
    bool thumbnails_shown() const { return thumbnails_shown_; }
    QSize picture_size() const;  // the status bar and the thumbnail

private:
    QString text(const ImageSummary& s) const;
    QString tooltip(const ImageSummary& s) const;
    const ImageIndex* index_;
    ThumbnailCache* thumbnails_;
    ErrorOf error_of_;
    std::vector<int> rows_;
    bool thumbnails_shown_ = true;
};

// Paints a row of ImageListModel: Qt's own item (selection, text) beside the status bar and thumbnail.
class ImageRowDelegate : public QStyledItemDelegate {
public:
    explicit ImageRowDelegate(const ImageListModel* model, QObject* parent = nullptr);
    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;

protected:
    void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override;

private:
    const ImageListModel* model_;
};

// The colour that marks a review status in the list (and the filter bar).
QColor review_status_color(ReviewStatus status);

}  // namespace xs
