#pragma once
// Import from the GUI (File > Import…): the FormatDialog (every registered format, its options), the
// import on a worker thread into a copy of the project with a progress dialog whose Cancel stops it,
// then the result taken into the open project as one undo step (Document::adopt_import). A bad file
// is refused with the message naming the file and the field, and the project is left as it was.
#include <QObject>
#include <QString>
#include <memory>

#include "core/formats/format.h"
#include "ui/background_task.h"

class QWidget;

namespace xs {

class Document;

class ImportController : public QObject {
    Q_OBJECT
public:
    ImportController(Document* doc, QWidget* window);
    ~ImportController() override;  // cancels a running import and waits for it

    void import_dialog();  // asks which format and file or folder, then start_import
    // Imports with a progress dialog; false when no project is open, it is read-only, or an import
    // is already running. Emits finished when done.
    bool start_import(const QString& format, const QString& path, const FormatSettings& settings);

Q_SIGNALS:
    // ok: the project now holds the import (message: what was added); else why not (nothing changed).
    void finished(bool ok, bool cancelled, const QString& message);

private:
    void done(bool ok, bool cancelled, const QString& message);

    Document* doc_;
    QWidget* window_;
    std::shared_ptr<TaskControl> task_;
};

}  // namespace xs
