#include "graphview/layout_service.h"

#include <QMutex>

namespace hs::ui {

void LayoutWorker::run(const LayoutRequest& request) {
    // Graphviz is not thread-safe, and each scene has its own worker (a second window, the compared
    // model's graph): one layout at a time in the whole process.
    static QMutex graphviz;
    LayoutResult result;
    {
        QMutexLocker lock(&graphviz);
        result = computeLayout(request);
    }
    emit finished(result);
}

LayoutService::LayoutService(QObject* parent) : QObject(parent), worker_(new LayoutWorker) {
    qRegisterMetaType<LayoutRequest>();
    qRegisterMetaType<LayoutResult>();
    thread_.setObjectName(QStringLiteral("hierscope-layout"));
    worker_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
    connect(this, &LayoutService::requested, worker_, &LayoutWorker::run, Qt::QueuedConnection);
    connect(
        worker_, &LayoutWorker::finished, this,
        [this](const LayoutResult& result) {
            --pending_;
            emit finished(result);
        },
        Qt::QueuedConnection);
    thread_.start();
}

LayoutService::~LayoutService() {
    thread_.quit();
    thread_.wait();
}

void LayoutService::request(const LayoutRequest& request) {
    ++pending_;
    emit requested(request);
}

} // namespace hs::ui
