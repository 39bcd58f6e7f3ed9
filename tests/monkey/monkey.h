#pragma once
// The GUI monkey: seeded random sequences of real user actions on the real main window (QTest mouse,
// key and wheel events, offscreen), with the document's invariants checked as it goes.
//
//   Monkey m(settings);            // a scratch folder of generated images plus a starting project
//   m.run_episode(300);            // opens a fresh window on a fresh copy, runs 300 actions
//   m.failure()                    // empty while every invariant held; else what broke, with the
//                                  // seed and the last actions
//
// Invariants (checked after every action, or every few where they cost more):
//   - the project file on disk always loads (saves are atomic), and once autosave is idle it equals
//     the document in memory;
//   - the instance list shows exactly the shown image's instances; every instance fits its image;
//   - undoing everything returns the exact state the episode started from, and redoing everything
//     the exact state it had reached;
//   - every COCO file the export writes passes the project's own COCO import checks and holds the
//     document's instances mask for mask;
//   - nothing reports the project as "changed by another program" except right after the action in
//     which another program does write it; then both versions are on disk (theirs in the file, ours
//     in the .mine copy the notice names), and either choice loses neither;
//   - a second window on the same folder opens read-only naming this one, takes no edit and writes
//     nothing; this window keeps its lock.
//   - display adjustments, themes and the shortcuts page never change the document; the canvas draws
//     the Display panel's adjustment, Ctrl+0 clears it, the checked theme is the applied one, and a
//     cancelled shortcuts page changes no key (a key another action has is refused, naming it).
#include <QPoint>
#include <QString>
#include <QStringList>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/annotation/project.h"

class QTimer;
class QWidget;

namespace xs {
class MainWindow;
}

namespace xs::monkey {

struct Settings {
    QString scratch;        // folder for the images, the projects and the exports
    uint64_t seed = 1;
    QStringList engines;    // engines to switch among (each episode starts with a random one)
    bool verbose = false;   // print every action
};

class Monkey {
public:
    explicit Monkey(Settings settings);
    ~Monkey();

    // One episode: a fresh copy of the image folder (with its starting project) in a new window,
    // `actions` random actions (fewer when deadline_ms, a QDeadlineTimer-style absolute time from
    // QDateTime::currentMSecsSinceEpoch(), passes first), then the final checks. Returns false on
    // the first broken invariant (see failure()).
    bool run_episode(int actions, int64_t deadline_ms = 0);

    int64_t actions_done() const { return actions_done_; }
    int episodes() const { return episodes_; }
    const QString& failure() const { return failure_; }
    // Per-action counts, "name count" lines, for the run's summary.
    QString histogram() const;

private:
    struct Action {
        const char* name;
        int weight;
        std::function<void()> run;
    };
    void build_actions();
    void add(const char* name, int weight, std::function<void()> run);
    void add_prompt_actions();
    void add_edit_actions();
    void edit_in_attribute_panel();
    void choose_in_attribute_panel(const std::vector<int64_t>& selected);
    void edit_declarations();
    void add_category_actions();
    void add_view_actions();
    void add_display_actions();
    void add_review_actions();
    void check_image_list();  // the list shows what the filter passes of the project as it is
    void add_file_actions();
    void export_in_another_format();
    void import_last_export();
    void import_bad_file();
    void edit_sentences();
    void another_program_writes();
    void second_window_opens_read_only();
    void make_folder(const QString& folder);
    bool open_window(const QString& folder);
    void close_window();

    // Helpers for the actions.
    QWidget* canvas() const;
    QPoint image_point() ;  // a random point of the shown image, in canvas widget coordinates
    QPoint instance_point(int64_t* id);  // a pixel of a random instance of the shown image
    void key(int key, int modifiers = 0);
    void drag(int button, int modifiers, const std::vector<QPoint>& path);
    void settle_engine();
    void settle_image();
    void answer_next_dialog(std::function<void(QWidget*)> answer);
    void drop_dialog_answer();
    void choose_tool(const char* action_name, int key);
    void edit_vertices();

    // Invariants.
    void check_quick();
    void check_file_matches_document();
    void check_undo_redo_all();
    void check_export(const QString& path);
    void fail(const QString& what);

    Settings settings_;
    std::mt19937_64 rng_;
    std::unique_ptr<MainWindow> window_;
    QString folder_;
    std::string baseline_;  // the undoable state when the episode started
    std::vector<Action> actions_;
    std::vector<int> counts_;
    QStringList recent_;  // the last actions, for the failure message
    int64_t actions_done_ = 0;
    int episodes_ = 0;
    int exports_ = 0;
    int external_writes_ = 0;
    QString last_vgd_export_;  // the last VGD export of this episode (import_format imports it)
    QString failure_;
    std::set<int64_t> seen_;                 // instance ids seen so far (this episode)
    std::map<std::string, int> sources_;     // how many of them each engine or tool made
    QTimer* answerer_ = nullptr;  // answers the dialog the current action opens

    int uniform(int lo, int hi);  // inclusive
    bool chance(double p);
    void note(const QString& what);
};

// The undoable part of a project as text: its categories and every non-empty instance list, keyed by
// file name (image records themselves are added without undo when an image is first shown).
std::string undoable_state(const Project& project);

}  // namespace xs::monkey
