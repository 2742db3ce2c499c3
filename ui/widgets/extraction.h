#pragma once
// Extracting a module or a node selection as a standalone ONNX model from the GUI (issue 4): what to
// extract, the preview of the boundary it will have, and the background job that plans and writes it
// with the core (core/extract/extract.h). The job works on a copy of the hierarchy taken when it starts, so
// manual re-tags made until then decide the membership and later edits cannot race with it.
#include "extract/extract.h"
#include "hierarchy/hierarchy.h"

#include <QDialog>
#include <QObject>
#include <QString>
#include <atomic>
#include <functional>
#include <memory>
#include <vector>

class QLabel;
class QPushButton;
class QTreeWidget;
class QProgressDialog;
class QTimer;
template <typename T> class QFutureWatcher;

namespace hs::ui {

struct ModelDocument;

// What the user asked to extract: a module (by instance scope, "" = root) or node instances.
struct ExtractTarget {
    bool isModule = true;
    QString scope;
    std::vector<int> nodes;
    QString label; // for titles and messages: "module 'encoder.layer.0'", "3 nodes"
    bool isValid() const { return isModule || !nodes.empty(); }
};

ExtractTarget moduleTarget(const Hierarchy& hierarchy, int module);
ExtractTarget nodesTarget(const GraphIndex& graph, std::vector<int> nodes);

// The boundary the extracted model will have: inputs and outputs with types and shapes, node and
// weight counts, the plan's notes, what the check before writing covers where the ONNX library cannot
// judge everything. Accepting it means "go on and choose where to save"; a plan that cannot be written
// (a boundary tensor whose element type nothing can tell) says which tensor and why, and Save is disabled.
class ExtractPreviewDialog : public QDialog {
    Q_OBJECT
public:
    ExtractPreviewDialog(const ExtractionPlan& plan, const QString& modelName, QWidget* parent = nullptr);
    QTreeWidget* boundary() const { return boundary_; }
    QString summaryText() const;
    QString checkingText() const; // "" when the library judges everything
    QString blockerText() const;  // "" when the plan can be written
    QPushButton* saveButton() const { return save_; }

private:
    QTreeWidget* boundary_;
    QLabel* summary_;
    QLabel* notes_;
    QLabel* checking_;
    QLabel* blocker_;
    QPushButton* save_;
};

// Plans (and then writes) one extraction off the UI thread. Owned by the window; one at a time.
class ExtractionJob : public QObject {
    Q_OBJECT
public:
    explicit ExtractionJob(QWidget* window);
    ~ExtractionJob() override;

    bool isRunning() const { return stage_ != Stage::Idle; }
    // Plans the target from a copy of doc's hierarchy; planned() or failed() follows.
    void plan(std::shared_ptr<const ModelDocument> doc, const ExtractTarget& target);
    // Writes a plan made by plan() for doc; written() or failed() follows. A progress dialog with a
    // cancel button appears when it takes a while.
    void write(std::shared_ptr<const ModelDocument> doc, std::shared_ptr<const ExtractionPlan> plan,
               const QString& outputPath);
    void cancel();
    QProgressDialog* progressDialog() const { return progress_; }

signals:
    void planned(std::shared_ptr<const hs::ExtractionPlan> plan);
    void written(const QString& outputPath, const QString& summary);
    void failed(const QString& message); // names the model or output file and the problem
    void cancelled();

private:
    enum class Stage { Idle, Planning, Writing };
    struct Outcome {
        std::shared_ptr<const ExtractionPlan> plan;
        ExtractionResult result;
        std::string sidecarPath; // the extracted model's hierarchy, written beside it
        QString error;
    };
    // Runs `work` on a worker thread; an exception becomes the outcome's error.
    void launch(std::function<void(Outcome&)> work);
    void showProgress(const QString& text, bool determinate);
    void onFinished();
    void pollProgress();
    void finishStage();

    QWidget* window_;
    Stage stage_ = Stage::Idle;
    QFutureWatcher<Outcome>* watcher_ = nullptr;
    QProgressDialog* progress_ = nullptr;
    QTimer* poll_ = nullptr;
    std::shared_ptr<const ModelDocument> doc_; // kept alive while the job uses its graph
    std::shared_ptr<const ExtractionPlan> plan_;
    std::shared_ptr<const Hierarchy> hierarchy_; // the copy the plan was made from
    QString outputPath_;
    struct Shared {
        std::atomic<std::uint64_t> done{0}, total{0};
        std::atomic<bool> cancel{false};
    };
    std::shared_ptr<Shared> shared_;
};

QString bytesText(std::uint64_t bytes); // "12.3 MiB"

} // namespace hs::ui

Q_DECLARE_METATYPE(std::shared_ptr<const hs::ExtractionPlan>)
