// hierscope: the desktop explorer.
//   hierscope [MODEL] [--sidecar FILE]
//   hierscope --screenshot OUT.png MODEL [--expand SCOPE]... [--size WxH]   (renders the window and exits)
#include "main_window.h"
#include "screenshot.h"

#include <QApplication>
#include <QCommandLineParser>
#include <cstdio>

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Hierscope"));
    QApplication::setApplicationName(QStringLiteral("Hierscope"));
    QApplication::setApplicationVersion(QStringLiteral("0.1.0"));

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
    parser.process(app);

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
    return app.exec();
}
