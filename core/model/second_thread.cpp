#include "model/second_thread.h"

#include "model/file_window.h"
#include "model/walk_paging.h"

namespace hs {

using wire::Field;
using wire::FileWindow;
using wire::Reader;
using wire::TensorHeader;
using wire::WindowReader;

// Takes the header's name and dims; its external data entries stay for ExternalData::resolve.
Initializer initializerFrom(TensorHeader& t, const Field& f) {
    Initializer init;
    init.name = std::move(t.name);
    init.dataType = t.dataType;
    init.dims = std::move(t.dims);
    init.span = {f.offset, f.bytes.size()};
    init.payload = t.payload;
    init.external = t.external;
    return init;
}

namespace {

// Reads the fields of [range) into `rest` with `r` (a Reader or a WindowReader); `header` reads an
// initializer's TensorProto; `pages`, when set, is told where the walk is. False when it met a node.
template <typename Fields, typename Header>
bool readRestFields(Fields& r, ReadRest& rest, Header&& header, WalkPaging* pages) {
    std::vector<Initializer>& initializers = rest.fields.initializers;
    while (!r.atEnd()) {
        if (pages) pages->at(r.position());
        const Field f = r.next();
        if (f.number == 1) return false; // a node after the others: the loader reads these in order
        readGraphField(f, rest.fields, rest.named, [&](const Field& tensor) {
            TensorHeader t = header(tensor);
            if (t.external) rest.external.emplace_back(initializers.size(), std::move(t.externalData));
            initializers.push_back(initializerFrom(t, tensor));
        });
    }
    if (pages) pages->finish(r.position());
    return true;
}

} // namespace

ReadRest readRest(const MappedFile& file, ByteSpan range, std::size_t bufferBytes) {
    ReadRest rest;
    try {
        const std::size_t inlineLimit = std::min(kRestInline, bufferBytes);
        FileWindow window(file, std::min(kRestReadMost, bufferBytes), kRestRead, FileWindow::Pattern::Random);
        if (window.valid()) {
            WindowReader r(window, range.offset, range.offset + range.length, inlineLimit);
            auto header = [&](const Field& tensor) {
                if (r.inBuffer(tensor)) return parseTensorHeader(tensor);
                WindowReader fields(window, tensor.offset, tensor.offset + tensor.bytes.size(), inlineLimit);
                return parseTensorHeader(fields);
            };
            if (!readRestFields(r, rest, header, nullptr)) return rest;
        } else { // the file was replaced since it was mapped: the mapping's bytes are the model's
            WalkPaging pages(file, range);
            Reader r(file.bytes(range.offset, range.length), range.offset);
            auto header = [](const Field& tensor) { return parseTensorHeader(tensor); };
            if (!readRestFields(r, rest, header, &pages)) return rest;
        }
    } catch (...) { // malformed, memory, a failed read: met again in order by the loader
        return rest;
    }
    rest.complete = true;
    return rest;
}

// The other thread's work on a big main graph: counts its nodes after the first `first` ones (their
// heads only, through a buffer of its own), hands the count to the loader, then reads what follows.
ReadRest countThenReadRest(const MappedFile& file, std::uint64_t end, NodeRun first, std::size_t bufferBytes,
                           std::promise<CountedRun>& count) {
    CountedRun counted;
    try {
        FileWindow window(file, bufferBytes, kNodeFirstRead, FileWindow::Pattern::Sequential);
        if (window.valid()) {
            WindowReader heads(window, first.end, end, 0);
            counted.run = leadingNodes(heads, std::numeric_limits<std::size_t>::max(), first);
            counted.counted = true;
        }
    } catch (...) { // malformed, memory, a failed read
        counted.counted = false;
        counted.error = std::current_exception();
    }
    count.set_value(counted);
    if (!counted.counted) return {};
    return readRest(file, ByteSpan{counted.run.end, end - counted.run.end}, bufferBytes);
}

} // namespace hs
