#pragma once
// Exports from the GUI: COCO (File > Export COCO: file, RLE or polygons) and every registered format
// (File > Export as…: FormatDialog), each on a worker thread with a progress dialog whose Cancel stops
// it (then nothing is written), and the summary (for a format, what it lost per image). An output that
// is one of the inputs (the project file, an image, a folder holding them) is refused; the dialog asks
// before replacing a file or folder this session did not write (README "Data safety").
#include <QObject>
#include <QString>
#include <functional>
#include <memory>

#include "core/formats/format.h"
#include "core/io/output_guard.h"
#include "ui/background_task.h"
#include "ui/coco_export.h"

class QProgressDialog;
class QWidget;

namespace xs {

class Document;

class ExportController : public QObject {
    Q_OBJECT
public:
    ExportController(Document* doc, QWidget* window);
    ~ExportController() override;  // cancels a running export and waits for it

    void export_dialog();  // asks where and how, then start_export
    // Exports with a progress dialog; returns false when no project is open or an export is already
    // running. Emits finished when done.
    bool start_export(const QString& path, bool polygons);
    // The same on the calling thread (scripts and tests); false with a message in *summary.
    bool export_now(const QString& path, bool polygons, QString* summary);

    void export_as_dialog();  // any registered format: asks which, where and how, then start_format_export
    // As start_export, in the format named (its options as FormatSettings).
    bool start_format_export(const QString& format, const QString& path, const FormatSettings& settings);
    bool exporting() const { return task_ != nullptr; }
    QProgressDialog* progress_dialog() const { return dialog_; }

Q_SIGNALS:
    // A cancelled or failed export's message is for the notice bar; a written one is shown in a box.
    void finished(bool ok, bool cancelled, const QString& message);

private:
    using Work = std::function<CocoExportResult(const std::function<bool(int done, int total)>& progress)>;
    // Runs `work` on a worker thread with the progress dialog; the summary box is titled `title`.
    void run_export(const QString& title, const QString& path, int total, Work work);
    QProgressDialog* make_progress_dialog(const QString& title, int total, const QString& path);
    void show_summary(const QString& title, const QString& message);
    std::vector<NamedInput> inputs() const;  // the project and its images
    // Why path may not be written (it is the project or an image, or a folder), or empty.
    QString output_refusal(const QString& path) const;
    // The same for an export to `path` in `format` (a folder format: a folder not holding an input).
    QString format_output_refusal(const Format& format, const QString& path) const;
    // True when path may be replaced: nothing there, a file this session wrote, or the user said so.
    bool confirm_replace(const QString& path);
    // The same for an output folder: missing or empty, written by this session, or the user said so.
    bool confirm_replace_folder(const QString& path);

    Document* doc_;
    QWidget* window_;
    QProgressDialog* dialog_ = nullptr;
    std::shared_ptr<TaskControl> task_;
};

}  // namespace xs
