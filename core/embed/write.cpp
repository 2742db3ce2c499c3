// The embedded copy: the model file's bytes in order, with every NodeProto the plan describes written
// anew (its fields copied, our metadata_props entries appended) and the length prefixes of the messages
// around it (GraphProto in ModelProto, FunctionProto, subgraph attributes) fixed. Everything else,
// weights above all, is a span of the mapped file copied as it is: no protobuf object is built.
#include "common/display_text.h"
#include "common/error.h"
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

// ----- the copy as pieces: spans of the source file and bytes written anew ------------------------

struct Piece {
    std::uint64_t offset = 0, length = 0; // a span of the source file, when `bytes` is empty
    std::string bytes;
};

class Pieces {
public:
    void span(std::uint64_t offset, std::uint64_t length) {
        if (length == 0) return;
        if (!list_.empty() && list_.back().bytes.empty() &&
            list_.back().offset + list_.back().length == offset)
            list_.back().length += length;
        else
            list_.push_back({offset, length, {}});
        size_ += length;
    }
    void own(std::string bytes) {
        if (bytes.empty()) return;
        size_ += bytes.size();
        if (!list_.empty() && !list_.back().bytes.empty())
            list_.back().bytes += bytes;
        else
            list_.push_back({0, 0, std::move(bytes)});
    }
    void append(Pieces&& other) {
        for (Piece& p : other.list_)
            if (p.bytes.empty())
                span(p.offset, p.length);
            else
                own(std::move(p.bytes));
    }
    std::uint64_t size() const { return size_; }
    // The pieces are exactly this one span of the source: nothing inside was changed.
    bool isSpan(std::uint64_t offset, std::uint64_t length) const {
        return list_.size() == 1 && list_[0].bytes.empty() && list_[0].offset == offset &&
               list_[0].length == length;
    }
    const std::vector<Piece>& list() const { return list_; }

private:
    std::vector<Piece> list_;
    std::uint64_t size_ = 0;
};

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

class Rewriter {
public:
    Rewriter(const MappedFile& file, const Model& model, const std::vector<NodeMetadata>& plan,
             std::string emptyModules)
        : file_(file), plan_(plan), emptyModules_(std::move(emptyModules)) {
        // The loader recorded each NodeProto's payload span: that offset identifies the node here.
        for (std::size_t k = 0; k < plan.size(); ++k) {
            const Node& node = model.graphs[static_cast<std::size_t>(plan[k].graph)]
                                   .nodes[static_cast<std::size_t>(plan[k].node)];
            byOffset_.emplace(node.span.offset, k);
        }
    }

    Pieces rewriteFile() { return rewrite(Kind::Model, 0, file_.size()); }

private:
    Pieces rewrite(Kind kind, std::uint64_t offset, std::uint64_t length) {
        const NodeMetadata* node = nullptr;
        if (kind == Kind::Node)
            if (auto it = byOffset_.find(offset); it != byOffset_.end()) node = &plan_[it->second];
        Pieces out;
        Reader r(file_.bytes(offset, length), offset);
        while (!r.atEnd()) {
            const std::uint64_t start = r.position();
            const Field f = r.next();
            const std::uint64_t end = r.position();
            Kind child;
            if (f.type == wire::LengthDelimited && childKind(kind, f.number, child)) {
                Pieces inner = rewrite(child, f.offset, f.bytes.size());
                if (inner.isSpan(f.offset, f.bytes.size()) || (inner.size() == 0 && f.bytes.empty())) {
                    out.span(start, end - start); // unchanged: its own bytes, tag and length as written
                } else {
                    out.own(lengthDelimitedHeader(f.number, inner.size()));
                    out.append(std::move(inner));
                }
                continue;
            }
            if (node && f.number == 9 && f.type == wire::LengthDelimited && !node->dropped.empty() &&
                std::find(node->dropped.begin(), node->dropped.end(), entryKey(f)) != node->dropped.end())
                continue; // an earlier embed's entry: replaced by this one's
            if (kind == Kind::Model && f.number == 14 && f.type == wire::LengthDelimited &&
                entryKey(f) == embed_keys::kEmptyModules)
                continue; // likewise
            out.span(start, end - start);
        }
        if (node) out.own(encodeMetadata(node->entries));
        if (kind == Kind::Model && !emptyModules_.empty()) {
            // ModelProto.metadata_props (14), appended: protobuf readers take fields in any order.
            std::string entry;
            putString(entry, 1, embed_keys::kEmptyModules);
            putString(entry, 2, emptyModules_);
            std::string field;
            putString(field, 14, entry);
            out.own(std::move(field));
        }
        return out;
    }

    const MappedFile& file_;
    const std::vector<NodeMetadata>& plan_;
    std::string emptyModules_;
    std::unordered_map<std::uint64_t, std::size_t> byOffset_;
};

// ----- writing ---------------------------------------------------------------------------------------

std::string errnoText() {
    return std::strerror(errno);
}

// A temporary file beside the target, renamed over it on commit, removed otherwise.
class TempFile {
public:
    explicit TempFile(const std::string& target) : target_(target) {
        const fs::path p(target);
        const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
        std::string pattern = (dir / ("." + p.filename().string() + ".tmp-XXXXXX")).string();
        std::vector<char> buf(pattern.begin(), pattern.end());
        buf.push_back('\0');
        fd_ = ::mkstemp(buf.data());
        if (fd_ < 0) throw Error(target + ": cannot write the output file (" + errnoText() + ")");
        path_ = buf.data();
        ::fchmod(fd_, 0644); // mkstemp makes it 0600; a model is no secret
    }
    ~TempFile() {
        if (fd_ >= 0) ::close(fd_);
        if (!committed_) ::unlink(path_.c_str());
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    int fd() const { return fd_; }
    // Small pieces (node messages, tags, the spans between them) are gathered and written in 1 MB runs.
    void append(const char* data, std::size_t size) {
        buffer_.append(data, size);
        if (buffer_.size() >= (1u << 20)) flush();
    }
    // Everything appended is in the file: before the kernel writes at the file position.
    void flush() {
        writeNow(buffer_.data(), buffer_.size());
        buffer_.clear();
    }
    void write(const char* data, std::size_t size) {
        flush();
        writeNow(data, size);
    }
    void commit() {
        flush();
        const bool synced = ::fsync(fd_) == 0;
        const int closed = ::close(fd_);
        fd_ = -1;
        if (!synced || closed != 0 || ::rename(path_.c_str(), target_.c_str()) != 0)
            throw Error(target_ + ": cannot write the output file (" + errnoText() + ")");
        committed_ = true;
    }

private:
    void writeNow(const char* data, std::size_t size) {
        while (size > 0) {
            const ssize_t n = ::write(fd_, data, size);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw Error(target_ + ": cannot write the output file (" + errnoText() + ")");
            data += n;
            size -= static_cast<std::size_t>(n);
        }
    }

    std::string target_, path_;
    std::string buffer_;
    int fd_ = -1;
    bool committed_ = false;
};

// Copies spans of the model file into the copy: by the kernel (copy_file_range: no page of the model is
// mapped into this process, and filesystems that share extents copy without reading) when the file on disk
// is still the one that was mapped; otherwise, or where the kernel cannot, through the mapping in chunks
// whose pages are handed back afterwards. Either way a 400 MB model is copied with a few MB resident.
class SpanCopier {
public:
    SpanCopier(const MappedFile& file, const std::string& path, int out) : file_(file), out_(out) {
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

    void copy(std::uint64_t offset, std::uint64_t length, TempFile& out,
              const std::function<void(std::uint64_t)>& done) {
        constexpr std::uint64_t kChunk = 32u << 20; // progress and cancel between chunks
        // A node's own fields, the bytes between two rewritten nodes: from the mapping, whose structure
        // pages the loader read anyway (one kernel call per node costs more than the copy).
        constexpr std::uint64_t kSmall = 256u << 10;
        if (length < kSmall) {
            out.append(reinterpret_cast<const char*>(file_.data() + offset),
                       static_cast<std::size_t>(length));
            done(length);
            return;
        }
        out.flush();
        while (length > 0) {
            const std::uint64_t n = std::min(kChunk, length);
            const std::uint64_t copied = source_ >= 0 ? kernelCopy(offset, n) : 0;
            if (copied < n) copyMapped(offset + copied, n - copied, out);
            offset += n;
            length -= n;
            done(n);
        }
    }

private:
    // Bytes the kernel copied; fewer than asked when it cannot (another filesystem, an old kernel), and
    // from then on the copy goes through the mapping.
    std::uint64_t kernelCopy(std::uint64_t offset, std::uint64_t length) {
        loff_t in = static_cast<loff_t>(offset);
        std::uint64_t copied = 0;
        while (copied < length) {
            const ssize_t n =
                ::copy_file_range(source_, &in, out_, nullptr, static_cast<std::size_t>(length - copied), 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                ::close(source_);
                source_ = -1;
                break;
            }
            copied += static_cast<std::uint64_t>(n);
        }
        return copied;
    }

    void copyMapped(std::uint64_t offset, std::uint64_t length, TempFile& out) {
        out.write(reinterpret_cast<const char*>(file_.data() + offset), static_cast<std::size_t>(length));
        // Whole pages inside what was just copied; the mapping is read-only, so nothing is lost.
        const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
        const std::uint64_t first = (offset + page - 1) / page * page, last = (offset + length) / page * page;
        if (last > first)
            ::madvise(const_cast<std::uint8_t*>(file_.data()) + first, last - first, MADV_DONTNEED);
    }

    const MappedFile& file_;
    int out_;
    int source_ = -1;
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
    Pieces pieces;
    try {
        pieces = Rewriter(*model.file, model, plan, emptyModulesText(hierarchy)).rewriteFile();
    } catch (const wire::Malformed& e) {
        throw Error(model.path + ": truncated or corrupt ONNX file (" + e.what() + ")");
    }

    EmbedResult result;
    result.outputPath = outputPath;
    for (const NodeMetadata& m : plan)
        (m.entries.empty() ? result.nodesSkipped : result.nodesTagged)++;
    result.externalFilesCopied = placeExternalData(model, outputPath, options.copyExternal);

    TempFile out(outputPath);
    SpanCopier copier(*model.file, model.path, out.fd());
    const std::uint64_t total = pieces.size();
    auto done = [&](std::uint64_t n) {
        result.bytesWritten += n;
        if (options.progress && !options.progress(result.bytesWritten, total))
            throw Error(outputPath + ": cancelled; nothing was written");
    };
    for (const Piece& p : pieces.list()) {
        if (p.bytes.empty()) {
            copier.copy(p.offset, p.length, out, done);
        } else {
            out.append(p.bytes.data(), p.bytes.size());
            done(p.bytes.size());
        }
    }
    out.commit();
    return result;
}

} // namespace hs
