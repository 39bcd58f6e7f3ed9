#include "ui/image_browser.h"

#include <QItemSelectionModel>
#include <QListView>
#include <QScrollBar>
#include <QTimer>
#include <algorithm>
#include <unordered_set>

#include "core/io/folder_scan.h"
#include "ui/document.h"
#include "ui/image_list_model.h"
#include "ui/qt_convert.h"
#include "ui/thumbnails.h"

namespace xs {

namespace {

constexpr size_t kDecodedCacheSize = 5;  // decoded images kept (the shown one and its neighbours)

struct ScanResult {
    ImageFolder folder;
    QString error;
};

// A short, readable list of names for a message ("a, b, c and 4 more").
QString some_names(const std::vector<std::string>& names) {
    QStringList shown;
    for (size_t i = 0; i < names.size() && i < 3; ++i) shown << display_name(names[i]);
    QString text = shown.join(", ");
    if (names.size() > 3) text += QObject::tr(" and %1 more").arg(names.size() - 3);
    return text;
}

QStringList scan_notes(const ScanResult& r, int listed) {
    QStringList notes;
    if (!r.error.isEmpty()) notes << QObject::tr("The folder could not be scanned: %1").arg(r.error);
    if (r.folder.cancelled) notes << QObject::tr("The folder scan was cancelled; %1 images listed.").arg(listed);
    if (!r.folder.links_not_followed.empty())
        notes << QObject::tr("%1 folder link(s) leading out of the folder or back into it were not followed: %2.")
                     .arg(r.folder.links_not_followed.size())
                     .arg(some_names(r.folder.links_not_followed));
    if (!r.folder.unreadable_folders.empty())
        notes << QObject::tr("%1 folder(s) could not be read: %2.").arg(r.folder.unreadable_folders.size())
                     .arg(some_names(r.folder.unreadable_folders));
    return notes;
}

}  // namespace

constexpr int kThumbnailMargin = 20;  // rows above and below the visible ones whose thumbnails stay asked for

ImageBrowser::ImageBrowser(Document* doc, QListView* list, QObject* parent)
    : QObject(parent),
      doc_(doc),
      list_(list),
      thumbnails_(new ThumbnailCache([doc](const ImageKey& k) { return doc->image_path(k); }, this)),
      model_(new ImageListModel(&index_, thumbnails_, [this](const ImageKey& k) { return load_error(k); }, this)),
      visible_timer_(new QTimer(this)) {
    list_->setUniformItemSizes(true);  // the view then lays out only what it draws
    list_->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    list_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    list_->setModel(model_);
    list_->setItemDelegate(new ImageRowDelegate(model_, list_));
    set_thumbnails_shown(true);
    connect(list_->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& now) {
        const int row = model_->index_row(now.row());
        if (!selecting_ && row >= 0 && row != current_) show(row);
    });
    // Thumbnails are drawn from the cache when their rows are: a repaint of what is on screen, which
    // Qt merges into one for the batch that arrived.
    connect(thumbnails_, &ThumbnailCache::ready, list_->viewport(), qOverload<>(&QWidget::update));
    visible_timer_->setSingleShot(true);
    visible_timer_->setInterval(50);
    connect(visible_timer_, &QTimer::timeout, this, &ImageBrowser::keep_visible_thumbnails);
    // Not restarted by every scroll step: while the list keeps scrolling the requests are trimmed
    // every 50 ms (restarting it let them pile up for the whole scroll).
    connect(list_->verticalScrollBar(), &QScrollBar::valueChanged, this, [this] {
        if (!visible_timer_->isActive()) visible_timer_->start();
    });
}

ImageBrowser::~ImageBrowser() {
    if (scan_) scan_->cancel();
    if (scan_) scan_->wait();
    for (auto& kv : decoding_) kv.second->wait();
}

void ImageBrowser::reset() {
    ++generation_;  // whatever still runs for the previous folder is dropped when it ends
    if (scan_) scan_->cancel();
    scan_.reset();
    decoding_.clear();
    decoded_.clear();
    decoded_order_.clear();
    errors_.clear();
    keys_.clear();
    rows_.clear();
    current_ = -1;
    pending_.clear();
    thumbnails_->clear();
    index_.reset({}, doc_->project());
    model_->set_rows({});
}

void ImageBrowser::scan() {
    reset();
    const std::string root = doc_->image_root().toStdString();
    const int generation = generation_;
    scan_ = run_in_background<ScanResult>(
        this,
        [root](TaskControl& c) {
            ScanResult r;
            try {
                r.folder = scan_image_folder(root, c.cancel_flag(), c.progress_reporter());
            } catch (const std::exception& e) {
                r.error = QString::fromStdString(e.what());
            }
            return r;
        },
        [this, generation](ScanResult r, const TaskControl&) {
            if (generation != generation_) return;
            scan_.reset();
            // The project's own images stay listed when the scan did not see them (moved, or a
            // cancelled scan), so their annotations remain reachable.
            std::vector<ImageKey> keys = std::move(r.folder.files);
            const std::unordered_set<ImageKey> found(keys.begin(), keys.end());
            for (const ImageRecord& rec : doc_->project().images)
                if (!found.count(rec.file_name)) keys.push_back(rec.file_name);
            natural_sort(keys);
            set_keys(std::move(keys));
            Q_EMIT scan_finished(count(), scan_notes(r, count()));
        },
        [this, generation](int found) {
            if (generation == generation_) Q_EMIT scan_progress(found);
        });
}

void ImageBrowser::list_project_images() {
    reset();
    std::vector<ImageKey> keys;
    for (const ImageRecord& rec : doc_->project().images) keys.push_back(rec.file_name);
    natural_sort(keys);
    set_keys(std::move(keys));
    Q_EMIT scan_finished(count(), {});
}

void ImageBrowser::cancel_scan() {
    if (scan_) scan_->cancel();
}

void ImageBrowser::set_keys(std::vector<ImageKey> keys) {
    keys_ = std::move(keys);
    rows_.clear();
    rows_.reserve(keys_.size());
    for (int i = 0; i < count(); ++i) rows_[keys_[size_t(i)]] = i;
    index_.reset(keys_, doc_->project());
    apply_filter();
}

void ImageBrowser::refresh_all() {
    index_.reset(keys_, doc_->project());
    apply_filter();
}

void ImageBrowser::apply_filter() {
    model_->set_rows(index_.filter(filter_, pending_));
    select_in_view(current_);
    Q_EMIT filtered(shown_count(), count());
    visible_timer_->start();
}

void ImageBrowser::set_filter(const ImageFilter& filter) {
    filter_ = filter;
    apply_filter();
}

void ImageBrowser::set_pending(std::set<ImageKey> keys) {
    if (keys == pending_) return;
    pending_ = std::move(keys);
    if (filter_.pending_only) apply_filter();
}

int ImageBrowser::shown_count() const { return model_->rowCount(); }

std::vector<int> ImageBrowser::shown_indexes() const { return model_->rows(); }

void ImageBrowser::set_thumbnails_shown(bool on) {
    model_->set_thumbnails_shown(on);
    const int side = on ? ThumbnailCache::kSide : 12;
    list_->setIconSize(QSize(side + 8, side));
    select_in_view(current_);
}

std::vector<ImageKey> ImageBrowser::selected_keys() const {
    std::vector<int> rows;
    for (const QModelIndex& i : list_->selectionModel()->selectedRows()) rows.push_back(model_->index_row(i.row()));
    std::sort(rows.begin(), rows.end());
    std::vector<ImageKey> keys;
    for (int r : rows)
        if (r >= 0) keys.push_back(key(r));
    if (keys.empty() && current_ >= 0) keys.push_back(current_key());
    return keys;
}

// The list's current row follows the shown image when the filter shows it (without showing it again);
// a row made current by the user's click keeps the selection the click made (Ctrl, Shift).
void ImageBrowser::select_in_view(int index) {
    const int v = model_->view_row(index);
    QItemSelectionModel* sel = list_->selectionModel();
    if (v >= 0 && sel->currentIndex().row() == v) return;
    selecting_ = true;
    if (v < 0) {
        sel->clear();
    } else {
        sel->setCurrentIndex(model_->index(v), QItemSelectionModel::ClearAndSelect);
        list_->scrollTo(model_->index(v));
    }
    selecting_ = false;
}

// Thumbnails are asked for as rows are drawn; requests for rows scrolled far away are dropped.
void ImageBrowser::keep_visible_thumbnails() {
    const QModelIndex top = list_->indexAt(QPoint(1, 1));
    const QModelIndex bottom = list_->indexAt(QPoint(1, list_->viewport()->height() - 2));
    const int first = std::max(0, (top.isValid() ? top.row() : 0) - kThumbnailMargin);
    const int last = std::min(shown_count() - 1, (bottom.isValid() ? bottom.row() : first) + kThumbnailMargin);
    std::set<ImageKey> keep;
    for (int v = first; v <= last; ++v) keep.insert(key(model_->index_row(v)));
    thumbnails_->keep_only(keep);
}

ImageKey ImageBrowser::key(int index) const {
    return index >= 0 && index < count() ? keys_[size_t(index)] : ImageKey();
}

int ImageBrowser::index_of(const ImageKey& key) const {
    auto it = rows_.find(key);
    return it == rows_.end() ? -1 : it->second;
}

// An edited image joins or leaves the filtered list at once (a tag added under a tag filter, the
// last instance of a category removed under a category filter), so the list always shows what the
// filter passes; an edit that changes no image's membership keeps the rows and the selection.
void ImageBrowser::refresh_item(const ImageKey& key) {
    index_.update(key, doc_->project());
    const int row = index_of(key);
    if (row < 0) return;
    const bool listed = model_->view_row(row) >= 0;
    if (listed != index_.passes(row, filter_, pending_)) return apply_filter();
    model_->index_row_changed(row);
}

void ImageBrowser::show(int index) {
    if (index < 0 || index >= count()) return;
    current_ = index;
    select_in_view(index);
    Q_EMIT current_changed(index);
    const ImageKey k = key(index);
    if (auto it = decoded_.find(k); it != decoded_.end()) {
        const LoadedImage loaded = it->second;  // a copy: the handlers may decode more meanwhile
        Q_EMIT image_decoded(k, loaded);
        decode(index + 1);
        decode(index - 1);
    } else if (auto e = errors_.find(k); e != errors_.end()) {
        Q_EMIT decode_failed(k, e->second);
    } else {
        decode(index);
    }
}

void ImageBrowser::next() {
    const std::vector<int>& rows = model_->rows();
    const auto after = std::upper_bound(rows.begin(), rows.end(), current_);
    if (after != rows.end()) show(*after);
}

void ImageBrowser::prev() {
    const std::vector<int>& rows = model_->rows();
    const auto at = std::lower_bound(rows.begin(), rows.end(), current_);
    if (at != rows.begin()) show(*(at - 1));
}

bool ImageBrowser::next_unfinished() {
    const int row = xs::next_unfinished(index_, model_->rows(), current_);
    if (row < 0) return false;
    show(row);
    return true;
}

const LoadedImage* ImageBrowser::decoded(const ImageKey& key) const {
    auto it = decoded_.find(key);
    return it == decoded_.end() ? nullptr : &it->second;
}

QString ImageBrowser::load_error(const ImageKey& key) const {
    auto it = errors_.find(key);
    return it == errors_.end() ? QString() : it->second;
}

void ImageBrowser::decode(int index) {
    const ImageKey k = key(index);
    if (k.empty() || decoded_.count(k) || decoding_.count(k) || errors_.count(k)) return;
    const std::string path = doc_->image_path(k);
    const int generation = generation_;
    decoding_[k] = run_in_background<LoadedImage>(
        this, [path](TaskControl&) { return load_for_display(path); },
        [this, k, generation](LoadedImage loaded, const TaskControl&) { decoded_one(k, std::move(loaded), generation); });
}

void ImageBrowser::decoded_one(const ImageKey& k, LoadedImage loaded, int generation) {
    if (generation != generation_) return;  // from a folder that is no longer open
    decoding_.erase(k);
    if (!loaded.ok()) {
        errors_[k] = loaded.error;
        refresh_item(k);
        Q_EMIT decode_failed(k, loaded.error);
        return;
    }
    remember(k, loaded);
    Q_EMIT image_decoded(k, loaded);
    if (k == current_key()) {  // then the neighbours, so A and D switch at once
        decode(current_ + 1);
        decode(current_ - 1);
    }
}

void ImageBrowser::remember(const ImageKey& k, const LoadedImage& loaded) {
    decoded_[k] = loaded;
    decoded_order_.push_back(k);
    // Keep the newest few, and always the shown image.
    for (size_t i = 0; decoded_order_.size() > kDecodedCacheSize && i < decoded_order_.size();) {
        if (decoded_order_[i] == current_key()) {
            ++i;
            continue;
        }
        decoded_.erase(decoded_order_[i]);
        decoded_order_.erase(decoded_order_.begin() + std::ptrdiff_t(i));
    }
}

}  // namespace xs
