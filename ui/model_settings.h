#pragma once
// The X-SAM model settings: where the converted weights are, the device and precision, CPU threads,
// and the memory budget of the prepared-image cache. Persisted with QSettings under "xsam/" and
// "cache/". The dialog checks the folder off the GUI thread as the user types (config.json,
// model.safetensors or its shards, tokenizer.model: present, parseable and matching each other) and
// only lets a folder that passes be used.
#include <QDialog>
#include <QFutureWatcher>
#include <QString>
#include <QStringList>

#include "core/engine/engine.h"

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTimer;

namespace xs {

struct XsamSettings {
    QString model_dir;
    QString device = QStringLiteral("cpu");  // "cpu", "cuda"
    QString dtype;                           // "" (the device's default), "fp32", "bf16", "fp16"
    int threads = 0;                         // 0: every core
    int cache_mb = 2048;                     // prepared-image cache budget (all engines)

    static XsamSettings load();
    void save() const;
    EngineOptions engine_options() const;
};

// The result of checking a model folder, in words for the user.
struct ModelFolderReport {
    bool ok = false;
    QStringList problems;  // what is missing or does not match
    QString summary;       // what was found, when ok
};
// Runs the core check (a few seconds for the full-size model); call it off the GUI thread.
ModelFolderReport check_xsam_folder(const QString& dir);

class ModelSettingsDialog : public QDialog {
    Q_OBJECT
public:
    explicit ModelSettingsDialog(const XsamSettings& settings, QWidget* parent = nullptr);
    ~ModelSettingsDialog() override;
    XsamSettings settings() const;
    // State for tests and scripting.
    QLineEdit* folder_edit() { return folder_; }
    QPushButton* use_button();
    QLabel* status_label() { return status_; }
    QComboBox* device_box() { return device_; }
    bool checking() const { return watcher_ != nullptr; }
    bool folder_ok() const { return checked_ok_; }
    void show_problem(const QString& text);  // e.g. why the last load failed

Q_SIGNALS:
    void check_finished(bool ok);

private:
    void schedule_check();
    void start_check();
    void browse();

    QLineEdit* folder_;
    QComboBox* device_;
    QComboBox* dtype_;
    QSpinBox* threads_;
    QSpinBox* cache_;
    QLabel* status_;
    QDialogButtonBox* buttons_;
    QTimer* debounce_;
    QFutureWatcher<ModelFolderReport>* watcher_ = nullptr;
    QString device_note_;  // e.g. the saved device is a GPU this machine does not have
    QString checked_dir_;
    bool checked_ok_ = false;
    QString extra_problem_;
};

}  // namespace xs
