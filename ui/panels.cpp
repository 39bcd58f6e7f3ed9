#include "ui/panels.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QMenu>
#include <QPainter>
#include <QToolButton>
#include <QVBoxLayout>

#include "ui/qt_convert.h"

namespace xs {

QIcon color_swatch(const QColor& color, int size) {
    QPixmap pm(size, size);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(QPen(color.darker(160), 1));
    p.setBrush(color);
    p.drawRoundedRect(QRectF(0.5, 0.5, size - 1, size - 1), 3, 3);
    return QIcon(pm);
}

namespace {

QToolButton* small_button(const QString& text, const QString& tip, QWidget* parent) {
    auto* b = new QToolButton(parent);
    b->setText(text);
    b->setToolTip(tip);
    b->setAutoRaise(true);
    return b;
}

// The instance list's marker: " [C]" crowd, " [O]" occluded, " [CO]" both.
QString attribute_marker(const Instance& inst) {
    const QString flags = QString(inst.iscrowd ? "C" : "") + (inst.occluded ? "O" : "");
    return flags.isEmpty() ? QString() : QStringLiteral(" [%1]").arg(flags);
}

QString attribute_tip(const Instance& inst) {
    QStringList parts;
    if (inst.iscrowd) parts << InstancePanel::tr("crowd");
    if (inst.occluded) parts << InstancePanel::tr("occluded");
    if (inst.truncated) parts << InstancePanel::tr("truncated");
    if (!inst.note.empty()) parts << InstancePanel::tr("note: %1").arg(qstr(inst.note));
    return parts.isEmpty() ? QString() : parts.join(", ");
}

}  // namespace

// Categories -----------------------------------------------------------------------------------

CategoryPanel::CategoryPanel(QWidget* parent) : QWidget(parent) {
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(4, 4, 4, 4);
    list_ = new QListWidget(this);
    list_->setObjectName("categoryList");
    list_->setIconSize(QSize(14, 14));
    lay->addWidget(list_);
    auto* row = new QHBoxLayout;
    add_ = small_button(tr("Add"), tr("Add a category"), this);
    rename_ = small_button(tr("Rename"), tr("Rename the current category (F2)"), this);
    recolor_ = small_button(tr("Colour"), tr("Change the current category's colour"), this);
    delete_ = small_button(tr("Delete"), tr("Delete the current category and its instances"), this);
    add_->setObjectName("addCategory");
    for (QToolButton* b : {add_, rename_, recolor_, delete_}) row->addWidget(b);
    row->addStretch();
    lay->addLayout(row);
    connect(list_, &QListWidget::currentRowChanged, this, [this] { Q_EMIT current_changed(current_category()); });
    connect(add_, &QToolButton::clicked, this, &CategoryPanel::add_requested);
    connect(rename_, &QToolButton::clicked, this, [this] {
        if (int id = current_category()) Q_EMIT rename_requested(id);
    });
    connect(recolor_, &QToolButton::clicked, this, [this] {
        if (int id = current_category()) Q_EMIT recolor_requested(id);
    });
    connect(delete_, &QToolButton::clicked, this, [this] {
        if (int id = current_category()) Q_EMIT delete_requested(id);
    });
    connect(list_, &QListWidget::itemDoubleClicked, this, [this] {
        if (int id = current_category()) Q_EMIT rename_requested(id);
    });
    list_->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(list_, &QListWidget::customContextMenuRequested, this, &CategoryPanel::context_menu);
}

// A right click on a category: what the buttons do, and its custom attributes (no room for a fifth
// button in the dock's width on a small screen).
void CategoryPanel::context_menu(const QPoint& pos) {
    QListWidgetItem* item = list_->itemAt(pos);
    if (!item) return;
    list_->setCurrentItem(item);
    const int id = item->data(Qt::UserRole).toInt();
    QMenu menu;
    connect(menu.addAction(tr("Rename…")), &QAction::triggered, this, [this, id] { Q_EMIT rename_requested(id); });
    connect(menu.addAction(tr("Colour…")), &QAction::triggered, this, [this, id] { Q_EMIT recolor_requested(id); });
    connect(menu.addAction(tr("Attributes…")), &QAction::triggered, this, [this, id] { Q_EMIT attributes_requested(id); });
    menu.addSeparator();
    connect(menu.addAction(tr("Delete")), &QAction::triggered, this, [this, id] { Q_EMIT delete_requested(id); });
    menu.exec(list_->viewport()->mapToGlobal(pos));
}

void CategoryPanel::set_categories(const std::vector<Category>& categories) {
    int keep = current_category();
    QSignalBlocker block(list_);
    list_->clear();
    int row = 0;
    for (const Category& c : categories) {
        QString key = row < 9 ? QString::number(row + 1) : QStringLiteral(" ");
        auto* item = new QListWidgetItem(color_swatch(to_qcolor(c.color)), key + "   " + qstr(c.name), list_);
        item->setData(Qt::UserRole, c.id);
        item->setToolTip(tr("Category %1 (id %2)%3").arg(qstr(c.name)).arg(c.id)
                             .arg(row < 9 ? tr("; press %1 to choose it").arg(row + 1) : QString()));
        ++row;
    }
    int found = -1;
    for (int i = 0; i < list_->count(); ++i)
        if (list_->item(i)->data(Qt::UserRole).toInt() == keep) found = i;
    list_->setCurrentRow(found >= 0 ? found : (list_->count() ? 0 : -1));
    block.unblock();
    if (current_category() != keep) Q_EMIT current_changed(current_category());
}

int CategoryPanel::current_category() const {
    QListWidgetItem* item = list_->currentItem();
    return item ? item->data(Qt::UserRole).toInt() : 0;
}

void CategoryPanel::set_current_category(int id) {
    for (int i = 0; i < list_->count(); ++i)
        if (list_->item(i)->data(Qt::UserRole).toInt() == id) list_->setCurrentRow(i);
}

void CategoryPanel::select_by_index(int index) {
    if (index >= 0 && index < list_->count()) list_->setCurrentRow(index);
}

// Instances ------------------------------------------------------------------------------------

InstancePanel::InstancePanel(QWidget* parent) : QWidget(parent) {
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(4, 4, 4, 4);
    tree_ = new QTreeWidget(this);
    tree_->setObjectName("instanceTree");
    tree_->setRootIsDecorated(false);
    tree_->setUniformRowHeights(true);
    tree_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    tree_->setHeaderLabels({tr("#"), tr("Category"), tr("Score"), tr("Source")});
    tree_->header()->setStretchLastSection(true);
    tree_->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    tree_->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    tree_->header()->setSectionResizeMode(2, QHeaderView::ResizeToContents);
    tree_->setContextMenuPolicy(Qt::CustomContextMenu);
    tree_->setToolTip(tr("Instances of this image, top-most first. The check box shows or hides one."));
    lay->addWidget(tree_);
    connect(tree_, &QTreeWidget::itemSelectionChanged, this, [this] {
        if (!updating_) Q_EMIT selection_changed(selected());
    });
    connect(tree_, &QTreeWidget::itemChanged, this, [this](QTreeWidgetItem* item, int column) {
        if (updating_ || column != 0) return;
        Q_EMIT visibility_toggled(item->data(0, Qt::UserRole).toLongLong(), item->checkState(0) == Qt::Checked);
    });
    connect(tree_, &QTreeWidget::customContextMenuRequested, this,
            [this](const QPoint& pos) { Q_EMIT context_menu_requested(tree_->viewport()->mapToGlobal(pos)); });
}

void InstancePanel::set_instances(const ImageRecord* image, const Project& project) {
    std::vector<int64_t> keep = selected();
    updating_ = true;
    tree_->clear();
    if (image) {
        for (auto it = image->instances.rbegin(); it != image->instances.rend(); ++it) {
            const Instance& inst = *it;
            const Category* cat = project.find_category(inst.category_id);
            auto* item = new QTreeWidgetItem(tree_);
            item->setData(0, Qt::UserRole, qlonglong(inst.id));
            item->setText(0, QString::number(inst.id) + attribute_marker(inst));
            item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
            item->setCheckState(0, inst.visible ? Qt::Checked : Qt::Unchecked);
            item->setText(1, cat ? qstr(cat->name) : tr("(unknown %1)").arg(inst.category_id));
            if (cat) item->setIcon(1, color_swatch(to_qcolor(cat->color)));
            item->setText(2, QString::number(inst.score, 'f', 2));
            item->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
            // The referring sentences (R edits them) after the source, all of them in the tooltip.
            QStringList sentences;
            for (const std::string& r : inst.referring) sentences << "“" + qstr(r) + "”";
            item->setText(3, sentences.isEmpty() ? qstr(inst.source) : qstr(inst.source) + " · " + sentences.join(" "));
            item->setToolTip(3, sentences.isEmpty() ? qstr(inst.source) : qstr(inst.source) + "\n" + sentences.join("\n"));
            BBox b = rle_bbox(inst.mask);
            item->setToolTip(0, attribute_tip(inst));
            item->setToolTip(1, tr("area %1 px, box %2,%3 %4x%5").arg(rle_area(inst.mask)).arg(b.x).arg(b.y).arg(b.w).arg(b.h));
        }
    }
    updating_ = false;
    set_selected(keep);
}

std::vector<int64_t> InstancePanel::selected() const {
    std::vector<int64_t> ids;
    for (int i = 0; i < tree_->topLevelItemCount(); ++i) {
        QTreeWidgetItem* item = tree_->topLevelItem(i);
        if (item->isSelected()) ids.push_back(item->data(0, Qt::UserRole).toLongLong());
    }
    return ids;
}

void InstancePanel::set_selected(const std::vector<int64_t>& ids) {
    updating_ = true;
    std::vector<int64_t> before = selected();
    for (int i = 0; i < tree_->topLevelItemCount(); ++i) {
        QTreeWidgetItem* item = tree_->topLevelItem(i);
        int64_t id = item->data(0, Qt::UserRole).toLongLong();
        bool on = std::find(ids.begin(), ids.end(), id) != ids.end();
        item->setSelected(on);
        if (on) tree_->scrollToItem(item);
    }
    updating_ = false;
    if (selected() != before) Q_EMIT selection_changed(selected());
}

// Engine ---------------------------------------------------------------------------------------

EnginePanel::EnginePanel(QWidget* parent) : QWidget(parent) {
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(6, 6, 6, 6);
    auto* row = new QHBoxLayout;
    row->addWidget(new QLabel(tr("Engine:"), this));
    combo_ = new QComboBox(this);
    combo_->setObjectName("engineCombo");
    row->addWidget(combo_, 1);
    auto* settings = new QToolButton(this);
    settings->setObjectName("engineSettings");
    settings->setText(tr("Settings…"));
    settings->setToolTip(tr("The settings of the engine chosen here, and the prepared-image cache (Ctrl+,)"));
    connect(settings, &QToolButton::clicked, this, &EnginePanel::settings_requested);
    row->addWidget(settings);
    lay->addLayout(row);
    state_ = new QLabel(this);
    tasks_ = new QLabel(this);
    timings_ = new QLabel(this);
    for (QLabel* l : {state_, tasks_, timings_}) {
        l->setWordWrap(true);
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
        lay->addWidget(l);
    }
    timings_->setObjectName("engineTimings");
    lay->addStretch();
    connect(combo_, &QComboBox::activated, this, [this](int) { Q_EMIT engine_chosen(combo_->currentText()); });
}

void EnginePanel::set_engine_names(const QStringList& names, const QString& current) {
    QSignalBlocker block(combo_);
    combo_->clear();
    combo_->addItems(names);
    combo_->setCurrentText(current);
}

void EnginePanel::set_loading(const QString& name) {
    QSignalBlocker block(combo_);
    combo_->setCurrentText(name);
    state_->setText(tr("<b>%1</b>: loading…").arg(name));
    tasks_->clear();
    timings_->clear();
}

void EnginePanel::set_info(const EngineInfo& info) {
    QSignalBlocker block(combo_);
    combo_->setCurrentText(info.name);
    state_->setText(tr("<b>%1</b> on <b>%2</b>, loaded in %3 ms").arg(info.name, info.device).arg(info.load_ms, 0, 'f', 0));
    QStringList lines;
    for (const auto& kv : info.capabilities.tasks) {
        QStringList kinds;
        for (PromptKind k : kv.second) kinds << QString::fromLatin1(prompt_kind_name(k));
        lines << QStringLiteral("%1: %2").arg(QString::fromLatin1(task_name(kv.first)), kinds.join(", "));
    }
    tasks_->setText(tr("Supports:\n") + lines.join("\n"));
}

void EnginePanel::set_failed(const QString& name, const QString& message) {
    state_->setText(tr("<b>%1</b> failed to load:<br>%2").arg(name, message.toHtmlEscaped()));
    tasks_->clear();
}

void EnginePanel::set_timings(const std::vector<StageTiming>& prepare, const std::vector<StageTiming>& segment,
                              double round_trip_ms) {
    QStringList lines;
    for (const StageTiming& t : prepare) lines << QStringLiteral("%1  %2 ms").arg(qstr(t.stage)).arg(t.ms, 0, 'f', 1);
    for (const StageTiming& t : segment) lines << QStringLiteral("%1  %2 ms").arg(qstr(t.stage)).arg(t.ms, 0, 'f', 1);
    lines << tr("round trip  %1 ms").arg(round_trip_ms, 0, 'f', 1);
    timings_->setText(tr("Last answer:\n") + lines.join("\n"));
}

}  // namespace xs
