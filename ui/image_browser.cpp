#include "ui/image_browser.h"

#include <QListWidget>
#include <QPainter>
#include <unordered_set>

#include "core/io/folder_scan.h"
#include "ui/document.h"
#include "ui/qt_convert.h"

namespace xs {

namespace {

constexpr size_t kDecodedCacheSize = 5;  // decoded images kept (the shown one and its neighbours)

struct ScanResult {
    ImageFolder folder;
    QString error;
};

QIcon status_dot(int instances, bool failed) {
    const QColor dot = failed ? QColor(0xe7, 0x4c, 0x3c) : instances > 0 ? QColor(0x2e, 0xcc, 0x71) : QColor(0, 0, 0, 0);
    QPixmap pm(10, 10);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(instances > 0 || failed ? Qt::NoPen : QPen(QColor(0x90, 0x90, 0x90), 1));
    p.setBrush(dot);
    p.drawEllipse(QRectF(1, 1, 8, 8));
    return QIcon(pm);
}

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

ImageBrowser::ImageBrowser(Document* doc, QListWidget* list, QObject* parent) : QObject(parent), doc_(doc), list_(list) {
    list_->setUniformItemSizes(true);
    list_->setIconSize(QSize(10, 10));
    connect(list_, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0 && row != current_) show(row);
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
    QSignalBlocker block(list_);
    list_->clear();
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
    std::unordered_map<ImageKey, int> instances;
    for (const ImageRecord& rec : doc_->project().images) instances[rec.file_name] = int(rec.instances.size());
    QSignalBlocker block(list_);
    list_->clear();
    for (int i = 0; i < count(); ++i) {
        rows_[keys_[size_t(i)]] = i;
        new QListWidgetItem(list_);
    }
    for (const ImageKey& k : keys_) {
        auto it = instances.find(k);
        QListWidgetItem* item = list_->item(rows_[k]);
        const int n = it == instances.end() ? 0 : it->second;
        item->setIcon(status_dot(n, false));
        item->setText(n > 0 ? QStringLiteral("%1   (%2)").arg(display_name(k)).arg(n) : display_name(k));
        item->setData(Qt::UserRole, n);
        item->setToolTip(n > 0 ? tr("%1 instances").arg(n) : tr("not annotated yet"));
    }
}

ImageKey ImageBrowser::key(int index) const {
    return index >= 0 && index < count() ? keys_[size_t(index)] : ImageKey();
}

int ImageBrowser::index_of(const ImageKey& key) const {
    auto it = rows_.find(key);
    return it == rows_.end() ? -1 : it->second;
}

void ImageBrowser::refresh_item(const ImageKey& key) {
    const int row = index_of(key);
    QListWidgetItem* item = list_->item(row);
    if (!item) return;
    const ImageRecord* rec = doc_->project().find_image(key);
    const int n = rec ? int(rec->instances.size()) : 0;
    const QString error = load_error(key);
    item->setIcon(status_dot(n, !error.isEmpty()));
    item->setText(n > 0 ? QStringLiteral("%1   (%2)").arg(display_name(key)).arg(n) : display_name(key));
    item->setData(Qt::UserRole, n);
    item->setToolTip(!error.isEmpty() ? error : n > 0 ? tr("%1 instances").arg(n) : tr("not annotated yet"));
}

void ImageBrowser::show(int index) {
    if (index < 0 || index >= count()) return;
    current_ = index;
    {
        QSignalBlocker block(list_);
        list_->setCurrentRow(index);
    }
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
    if (current_ + 1 < count()) show(current_ + 1);
}

void ImageBrowser::prev() {
    if (current_ > 0) show(current_ - 1);
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
