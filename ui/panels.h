#pragma once
// The side panels: categories, instances of the shown image, and the engine status.
#include <QLabel>
#include <QListWidget>
#include <QTreeWidget>
#include <QWidget>

#include "core/annotation/project.h"
#include "ui/engine_worker.h"

class QComboBox;
class QPushButton;
class QToolButton;

namespace xs {

// Categories with their colours; the current row is the category new instances get.
class CategoryPanel : public QWidget {
    Q_OBJECT
public:
    explicit CategoryPanel(QWidget* parent = nullptr);
    void set_categories(const std::vector<Category>& categories);  // keeps the current one if it exists
    int current_category() const;  // 0 if none
    void set_current_category(int id);
    void select_by_index(int index);  // 0-based row (digit keys)
    QListWidget* list() { return list_; }

Q_SIGNALS:
    void current_changed(int category_id);
    void add_requested();
    void rename_requested(int category_id);
    void recolor_requested(int category_id);
    void delete_requested(int category_id);
    void attributes_requested(int category_id);

private:
    void context_menu(const QPoint& pos);

    QListWidget* list_;
    QToolButton *add_, *rename_, *recolor_, *delete_;
};

// The shown image's instances, top-most first.
class InstancePanel : public QWidget {
    Q_OBJECT
public:
    explicit InstancePanel(QWidget* parent = nullptr);
    void set_instances(const ImageRecord* image, const Project& project);
    std::vector<int64_t> selected() const;  // in panel order (top-most first)
    void set_selected(const std::vector<int64_t>& ids);
    QTreeWidget* tree() { return tree_; }

Q_SIGNALS:
    void selection_changed(const std::vector<int64_t>& ids);
    void visibility_toggled(int64_t id, bool visible);
    void context_menu_requested(const QPoint& global_pos);

private:
    QTreeWidget* tree_;
    bool updating_ = false;
};

// Engine choice and status: device, supported tasks, load time and last per-stage timings.
class EnginePanel : public QWidget {
    Q_OBJECT
public:
    explicit EnginePanel(QWidget* parent = nullptr);
    void set_engine_names(const QStringList& names, const QString& current);
    void set_loading(const QString& name);
    void set_info(const EngineInfo& info);
    void set_failed(const QString& name, const QString& message);
    void set_timings(const std::vector<StageTiming>& prepare, const std::vector<StageTiming>& segment,
                     double round_trip_ms);
    QComboBox* engine_combo() { return combo_; }

Q_SIGNALS:
    void engine_chosen(const QString& name);
    void settings_requested();  // the chosen engine's settings page

private:
    QComboBox* combo_;
    QLabel* state_;
    QLabel* tasks_;
    QLabel* timings_;
};

QIcon color_swatch(const QColor& color, int size = 14);

}  // namespace xs
