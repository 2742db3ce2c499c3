// What the linked ONNX library can judge of a model (internal.h, "library view"). Debian's ONNX 1.12 knows
// ai.onnx up to opset 17 and no contrib domain. Asked about an opset-18 node it silently takes the newest
// schema it has (ReduceMean-13 for a ReduceMean-18 whose axes are an input): its checker would then refuse
// a valid model, and its shape inference would compute a wrong shape. So the copies the library sees
// import the newest opset it knows, and nodes of ops whose definition changed after that move to a
// domain it skips; what it skips is said, never hidden.
#include "extract/internal.h"

#include <onnx/defs/schema.h>

#include <map>

namespace hs::extraction {

namespace {

constexpr const char* kUncheckedPrefix = "hierscope.unchecked.";

// The opsets in which ai.onnx ops got a new version after 17: ONNX's onnx/defs/operator_sets.h
// (OpSet_Onnx_ver18 .. ver21) and the Changelog.md of ONNX 1.13-1.16. Beyond 21 every op is unknown.
const std::map<std::string, std::vector<int>>& changedAfter17() {
    static const std::map<std::string, std::vector<int>> changes = {
        {"AffineGrid", {20}},
        {"AveragePool", {19}},
        {"BitwiseAnd", {18}},
        {"BitwiseNot", {18}},
        {"BitwiseOr", {18}},
        {"BitwiseXor", {18}},
        {"Cast", {19, 21}},
        {"CastLike", {19, 21}},
        {"CenterCropPad", {18}},
        {"Col2Im", {18}},
        {"Constant", {19, 21}},
        {"ConstantOfShape", {20, 21}},
        {"DFT", {20}},
        {"DeformConv", {19}},
        {"DequantizeLinear", {19, 21}},
        {"Equal", {19}},
        {"Flatten", {21}},
        {"Gelu", {20}},
        {"GridSample", {20}},
        {"GroupNormalization", {18, 21}},
        {"Identity", {19, 21}},
        {"If", {19, 21}},
        {"ImageDecoder", {20}},
        {"IsInf", {20}},
        {"IsNaN", {20}},
        {"Loop", {19, 21}},
        {"LpPool", {18}},
        {"Mish", {18}},
        {"OptionalGetElement", {18}},
        {"OptionalHasElement", {18}},
        {"Pad", {18, 19, 21}},
        {"QLinearMatMul", {21}},
        {"QuantizeLinear", {19, 21}},
        {"ReduceL1", {18}},
        {"ReduceL2", {18}},
        {"ReduceLogSum", {18}},
        {"ReduceLogSumExp", {18}},
        {"ReduceMax", {18, 20}},
        {"ReduceMean", {18}},
        {"ReduceMin", {18, 20}},
        {"ReduceProd", {18}},
        {"ReduceSumSquare", {18}},
        {"RegexFullMatch", {20}},
        {"Reshape", {19, 21}},
        {"Resize", {18, 19}},
        {"Scan", {19, 21}},
        {"ScatterElements", {18}},
        {"ScatterND", {18}},
        {"Shape", {19, 21}},
        {"Size", {19, 21}},
        {"Split", {18}},
        {"Squeeze", {21}},
        {"StringConcat", {20}},
        {"StringSplit", {20}},
        {"Transpose", {21}},
        {"Unsqueeze", {21}},
    };
    return changes;
}
constexpr std::int64_t kNewestListed = 21;

std::string canonical(const std::string& domain) {
    return domain == "ai.onnx" ? std::string() : domain;
}

} // namespace

std::int64_t newestListedOpset() {
    return kNewestListed;
}

bool libraryKnowsOp(const std::string& opType, const std::string& domain, std::int64_t version,
                    std::int64_t known) {
    if (version <= known) return true;
    if (!canonical(domain).empty() || version > kNewestListed) return false;
    auto it = changedAfter17().find(opType);
    if (it == changedAfter17().end()) return true;
    for (int v : it->second)
        if (v > known && v <= version) return false;
    return true;
}

std::string originalDomain(const std::string& domain, bool* hidden) {
    std::string prefix = kUncheckedPrefix;
    bool h = domain.compare(0, prefix.size(), prefix) == 0;
    if (hidden) *hidden = h;
    if (!h) return domain;
    std::string d = domain.substr(prefix.size());
    return d == "ai.onnx" ? std::string() : d;
}

namespace {

// ONNX Runtime registers a few ops of its own in the ONNX domain (contrib_defs.cc, kOnnxDomain), which
// ONNX's schemas do not have (LayerNormalization before ONNX's own in opset 17): the library would refuse
// them as unregistered; they are left to our checks like contrib ops.
bool onnxRuntimeOpInOnnxDomain(const std::string& opType) {
    return opType == "SimplifiedLayerNormalization" || opType == "LayerNormalization";
}

struct Narrower {
    std::map<std::string, std::int64_t> versions; // imported version per domain
    LibraryView& view;
    // Per domain as a node writes it: judged in full below only when the import is newer than the library
    // (asking the schema registry for every node of a 130k-node model was most of the narrowing).
    std::map<std::string, bool, std::less<>> importKnown;

    bool judged(const onnx::NodeProto& n, std::int64_t version) {
        auto known = importKnown.find(n.domain());
        if (known == importKnown.end()) {
            std::int64_t max = maxKnownOpset(canonical(n.domain()));
            known = importKnown.emplace(n.domain(), max >= 0 && version <= max).first;
        }
        // An import the library knows: libraryKnowsOp holds; only ORT's ops in the ONNX domain are asked.
        if (known->second && !onnxRuntimeOpInOnnxDomain(n.op_type())) return true;
        return libraryJudges(n.op_type(), canonical(n.domain()), version);
    }

    void narrowNodes(google::protobuf::RepeatedPtrField<onnx::NodeProto>& nodes) {
        for (auto& n : nodes) {
            for (auto& a : *n.mutable_attribute()) {
                if (a.has_g()) narrowNodes(*a.mutable_g()->mutable_node());
                for (auto& g : *a.mutable_graphs())
                    narrowNodes(*g.mutable_node());
            }
            std::string d = canonical(n.domain());
            auto it = versions.find(d);
            if (it == versions.end() || judged(n, it->second)) continue;
            view.moved.emplace_back(&n, n.domain());
            view.hiddenOps.insert((d.empty() ? std::string() : d + ".") + n.op_type());
            n.set_domain(kUncheckedPrefix + (d.empty() ? std::string("ai.onnx") : d));
        }
    }

    void narrowImports(google::protobuf::RepeatedPtrField<onnx::OperatorSetIdProto>& imports, bool record) {
        std::set<std::string> domains;
        for (auto& op : imports) {
            std::string d = canonical(op.domain());
            std::int64_t max = maxKnownOpset(d);
            if (max < 0) continue;
            domains.insert(d);
            if (op.version() <= max) continue;
            if (record) view.lowered.emplace_back(&op, op.version());
            op.set_version(max);
        }
        for (const auto& d : domains) {
            auto* o = imports.Add();
            o->set_domain(kUncheckedPrefix + (d.empty() ? std::string("ai.onnx") : d));
            o->set_version(1);
        }
    }
};

} // namespace

bool libraryJudges(const std::string& opType, const std::string& domain, std::int64_t version) {
    std::string d = canonical(domain);
    std::int64_t max = maxKnownOpset(d);
    if (max < 0) return true; // a domain it does not know: its checker skips the node by itself
    if (!libraryKnowsOp(opType, d, version, max)) return false;
    return !(d.empty() && onnxRuntimeOpInOnnxDomain(opType) &&
             !onnx::OpSchemaRegistry::Schema(opType, static_cast<int>(std::min(version, max)), d));
}

LibraryView narrowToLibrary(onnx::ModelProto& mp) {
    LibraryView view;
    Narrower narrower{{}, view, {}};
    for (const auto& op : mp.opset_import()) {
        std::string d = canonical(op.domain());
        narrower.versions[d] = op.version();
        std::int64_t max = maxKnownOpset(d);
        if (max >= 0 && op.version() > max)
            view.newer.push_back({d.empty() ? std::string("ai.onnx") : d, op.version(), max});
    }
    narrower.narrowNodes(*mp.mutable_graph()->mutable_node());
    for (auto& fn : *mp.mutable_functions())
        narrower.narrowNodes(*fn.mutable_node());
    if (view.newer.empty() && view.moved.empty()) return view;
    view.importsBefore = static_cast<int>(mp.opset_import_size());
    narrower.narrowImports(*mp.mutable_opset_import(), true);
    for (auto& fn : *mp.mutable_functions()) {
        view.functionImports.push_back({&fn, fn.opset_import()});
        narrower.narrowImports(*fn.mutable_opset_import(), false);
    }
    return view;
}

void restoreFromLibrary(onnx::ModelProto& mp, const LibraryView& view) {
    for (const auto& [node, domain] : view.moved)
        node->set_domain(domain);
    for (const auto& [op, version] : view.lowered)
        op->set_version(version);
    if (view.importsBefore >= 0)
        mp.mutable_opset_import()->DeleteSubrange(view.importsBefore,
                                                  mp.opset_import_size() - view.importsBefore);
    for (const auto& [fn, imports] : view.functionImports)
        *fn->mutable_opset_import() = imports;
}

} // namespace hs::extraction
