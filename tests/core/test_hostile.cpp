// Issue 24: hostile structure a mutating fuzzer rarely reaches (deep scope names, self-multiplying local
// functions, long sidecar paths, many sidecar modules, deeply nested subgraphs). Each input is generated
// here, and every command must end cleanly (exit 0, or 1 with a message naming the problem, never a
// signal) within a memory and CPU-time budget set on the child process (not wall-clock).
#include "cli_run.h"
#include "hostile_inputs.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/resource.h>

namespace {
namespace hostile = hstest::hostile;

// The budgets every command gets: the target is "a few seconds and under 2 GiB". CPU seconds
// are steps, not wall-clock: a busy machine does not fail the test. Sanitizer builds reserve terabytes
// of address space, so only the CPU limit applies there (and is wider: they run ~3x slower).
#ifdef HS_SANITIZED
constexpr rlim_t kAddressSpace = RLIM_INFINITY;
constexpr rlim_t kCpuSeconds = 60;
#else
constexpr rlim_t kAddressSpace = rlim_t{2} << 30;
constexpr rlim_t kCpuSeconds = 20;
#endif

struct Bounded {
    int code = -1;
    bool crashed = true;
    QString out, err;
};

Bounded runBounded(const QStringList& args) {
    QProcess p;
    p.setChildProcessModifier([] {
        const rlimit as{kAddressSpace, kAddressSpace};
        const rlimit cpu{kCpuSeconds, kCpuSeconds};
        setrlimit(RLIMIT_AS, &as);
        setrlimit(RLIMIT_CPU, &cpu);
    });
    p.start(HS_CLI, args);
    p.waitForFinished(-1);
    return {p.exitCode(), p.exitStatus() == QProcess::CrashExit, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

// Exit 0, or 1 with a message; never a signal, never past the budget.
#define HS_VERIFY_CLEAN(run, args)                                                                           \
    do {                                                                                                     \
        const Bounded& r_ = (run);                                                                           \
        QVERIFY2(!r_.crashed,                                                                                \
                 qPrintable("killed by a signal: " + (args).join(' ') + "\n" + r_.err.left(400)));           \
        QVERIFY2(                                                                                            \
            r_.code == 0 || (r_.code == 1 && !r_.err.trimmed().isEmpty()),                                   \
            qPrintable(QString("exit %1: ").arg(r_.code) + (args).join(' ') + "\n" + r_.err.left(400)));     \
    } while (0)

// Where the generated inputs go: a temporary folder, or HSTEST_HOSTILE_DIR to keep them (measuring).
class Workspace {
public:
    Workspace()
        : path_(qEnvironmentVariableIsSet("HSTEST_HOSTILE_DIR") ? qEnvironmentVariable("HSTEST_HOSTILE_DIR")
                                                                : temp_.path()) {
        QDir().mkpath(path_);
    }
    QString file(const QString& name) const { return path_ + "/" + name; }

private:
    QTemporaryDir temp_;
    QString path_;
};

// Runs each command on `model` (extract: the node `extractNode`); returns the runs by command.
QMap<QString, Bounded> runEveryCommand(const Workspace& w, const QString& model, const QString& extractNode) {
    QMap<QString, Bounded> runs;
    for (const QString command : {"info", "tag", "extract", "tree", "tree --json", "diff"}) {
        QStringList args;
        if (command == "info")
            args = {"info", model};
        else if (command == "tag")
            args = {"tag", model, "-o", w.file("tagged.json")};
        else if (command == "extract")
            args = {"extract", model, "--nodes", extractNode, "-o", w.file("extracted.onnx")};
        else if (command == "tree")
            args = {"tree", model};
        else if (command == "tree --json")
            args = {"tree", model, "--json"};
        else
            args = {"diff", model, model};
        runs[command] = runBounded(args);
        [&] { HS_VERIFY_CLEAN(runs[command], args); }();
    }
    return runs;
}
} // namespace

class TestHostile : public QObject {
    Q_OBJECT
private slots:
    void deepScopeNames() {
        Workspace w;
        for (int levels : {20000, 30000}) {
            const QString model = w.file(QString("deep_name_%1.onnx").arg(levels));
            QVERIFY(hostile::save(hostile::deepName(levels), model.toStdString()));
            const auto runs = runEveryCommand(w, model, "/Relu");
            if (QTest::currentTestFailed()) return;
            for (const auto& r : runs)
                QCOMPARE(r.code, 0);
        }
    }
};

QTEST_GUILESS_MAIN(TestHostile)
#include "test_hostile.moc"
