#pragma once
// The application's look: the platform's own (System), or Qt's Fusion style with a light or a dark
// palette. Applies to the whole application; the canvas draws the image, masks and outlines in its
// own colours, so they read the same in every theme.
//
//   apply_theme(Theme::Dark);
//   theme_from_name(QSettings().value("view/theme").toString())   // unknown names: System
#include <QString>

namespace xs {

enum class Theme { System, Light, Dark };

void apply_theme(Theme theme);
Theme current_theme();
QString theme_name(Theme theme);  // "system", "light", "dark" (the stored setting)
Theme theme_from_name(const QString& name);

}  // namespace xs
