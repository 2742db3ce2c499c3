// hierscope: the desktop explorer.
//   hierscope [MODEL] [--sidecar FILE]
//   hierscope --screenshot OUT.png MODEL [--expand SCOPE]... [--size WxH]   (renders the window and exits)
#include "common/huge_pages.h"
#include "hierscope_version.h"
#include "mainwindow/main_window.h"
#include "mainwindow/screenshot.h"

#include <QApplication>
#include <QCommandLineParser>
#include <cstdio>
#include <cstring>
#include <memory>

namespace {
// --help and --version only print text: they must work without a display (scripts, package checks), so
// they get a QCoreApplication, which is all QCommandLineParser needs to answer them.
bool onlyPrintsText(int argc, char** argv) {
    for (int i = 1; i < argc && std::strcmp(argv[i], "--") != 0; ++i)
        for (const char* option : {"-h", "--help", "-?", "--help-all", "-v", "--version"})
            if (std::strcmp(argv[i], option) == 0) return true;
    return false;
}
} // namespace

int main(int argc, char** argv) {
    hs::restartWithHugePages(argv); // common/huge_pages.h: a big model's structure in 2 MB pages
    std::unique_ptr<QCoreApplication> app(onlyPrintsText(argc, argv) ? new QCoreApplication(argc, argv)
                                                                     : new QApplication(argc, argv));
    QApplication::setOrganizationName(QStringLiteral("Hierscope"));
    QApplication::setApplicationName(QStringLiteral("Hierscope"));
    QApplication::setApplicationVersion(QStringLiteral(HIERSCOPE_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Explore which PyTorch module each ONNX node came from."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("MODEL"), QStringLiteral("ONNX model to open."),
                                 QStringLiteral("[MODEL]"));
    const QCommandLineOption sidecar(QStringLiteral("sidecar"),
                                     QStringLiteral("Hierarchy sidecar JSON to apply."),
                                     QStringLiteral("FILE"));
    const QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                        QStringLiteral("Render the window to a PNG and exit."),
                                        QStringLiteral("OUT"));
    const QCommandLineOption expand(QStringLiteral("expand"),
                                    QStringLiteral("Expand the module with this scope (repeatable)."),
                                    QStringLiteral("SCOPE"));
    const QCommandLineOption size(QStringLiteral("size"),
                                  QStringLiteral("Window size of the screenshot (default 1280x800)."),
                                  QStringLiteral("WxH"), QStringLiteral("1280x800"));
    parser.addOptions({sidecar, screenshot, expand, size});
    parser.process(*app);
    if (!qobject_cast<QApplication*>(app.get())) { // "--help" given as an option's value
        std::fprintf(stderr, "hierscope: -h, --help, -v and --version cannot be option values\n");
        return 2;
    }

    const QStringList models = parser.positionalArguments();
    if (models.size() > 1) {
        std::fprintf(stderr, "hierscope: expected at most one MODEL, got %lld\n",
                     static_cast<long long>(models.size()));
        return 2;
    }
    const QString model = models.value(0);
    if (parser.isSet(screenshot)) {
        if (model.isEmpty()) {
            std::fprintf(stderr, "hierscope: --screenshot needs a MODEL\n");
            return 2;
        }
        const QStringList wh = parser.value(size).split(QLatin1Char('x'));
        const QSize windowSize(wh.value(0).toInt(), wh.value(1).toInt());
        if (wh.size() != 2 || windowSize.width() < 200 || windowSize.height() < 200) {
            std::fprintf(stderr, "hierscope: --size expects WIDTHxHEIGHT (at least 200x200), got '%s'\n",
                         qPrintable(parser.value(size)));
            return 2;
        }
        return hs::ui::renderScreenshot(model, parser.value(sidecar), parser.values(expand),
                                        parser.value(screenshot), windowSize);
    }

    hs::ui::MainWindow window;
    window.show();
    if (!model.isEmpty()) window.openModel(model, parser.value(sidecar));
    return app->exec();
}
