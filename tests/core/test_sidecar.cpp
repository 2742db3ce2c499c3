// Sidecars: every supported form reads, ours round-trips exactly, saves are atomic, and a sidecar
// written for another model is refused with counts and examples.
#include "common/error.h"
#include "common/sha256.h"
#include "sidecar/discovery.h"
#include "test_support.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sys/stat.h>

using namespace hs;
using hstest::fixture;
using hstest::Loaded;

namespace {
bool sameAssignments(const Loaded& a, const Loaded& b, QString& why) {
    for (std::size_t i = 0; i < a.hierarchy.assignments.size(); ++i) {
        const auto& x = a.hierarchy.assignments[i];
        const auto& y = b.hierarchy.assignments[i];
        if (a.scopeOf(static_cast<int>(i)) != b.scopeOf(static_cast<int>(i)) || x.level != y.level ||
            x.source != y.source || x.conflict != y.conflict || x.score != y.score) {
            why = QString::fromStdString(a.graph->key(static_cast<int>(i)) + ": " +
                                         a.scopeOf(static_cast<int>(i)) + " " + levelName(x.level) + " vs " +
                                         b.scopeOf(static_cast<int>(i)) + " " + levelName(y.level));
            return false;
        }
    }
    return true;
}
std::string readText(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::map<std::string, const SidecarEntry*> byKey(const Sidecar& s) {
    std::map<std::string, const SidecarEntry*> m;
    for (const auto& e : s.entries)
        m[e.key] = &e;
    return m;
}

// Every node the seed file spoke about carries its claim in `saved`: the path exactly as the seed
// wrote it and the module it maps to.
void verifySeedClaims(const Sidecar& seed, const Sidecar& saved) {
    const auto entries = byKey(saved);
    for (const auto& claim : seed.entries) {
        auto it = entries.find(claim.key);
        QVERIFY2(it != entries.end(), claim.key.c_str());
        const SidecarEntry& e = *it->second;
        QVERIFY2(e.hasSidecarClaim && e.sidecarScopeKnown, claim.key.c_str());
        QCOMPARE(e.sidecarPath, claim.path);
        QCOMPARE(e.sidecarSource, claim.source);
    }
}

mode_t modeOf(const std::string& path) {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return st.st_mode & 07777;
}

std::string expectQuotedError(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}
} // namespace

class TestSidecar : public QObject {
    Q_OBJECT
private slots:
    // Issue 24: a node key repeated a million times beside a model once made a million claims and
    // modules. JSON readers keep the last value of a repeated key; so does the sidecar reader.
    void repeatedKeyMeansItsLastEntry() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("repeated.json").toStdString();
        std::ofstream(path) << R"({"node_hierarchy": {"/a/Relu": {"hierarchy_path": "/Net/A"},
                                   "/b/Relu": "/Net/B",
                                   "/a/Relu": {"hierarchy_path": "/Net/C"}}})";
        const Sidecar s = readSidecar(path);
        QCOMPARE(s.entries.size(), std::size_t{2});
        QCOMPARE(s.entries[0].key, std::string("/b/Relu"));
        QCOMPARE(s.entries[1].key, std::string("/a/Relu"));
        QCOMPARE(s.entries[1].path, std::string("/Net/C"));
    }

    void readsEveryForm() {
        Sidecar ours = readSidecar(fixture("bert_like_op17.hierarchy.json"));
        QCOMPARE(ours.format, std::string("1.1"));
        QCOMPARE(ours.entries.size(), std::size_t(214));
        QVERIFY(ours.entries[0].hasScope);
        Sidecar seed = readSidecar(fixture("bert_like_op17_seed_sidecar.json"));
        QCOMPARE(seed.format, std::string("1.0"));
        QCOMPARE(seed.entries.size(), std::size_t(214));
        QVERIFY(!seed.entries[0].path.empty());
        Sidecar htp = readSidecar(fixture("bert_like_op17_htp_sidecar.json"));
        QCOMPARE(htp.format, std::string("htp"));
        QVERIFY(htp.entries.size() > 150);
        QVERIFY(htp.modules.size() > 20);
        // Each form, applied, gives the classes of the BERT modules and agrees with the names.
        Loaded plain = hstest::load(fixture("bert_like_op17.onnx"));
        for (const Sidecar* s : {&ours, &seed, &htp}) {
            QVERIFY(checkSidecar(*plain.graph, *s).applicable);
            Loaded l = hstest::analyse(plain.model, s);
            int m = l.hierarchy.findModule("encoder.layer.0.attention.self");
            QVERIFY(m > 0);
            QCOMPARE(l.hierarchy.modules[static_cast<std::size_t>(m)].className,
                     std::string("BertSelfAttention"));
            QCOMPARE(l.hierarchy.statistics().conflicts, std::size_t(0));
            QCOMPARE(l.scopeOf(l.node("/encoder/layer.0/attention/output/Add")),
                     std::string("encoder.layer.0.attention.output"));
        }
    }

    void entriesInAnyOrderGiveTheSameHierarchy() {
        // Keys are looked up from the one after the last found, paths voted once per name prefix:
        // the order of a sidecar's entries changes nothing, in any of its forms.
        Loaded plain = hstest::load(fixture("bert_like_op17.onnx"));
        for (const char* name : {"bert_like_op17.hierarchy.json", "bert_like_op17_seed_sidecar.json",
                                 "bert_like_op17_htp_sidecar.json"}) {
            Sidecar inOrder = readSidecar(fixture(name));
            bindSidecarKeys(*plain.graph, inOrder);
            Sidecar reversed = inOrder;
            std::reverse(reversed.entries.begin(), reversed.entries.end());
            Sidecar halves = inOrder; // the second half first: every lookup after the turn misses its hint
            std::rotate(halves.entries.begin(), halves.entries.begin() + halves.entries.size() / 2,
                        halves.entries.end());
            const Loaded a = hstest::analyse(plain.model, &inOrder);
            for (const Sidecar* other : {&reversed, &halves}) {
                const Loaded b = hstest::analyse(plain.model, other);
                QCOMPARE(b.hierarchy.modules.size(), a.hierarchy.modules.size());
                for (std::size_t m = 0; m < a.hierarchy.modules.size(); ++m) {
                    QCOMPARE(b.hierarchy.modules[m].scope, a.hierarchy.modules[m].scope);
                    QCOMPARE(b.hierarchy.modules[m].className, a.hierarchy.modules[m].className);
                }
                for (int i = 0; i < static_cast<int>(plain.graph->size()); ++i) {
                    const auto& x = a.hierarchy.assignments[static_cast<std::size_t>(i)];
                    const auto& y = b.hierarchy.assignments[static_cast<std::size_t>(i)];
                    QCOMPARE(b.scopeOf(i), a.scopeOf(i));
                    QCOMPARE(y.source, x.source);
                    QCOMPARE(y.level, x.level);
                }
            }
        }
    }

    // Issue 23: readSidecarFor keeps the node of each entry, and inference takes them instead of looking
    // every key up again; only for the model they were found in, and never after the entries changed.
    void nodesFoundOnReadApplyToThatModelOnly() {
        Loaded a = hstest::load(fixture("bert_like_op17.onnx"));
        Loaded again = hstest::load(fixture("bert_like_op17.onnx")); // the same file, another Model
        for (const char* name : {"bert_like_op17.hierarchy.json", "bert_like_op17_seed_sidecar.json",
                                 "bert_like_op17_htp_sidecar.json"}) {
            const Sidecar read = readSidecarFor(*a.graph, fixture(name));
            const std::vector<int>* nodes = boundNodes(*a.graph, read);
            QVERIFY2(nodes, name);
            QCOMPARE(nodes->size(), read.entries.size());
            for (std::size_t k = 0; k < read.entries.size(); ++k)
                QCOMPARE((*nodes)[k], a.graph->find(read.entries[k].key));
            QVERIFY(!boundNodes(*again.graph, read));
            // The same hierarchy with the nodes, without them, and from another load of the file.
            Sidecar unbound = read;
            unbound.nodes = {};
            QVERIFY(!boundNodes(*a.graph, unbound));
            const Loaded withNodes = hstest::analyse(a.model, &read);
            QString why;
            const Loaded withoutNodes = hstest::analyse(a.model, &unbound);
            const Loaded otherModel = hstest::analyse(again.model, &read);
            for (const Loaded* other : {&withoutNodes, &otherModel}) {
                QVERIFY2(sameAssignments(withNodes, *other, why), qPrintable(why));
                QCOMPARE(other->hierarchy.modules.size(), withNodes.hierarchy.modules.size());
                for (std::size_t m = 0; m < other->hierarchy.modules.size(); ++m)
                    QCOMPARE(other->hierarchy.modules[m].className, withNodes.hierarchy.modules[m].className);
            }
            // Changing the entries' keys or order drops them.
            Sidecar part = read;
            keepMatchingEntries(*a.graph, part);
            QVERIFY(!boundNodes(*a.graph, part));
            Sidecar rebound = read;
            bindSidecarKeys(*a.graph, rebound);
            QVERIFY(!boundNodes(*a.graph, rebound));
        }
        // Another model's graph never takes them.
        Loaded gpt = hstest::load(fixture("gpt_like.onnx"));
        QVERIFY(!boundNodes(*gpt.graph, readSidecarFor(*a.graph, fixture("bert_like_op17.hierarchy.json"))));
    }

    void tagWriteReadBackIsIdentical() {
        QTemporaryDir dir;
        Sidecar seed = readSidecar(fixture("bert_like_op17_seed_sidecar.json"));
        Loaded first = hstest::load(fixture("bert_like_op17.onnx"), &seed);
        // A manual edit must survive too.
        int node = first.node("Constant_41");
        first.hierarchy.assignManually(node, first.hierarchy.findModule("encoder.layer.0.attention"));
        first.hierarchy.refreshModuleSummaries();
        std::string path = dir.filePath("bert.hierarchy.json").toStdString();
        writeSidecar(path, makeSidecar(*first.graph, first.hierarchy));
        Sidecar back = readSidecar(path);
        QVERIFY(checkSidecar(*first.graph, back).applicable);
        Loaded second = hstest::analyse(first.model, &back);
        QString why;
        QVERIFY2(sameAssignments(first, second, why), qPrintable(why));
        QCOMPARE(second.hierarchy.assignments[static_cast<std::size_t>(node)].source, Source::Manual);
        QCOMPARE(second.hierarchy.assignments[static_cast<std::size_t>(node)].level, Level::Certain);
        QCOMPARE(
            second.hierarchy.modules[static_cast<std::size_t>(second.hierarchy.findModule("encoder.layer.0"))]
                .className,
            std::string("BertLayer"));
    }

    // Issue 23: saveSidecar streams the entries instead of building them: its file is writeSidecar's of
    // makeSidecar, byte for byte, with a conflict, a manual tag, another tool's claims (a fallback among
    // them), the claims an earlier save recorded, suggestions, and a name that is not UTF-8.
    void saveSidecarWritesWhatMakeAndWriteWrite() {
        QTemporaryDir dir;
        const std::string a = dir.filePath("a.json").toStdString(), b = dir.filePath("b.json").toStdString();
        auto same = [&](const Loaded& l, const Sidecar* loaded) {
            writeSidecar(a, makeSidecar(*l.graph, l.hierarchy, loaded));
            std::size_t calls = 0, last = 0;
            saveSidecar(b, *l.graph, l.hierarchy, loaded, [&](std::size_t done, std::size_t total) {
                ++calls;
                last = done;
                QCOMPARE(total, l.graph->size());
            });
            QVERIFY(calls >= 1);
            QCOMPARE(last, l.graph->size());
            const std::string text = readText(a);
            QVERIFY(text.size() > 1000);
            QVERIFY(text == readText(b));
        };
        Sidecar seed = readSidecar(fixture("bert_like_op17_seed_sidecar.json"));
        const std::string residual = "/encoder/layer.0/attention/output/dense/Add";
        for (auto& e : seed.entries)
            if (e.key == residual) e.path.replace(e.path.find("BertLayer.0"), 11, "BertLayer.1");
        Loaded l = hstest::load(fixture("bert_like_op17.onnx"), &seed);
        QCOMPARE(l.hierarchy.statistics().conflicts, std::size_t(1));
        l.hierarchy.assignManually(l.node("Constant_41"),
                                   l.hierarchy.findModule("encoder.layer.0.attention"));
        l.hierarchy.refreshModuleSummaries();
        same(l, &seed);
        same(l, nullptr);
        writeSidecar(a, makeSidecar(*l.graph, l.hierarchy, &seed));
        const Sidecar saved = readSidecarFor(*l.graph, a);
        Loaded again = hstest::analyse(l.model, &saved);
        same(again, &saved);
        QVERIFY(readText(b).find("\"sidecar_used\": false") != std::string::npos);
        QVERIFY(readText(b).find("\"candidates\": [") != std::string::npos);

        Loaded vague = hstest::load(fixture("cnn_resnet.onnx"));
        QVERIFY(vague.hierarchy.suggestionCount() > 0);
        same(vague, nullptr);

        auto model = std::make_shared<Model>(*l.model);
        model->graphs[0].nodes[static_cast<std::size_t>(l.node("Constant_41"))].name = "Const\xFF\x80_41";
        same(hstest::analyse(model, &seed), &seed);
        QVERIFY(readText(b).find("\"Const\\\\xFF\\\\x80_41\"") != std::string::npos);
    }

    // Issue 18: a tree from parameter names has no classes. Saved and read back, again and again, it still
    // has none: a path segment that is the module's attribute name ("/distilbert/embeddings") is no class.
    void unknownClassesStayUnknown() {
        QTemporaryDir dir;
        Loaded first = hstest::load(hstest::sharedModel("distilbert_tiny_torch1.10_optimum_test.onnx"));
        std::size_t modules = first.hierarchy.modules.size();
        QVERIFY(modules > 10);
        Loaded current = hstest::analyse(first.model);
        for (int round = 0; round < 3; ++round) {
            const std::string path = dir.filePath("db.hierarchy.json").toStdString();
            writeSidecar(path, makeSidecar(*current.graph, current.hierarchy));
            Sidecar back = readSidecarFor(*current.graph, path);
            for (const auto& m : back.modules)
                QVERIFY2(m.className.empty(), m.scope.c_str());
            current = hstest::analyse(first.model, &back);
            QCOMPARE(current.hierarchy.modules.size(), modules);
            for (const Module& m : current.hierarchy.modules)
                QVERIFY2(m.className.empty(), qPrintable(QString("round %1: %2 has class %3")
                                                             .arg(round)
                                                             .arg(m.scope.c_str(), m.className.c_str())));
        }
    }

    // The structural digest is remembered per loaded model: the same value every time, another for
    // another model, and the same again for a fresh load of the same file (computed anew, not reused).
    void digestIsRememberedPerModel() {
        Loaded a = hstest::load(fixture("bert_like_op17.onnx"));
        Loaded b = hstest::load(fixture("bert_like_op14.onnx"));
        const std::string first = modelDigest(*a.graph);
        QVERIFY(first.rfind("sha256:", 0) == 0);
        QCOMPARE(modelDigest(*a.graph), first);
        QVERIFY(modelDigest(*b.graph) != first);
        std::string again;
        {
            Loaded c = hstest::load(fixture("bert_like_op17.onnx"));
            again = modelDigest(*c.graph);
        }
        QCOMPARE(again, first);
        Loaded d = hstest::load(fixture("gpt_like.onnx")); // after c was freed: not c's entry
        QVERIFY(modelDigest(*d.graph) != first);
    }

    // A renamed module: the file's names and parameter names still give `pooler`, the sidecar `head` with
    // `renamed_from: pooler` (for the module and its child). Written and read back, the reload has one
    // module `head` holding pooler's nodes and parameters, and no `pooler`. A rename onto a scope another
    // module keeps is left out with a note.
    void renamedModulesComeBackRenamed() {
        QTemporaryDir dir;
        Loaded first = hstest::load(fixture("bert_like_op17.onnx"));
        const Hierarchy& h0 = first.hierarchy;
        const int pooler = h0.findModule("pooler");
        QVERIFY(pooler > 0 && h0.findModule("pooler.dense") > 0);
        auto renamed = [](std::string scope, const std::string& to) {
            return scope == "pooler" || scope.rfind("pooler.", 0) == 0 ? to + scope.substr(6) : scope;
        };
        auto withRename = [&](const std::string& to) {
            Sidecar s = makeSidecar(*first.graph, h0);
            for (SidecarModule& m : s.modules)
                if (renamed(m.scope, to) != m.scope) m.renamedFrom = m.scope, m.scope = renamed(m.scope, to);
            for (SidecarEntry& e : s.entries)
                e.scope = renamed(e.scope, to);
            const std::string path = dir.filePath("bert.hierarchy.json").toStdString();
            writeSidecar(path, s);
            return readSidecarFor(*first.graph, path);
        };
        Sidecar back = withRename("head");
        QVERIFY(std::any_of(back.modules.begin(), back.modules.end(),
                            [](const SidecarModule& m) { return m.renamedFrom == "pooler.dense"; }));
        Loaded again = hstest::analyse(first.model, &back);
        const Hierarchy& h = again.hierarchy;
        QCOMPARE(h.findModule("pooler"), -1);
        QCOMPARE(h.findModule("pooler.dense"), -1);
        const int head = h.findModule("head");
        QVERIFY(head > 0);
        QCOMPARE(h.modules.size(), h0.modules.size());
        QCOMPARE(h.modules[head].totalNodes, h0.modules[pooler].totalNodes);
        QCOMPARE(h.modules[head].totalParameters, h0.modules[pooler].totalParameters);
        QCOMPARE(h.modules[head].className, h0.modules[pooler].className);
        QCOMPARE(h.modules[h.findModule("head.dense")].parent, head);
        QCOMPARE(h.modules[head].evidenceScope, std::string("pooler"));
        // Saved again, the record is kept.
        Sidecar resaved = makeSidecar(*again.graph, h, &back);
        QVERIFY(std::any_of(resaved.modules.begin(), resaved.modules.end(), [](const SidecarModule& m) {
            return m.scope == "head" && m.renamedFrom == "pooler";
        }));

        Sidecar clash = withRename("embeddings"); // `embeddings` is another module
        Loaded refused = hstest::analyse(first.model, &clash);
        QVERIFY(refused.hierarchy.findModule("embeddings") > 0);
        const auto& notes = refused.hierarchy.notes;
        QVERIFY(std::any_of(notes.begin(), notes.end(), [](const std::string& n) {
            return n.find("1 onto a scope another module has") != std::string::npos &&
                   n.find("(first: 'pooler' to 'embeddings')") != std::string::npos;
        }));
    }

    // Issue 18: each vague node's suggestion is written (`suggested_scope`, `suggested_reason`), read back,
    // and comes back on reload; a suggestion only the sidecar knows is restored too.
    void suggestionsRoundTrip() {
        QTemporaryDir dir;
        Loaded first = hstest::load(hstest::sharedModel("distilbert_tiny_torch1.10_optimum_test.onnx"));
        const std::string path = dir.filePath("db.hierarchy.json").toStdString();
        Sidecar written = makeSidecar(*first.graph, first.hierarchy);
        std::size_t suggested = 0;
        for (std::size_t i = 0; i < written.entries.size(); ++i) {
            const Assignment& a = first.hierarchy.assignments[i];
            const SidecarEntry& e = written.entries[i];
            if (a.suggestion.module < 0) {
                QVERIFY(e.suggestedScope.empty());
                continue;
            }
            ++suggested;
            QCOMPARE(e.suggestedScope,
                     first.hierarchy.modules[static_cast<std::size_t>(a.suggestion.module)].scope);
            QVERIFY(!e.suggestedReason.empty());
        }
        QVERIFY(suggested > 10);
        writeSidecar(path, written);
        const std::string text = readText(path);
        QVERIFY(text.find("\"suggested_scope\"") != std::string::npos);
        QVERIFY(text.find("\"suggested_reason\"") != std::string::npos);
        Sidecar back = readSidecarFor(*first.graph, path);
        for (std::size_t i = 0; i < back.entries.size(); ++i)
            QCOMPARE(back.entries[i].suggestedScope, written.entries[i].suggestedScope);
        Loaded second = hstest::analyse(first.model, &back);
        for (std::size_t i = 0; i < second.hierarchy.assignments.size(); ++i) {
            const Suggestion& s = second.hierarchy.assignments[i].suggestion;
            const std::string scope =
                s.module < 0 ? std::string()
                             : second.hierarchy.modules[static_cast<std::size_t>(s.module)].scope;
            QCOMPARE(scope, written.entries[i].suggestedScope);
        }
        // A suggestion only the file knows (the engine has none for a named node) comes back with its
        // reason.
        Loaded bert = hstest::load(fixture("bert_like_op17.onnx"));
        const int math = bert.node("/encoder/layer.0/attention/self/MatMul");
        QVERIFY(math >= 0);
        QCOMPARE(bert.hierarchy.assignments[static_cast<std::size_t>(math)].suggestion.module, -1);
        Sidecar note = makeSidecar(*bert.graph, bert.hierarchy);
        note.entries[static_cast<std::size_t>(math)].suggestedScope = "encoder.layer.0.attention.self.query";
        note.entries[static_cast<std::size_t>(math)].suggestedReason = "a colleague said so";
        const std::string notePath = dir.filePath("bert.hierarchy.json").toStdString();
        writeSidecar(notePath, note);
        Sidecar noteBack = readSidecarFor(*bert.graph, notePath);
        Loaded restored = hstest::analyse(bert.model, &noteBack);
        const Suggestion& s = restored.hierarchy.assignments[static_cast<std::size_t>(math)].suggestion;
        QCOMPARE(s.why, Suggestion::FromSidecar);
        QCOMPARE(restored.hierarchy.modules[static_cast<std::size_t>(s.module)].scope,
                 std::string("encoder.layer.0.attention.self.query"));
        QVERIFY(restored.hierarchy.suggestionReason(*restored.graph, math).find("a colleague said so") !=
                std::string::npos);
    }

    void sidecarForAnotherModelIsRefused() {
        Loaded gpt = hstest::load(fixture("gpt_like.onnx"));
        Sidecar bert = readSidecar(fixture("bert_like_op17.hierarchy.json"));
        SidecarCheck check = checkSidecar(*gpt.graph, bert);
        QVERIFY(!check.applicable);
        QVERIFY(check.unknownKeys > 100);
        QString msg = QString::fromStdString(check.message);
        QVERIFY2(msg.contains("bert_like_op17.hierarchy.json") && msg.contains("do not exist") &&
                     msg.contains("e.g. '"),
                 qPrintable(msg));
        // Same keys, other structure: the digest tells.
        QTemporaryDir dir;
        Loaded bert17 = hstest::load(fixture("bert_like_op17.onnx"));
        Sidecar ours = makeSidecar(*bert17.graph, bert17.hierarchy);
        ours.modelDigest = "sha256:0000";
        QVERIFY(checkSidecar(*bert17.graph, ours).digestMismatch);
        QVERIFY(!checkSidecar(*bert17.graph, ours).applicable);
        QVERIFY(checkSidecar(*bert17.graph, makeSidecar(*bert17.graph, bert17.hierarchy)).applicable);
    }

    // Issue 22: a sidecar written for a related model (here opset 17's, on the opset 14 export of the same
    // model) is refused whole, but its entries whose keys match apply, a manual tag among them.
    void relatedModelTakesTheMatchingEntries() {
        QTemporaryDir dir;
        Loaded op17 = hstest::load(fixture("bert_like_op17.onnx"));
        const std::string moved = "/encoder/layer.0/attention/output/Add";
        const int node = op17.node(moved);
        QVERIFY(node >= 0);
        op17.hierarchy.assignManually(node, op17.hierarchy.findModule("encoder.layer.1"));
        op17.hierarchy.refreshModuleSummaries();
        const std::string path = dir.filePath("op17.hierarchy.json").toStdString();
        writeSidecar(path, makeSidecar(*op17.graph, op17.hierarchy));

        Loaded op14 = hstest::load(fixture("bert_like_op14.onnx"));
        QVERIFY_THROWS_EXCEPTION(Error, readSidecarFor(*op14.graph, path));
        std::string summary;
        Sidecar part = readMatchingPartFor(*op14.graph, path, summary);
        const SidecarCheck before = checkSidecar(*op14.graph, readSidecar(path));
        QCOMPARE(part.entries.size(), before.matchedKeys);
        QCOMPARE(summary, "applied " + std::to_string(before.matchedKeys) + " of " +
                              std::to_string(before.matchedKeys + before.unknownKeys) + " entries of " +
                              path + " (" + std::to_string(before.unknownKeys) +
                              " name nodes this model does not have)");
        QVERIFY(checkSidecar(*op14.graph, part).applicable);
        const Hierarchy tagged = inferHierarchy(*op14.graph, &part);
        const Assignment& a = tagged.assignments[static_cast<std::size_t>(op14.node(moved))];
        QCOMPARE(tagged.modules[static_cast<std::size_t>(a.module)].scope, std::string("encoder.layer.1"));
        QCOMPARE(int(a.source), int(Source::Manual));
        // Nothing in common: refused with the reason.
        Sidecar foreign = makeSidecar(*op17.graph, op17.hierarchy);
        for (SidecarEntry& e : foreign.entries)
            e.key = "/other" + e.key;
        const std::string foreignPath = dir.filePath("foreign.json").toStdString();
        writeSidecar(foreignPath, foreign);
        try {
            readMatchingPartFor(*op14.graph, foreignPath, summary);
            QFAIL("no entry matches, yet it applied");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("names a node of") != std::string::npos, e.what());
        }
    }

    void failedSaveKeepsTheOldFile() {
        QTemporaryDir dir;
        Loaded l = hstest::load(fixture("twice.onnx"));
        Sidecar s = makeSidecar(*l.graph, l.hierarchy);
        // The target is a directory: the rename fails after the temporary file was written.
        std::string target = dir.filePath("taken").toStdString();
        QDir().mkdir(QString::fromStdString(target));
        QVERIFY_THROWS_EXCEPTION(Error, writeSidecar(target, s));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(),
                 0); // no temporary left behind
        std::string good = dir.filePath("good.json").toStdString();
        writeSidecar(good, s);
        std::ifstream before(good);
        std::string old((std::istreambuf_iterator<char>(before)), std::istreambuf_iterator<char>());
        QVERIFY_THROWS_EXCEPTION(Error, writeSidecar(dir.filePath("missing/dir/x.json").toStdString(), s));
        std::ifstream after(good);
        QCOMPARE(std::string((std::istreambuf_iterator<char>(after)), std::istreambuf_iterator<char>()), old);
    }

    // Issue 10 item 4: a seed 1.0 sidecar loaded, one node edited, saved, read again: every other node
    // keeps what the seed said of it (the fallback claim of Constant_41 included), save after save.
    void savingKeepsEveryClaimOfTheLoadedSidecar() {
        QTemporaryDir dir;
        const Sidecar seed = readSidecar(fixture("bert_like_op17_seed_sidecar.json"));
        Loaded first = hstest::load(fixture("bert_like_op17.onnx"), &seed);
        const int edited = first.node("/encoder/layer.0/attention/output/Add");
        first.hierarchy.assignManually(edited, first.hierarchy.findModule("encoder.layer.0"));
        first.hierarchy.refreshModuleSummaries();
        const std::string path = dir.filePath("bert.hierarchy.json").toStdString();
        writeSidecar(path, makeSidecar(*first.graph, first.hierarchy, &seed));

        const Sidecar saved = readSidecarFor(*first.graph, path);
        QVERIFY(writtenByHierscope(saved));
        verifySeedClaims(seed, saved);
        const SidecarEntry& constant = *byKey(saved).at("Constant_41");
        QCOMPARE(constant.sidecarPath, std::string("/BertModel"));
        QCOMPARE(constant.sidecarScope, std::string("")); // the root module
        QCOMPARE(constant.sidecarSource, std::string("exporter_fallback"));
        QVERIFY(!constant.hasSidecarScope); // a fallback: kept, but no evidence
        const SidecarEntry& agreeing = *byKey(saved).at("/encoder/layer.0/attention/self/query/MatMul");
        QCOMPARE(agreeing.sidecarScope, std::string("encoder.layer.0.attention.self.query"));
        QVERIFY(agreeing.hasSidecarScope);

        // Read again, the same hierarchy; saved again from there, still every claim.
        Loaded second = hstest::analyse(first.model, &saved);
        QString why;
        QVERIFY2(sameAssignments(first, second, why), qPrintable(why));
        QCOMPARE(second.hierarchy.assignments[static_cast<std::size_t>(edited)].source, Source::Manual);
        const std::string again = dir.filePath("again.hierarchy.json").toStdString();
        writeSidecar(again, makeSidecar(*second.graph, second.hierarchy, &saved));
        verifySeedClaims(seed, readSidecarFor(*second.graph, again));
        QVERIFY(readText(again).find("\"sidecar_path\": \"/BertModel\"") != std::string::npos);
    }

    void savedFilesKeepTheirMode() {
        QTemporaryDir dir;
        Loaded l = hstest::load(fixture("twice.onnx"));
        const Sidecar s = makeSidecar(*l.graph, l.hierarchy);
        const mode_t old = ::umask(022);
        const std::string fresh = dir.filePath("new.json").toStdString();
        writeSidecar(fresh, s);
        QCOMPARE(modeOf(fresh), mode_t(0644)); // mkstemp's 0600 is not what a saved file gets
        ::chmod(fresh.c_str(), 0640);
        writeSidecar(fresh, s);
        QCOMPARE(modeOf(fresh), mode_t(0640)); // a replaced file keeps its mode
        ::umask(old);
    }

    // Strings are scanned for what JSON must escape sixteen bytes at a time: a quote, a backslash, a
    // control character or a UTF-8 character at any position of names of any length reads back as written.
    void escapesAnywhereInANameReadBack() {
        QTemporaryDir dir;
        Sidecar s;
        s.format = "1.1";
        const std::string specials[] = {"\"", "\\", "\n", std::string(1, '\x01'), "\x1f", "\xc3\xa9", "\x7f"};
        for (std::size_t length = 0; length <= 40; ++length)
            for (std::size_t at = 0; at <= length; ++at)
                for (const std::string& special : specials) {
                    SidecarEntry e;
                    e.key = std::string(at, 'a') + special + std::string(length - at, 'b');
                    e.path = "/M/" + e.key;
                    e.source = "manual";
                    s.entries.push_back(e);
                }
        const std::string path = dir.filePath("escapes.hierarchy.json").toStdString();
        writeSidecar(path, s);
        const Sidecar back = readSidecar(path);
        QCOMPARE(back.entries.size(), s.entries.size());
        for (std::size_t k = 0; k < s.entries.size(); ++k) {
            QCOMPARE(QString::fromStdString(back.entries[k].key), QString::fromStdString(s.entries[k].key));
            QCOMPARE(QString::fromStdString(back.entries[k].path), QString::fromStdString(s.entries[k].path));
        }
    }

    // Issue 12: a node name that is not UTF-8 is written escaped, and the file applies again.
    void invalidUtf8NamesAreSavedEscapedAndReadBack() {
        QTemporaryDir dir;
        Loaded plain = hstest::load(fixture("bert_like_op17.onnx"));
        auto model = std::make_shared<Model>(*plain.model);
        const int bad = plain.node("Constant_41");
        model->graphs[0].nodes[static_cast<std::size_t>(bad)].name = std::string("Const\xFF\x80_41");
        Loaded l = hstest::analyse(model);
        l.hierarchy.assignManually(bad, l.hierarchy.findModule("encoder.layer.0.attention"));
        l.hierarchy.refreshModuleSummaries();
        const std::string path = dir.filePath("bad.hierarchy.json").toStdString();
        writeSidecar(path, makeSidecar(*l.graph, l.hierarchy));
        QVERIFY(readText(path).find("\"Const\\\\xFF\\\\x80_41\"") != std::string::npos);
        const Sidecar back = readSidecarFor(*l.graph, path);
        QVERIFY(byKey(back).count(l.graph->key(bad)) == 1); // the node's own key again
        Loaded again = hstest::analyse(model, &back);
        QCOMPARE(again.hierarchy.assignments[static_cast<std::size_t>(bad)].source, Source::Manual);
        QCOMPARE(again.scopeOf(bad), std::string("encoder.layer.0.attention"));
    }

    // Issue 12: numbers out of range, NULs in keys, keys of 5,000 characters: one clear line naming the
    // sidecar, with the input quoted escaped and bounded, never the JSON library's words alone.
    void hostileSidecarsGiveBoundedMessages() {
        QTemporaryDir dir;
        std::string text = readText(fixture("bert_like_op17.hierarchy.json"));
        text.replace(text.find("0.9"), 3, "1e400");
        const std::string huge = dir.filePath("huge.json").toStdString();
        std::ofstream(huge) << text;
        std::string msg = expectQuotedError([&] { readSidecar(huge); });
        QVERIFY2(QString::fromStdString(msg).startsWith(QString::fromStdString(huge)), msg.c_str());
        QVERIFY2(msg.find("number out of range") != std::string::npos, msg.c_str());
        QVERIFY2(msg.find("json.exception") == std::string::npos, msg.c_str());

        const std::string keys = dir.filePath("keys.json").toStdString();
        std::ofstream(keys) << "{\"node_hierarchy\": {\"abc\\u0000def\": \"/M\", \"" << std::string(5000, 'k')
                            << "\": \"/M\"}}";
        Loaded l = hstest::load(fixture("twice.onnx"));
        msg = expectQuotedError([&] { readSidecarFor(*l.graph, keys); });
        QVERIFY2(msg.find("'abc\\0def'") != std::string::npos, msg.c_str()); // not cut at the NUL
        QVERIFY2(msg.find("more bytes") != std::string::npos, msg.c_str());
        QVERIFY2(msg.size() < 600, msg.c_str());
        QCOMPARE(std::count(msg.begin(), msg.end(), '\n'), 0);

        const std::string entry = dir.filePath("entry.json").toStdString();
        std::ofstream(entry) << "{\"nodes\": {\"" << std::string(3000, 'x') << "\": 12}}";
        msg = expectQuotedError([&] { readSidecar(entry); });
        QVERIFY2(msg.find("neither a path nor an object") != std::string::npos && msg.size() < 400,
                 msg.c_str());
    }

    // The reader is a JSON reader: escapes, no whitespace, other numbers, unknown members of any shape.
    void readsAnyJsonSpelling() {
        QTemporaryDir dir;
        std::string text = readText(fixture("bert_like_op17.hierarchy.json"));
        std::string compact;
        for (char c : text) {
            if (c == '\n' || c == ' ') continue; // no key or value of the fixture has spaces
            compact += c == '/' ? std::string("\\/") : std::string(1, c);
        }
        compact.replace(compact.find("{\"format_version"), 1,
                        "{\"extra\":[1,-2.5e3,true,null,{\"a\":[[]]},\"\\u00e9\\ud83d\\ude00\"],");
        const std::string path = dir.filePath("compact.json").toStdString();
        std::ofstream(path) << compact;
        const Sidecar a = readSidecar(fixture("bert_like_op17.hierarchy.json")), b = readSidecar(path);
        QCOMPARE(b.entries.size(), a.entries.size());
        QCOMPARE(b.modules.size(), a.modules.size());
        for (std::size_t i = 0; i < a.entries.size(); ++i) {
            QCOMPARE(b.entries[i].key, a.entries[i].key);
            QCOMPARE(b.entries[i].path, a.entries[i].path);
            QCOMPARE(b.entries[i].confidence, a.entries[i].confidence);
        }
        for (const char* bad :
             {"[1,2]", "{\"nodes\":{}} x", "{\"a\":01}", "{\"a\":\"\\ud800\"}", "{\"a\":[1,]}", ""}) {
            std::ofstream(path) << bad;
            QVERIFY_THROWS_EXCEPTION(Error, readSidecar(path));
        }
    }

    // One rule, in core, for the sidecar beside a model (the CLI and the GUI use it).
    void discoveryFollowsOneRule() {
        QTemporaryDir dir;
        const std::string model = dir.filePath("m.onnx").toStdString();
        QCOMPARE(findSidecarBeside(model), std::string());
        QCOMPARE(defaultSidecarPath(model), dir.filePath("m.hierarchy.json").toStdString());
        std::ofstream(dir.filePath("m_seed_sidecar.json").toStdString()) << "{}";
        QCOMPARE(findSidecarBeside(model), dir.filePath("m_seed_sidecar.json").toStdString());
        std::ofstream(dir.filePath("m_hierarchy.json").toStdString()) << "{}";
        QCOMPARE(findSidecarBeside(model), dir.filePath("m_hierarchy.json").toStdString());
        std::ofstream(dir.filePath("m.hierarchy.json").toStdString()) << "{}";
        QCOMPARE(findSidecarBeside(model), dir.filePath("m.hierarchy.json").toStdString());
        std::ofstream(dir.filePath("mother_hierarchy.json").toStdString()) << "{}"; // another model's
        QCOMPARE(findSidecarBeside(dir.filePath("mo.onnx").toStdString()), std::string());
    }

    // The sidecar is read while the model loads (SidecarReading): what finish() gives, and what it throws,
    // is what chooseSidecar gave, whether the file was given or found beside the model.
    void sidecarReadWhileTheModelLoadsChoosesAsBefore() {
        QTemporaryDir dir;
        const std::string model = dir.filePath("m.onnx").toStdString();
        std::filesystem::copy_file(fixture("bert_like_op17.onnx"), model);
        Loaded m = hstest::load(model);
        { // none beside, none given
            SidecarReading reading(model, "");
            const ChosenSidecar chosen = reading.finish(*m.graph);
            QVERIFY(!chosen.sidecar && chosen.path.empty() && chosen.note.empty());
        }
        const std::string beside = dir.filePath("m.hierarchy.json").toStdString();
        m.hierarchy.assignManually(m.node("/encoder/layer.0/attention/output/Add"),
                                   m.hierarchy.findModule("encoder.layer.1"));
        saveSidecar(beside, *m.graph, m.hierarchy);
        { // found beside, and it fits: read, keys bound, checked
            SidecarReading reading(model, "");
            const ChosenSidecar chosen = reading.finish(*m.graph);
            QVERIFY(chosen.sidecar && chosen.foundBeside && chosen.path == beside && chosen.note.empty());
            QCOMPARE(chosen.sidecar->entries.size(), m.graph->size());
            QVERIFY(boundNodes(*m.graph, *chosen.sidecar));
            const Hierarchy h = inferHierarchy(*m.graph, &*chosen.sidecar);
            const Assignment& a =
                h.assignments[static_cast<std::size_t>(m.node("/encoder/layer.0/attention/output/Add"))];
            QCOMPARE(h.modules[static_cast<std::size_t>(a.module)].scope, std::string("encoder.layer.1"));
        }
        Loaded other = hstest::load(fixture("bert_like_op14.onnx"));
        { // found beside another model's file name: not applied, and the note says why
            const std::string op14 = dir.filePath("op14.onnx").toStdString();
            std::filesystem::copy_file(beside, dir.filePath("op14.hierarchy.json").toStdString());
            SidecarReading reading(op14, "");
            const ChosenSidecar chosen = reading.finish(*other.graph);
            QVERIFY(!chosen.sidecar && chosen.foundBeside);
            QVERIFY2(chosen.note.find("not applied") != std::string::npos &&
                         chosen.note.find("op14.hierarchy.json") != std::string::npos,
                     chosen.note.c_str());
        }
        { // given for a related model: its matching part
            SidecarReading reading(model, beside, true);
            const ChosenSidecar chosen = reading.finish(*other.graph);
            QVERIFY(chosen.sidecar && !chosen.foundBeside);
            QVERIFY2(chosen.partial.rfind("applied ", 0) == 0, chosen.partial.c_str());
        }
        { // given and missing: the error names it
            const std::string missing = dir.filePath("missing.json").toStdString();
            SidecarReading reading(model, missing);
            try {
                reading.finish(*m.graph);
                QFAIL("a missing sidecar was applied");
            } catch (const Error& e) {
                QVERIFY2(std::string(e.what()).find(missing) != std::string::npos, e.what());
            }
        }
        { // given and broken, but the model failed first: the reading goes without a word
            const std::string broken = dir.filePath("broken.json").toStdString();
            std::ofstream(broken) << "{ not json";
            bool modelFailed = false;
            try {
                SidecarReading reading(model, broken);
                hstest::load(dir.filePath("no such model.onnx").toStdString());
            } catch (const Error&) {
                modelFailed = true;
            }
            QVERIFY(modelFailed);
        }
        { // given a FIFO, never finished: nothing waits for a writer (opening a FIFO would)
            const std::string fifo = dir.filePath("fifo.json").toStdString();
            QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
            SidecarReading reading(model, fifo);
        }
    }

    // Sidecars written before keep applying: the structural digest of these models is what earlier
    // versions wrote (computed then by the portable SHA-256 alone).
    void digestsWrittenByEarlierVersionsStillMatch() {
        const std::pair<std::string, std::string> written[] = {
            {fixture("bert_like_op17.onnx"),
             "39e385d39e1e8be126a808b0ecc8b522bc14b229d584b40d6a98e8123be8d0da"},
            {hstest::sharedModel("distilbert_tiny_torch1.10_optimum_test.onnx"),
             "15586a803a82ca667a09e3f11daf9f5d50eaaf69387c824fe8b9f068a2f56069"},
            {hstest::sharedModel("gpt2_tiny_random_ort_fused_past.onnx"),
             "6f397d0024bf0b93af0bf61d3e48fa9766245926c653ea8d62a0403514dd438c"},
            {hstest::sharedModel("tf2onnx_deeplab_v3_mobilenetv2.onnx"),
             "a9efcd4cc1f82b9e3426bacb502fd0b84501ae50f928d3af2d236132704ef5b1"},
        };
        for (const auto& [path, digest] : written)
            QCOMPARE(modelDigest(*hstest::load(path).graph), "sha256:" + digest);
    }

    // SHA-256 on both engines (the processor's SHA extensions where it has them, and the portable code):
    // FIPS 180-4's examples, and every length around the 64-byte block fed in pieces of every size.
    void sha256FollowsTheStandardOnEveryEngine() {
        qInfo("SHA extensions: %s", Sha256::usesShaExtensions() ? "used" : "absent, portable code only");
        for (const auto engine : {Sha256::Engine::Fastest, Sha256::Engine::Portable}) {
            auto hash = [engine](std::string_view bytes) {
                Sha256 sha(engine);
                sha.update(bytes);
                return sha.hexDigest();
            };
            QCOMPARE(hash(""),
                     std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
            QCOMPARE(hash("abc"),
                     std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
            QCOMPARE(hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                     std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
            QCOMPARE(hash("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
                          "klmnopqrlmnopqrsmnopqrstnopqrstu"),
                     std::string("cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"));
            QCOMPARE(hash(std::string(1000000, 'a')),
                     std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
        }
        std::string bytes(300, '\0');
        for (std::size_t k = 0; k < bytes.size(); ++k)
            bytes[k] = static_cast<char>((k * 2654435761u) >> 13);
        for (std::size_t length = 0; length <= bytes.size(); ++length) {
            Sha256 whole(Sha256::Engine::Portable);
            whole.update(std::string_view(bytes.data(), length));
            const std::string expected = whole.hexDigest();
            for (const std::size_t piece :
                 {std::size_t(1), std::size_t(7), std::size_t(64), std::size_t(65)}) {
                Sha256 fast;
                for (std::size_t at = 0; at < length; at += piece)
                    fast.update(std::string_view(bytes.data() + at, std::min(piece, length - at)));
                QCOMPARE(fast.hexDigest(), expected);
            }
        }
    }

    void badSidecarsGiveClearErrors() {
        QTemporaryDir dir;
        std::string notJson = dir.filePath("x.json").toStdString();
        std::ofstream(notJson) << "{ not json";
        try {
            readSidecar(notJson);
            QFAIL("no error");
        } catch (const Error& e) {
            QVERIFY(QString(e.what()).contains("x.json") && QString(e.what()).contains("not a valid JSON"));
        }
        std::string other = dir.filePath("y.json").toStdString();
        std::ofstream(other) << "{\"hello\": 1}";
        QVERIFY_THROWS_EXCEPTION(Error, readSidecar(other));
    }
};

QTEST_APPLESS_MAIN(TestSidecar)
#include "test_sidecar.moc"
