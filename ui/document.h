#pragma once
// The open project: the model, its file, autosave, undo, and change notifications.
//
// Every change is a ProjectEdit (core/annotation/editing.h: the state after it) pushed with edit() or
// edit_instances() as one command on the undo stack; applying a command (first time, undo or redo)
// updates the model, emits the change signals and hands a snapshot to the Autosaver, which writes the
// file atomically on its own thread. Images are named by their ImageKey throughout.
//
// No silent data loss (README "Data safety"): open() takes the project's lock; when another program
// holds it the project is read-only here (every edit is refused, nothing is written). Opening writes
// nothing. Every save is checked against the version read at open or last written; when someone else
// wrote the file, autosave keeps our version in a "<project>.mine-<time>.json" copy and
// changed_on_disk() is emitted until the user takes theirs or overwrites theirs with ours.
#include <QObject>
#include <QString>
#include <QTimer>
#include <QUndoStack>
#include <map>
#include <memory>
#include <optional>

#include "core/annotation/editing.h"
#include "core/annotation/project.h"
#include "core/io/project_file.h"
#include "core/io/project_lock.h"
#include "ui/image_source.h"

namespace xs {

class Document : public QObject {
    Q_OBJECT
public:
    explicit Document(QObject* parent = nullptr);
    ~Document() override;

    // Takes over a project read from project_path as `version` (DiskVersion{}: no file there yet; it
    // is written at the first change). Takes the project's lock; see read_only().
    void open(Project project, const QString& project_path, const DiskVersion& version = {});
    void close();  // flushes, then releases the lock
    bool is_open() const { return open_; }
    // Another program holds the project's lock: edits are refused and nothing is saved.
    bool read_only() const { return !read_only_reason_.isEmpty(); }
    // "The project ... is open for writing in <program (pid, host, since)>; ..." (empty: writable).
    const QString& read_only_reason() const { return read_only_reason_; }
    // A crashed program's lock that open() took over (its holder, described), else empty.
    const QString& stale_lock() const { return stale_lock_; }
    const QString& path() const { return path_; }
    void save_as(const QString& project_path);  // the project moves there; image_root made absolute
    void flush();  // waits until every change is on disk

    Project& project() { return project_; }
    const Project& project() const { return project_; }
    QString image_root() const;                         // absolute folder
    std::string image_path(const ImageKey& key) const;  // absolute path of an image (file system bytes)
    QUndoStack* undo_stack() { return &undo_; }

    // The record for a decoded image, added when new (not an undoable edit): it is kept at the image's
    // full resolution in the file, but while the project is open a reduced (preview) image's record
    // and instances are held at the working resolution, so display, engines and editing all work
    // there (see full_project()). Records the file's fingerprint when first seen; when the file
    // changed since, emits image_file_changed once.
    ImageRecord& ensure_image(const ImageKey& key, const LoadedImage& loaded);
    // The project as it is saved and exported: every record at full resolution. Instances of
    // working-resolution images map back exactly (core/mask/mask_scale.h); an instance whose
    // working mask is unchanged keeps its original full-resolution RLE untouched.
    Project full_project() const;
    // Full and working size of an image shown at reduced resolution; false for the others.
    bool working_resolution(const ImageKey& key, int* full_w, int* full_h, int* work_w, int* work_h) const;

    // Undoable edits. Text is what Edit > Undo shows. An empty edit pushes nothing.
    void edit_instances(const ImageKey& key, Instances after, const QString& text);
    void edit(ProjectEdit after, const QString& text);
    void apply(const ProjectEdit& state);  // used by the undo command
    ProjectEdit current_state_for(const ProjectEdit& like) const;
    // Takes over what an import made of `before` (full_project() when it started): the image records
    // it added (kept without undo, as ensure_image does), the id counters, then every category,
    // instance list and grounding record that differs, as one undo step. Returns false (nothing
    // changed) when the project is read-only here.
    bool adopt_import(const Project& before, const Project& after, const QString& text);

    QString last_save_error() const { return save_error_; }
    // Someone else wrote the project file and the user has not chosen yet (see changed_on_disk).
    bool in_conflict() const { return conflict_; }
    // Where autosave keeps our version during a conflict ("<project>.mine-<time>.json").
    const QString& mine_copy() const { return mine_copy_; }
    // Resolves a conflict with our version: theirs is copied beside the file first, then ours is
    // written over it. Returns the copy of theirs; on failure an empty string and *error says why.
    QString overwrite_theirs(QString* error);
    // Resolves a conflict with theirs: our version stays in mine_copy() (written now if need be) and
    // the file is reopened as it is. Returns the copy of ours; on failure (theirs does not load, say)
    // nothing is reloaded, the conflict stays, and *error names the file and the copy of ours.
    QString take_theirs(QString* error);

Q_SIGNALS:
    void instances_changed(const xs::ImageKey& key);
    void categories_changed();
    // The review status or tags of these images changed (an edit, its undo or redo).
    void reviews_changed(const std::vector<xs::ImageKey>& keys);
    void save_failed(const QString& message);
    void save_recovered();
    // Someone else wrote the project file; autosave has stopped writing it and keeps ours in mine_copy().
    void changed_on_disk();
    // An edit was refused because the project is read-only here (the message says why).
    void edit_refused(const QString& message);
    // An image file changed on disk since it was annotated (message names the file and what changed).
    void image_file_changed(const QString& file_name, const QString& message);

private:
    void autosave();
    void check_disk();
    void start_saver(std::optional<DiskVersion> version);
    void take_lock();
    void on_saver_error(const QString& message);

    Project project_;
    QString path_;
    bool open_ = false;
    QUndoStack undo_;
    std::optional<ProjectLock> lock_;
    QString read_only_reason_;
    QString stale_lock_;
    std::unique_ptr<Autosaver> saver_;
    QString save_error_;
    QTimer disk_timer_;
    int64_t seen_saves_ = 0;
    bool conflict_ = false;
    QString mine_copy_;

    // Images held at working resolution while open: image key -> sizes and, per instance id, pairs
    // (working RLE, full-resolution RLE): `original` for the masks the instance had at full
    // resolution (kept for the session, so an edit undone maps back to exactly the original), and
    // `upsampled` for the last edited mask (so it is upsampled once, not on every save).
    struct Working {
        int full_w = 0, full_h = 0, work_w = 0, work_h = 0;
        std::map<int64_t, std::pair<Rle, Rle>> original;
        mutable std::map<int64_t, std::pair<Rle, Rle>> upsampled;
    };
    std::map<ImageKey, Working> working_;
    ImageRecord full_record(const ImageRecord& rec) const;
    // Image files found changed this session: file name -> current stamp (recorded on the next edit).
    std::map<std::string, std::pair<int64_t, std::string>> changed_files_;
};

}  // namespace xs
