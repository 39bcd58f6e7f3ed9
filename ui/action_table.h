#pragma once
// Every user action as a data row: name (the QAction's object name), text, shortcuts, tip, menu,
// tool bar, icon; a canvas tool's row also names its factory, and a row may say which engine
// capability it needs (disabled, with the reason as its tooltip, when the engine lacks it). A new
// action is one row here plus its handler in MainWindow::handlers(); a new tool is one row plus its
// source file (ui/tools/).
//
//   ActionTable actions(window, handlers, [](const ActionRow& tool) { ... });  // makes the QActions
//   actions.fill_menus(window->menuBar());
//   actions.in_bar(BarId::Tools);        // tool bar sections, in table order
#include <QHash>
#include <QKeySequence>
#include <QList>
#include <QPair>
#include <QString>
#include <functional>
#include <memory>
#include <vector>

#include "core/engine/engine.h"
#include "ui/canvas_tool.h"
#include "ui/icons.h"

class QAction;
class QActionGroup;
class QMenuBar;
class QSettings;
class QWidget;

namespace xs {

enum class MenuId { None, File, Edit, View, Tools, Engine, Help };
enum class BarId { None, Tools, Edit, View, Engine };

struct ActionRow {
    const char* name;
    const char* text;
    const char* keys;  // shortcuts in QKeySequence's portable text, alternatives separated by "; "
    const char* tip;
    MenuId menu = MenuId::None;
    BarId bar = BarId::None;
    IconKind icon = IconKind::None;
    bool separator_before = false;  // in its menu
    bool checkable = false;
    std::unique_ptr<CanvasTool> (*tool)() = nullptr;  // a canvas tool (checkable, one of a group)
    bool (*needs)(const Capabilities&) = nullptr;     // what the engine must support
    const char* needs_what = nullptr;                 // ... in words: "point or box prompts"
};

const std::vector<ActionRow>& action_rows();
const ActionRow* find_action_row(const QString& name);
QList<QKeySequence> default_keys(const ActionRow& row);
QString action_title(const ActionRow& row);  // the row's text without '&', translated

// Every action's shortcuts by action name.
using KeyMap = QHash<QString, QList<QKeySequence>>;
// The action other than `name` that already has one of `wanted` in `keys`; "" when none does.
QString shortcut_conflict(const KeyMap& keys, const QString& name, const QList<QKeySequence>& wanted);

class ActionTable {
public:
    using Handlers = QHash<QString, std::function<void()>>;
    // Makes a QAction (owned by `window`, its shortcut active in the whole window) per row. Tool rows
    // call on_tool with their row; every other row needs a handler (a missing one is a programming
    // error and stops the program at start-up).
    ActionTable(QWidget* window, const Handlers& handlers, std::function<void(const ActionRow&)> on_tool);
    QAction* action(const QString& name) const { return actions_.value(name); }
    QList<QAction*> in_bar(BarId bar) const;
    void fill_menus(QMenuBar* bar) const;  // File, Edit, View, Tools, Engine, Help
    // Sections of the help overlay: one per menu, in menu order.
    QList<QPair<QString, QList<QAction*>>> help_sections() const;
    // Enables what the engine supports; a disabled row says why (`why(what)`) in its tooltip.
    void update_needs(bool engine_ready, const Capabilities& caps, const std::function<QString(const QString&)>& why);
    void check_tool(const QString& name);

    // Shortcuts the user changed (Help > Keyboard shortcuts) are stored as "shortcuts/<name>" in the
    // settings; only those that differ from the row's default.
    KeyMap keys() const;
    void set_keys(const KeyMap& keys);
    void save_keys(QSettings& settings) const;
    // Applies the stored shortcuts; one that does not parse or that another action already has is
    // left out, and the returned lines say which and why.
    QStringList load_keys(const QSettings& settings);

private:
    QAction* make(QWidget* window, const ActionRow& row);
    void set_action_keys(QAction* a, const ActionRow& row, const QList<QKeySequence>& keys);
    QHash<QString, QAction*> actions_;
    QActionGroup* tools_;
};

}  // namespace xs
