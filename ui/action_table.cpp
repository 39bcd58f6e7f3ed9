#include "ui/action_table.h"

#include <QAction>
#include <QActionGroup>
#include <QCoreApplication>
#include <QMenu>
#include <QMenuBar>
#include <QSettings>
#include <QWidget>

#include "ui/tools/tools.h"

namespace xs {

namespace {

bool points_or_box(const Capabilities& c) {
    return c.supports(Task::Interactive, PromptKind::Point) || c.supports(Task::Interactive, PromptKind::Box);
}
bool scribbles(const Capabilities& c) { return c.supports(Task::Interactive, PromptKind::Scribble); }
bool visual_grounded(const Capabilities& c) { return c.supports(Task::VisualGrounded); }

using M = MenuId;
using B = BarId;
using I = IconKind;

// One menu's rows each.
std::vector<ActionRow> file_rows() {
    return {
        {"openFolder", "Open &Folder…", "Ctrl+O", "Open a folder of images", M::File},
        {"openProject", "Open &Project…", "Ctrl+Shift+O", "Open a project file", M::File},
        {"saveAs", "Save Project &As…", "Ctrl+Shift+S", "Save the project to another file", M::File, B::None, I::None, true},
        {"exportCoco", "&Export COCO…", "Ctrl+E", "Export the annotations as COCO JSON", M::File},
        {"exportAs", "Export &as…", "Ctrl+Shift+E", "Export in any registered dataset format, with what it cannot carry counted per image", M::File},
        {"importData", "&Import…", "Ctrl+Shift+I", "Import annotations in any format into this project", M::File},
        {"quit", "&Quit", "Ctrl+Q", "Quit (everything is already saved)", M::File, B::None, I::None, true},
    };
}

std::vector<ActionRow> edit_rows() {
    return {
        {"accept", "Accept mask", "Return; Enter", "Accept the preview as instances of the current category", M::Edit, B::Edit, I::Accept},
        {"discard", "Discard prompts", "Esc", "Discard the prompts and the preview, or clear the selection", M::Edit},
        {"undo", "Undo", "Ctrl+Z", "Undo the last change", M::Edit, B::Edit, I::Undo},
        {"redo", "Redo", "Ctrl+Shift+Z; Ctrl+Y", "Redo", M::Edit, B::Edit, I::Redo},
        {"deleteInstance", "Delete instance", "Del; Backspace", "Delete the selected instances", M::Edit},
        {"mergeInstances", "Merge", "M", "Merge the selected instances into the top-most one", M::Edit},
        {"subtractInstances", "Subtract", "X", "Cut the top-most selected instance out of the other selected ones", M::Edit},
        {"raiseInstance", "Bring forward", "PgUp", "Move the selected instances up in drawing order", M::Edit},
        {"lowerInstance", "Send backward", "PgDown", "Move the selected instances down in drawing order", M::Edit},
        {"assignCategory", "Apply category", "C", "Give the selected instances the current category", M::Edit},
        {"addCategory", "Add category", "Ctrl+N", "Add a category", M::Edit},
        {"toggleCrowd", "Crowd", "Shift+C", "Mark the selected instances as a crowd region, or unmark them (COCO iscrowd)",
         M::Edit, B::None, I::None, true},
        {"toggleOccluded", "Occluded", "Shift+O", "Mark the selected instances as occluded, or unmark them", M::Edit},
        {"toggleTruncated", "Truncated", "Shift+T", "Mark the selected instances as truncated by the image border, or unmark them",
         M::Edit},
        {"editReferring", "Referring sentences…", "R", "Add, correct or remove the referring sentences of the selected instance", M::Edit},
        {"statusTodo", "Status: to do", "Alt+1", "Mark the selected images (or the shown one) as to do", M::Edit, B::None,
         I::None, true},
        {"statusInProgress", "Status: in progress", "Alt+2", "Mark the selected images (or the shown one) as in progress", M::Edit},
        {"statusDone", "Status: done", "Alt+3", "Mark the selected images (or the shown one) as done", M::Edit},
        {"statusNeedsReview", "Status: needs review", "Alt+4", "Mark the selected images (or the shown one) as needing review",
         M::Edit},
        {"addTag", "Add tag…", "Ctrl+T", "Type a tag for the selected images (Enter adds it)", M::Edit},
        {"removeTag", "Remove tag…", "Ctrl+Shift+T", "Remove the tag typed in the tag field from the selected images", M::Edit},
    };
}

std::vector<ActionRow> view_rows() {
    return {
        {"nextImage", "Next image", "D", "Show the next image", M::View},
        {"prevImage", "Previous image", "A", "Show the previous image", M::View},
        {"nextUnfinished", "Next unfinished image", "Ctrl+J", "Show the next listed image whose status is not done", M::View},
        {"findImages", "Find images", "Ctrl+F", "Filter the image list by name, status, tag, category, instances", M::View},
        {"toggleThumbnails", "Thumbnails", "", "Show small pictures in the image list", M::View, B::None, I::None, false, true},
        {"zoomFit", "Fit to window", "F", "Fit the image to the window", M::View, B::View, I::Fit, true},
        {"zoomActual", "Actual size (1:1)", "0", "Show the image at 100%", M::View, B::View, I::ActualSize},
        {"zoomIn", "Zoom in", "=; +", "Zoom in", M::View},
        {"zoomOut", "Zoom out", "-", "Zoom out", M::View},
        {"toggleOutlines", "Outlines", "O", "Show or hide mask outlines", M::View, B::View, I::Outlines, true, true},
        {"hoverPreviewAuto", "Hover preview: auto", "",
         "Points tool: the pointer resting on the image shows what a click there would give, while the engine answers in "
         "under 100 ms", M::View, B::None, I::None, true, true},
        {"hoverPreviewOn", "Hover preview: on", "",
         "Points tool: the pointer resting on the image always shows what a click there would give", M::View, B::None,
             I::None, false, true},
        {"hoverPreviewOff", "Hover preview: off", "", "The engine is asked only when you click", M::View, B::None, I::None,
             false, true},
        {"toggleDisplayPanel", "Display adjustments", "Ctrl+B",
         "Brightness, contrast and gamma of the shown image (for viewing only)", M::View, B::None, I::None, true, true},
        {"resetDisplay", "Reset display adjustments", "Ctrl+0", "Show the image without brightness, contrast or gamma changes", M::View},
        {"themeSystem", "System theme", "", "The desktop's own look", M::View, B::None, I::None, true, true},
        {"themeLight", "Light theme", "", "Light colours (Fusion style)", M::View, B::None, I::None, false, true},
        {"themeDark", "Dark theme", "", "Dark colours (Fusion style)", M::View, B::None, I::None, false, true},
    };
}

std::vector<ActionRow> tool_rows() {
    return {
        {"toolSelect", "Select", "V", "Select instances (Ctrl+click works in every tool)", M::Tools, B::Tools, I::Select, false,
             true, make_select_tool},
        {"toolPrompt", "Points and box", "P", "Left click: positive point, right click: negative point, drag: box", M::Tools,
             B::Tools, I::Prompt, false, true, make_points_box_tool, points_or_box, "point or box prompts"},
        {"toolScribble", "Scribble", "S", "Left drag: positive scribble, right drag: negative scribble", M::Tools, B::Tools,
             I::Scribble, false, true, make_scribble_tool, scribbles, "scribble prompts"},
        {"toolBrush", "Brush", "B", "Paint onto the selected instance (a new one if none is selected)", M::Tools, B::Tools,
             I::Brush, false, true, make_brush_tool},
        {"toolEraser", "Eraser", "E", "Erase from the selected instance", M::Tools, B::Tools, I::Eraser, false, true,
             make_eraser_tool},
        {"toolPolygon", "Polygon", "L",
         "Click vertices; click the first one or press Enter to close; Backspace removes the last one, Esc cancels",
         M::Tools, B::Tools, I::Polygon, false, true, make_polygon_tool},
        {"editVertices", "Edit vertices", "Shift+E",
         "Edit the selected instance's outline and holes as vertices: drag, Shift+click or rubber band, double-click an "
         "edge inserts, Del removes; Enter applies, Esc discards",
         M::Tools, B::None, I::Vertices},
        {"brushBigger", "Bigger brush", "]", "Make the brush bigger", M::Tools, B::None, I::None, true},
        {"brushSmaller", "Smaller brush", "[", "Make the brush smaller", M::Tools},
        {"focusText", "Text prompt", "T", "Type a text prompt", M::Tools},
    };
}

std::vector<ActionRow> engine_rows() {
    return {
        {"engineSettings", "Engine settings…", "Ctrl+,", "The settings of the engine chosen in the Engine panel", M::Engine},
        {"findSimilar", "Find all like this", "G",
         "Find every object like the selected instance or the marked example (visual grounded)", M::Engine, B::Engine,
             I::None, true, false, nullptr, visual_grounded, "the visual grounded task"},
        {"acceptCandidate", "Accept candidate", "Y", "Accept the current candidate as an instance", M::Engine},
        {"rejectCandidate", "Reject candidate", "N", "Reject the current candidate", M::Engine},
        {"acceptAllCandidates", "Accept all candidates", "Shift+Y", "Accept every candidate (one undo step)", M::Engine},
        {"rejectAllCandidates", "Reject all candidates", "Shift+N", "Reject every candidate", M::Engine},
        {"toggleInspector", "Inspector", "Ctrl+I", "Show what the model saw and produced", M::Engine, B::None, I::None,
             true, true},
    };
}

std::vector<ActionRow> help_rows() {
    return {
        {"help", "Shortcuts help", "F1; ?", "Show every shortcut", M::Help},
        {"shortcutSettings", "Keyboard shortcuts…", "", "Change the shortcut of any action", M::Help},
    };
}

// The rows, in menu order within each menu.
std::vector<ActionRow> make_rows() {
    std::vector<ActionRow> rows;
    for (auto group : {file_rows, edit_rows, view_rows, tool_rows, engine_rows, help_rows}) {
        std::vector<ActionRow> g = group();
        rows.insert(rows.end(), g.begin(), g.end());
    }
    // Digits choose categories (listed in the help as one line, not in a menu).
    static const char* const kDigits[] = {"category1", "category2", "category3", "category4", "category5",
                                          "category6", "category7", "category8", "category9"};
    static const char* const kKeys[] = {"1", "2", "3", "4", "5", "6", "7", "8", "9"};
    for (int d = 0; d < 9; ++d) rows.push_back({kDigits[d], "Choose category", kKeys[d], "Choose the category with this number"});
    return rows;
}

const char* menu_title(MenuId m) {
    switch (m) {
        case MenuId::File: return QT_TRANSLATE_NOOP("ActionTable", "&File");
        case MenuId::Edit: return QT_TRANSLATE_NOOP("ActionTable", "&Edit");
        case MenuId::View: return QT_TRANSLATE_NOOP("ActionTable", "&View");
        case MenuId::Tools: return QT_TRANSLATE_NOOP("ActionTable", "&Tools");
        case MenuId::Engine: return QT_TRANSLATE_NOOP("ActionTable", "E&ngine");
        case MenuId::Help: return QT_TRANSLATE_NOOP("ActionTable", "&Help");
        case MenuId::None: break;
    }
    return "";
}

const char* help_title(MenuId m) {
    switch (m) {
        case MenuId::File: return QT_TRANSLATE_NOOP("ActionTable", "Files");
        case MenuId::Edit: return QT_TRANSLATE_NOOP("ActionTable", "Annotate");
        case MenuId::View: return QT_TRANSLATE_NOOP("ActionTable", "Navigate and view");
        case MenuId::Tools: return QT_TRANSLATE_NOOP("ActionTable", "Tools");
        case MenuId::Engine: return QT_TRANSLATE_NOOP("ActionTable", "Engine");
        case MenuId::Help: return QT_TRANSLATE_NOOP("ActionTable", "Help");
        case MenuId::None: break;
    }
    return "";
}

QString tr(const char* text) { return QCoreApplication::translate("ActionTable", text); }

const MenuId kMenus[] = {MenuId::File, MenuId::Edit, MenuId::View, MenuId::Tools, MenuId::Engine, MenuId::Help};

}  // namespace

const std::vector<ActionRow>& action_rows() {
    static const std::vector<ActionRow> rows = make_rows();
    return rows;
}

const ActionRow* find_action_row(const QString& name) {
    for (const ActionRow& row : action_rows())
        if (name == QLatin1String(row.name)) return &row;
    return nullptr;
}

QList<QKeySequence> default_keys(const ActionRow& row) {
    QList<QKeySequence> keys = QKeySequence::listFromString(QString::fromLatin1(row.keys));
    keys.removeAll(QKeySequence());  // a row without a key ("") parses as one empty sequence
    return keys;
}

QString action_title(const ActionRow& row) { return tr(row.text).remove('&'); }

QString shortcut_conflict(const KeyMap& keys, const QString& name, const QList<QKeySequence>& wanted) {
    for (const ActionRow& row : action_rows()) {
        if (name == QLatin1String(row.name)) continue;
        for (const QKeySequence& k : keys.value(row.name))
            if (!k.isEmpty() && wanted.contains(k)) return row.name;
    }
    return QString();
}

ActionTable::ActionTable(QWidget* window, const Handlers& handlers, std::function<void(const ActionRow&)> on_tool) {
    tools_ = new QActionGroup(window);
    for (const ActionRow& row : action_rows()) {
        QAction* a = make(window, row);
        if (row.tool) {
            tools_->addAction(a);
            QObject::connect(a, &QAction::triggered, window, [on_tool, &row] { on_tool(row); });
        } else if (handlers.contains(row.name)) {
            QObject::connect(a, &QAction::triggered, window, handlers.value(row.name));
        } else {
            qFatal("action table: no handler for the action '%s'", row.name);
        }
    }
}

QAction* ActionTable::make(QWidget* window, const ActionRow& row) {
    auto* a = new QAction(tr(row.text), window);
    a->setObjectName(row.name);
    a->setShortcutContext(Qt::WindowShortcut);
    set_action_keys(a, row, default_keys(row));
    a->setStatusTip(tr(row.tip));
    a->setCheckable(row.checkable || row.tool);
    a->setIcon(make_icon(row.icon));
    window->addAction(a);
    actions_.insert(row.name, a);
    return a;
}

void ActionTable::set_action_keys(QAction* a, const ActionRow& row, const QList<QKeySequence>& keys) {
    a->setShortcuts(keys);
    const QString key_text = keys.isEmpty() ? QString() : keys.first().toString(QKeySequence::NativeText);
    a->setToolTip(key_text.isEmpty() ? tr(row.tip) : QStringLiteral("%1 (%2)").arg(tr(row.tip), key_text));
}

KeyMap ActionTable::keys() const {
    KeyMap map;
    for (const ActionRow& row : action_rows()) map.insert(row.name, action(row.name)->shortcuts());
    return map;
}

void ActionTable::set_keys(const KeyMap& keys) {
    for (const ActionRow& row : action_rows())
        if (keys.contains(row.name)) set_action_keys(action(row.name), row, keys.value(row.name));
}

void ActionTable::save_keys(QSettings& settings) const {
    for (const ActionRow& row : action_rows()) {
        const QString setting = QStringLiteral("shortcuts/%1").arg(QLatin1String(row.name));
        const QList<QKeySequence> keys = action(row.name)->shortcuts();
        if (keys == default_keys(row)) settings.remove(setting);
        else settings.setValue(setting, QKeySequence::listToString(keys, QKeySequence::PortableText));
    }
}

QStringList ActionTable::load_keys(const QSettings& settings) {
    QStringList problems;
    KeyMap wanted = keys();  // the defaults, then every stored shortcut that parses
    QStringList stored;
    for (const ActionRow& row : action_rows()) {
        const QString setting = QStringLiteral("shortcuts/%1").arg(QLatin1String(row.name));
        if (!settings.contains(setting)) continue;
        const QString text = settings.value(setting).toString();
        const QList<QKeySequence> keys = QKeySequence::listFromString(text);
        bool parsed = true;
        for (const QKeySequence& k : keys) parsed = parsed && !k.isEmpty() && k[0].key() != Qt::Key_unknown;
        if (!parsed) {
            problems << tr("The stored shortcut \"%1\" of \"%2\" (setting %3) is not a key; the default is kept.")
                            .arg(text, action_title(row), setting);
            continue;
        }
        wanted.insert(row.name, keys);
        stored << row.name;
    }
    // A stored key that another action also has (edited by hand, or a new default) is refused; its
    // action goes back to its default, which may refuse another, so repeat until nothing changes.
    for (bool refused = true; refused;) {
        refused = false;
        for (const QString& name : stored) {
            const QString other = shortcut_conflict(wanted, name, wanted.value(name));
            if (other.isEmpty()) continue;
            const ActionRow& row = *find_action_row(name);
            problems << tr("The stored shortcut %1 of \"%2\" is also the shortcut of \"%3\"; the default is kept.")
                            .arg(QKeySequence::listToString(wanted.value(name), QKeySequence::NativeText), action_title(row),
                                 action_title(*find_action_row(other)));
            wanted.insert(name, default_keys(row));
            stored.removeOne(name);
            refused = true;
            break;
        }
    }
    set_keys(wanted);
    return problems;
}

QList<QAction*> ActionTable::in_bar(BarId bar) const {
    QList<QAction*> out;
    for (const ActionRow& row : action_rows())
        if (row.bar == bar) out << action(row.name);
    return out;
}

void ActionTable::fill_menus(QMenuBar* bar) const {
    for (MenuId m : kMenus) {
        QMenu* menu = bar->addMenu(tr(menu_title(m)));
        for (const ActionRow& row : action_rows()) {
            if (row.menu != m) continue;
            if (row.separator_before) menu->addSeparator();
            menu->addAction(action(row.name));
        }
    }
}

QList<QPair<QString, QList<QAction*>>> ActionTable::help_sections() const {
    QList<QPair<QString, QList<QAction*>>> sections;
    for (MenuId m : kMenus) {
        QList<QAction*> list;
        for (const ActionRow& row : action_rows())
            if (row.menu == m) list << action(row.name);
        sections.append({tr(help_title(m)), list});
    }
    return sections;
}

void ActionTable::update_needs(bool engine_ready, const Capabilities& caps,
                               const std::function<QString(const QString&)>& why) {
    for (const ActionRow& row : action_rows()) {
        if (!row.needs) continue;
        QAction* a = action(row.name);
        const bool ok = engine_ready && row.needs(caps);
        a->setEnabled(ok);
        const QString keys = a->shortcut().toString(QKeySequence::NativeText);
        a->setToolTip(ok ? QStringLiteral("%1 (%2)").arg(tr(row.tip), keys) : why(tr(row.needs_what)));
    }
}

void ActionTable::check_tool(const QString& name) {
    if (QAction* a = action(name)) a->setChecked(true);
}

}  // namespace xs
