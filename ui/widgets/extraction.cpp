#include "widgets/extraction.h"

#include "common/error.h"
#include "document/model_document.h"
#include "extract/extracted_sidecar.h"
#include "graph/graph.h"

#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHeaderView>
#include <QLabel>
#include <QProgressDialog>
#include <QPushButton>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>

namespace hs::ui {

namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

QString shapeText(const TensorType& type) {
    if (!type.hasShape) return type.elemType ? QObject::tr("any (rank unknown)") : QObject::tr("unknown");
    QStringList dims;
    for (const Dim& d : type.dims)
        dims << (d.value >= 0       ? QString::number(d.value)
                 : !d.param.empty() ? qs(d.param)
                                    : QStringLiteral("?"));
    return QStringLiteral("[%1]").arg(dims.join(QStringLiteral(", ")));
}

std::size_t ownNodes(const ExtractionPlan& plan) {
    std::size_t own = 0;
    for (const PlannedNode& n : plan.nodes)
        if (!n.copiedConstant) ++own;
    return own;
}

} // namespace

QString bytesText(std::uint64_t bytes) {
    if (bytes >= (std::uint64_t{1} << 30))
        return QStringLiteral("%1 GiB").arg(bytes / double(1 << 30), 0, 'f', 2);
    if (bytes >= (1u << 20)) return QStringLiteral("%1 MiB").arg(bytes / double(1 << 20), 0, 'f', 1);
    if (bytes >= 1024) return QStringLiteral("%1 KiB").arg(bytes / 1024.0, 0, 'f', 1);
    return QStringLiteral("%1 B").arg(bytes);
}

ExtractTarget moduleTarget(const Hierarchy& hierarchy, int module) {
    ExtractTarget t;
    const Module& m = hierarchy.modules[static_cast<std::size_t>(module)];
    t.isModule = true;
    t.scope = qs(m.scope);
    t.label = m.scope.empty() ? QObject::tr("the whole model (root module)")
                              : QObject::tr("module '%1'").arg(t.scope);
    return t;
}

ExtractTarget nodesTarget(const GraphIndex& graph, std::vector<int> nodes) {
    ExtractTarget t;
    t.isModule = false;
    std::sort(nodes.begin(), nodes.end());
    nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
    t.label = nodes.size() == 1 ? QObject::tr("node '%1'").arg(qs(graph.key(nodes.front())))
                                : QObject::tr("%1 selected nodes").arg(nodes.size());
    t.nodes = std::move(nodes);
    return t;
}

// ---- ExtractPreviewDialog

ExtractPreviewDialog::ExtractPreviewDialog(const ExtractionPlan& plan, const QString& modelName,
                                           QWidget* parent)
    : QDialog(parent) {
    setObjectName(QStringLiteral("extractPreview"));
    setWindowTitle(tr("Extract %1").arg(qs(plan.label)));
    resize(760, 520);
    auto* layout = new QVBoxLayout(this);
    auto* heading = new QLabel(this);
    heading->setTextFormat(Qt::PlainText);
    heading->setWordWrap(true);
    QString what = tr("Extract %1 of %2 as a standalone ONNX model.").arg(qs(plan.label), modelName);
    if (plan.fromModule && !plan.modulePath.empty())
        what += QLatin1Char('\n') + tr("Hierarchy path: %1").arg(qs(plan.modulePath));
    heading->setText(what);
    layout->addWidget(heading);

    summary_ = new QLabel(this);
    summary_->setWordWrap(true);
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QString summary = tr("%1 nodes (%2 selected, %3 constants copied in")
                          .arg(plan.nodes.size())
                          .arg(ownNodes(plan))
                          .arg(plan.copiedConstants);
    if (!plan.expandedCalls.empty())
        summary += tr(", %1 function calls inlined").arg(plan.expandedCalls.size());
    summary += tr("); %1 weights (%2); %3 local functions")
                   .arg(plan.initializers.size())
                   .arg(bytesText(plan.weightBytes))
                   .arg(plan.functions.size());
    summary_->setText(summary);
    layout->addWidget(summary_);

    boundary_ = new QTreeWidget(this);
    boundary_->setObjectName(QStringLiteral("boundary"));
    boundary_->setColumnCount(4);
    boundary_->setHeaderLabels({tr("Tensor"), tr("Type"), tr("Shape"), tr("Note")});
    boundary_->setRootIsDecorated(true);
    boundary_->setUniformRowHeights(true);
    boundary_->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    boundary_->header()->setStretchLastSection(false);
    for (int c = 1; c < 4; ++c)
        boundary_->header()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    auto group = [&](const QString& title, const std::vector<BoundaryTensor>& tensors, bool inputs) {
        auto* top = new QTreeWidgetItem(boundary_, {title.arg(tensors.size())});
        QFont bold = top->font(0);
        bold.setBold(true);
        top->setFont(0, bold);
        top->setFirstColumnSpanned(true);
        for (const BoundaryTensor& b : tensors) {
            QStringList notes;
            if (inputs && b.graphInput) notes << tr("model input");
            if (!inputs && b.graphOutput) notes << tr("model output");
            if (b.inferred) notes << tr("type inferred");
            auto* item =
                new QTreeWidgetItem(top, {qs(b.name), QString::fromLatin1(dataTypeName(b.type.elemType)),
                                          shapeText(b.type), notes.join(QStringLiteral(", "))});
            item->setToolTip(0, qs(b.name));
            item->setData(0, Qt::UserRole, qs(b.name));
        }
        top->setExpanded(true);
    };
    group(tr("Inputs (%1)"), plan.inputs, true);
    group(tr("Outputs (%1)"), plan.outputs, false);
    layout->addWidget(boundary_, 1);

    notes_ = new QLabel(this);
    notes_->setWordWrap(true);
    notes_->setTextFormat(Qt::PlainText);
    notes_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QStringList notes;
    for (const std::string& n : plan.notes)
        notes << QStringLiteral("• ") + qs(n);
    notes_->setText(notes.isEmpty() ? QString() : tr("Notes:\n") + notes.join(QLatin1Char('\n')));
    notes_->setVisible(!notes.isEmpty());
    layout->addWidget(notes_);

    checking_ = new QLabel(this);
    checking_->setObjectName(QStringLiteral("checking"));
    checking_->setWordWrap(true);
    checking_->setTextFormat(Qt::PlainText);
    checking_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QStringList checking;
    for (const std::string& c : plan.checking)
        checking << QStringLiteral("• ") + qs(c);
    checking_->setText(checking.isEmpty()
                           ? QString()
                           : tr("What the check before saving covers:\n") + checking.join(QLatin1Char('\n')));
    checking_->setVisible(!checking.isEmpty());
    layout->addWidget(checking_);

    blocker_ = new QLabel(this);
    blocker_->setObjectName(QStringLiteral("blocker"));
    blocker_->setWordWrap(true);
    blocker_->setTextFormat(Qt::PlainText);
    blocker_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont strong = blocker_->font();
    strong.setBold(true);
    blocker_->setFont(strong);
    blocker_->setText(plan.blocker.empty() ? QString() : tr("Cannot be saved: %1").arg(qs(plan.blocker)));
    blocker_->setVisible(!plan.blocker.empty());
    layout->addWidget(blocker_);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    save_ = buttons->addButton(tr("Save As..."), QDialogButtonBox::AcceptRole);
    save_->setObjectName(QStringLiteral("save"));
    // Never a Save that will fail: a boundary type nobody can tell is said above instead.
    save_->setEnabled(plan.blocker.empty());
    save_->setDefault(plan.blocker.empty());
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

QString ExtractPreviewDialog::summaryText() const {
    return summary_->text();
}

QString ExtractPreviewDialog::checkingText() const {
    return checking_->text();
}

QString ExtractPreviewDialog::blockerText() const {
    return blocker_->text();
}

// ---- ExtractionJob

ExtractionJob::ExtractionJob(QWidget* window) : QObject(window), window_(window) {
    qRegisterMetaType<std::shared_ptr<const ExtractionPlan>>();
    poll_ = new QTimer(this);
    poll_->setInterval(100);
    connect(poll_, &QTimer::timeout, this, &ExtractionJob::pollProgress);
}

ExtractionJob::~ExtractionJob() {
    // A job still running owns copies of what it needs (document, plan); only the watcher goes.
    if (watcher_) watcher_->disconnect(this);
}

void ExtractionJob::showProgress(const QString& text, bool determinate) {
    if (!progress_) {
        progress_ = new QProgressDialog(window_);
        progress_->setObjectName(QStringLiteral("extractProgress"));
        progress_->setWindowTitle(tr("Extract subgraph"));
        progress_->setAutoClose(false);
        progress_->setAutoReset(false);
        progress_->setMinimumDuration(500);
        connect(progress_, &QProgressDialog::canceled, this, &ExtractionJob::cancel);
    }
    progress_->setLabelText(text);
    progress_->setRange(0, determinate ? 1000 : 0);
    progress_->setValue(0);
    poll_->start();
}

void ExtractionJob::plan(std::shared_ptr<const ModelDocument> doc, const ExtractTarget& target) {
    if (isRunning() || !doc || !doc->graph) return;
    doc_ = std::move(doc);
    stage_ = Stage::Planning;
    shared_ = std::make_shared<Shared>();
    // The hierarchy as it is now, manual re-tags included.
    auto hierarchy = std::make_shared<Hierarchy>(doc_->hierarchy);
    hierarchy_ = hierarchy;
    launch([doc = doc_, hierarchy, target](Outcome& out) {
        auto plan = std::make_shared<ExtractionPlan>(
            target.isModule ? planExtraction(*doc->graph, *hierarchy, target.scope.toStdString())
                            : planSelection(*doc->graph, target.nodes, target.label.toStdString()));
        // The check Save would run, run now: the preview never offers a Save bound to fail.
        plan->blocker = checkPlan(*plan);
        out.plan = std::move(plan);
    });
    showProgress(tr("Working out the boundary of %1...").arg(target.label), false);
}

void ExtractionJob::write(std::shared_ptr<const ModelDocument> doc,
                          std::shared_ptr<const ExtractionPlan> plan, const QString& outputPath) {
    if (isRunning() || !plan || !doc) return;
    doc_ = std::move(doc);
    plan_ = std::move(plan);
    outputPath_ = outputPath;
    stage_ = Stage::Writing;
    shared_ = std::make_shared<Shared>();
    if (!hierarchy_) hierarchy_ = std::make_shared<Hierarchy>(doc_->hierarchy);
    // `doc` rides along: the plan points into its model, which must outlive the write.
    launch([doc = doc_, plan = plan_, hierarchy = hierarchy_, shared = shared_,
            path = outputPath.toStdString()](Outcome& out) {
        out.plan = plan;
        ExtractOptions options;
        options.progress = [shared](std::uint64_t done, std::uint64_t total) {
            shared->done = done;
            shared->total = total;
            return !shared->cancel.load();
        };
        out.result = extractModel(*plan, path, options);
        out.sidecarPath = writeExtractionSidecar(*plan, *hierarchy, out.result.outputPath);
    });
    showProgress(tr("Writing %1...").arg(QFileInfo(outputPath).fileName()), true);
}

void ExtractionJob::launch(std::function<void(Outcome&)> work) {
    auto run = [work = std::move(work)]() -> Outcome {
        Outcome out;
        try {
            work(out);
        } catch (const std::exception& e) {
            out.error = QString::fromUtf8(e.what());
        }
        return out;
    };
    watcher_ = new QFutureWatcher<Outcome>(this);
    connect(watcher_, &QFutureWatcherBase::finished, this, &ExtractionJob::onFinished);
    watcher_->setFuture(QtConcurrent::run(run));
}

void ExtractionJob::pollProgress() {
    if (!progress_ || stage_ != Stage::Writing || !shared_) return;
    const std::uint64_t total = shared_->total, done = shared_->done;
    if (total > 0) progress_->setValue(static_cast<int>(1000.0 * static_cast<double>(done) / total));
}

void ExtractionJob::cancel() {
    if (!isRunning()) return;
    shared_->cancel = true;
    if (stage_ == Stage::Planning) {
        // Planning cannot be interrupted; it finishes in the background and its result is dropped.
        watcher_->disconnect(this);
        watcher_->deleteLater();
        watcher_ = nullptr;
        finishStage();
        doc_.reset();
        emit cancelled();
        return;
    }
    // Writing stops at the next weight copied (nothing is written then); the result says how it ended.
    if (progress_) progress_->setLabelText(tr("Cancelling..."));
}

void ExtractionJob::finishStage() {
    stage_ = Stage::Idle;
    poll_->stop();
    if (progress_) {
        progress_->reset();
        progress_->hide();
    }
}

void ExtractionJob::onFinished() {
    const Outcome out = watcher_->result();
    watcher_->deleteLater();
    watcher_ = nullptr;
    const Stage stage = stage_;
    const bool cancelRequested = shared_ && shared_->cancel;
    finishStage();
    const QString modelName = doc_ ? QFileInfo(doc_->modelPath).fileName() : QString();
    doc_.reset();
    plan_.reset();
    if (stage == Stage::Writing) hierarchy_.reset();
    if (stage == Stage::Planning) {
        if (!out.error.isEmpty())
            emit failed(tr("Cannot extract from %1:\n%2").arg(modelName, out.error));
        else
            emit planned(out.plan);
        return;
    }
    if (!out.error.isEmpty()) {
        if (cancelRequested) {
            emit cancelled();
            return;
        }
        emit failed(tr("Cannot write %1:\n%2").arg(outputPath_, out.error));
        return;
    }
    // "1 output", "2 outputs": English plurals spelled out (no translation files supply %n forms).
    auto counted = [](std::size_t n, const QString& one, const QString& many) {
        return (n == 1 ? one : many).arg(n);
    };
    QString summary = tr("Wrote %1 (%2): %3, %4, %5, %6")
                          .arg(QString::fromStdString(out.result.outputPath), bytesText(out.result.fileBytes),
                               counted(out.result.nodes, tr("%1 node"), tr("%1 nodes")),
                               counted(out.plan->inputs.size(), tr("%1 input"), tr("%1 inputs")),
                               counted(out.plan->outputs.size(), tr("%1 output"), tr("%1 outputs")),
                               counted(out.result.initializers, tr("%1 weight"), tr("%1 weights")));
    if (!out.result.externalDataPath.empty())
        summary += tr(", weights in %1 (%2)")
                       .arg(QString::fromStdString(out.result.externalDataPath))
                       .arg(bytesText(out.result.externalBytes));
    summary += tr("; module hierarchy in %1").arg(QString::fromStdString(out.sidecarPath));
    emit written(outputPath_, summary);
}

} // namespace hs::ui
