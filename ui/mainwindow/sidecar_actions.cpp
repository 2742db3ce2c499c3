#include "mainwindow/sidecar_actions.h"

#include "common/error.h"
#include "document/model_document.h"
#include "mainwindow/main_window.h"
#include "sidecar/sidecar.h"

#include <QAction>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QKeySequence>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QStatusBar>
#include <QTimer>
#include <QUndoStack>
#include <QtConcurrent/QtConcurrentRun>
#include <atomic>

namespace hs::ui {

struct SidecarActions::Shared {
    std::atomic<std::size_t> done{0}, total{0};
};

SidecarActions::SidecarActions(MainWindow* window, QUndoStack* undo)
    : QObject(window), window_(window), undo_(undo) {
    label_ = new QLabel(window);
    label_->setObjectName(QStringLiteral("sidecarLabel"));
    progress_ = new QProgressBar(window);
    progress_->setObjectName(QStringLiteral("sidecarSaveProgress"));
    progress_->setMaximumWidth(120);
    progress_->setRange(0, 1000);
    progress_->setFormat(tr("Saving %p%"));
    progress_->hide();
    window->statusBar()->addPermanentWidget(label_);
    window->statusBar()->addPermanentWidget(progress_);
    poll_ = new QTimer(this);
    poll_->setInterval(100);
    connect(poll_, &QTimer::timeout, this, [this] {
        // Busy while the sidecar is made from the hierarchy, then how much of it is written.
        if (!shared_ || shared_->total == 0) return progress_->setRange(0, 0);
        progress_->setRange(0, 1000);
        progress_->setValue(static_cast<int>(1000.0 * static_cast<double>(shared_->done) /
                                             static_cast<double>(shared_->total)));
    });
}

SidecarActions::~SidecarActions() {
    // A write still running finishes (a half-written sidecar is never left: the rename is atomic).
    if (writer_) writer_->waitForFinished();
    if (checker_) checker_->waitForFinished();
}

void SidecarActions::addTo(QMenu* file) {
    QAction* save = file->addAction(tr("&Save Sidecar"), this, &SidecarActions::save);
    save->setShortcut(QKeySequence::Save);
    save->setObjectName(QStringLiteral("saveSidecarAction"));
    QAction* saveAs = file->addAction(tr("Save Sidecar &As..."), this, &SidecarActions::saveAs);
    saveAs->setShortcut(QKeySequence::SaveAs);
    saveAs->setObjectName(QStringLiteral("saveSidecarAsAction"));
    QAction* load = file->addAction(tr("&Load Sidecar..."), this, &SidecarActions::chooseAndLoad);
    load->setObjectName(QStringLiteral("loadSidecarAction"));
}

void SidecarActions::setDocument(std::shared_ptr<ModelDocument> doc) {
    doc_ = std::move(doc);
    updateLabel();
}

void SidecarActions::updateLabel() {
    if (!doc_) {
        label_->clear();
        return;
    }
    const QString applied = doc_->sidecarPath;
    const QString own = doc_->ownSidecarPath;
    // Short: the status bar also shows messages. The full paths are in the tooltip.
    QString text = tr("No sidecar");
    // Why a sidecar given or found was not applied stays here: the status bar's message about it is
    // replaced by the next one (the tensor types, a moment after the model shows).
    const QString notApplied = applied.isEmpty() ? doc_->sidecarNote : QString();
    if (!notApplied.isEmpty()) text = tr("Sidecar not applied");
    if (!applied.isEmpty())
        text = tr("Sidecar: %1%2")
                   .arg(QFileInfo(applied).fileName(),
                        doc_->sidecarFoundBeside ? tr(" (found beside the model)") : QString());
    if (!own.isEmpty() && own != applied) text = tr("Sidecar: saved to %1").arg(QFileInfo(own).fileName());
    label_->setText(text);
    label_->setToolTip(
        (notApplied.isEmpty() ? QString() : notApplied + QStringLiteral("\n")) +
        tr("Applied: %1\nSaves go to: %2")
            .arg(applied.isEmpty() ? tr("none (File > Load Sidecar... or drop a .json file here)") : applied,
                 own.isEmpty() ? defaultSidecarPath(doc_->modelPath) : own));
}

void SidecarActions::showStatus(const QString& message, int ms) const {
    window_->statusBar()->showMessage(message, ms);
}

SidecarActions::Target SidecarActions::chooseTarget() const {
    Target t;
    if (!doc_->ownSidecarPath.isEmpty()) {
        t.path = doc_->ownSidecarPath;
        t.upToDate = undo_->isClean() && QFileInfo::exists(t.path);
        return t;
    }
    const QString beside = defaultSidecarPath(doc_->modelPath);
    if (QFileInfo::exists(beside)) {
        t.ask = true; // another tool's file, or one this session did not load: never replaced unasked
        return t;
    }
    t.path = beside;
    if (!doc_->sidecarPath.isEmpty())
        t.note = tr(" beside the model (format 1.1; %1 is left as it is)")
                     .arg(QFileInfo(doc_->sidecarPath).fileName());
    return t;
}

QString SidecarActions::askPath(const QString& suggested) const {
    return QFileDialog::getSaveFileName(window_, tr("Save sidecar"), suggested,
                                        tr("Hierarchy sidecar (*.json)"));
}

QString SidecarActions::saveNow(const QString& path) {
    if (!doc_) return tr("No model is open.");
    Target t;
    t.path = path;
    if (path.isEmpty()) t = chooseTarget();
    if (t.upToDate) {
        showStatus(tr("Nothing new to save: %1 is up to date").arg(t.path));
        return {};
    }
    if (t.ask) {
        const QString taken = defaultSidecarPath(doc_->modelPath);
        if (!window_->isInteractive())
            return tr("%1 exists and is not a sidecar saved in this session: not replaced. Use Save Sidecar "
                      "As.")
                .arg(taken);
        t.path = askPath(taken);
        if (t.path.isEmpty()) return tr("Save cancelled.");
    }
    try {
        saveSidecar(t.path.toStdString(), *doc_->graph, doc_->hierarchy, doc_->sidecar.get());
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    savingIndex_ = undo_->index();
    saving_ = doc_;
    finishSave(t.path, t.note);
    return {};
}

void SidecarActions::save() {
    if (!doc_) return showStatus(tr("Open a model first (File > Open)."), 5000);
    if (isSaving()) return showStatus(tr("A save is already running."), 5000);
    Target t = chooseTarget();
    if (t.upToDate) {
        showStatus(tr("Nothing new to save: %1 is up to date").arg(t.path));
        emit saveFinished(QString(), QString());
        return;
    }
    if (t.ask) {
        if (!window_->isInteractive()) {
            const QString error = saveNow();
            if (!error.isEmpty()) emit problem(tr("Cannot save sidecar"), error);
            emit saveFinished(QString(), error);
            return;
        }
        t.path = askPath(defaultSidecarPath(doc_->modelPath));
        if (t.path.isEmpty()) return;
    }
    startWriting(t.path, t.note);
}

void SidecarActions::saveAs() {
    if (!doc_) return showStatus(tr("Open a model first (File > Open)."), 5000);
    if (isSaving()) return showStatus(tr("A save is already running."), 5000);
    const QString suggested =
        doc_->ownSidecarPath.isEmpty() ? defaultSidecarPath(doc_->modelPath) : doc_->ownSidecarPath;
    const QString path = askPath(suggested);
    if (!path.isEmpty()) startWriting(path, QString());
}

void SidecarActions::startWriting(const QString& path, const QString& note) {
    // The snapshot is a copy of the hierarchy taken here, on the UI thread that edits it; the sidecar,
    // its text and the file are made in the background. Edits made meanwhile stay unsaved (the undo
    // index tells).
    auto hierarchy = std::make_shared<const Hierarchy>(doc_->hierarchy);
    saving_ = doc_;
    savingPath_ = path;
    savingNote_ = note;
    savingIndex_ = undo_->index();
    shared_ = std::make_shared<Shared>();
    writer_ = new QFutureWatcher<QString>(this);
    connect(writer_, &QFutureWatcherBase::finished, this, &SidecarActions::onWritten);
    writer_->setFuture(QtConcurrent::run([doc = std::shared_ptr<const ModelDocument>(doc_), hierarchy,
                                          shared = shared_, target = path.toStdString()]() -> QString {
        try {
            saveSidecar(target, *doc->graph, *hierarchy, doc->sidecar.get(),
                        [shared](std::size_t done, std::size_t total) {
                            shared->done = done;
                            shared->total = total;
                        });
        } catch (const std::exception& e) {
            return QString::fromUtf8(e.what());
        }
        return {};
    }));
    showStatus(tr("Saving %1...").arg(path), 0);
    // A progress bar only when it takes longer than a moment.
    QTimer::singleShot(300, this, [this] {
        if (!isSaving()) return;
        progress_->setRange(0, 0);
        progress_->show();
        poll_->start();
    });
}

void SidecarActions::onWritten() {
    const QString error = writer_->result();
    writer_->deleteLater();
    writer_ = nullptr;
    poll_->stop();
    progress_->hide();
    if (!error.isEmpty()) {
        window_->statusBar()->clearMessage();
        saving_.reset();
        emit problem(tr("Cannot save sidecar"), error);
        emit saveFinished(savingPath_, error);
        return;
    }
    finishSave(savingPath_, savingNote_);
    emit saveFinished(savingPath_, QString());
}

void SidecarActions::finishSave(const QString& path, const QString& note) {
    const QString absolute = QFileInfo(path).absoluteFilePath();
    saving_->ownSidecarPath = absolute;
    if (saving_ == doc_) {
        if (undo_->index() == savingIndex_) undo_->setClean();
        updateLabel();
    }
    saving_.reset();
    showStatus(tr("Saved %1%2").arg(QFileInfo(absolute).fileName(), note), 10000);
}

bool SidecarActions::isSaving() const {
    return writer_ != nullptr;
}

// How many entries of a sidecar that does not fit would apply (keepMatchingEntries); zeros when it
// cannot even be read.
void SidecarActions::countMatchingEntries(const GraphIndex& graph, const std::string& path,
                                          MatchingEntries& counts) {
    try {
        Sidecar sidecar = readSidecar(path);
        bindSidecarKeys(graph, sidecar);
        counts.total = sidecar.entries.size();
        keepMatchingEntries(graph, sidecar);
        counts.kept = sidecar.entries.size();
    } catch (const std::exception&) {
        counts = {};
    }
}

bool SidecarActions::offerMatchingEntries(const QString& error, const MatchingEntries& counts) const {
    QMessageBox box(QMessageBox::Question, tr("Sidecar for another model"),
                    tr("%1\n\n%2 of its %3 entries name nodes of this model: it may have been written for "
                       "another opset or export of it. Apply those %2 entries and leave the others?")
                        .arg(error)
                        .arg(counts.kept)
                        .arg(counts.total),
                    QMessageBox::Cancel, window_);
    QPushButton* apply =
        box.addButton(tr("Apply %1 Matching Entries").arg(counts.kept), QMessageBox::AcceptRole);
    apply->setObjectName(QStringLiteral("applyMatchingEntries"));
    box.setDefaultButton(apply);
    box.exec();
    return box.clickedButton() == apply;
}

void SidecarActions::chooseAndLoad() {
    if (!doc_) return showStatus(tr("Open a model first: a sidecar belongs to a model."), 5000);
    const QString path =
        QFileDialog::getOpenFileName(window_, tr("Load sidecar"), QFileInfo(doc_->modelPath).absolutePath(),
                                     tr("Hierarchy sidecar (*.json);;All files (*)"));
    if (!path.isEmpty()) load(path);
}

void SidecarActions::load(const QString& sidecarPath) {
    if (!doc_) {
        emit problem(tr("Sidecar not applied"),
                     tr("%1: open a model first: a sidecar belongs to a model.").arg(sidecarPath));
        return;
    }
    if (checker_) return showStatus(tr("A sidecar is already being loaded."), 5000);
    // Loading reopens the model with the sidecar: unsaved re-tags would be lost.
    if (!window_->maybeSave(tr("Loading %1").arg(QFileInfo(sidecarPath).fileName()))) return;
    loadingPath_ = sidecarPath;
    checker_ = new QFutureWatcher<QString>(this);
    auto matching = std::make_shared<MatchingEntries>(); // filled when the sidecar does not fit
    connect(checker_, &QFutureWatcherBase::finished, this, [this, doc = doc_, matching] {
        const QString error = checker_->result();
        checker_->deleteLater();
        checker_ = nullptr;
        if (!error.isEmpty()) {
            // A related model's sidecar (another opset, a re-export): offer what matches.
            if (matching->kept > 0 && window_->isInteractive() && offerMatchingEntries(error, *matching)) {
                if (doc == doc_) window_->openModel(doc->modelPath, loadingPath_, true);
                return;
            }
            return emit problem(tr("Sidecar not applied"), error);
        }
        if (doc == doc_) window_->openModel(doc->modelPath, loadingPath_);
    });
    checker_->setFuture(
        QtConcurrent::run([doc = doc_, path = sidecarPath.toStdString(), matching]() -> QString {
            try {
                readSidecarFor(*doc->graph, path);
            } catch (const std::exception& e) {
                countMatchingEntries(*doc->graph, path, *matching);
                return QString::fromUtf8(e.what());
            }
            return {};
        }));
    showStatus(tr("Reading sidecar %1...").arg(sidecarPath), 0);
}

} // namespace hs::ui
