#pragma once
// Small widgets used by the main window: the notice bar (messages that must not be missed, without
// a modal dialog in the way) and the shortcut help overlay.
#include <QFrame>
#include <QLabel>
#include <QList>
#include <QWidget>
#include <functional>

class QAction;
class QHBoxLayout;
class QPushButton;

namespace xs {

class NoticeBar : public QFrame {
    Q_OBJECT
public:
    enum class Level { Info, Warning, Error };
    explicit NoticeBar(QWidget* parent = nullptr);
    struct Button {
        QString text;
        std::function<void()> on_click;
    };
    void show_notice(Level level, const QString& text, const QList<Button>& buttons = {});
    void notify(int level, const QString& text);  // 0 info, 1 warning, 2 error
    QString text() const { return label_->text(); }
    Level level() const { return level_; }

private:
    QLabel* label_;
    QHBoxLayout* buttons_;
    Level level_ = Level::Info;
};

// A translucent panel over the canvas listing every action with its shortcut (F1 or ?).
class HelpOverlay : public QWidget {
    Q_OBJECT
public:
    explicit HelpOverlay(QWidget* parent);
    // Sections of (title, actions); the list is rendered from the actions' own texts and shortcuts.
    void set_sections(const QList<QPair<QString, QList<QAction*>>>& sections, const QStringList& extra_lines);
    void toggle();

protected:
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent*) override;
    void keyPressEvent(QKeyEvent*) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    QList<QPair<QString, QList<QAction*>>> sections_;
    QStringList extra_;
};

// A one-line label whose text, when longer than the room it is given, is drawn cut short with an
// ellipsis (text() keeps the whole text) instead of widening what holds it: a status bar with a long
// engine report must not widen the window.
class ElidedLabel : public QLabel {
    Q_OBJECT
public:
    explicit ElidedLabel(QWidget* parent = nullptr);
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent*) override;
};

// Fits a top-level window into its screen's available area before it is first shown: a window
// that fits is only moved inside it; one too big (a geometry saved on a bigger screen, or the default
// size on a small one) gets 90% of the available area, centred.
void fit_to_screen(QWidget* window);

// For the event filter of a text field: claims Return and Enter before the window's shortcuts see
// them (the ShortcutOverride accepted), so the field's own returnPressed gets the key instead of the
// window's "Accept mask". True when the event was claimed.
bool claim_return_key(QEvent* event);

}  // namespace xs
