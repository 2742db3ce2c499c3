// The embedded copy: the model file's bytes in order, with every NodeProto the plan describes written
// anew (its fields copied, our metadata_props entries appended) and the length prefixes of the messages
// around it (GraphProto in ModelProto, FunctionProto, subgraph attributes) fixed. Everything else,
// weights above all, is a span of the model file copied as it is (read from the file through one small
// buffer): no protobuf object is built, and the weights are never mapped into this process.
#include "common/display_text.h"
#include "common/error.h"
#include "common/temp_file.h"
#include "embed/embed.h"
#include "embed/keys.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "model/mapped_file.h"
#include "model/wire_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>

namespace hs {
namespace {

namespace fs = std::filesystem;
using wire::Field;
using wire::Reader;

// ----- encoding ------------------------------------------------------------------------------------

void putVarint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out += static_cast<char>((v & 0x7f) | 0x80);
        v >>= 7;
    }
    out += static_cast<char>(v);
}

std::string lengthDelimitedHeader(std::uint32_t field, std::uint64_t length) {
    std::string out;
    putVarint(out, (static_cast<std::uint64_t>(field) << 3) | wire::LengthDelimited);
    putVarint(out, length);
    return out;
}

void putString(std::string& out, std::uint32_t field, const std::string& text) {
    out += lengthDelimitedHeader(field, text.size());
    out += text;
}

// NodeProto.metadata_props (9) entries: StringStringEntryProto {1: key, 2: value}.
std::string encodeMetadata(const StringPairs& entries) {
    std::string out;
    for (const auto& [key, value] : entries) {
        std::string entry;
        putString(entry, 1, key);
        putString(entry, 2, value);
        putString(out, 9, entry);
    }
    return out;
}

std::string entryKey(const Field& f) {
    Reader r(f.bytes, f.offset);
    while (!r.atEnd()) {
        Field kv = r.next();
        if (kv.number == 1 && kv.type == wire::LengthDelimited) return std::string(kv.bytes);
    }
    return {};
}

// ----- rewriting -------------------------------------------------------------------------------------

enum class Kind { Model, Graph, Function, Node, Attribute };

// The message kind a field of `kind` holds when it holds one that can contain nodes.
bool childKind(Kind kind, std::uint32_t field, Kind& child) {
    switch (kind) {
    case Kind::Model:
        if (field == 7) return child = Kind::Graph, true;     // graph
        if (field == 25) return child = Kind::Function, true; // functions
        return false;
    case Kind::Graph:
        if (field == 1) return child = Kind::Node, true;
        return false;
    case Kind::Function:
        if (field == 7) return child = Kind::Node, true;
        return false;
    case Kind::Node:
        if (field == 5) return child = Kind::Attribute, true;
        return false;
    case Kind::Attribute:
        if (field == 6 || field == 11) return child = Kind::Graph, true; // g, graphs
        return false;
    }
    return false;
}

std::uint64_t varintSize(std::uint64_t v) {
    std::uint64_t n = 1;
    while (v >= 0x80)
        v >>= 7, ++n;
    return n;
}

std::uint64_t headerSize(std::uint32_t field, std::uint64_t length) {
    return varintSize((static_cast<std::uint64_t>(field) << 3) | wire::LengthDelimited) + varintSize(length);
}

// Where the copy goes: spans of the model file (contiguous ones joined, so a run of weights is one copy)
// and bytes made here.
class Sink {
public:
    virtual ~Sink() = default;
    virtual void span(std::uint64_t offset, std::uint64_t length) = 0;
    virtual void bytes(const std::string& data) = 0;
};

// The copy in two passes over the model's structure, so that nothing of it is held whole: `measure` finds
// the new length of every message that changes (kept by offset: a few bytes per node), `emit` then streams
// the copy with those lengths. A node's entries are made in each pass and dropped at once.
class Rewriter {
public:
    Rewriter(const MappedFile& file, const Model& model, const GraphIndex& graph, const Hierarchy& hierarchy,
             const std::vector<NodeMetadata>& plan, std::string emptyModules)
        : file_(file), model_(model), maker_(graph, hierarchy), plan_(plan),
          emptyModules_(std::move(emptyModules)) {
        // The loader recorded each NodeProto's payload span: that offset identifies the node here.
        for (std::size_t k = 0; k < plan.size(); ++k)
            byOffset_.emplace(nodeOf(plan[k]).span.offset, k);
    }

    std::uint64_t measure() { return measure(Kind::Model, 0, file_.size()).first; }
    void emit(Sink& sink) { emit(Kind::Model, 0, file_.size(), sink); }

private:
    const Node& nodeOf(const NodeMetadata& m) const {
        return model_.graphs[static_cast<std::size_t>(m.graph)].nodes[static_cast<std::size_t>(m.node)];
    }
    const NodeMetadata* planned(Kind kind, std::uint64_t offset) const {
        if (kind != Kind::Node) return nullptr;
        const auto it = byOffset_.find(offset);
        return it == byOffset_.end() ? nullptr : &plan_[it->second];
    }
    std::string tail(Kind kind, const NodeMetadata* node) {
        if (node && !node->ambiguous) return encodeMetadata(maker_.entries(node->instance));
        if (kind == Kind::Model && !emptyModules_.empty()) {
            // ModelProto.metadata_props (14), appended: protobuf readers take fields in any order.
            std::string entry, field;
            putString(entry, 1, embed_keys::kEmptyModules);
            putString(entry, 2, emptyModules_);
            putString(field, 14, entry);
            return field;
        }
        return {};
    }
    // A metadata entry an earlier embed wrote: replaced by this one's.
    bool dropped(Kind kind, const NodeMetadata* node, const Field& f) const {
        if (f.type != wire::LengthDelimited) return false;
        if (node && f.number == 9) return replacedOnEmbed(nodeOf(*node), entryKey(f));
        return kind == Kind::Model && f.number == 14 && entryKey(f) == embed_keys::kEmptyModules;
    }

    // (new length, whether anything inside changes)
    std::pair<std::uint64_t, bool> measure(Kind kind, std::uint64_t offset, std::uint64_t length) {
        const NodeMetadata* node = planned(kind, offset);
        std::uint64_t size = 0;
        bool changed = false;
        Reader r(file_.bytes(offset, length), offset);
        while (!r.atEnd()) {
            const std::uint64_t start = r.position();
            const Field f = r.next();
            const std::uint64_t end = r.position();
            Kind child;
            if (f.type == wire::LengthDelimited && childKind(kind, f.number, child)) {
                const auto [inner, innerChanged] = measure(child, f.offset, f.bytes.size());
                if (innerChanged) {
                    newLength_[f.offset] = inner;
                    size += headerSize(f.number, inner) + inner;
                    changed = true;
                    continue;
                }
            } else if (dropped(kind, node, f)) {
                changed = true;
                continue;
            }
            size += end - start;
        }
        const std::uint64_t added = tail(kind, node).size();
        return {size + added, changed || added > 0};
    }

    void emit(Kind kind, std::uint64_t offset, std::uint64_t length, Sink& sink) {
        const NodeMetadata* node = planned(kind, offset);
        Reader r(file_.bytes(offset, length), offset);
        while (!r.atEnd()) {
            const std::uint64_t start = r.position();
            const Field f = r.next();
            const std::uint64_t end = r.position();
            Kind child;
            if (f.type == wire::LengthDelimited && childKind(kind, f.number, child)) {
                if (const auto it = newLength_.find(f.offset); it != newLength_.end()) {
                    sink.bytes(lengthDelimitedHeader(f.number, it->second));
                    emit(child, f.offset, f.bytes.size(), sink);
                    continue;
                }
            } else if (dropped(kind, node, f)) {
                continue;
            }
            sink.span(start, end - start); // unchanged: its own bytes, tag and length as written
        }
        const std::string added = tail(kind, node);
        if (!added.empty()) sink.bytes(added);
    }

    const MappedFile& file_;
    const Model& model_;
    NodeMetadataMaker maker_;
    const std::vector<NodeMetadata>& plan_;
    std::string emptyModules_;
    std::unordered_map<std::uint64_t, std::size_t> byOffset_;
    std::unordered_map<std::uint64_t, std::uint64_t> newLength_; // payload offset -> new length, changed ones
};

// ----- writing ---------------------------------------------------------------------------------------

// The copy's file (common/temp_file.h), with small pieces (node messages, tags, the spans between them)
// gathered and written in 1 MB runs.
class BufferedOutput {
public:
    explicit BufferedOutput(const std::string& target) : file_(target) {}

    void append(const char* data, std::size_t size) {
        buffer_.append(data, size);
        if (buffer_.size() >= (1u << 20)) flush();
    }
    // Everything appended is in the file: before a direct write at the file position.
    void flush() {
        file_.write(buffer_.data(), buffer_.size());
        buffer_.clear();
    }
    void write(const char* data, std::size_t size) {
        flush();
        file_.write(data, size);
    }
    void commit() {
        flush();
        file_.commit();
    }

private:
    TempFile file_;
    std::string buffer_;
};

// Copies spans of the model file into the copy: read from the model file into one 1 MB buffer and written
// out, when the file on disk is still the one that was mapped, so no page of the weights is mapped into
// this process; otherwise through the mapping (the bytes the model was read from) in chunks whose pages
// are handed back afterwards. Either way a 400 MB model is copied with a few MB resident.
// Why not copy_file_range: the metadata shifts every byte after the first node by an amount that is no
// multiple of the page size, and the kernel copies such runs slower than this (0.30 to 0.41 s against
// 0.18 to 0.25 s for 438 MB here; page-aligned, 0.20 to 0.27 s).
class SpanCopier {
public:
    SpanCopier(const MappedFile& file, const std::string& path) : file_(file) {
        source_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (source_ >= 0 && !file.isSameFile(source_)) {
            ::close(source_);
            source_ = -1;
        }
    }
    ~SpanCopier() {
        if (source_ >= 0) ::close(source_);
    }
    SpanCopier(const SpanCopier&) = delete;
    SpanCopier& operator=(const SpanCopier&) = delete;

    void copy(std::uint64_t offset, std::uint64_t length, BufferedOutput& out,
              const std::function<void(std::uint64_t)>& done) {
        constexpr std::uint64_t kChunk = 32u << 20; // progress and cancel between chunks
        // A node's own fields, the bytes between two rewritten nodes: from the mapping, whose structure
        // pages the loader read anyway.
        constexpr std::uint64_t kSmall = 256u << 10;
        if (length < kSmall) {
            out.append(reinterpret_cast<const char*>(file_.data() + offset),
                       static_cast<std::size_t>(length));
            done(length);
            return;
        }
        while (length > 0) {
            const std::uint64_t n = std::min(kChunk, length);
            const std::uint64_t read = source_ >= 0 ? readCopy(offset, n, out) : 0;
            if (read < n) copyMapped(offset + read, n - read, out);
            offset += n;
            length -= n;
            done(n);
        }
    }

private:
    // Bytes copied by reading the file; fewer than asked when a read fails, and from then on the copy
    // goes through the mapping.
    std::uint64_t readCopy(std::uint64_t offset, std::uint64_t length, BufferedOutput& out) {
        buffer_.resize(1u << 20);
        std::uint64_t copied = 0;
        while (copied < length) {
            const std::size_t want =
                static_cast<std::size_t>(std::min<std::uint64_t>(buffer_.size(), length - copied));
            const ssize_t n = ::pread(source_, buffer_.data(), want, static_cast<off_t>(offset + copied));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                ::close(source_);
                source_ = -1;
                break;
            }
            out.write(buffer_.data(), static_cast<std::size_t>(n));
            copied += static_cast<std::uint64_t>(n);
        }
        return copied;
    }

    void copyMapped(std::uint64_t offset, std::uint64_t length, BufferedOutput& out) {
        out.write(reinterpret_cast<const char*>(file_.data() + offset), static_cast<std::size_t>(length));
        // Whole pages inside what was just copied; the mapping is read-only, so nothing is lost.
        const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
        const std::uint64_t first = (offset + page - 1) / page * page, last = (offset + length) / page * page;
        if (last > first)
            ::madvise(const_cast<std::uint8_t*>(file_.data()) + first, last - first, MADV_DONTNEED);
    }

    const MappedFile& file_;
    int source_ = -1;
    std::vector<char> buffer_;
};

// The external files the model's initializers refer to: location as written -> resolved path.
std::vector<std::pair<std::string, std::string>> externalFiles(const Model& model) {
    std::vector<std::pair<std::string, std::string>> files;
    for (const Graph& g : model.graphs)
        for (const Initializer& init : g.initializers)
            if (init.external && std::none_of(files.begin(), files.end(), [&](const auto& f) {
                    return f.first == init.externalLocation;
                }))
                files.emplace_back(init.externalLocation, init.externalPath);
    return files;
}

bool sameContents(const fs::path& a, const fs::path& b) {
    std::error_code ec;
    if (fs::file_size(a, ec) != fs::file_size(b, ec) || ec) return false;
    std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
    std::vector<char> ba(1 << 20), bb(1 << 20);
    while (fa && fb) {
        fa.read(ba.data(), static_cast<std::streamsize>(ba.size()));
        fb.read(bb.data(), static_cast<std::streamsize>(bb.size()));
        if (fa.gcount() != fb.gcount() ||
            std::memcmp(ba.data(), bb.data(), static_cast<std::size_t>(fa.gcount())) != 0)
            return false;
    }
    return fa.eof() && fb.eof();
}

fs::path folderOf(const std::string& path) {
    fs::path folder = fs::path(path).parent_path();
    return fs::weakly_canonical(folder.empty() ? fs::path(".") : folder);
}

// External data stays valid only where its relative locations resolve: beside the model, or beside
// copies of the files. Copies are made atomically, before the model that points to them.
std::vector<std::string> placeExternalData(const Model& model, const std::string& outputPath, bool copy) {
    const auto files = externalFiles(model);
    std::vector<std::string> copied;
    if (files.empty()) return copied;
    const fs::path from = folderOf(model.path), to = folderOf(outputPath);
    std::error_code ec;
    if (fs::equivalent(from, to, ec)) return copied;
    if (!copy)
        throw Error(outputPath + ": the model keeps its weights in " + std::to_string(files.size()) +
                    " external file(s) (" + quoteInput(files.front().first) +
                    (files.size() > 1 ? ", ..." : "") + ") whose locations are relative to " + from.string() +
                    ": write the copy into that folder, or copy the files beside it (--copy-external)");
    for (const auto& [location, source] : files) {
        const fs::path target = to / location;
        if (fs::exists(target, ec)) {
            // Written by an earlier embed of this model: kept. Anything else there is not ours to replace.
            if (fs::equivalent(target, source, ec) || sameContents(target, source)) continue;
            throw Error(target.string() + ": exists and differs from the model's external data " +
                        quoteInput(location) + "; remove it or write the copy into another folder");
        }
        fs::create_directories(target.parent_path(), ec);
        const fs::path temp = target.parent_path() / ("." + target.filename().string() + ".tmp-embed");
        if (!fs::copy_file(source, temp, fs::copy_options::overwrite_existing, ec)) {
            fs::remove(temp, ec);
            throw Error(target.string() + ": cannot copy the external data " + quoteInput(location) + " (" +
                        ec.message() + ")");
        }
        fs::rename(temp, target, ec);
        if (ec) throw Error(target.string() + ": cannot copy the external data (" + ec.message() + ")");
        copied.push_back(target.string());
    }
    return copied;
}

void checkUnchanged(const Model& model) {
    struct stat st {};
    if (::stat(model.path.c_str(), &st) != 0 || static_cast<std::uint64_t>(st.st_size) != model.fileSize)
        throw Error(model.path + ": the file changed since it was opened (size " +
                    std::to_string(model.fileSize) + " then, now " +
                    (::stat(model.path.c_str(), &st) == 0 ? std::to_string(st.st_size) : "unreadable") +
                    "): open it again before writing a copy");
}

} // namespace

EmbedResult embedHierarchy(const GraphIndex& graph, const Hierarchy& hierarchy, const std::string& outputPath,
                           const EmbedOptions& options) {
    const Model& model = graph.model();
    std::error_code ec;
    if (fs::exists(outputPath, ec) && fs::equivalent(outputPath, model.path, ec))
        throw Error(outputPath + ": is the model itself; write the copy to another file");
    checkUnchanged(model);
    const std::vector<NodeMetadata> plan = planNodeMetadata(graph, hierarchy);
    Rewriter rewriter(*model.file, model, graph, hierarchy, plan, emptyModulesText(hierarchy));
    std::uint64_t total = 0;
    try {
        total = rewriter.measure();
    } catch (const wire::Malformed& e) {
        throw Error(model.path + ": truncated or corrupt ONNX file (" + e.what() + ")");
    }

    EmbedResult result;
    result.outputPath = outputPath;
    for (const NodeMetadata& m : plan)
        (m.ambiguous ? result.nodesSkipped : result.nodesTagged)++;
    result.externalFilesCopied = placeExternalData(model, outputPath, options.copyExternal);

    BufferedOutput out(outputPath);
    SpanCopier copier(*model.file, model.path);
    auto done = [&](std::uint64_t n) {
        result.bytesWritten += n;
        if (options.progress && !options.progress(result.bytesWritten, total))
            throw Error(outputPath + ": cancelled; nothing was written");
    };
    // Spans are joined while they follow each other in the model file: weights go in long runs.
    class FileSink : public Sink {
    public:
        FileSink(BufferedOutput& out, SpanCopier& copier, const std::function<void(std::uint64_t)>& done)
            : out_(out), copier_(copier), done_(done) {}
        void span(std::uint64_t offset, std::uint64_t length) override {
            if (pendingLength_ > 0 && pendingOffset_ + pendingLength_ == offset) {
                pendingLength_ += length;
                return;
            }
            flush();
            pendingOffset_ = offset;
            pendingLength_ = length;
        }
        void bytes(const std::string& data) override {
            flush();
            out_.append(data.data(), data.size());
            done_(data.size());
        }
        void flush() {
            if (pendingLength_ > 0) copier_.copy(pendingOffset_, pendingLength_, out_, done_);
            pendingLength_ = 0;
        }

    private:
        BufferedOutput& out_;
        SpanCopier& copier_;
        const std::function<void(std::uint64_t)>& done_;
        std::uint64_t pendingOffset_ = 0, pendingLength_ = 0;
    };
    const std::function<void(std::uint64_t)> progress = done;
    FileSink sink(out, copier, progress);
    try {
        rewriter.emit(sink);
    } catch (const wire::Malformed& e) {
        throw Error(model.path + ": truncated or corrupt ONNX file (" + e.what() + ")");
    }
    sink.flush();
    if (result.bytesWritten != total)
        throw Error(outputPath + ": internal error: " + std::to_string(result.bytesWritten) +
                    " bytes written, " + std::to_string(total) + " planned; nothing was written");
    out.commit();
    return result;
}

} // namespace hs
