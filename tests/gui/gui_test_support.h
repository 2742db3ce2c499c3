#pragma once
// Helpers shared by the GUI tests: open a model in a real main window and wait for the background work.
#include "main_window.h"

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
    return QStringLiteral(HS_SHARED_MODELS "/") + QLatin1String(name);
}

// Opens and waits for the model and its first graph layout.
inline bool openAndSettle(MainWindow& w, const QString& path) {
    QSignalSpy loaded(&w, &MainWindow::modelLoaded);
    w.openModel(path);
    if (!loaded.wait(120000)) return false;
    return w.waitUntilIdle(120000);
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
