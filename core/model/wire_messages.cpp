#include "model/wire_messages.h"

#include "model/file_window.h"

namespace hs::wire {

std::string str(const Field& f) {
    return std::string(f.bytes);
}

std::pair<std::string, std::string> parseStringPair(const Field& outer) {
    std::pair<std::string, std::string> kv;
    Reader r(outer.bytes, outer.offset);
    while (!r.atEnd()) {
        Field f = r.next();
        if (f.number == 1 && f.type == wire::LengthDelimited)
            kv.first = str(f);
        else if (f.number == 2 && f.type == wire::LengthDelimited)
            kv.second = str(f);
    }
    return kv;
}

OpsetImport parseOpset(const Field& outer) {
    OpsetImport op;
    Reader r(outer.bytes, outer.offset);
    while (!r.atEnd()) {
        Field f = r.next();
        if (f.number == 1 && f.type == wire::LengthDelimited)
            op.domain = str(f);
        else if (f.number == 2 && f.type == wire::Varint)
            op.version = static_cast<std::int64_t>(f.varint);
    }
    return op;
}

namespace {

void parseShape(const Field& outer, TensorType& type) {
    type.hasShape = true;
    Reader r(outer.bytes, outer.offset);
    while (!r.atEnd()) {
        Field f = r.next();
        if (f.number != 1 || f.type != wire::LengthDelimited) continue;
        Dim dim;
        Reader dr(f.bytes, f.offset);
        while (!dr.atEnd()) {
            Field d = dr.next();
            if (d.number == 1 && d.type == wire::Varint)
                dim.value = static_cast<std::int64_t>(d.varint);
            else if (d.number == 2 && d.type == wire::LengthDelimited)
                dim.param = str(d);
        }
        type.dims.push_back(std::move(dim));
    }
}

} // namespace

TensorType parseTypeProto(const Field& outer) {
    TensorType type;
    Reader r(outer.bytes, outer.offset);
    while (!r.atEnd()) {
        Field f = r.next();
        // tensor_type = 1, sparse_tensor_type = 8 share the same layout.
        if ((f.number == 1 || f.number == 8) && f.type == wire::LengthDelimited) {
            Reader tr(f.bytes, f.offset);
            while (!tr.atEnd()) {
                Field t = tr.next();
                if (t.number == 1 && t.type == wire::Varint)
                    type.elemType = static_cast<std::int32_t>(t.varint);
                else if (t.number == 2 && t.type == wire::LengthDelimited)
                    parseShape(t, type);
            }
        }
    }
    return type;
}

ValueInfo parseValueInfo(const Field& outer) {
    ValueInfo vi;
    vi.span = {outer.offset, outer.bytes.size()};
    Reader r(outer.bytes, outer.offset);
    while (!r.atEnd()) {
        Field f = r.next();
        if (f.number == 1 && f.type == wire::LengthDelimited)
            vi.name = str(f);
        else if (f.number == 2 && f.type == wire::LengthDelimited)
            vi.type = parseTypeProto(f);
    }
    return vi;
}

namespace {
// A TensorProto's fields, from a Reader or a WindowReader: the payload located by its offset and length.
template <typename Fields> TensorHeader readTensorHeader(Fields& r) {
    TensorHeader t;
    while (!r.atEnd()) {
        Field f = r.next();
        switch (f.number) {
        case 1:
            forEachVarint(f, [&](std::uint64_t v) { t.dims.push_back(static_cast<std::int64_t>(v)); });
            break;
        case 2:
            t.dataType = static_cast<std::int32_t>(f.varint);
            break;
        case 8:
            t.name = str(f);
            break;
        case 4:
        case 5:
        case 6:
        case 7:
        case 9:
        case 10:
        case 11: // typed or raw payload: skipped, not copied
            if (f.type == wire::LengthDelimited) {
                if (t.payload.length == 0)
                    t.payload = {f.offset, f.bytes.size()};
                else
                    t.payload.length += f.bytes.size(); // unpacked repeats: an estimate of the size
            }
            break;
        case 13:
            t.externalData.push_back(parseStringPair(f));
            break;
        case 14:
            t.external = f.varint == 1;
            break;
        default:
            break;
        }
    }
    return t;
}
} // namespace

TensorHeader parseTensorHeader(const Field& outer) {
    Reader r(outer.bytes, outer.offset);
    return readTensorHeader(r);
}

TensorHeader parseTensorHeader(WindowReader& tensor) {
    return readTensorHeader(tensor);
}

std::string describeTensor(const TensorHeader& t) {
    std::string out = "tensor ";
    out += dataTypeName(t.dataType);
    out += '[';
    for (std::size_t i = 0; i < t.dims.size(); ++i) {
        if (i) out += ',';
        out += std::to_string(t.dims[i]);
    }
    out += ']';
    return out;
}

} // namespace hs::wire
