#pragma once
// The open project: the model, its file, autosave, undo, and change notifications.
//
// Every change is a ProjectEdit (core/annotation/editing.h: the state after it) pushed with edit() or
// edit_instances() as one command on the undo stack; applying a command (first time, undo or redo)
// updates the model, emits the change signals and hands a snapshot to the Autosaver, which writes the
// file atomically on its own thread. Images are named by their ImageKey throughout. A timer notices
// when the project file is changed by someone else.
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
#include "ui/image_source.h"

namespace xs {

class Document : public QObject {
    Q_OBJECT
public:
    explicit Document(QObject* parent = nullptr);
    ~Document() override;

    // Takes over a project that lives in project_path (the file may not exist yet: it is written now).
    void open(Project project, const QString& project_path);
    void close();
    bool is_open() const { return open_; }
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

    QString last_save_error() const { return save_error_; }
    // After changed_on_disk(): keep the version in memory and write it over the file again; the other
    // version is copied beside it first. Returns the copy's path.
    QString keep_mine();
    // After changed_on_disk(): reopen the file as it is now; our version is written beside it first
    // (returns its path). On failure nothing is reloaded and *error says why.
    QString reload_theirs(QString* error);

Q_SIGNALS:
    void instances_changed(const xs::ImageKey& key);
    void categories_changed();
    void save_failed(const QString& message);
    void save_recovered();
    void changed_on_disk();
    // An image file changed on disk since it was annotated (message names the file and what changed).
    void image_file_changed(const QString& file_name, const QString& message);

private:
    void autosave();
    void check_disk();
    void start_saver();
    QString disk_stamp() const;
    QString backup_path(const char* which) const;  // <project>.<which>-<time>.json

    Project project_;
    QString path_;
    bool open_ = false;
    QUndoStack undo_;
    std::unique_ptr<Autosaver> saver_;
    QString save_error_;
    QTimer disk_timer_;
    int64_t seen_saves_ = 0;
    QString known_stamp_;
    QString suspect_stamp_;  // a change seen once and not yet explained by a save of ours
    bool disk_conflict_ = false;

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
