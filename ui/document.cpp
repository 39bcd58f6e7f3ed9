#include "ui/document.h"

#include <algorithm>

#include <QDir>
#include <QFileInfo>
#include <QUndoCommand>

#include "core/mask/mask_scale.h"
#include "ui/qt_convert.h"

namespace xs {

namespace {

class EditCommand : public QUndoCommand {
public:
    EditCommand(Document* doc, ProjectEdit before, ProjectEdit after, const QString& text)
        : QUndoCommand(text), doc_(doc), before_(std::move(before)), after_(std::move(after)) {}
    void redo() override { doc_->apply(after_); }
    void undo() override { doc_->apply(before_); }

private:
    Document* doc_;
    ProjectEdit before_, after_;
};

constexpr int kDiskCheckMs = 1500;

}  // namespace

Document::Document(QObject* parent) : QObject(parent) {
    undo_.setUndoLimit(0);  // unlimited
    disk_timer_.setInterval(kDiskCheckMs);
    connect(&disk_timer_, &QTimer::timeout, this, &Document::check_disk);
}

Document::~Document() { close(); }

void Document::open(Project project, const QString& project_path, const DiskVersion& version) {
    close();
    project_ = std::move(project);
    path_ = QFileInfo(project_path).absoluteFilePath();
    open_ = true;
    take_lock();
    if (read_only()) return;  // nothing is written, so nothing to watch for
    start_saver(version);     // opening writes nothing: the first change does
    disk_timer_.start();
}

void Document::close() {
    disk_timer_.stop();
    if (saver_) saver_->flush();
    saver_.reset();
    lock_.reset();  // after the last save
    read_only_reason_.clear();
    stale_lock_.clear();
    undo_.clear();
    project_ = Project();
    path_.clear();
    open_ = false;
    save_error_.clear();
    conflict_ = false;
    mine_copy_.clear();
    working_.clear();
    changed_files_.clear();
}

void Document::take_lock() {
    LockAttempt attempt = try_lock_project(path_.toStdString(), "xsam-studio");
    if (attempt.lock) {
        lock_ = std::move(attempt.lock);
        if (attempt.stale) stale_lock_ = qstr(attempt.stale->describe());
    } else if (attempt.holder) {
        read_only_reason_ = tr("%1 is open for writing in %2, so it is open read-only here: changes are refused and "
                               "nothing is saved. Close it there, then open it here again.")
                                .arg(path_, qstr(attempt.holder->describe()));
    }
    // Neither: the folder cannot hold a lock file (read-only, say); the first save will say why.
}

// `version`: what the file was when read (nullopt: as it is on disk now, for a place the user chose).
void Document::start_saver(std::optional<DiskVersion> version) {
    // The callback runs on the saver's thread; the saver is joined in close() before this object
    // goes, so posting to `this` is safe.
    auto report = [this](const std::string& message) {
        const QString text = QString::fromStdString(message);
        QMetaObject::invokeMethod(this, [this, text] { on_saver_error(text); }, Qt::QueuedConnection);
    };
    if (version) saver_ = std::make_unique<Autosaver>(path_.toStdString(), *version, report);
    else saver_ = std::make_unique<Autosaver>(path_.toStdString(), report);
    seen_saves_ = 0;
}

// A save met someone else's version (the saver now keeps ours in a side copy), or failed.
void Document::on_saver_error(const QString& message) {
    const std::optional<Autosaver::Conflict> conflict = saver_ ? saver_->conflict() : std::nullopt;
    if (conflict && conflict->message == message.toStdString()) {
        if (conflict_) return;
        conflict_ = true;
        mine_copy_ = QString::fromStdString(conflict->kept_copy);
        Q_EMIT changed_on_disk();
        return;
    }
    save_error_ = message;
    Q_EMIT save_failed(message);
}

void Document::save_as(const QString& project_path) {
    if (!open_) return;
    if (saver_) saver_->flush();
    const QString old_root = image_root();
    saver_.reset();
    lock_.reset();
    read_only_reason_.clear();
    conflict_ = false;
    mine_copy_.clear();
    save_error_.clear();
    path_ = QFileInfo(project_path).absoluteFilePath();
    project_.image_root = QDir(QFileInfo(path_).absolutePath()).relativeFilePath(old_root).toStdString();
    if (project_.image_root.empty()) project_.image_root = ".";
    take_lock();
    if (read_only()) {
        save_error_ = read_only_reason_;
        Q_EMIT save_failed(read_only_reason_);
        return;
    }
    start_saver(std::nullopt);  // the user chose to replace what is there
    autosave();
    saver_->flush();
    // The saver reports failures through a queued call, so look at the file itself.
    if (QFileInfo::exists(path_)) {
        save_error_.clear();
        Q_EMIT save_recovered();
    }
    disk_timer_.start();
}

void Document::flush() {
    if (saver_) saver_->flush();
}

QString Document::image_root() const {
    QString root = qstr(project_.image_root);
    if (QDir::isAbsolutePath(root)) return QDir::cleanPath(root);
    return QDir::cleanPath(QFileInfo(path_).absolutePath() + "/" + root);
}

std::string Document::image_path(const ImageKey& key) const { return image_root().toStdString() + "/" + key; }

ImageRecord& Document::ensure_image(const ImageKey& name, const LoadedImage& loaded) {
    const QString file_name = display_name(name);
    const int W = loaded.full_width > 0 ? loaded.full_width : loaded.image->width;
    const int H = loaded.full_height > 0 ? loaded.full_height : loaded.image->height;
    ImageRecord* rec = project_.find_image(name);
    bool dirty = false;
    if (!rec) {
        rec = &project_.add_image(name, W, H);
        dirty = true;
    }
    // Fingerprint: recorded when first seen; a different file is reported once per session.
    if (loaded.file_size >= 0 && !loaded.file_hash.empty()) {
        if (rec->file_size < 0 || rec->file_hash.empty()) {
            rec->file_size = loaded.file_size;
            rec->file_hash = loaded.file_hash;
            dirty = true;
        } else if ((rec->file_size != loaded.file_size || rec->file_hash != loaded.file_hash) && !changed_files_.count(name)) {
            changed_files_[name] = {loaded.file_size, loaded.file_hash};
            QString what = rec->file_size != loaded.file_size
                               ? tr("%1 bytes, was %2").arg(loaded.file_size).arg(rec->file_size)
                               : tr("same size, different content");
            Q_EMIT image_file_changed(file_name, tr("%1 changed on disk since it was annotated (%2); check that its %3 instance(s) still match.")
                                                     .arg(file_name, what).arg(rec->instances.size()));
        }
    }
    // A reduced image: hold its record at the working resolution while the project is open.
    const int w = loaded.image->width, h = loaded.image->height;
    if ((w != W || h != H) && !working_.count(name) && rec->width == W && rec->height == H) {
        Working& wk = working_[name];
        wk.full_w = W;
        wk.full_h = H;
        wk.work_w = w;
        wk.work_h = h;
        for (Instance& inst : rec->instances) {
            if (inst.mask.width != W || inst.mask.height != H) continue;
            Rle down = rle_downsample(inst.mask, w, h);
            wk.original[inst.id] = {down, inst.mask};
            inst.mask = std::move(down);
        }
        rec->width = w;
        rec->height = h;
    }
    if (dirty) autosave();
    return *rec;
}

bool Document::working_resolution(const ImageKey& key, int* full_w, int* full_h, int* work_w, int* work_h) const {
    auto it = working_.find(key);
    if (it == working_.end()) return false;
    if (full_w) *full_w = it->second.full_w;
    if (full_h) *full_h = it->second.full_h;
    if (work_w) *work_w = it->second.work_w;
    if (work_h) *work_h = it->second.work_h;
    return true;
}

ImageRecord Document::full_record(const ImageRecord& rec) const {
    auto it = working_.find(rec.file_name);
    if (it == working_.end()) return rec;
    const Working& wk = it->second;
    ImageRecord out = rec;
    out.width = wk.full_w;
    out.height = wk.full_h;
    for (Instance& inst : out.instances) {
        auto o = wk.original.find(inst.id);
        auto u = wk.upsampled.find(inst.id);
        if (o != wk.original.end() && o->second.first == inst.mask) {
            inst.mask = o->second.second;  // unchanged: exactly the full-resolution RLE it had
        } else if (u != wk.upsampled.end() && u->second.first == inst.mask) {
            inst.mask = u->second.second;
        } else {
            Rle full = rle_upsample(inst.mask, wk.full_w, wk.full_h);
            wk.upsampled[inst.id] = {inst.mask, full};
            inst.mask = std::move(full);
        }
    }
    return out;
}

Project Document::full_project() const {
    if (working_.empty()) return project_;
    Project p = project_;
    for (ImageRecord& rec : p.images) {
        if (working_.count(rec.file_name)) rec = full_record(rec);
    }
    return p;
}

ProjectEdit Document::current_state_for(const ProjectEdit& like) const {
    ProjectEdit s;
    if (like.categories) s.categories = project_.categories;
    for (const auto& kv : like.instances) {
        const ImageRecord* rec = project_.find_image(kv.first);
        s.instances[kv.first] = rec ? rec->instances : std::vector<Instance>();
    }
    for (const auto& kv : like.grounding) {
        const ImageRecord* rec = project_.find_image(kv.first);
        s.grounding[kv.first] = rec ? ImageGrounding{rec->captions, rec->episodes} : ImageGrounding{};
    }
    for (const auto& kv : like.reviews) s.reviews[kv.first] = project_.review(kv.first);
    return s;
}

namespace {

bool same_categories(const std::vector<Category>& a, const std::vector<Category>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const Category& x, const Category& y) {
        return x.id == y.id && x.name == y.name && x.color == y.color;
    });
}

bool same_instances(const Instances& a, const Instances& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const Instance& x, const Instance& y) {
        return x.id == y.id && x.category_id == y.category_id && x.mask == y.mask && x.score == y.score &&
               x.source == y.source && x.visible == y.visible && x.prompt == y.prompt && x.referring == y.referring;
    });
}

}  // namespace

bool Document::adopt_import(const Project& before, const Project& after, const QString& text) {
    if (!open_) return false;
    if (read_only()) {
        Q_EMIT edit_refused(read_only_reason_);
        return false;
    }
    ProjectEdit change;
    if (!same_categories(before.categories, after.categories)) change.categories = after.categories;
    for (const ImageRecord& rec : after.images) {
        if (!project_.find_image(rec.file_name)) {
            ImageRecord bare = rec;
            bare.instances.clear();
            bare.captions.clear();
            bare.episodes.clear();
            project_.images.push_back(std::move(bare));
        }
        const ImageRecord* old = before.find_image(rec.file_name);
        if (!old || !same_instances(old->instances, rec.instances)) change.instances[rec.file_name] = rec.instances;
        const ImageGrounding grounding{rec.captions, rec.episodes};
        if (old ? !(ImageGrounding{old->captions, old->episodes} == grounding) : !(grounding == ImageGrounding{}))
            change.grounding[rec.file_name] = grounding;
    }
    // Ids are never reused: the counters move forward and are not undone.
    project_.next_category_id = std::max(project_.next_category_id, after.next_category_id);
    project_.next_image_id = std::max(project_.next_image_id, after.next_image_id);
    project_.next_instance_id = std::max(project_.next_instance_id, after.next_instance_id);
    edit(std::move(change), text);
    return true;
}

void Document::edit_instances(const ImageKey& key, Instances after, const QString& text) {
    ProjectEdit s;
    s.instances[key] = std::move(after);
    edit(std::move(s), text);
}

void Document::edit(ProjectEdit after, const QString& text) {
    if (!open_ || after.empty()) return;
    if (read_only()) {
        Q_EMIT edit_refused(read_only_reason_);
        return;
    }
    ProjectEdit before = current_state_for(after);
    undo_.push(new EditCommand(this, std::move(before), std::move(after), text));
}

void Document::apply(const ProjectEdit& state) {
    if (state.categories) project_.categories = *state.categories;
    for (const auto& kv : state.instances) {
        if (ImageRecord* rec = project_.find_image(kv.first)) {
            rec->instances = kv.second;
            // Full-resolution masks arriving in a working-resolution record (an undo step from
            // before the image was opened, an import) are mapped down, remembering the original.
            auto wk = working_.find(rec->file_name);
            if (wk != working_.end()) {
                for (Instance& inst : rec->instances) {
                    if (inst.mask.width == wk->second.full_w && inst.mask.height == wk->second.full_h) {
                        Rle down = rle_downsample(inst.mask, wk->second.work_w, wk->second.work_h);
                        wk->second.original[inst.id] = {down, inst.mask};
                        inst.mask = std::move(down);
                    }
                }
            }
            // Annotating an image whose file changed: the annotations now go with the new file.
            auto changed = changed_files_.find(rec->file_name);
            if (changed != changed_files_.end()) {
                rec->file_size = changed->second.first;
                rec->file_hash = changed->second.second;
                changed_files_.erase(changed);
            }
        }
    }
    for (const auto& kv : state.grounding) {
        if (ImageRecord* rec = project_.find_image(kv.first)) {
            rec->captions = kv.second.captions;
            rec->episodes = kv.second.episodes;
        }
    }
    for (const auto& kv : state.reviews) project_.set_review(kv.first, kv.second);
    if (state.categories) Q_EMIT categories_changed();
    for (const auto& kv : state.instances) Q_EMIT instances_changed(kv.first);
    for (const auto& kv : state.grounding)
        if (!state.instances.count(kv.first)) Q_EMIT instances_changed(kv.first);
    if (!state.reviews.empty()) {
        std::vector<ImageKey> keys;
        for (const auto& kv : state.reviews) keys.push_back(kv.first);
        Q_EMIT reviews_changed(keys);
    }
    autosave();
}

void Document::autosave() {
    if (!saver_) return;
    if (working_.empty()) {
        saver_->submit(project_);
    } else {
        saver_->submit(full_project());
    }
}

QString Document::overwrite_theirs(QString* error) {
    if (!saver_) return QString();
    QString theirs;
    try {
        saver_->flush();
        if (QFileInfo::exists(path_)) theirs = QString::fromStdString(keep_side_copy(path_.toStdString(), "theirs"));
        saver_->adopt_disk_version();  // the saver writes only over a version it knows
    } catch (const std::exception& e) {
        *error = tr("Could not keep a copy of the other version: %1; your version stays in %2 and the file was not changed.")
                     .arg(QString::fromStdString(e.what()), mine_copy_);
        return QString();
    }
    conflict_ = false;
    mine_copy_.clear();
    autosave();
    return theirs;
}

QString Document::take_theirs(QString* error) {
    QString mine;
    try {
        if (saver_) saver_->flush();  // during a conflict the saver keeps every snapshot in its copy
        const std::optional<Autosaver::Conflict> conflict = saver_ ? saver_->conflict() : std::nullopt;
        if (conflict) {
            mine = QString::fromStdString(conflict->kept_copy);
        } else {
            mine = QString::fromStdString(side_copy_path(path_.toStdString(), "mine"));
            atomic_write_file(mine.toStdString(), project_to_json(full_project()));
        }
    } catch (const std::exception& e) {
        *error = tr("Could not keep a copy of your version: %1; nothing was reloaded.").arg(QString::fromStdString(e.what()));
        return QString();
    }
    mine_copy_ = mine;
    Project theirs;
    DiskVersion version;
    try {
        theirs = load_project(path_.toStdString(), &version);
    } catch (const std::exception& e) {
        *error = tr("Could not read the other version: %1\nNothing was reloaded; your version is kept in %2.")
                     .arg(QString::fromStdString(e.what()), mine);
        return QString();
    }
    const QString path = path_;  // open() closes first, which clears path_
    open(std::move(theirs), path, version);
    return mine;
}

// The file on disk is not the version the saver expects: someone else wrote it, or our own save has
// renamed it and not yet recorded its version. The checked save tells which: for someone else's it
// keeps our version in a side copy and reports the conflict (on_saver_error); for ours it is one more
// save of the same state.
void Document::check_disk() {
    if (!saver_ || conflict_) return;
    const int64_t saves = saver_->saves_completed();
    if (!save_error_.isEmpty() && saves > seen_saves_) {
        save_error_.clear();
        Q_EMIT save_recovered();
    }
    seen_saves_ = saves;
    try {
        if (disk_version(path_.toStdString()) != saver_->expected_version()) autosave();
    } catch (const std::exception&) {
        // Unreadable now: the next save reports why.
    }
}

}  // namespace xs
