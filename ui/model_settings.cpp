#include "ui/model_settings.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#ifdef XS_HAVE_XSAM
#include "core/builtin/builtin_engines.h"
#include "core/xsam/engine/model_folder.h"
#endif

namespace xs {

XsamSettings XsamSettings::load() {
    QSettings s;
    XsamSettings x;
    x.model_dir = s.value("xsam/model_dir").toString();
    x.device = s.value("xsam/device", "cpu").toString();
    x.dtype = s.value("xsam/dtype").toString();
    x.threads = s.value("xsam/threads", 0).toInt();
    x.cache_mb = s.value("cache/budget_mb", 2048).toInt();
    return x;
}

void XsamSettings::save() const {
    QSettings s;
    s.setValue("xsam/model_dir", model_dir);
    s.setValue("xsam/device", device);
    s.setValue("xsam/dtype", dtype);
    s.setValue("xsam/threads", threads);
    s.setValue("cache/budget_mb", cache_mb);
}

EngineOptions XsamSettings::engine_options() const {
    EngineOptions o;
    o["model"] = model_dir.toStdString();
    o["device"] = device.toStdString();
    if (!dtype.isEmpty()) o["dtype"] = dtype.toStdString();
    if (threads > 0) o["threads"] = std::to_string(threads);
    return o;
}

ModelFolderReport check_xsam_folder(const QString& dir) {
    ModelFolderReport r;
    if (dir.trimmed().isEmpty()) {
        r.problems << QObject::tr("Choose the folder with the converted X-SAM model.");
        return r;
    }
#ifdef XS_HAVE_XSAM
    const xsam::ModelFolderCheck c = xsam::check_model_folder(QDir::cleanPath(dir).toStdString());
    for (const std::string& p : c.problems) r.problems << QString::fromStdString(p);
    r.ok = c.ok();
    if (r.ok) {
        r.summary = QObject::tr("%1: %2 M parameters, %3 tensors (%4, %5 MB), tokenizer with %6 tokens")
                        .arg(QString::fromStdString(c.config_name.empty() ? std::string("X-SAM") : c.config_name))
                        .arg(double(c.parameters) / 1e6, 0, 'f', 1)
                        .arg(c.tensors)
                        .arg(QString::fromStdString(c.weight_dtype))
                        .arg(double(c.weight_bytes) / (1024.0 * 1024.0), 0, 'f', 1)
                        .arg(c.tokenizer_vocab);
    }
#else
    r.problems << QObject::tr("This build has no X-SAM engine (it was built without LibTorch).");
#endif
    return r;
}

ModelSettingsDialog::ModelSettingsDialog(const XsamSettings& settings, QWidget* parent) : QDialog(parent) {
    setObjectName("modelSettings");
    setWindowTitle(tr("X-SAM model settings"));
    setMinimumWidth(620);
    auto* lay = new QVBoxLayout(this);
    auto* intro = new QLabel(tr("A model folder holds <b>config.json</b>, <b>model.safetensors</b> (or shards with "
                                "<b>model.safetensors.index.json</b>) and <b>tokenizer.model</b>, as written by "
                                "<tt>xsam-cli convert</tt>."),
                             this);
    intro->setWordWrap(true);
    lay->addWidget(intro);

    auto* form = new QFormLayout;
    auto* row = new QHBoxLayout;
    folder_ = new QLineEdit(settings.model_dir, this);
    folder_->setObjectName("modelFolder");
    folder_->setPlaceholderText(tr("/path/to/xsam-model"));
    auto* browse_btn = new QPushButton(tr("Browse…"), this);
    row->addWidget(folder_, 1);
    row->addWidget(browse_btn);
    form->addRow(tr("Model folder"), row);
    device_ = new QComboBox(this);
    device_->setObjectName("modelDevice");
    device_->addItem(tr("CPU"), "cpu");
    device_->addItem(tr("CUDA GPU"), "cuda");
    device_->setCurrentIndex(std::max(0, device_->findData(settings.device)));
    device_->setToolTip(tr("CPU computes in fp32 whatever the weights are; a CUDA GPU computes in the precision below."));
    // Offer the GPU only where LibTorch finds one; a saved GPU choice falls back to the CPU, saying so.
    const int gpus = cuda_device_count();
    if (gpus > 0) {
        device_->setItemText(1, tr("CUDA GPU (%n found)", "", gpus));
    } else {
        device_->setItemText(1, tr("CUDA GPU (none found)"));
        if (auto* items = qobject_cast<QStandardItemModel*>(device_->model()))
            if (QStandardItem* gpu = items->item(1)) {
                gpu->setEnabled(false);
                gpu->setToolTip(tr("LibTorch finds no CUDA GPU on this machine (or was built without CUDA)."));
            }
        if (settings.device.startsWith("cuda")) {
            device_->setCurrentIndex(0);
            device_note_ = tr("The saved device was a CUDA GPU, but LibTorch finds none here: the CPU is selected.");
        }
    }
    form->addRow(tr("Device"), device_);
    dtype_ = new QComboBox(this);
    dtype_->setObjectName("modelDtype");
    dtype_->addItem(tr("Default (CPU: as stored, GPU: bf16)"), "");
    dtype_->addItem(tr("fp32"), "fp32");
    dtype_->addItem(tr("bf16"), "bf16");
    dtype_->addItem(tr("fp16 (GPU only)"), "fp16");
    dtype_->setCurrentIndex(std::max(0, dtype_->findData(settings.dtype)));
    form->addRow(tr("Precision"), dtype_);
    threads_ = new QSpinBox(this);
    threads_->setRange(0, 256);
    threads_->setSpecialValueText(tr("all cores"));
    threads_->setValue(settings.threads);
    form->addRow(tr("CPU threads"), threads_);
    cache_ = new QSpinBox(this);
    cache_->setObjectName("cacheBudget");
    cache_->setRange(64, 262144);
    cache_->setSingleStep(256);
    cache_->setSuffix(tr(" MB"));
    cache_->setValue(settings.cache_mb);
    cache_->setToolTip(tr("Memory for prepared images (least recently used ones are dropped first). "
                          "A full-size X-SAM image takes about 1.4 GB on the CPU (fp32 prefix cache of 1755 "
                          "positions x 32 layers) and half that in bf16 on a GPU."));
    form->addRow(tr("Prepared-image cache"), cache_);
    lay->addLayout(form);

    status_ = new QLabel(this);
    status_->setObjectName("modelStatus");
    status_->setWordWrap(true);
    status_->setTextFormat(Qt::RichText);
    status_->setMinimumHeight(60);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    status_->setFrameShape(QFrame::StyledPanel);
    status_->setMargin(8);
    lay->addWidget(status_);

    buttons_ = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons_->button(QDialogButtonBox::Ok)->setText(tr("Use X-SAM"));
    buttons_->button(QDialogButtonBox::Ok)->setObjectName("useXsam");
    lay->addWidget(buttons_);
    connect(buttons_, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons_, &QDialogButtonBox::rejected, this, &QDialog::reject);

    debounce_ = new QTimer(this);
    debounce_->setSingleShot(true);
    debounce_->setInterval(250);
    connect(debounce_, &QTimer::timeout, this, &ModelSettingsDialog::start_check);
    connect(folder_, &QLineEdit::textChanged, this, &ModelSettingsDialog::schedule_check);
    connect(browse_btn, &QPushButton::clicked, this, &ModelSettingsDialog::browse);
    schedule_check();
}

ModelSettingsDialog::~ModelSettingsDialog() {
    if (watcher_) watcher_->waitForFinished();
}

QPushButton* ModelSettingsDialog::use_button() { return buttons_->button(QDialogButtonBox::Ok); }

XsamSettings ModelSettingsDialog::settings() const {
    XsamSettings s;
    s.model_dir = QDir::cleanPath(folder_->text().trimmed());
    s.device = device_->currentData().toString();
    s.dtype = dtype_->currentData().toString();
    s.threads = threads_->value();
    s.cache_mb = cache_->value();
    return s;
}

void ModelSettingsDialog::show_problem(const QString& text) {
    extra_problem_ = text;
    schedule_check();
}

void ModelSettingsDialog::schedule_check() {
    checked_ok_ = false;
    use_button()->setEnabled(false);
    status_->setText(tr("Checking the folder…"));
    debounce_->start();
}

void ModelSettingsDialog::start_check() {
    if (watcher_) {  // a check is running: come back when it ends
        debounce_->start();
        return;
    }
    const QString dir = folder_->text().trimmed();
    auto* w = new QFutureWatcher<ModelFolderReport>(this);
    watcher_ = w;
    connect(w, &QFutureWatcher<ModelFolderReport>::finished, this, [this, w, dir] {
        w->deleteLater();
        watcher_ = nullptr;
        if (dir != folder_->text().trimmed()) return;  // the text changed meanwhile; a new check is due
        const ModelFolderReport r = w->result();
        checked_ok_ = r.ok;
        checked_dir_ = dir;
        use_button()->setEnabled(r.ok);
        QString html;
        if (!device_note_.isEmpty())
            html += QStringLiteral("<p style='color:#b9770e'><b>%1</b></p>").arg(device_note_.toHtmlEscaped());
        if (!extra_problem_.isEmpty())
            html += QStringLiteral("<p style='color:#c0392b'><b>%1</b> %2</p>")
                        .arg(tr("Last load failed:"), extra_problem_.toHtmlEscaped());
        if (r.ok) {
            html += QStringLiteral("<p style='color:#1e8449'><b>✓ %1</b><br>%2</p>")
                        .arg(tr("The folder is complete and matches."), r.summary.toHtmlEscaped());
        } else {
            html += QStringLiteral("<p style='color:#c0392b'><b>✗ %1</b></p><ul style='margin-left:-20px'>")
                        .arg(r.problems.size() == 1 && dir.isEmpty() ? tr("No folder chosen.")
                                                                     : tr("This folder cannot be used:"));
            for (const QString& p : r.problems) html += QStringLiteral("<li>%1</li>").arg(p.toHtmlEscaped());
            html += QStringLiteral("</ul>");
        }
        status_->setText(html);
        Q_EMIT check_finished(r.ok);
    });
    w->setFuture(QtConcurrent::run(check_xsam_folder, dir));
}

void ModelSettingsDialog::browse() {
    QString dir = QFileDialog::getExistingDirectory(this, tr("X-SAM model folder"), folder_->text());
    if (!dir.isEmpty()) folder_->setText(dir);
}

}  // namespace xs
