#include "ui/theme.h"

#include <QApplication>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>

namespace xs {

namespace {

Theme g_current = Theme::System;

// The style and palette the application started with, to go back to for System.
struct SystemLook {
    QString style;
    QPalette palette;
};

const SystemLook& system_look() {
    static const SystemLook look{QApplication::style()->name(), QApplication::palette()};
    return look;
}

QPalette dark_palette() {
    const QColor window(0x2d, 0x30, 0x34), base(0x1f, 0x21, 0x24), text(0xe6, 0xe8, 0xea);
    const QColor muted(0x8a, 0x90, 0x96), highlight(0x2f, 0x7d, 0xd1);
    QPalette p;
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, QColor(0x3a, 0x3e, 0x43));
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, muted);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, QColor(0x3a, 0x3e, 0x43));
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, QColor(0xff, 0x6b, 0x6b));
    p.setColor(QPalette::Light, QColor(0x4a, 0x4f, 0x55));
    p.setColor(QPalette::Midlight, QColor(0x40, 0x44, 0x49));
    p.setColor(QPalette::Mid, QColor(0x26, 0x28, 0x2b));
    p.setColor(QPalette::Dark, QColor(0x18, 0x19, 0x1b));
    p.setColor(QPalette::Shadow, Qt::black);
    p.setColor(QPalette::Highlight, highlight);
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x6c, 0xb8, 0xff));
    p.setColor(QPalette::LinkVisited, QColor(0xb0, 0x9c, 0xff));
    for (QPalette::ColorRole role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, muted);
    p.setColor(QPalette::Disabled, QPalette::Highlight, QColor(0x44, 0x48, 0x4d));
    return p;
}

}  // namespace

void apply_theme(Theme theme) {
    const SystemLook& look = system_look();  // captured before the first change
    if (theme == g_current) return;
    if (theme == Theme::System) {
        QApplication::setStyle(QStyleFactory::create(look.style));
        QApplication::setPalette(look.palette);
    } else {
        QStyle* fusion = QStyleFactory::create("Fusion");
        QApplication::setStyle(fusion);
        QApplication::setPalette(theme == Theme::Dark ? dark_palette() : fusion->standardPalette());
    }
    g_current = theme;
}

Theme current_theme() { return g_current; }

QString theme_name(Theme theme) {
    switch (theme) {
        case Theme::Light: return QStringLiteral("light");
        case Theme::Dark: return QStringLiteral("dark");
        case Theme::System: break;
    }
    return QStringLiteral("system");
}

Theme theme_from_name(const QString& name) {
    if (name == QLatin1String("light")) return Theme::Light;
    if (name == QLatin1String("dark")) return Theme::Dark;
    return Theme::System;
}

}  // namespace xs
