// The restart for transparent huge pages (common/huge_pages.h): when it is wanted, what it sets, and that
// the restarted program gets its arguments back and runs with the tunable.
#include "common/huge_pages.h"

#include <QProcess>
#include <QtTest>
#include <fstream>
#include <gnu/libc-version.h>
#include <sstream>

using namespace hs;

namespace {
std::string kernelThpMode() {
    std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

QString runProbe(const QStringList& args, const QProcessEnvironment& env) {
    QProcess probe;
    probe.setProcessEnvironment(env);
    probe.start(QStringLiteral(HS_HUGE_PAGES_PROBE), args);
    if (!probe.waitForFinished(30000) || probe.exitCode() != 0) return {};
    return QString::fromUtf8(probe.readAllStandardOutput());
}
} // namespace

class TestHugePages : public QObject {
    Q_OBJECT
private slots:
    void wantedOnlyInMadviseModeOnAGlibcThatKnowsTheTunable() {
        const std::string madvise = "always [madvise] never\n";
        QVERIFY(wantsHugePageRestart(nullptr, nullptr, madvise, "2.36"));
        QVERIFY(wantsHugePageRestart(nullptr, nullptr, madvise, "2.35"));
        QVERIFY(wantsHugePageRestart(nullptr, nullptr, madvise, "3.0"));
        QVERIFY(!wantsHugePageRestart(nullptr, nullptr, madvise, "2.34"));
        QVERIFY(!wantsHugePageRestart(nullptr, nullptr, madvise, "not a version"));
        QVERIFY(!wantsHugePageRestart(nullptr, nullptr, madvise, nullptr));
        // "always": the heap has huge pages already; "never", or no such file: none to be had.
        QVERIFY(!wantsHugePageRestart(nullptr, nullptr, "[always] madvise never\n", "2.36"));
        QVERIFY(!wantsHugePageRestart(nullptr, nullptr, "always madvise [never]\n", "2.36"));
        QVERIFY(!wantsHugePageRestart(nullptr, nullptr, "", "2.36"));
    }
    void neverTwiceNorAgainstTheUser() {
        const std::string madvise = "always [madvise] never\n";
        QVERIFY(!wantsHugePageRestart("glibc.malloc.hugetlb=1", nullptr, madvise, "2.36"));
        QVERIFY(!wantsHugePageRestart("glibc.malloc.hugetlb=0", nullptr, madvise, "2.36"));
        QVERIFY(!wantsHugePageRestart("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2", nullptr, madvise,
                                      "2.36"));
        QVERIFY(wantsHugePageRestart("glibc.malloc.arena_max=2", nullptr, madvise, "2.36"));
        QVERIFY(!wantsHugePageRestart(nullptr, "0", madvise, "2.36"));
        QVERIFY(wantsHugePageRestart(nullptr, "1", madvise, "2.36"));
    }
    void theTunablesAreAddedToWhatWasSet() {
        const std::string ours = "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc."
                                 "trim_threshold=67108864";
        QCOMPARE(tunablesWithHugePages(nullptr), ours);
        QCOMPARE(tunablesWithHugePages(""), ours);
        QCOMPARE(tunablesWithHugePages("glibc.malloc.arena_max=2"), "glibc.malloc.arena_max=2:" + ours);
        // A value the user gave is kept, and not given twice.
        QCOMPARE(tunablesWithHugePages("glibc.malloc.mmap_threshold=4096"),
                 std::string("glibc.malloc.mmap_threshold=4096:glibc.malloc.hugetlb=1:"
                             "glibc.malloc.trim_threshold=67108864"));
    }
    void theRestartedProgramKeepsItsArgumentsAndRunsWithTheTunable() {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("GLIBC_TUNABLES"));
        env.remove(QStringLiteral("HIERSCOPE_HUGE_PAGES"));
        const QStringList args{QStringLiteral("model with spaces.onnx"), QStringLiteral("--sidecar"),
                               QStringLiteral("caf\u00e9.json"), QString()};
        const QString out = runProbe(args, env);
        QVERIFY2(!out.isEmpty(), "the probe did not run");
        // Restarted or not, the process keeps its program's name (ps, top, pkill), not "exe".
        QVERIFY2(out.startsWith(QStringLiteral("comm=huge_pages_prob\n")), qPrintable(out));
        QVERIFY2(out.contains(
                     QStringLiteral("arg=model with spaces.onnx\narg=--sidecar\narg=caf\u00e9.json\narg=\n")),
                 qPrintable(out));
        const bool wanted = wantsHugePageRestart(nullptr, nullptr, kernelThpMode(), gnu_get_libc_version());
        if (wanted) {
            QVERIFY2(out.contains(QStringLiteral(
                         "tunables=glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:"
                         "glibc.malloc.trim_threshold=67108864\n")),
                     qPrintable(out));
#if defined(__SANITIZE_ADDRESS__)
            qInfo("AddressSanitizer's allocator replaces glibc's: its arenas are not checked");
#else
            // A thread's arena has huge pages only when it asks (the loader's and the index's threads do):
            // of 16 MB written in 2 KB blocks, at least half (the kernel may lack a few), and none unasked.
            const long advised =
                out.section(QStringLiteral("advised thread="), 1).section(' ', 0, 0).toLong();
            QVERIFY2(advised >= 8192, qPrintable(out));
            QProcessEnvironment plain = env;
            plain.insert(QStringLiteral("HS_PROBE_THREAD"), QStringLiteral("plain"));
            const QString unasked = runProbe({}, plain);
            QVERIFY2(unasked.contains(QStringLiteral("plain thread=0 kB\n")), qPrintable(unasked));
#endif
        } else {
            QVERIFY2(out.contains(QStringLiteral("tunables=(unset)\n")), qPrintable(out));
        }
        // Other tunables survive; opting out leaves the environment alone.
        env.insert(QStringLiteral("GLIBC_TUNABLES"), QStringLiteral("glibc.malloc.arena_max=4"));
        const QString kept = runProbe({}, env);
        QVERIFY2(kept.contains(
                     wanted
                         ? QStringLiteral(
                               "tunables=glibc.malloc.arena_max=4:glibc.malloc.hugetlb=1:glibc.malloc.mmap_"
                               "threshold=33554432:glibc.malloc.trim_threshold=67108864\n")
                         : QStringLiteral("tunables=glibc.malloc.arena_max=4\n")),
                 qPrintable(kept));
        env.remove(QStringLiteral("GLIBC_TUNABLES"));
        env.insert(QStringLiteral("HIERSCOPE_HUGE_PAGES"), QStringLiteral("0"));
        QVERIFY(runProbe({}, env).contains(QStringLiteral("tunables=(unset)\n")));
        // Under Valgrind (its preload in the environment; a missing one here, which the loader skips)
        // the exec would leave the tool: no restart.
        env.remove(QStringLiteral("HIERSCOPE_HUGE_PAGES"));
        env.insert(QStringLiteral("LD_PRELOAD"),
                   QStringLiteral("/nonexistent/vgpreload_core-amd64-linux.so"));
        QVERIFY(runProbe({}, env).contains(QStringLiteral("tunables=(unset)\n")));
    }
};

QTEST_APPLESS_MAIN(TestHugePages)
#include "test_huge_pages.moc"
