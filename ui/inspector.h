#pragma once
// The inspector, for researchers: what the model saw and produced for the last request.
//   Prompt   the exact token sequence (prefix, question, answer; ids on hover), the visual prompts as
//            rasterised on the model's canvas with the points the region sampler read.
//   Queries  every decoder query, sorted by its best class probability: a thumbnail of its mask
//            probabilities, the best class, every class probability and the background's.
//   Timings  per stage (prepare, when it ran for this request, and segment).
// The score and mask thresholds ask the engine to re-run only its post-processing over the inspection
// (no model pass; refilter_requested, answered with show_refiltered) and the result replaces the
// preview / candidates. Export writes the whole inspection as JSON.
#include <QWidget>
#include <memory>
#include <vector>

#include "core/engine/engine.h"
#include "core/engine/inspection.h"

class QLabel;
class QPushButton;
class QSlider;
class QTabWidget;
class QTextBrowser;
class QTreeWidget;
class QHBoxLayout;

namespace xs {

class InspectorPanel : public QWidget {
    Q_OBJECT
public:
    explicit InspectorPanel(QWidget* parent = nullptr);
    void set_inspection(std::shared_ptr<const Inspection> inspection, const std::vector<StageTiming>& prepare_timings,
                        double round_trip_ms);
    void clear();
    std::shared_ptr<const Inspection> inspection() const { return inspection_; }

    float score_threshold() const;
    float mask_threshold() const;
    void set_thresholds(float score, float mask);  // without re-filtering
    // Asks for the post-processing at the current thresholds (refilter_requested; no model call).
    void refilter();
    void show_refiltered(int instances);  // the answer: how many instances these thresholds give
    bool export_json(const QString& path, QString* error = nullptr) const;

    // For tests and scripting.
    QSlider* score_slider() { return score_; }
    QSlider* mask_slider() { return mask_; }
    QTreeWidget* queries_tree() { return queries_; }
    QTextBrowser* tokens_view() { return tokens_; }
    QTabWidget* tabs() { return tabs_; }
    int refilter_count() const { return refilters_; }

Q_SIGNALS:
    void thresholds_changed(float score, float mask);
    void refilter_requested(float score_threshold, float mask_threshold);

private:
    QTabWidget* make_tabs();
    void thresholds_moved();
    void export_dialog();
    void fill_tokens();
    void fill_regions();
    void fill_queries();
    void fill_timings();

    std::shared_ptr<const Inspection> inspection_;
    std::vector<StageTiming> prepare_timings_;
    double round_trip_ms_ = 0;
    QLabel* summary_;
    QSlider* score_;
    QSlider* mask_;
    QLabel* score_value_;
    QLabel* mask_value_;
    QLabel* result_;
    QPushButton* export_;
    QTabWidget* tabs_;
    QTextBrowser* tokens_;
    QWidget* regions_box_;
    QHBoxLayout* regions_;
    QTreeWidget* queries_;
    QTreeWidget* timings_;
    int refilters_ = 0;
};

}  // namespace xs
