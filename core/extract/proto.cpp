// ONNX building blocks of extraction: protos parsed from the mapped model, external data read in,
// value infos and types converted between the core's structs and ONNX's classes.
#include "extract/internal.h"

#include "common/error.h"
#include "graph/graph.h"
#include "model/mapped_file.h"
#include "model/span_reader.h"

#include <onnx/common/version.h>
#include <onnx/defs/schema.h>

#include <map>

namespace hs::extraction {

namespace {

// Set by the ExternalScope of the public entry point running on this thread.
thread_local std::map<std::string, std::shared_ptr<const MappedFile>>* currentExternalCache = nullptr;

const MappedFile& externalFile(const std::string& path) {
    auto& cache = *currentExternalCache;
    auto it = cache.find(path);
    if (it == cache.end()) it = cache.emplace(path, MappedFile::open(path)).first;
    return *it->second;
}

} // namespace

ExternalScope::ExternalScope() {
    if (!currentExternalCache) currentExternalCache = &cache_, owner_ = true;
}

ExternalScope::~ExternalScope() {
    if (owner_) currentExternalCache = nullptr;
}

namespace {
thread_local SpanReader* currentSpanReader = nullptr; // set by the outermost SpanReadScope of the thread
} // namespace

SpanReadScope::SpanReadScope(const Model& m) {
    if (currentSpanReader || !m.file) return;
    reader_ = std::make_unique<SpanReader>(*m.file);
    currentSpanReader = reader_.get();
}

SpanReadScope::~SpanReadScope() {
    if (reader_) currentSpanReader = nullptr;
}

std::string_view spanBytes(const Model& m, const ByteSpan& span) {
    if (currentSpanReader && &currentSpanReader->file() == m.file.get())
        return currentSpanReader->bytes(span.offset, span.length);
    return m.file->bytes(span.offset, span.length);
}

std::string_view externalBytes(const Initializer& init) {
    return externalFile(init.externalPath).bytes(init.externalOffset, init.externalLength);
}

onnx::TensorProto inlineTensor(const Model& m, const Initializer& init) {
    onnx::TensorProto t;
    inlineTensorInto(m, init, t);
    return t;
}

void inlineTensorInto(const Model& m, const Initializer& init, onnx::TensorProto& t) {
    if (!init.kept.empty())
        parseBytesInto(m, init.kept, init.span, "initializer", init.name, t);
    else
        parseSpanInto(m, init.span, "initializer", init.name, t);
    if (init.external) {
        std::string_view data = externalBytes(init);
        t.clear_external_data();
        t.set_data_location(onnx::TensorProto_DataLocation_DEFAULT);
        t.set_raw_data(data.data(), data.size());
    }
}

onnx::ValueInfoProto initializerAsInput(const Initializer& init) {
    onnx::ValueInfoProto vi;
    vi.set_name(init.name);
    auto* tt = vi.mutable_type()->mutable_tensor_type();
    tt->set_elem_type(init.dataType);
    auto* shape = tt->mutable_shape();
    for (auto d : init.dims)
        shape->add_dim()->set_dim_value(d);
    return vi;
}

onnx::ValueInfoProto valueInfoFor(const std::string& name, const TensorType* type) {
    onnx::ValueInfoProto vi;
    vi.set_name(name);
    if (!type || type->elemType == 0) return vi;
    setTypeProto(*type, *vi.mutable_type());
    return vi;
}

void setTypeProto(const TensorType& type, onnx::TypeProto& out) {
    out.Clear();
    auto* tt = out.mutable_tensor_type();
    tt->set_elem_type(type.elemType);
    if (type.hasShape) {
        auto* shape = tt->mutable_shape();
        for (const Dim& d : type.dims) {
            auto* dim = shape->add_dim();
            if (d.value >= 0)
                dim->set_dim_value(d.value);
            else if (!d.param.empty())
                dim->set_dim_param(d.param);
        }
    }
}

bool typeFromProto(const onnx::TypeProto& tp, TensorType& out) {
    if (!tp.has_tensor_type() || tp.tensor_type().elem_type() == 0) return false;
    out = {};
    out.elemType = tp.tensor_type().elem_type();
    if (tp.tensor_type().has_shape()) {
        out.hasShape = true;
        for (const auto& d : tp.tensor_type().shape().dim()) {
            Dim dim;
            if (d.has_dim_value())
                dim.value = d.dim_value();
            else if (d.has_dim_param() && d.dim_param().compare(0, 5, "unk__") != 0)
                dim.param = d.dim_param(); // not inference's made-up names
            out.dims.push_back(dim);
        }
    }
    return true;
}

void addOpsets(const Model& m, onnx::ModelProto& mp) {
    for (const auto& op : m.opsets) {
        auto* o = mp.add_opset_import();
        o->set_domain(op.domain);
        o->set_version(op.version);
    }
}

std::int64_t maxKnownOpset(const std::string& domain) {
    const auto& map = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
    auto it = map.find(domain.empty() ? std::string("") : domain == "ai.onnx" ? std::string("") : domain);
    return it == map.end() ? -1 : it->second.second;
}

std::string onnxLibraryVersion() {
    return ONNX_NAMESPACE::LAST_RELEASE_VERSION;
}

} // namespace hs::extraction
