#include "ui/document.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
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

void Document::open(Project project, const QString& project_path) {
    close();
    project_ = std::move(project);
    path_ = QFileInfo(project_path).absoluteFilePath();
    open_ = true;
    start_saver();
    autosave();
    disk_timer_.start();
}

void Document::close() {
    disk_timer_.stop();
    if (saver_) saver_->flush();
    saver_.reset();
    undo_.clear();
    project_ = Project();
    path_.clear();
    open_ = false;
    save_error_.clear();
    disk_conflict_ = false;
    suspect_stamp_.clear();
    working_.clear();
    changed_files_.clear();
}

void Document::start_saver() {
    // The callback runs on the saver's thread; the saver is joined in close() before this object
    // goes, so posting to `this` is safe.
    saver_ = std::make_unique<Autosaver>(path_.toStdString(), [this](const std::string& message) {
        QString text = QString::fromStdString(message);
        QMetaObject::invokeMethod(this, [this, text] {
                save_error_ = text;
                Q_EMIT save_failed(text);
            }, Qt::QueuedConnection);
    });
    seen_saves_ = 0;
    known_stamp_.clear();
}

void Document::save_as(const QString& project_path) {
    if (!open_) return;
    if (saver_) saver_->flush();
    QString old_root = image_root();
    path_ = QFileInfo(project_path).absoluteFilePath();
    project_.image_root = QDir(QFileInfo(path_).absolutePath()).relativeFilePath(old_root).toStdString();
    if (project_.image_root.empty()) project_.image_root = ".";
    save_error_.clear();
    start_saver();
    autosave();
    saver_->flush();
    // The saver reports failures through a queued call, so look at the file itself.
    if (QFileInfo::exists(path_)) {
        save_error_.clear();
        Q_EMIT save_recovered();
    }
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
    const QString file_name = qstr(name);
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
    return s;
}

void Document::edit_instances(const ImageKey& key, Instances after, const QString& text) {
    ProjectEdit s;
    s.instances[key] = std::move(after);
    edit(std::move(s), text);
}

void Document::edit(ProjectEdit after, const QString& text) {
    if (!open_ || after.empty()) return;
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
    if (state.categories) Q_EMIT categories_changed();
    for (const auto& kv : state.instances) Q_EMIT instances_changed(kv.first);
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

QString Document::backup_path(const char* which) const {
    return path_ + "." + which + "-" + QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss") + ".json";
}

QString Document::keep_mine() {
    const QString backup = backup_path("theirs");
    QFile::copy(path_, backup);
    disk_conflict_ = false;
    suspect_stamp_.clear();
    known_stamp_.clear();
    if (saver_) saver_->adopt_disk_version();  // the saver writes only over a version it knows
    autosave();
    return backup;
}

QString Document::reload_theirs(QString* error) {
    const QString backup = backup_path("mine");
    try {
        atomic_write_file(backup.toStdString(), project_to_json(full_project()));
    } catch (const std::exception& e) {
        *error = tr("Could not keep a copy of your version: %1; nothing was reloaded.").arg(QString::fromStdString(e.what()));
        return QString();
    }
    Project theirs;
    try {
        theirs = load_project(path_.toStdString());
    } catch (const std::exception& e) {
        *error = tr("Could not read the changed file: %1 (your version is kept in %2)").arg(QString::fromStdString(e.what()), backup);
        return QString();
    }
    const QString path = path_;  // open() closes first, which clears path_
    open(std::move(theirs), path);
    return backup;
}

QString Document::disk_stamp() const {
    QFileInfo fi(path_);
    if (!fi.exists()) return QString();
    return QString::number(fi.lastModified().toMSecsSinceEpoch()) + ":" + QString::number(fi.size());
}

// Our own saves move the file's stamp too; a stamp change with no save of ours in between, seen at two
// checks in a row, means someone else wrote the file.
void Document::check_disk() {
    if (!saver_ || disk_conflict_) return;
    int64_t saves_before = saver_->saves_completed();
    QString stamp = disk_stamp();
    int64_t saves_after = saver_->saves_completed();
    if (saves_before != saves_after) return;  // a save landed while we looked; check next time
    if (saves_after != seen_saves_) {
        if (!save_error_.isEmpty() && saves_after > seen_saves_) {
            save_error_.clear();
            Q_EMIT save_recovered();
        }
        seen_saves_ = saves_after;
        known_stamp_ = stamp;
        suspect_stamp_.clear();
        return;
    }
    if (known_stamp_.isEmpty() || stamp == known_stamp_) {
        suspect_stamp_.clear();
        return;
    }
    // The file changed and no save of ours has counted itself. Ours renames the file a moment before
    // it counts (and a busy machine can stretch that moment past this check), so only a change still
    // unexplained at the next check is someone else's (found by the GUI monkey).
    if (stamp != suspect_stamp_) {
        suspect_stamp_ = stamp;
        return;
    }
    disk_conflict_ = true;
    Q_EMIT changed_on_disk();
}

}  // namespace xs
