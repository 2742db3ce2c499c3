#pragma once
// Saving and loading sidecars in the main window: File > Save Sidecar (Ctrl+S), Save Sidecar As...,
// Load Sidecar... (and a .json dropped on the window), and the status bar's "which sidecar" label.
//
// Save never loses anything and never overwrites what is not ours: it writes only when there is
// something new (edits since the last save, or no sidecar of ours yet); the file it replaces in place is
// one of ours (applied, or written earlier in this session); a sidecar of another format or tool that
// was loaded stays as it is and ours goes beside the model (<model>.hierarchy.json), and the status bar
// says so; when that name is taken by a file that is not ours, Save asks (Save As). Every claim of the
// loaded sidecar is kept in what is saved (saveSidecar's `loaded`). Writing runs off the UI thread,
// with a progress bar when it takes longer than a moment.
#include <QObject>
#include <QString>
#include <cstddef>
#include <memory>
#include <string>

class QLabel;
class QMenu;
class QProgressBar;
class QTimer;
class QUndoStack;
template <typename T> class QFutureWatcher;

namespace hs {
class GraphIndex;
}

namespace hs::ui {

class MainWindow;
struct ModelDocument;

class SidecarActions : public QObject {
    Q_OBJECT
public:
    SidecarActions(MainWindow* window, QUndoStack* undo);
    ~SidecarActions() override;

    void addTo(QMenu* file);
    void setDocument(std::shared_ptr<ModelDocument> doc);

    // Saves now, on the calling thread (closing the window, scripts, tests). Empty `path`: Save's choice
    // (see above); when that would need asking and the window is not interactive, nothing is written
    // and the message says why. Returns an error message, empty on success or when nothing was new.
    QString saveNow(const QString& path = {});
    // Ctrl+S: the same choice, written in the background; saveFinished follows.
    void save();
    void saveAs();
    // Checks the sidecar against the open model off the UI thread, then reopens the model with it. A
    // sidecar for another model is refused with the check's message, and the open model stays as it is;
    // when some of its keys name nodes of this model (a related model: another opset, a re-export), an
    // interactive window offers to apply those entries ("Apply 194 Matching Entries").
    void load(const QString& sidecarPath);
    void chooseAndLoad();
    bool isSaving() const;
    QLabel* sidecarLabel() const { return label_; }

signals:
    // A save ended: `error` empty on success. `path` is empty when there was nothing new to save.
    void saveFinished(const QString& path, const QString& error);
    void problem(const QString& title, const QString& message);

private:
    struct Target {
        QString path;     // where to write; empty with `ask` or `upToDate`
        bool ask = false; // the default name is taken by a file that is not ours
        bool upToDate = false;
        QString note; // for the status bar: why this file
    };
    Target chooseTarget() const;
    QString askPath(const QString& suggested) const;
    struct MatchingEntries {
        std::size_t kept = 0, total = 0;
    };
    static void countMatchingEntries(const GraphIndex& graph, const std::string& path,
                                     MatchingEntries& counts);
    bool offerMatchingEntries(const QString& error, const MatchingEntries& counts) const;
    void startWriting(const QString& path, const QString& note);
    void onWritten();
    void finishSave(const QString& path, const QString& note);
    void updateLabel();
    void showStatus(const QString& message, int ms = 8000) const;

    MainWindow* window_;
    QUndoStack* undo_;
    std::shared_ptr<ModelDocument> doc_;
    QLabel* label_;
    QProgressBar* progress_;
    QTimer* poll_;
    QFutureWatcher<QString>* writer_ = nullptr;
    QFutureWatcher<QString>* checker_ = nullptr;
    struct Shared;
    std::shared_ptr<Shared> shared_;        // progress of the running write
    std::shared_ptr<ModelDocument> saving_; // the document being saved
    QString savingPath_, savingNote_;
    int savingIndex_ = -1; // undo index the saved state had
    QString loadingPath_;
};

} // namespace hs::ui
