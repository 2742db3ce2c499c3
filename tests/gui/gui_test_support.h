#pragma once
// Helpers shared by the GUI tests: open a model in a real main window and wait for the background work.
#include "../model_paths.h"
#include "mainwindow/main_window.h"

#include <QApplication>
#include <QSignalSpy>
#include <QTimer>
#include <QtTest>
#include <deque>
#include <functional>

namespace hs::ui::test {

inline QString fixture(const char* name) {
    return QStringLiteral(HS_FIXTURES "/") + QLatin1String(name);
}
inline QString sharedModel(const char* name) {
    return QString::fromStdString(hstest::sharedModel(name));
}

// Opens and waits for the model. A load that fails ends the wait at once and fails the test with the
// loader's message (the caller's QVERIFY then stops it).
inline bool openAndWaitLoaded(MainWindow& w, const QString& path) {
    QSignalSpy loaded(&w, &MainWindow::modelLoaded);
    QSignalSpy failed(&w, &MainWindow::loadFailed);
    w.openModel(path);
    if (!QTest::qWaitFor([&] { return !loaded.isEmpty() || !failed.isEmpty(); }, 120000)) {
        QTest::qFail(qPrintable(QStringLiteral("no answer within 120 s from loading ") + path), __FILE__,
                     __LINE__);
        return false;
    }
    if (!failed.isEmpty()) {
        QTest::qFail(qPrintable(QStringLiteral("loading failed: ") + failed.first().first().toString()),
                     __FILE__, __LINE__);
        return false;
    }
    return true;
}

// Opens and waits for the model and its first graph layout.
inline bool openAndSettle(MainWindow& w, const QString& path) {
    return openAndWaitLoaded(w, path) && w.waitUntilIdle(120000);
}

// Drives modal dialogs the code under test opens with exec(): each step waits until a modal widget of
// its type is active, then acts on it (accept, fill in, click). Steps run in order; a dialog of another
// type is left alone (it fails the test by timing out, or is handled by a later step).
class ModalDriver : public QObject {
public:
    ModalDriver() {
        timer_.setInterval(20);
        connect(&timer_, &QTimer::timeout, this, &ModalDriver::tick);
        timer_.start();
    }
    template <typename Dialog> ModalDriver& then(std::function<void(Dialog*)> act) {
        steps_.push_back([act](QWidget* w) {
            auto* d = qobject_cast<Dialog*>(w);
            if (!d) return false;
            act(d);
            return true;
        });
        return *this;
    }
    bool done() const { return steps_.empty(); }
    int handled() const { return handled_; }

private:
    void tick() {
        if (steps_.empty()) return;
        QWidget* modal = QApplication::activeModalWidget();
        if (modal && modal->isVisible() && steps_.front()(modal)) {
            steps_.pop_front();
            ++handled_;
        }
    }
    QTimer timer_;
    std::deque<std::function<bool(QWidget*)>> steps_;
    int handled_ = 0;
};

} // namespace hs::ui::test
