#include "ui/widgets.h"

#include <QAction>
#include <QGuiApplication>
#include <QScreen>
#include <algorithm>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QPainter>
#include <QPushButton>
#include <QStyle>
#include <QToolButton>

namespace xs {

ElidedLabel::ElidedLabel(QWidget* parent) : QLabel(parent) {
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
    setTextFormat(Qt::PlainText);
}

QSize ElidedLabel::minimumSizeHint() const {
    const QSize full = QLabel::minimumSizeHint();
    const int least = fontMetrics().horizontalAdvance(QStringLiteral("MMMMMM…"));
    return QSize(std::min(full.width(), least), full.height());
}

void ElidedLabel::paintEvent(QPaintEvent*) {
    QPainter p(this);
    const QRect r = contentsRect();
    p.setPen(palette().color(foregroundRole()));
    p.drawText(r, Qt::AlignVCenter | Qt::AlignLeft, fontMetrics().elidedText(text(), Qt::ElideRight, r.width()));
}

void fit_to_screen(QWidget* w) {
    QScreen* screen = w->screen() ? w->screen() : QGuiApplication::primaryScreen();
    if (!screen) return;
    const QRect avail = screen->availableGeometry();
    const QSize frame(16, 48);  // the window frame, not known before the window is shown
    const QSize need = w->size() + frame;
    if (need.width() > avail.width() || need.height() > avail.height()) {
        // Too big for this screen (a geometry saved on a bigger one, or the default size): 90% of
        // the available area, centred.
        QRect g(QPoint(), (avail.size() * 0.9).boundedTo(avail.size() - frame));
        g.moveCenter(avail.center());
        w->setGeometry(g);
        return;
    }
    QRect g = w->geometry();
    if (avail.contains(g)) return;
    g.moveLeft(std::clamp(g.left(), avail.left(), avail.right() - g.width()));
    g.moveTop(std::clamp(g.top(), avail.top(), avail.bottom() - g.height()));
    w->move(g.topLeft());
}

NoticeBar::NoticeBar(QWidget* parent) : QFrame(parent) {
    setObjectName("noticeBar");
    auto* lay = new QHBoxLayout(this);
    lay->setContentsMargins(10, 6, 6, 6);
    label_ = new QLabel(this);
    label_->setWordWrap(true);
    label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    lay->addWidget(label_, 1);
    buttons_ = new QHBoxLayout;
    lay->addLayout(buttons_);
    auto* close = new QToolButton(this);
    close->setText(QStringLiteral("✕"));
    close->setToolTip(tr("Dismiss"));
    close->setAutoRaise(true);
    lay->addWidget(close);
    connect(close, &QToolButton::clicked, this, &QWidget::hide);
    hide();
}

void NoticeBar::show_notice(Level level, const QString& text, const QList<Button>& buttons) {
    level_ = level;
    const char* bg = level == Level::Error ? "#5c2626" : level == Level::Warning ? "#5a4a1c" : "#1f3f5c";
    const char* border = level == Level::Error ? "#c0392b" : level == Level::Warning ? "#d4a017" : "#3d8fd1";
    setStyleSheet(QStringLiteral("#noticeBar { background: %1; border-bottom: 2px solid %2; } "
                                 "#noticeBar QLabel { color: #f0f0f0; }")
                      .arg(QLatin1String(bg), QLatin1String(border)));
    label_->setText(text);
    while (QLayoutItem* item = buttons_->takeAt(0)) {
        if (QWidget* w = item->widget()) w->deleteLater();  // may be the button whose click led here
        delete item;
    }
    for (const Button& b : buttons) {
        auto* button = new QPushButton(b.text, this);
        auto action = b.on_click;
        connect(button, &QPushButton::clicked, this, [this, action] {
            hide();
            if (action) action();
        });
        buttons_->addWidget(button);
    }
    show();
}

void NoticeBar::notify(int level, const QString& text) {
    show_notice(level == 2 ? Level::Error : level == 1 ? Level::Warning : Level::Info, text);
}

HelpOverlay::HelpOverlay(QWidget* parent) : QWidget(parent) {
    setObjectName("helpOverlay");
    setFocusPolicy(Qt::StrongFocus);
    parent->installEventFilter(this);
    hide();
}

void HelpOverlay::set_sections(const QList<QPair<QString, QList<QAction*>>>& sections, const QStringList& extra) {
    sections_ = sections;
    extra_ = extra;
}

void HelpOverlay::toggle() {
    if (isVisible()) {
        hide();
        return;
    }
    setGeometry(parentWidget()->rect());
    raise();
    show();
    setFocus();
}

bool HelpOverlay::eventFilter(QObject* watched, QEvent* event) {
    if (watched == parentWidget() && event->type() == QEvent::Resize) setGeometry(parentWidget()->rect());
    return false;
}

void HelpOverlay::mousePressEvent(QMouseEvent*) { hide(); }

void HelpOverlay::keyPressEvent(QKeyEvent* e) {
    if (e->key() == Qt::Key_Escape || e->key() == Qt::Key_F1 || e->key() == Qt::Key_Question) hide();
}

void HelpOverlay::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(rect(), QColor(10, 12, 14, 215));
    QFont title_font = font();
    title_font.setPointSizeF(font().pointSizeF() * 1.5);
    title_font.setBold(true);
    QFont head_font = font();
    head_font.setBold(true);
    QFont body = font();
    QFontMetrics fm(body);
    const int line = fm.height() + 4;
    const int col_width = std::max(300, width() / 3 - 40);
    int x = 40, y = 40;
    p.setFont(title_font);
    p.setPen(Qt::white);
    p.drawText(QPoint(x, y + QFontMetrics(title_font).ascent()), tr("Keyboard shortcuts"));
    y += QFontMetrics(title_font).height() + 16;
    const int top = y;
    for (const auto& section : sections_) {
        int needed = line * (int(section.second.size()) + 2);
        if (y + needed > height() - 60 && y > top) {
            x += col_width + 30;
            y = top;
        }
        p.setFont(head_font);
        p.setPen(QColor(0x6c, 0xb8, 0xff));
        p.drawText(QPoint(x, y + fm.ascent()), section.first);
        y += line + 2;
        p.setFont(body);
        int key_column = 0;
        for (QAction* a : section.second) {
            QStringList keys;
            for (const QKeySequence& k : a->shortcuts()) keys << k.toString(QKeySequence::NativeText);
            key_column = std::max(key_column, fm.horizontalAdvance(keys.join("  ")) + 24);
        }
        for (QAction* a : section.second) {
            QStringList keys;
            for (const QKeySequence& k : a->shortcuts()) keys << k.toString(QKeySequence::NativeText);
            if (keys.isEmpty()) continue;
            QString key_text = keys.join("  ");
            QRect key_rect(x, y, fm.horizontalAdvance(key_text) + 12, fm.height() + 2);
            p.setPen(QColor(0x55, 0x5b, 0x63));
            p.setBrush(QColor(0x33, 0x37, 0x3c));
            p.drawRoundedRect(key_rect, 4, 4);
            p.setPen(QColor(0xf0, 0xf0, 0xf0));
            p.drawText(key_rect, Qt::AlignCenter, key_text);
            p.setPen(QColor(0xd0, 0xd4, 0xd8));
            QString text = a->text().remove('&');
            p.drawText(QPoint(x + std::max(key_column, 110), y + fm.ascent() + 1), text);
            y += line;
        }
        y += line / 2;
    }
    p.setFont(body);
    p.setPen(QColor(0xb0, 0xb4, 0xba));
    int ey = height() - 30 - line * int(extra_.size());
    for (const QString& s : extra_) {
        p.drawText(QPoint(40, ey + fm.ascent()), s);
        ey += line;
    }
}

bool claim_return_key(QEvent* event) {
    if (event->type() != QEvent::ShortcutOverride) return false;
    const int key = static_cast<QKeyEvent*>(event)->key();
    if (key != Qt::Key_Return && key != Qt::Key_Enter) return false;
    event->accept();
    return true;
}

}  // namespace xs
