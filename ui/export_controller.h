#pragma once
// COCO export from the GUI: the dialog (file, RLE or polygons), the export itself on a worker thread
// with a progress dialog whose Cancel stops it (then nothing is written), and the summary. An output
// that is one of the inputs (the project file, an image) is refused; the dialog asks before replacing
// a file this session did not write (README "Data safety").
#include <QObject>
#include <QString>
#include <memory>

#include "ui/background_task.h"

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
    bool exporting() const { return task_ != nullptr; }
    QProgressDialog* progress_dialog() const { return dialog_; }

Q_SIGNALS:
    // A cancelled or failed export's message is for the notice bar; a written one is shown in a box.
    void finished(bool ok, bool cancelled, const QString& message);

private:
    QProgressDialog* make_progress_dialog(int total, const QString& path);
    // Why path may not be written (it is the project or an image, or a folder), or empty.
    QString output_refusal(const QString& path) const;
    // True when path may be replaced: nothing there, a file this session wrote, or the user said so.
    bool confirm_replace(const QString& path);

    Document* doc_;
    QWidget* window_;
    QProgressDialog* dialog_ = nullptr;
    std::shared_ptr<TaskControl> task_;
};

}  // namespace xs
