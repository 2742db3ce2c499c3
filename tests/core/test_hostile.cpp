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

Bounded runBounded(const QStringList& args, rlim_t cpuSeconds = kCpuSeconds) {
    QProcess p;
    p.setChildProcessModifier([cpuSeconds] {
        const rlimit as{kAddressSpace, kAddressSpace};
        const rlimit cpu{cpuSeconds, cpuSeconds};
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
    void deepScopes_data() {
        QTest::addColumn<int>("where");
        QTest::addColumn<QString>("extractNode");
        QTest::newRow("torch name") << int(hostile::Deep::TorchName) << "/Relu";
        QTest::newRow("converter name") << int(hostile::Deep::ConverterName) << "Relu_1";
        QTest::newRow("dynamo metadata") << int(hostile::Deep::Metadata) << "Relu_1";
        QTest::newRow("parameter name") << int(hostile::Deep::Parameter) << "Relu_1";
    }

    // A scope 30,000 levels deep (a 60 KB name) once overflowed the stack in info, tag, extract and
    // tree; tree --json at 10,000 and diff at 20,000. Read to kMaxModuleDepth levels, with a note.
    void deepScopes() {
        QFETCH(int, where);
        QFETCH(QString, extractNode);
        Workspace w;
        for (int levels : {10000, 30000}) {
            const QString model = w.file(QString("deep_%1_%2.onnx").arg(where).arg(levels));
            QVERIFY(hostile::save(hostile::deepName(levels, hostile::Deep(where)), model.toStdString()));
            const auto runs = runEveryCommand(w, model, extractNode);
            if (QTest::currentTestFailed()) return;
            for (const auto& r : runs)
                QCOMPARE(r.code, 0);
            QVERIFY2(runs["info"].out.contains(QRegularExpression("note: .* are supported")),
                     qPrintable(runs["info"].out));
            // The module tree stops at 64 levels below the root (dynamo's scopes repeat one module).
            QVERIFY2(!runs["tree"].out.contains(QString(2 * 65, ' ') + "a"),
                     qPrintable(runs["tree"].out.left(300)));
            if (hostile::Deep(where) != hostile::Deep::Metadata)
                QVERIFY2(runs["tree"].out.contains(QString(2 * 64, ' ') + "a"),
                         qPrintable(runs["tree"].out.left(300)));
        }
    }

    // A function calling itself 4 times expands into 4^16 instances at the index's nesting limit; ten
    // functions calling the next ten times into 10^9 (both once grew past 7 GB, then threw bad_alloc).
    // Refused before expanding, naming the function.
    void selfMultiplyingFunctions() {
        Workspace w;
        struct Case {
            const char* file;
            onnx::ModelProto model;
        };
        for (const Case& c : {Case{"self_calls_4.onnx", hostile::functionFan(16, 4, true)},
                              Case{"fan_10x10.onnx", hostile::functionFan(10, 10)}}) {
            const QString model = w.file(c.file);
            QVERIFY(hostile::save(c.model, model.toStdString()));
            const auto runs = runEveryCommand(w, model, "/f0");
            if (QTest::currentTestFailed()) return;
            for (const auto& r : runs) {
                QCOMPARE(r.code, 1);
                QVERIFY2(r.err.contains("local function 'hostile.f0' expands into more than") &&
                             r.err.contains("at most 1048576 beyond the"),
                         qPrintable(r.err));
            }
        }
        // A modest fan still opens: 3 levels of 10 calls, 1000 instances of the innermost body.
        const QString modest = w.file("fan_3x10.onnx");
        QVERIFY(hostile::save(hostile::functionFan(4, 10), modest.toStdString()));
        const Bounded r = runBounded({"info", modest});
        QCOMPARE(r.code, 0);
        // The call of f0, 10 calls of f1, 100 of f2, 1000 of f3 and their 1000 Relus.
        QVERIFY2(r.out.contains("2111 instances in all"), qPrintable(r.out));
    }

    // A sidecar beside the model is loaded by every command: a hierarchy path of 20,000 and 50,000
    // levels once took 6.3 GB, then ended in bad_alloc.
    void longSidecarPath() {
        Workspace w;
        for (int levels : {20000, 50000}) {
            const QString model = w.file(QString("path_%1.onnx").arg(levels));
            const onnx::ModelProto m = hostile::deepName(1);
            QVERIFY(hostile::save(m, model.toStdString()));
            QVERIFY(hostile::saveText(hostile::deepPathSidecar(m, levels),
                                      w.file(QString("path_%1.hierarchy.json").arg(levels)).toStdString()));
            const auto runs = runEveryCommand(w, model, "/Relu");
            if (QTest::currentTestFailed()) return;
            for (const auto& r : runs)
                QCOMPARE(r.code, 0);
            QVERIFY2(runs["info"].out.contains("at most 64 are supported"), qPrintable(runs["info"].out));
        }
    }

    // A sidecar listing a million modules beside a two-node model (the report's 200 MB file had 2.3 M;
    // this one took 9.6 s of CPU and 900 MB before): read straight into values, and only as many
    // modules as the model could use go through inference.
    void manySidecarModules() {
        Workspace w;
        const QString model = w.file("many_modules.onnx");
        const onnx::ModelProto m = hostile::deepName(1);
        QVERIFY(hostile::save(m, model.toStdString()));
        QVERIFY(hostile::saveText(hostile::manyModulesSidecar(m, 1000000),
                                  w.file("many_modules.hierarchy.json").toStdString()));
        const QStringList info{"info", model, "--json"};
        const Bounded r = runBounded(info, kCpuSeconds / 4);
        HS_VERIFY_CLEAN(r, info);
        QCOMPARE(r.code, 0);
        // The root, "a" from the names, and 4 modules per node and parameter plus 4096 of the list.
        QVERIFY2(r.out.contains("\"modules\": 4106"), qPrintable(r.out.left(2000)));
        QVERIFY2(r.out.contains("lists 1000000 modules, more than 4 per node and parameter of the model"),
                 qPrintable(r.out.left(2000)));
        const QStringList tag{"tag", model, "-o", w.file("t.json")};
        const Bounded t = runBounded(tag, kCpuSeconds / 4);
        HS_VERIFY_CLEAN(t, tag);
        QCOMPARE(t.code, 0);
    }

    // If nodes nested 50 levels: past what the ONNX library parses (protobuf's recursion limit, from 33
    // levels on). Every command says so the same way, extraction too.
    void nestedSubgraphs() {
        Workspace w;
        for (int levels : {50, 100}) {
            const QString model = w.file(QString("nested_%1.onnx").arg(levels));
            QVERIFY(hostile::save(hostile::nestedIfs(levels), model.toStdString()));
            const auto runs = runEveryCommand(w, model, "/l0/If");
            if (QTest::currentTestFailed()) return;
            for (const auto& r : runs) {
                QCOMPARE(r.code, 1);
                QVERIFY2(r.err.contains("subgraphs nested more than"), qPrintable(r.err));
            }
        }
        // 32 levels, the most protobuf parses for the ONNX library, are read, and the outer If is extracted.
        const QString model = w.file("nested_32.onnx");
        QVERIFY(hostile::save(hostile::nestedIfs(32), model.toStdString()));
        for (const auto& r : runEveryCommand(w, model, "/l0/If"))
            QCOMPARE(r.code, 0);
    }
};

QTEST_GUILESS_MAIN(TestHostile)
#include "test_hostile.moc"
