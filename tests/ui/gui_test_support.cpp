#include "tests/ui/gui_test_support.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QContextMenuEvent>
#include <QLineEdit>
#include <QMenu>
#include <QPainter>
#include <QSettings>
#include <QStandardPaths>
#include <QtTest>

#include "ui/image_canvas.h"
#include "ui/main_window.h"

void use_private_settings(const QString& app_name) {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("xsam-studio-test");
    QCoreApplication::setApplicationName(app_name);
    static QString folder;
    folder = QDir::tempPath() + QStringLiteral("/xs-test-settings/%1-%2").arg(app_name).arg(QCoreApplication::applicationPid());
    QDir(folder).removeRecursively();
    QDir().mkpath(folder);
    for (QSettings::Format f : {QSettings::NativeFormat, QSettings::IniFormat})
        QSettings::setPath(f, QSettings::UserScope, folder);
    QSettings settings;
    if (!settings.fileName().startsWith(folder))
        qFatal("use_private_settings: QSettings still writes %s, not under %s", qPrintable(settings.fileName()), qPrintable(folder));
    settings.clear();
    qAddPostRoutine([] { QDir(folder).removeRecursively(); });
}

void shot(QWidget* w, const QString& name) {
    QTest::qWait(50);  // let pending layout and paint events run, so the picture is what a user sees
    QDir().mkpath("/tmp/gui-shots");
    QVERIFY(w->grab().save("/tmp/gui-shots/" + name + ".png"));
}

QByteArray file_bytes(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void type_over(QLineEdit* line, const QString& text) {
    line->setFocus();
    line->selectAll();
    if (text.isEmpty()) QTest::keyClick(line, Qt::Key_Delete);
    else QTest::keyClicks(line, text);
}

xs::MainWindow* open_main_window(std::unique_ptr<xs::MainWindow>& window, const QString& folder, QSize size,
                                 bool wait_for_engine, int timeout_ms) {
    window = std::make_unique<xs::MainWindow>();
    window->resize(size);
    window->show();
    QApplication::setActiveWindow(window.get());
    window->set_engine("classic");
    xs::MainWindow* w = window.get();
    if (!w->open_folder(folder)) return nullptr;
    const bool ready = QTest::qWaitFor(
        [w, wait_for_engine] { return !w->scanning() && w->image_ready() && (!wait_for_engine || w->engine_ready()); },
        timeout_ms);
    return ready ? w : nullptr;
}

QPoint to_widget(xs::ImageCanvas* canvas, double x, double y) { return canvas->image_to_widget(QPointF(x, y)).toPoint(); }

void make_disc_and_square_image(const QString& path) {
    QImage img(640, 480, QImage::Format_RGB32);
    img.fill(QColor(40, 90, 160));
    QPainter p(&img);
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(220, 60, 50));
    p.drawEllipse(QPoint(300, 220), 90, 90);
    p.setBrush(QColor(40, 200, 60));
    p.drawRect(520, 380, 60, 60);
    p.end();
    QVERIFY(img.save(path));
}

xs::Mask rect_mask(int width, int height, int x0, int y0, int x1, int y1) {
    xs::Mask m(width, height);
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) m.set(x, y, true);
    return m;
}

bool choose_in_context_menu(QWidget* viewport, const QPoint& pos, const QString& entry) {
    bool chosen = false;
    QTimer poll;  // the menu runs its own event loop: answer it from a timer
    QObject::connect(&poll, &QTimer::timeout, [&] {
        auto* menu = qobject_cast<QMenu*>(QApplication::activePopupWidget());
        if (!menu || !menu->isVisible()) return;
        poll.stop();
        for (QAction* action : menu->actions())
            if (action->text() == entry) {
                chosen = true;
                return QTest::mouseClick(menu, Qt::LeftButton, {}, menu->actionGeometry(action).center());
            }
        menu->close();
    });
    poll.start(20);
    QContextMenuEvent event(QContextMenuEvent::Mouse, pos, viewport->mapToGlobal(pos));
    QApplication::sendEvent(viewport, &event);
    return chosen;
}

bool is_box(QWidget* w) { return qobject_cast<QMessageBox*>(w) != nullptr; }

QString box_text(QWidget* w) { return qobject_cast<QMessageBox*>(w)->text(); }

QMessageBox* visible_box(const QString& object_name) {
    for (QWidget* top : QApplication::topLevelWidgets())
        if (auto* box = qobject_cast<QMessageBox*>(top); box && box->isVisible() && box->objectName() == object_name)
            return box;
    return nullptr;
}

void close_boxes() {
    for (QWidget* top : QApplication::topLevelWidgets())
        if (auto* box = qobject_cast<QMessageBox*>(top); box && box->isVisible()) box->close();
}
