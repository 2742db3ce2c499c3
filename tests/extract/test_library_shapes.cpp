// extract/library_shapes.cpp against ONNX 1.12's own InferShapes: the same model (every vendored and
// fixture model, as read from its file and as the weight-free inference copy inferIndexTypes builds, with
// dims bound and symbolic, and again after a first round) must come out byte-identical from both, with
// the same exception text where the library throws. $HS_LIBRARY_SHAPES_DIRS (':'-separated folders)
// adds more files, every one read as a model (fuzz corpora: what does not parse is skipped), and
// $HS_LIBRARY_SHAPES_MODELS more models by path.
#include "extract/internal.h"
#include "graph/graph.h"
#include "model/model.h"

#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <QtTest>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

using namespace hs;
namespace fs = std::filesystem;

namespace {

struct Outcome {
    std::string bytes, error;
};

Outcome runLibrary(onnx::ModelProto m) {
    Outcome o;
    try {
        onnx::shape_inference::InferShapes(m, onnx::OpSchemaRegistry::Instance(),
                                           onnx::ShapeInferenceOptions(false, 0, true));
    } catch (const std::exception& e) {
        o.error = e.what();
    }
    m.SerializeToString(&o.bytes);
    return o;
}

Outcome runOurs(onnx::ModelProto m) {
    Outcome o;
    try {
        extraction::inferShapesLikeLibrary(m);
    } catch (const std::exception& e) {
        o.error = e.what();
    }
    m.SerializeToString(&o.bytes);
    return o;
}

// Compares both on `m`, then (where the library did not throw) on its result once more: a second round
// meets the value infos the first added. Returns "" or what differs.
std::string compareOn(const onnx::ModelProto& m) {
    Outcome a = runLibrary(m), b = runOurs(m);
    if (a.error != b.error) return "exception differs: '" + a.error + "' vs '" + b.error + "'";
    if (a.bytes != b.bytes) return "inferred model differs";
    if (!a.error.empty()) return {};
    onnx::ModelProto again;
    again.ParseFromString(a.bytes);
    Outcome c = runLibrary(again), d = runOurs(again);
    if (c.error != d.error) return "second round: exception differs: '" + c.error + "' vs '" + d.error + "'";
    if (c.bytes != d.bytes) return "second round: inferred model differs";
    return {};
}

// The inference copy inferIndexTypes hands the library (narrowed and screened), inputs bound or not.
onnx::ModelProto inferenceCopy(const std::string& path, bool bound) {
    GraphIndex g(loadModel(path));
    extraction::ExternalScope scope;
    extraction::Flattener flat(g, std::vector<char>(g.size(), 1), true, false);
    onnx::ModelProto mp = extraction::inferenceModel(g, flat);
    if (bound)
        for (auto& in : *mp.mutable_graph()->mutable_input())
            if (in.type().tensor_type().has_shape())
                for (auto& d : *in.mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim())
                    if (!d.has_dim_value()) d.set_dim_value(2);
    extraction::narrowToLibrary(mp);
    extraction::screenForInference(mp);
    return mp;
}

std::vector<std::string> modelFiles() {
    std::vector<std::string> dirs = {HS_FIXTURES, HS_TEST_MODELS};
    if (const char* extra = std::getenv("HIERSCOPE_EXTRA_MODELS"); extra && *extra) dirs.push_back(extra);
    std::vector<std::string> files;
    for (const auto& d : dirs)
        if (fs::is_directory(d))
            for (const auto& e : fs::recursive_directory_iterator(d))
                if (e.is_regular_file() && e.path().extension() == ".onnx")
                    files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    // More models by path ($HS_LIBRARY_SHAPES_MODELS, ':'-separated), e.g. bench/cache/deep-200.onnx.
    if (const char* more = std::getenv("HS_LIBRARY_SHAPES_MODELS"); more && *more) {
        std::stringstream list(more);
        for (std::string f; std::getline(list, f, ':');)
            files.push_back(f);
    }
    return files;
}

// The file as a model, narrowed and screened as the inference copy is (the library crashes on some of
// what the screen takes out).
bool readModel(const std::string& path, onnx::ModelProto& m) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    const std::string bytes = s.str();
    if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return false;
    try {
        extraction::narrowToLibrary(m);
        extraction::screenForInference(m);
    } catch (const std::exception&) {
        return false;
    }
    return true;
}

// Two If nodes, the second's branches reading `y`, which a node between the two produces: the library
// gives a body the outer types known when its node is inferred (the mirror of library_shapes.cpp must
// follow what is inferred after the first If).
onnx::ModelProto twoIfs() {
    onnx::ModelProto m;
    m.set_ir_version(8);
    auto* op = m.add_opset_import();
    op->set_version(17);
    auto* g = m.mutable_graph();
    auto input = [&](const std::string& name, int elem, std::vector<std::int64_t> dims) {
        auto* vi = g->add_input();
        vi->set_name(name);
        auto* tt = vi->mutable_type()->mutable_tensor_type();
        tt->set_elem_type(elem);
        auto* shape = tt->mutable_shape();
        for (auto d : dims)
            shape->add_dim()->set_dim_value(d);
    };
    input("cond", onnx::TensorProto::BOOL, {});
    input("x", onnx::TensorProto::FLOAT, {2, 3});
    auto branch = [](const std::string& name, const std::string& from) {
        onnx::GraphProto b;
        b.set_name(name);
        auto* n = b.add_node();
        n->set_op_type("Identity");
        n->add_input(from);
        n->add_output(name + "_out");
        b.add_output()->set_name(name + "_out");
        return b;
    };
    auto ifNode = [&](const std::string& out, const std::string& from) {
        auto* n = g->add_node();
        n->set_op_type("If");
        n->set_name(out);
        n->add_input("cond");
        n->add_output(out);
        for (const char* which : {"then_branch", "else_branch"}) {
            auto* a = n->add_attribute();
            a->set_name(which);
            a->set_type(onnx::AttributeProto::GRAPH);
            *a->mutable_g() = branch(out + "_" + which, from);
        }
    };
    ifNode("first", "x");
    auto* add = g->add_node();
    add->set_op_type("Add");
    add->add_input("x");
    add->add_input("x");
    add->add_output("y");
    ifNode("second", "y");
    g->add_output()->set_name("second");
    return m;
}

} // namespace

class TestLibraryShapes : public QObject {
    Q_OBJECT
private slots:
    void sameAsLibraryOnModelFiles() {
        const auto files = modelFiles();
        QVERIFY(files.size() >= 20);
        for (const auto& f : files) {
            onnx::ModelProto m;
            if (!readModel(f, m)) continue; // tests/fixtures holds deliberately broken files too
            const std::string diff = compareOn(m);
            QVERIFY2(diff.empty(), (f + ": " + diff).c_str());
        }
    }

    void sameAsLibraryOnInferenceCopies() {
        int compared = 0;
        for (const auto& f : modelFiles()) {
            for (bool bound : {false, true}) {
                onnx::ModelProto mp;
                try {
                    mp = inferenceCopy(f, bound);
                } catch (const std::exception&) {
                    continue; // files the loader rejects
                }
                const std::string diff = compareOn(mp);
                QVERIFY2(diff.empty(), (f + (bound ? " (bound): " : ": ") + diff).c_str());
                ++compared;
            }
        }
        QVERIFY(compared >= 40);
    }

    void sameAsLibraryAcrossControlFlow() {
        const onnx::ModelProto m = twoIfs();
        const std::string diff = compareOn(m);
        QVERIFY2(diff.empty(), diff.c_str());
        onnx::ModelProto inferred = m;
        extraction::inferShapesLikeLibrary(inferred);
        bool typed = false; // the second If's output has y's type: [2, 3]
        for (const auto& vi : inferred.graph().output())
            typed = typed || (vi.name() == "second" && vi.type().tensor_type().shape().dim_size() == 2);
        QVERIFY(typed);
    }

    // The program's name ids (extract/program_names.h) match the graph after screening, after the
    // library's inference (which may add value infos) and after a fold (which drops nodes and value
    // infos and adds initializers), on every model's inference copy with bound dims. Debug builds check
    // every pass of inferModelInPlace the same way (expectNamesInStep).
    void programNamesStayInStep() {
        int checked = 0, folds = 0;
        for (const auto& f : modelFiles()) {
            GraphIndex* g = nullptr;
            std::unique_ptr<GraphIndex> owned;
            try {
                owned = std::make_unique<GraphIndex>(loadModel(f));
                g = owned.get();
            } catch (const std::exception&) {
                continue;
            }
            extraction::ExternalScope scope;
            extraction::Flattener flat(*g, std::vector<char>(g->size(), 1), true, false);
            onnx::ModelProto mp = extraction::inferenceModel(*g, flat);
            for (auto& in : *mp.mutable_graph()->mutable_input())
                if (in.type().tensor_type().has_shape())
                    for (auto& d : *in.mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim())
                        if (!d.has_dim_value()) d.set_dim_value(1);
            extraction::narrowToLibrary(mp);
            extraction::ProgramNames names;
            extraction::screenForInference(mp, names);
            QVERIFY2(extraction::namesOutOfStep(mp.graph(), names).empty(),
                     (f + ": after screening").c_str());
            try {
                extraction::inferShapesLikeLibrary(mp, names);
            } catch (const std::exception&) {
            }
            QVERIFY2(extraction::namesOutOfStep(mp.graph(), names).empty(),
                     (f + ": after inference").c_str());
            std::map<std::string, TensorType> types, folded;
            extraction::TypedEntries::forEach(mp.graph(),
                                              [&](const std::string& name, const onnx::TypeProto& t) {
                                                  extraction::typeFromProto(t, types[name]);
                                              });
            const int nodesBefore = mp.graph().node_size(), infosBefore = mp.graph().value_info_size();
            extraction::foldShapeArithmetic(mp, types, folded, names);
            if (mp.graph().node_size() < nodesBefore || mp.graph().value_info_size() < infosBefore) ++folds;
            const std::string fold = extraction::namesOutOfStep(mp.graph(), names);
            QVERIFY2(fold.empty(), (f + ": after a fold: " + fold).c_str());
            ++checked;
        }
        QVERIFY(checked >= 20);
        QVERIFY(folds >= 1); // some fold dropped nodes or value infos: keepNodes and the value infos' ids ran
    }

    // Naming a program from its index (the seed inferIndexTypes passes) gives every node input and output
    // the same name as hashing them does, adds the same empty value infos in the same order, and keeps
    // the ids in step with the graph; models with bodies or functions are named without the index.
    void seededNamesAreTheHashedNames() {
        int seeded = 0, unseeded = 0;
        for (const auto& f : modelFiles()) {
            std::unique_ptr<GraphIndex> g;
            try {
                g = std::make_unique<GraphIndex>(loadModel(f));
            } catch (const std::exception&) {
                continue;
            }
            extraction::ExternalScope scope;
            extraction::Flattener flat(*g, std::vector<char>(g->size(), 1), true, false);
            onnx::ModelProto hashed;
            try {
                hashed = extraction::inferenceModel(*g, flat);
            } catch (const std::exception&) {
                continue; // a node the file cannot give (tests/fixtures holds broken files too)
            }
            onnx::ModelProto fromIndex = hashed;
            const extraction::ProgramSeed seed{*g, flat};
            extraction::ProgramNames a = extraction::nameProgram(*hashed.mutable_graph(), true);
            extraction::ProgramNames b = extraction::nameProgram(*fromIndex.mutable_graph(), true, &seed);
            QCOMPARE(b.seeded(), g->nothingNested());
            ++(b.seeded() ? seeded : unseeded);
            QVERIFY2(extraction::namesOutOfStep(fromIndex.graph(), b).empty(), f.c_str());
            QCOMPARE(a.io.size(), b.io.size());
            for (std::size_t k = 0; k < a.io.size(); ++k) {
                QCOMPARE(a.io[k] < 0, b.io[k] < 0);
                if (a.io[k] >= 0) QVERIFY2(a.name(a.io[k]) == b.name(b.io[k]), f.c_str());
            }
            QCOMPARE(hashed.graph().value_info_size(), fromIndex.graph().value_info_size());
            for (int k = 0; k < hashed.graph().value_info_size(); ++k)
                QCOMPARE(QString::fromStdString(hashed.graph().value_info(k).name()),
                         QString::fromStdString(fromIndex.graph().value_info(k).name()));
        }
        QVERIFY(seeded >= 30);
        QVERIFY(unseeded >= 3); // models with If bodies and local functions
    }

    // The check itself finds a graph changed behind the names' back.
    void namesOutOfStepFindsDrift() {
        onnx::ModelProto m = twoIfs();
        extraction::ProgramNames names = extraction::nameProgram(*m.mutable_graph(), false);
        QCOMPARE(QString::fromStdString(extraction::namesOutOfStep(m.graph(), names)), QString());
        onnx::ModelProto swapped = m;
        swapped.mutable_graph()->mutable_node()->SwapElements(0, 1);
        QVERIFY(!extraction::namesOutOfStep(swapped.graph(), names).empty());
        onnx::ModelProto more = m;
        more.mutable_graph()->add_value_info()->set_name("y");
        QVERIFY(!extraction::namesOutOfStep(more.graph(), names).empty());
        onnx::ModelProto renamed = m;
        renamed.mutable_graph()->mutable_node(1)->set_input(0, "cond");
        QVERIFY(!extraction::namesOutOfStep(renamed.graph(), names).empty());
    }

    // Any folders of files named by $HS_LIBRARY_SHAPES_DIRS (fuzz corpora), each file read as a model.
    void sameAsLibraryOnExtraFiles() {
        const char* dirs = std::getenv("HS_LIBRARY_SHAPES_DIRS");
        if (!dirs || !*dirs) QSKIP("HS_LIBRARY_SHAPES_DIRS not set");
        std::stringstream list(dirs);
        int compared = 0;
        for (std::string d; std::getline(list, d, ':');)
            for (const auto& e : fs::recursive_directory_iterator(d)) {
                onnx::ModelProto m;
                if (!e.is_regular_file() || !readModel(e.path().string(), m)) continue;
                const std::string diff = compareOn(m);
                QVERIFY2(diff.empty(), (e.path().string() + ": " + diff).c_str());
                ++compared;
            }
        qInfo("%d files compared", compared);
    }
};

QTEST_APPLESS_MAIN(TestLibraryShapes)
#include "test_library_shapes.moc"
