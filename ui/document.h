#pragma once
// The open project: the model, its file, autosave, undo, and change notifications.
//
// Every change goes through edit_instances() / edit_categories(), which push an EditCommand on the
// undo stack; applying a command (first time, undo or redo) updates the model, emits the change
// signals and hands a snapshot to the Autosaver, which writes the file atomically on its own thread.
// A timer notices when the project file is changed by someone else.
#include <QObject>
#include <QString>
#include <QTimer>
#include <QUndoStack>
#include <map>
#include <memory>
#include <optional>

#include "core/annotation/project.h"
#include "core/io/project_file.h"

namespace xs {

struct EditState {
    std::optional<std::vector<Category>> categories;          // set when categories change
    std::map<int, std::vector<Instance>> instances;           // image id -> its instance list
};

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
    QString image_root() const;                              // absolute folder
    QString image_path(const std::string& file_name) const;  // absolute path of an image
    QUndoStack* undo_stack() { return &undo_; }

    // The record for an image (relative path), added with its size when new. Not an undoable edit.
    ImageRecord& ensure_image(const QString& file_name, int width, int height);
    // A new instance with a fresh id (not yet in the project: put it in an edit).
    Instance make_instance(int category_id, Rle mask, float score, const std::string& source);

    // Undoable edits. Text is what Edit > Undo shows.
    void edit_instances(int image_id, std::vector<Instance> after, const QString& text);
    void edit(EditState after, const QString& text);
    void apply(const EditState& state);  // used by EditCommand
    EditState current_state_for(const EditState& like) const;

    QString last_save_error() const { return save_error_; }
    // After changed_on_disk(): keep the version in memory and write it over the file again.
    void keep_mine();

Q_SIGNALS:
    void instances_changed(int image_id);
    void categories_changed();
    void save_failed(const QString& message);
    void save_recovered();
    void changed_on_disk();

private:
    void autosave();
    void check_disk();
    void start_saver();
    QString disk_stamp() const;

    Project project_;
    QString path_;
    bool open_ = false;
    QUndoStack undo_;
    std::unique_ptr<Autosaver> saver_;
    QString save_error_;
    QTimer disk_timer_;
    int64_t seen_saves_ = 0;
    QString known_stamp_;
    bool disk_conflict_ = false;
};

}  // namespace xs
