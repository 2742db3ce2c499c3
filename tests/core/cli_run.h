#pragma once
// Runs hierscope-cli (HS_CLI) as a script would, for the core tests of its commands.
#include "test_support.h"

#include <QProcess>
#include <QString>
#include <QStringList>

namespace hstest {

struct CliRun {
    int code = -1;
    QString out, err;
};

inline CliRun cli(const QStringList& args) {
    QProcess p;
    p.start(HS_CLI, args);
    p.waitForFinished(120000);
    return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

inline QString fixturePath(const char* name) {
    return QString::fromStdString(fixture(name));
}

} // namespace hstest
