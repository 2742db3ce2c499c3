#pragma once
// Runs Graphviz layouts on one dedicated thread (Graphviz is not thread-safe) and hands results
// back to the UI thread through the finished signal.
#include "graphview/graph_layout.h"

#include <QObject>
#include <QThread>
#include <atomic>

namespace hs::ui {

class LayoutWorker : public QObject {
    Q_OBJECT
public slots:
    void run(const hs::ui::LayoutRequest& request);
signals:
    void finished(const hs::ui::LayoutResult& result);
};

class LayoutService : public QObject {
    Q_OBJECT
public:
    explicit LayoutService(QObject* parent = nullptr);
    ~LayoutService() override;
    void request(const LayoutRequest& request);
    int pending() const { return pending_; }
signals:
    void finished(const hs::ui::LayoutResult& result);
    void requested(const hs::ui::LayoutRequest& request); // internal: queued to the worker
private:
    QThread thread_;
    LayoutWorker* worker_;
    int pending_ = 0;
};

} // namespace hs::ui
