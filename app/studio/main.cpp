// xsam-studio: the GUI entry point (argument parsing and wiring only).
#include <QApplication>

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    return 0;
}
