#include "ui/inspector.h"

#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QPixmap>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSplitter>
#include <QSlider>
#include <QTabWidget>
#include <QTextBrowser>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

namespace xs {

namespace {

constexpr int kThumb = 44;      // query thumbnails, pixels
constexpr int kRegionView = 168;  // region canvases, pixels

QString qs(const std::string& s) { return QString::fromStdString(s); }

// A probability map as an image over the scaled image's part of the canvas: dark blue (lowest) ->
// yellow (highest), stretched to the map's own range so flat maps still show their shape; pixels above
// the mask threshold are outlined by a brighter tone.
QImage probability_image(const std::vector<float>& probs, int h, int w, int used_h, int used_w, float threshold) {
    QImage img(std::max(1, used_w), std::max(1, used_h), QImage::Format_RGB32);
    float lo = 1.f, hi = 0.f;
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x) {
            const float p = probs[size_t(std::min(y, h - 1)) * size_t(w) + size_t(std::min(x, w - 1))];
            lo = std::min(lo, p);
            hi = std::max(hi, p);
        }
    const float span = std::max(hi - lo, 1e-6f);
    for (int y = 0; y < img.height(); ++y) {
        QRgb* row = reinterpret_cast<QRgb*>(img.scanLine(y));
        for (int x = 0; x < img.width(); ++x) {
            const float raw = probs[size_t(std::min(y, h - 1)) * size_t(w) + size_t(std::min(x, w - 1))];
            const float p = (raw - lo) / span;
            const bool in = raw > threshold;
            row[x] = qRgb(int(20 + 235 * p), int(30 + 200 * p), in ? 40 : int(120 * (1 - p) + 20 * p));
        }
    }
    return img;
}

}  // namespace

InspectorPanel::InspectorPanel(QWidget* parent) : QWidget(parent) {
    setObjectName("inspector");
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(6, 6, 6, 6);
    summary_ = new QLabel(this);
    summary_->setWordWrap(true);
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    lay->addWidget(summary_);

    auto* form = new QFormLayout;
    auto slider_row = [&](QSlider*& slider, QLabel*& value, const char* name, int lo, int hi, const QString& tip) {
        auto* row = new QHBoxLayout;
        slider = new QSlider(Qt::Horizontal, this);
        slider->setObjectName(name);
        slider->setRange(lo, hi);
        slider->setSingleStep(5);  // arrow keys: 0.05
        slider->setPageStep(10);
        slider->setToolTip(tip);
        value = new QLabel(this);
        value->setMinimumWidth(40);
        row->addWidget(slider, 1);
        row->addWidget(value);
        return row;
    };
    form->addRow(tr("Score ≥"), slider_row(score_, score_value_, "scoreThreshold", 0, 100,
                                            tr("Keep instances whose score (class probability × mean mask "
                                               "probability) reaches this; re-filters without running the model")));
    form->addRow(tr("Mask >"), slider_row(mask_, mask_value_, "maskThreshold", 1, 99,
                                           tr("Mask probability a pixel needs; re-filters without running the model")));
    lay->addLayout(form);
    auto* row = new QHBoxLayout;
    result_ = new QLabel(this);
    result_->setObjectName("inspectorResult");
    row->addWidget(result_, 1);
    export_ = new QPushButton(tr("Export JSON…"), this);
    export_->setObjectName("exportInspection");
    row->addWidget(export_);
    lay->addLayout(row);

    lay->addWidget(make_tabs(), 1);

    connect(score_, &QSlider::valueChanged, this, &InspectorPanel::thresholds_moved);
    connect(mask_, &QSlider::valueChanged, this, &InspectorPanel::thresholds_moved);
    connect(export_, &QPushButton::clicked, this, &InspectorPanel::export_dialog);
    set_thresholds(0.5f, 0.5f);
    clear();
}

// Prompt (tokens on the left, the visual prompts on the right), Queries and Timings.
QTabWidget* InspectorPanel::make_tabs() {
    tabs_ = new QTabWidget(this);
    // Prompt: tokens and regions.
    // Tokens on the left, the visual prompts on the right.
    auto* prompt = new QSplitter(Qt::Horizontal, tabs_);
    tokens_ = new QTextBrowser(prompt);
    tokens_->setObjectName("inspectorTokens");
    tokens_->setOpenLinks(false);
    auto* scroll = new QScrollArea(prompt);
    scroll->setWidgetResizable(true);
    scroll->setMinimumWidth(kRegionView + 30);
    regions_box_ = new QWidget(scroll);
    regions_ = new QHBoxLayout(regions_box_);
    regions_->setContentsMargins(2, 2, 2, 2);
    scroll->setWidget(regions_box_);
    prompt->addWidget(tokens_);
    prompt->addWidget(scroll);
    prompt->setStretchFactor(0, 3);
    prompt->setStretchFactor(1, 2);
    tabs_->addTab(prompt, tr("Prompt"));
    // Queries.
    queries_ = new QTreeWidget(tabs_);
    queries_->setObjectName("inspectorQueries");
    queries_->setRootIsDecorated(false);
    queries_->setIconSize(QSize(kThumb, kThumb));
    queries_->setHeaderLabels({tr("query"), tr("best class"), tr("p(class)"), tr("p(background)"), tr("all classes")});
    queries_->setAlternatingRowColors(true);
    tabs_->addTab(queries_, tr("Queries"));
    // Timings.
    timings_ = new QTreeWidget(tabs_);
    timings_->setObjectName("inspectorTimings");
    timings_->setRootIsDecorated(false);
    timings_->setHeaderLabels({tr("stage"), tr("ms")});
    tabs_->addTab(timings_, tr("Timings"));
    tabs_->setMinimumHeight(230);
    return tabs_;
}

float InspectorPanel::score_threshold() const { return float(score_->value()) / 100.f; }
float InspectorPanel::mask_threshold() const { return float(mask_->value()) / 100.f; }

void InspectorPanel::set_thresholds(float score, float mask) {
    QSignalBlocker a(score_), b(mask_);
    score_->setValue(int(std::lround(score * 100)));
    mask_->setValue(int(std::lround(mask * 100)));
    score_value_->setText(QString::number(score_threshold(), 'f', 2));
    mask_value_->setText(QString::number(mask_threshold(), 'f', 2));
}

void InspectorPanel::thresholds_moved() {
    score_value_->setText(QString::number(score_threshold(), 'f', 2));
    mask_value_->setText(QString::number(mask_threshold(), 'f', 2));
    Q_EMIT thresholds_changed(score_threshold(), mask_threshold());
    refilter();
}

void InspectorPanel::clear() {
    inspection_.reset();
    summary_->setText(tr("<span style='color:gray'>No answer to show yet. Run a prompt: with an engine that reports "
                         "what the model saw, the tokens, the visual prompts, every decoder query and the timings of "
                         "its last answer appear here.</span>"));
    result_->clear();
    export_->setEnabled(false);
    tokens_->clear();
    queries_->clear();
    timings_->clear();
    while (QLayoutItem* item = regions_->takeAt(0)) {
        delete item->widget();
        delete item;
    }
}

namespace {

// What the engine's post-processing does, for people (every rule: the switch has no default).
QString rule_text(Inspection::Rule rule) {
    switch (rule) {
        case Inspection::Rule::BestPerClass: return QObject::tr("best query per class");
        case Inspection::Rule::Instances: return QObject::tr("instances (top query-class pairs)");
        case Inspection::Rule::Interactive: return QObject::tr("interactive choice");
        case Inspection::Rule::Panoptic: return QObject::tr("panoptic segments");
        case Inspection::Rule::Semantic: return QObject::tr("semantic segments");
        case Inspection::Rule::TextOnly: return QObject::tr("none (text only)");
    }
    return QStringLiteral("?");
}

}  // namespace

void InspectorPanel::set_inspection(std::shared_ptr<const Inspection> inspection,
                                    const std::vector<StageTiming>& prepare_timings, double round_trip_ms) {
    clear();
    inspection_ = std::move(inspection);
    prepare_timings_ = prepare_timings;
    round_trip_ms_ = round_trip_ms;
    if (!inspection_) return;
    const Inspection& in = *inspection_;
    export_->setEnabled(true);
    summary_->setText(tr("<b>%1</b> · task <b>%2</b> · %3 tokens · %4 queries on a %5×%6 grid · canvas %7 (image %8×%9 "
                         "scaled to %10×%11) · post-processing: %12")
                          .arg(qs(in.engine), QString::fromLatin1(task_name(in.task)))
                          .arg(in.tokens.size())
                          .arg(in.num_queries)
                          .arg(in.mask_w)
                          .arg(in.mask_h)
                          .arg(in.canvas)
                          .arg(in.width)
                          .arg(in.height)
                          .arg(in.scaled_w)
                          .arg(in.scaled_h)
                          .arg(rule_text(in.rule)));
    fill_tokens();
    fill_regions();
    fill_queries();
    fill_timings();
    result_->setText(tr("Move a threshold to re-run the post-processing (no model pass)."));
}

void InspectorPanel::refilter() {
    if (!inspection_) return;
    ++refilters_;
    Q_EMIT refilter_requested(score_threshold(), mask_threshold());
}

void InspectorPanel::show_refiltered(int instances) {
    result_->setText(tr("%1 instance(s) at score ≥ %2, mask > %3 (post-processing only)")
                         .arg(instances)
                         .arg(score_threshold(), 0, 'f', 2)
                         .arg(mask_threshold(), 0, 'f', 2));
}

void InspectorPanel::fill_tokens() {
    const Inspection& in = *inspection_;
    QString html = QStringLiteral("<div style='line-height:190%'>");
    bool in_prefix = true;
    for (const InspectionToken& t : in.tokens) {
        if (in_prefix && !t.prefix) {
            html += QStringLiteral("<br><span style='color:gray'>%1</span><br>").arg(tr("— question (after the cached prefix) —"));
            in_prefix = false;
        }
        QString text = qs(t.text).toHtmlEscaped();
        text.replace(' ', QStringLiteral("·"));
        text.replace('\n', QStringLiteral("↵"));
        QString bg = t.id < 0 ? QStringLiteral("#f5cba7") : t.prefix ? QStringLiteral("#d6eaf8") : QStringLiteral("#e8f6f3");
        if (t.text == "<SEG>" || t.text == "<p>" || t.text == "</p>") bg = QStringLiteral("#f9e79f");
        QString label = text;
        if (t.repeat > 1) label += QStringLiteral(" ×%1").arg(t.repeat);
        html += QStringLiteral("<span style='background-color:%1; font-family:monospace'>&nbsp;%2<sub style='color:#7f8c8d'>%3</sub>&nbsp;</span> ")
                    .arg(bg, label)
                    .arg(t.id);
    }
    html += QStringLiteral("</div>");
    if (!in.question.empty())
        html += QStringLiteral("<p><b>%1</b> %2<br><b>%3</b> %4</p>")
                    .arg(tr("Question:"), qs(in.question).toHtmlEscaped(), tr("Answer:"), qs(in.answer).toHtmlEscaped());
    tokens_->setHtml(html);
}

void InspectorPanel::fill_regions() {
    const Inspection& in = *inspection_;
    if (in.regions.empty()) {
        auto* l = new QLabel(tr("No visual prompt in this request."), regions_box_);
        l->setStyleSheet("color: gray");
        regions_->addWidget(l);
    }
    for (size_t k = 0; k < in.regions.size(); ++k) {
        const InspectionRegion& r = in.regions[k];
        const int S = r.canvas.width();
        QImage img(S, S, QImage::Format_RGB32);
        for (int y = 0; y < S; ++y) {
            QRgb* row = reinterpret_cast<QRgb*>(img.scanLine(y));
            for (int x = 0; x < S; ++x) {
                const bool inside_image = x < in.scaled_w && y < in.scaled_h;
                row[x] = r.canvas.at(x, y) ? qRgb(0, 200, 230) : inside_image ? qRgb(60, 64, 72) : qRgb(25, 25, 28);
            }
        }
        QPixmap pm = QPixmap::fromImage(img.scaled(kRegionView, kRegionView, Qt::IgnoreAspectRatio, Qt::FastTransformation));
        {
            QPainter p(&pm);
            p.setRenderHint(QPainter::Antialiasing);
            const double f = double(kRegionView) / S;
            p.setPen(QPen(QColor(255, 255, 255, 120), 1, Qt::DashLine));
            p.drawRect(QRectF(0, 0, in.scaled_w * f, in.scaled_h * f));
            p.setPen(Qt::NoPen);
            p.setBrush(QColor(255, 60, 60));
            for (auto [x, y] : r.sampled_points) p.drawEllipse(QPointF((x + 0.5) * f, (y + 0.5) * f), 2.2, 2.2);
        }
        auto* box = new QWidget(regions_box_);
        auto* bl = new QVBoxLayout(box);
        bl->setContentsMargins(2, 2, 2, 2);
        auto* img_label = new QLabel(box);
        img_label->setPixmap(pm);
        img_label->setToolTip(tr("%1 on the %2×%2 canvas: %3 pixels; red: the %4 points the region sampler read")
                                  .arg(qs(r.label))
                                  .arg(S)
                                  .arg(r.canvas.area())
                                  .arg(r.sampled_points.size()));
        bl->addWidget(img_label);
        auto* caption = new QLabel(tr("<b>%1</b> · %2 px · %3 points").arg(qs(r.label)).arg(r.canvas.area()).arg(r.sampled_points.size()), box);
        bl->addWidget(caption);
        regions_->addWidget(box);
    }
    regions_->addStretch();
}

void InspectorPanel::fill_queries() {
    const Inspection& in = *inspection_;
    const int used_h = std::max(1, int(std::lround(double(in.scaled_h) * in.mask_h / std::max(1, in.canvas))));
    const int used_w = std::max(1, int(std::lround(double(in.scaled_w) * in.mask_w / std::max(1, in.canvas))));
    for (int q : in.queries_by_score()) {
        const InspectionQuery& iq = in.queries[size_t(q)];
        int best = 0;
        for (size_t c = 1; c < iq.class_probs.size(); ++c)
            if (iq.class_probs[c] > iq.class_probs[size_t(best)]) best = int(c);
        QStringList all;
        for (size_t c = 0; c < iq.class_probs.size(); ++c)
            all << QStringLiteral("%1 %2").arg(c < in.labels.size() ? qs(in.labels[c]) : QString::number(c)).arg(iq.class_probs[c], 0, 'f', 3);
        auto* item = new QTreeWidgetItem(queries_);
        item->setText(0, QString::number(q));
        item->setText(1, best < int(in.labels.size()) ? qs(in.labels[size_t(best)]) : QString::number(best));
        item->setText(2, iq.class_probs.empty() ? QString() : QString::number(iq.class_probs[size_t(best)], 'f', 4));
        item->setText(3, QString::number(iq.background_prob, 'f', 4));
        item->setText(4, all.join(QStringLiteral(" · ")));
        QImage thumb = probability_image(in.query_probs(q), in.mask_h, in.mask_w, used_h, used_w, mask_threshold());
        item->setIcon(0, QIcon(QPixmap::fromImage(thumb.scaled(kThumb, kThumb, Qt::KeepAspectRatio, Qt::FastTransformation))));
        item->setToolTip(0, tr("Query %1's mask probabilities on its %2×%3 grid (colours stretched to its own range; "
                               "yellow without blue: above the mask threshold)").arg(q).arg(in.mask_w).arg(in.mask_h));
    }
    for (int c = 0; c < queries_->columnCount(); ++c) queries_->resizeColumnToContents(c);
}

void InspectorPanel::fill_timings() {
    double total = 0;
    auto add = [&](const StageTiming& t) {
        auto* item = new QTreeWidgetItem(timings_);
        item->setText(0, qs(t.stage));
        item->setText(1, QString::number(t.ms, 'f', 1));
        item->setTextAlignment(1, Qt::AlignRight);
        total += t.ms;
    };
    for (const StageTiming& t : prepare_timings_) add(t);
    for (const StageTiming& t : inspection_->timings) add(t);
    auto* sum = new QTreeWidgetItem(timings_);
    sum->setText(0, tr("total of the stages"));
    sum->setText(1, QString::number(total, 'f', 1));
    sum->setTextAlignment(1, Qt::AlignRight);
    auto* rt = new QTreeWidgetItem(timings_);
    rt->setText(0, tr("round trip in the GUI"));
    rt->setText(1, QString::number(round_trip_ms_, 'f', 1));
    rt->setTextAlignment(1, Qt::AlignRight);
    timings_->resizeColumnToContents(0);
}

bool InspectorPanel::export_json(const QString& path, QString* error) const {
    if (!inspection_) {
        if (error) *error = tr("Nothing to export: no inspection yet.");
        return false;
    }
    Inspection copy = *inspection_;
    copy.timings = prepare_timings_;
    copy.timings.insert(copy.timings.end(), inspection_->timings.begin(), inspection_->timings.end());
    copy.timings.push_back({"gui.round_trip", round_trip_ms_});
    copy.score_threshold = score_threshold();
    copy.mask_threshold = mask_threshold();
    const std::string json = inspection_to_json(copy);
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(json.data(), qint64(json.size())) != qint64(json.size()) || !f.commit()) {
        if (error) *error = tr("Could not write %1: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

void InspectorPanel::export_dialog() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export the inspection"), QStringLiteral("inspection.json"),
                                                      tr("JSON (*.json)"));
    if (path.isEmpty()) return;
    QString error;
    if (!export_json(path, &error)) result_->setText(error);
    else result_->setText(tr("Exported to %1").arg(path));
}

}  // namespace xs
