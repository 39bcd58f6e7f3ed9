// xsam-studio: the GUI entry point (argument parsing and wiring only).
//
//   xsam-studio [--engine NAME] [--project FILE] [FOLDER]
#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QSettings>
#include <cstdio>

#include "core/builtin/builtin_engines.h"
#include "core/util/malloc_hugepages.h"
#include "ui/main_window.h"

namespace {

// malloc's large blocks on huge pages for X-SAM (core/util/malloc_hugepages.h): the app starts
// itself again once, from .preinit_array, before any library's initialisers.
void restart_with_malloc_hugepages(int, char** argv, char** envp) { xs::use_malloc_hugepages(argv, envp); }
__attribute__((section(".preinit_array"), used)) void (*const preinit_restart)(int, char**, char**) =
    restart_with_malloc_hugepages;

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("xsam-studio");
    QApplication::setOrganizationName("xsam-studio");
    QApplication::setApplicationDisplayName("X-SAM Studio");
    QApplication::setApplicationVersion(XS_VERSION);

    QStringList engines;
    for (const std::string& n : xs::builtin_engines().names()) engines << QString::fromStdString(n);

    QCommandLineParser parser;
    parser.setApplicationDescription("X-SAM Studio: annotate image segmentation datasets with an embedded engine.");
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption engine_opt("engine", QString("Engine to use: %1 (default: the last one used, else classic).").arg(engines.join(", ")), "NAME");
    QCommandLineOption project_opt("project", "Open this project file.", "FILE");
    parser.addOption(engine_opt);
    parser.addOption(project_opt);
    parser.addPositionalArgument("FOLDER", "Open this folder of images (its project is FOLDER/xsam-project.json); the first one given is opened.", "[FOLDER]");
    parser.process(app);

    QString engine = parser.value(engine_opt);
    if (engine.isEmpty()) engine = QSettings().value("engine/name", "classic").toString();
    if (!engines.contains(engine)) {
        if (parser.isSet(engine_opt)) {
            std::fprintf(stderr, "xsam-studio: unknown engine '%s'; this build has: %s\n", qPrintable(engine),
                         qPrintable(engines.join(", ")));
            return 2;
        }
        engine = "classic";
    }
    // packaging/run-app.sh appends the samples folder after the user's arguments: the first folder wins.
    if (parser.positionalArguments().size() > 1)
        std::fprintf(stderr, "xsam-studio: opening %s (only one folder is opened at a time)\n",
                     qPrintable(parser.positionalArguments().first()));

    xs::MainWindow window;
    window.show();
    window.set_engine(engine);
    if (parser.isSet(project_opt)) {
        window.open_project(parser.value(project_opt));
    } else if (!parser.positionalArguments().isEmpty()) {
        window.open_folder(parser.positionalArguments().first());
    }
    return app.exec();
}
