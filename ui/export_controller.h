#pragma once
// COCO export from the GUI: the dialog (file, RLE or polygons), the export itself on a worker thread
// with a progress dialog whose Cancel stops it (then nothing is written), and the summary.
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

    Document* doc_;
    QWidget* window_;
    QProgressDialog* dialog_ = nullptr;
    std::shared_ptr<TaskControl> task_;
};

}  // namespace xs
