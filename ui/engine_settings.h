#pragma once
// An engine's settings page, generated from what the engine says it takes (EngineDescription in
// core/engine/engine.h): a folder field (checked as the user types, off the GUI thread, with the
// engine's own check), a list per choice (choices this machine lacks are greyed out, saying why), a
// number field per integer, plus the prepared-image cache budget every engine shares. Values are kept
// with QSettings under "<engine>/<option key>" and "cache/budget_mb".
#include <QDialog>
#include <QMap>
#include <QString>
#include <memory>

#include "core/engine/engine.h"
#include "ui/background_task.h"

class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTimer;

namespace xs {

struct EngineSettings {
    EngineOptions options;  // every option of the description, default where never set
    int cache_mb = 2048;    // prepared-image cache budget (all engines)

    static EngineSettings load(const EngineDescription& engine);
    void save(const EngineDescription& engine) const;
    // The model folder when the engine needs one and it is set ("" otherwise).
    std::string model_folder(const EngineDescription& engine) const;
};

class EngineSettingsDialog : public QDialog {
    Q_OBJECT
public:
    EngineSettingsDialog(const EngineDescription& engine, const EngineSettings& settings, QWidget* parent = nullptr);
    ~EngineSettingsDialog() override;
    const std::string& engine_name() const { return engine_.name; }
    EngineSettings settings() const;
    void show_problem(const QString& text);  // e.g. why the last load failed

    // For tests and scripting.
    QWidget* field(const std::string& key) const;  // the option's editor (QLineEdit, QComboBox, QSpinBox)
    QLineEdit* folder_edit() const;                // the model folder's editor, if the engine has one
    QPushButton* use_button();
    QLabel* status_label() { return status_; }
    bool checking() const { return check_ != nullptr; }
    bool folder_ok() const { return checked_ok_; }

Q_SIGNALS:
    void check_finished(bool ok);

private:
    QWidget* make_field(const EngineOption& option, const std::string& value);
    QWidget* make_folder_field(const EngineOption& option, const std::string& value);
    QWidget* make_choice_field(const EngineOption& option, const std::string& value);
    void schedule_check();
    void start_check();
    void show_report(const FolderReport& report, const QString& dir);

    EngineDescription engine_;
    QMap<QString, QWidget*> fields_;
    QSpinBox* cache_;
    QLabel* status_;
    QDialogButtonBox* buttons_;
    QTimer* debounce_;
    std::shared_ptr<TaskControl> check_;
    QStringList notes_;     // e.g. a saved choice this machine does not offer
    QString extra_problem_;
    bool checked_ok_ = false;
};

}  // namespace xs
