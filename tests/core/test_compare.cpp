// Comparing two exports module by module (core/compare/compare.h, hierscope-cli diff) on fixtures made for it
// (tests/fixtures/generate_compare.py and optimize_ort.js): exact module deltas.
#include "cli_run.h"
#include "compare/compare.h"
#include "test_support.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QtTest>

#include <algorithm>
#include <set>

namespace {

struct Pair {
    hstest::Loaded a, b;
    hs::HierarchyComparison c;
};

hs::HierarchyComparison compareLoaded(const hstest::Loaded& a, const hstest::Loaded& b) {
    return hs::compareHierarchies({*a.graph, a.hierarchy}, {*b.graph, b.hierarchy});
}

Pair compare(const char* fileA, const char* fileB) {
    Pair p{hstest::load(hstest::fixture(fileA)), hstest::load(hstest::fixture(fileB)), {}};
    p.c = compareLoaded(p.a, p.b);
    return p;
}

std::set<std::string> changedScopes(const hs::HierarchyComparison& c) {
    std::set<std::string> scopes;
    for (const auto& d : c.modules)
        if (d.changed) scopes.insert(d.scope);
    return scopes;
}

const hs::ModuleDelta& delta(const hs::HierarchyComparison& c, const std::string& scope) {
    int k = c.find(scope);
    if (k < 0) throw std::runtime_error("no delta for '" + scope + "'");
    return c.modules[static_cast<std::size_t>(k)];
}

// "MatMul×1, Add×1": a side's op counts, for exact comparisons.
std::string ops(const std::vector<hs::OpCount>& list) {
    std::string text;
    for (const auto& op : list)
        text += (text.empty() ? "" : ", ") + op.opType + "×" + std::to_string(op.count);
    return text;
}

bool parametersUnchanged(const hs::HierarchyComparison& c) {
    return std::all_of(c.modules.begin(), c.modules.end(),
                       [](const hs::ModuleDelta& d) { return d.parametersA == d.parametersB; });
}

const char* const kLinears[] = {"attention.self.query",   "attention.self.key", "attention.self.value",
                                "attention.output.dense", "intermediate.dense", "output.dense"};

using Run = hstest::CliRun;
using hstest::cli;

QString fixture(const char* name) {
    return hstest::fixturePath(name);
}

} // namespace

class TestCompare : public QObject {
    Q_OBJECT
private slots:
    void sameModelHasNoChanges() {
        Pair p = compare("cmp_bert_op17.onnx", "cmp_bert_op17.onnx");
        QCOMPARE(p.c.changedModules, std::size_t(0));
        QCOMPARE(p.c.moved.size(), std::size_t(0));
        QCOMPARE(p.c.modules.size(), p.a.hierarchy.modules.size());
        for (const auto& d : p.c.modules) {
            QCOMPARE(int(d.match), int(hs::ModuleMatch::Scope));
            QVERIFY(!d.subtreeChanged && d.summary.empty());
            QCOMPARE(ops(d.opsA), ops(d.opsB));
        }
        QCOMPARE(p.c.modules[0].totalNodesA, std::size_t(214));
    }

    // Opset 14 writes LayerNorm as its 9 computing ops (and 2 Constants); opset 17 as one LayerNormalization.
    void opset14To17FoldsEveryLayerNorm() {
        Pair p = compare("cmp_bert_op14.onnx", "cmp_bert_op17.onnx");
        std::set<std::string> expected = {"embeddings.LayerNorm"};
        for (const char* layer : {"encoder.layer.0.", "encoder.layer.1."})
            for (const char* ln : {"attention.output.LayerNorm", "output.LayerNorm"})
                expected.insert(std::string(layer) + ln);
        QCOMPARE(changedScopes(p.c), expected);
        QCOMPARE(
            delta(p.c, "embeddings.LayerNorm").summary,
            std::string(
                "11 ops -> 1: ReduceMean\u00d72, Sub, Constant\u00d72, Pow, Add\u00d72, Sqrt, Div, Mul -> "
                "LayerNormalization"));
        const auto& inner = delta(p.c, "encoder.layer.1.output.LayerNorm");
        QCOMPARE(ops(inner.opsA),
                 std::string("Identity×2, ReduceMean×2, Sub×1, Constant×2, Pow×1, Add×2, Sqrt×1, Div×1, "
                             "Mul×1"));
        QCOMPARE(ops(inner.opsB), std::string("Identity×2, LayerNormalization×1"));
        QCOMPARE(inner.nodesA, std::size_t(13));
        QCOMPARE(inner.nodesB, std::size_t(3));
        QVERIFY(parametersUnchanged(p.c));
        QCOMPARE(p.c.addedModules + p.c.removedModules, std::size_t(0));
        QCOMPARE(p.c.moved.size(), std::size_t(0));
        QCOMPARE(p.c.modules[0].totalNodesA, std::size_t(264));
        QCOMPARE(p.c.modules[0].totalNodesB, std::size_t(214));
        QVERIFY(delta(p.c, "encoder.layer.0").subtreeChanged);
        QVERIFY(!delta(p.c, "encoder.layer.0").changed);
        QVERIFY(!delta(p.c, "pooler").subtreeChanged);
    }

    // Without constant folding every Linear transposes its weight at run time, and the shape arithmetic
    // of attention keeps its Unsqueezes.
    void withoutConstantFoldingLinearsTransposeTheirWeights() {
        Pair p = compare("cmp_bert_op17.onnx", "cmp_bert_op17_nofold.onnx");
        std::set<std::string> expected = {"", "embeddings", "encoder.layer.0.attention.self",
                                          "encoder.layer.1.attention.self"};
        for (const char* layer : {"encoder.layer.0.", "encoder.layer.1."})
            for (const char* linear : kLinears) {
                std::string scope = std::string(layer) + linear;
                expected.insert(scope);
                QCOMPARE(ops(delta(p.c, scope).opsA), std::string("MatMul×1, Add×1"));
                QCOMPARE(ops(delta(p.c, scope).opsB), std::string("Transpose×1, MatMul×1, Add×1"));
                QCOMPARE(delta(p.c, scope).summary,
                         std::string("2 ops -> 3: MatMul, Add -> Transpose, MatMul, Add"));
            }
        QCOMPARE(changedScopes(p.c), expected);
        QCOMPARE(delta(p.c, "encoder.layer.0.attention.self").summary,
                 std::string("65 ops -> 74: +Constant\u00d72, +Unsqueeze\u00d77"));
        QCOMPARE(delta(p.c, "encoder.layer.1.attention.self").summary,
                 std::string("65 ops -> 72: +Unsqueeze\u00d77"));
        QCOMPARE(delta(p.c, "").summary,
                 std::string("10 ops -> 12: Constant\u00d75, Unsqueeze\u00d72, Cast, Sub, Mul -> "
                             "Constant\u00d77, Unsqueeze\u00d72, Cast, Sub, Mul"));
        QVERIFY(parametersUnchanged(p.c));
        QCOMPARE(p.c.moved.size(), std::size_t(0));
    }

    // encoder.layer.1: its output's Dropout removed, intermediate.dense widened 32 -> 48 (and output.dense
    // reading 48): nothing else differs.
    void handEditedBlock() {
        Pair p = compare("cmp_bert_train.onnx", "cmp_bert_train_edited.onnx");
        QCOMPARE(changedScopes(p.c),
                 (std::set<std::string>{"encoder.layer.1.intermediate.dense", "encoder.layer.1.output.dense",
                                        "encoder.layer.1.output.dropout"}));
        const auto& widened = delta(p.c, "encoder.layer.1.intermediate.dense");
        QCOMPARE(widened.parametersA, std::uint64_t(16 * 32 + 32));
        QCOMPARE(widened.parametersB, std::uint64_t(16 * 48 + 48));
        QCOMPARE(widened.summary, std::string("parameters 544 -> 816"));
        QCOMPARE(delta(p.c, "encoder.layer.1.output.dense").summary, std::string("parameters 528 -> 784"));
        const auto& dropout = delta(p.c, "encoder.layer.1.output.dropout");
        QCOMPARE(int(dropout.match), int(hs::ModuleMatch::Removed));
        QCOMPARE(dropout.moduleB, -1);
        QCOMPARE(dropout.summary, std::string("removed: 3 ops: Constant\u00d72, Dropout"));
        QCOMPARE(p.c.removedModules, std::size_t(1));
        QCOMPARE(p.c.addedModules, std::size_t(0));
        QVERIFY(delta(p.c, "encoder.layer.1").subtreeChanged && delta(p.c, "").subtreeChanged);
        QVERIFY(!delta(p.c, "encoder.layer.0").subtreeChanged);
        QVERIFY(!delta(p.c, "encoder.layer.0.output.dropout").changed); // the other block keeps its Dropout
        QCOMPARE(p.c.moved.size(), std::size_t(0));
    }

    // ONNX Runtime's own optimization (graphOptimizationLevel 'all'): its fused ops show up as changes
    // of the modules of the same encoder.layer.N they came from.
    void onnxRuntimeFusionsStayInTheirLayer() {
        Pair p = compare("cmp_bert_op17.onnx", "cmp_bert_op17_ort.onnx");
        std::set<std::string> expected = {"", "embeddings", "pooler", "pooler.dense", "pooler.activation"};
        for (const char* layer : {"encoder.layer.0.", "encoder.layer.1."})
            for (const char* scope :
                 {"attention.self", "attention.output.LayerNorm", "intermediate", "intermediate.dense",
                  "intermediate.intermediate_act_fn", "output.LayerNorm"})
                expected.insert(std::string(layer) + scope);
        QCOMPARE(changedScopes(p.c), expected);
        for (const char* layer : {"encoder.layer.0.", "encoder.layer.1."}) {
            std::string l(layer);
            QCOMPARE(delta(p.c, l + "intermediate").summary,
                     std::string("0 ops -> 1: nothing -> com.microsoft.BiasGelu"));
            QCOMPARE(delta(p.c, l + "intermediate.dense").summary,
                     std::string("2 ops -> 1: MatMul, Add -> MatMul"));
            QCOMPARE(delta(p.c, l + "intermediate.intermediate_act_fn").summary,
                     std::string("removed: 8 ops: Constant\u00d73, Div, Erf, Add, Mul\u00d72"));
            const auto& self = delta(p.c, l + "attention.self");
            QCOMPARE(self.nodesA, std::size_t(65));
            QCOMPARE(self.nodesB, std::size_t(12));
            // The scaled Q·K^T is one FusedMatMul; the Shape/Gather/Concat arithmetic of the reshapes is
            // folded.
            QCOMPARE(ops(self.opsB),
                     std::string("Reshape×4, Transpose×4, com.microsoft.FusedMatMul×1, Add×1, "
                                 "Softmax×1, MatMul×1"));
            QCOMPARE(delta(p.c, l + "output.LayerNorm").summary,
                     std::string("3 ops -> 1: Identity\u00d72, LayerNormalization -> LayerNormalization"));
        }
        QCOMPARE(delta(p.c, "pooler").summary,
                 std::string("1 op -> 2: Gather -> Gather, com.microsoft.FusedGemm; parameters 0 -> 273"));
        QCOMPARE(delta(p.c, "pooler.dense").summary, std::string("removed: 1 op: Gemm"));
        QCOMPARE(p.c.removedModules, std::size_t(4));
        QCOMPARE(p.c.modules[0].totalNodesB, std::size_t(73));
        QVERIFY(!delta(p.c, "encoder.layer.0.attention.self.query").changed);
    }

    // Exported as local functions, parameterless modules are named by class (intermediate.GELU, not
    // intermediate.intermediate_act_fn): the only unmatched children of matched parents pair by place.
    void namesByClassMatchByPosition() {
        Pair p = compare("bert_like_op17.onnx", "bert_like_functions.onnx");
        QCOMPARE(p.c.matchedByPosition, std::size_t(3));
        QCOMPARE(p.c.matchedByParameters, std::size_t(0));
        for (const char* layer : {"encoder.layer.0", "encoder.layer.1"}) {
            const auto& act = delta(p.c, std::string(layer) + ".intermediate.intermediate_act_fn");
            QCOMPARE(int(act.match), int(hs::ModuleMatch::Position));
            QCOMPARE(act.scopeB, std::string(layer) + ".intermediate.GELU");
            QCOMPARE(act.summary,
                     std::string("8 ops -> 9: Constant\u00d73, Div, Erf, Add, Mul\u00d72 -> "
                                 "torch.nn.modules.activation.GELU, Constant\u00d73, Div, Erf, Add, "
                                 "Mul\u00d72"));
        }
        QCOMPARE(delta(p.c, "pooler.activation").scopeB, std::string("pooler.Tanh"));
        // Embeddings are not functions there: their Gathers sit in the BertEmbeddings call, the modules go.
        QCOMPARE(p.c.removedModules, std::size_t(3));
        QCOMPARE(int(delta(p.c, "embeddings.word_embeddings").match), int(hs::ModuleMatch::Removed));
    }

    // Two modules under other names in B (q_proj, k_proj for query, key) are matched by the parameter
    // names their nodes use, before position is asked.
    void renamedModulesMatchByParameters() {
        hstest::Loaded a = hstest::load(hstest::fixture("cmp_bert_op17.onnx"));
        hstest::Loaded b = hstest::load(hstest::fixture("cmp_bert_op17.onnx"));
        for (auto [from, to] : {std::pair{"query", "q_proj"}, {"key", "k_proj"}}) {
            int m = b.hierarchy.findModule(std::string("encoder.layer.0.attention.self.") + from);
            QVERIFY(m > 0);
            b.hierarchy.modules[static_cast<std::size_t>(m)].scope =
                std::string("encoder.layer.0.attention.self.") + to;
        }
        hs::HierarchyComparison c = compareLoaded(a, b);
        QCOMPARE(c.matchedByParameters, std::size_t(2));
        QCOMPARE(c.matchedByPosition, std::size_t(0));
        const auto& q = delta(c, "encoder.layer.0.attention.self.query");
        QCOMPARE(int(q.match), int(hs::ModuleMatch::Parameters));
        QCOMPARE(q.scopeB, std::string("encoder.layer.0.attention.self.q_proj"));
        QCOMPARE(delta(c, "encoder.layer.0.attention.self.key").scopeB,
                 std::string("encoder.layer.0.attention.self.k_proj"));
        QCOMPARE(c.changedModules, std::size_t(0));
    }

    // Issue 22: a re-implementation naming every module and parameter otherwise (`enc.blocks.0.attn.core.q`
    // for `encoder.layer.0.attention.self.query`, tests/fixtures/generate_compare.py) whose embedding
    // lookups run in another order. Modules pair by signature: position alone would pair
    // word_embeddings with emb.pos. query, key and value (three alike Linear(16,16), not a numbered list)
    // are ambiguous by signature and left to position.
    void renamedModelMatchesBySignature() {
        for (bool renamedFirst : {false, true}) {
            Pair p = renamedFirst ? compare("cmp_bert_renamed.onnx", "cmp_bert_op17.onnx")
                                  : compare("cmp_bert_op17.onnx", "cmp_bert_renamed.onnx");
            QCOMPARE(p.c.modules.size(), std::size_t(40));
            QCOMPARE(p.c.matchedBySignature, std::size_t(33));
            QCOMPARE(p.c.matchedByPosition, std::size_t(6));
            QCOMPARE(p.c.matchedByParameters + p.c.matchedByPrefix, std::size_t(0));
            QCOMPARE(p.c.addedModules + p.c.removedModules + p.c.changedModules, std::size_t(0));
            QCOMPARE(p.c.moved.size(), std::size_t(0));
            std::size_t bySignature = 0;
            for (const auto& d : p.c.modules)
                bySignature += d.match == hs::ModuleMatch::Signature;
            QCOMPARE(bySignature, std::size_t(33));
            auto there = [&](const std::string& op17, const std::string& renamed) {
                const auto& d = delta(p.c, renamedFirst ? renamed : op17);
                return d.scopeB == (renamedFirst ? op17 : renamed) ? int(d.match) : -1;
            };
            const int signature = int(hs::ModuleMatch::Signature), position = int(hs::ModuleMatch::Position);
            QCOMPARE(there("embeddings.word_embeddings", "emb.tok"), signature);
            QCOMPARE(there("embeddings.position_embeddings", "emb.pos"), signature);
            QCOMPARE(there("encoder.layer.1", "enc.blocks.1"), signature); // numbered lists, by number
            QCOMPARE(there("encoder.layer.1.output.LayerNorm", "enc.blocks.1.out.norm"), signature);
            QCOMPARE(there("pooler.activation", "pool.act"), signature);
            QCOMPARE(there("encoder.layer.0.attention.self.query", "enc.blocks.0.attn.core.q"), position);
        }
        // Without a place to fall back on (an extra child on one side), the alike three stay unpaired.
        hstest::Loaded a = hstest::load(hstest::fixture("cmp_bert_renamed.onnx"));
        hstest::Loaded b = hstest::load(hstest::fixture("cmp_bert_op17.onnx"));
        const int self = b.hierarchy.findModule("encoder.layer.0.attention.self");
        hs::Module extra;
        extra.scope = "encoder.layer.0.attention.self.extra", extra.name = "extra", extra.parent = self;
        extra.depth = b.hierarchy.modules[static_cast<std::size_t>(self)].depth + 1;
        b.hierarchy.modules.push_back(extra);
        b.hierarchy.modules[static_cast<std::size_t>(self)].children.push_back(
            static_cast<int>(b.hierarchy.modules.size() - 1));
        hs::HierarchyComparison c = compareLoaded(a, b);
        QCOMPARE(c.matchedBySignature, std::size_t(33));
        QCOMPARE(c.matchedByPosition, std::size_t(3)); // layer 1's query, key, value
        QCOMPARE(int(delta(c, "enc.blocks.0.attn.core.q").match), int(hs::ModuleMatch::Removed));
        QCOMPARE(c.removedModules, std::size_t(3));
        QCOMPARE(c.addedModules, std::size_t(4)); // query, key, value and the extra
    }

    // Against another opset (LayerNorm decomposed at 14): modules whose ops differ pair by their
    // initializer shapes alone; the changes are the ones cmp_bert_op17 against cmp_bert_op14 shows.
    void renamedModelAgainstAnotherOpset() {
        Pair p = compare("cmp_bert_renamed.onnx", "cmp_bert_op14.onnx");
        Pair same = compare("cmp_bert_op17.onnx", "cmp_bert_op14.onnx");
        QCOMPARE(p.c.addedModules + p.c.removedModules, std::size_t(0));
        QCOMPARE(p.c.matchedBySignature, std::size_t(28));
        // query, key, value; the five LayerNorms: torch's folding merged their alike (untrained) weights
        // into one initializer, whose users' common module is the root, so they have no initializer.
        QCOMPARE(p.c.matchedByPosition, std::size_t(11));
        QCOMPARE(p.c.changedModules, std::size_t(5));
        QCOMPARE(p.c.changedModules, same.c.changedModules);
        for (std::size_t k = 1; k < p.c.modules.size(); ++k) {
            const hs::ModuleDelta& d = p.c.modules[k];
            const hs::ModuleDelta& e = delta(same.c, d.scopeB);
            QCOMPARE(d.changed, e.changed);
            QCOMPARE(d.summary, e.summary);
        }
        const auto& out = delta(p.c, "enc.blocks.0.attn.out");
        QCOMPARE(int(out.match), int(hs::ModuleMatch::Signature)); // 6 ops here, 16 there
        QCOMPARE(out.scopeB, std::string("encoder.layer.0.attention.output"));
        QCOMPARE(
            delta(p.c, "emb.norm").summary,
            std::string("1 op -> 11: LayerNormalization -> ReduceMean\u00d72, Sub, Constant\u00d72, Pow, "
                        "Add\u00d72, Sqrt, Div, Mul"));
    }

    // Another architecture: no module pairs by signature or place, whichever side is A. Below unalike
    // parents, weaker likeness does not count: twice.onnx's `block` (a Linear(16,16), 4 ops) is no
    // pooler (the same shapes, 3 ops), opset21_int4's `out` no `flat` of opset19_layers (one scalar each).
    void otherModelDoesNotMatch() {
        for (auto [x, y] : {std::pair{"cmp_bert_op17.onnx", "twice.onnx"},
                            {"cmp_bert_renamed.onnx", "twice.onnx"},
                            {"opset19_layers.onnx", "opset21_int4.onnx"}}) {
            QCOMPARE(compare(x, y).c.matchedBySignature, std::size_t(0));
            QCOMPARE(compare(y, x).c.matchedBySignature, std::size_t(0));
        }
        for (const char* file : {"cmp_bert_renamed.onnx", "cmp_bert_op17.onnx"}) {
            Pair p = compare(file, "gpt_like.onnx");
            QCOMPARE(p.c.matchedBySignature + p.c.matchedByPosition + p.c.matchedByParameters,
                     std::size_t(0));
            QCOMPARE(p.c.removedModules, p.a.hierarchy.modules.size() - 1);
            QCOMPARE(p.c.addedModules, p.b.hierarchy.modules.size() - 1);
            Pair q = compare("gpt_like.onnx", file);
            QCOMPARE(q.c.matchedBySignature + q.c.matchedByPosition, std::size_t(0));
        }
    }

    // A node re-tagged in B (as a person does in the explorer) is a named node whose module changed.
    void retaggedNodeIsMoved() {
        hstest::Loaded a = hstest::load(hstest::fixture("cmp_bert_op17.onnx"));
        hstest::Loaded b = hstest::load(hstest::fixture("cmp_bert_op17.onnx"));
        int node = b.node("/encoder/layer.0/attention/output/Add");
        QVERIFY(node >= 0);
        b.hierarchy.assignManually(node, b.hierarchy.findModule("encoder.layer.1"));
        b.hierarchy.refreshModuleSummaries();
        hs::HierarchyComparison c = compareLoaded(a, b);
        QCOMPARE(c.moved.size(), std::size_t(1));
        QCOMPARE(c.moved[0].key, std::string("/encoder/layer.0/attention/output/Add"));
        QCOMPARE(c.moved[0].opType, std::string("Add"));
        QCOMPARE(c.modules[static_cast<std::size_t>(c.moved[0].deltaA)].scope,
                 std::string("encoder.layer.0.attention.output"));
        QCOMPARE(c.modules[static_cast<std::size_t>(c.moved[0].deltaB)].scope,
                 std::string("encoder.layer.1"));
        QCOMPARE(delta(c, "encoder.layer.0.attention.output").movedOut, std::size_t(1));
        QCOMPARE(delta(c, "encoder.layer.1").movedIn, std::size_t(1));
        QCOMPARE(changedScopes(c),
                 (std::set<std::string>{"encoder.layer.0.attention.output", "encoder.layer.1"}));
        QCOMPARE(delta(c, "encoder.layer.1").summary, std::string("0 ops -> 1: nothing -> Add"));
    }
    // Issue 22: one export wraps the model in another module (`model.encoder...` against `encoder...`,
    // silero_vad_16k_op15 against silero_vad_half): below the wrapper, scopes match without the prefix.
    void wrapperPrefixMatches() {
        for (bool wrappedFirst : {true, false}) {
            Pair p = wrappedFirst ? compare("cmp_bert_wrapped.onnx", "cmp_bert_op17.onnx")
                                  : compare("cmp_bert_op17.onnx", "cmp_bert_wrapped.onnx");
            const std::string in = wrappedFirst ? "model." : ""; // A's scopes
            QCOMPARE(p.c.changedModules, std::size_t(0));
            QCOMPARE(p.c.addedModules + p.c.removedModules, std::size_t(0));
            QCOMPARE(p.c.moved.size(), std::size_t(0));
            QCOMPARE(p.c.matchedByPrefix, std::size_t(39));
            QCOMPARE(wrappedFirst ? p.c.wrapperA : p.c.wrapperB, std::string("model"));
            QCOMPARE(p.c.modules.size(), std::size_t(41)); // the root, the wrapper, 39 modules
            const hs::ModuleDelta& wrapper =
                p.c.modules[static_cast<std::size_t>(p.c.modules[0].children[0])];
            QCOMPARE(int(wrapper.match), int(hs::ModuleMatch::Wrapper));
            QCOMPARE(wrapper.scope, std::string("model"));
            QCOMPARE(wrappedFirst ? wrapper.moduleB : wrapper.moduleA, -1);
            QCOMPARE(ops(wrapper.opsA), ops(wrapper.opsB)); // the wrapped root's own ops against the root's
            QCOMPARE(wrapper.nodesA, std::size_t(10));
            QCOMPARE(wrapper.totalNodesB, std::size_t(214));
            QCOMPARE(p.c.modules[0].children.size(), std::size_t(1));
            const auto& query = delta(p.c, in + "encoder.layer.1.attention.self.query");
            QCOMPARE(int(query.match), int(hs::ModuleMatch::Prefix));
            QCOMPARE(query.scopeB, wrappedFirst ? std::string("encoder.layer.1.attention.self.query")
                                                : std::string("model.encoder.layer.1.attention.self.query"));
            QCOMPARE(query.totalParametersA, std::uint64_t(272));
            QCOMPARE(query.totalParametersB, std::uint64_t(272));
            QCOMPARE(p.c.modules[0].totalNodesA, std::size_t(214));
            QCOMPARE(p.c.modules[0].totalNodesB, std::size_t(214));
        }
        // Both wrapped, under other names and classes (`model.` against `net.`): no scope, no parameter name
        // in common; the wrappers pair by place below the roots, and everything below them follows.
        {
            Pair q = compare("cmp_bert_wrapped.onnx", "cmp_bert_wrapped_net.onnx");
            QCOMPARE(q.c.changedModules + q.c.addedModules + q.c.removedModules, std::size_t(0));
            QCOMPARE(q.c.matchedBySignature, std::size_t(34)); // the wrappers alike, and below them
            QCOMPARE(q.c.matchedByPosition, std::size_t(6));   // query, key, value: alike, not numbered
            QCOMPARE(delta(q.c, "model.encoder.layer.1.output.dense").scopeB,
                     std::string("net.encoder.layer.1.output.dense"));
        }
        // Real changes are still found across the prefix: opset 14's LayerNorms against opset 17's.
        Pair p = compare("cmp_bert_op14.onnx", "cmp_bert_wrapped.onnx");
        std::set<std::string> expected = {"embeddings.LayerNorm"};
        for (const char* layer : {"encoder.layer.0.", "encoder.layer.1."})
            for (const char* ln : {"attention.output.LayerNorm", "output.LayerNorm"})
                expected.insert(std::string(layer) + ln);
        QCOMPARE(changedScopes(p.c), expected);
        QCOMPARE(delta(p.c, "embeddings.LayerNorm").scopeB, std::string("model.embeddings.LayerNorm"));

        Run r =
            cli({"diff", fixture("cmp_bert_wrapped.onnx"), fixture("cmp_bert_op17.onnx"), "--depth", "2"});
        QCOMPARE(r.code, 0);
        QVERIFY2(
            r.out.contains("# 0 modules changed (0 only in B, 0 only in A), 0 named nodes changed module\n"
                           "# A wraps the model in 'model': 39 modules matched by their scope below it\n"
                           "  (root)  [nodes 214 -> 214, parameters 5728 -> 5728]\n"
                           "    model (A wraps the model in it; B's root)  [nodes 214 -> 214, parameters "
                           "5728 -> 5728]\n"
                           "      embeddings (B: embeddings, matched by prefix)  [nodes 15 -> 15"),
            qPrintable(r.out));
        Run j = cli({"diff", fixture("cmp_bert_op17.onnx"), fixture("cmp_bert_wrapped.onnx"), "--json"});
        const QJsonObject o = QJsonDocument::fromJson(j.out.toUtf8()).object();
        QCOMPARE(o["wrapper_b"].toString(), QString("model"));
        QCOMPARE(o["matched_by_prefix"].toInt(), 39);
        QCOMPARE(o["modules"].toArray()[1].toObject()["scope"].toString(), QString(""));
        QCOMPARE(o["modules"].toArray()[1].toObject()["scope_b"].toString(), QString("model"));
        QCOMPARE(o["modules"].toArray()[1].toObject()["match"].toString(), QString("wrapper"));
    }

    // hierscope-cli diff: the readable tree, the JSON, --depth, and bad input.
    void cliTreeOfChangedModules() {
        Run r = cli({"diff", fixture("cmp_bert_train.onnx"), fixture("cmp_bert_train_edited.onnx"),
                     "--changed-only"});
        QCOMPARE(r.code, 0);
        QStringList lines = r.out.split('\n', Qt::SkipEmptyParts);
        QVERIFY(lines[2].startsWith(
            "# 3 modules changed (0 only in B, 1 only in A), 0 named nodes changed module"));
        // Markers in a gutter: the depth reads from the indentation alone (issue 22).
        QVERIFY(lines.contains("-         dropout  [nodes 3 -> 0, parameters 0 -> 0]"));
        QVERIFY(lines.contains("              removed: 3 ops: Constant\u00d72, Dropout"));
        QVERIFY(lines.contains("~         dense  [nodes 3 -> 3, parameters 544 -> 816]"));
        QVERIFY(lines.contains("        output  [nodes 8 -> 5, parameters 560 -> 816]"));
        QVERIFY(lines.contains("              parameters 528 -> 784"));
        QVERIFY(!r.out.contains("layer.0") && !r.out.contains("embeddings")); // unchanged, left out
        QCOMPARE(lines.size(), 14); // 3 header lines, 8 modules, 3 summaries

        Run shallow = cli({"diff", fixture("cmp_bert_train.onnx"), fixture("cmp_bert_train_edited.onnx"),
                           "--changed-only", "--depth", "1"});
        QCOMPARE(shallow.code, 0);
        // The cut says how many changed modules it leaves out, never promises changes it does not print.
        QVERIFY2(
            shallow.out.endsWith("\n    encoder  [nodes 224 -> 221, parameters 4448 -> 4976]\n"
                                 "        and 3 changed modules below, not shown (deeper than --depth 1)\n"),
            qPrintable(shallow.out));
        QVERIFY(!shallow.out.contains("layer.1") && !shallow.out.contains("changes below"));

        Run full = cli({"diff", fixture("cmp_bert_train.onnx"), fixture("cmp_bert_train_edited.onnx")});
        QVERIFY(
            full.out.contains("\n      layer.0  [nodes 113 -> 113,")); // without --changed-only: every module
        // Every module line: a marker or a blank in column 0, a blank, then two spaces per depth.
        int depthBefore = -1;
        for (const QString& line : full.out.split('\n', Qt::SkipEmptyParts)) {
            if (line.startsWith('#') || !line.contains("  [nodes ")) continue;
            QVERIFY2(QString(" ~+-").contains(line[0]) && line[1] == ' ', qPrintable(line));
            const int spaces = int(line.indexOf(QRegularExpression("[^ ]"), 2)) - 2;
            QVERIFY2(spaces % 2 == 0 && spaces / 2 <= depthBefore + 1, qPrintable(line));
            depthBefore = spaces / 2;
        }
        QVERIFY(full.out.contains("\n~         dense  [nodes 3 -> 3, parameters 544 -> 816]\n"));
    }

    // The renamed re-implementation through the CLI: the header counts kinds, every line names B's scope.
    void cliRenamedModel() {
        Run r = cli({"diff", fixture("cmp_bert_op17.onnx"), fixture("cmp_bert_renamed.onnx")});
        QCOMPARE(r.code, 0);
        QVERIFY2(
            r.out.contains("# 0 modules changed (0 only in B, 0 only in A), 0 named nodes changed module; "
                           "matched under other scopes: 0 by parameters, 33 by signature, 6 by position\n"),
            qPrintable(r.out));
        QVERIFY(r.out.contains("\n      word_embeddings (B: emb.tok, matched by signature)  [nodes 1 -> 1, "
                               "parameters 800 -> 800]\n"));
        QVERIFY(r.out.contains("\n      layer.1 (B: enc.blocks.1, matched by signature)  [nodes 93 -> 93"));
        Run j = cli({"diff", fixture("cmp_bert_renamed.onnx"), fixture("cmp_bert_op14.onnx"), "--json",
                     "--changed-only"});
        const QJsonObject o = QJsonDocument::fromJson(j.out.toUtf8()).object();
        QCOMPARE(o["matched_by_signature"].toInt(), 28);
        QCOMPARE(o["changed_modules"].toInt(), 5);
        const QJsonObject ln = o["modules"].toArray()[0].toObject();
        QCOMPARE(ln["scope"].toString(), QString("emb.norm"));
        QCOMPARE(ln["scope_b"].toString(), QString("embeddings.LayerNorm"));
        QCOMPARE(ln["match"].toString(), QString("position"));
    }

    void cliJson() {
        Run r = cli({"diff", fixture("cmp_bert_op14.onnx"), fixture("cmp_bert_op17.onnx"), "--json",
                     "--changed-only"});
        QCOMPARE(r.code, 0);
        QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(j["a"].toObject()["nodes"].toInt(), 264);
        QCOMPARE(j["b"].toObject()["nodes"].toInt(), 214);
        QCOMPARE(j["changed_modules"].toInt(), 5);
        QJsonArray modules = j["modules"].toArray();
        QCOMPARE(modules.size(), 5);
        QJsonObject ln = modules[0].toObject();
        QCOMPARE(ln["scope"].toString(), QString("embeddings.LayerNorm"));
        QCOMPARE(ln["match"].toString(), QString("scope"));
        QCOMPARE(ln["ops_a"].toObject()["ReduceMean"].toInt(), 2);
        QCOMPARE(ln["ops_b"].toObject().keys(), QStringList{"LayerNormalization"});
        QCOMPARE(ln["total_nodes"].toArray()[0].toInt(), 11);
        QCOMPARE(ln["total_nodes"].toArray()[1].toInt(), 1);
        QVERIFY(ln["summary"].toString().startsWith("11 ops -> 1: ReduceMean"));
        QCOMPARE(j["moved_nodes"].toArray().size(), 0);

        Run all = cli(
            {"diff", fixture("cmp_bert_op14.onnx"), fixture("cmp_bert_op17.onnx"), "--json", "--depth", "1"});
        QJsonArray shallow = QJsonDocument::fromJson(all.out.toUtf8()).object()["modules"].toArray();
        QCOMPARE(shallow.size(), 4); // root, embeddings, encoder, pooler
    }

    void cliSidecarsAndErrors() {
        QCOMPARE(cli({"diff", fixture("bert_like_op17.onnx"), fixture("cmp_bert_op17.onnx"), "--sidecar-a",
                      fixture("bert_like_op17.hierarchy.json")})
                     .code,
                 0);
        Run wrong = cli({"diff", fixture("bert_like_op17.onnx"), fixture("gpt_like.onnx"), "--sidecar-b",
                         fixture("bert_like_op17.hierarchy.json")});
        QCOMPARE(wrong.code, 1);
        QVERIFY(wrong.err.contains("bert_like_op17.hierarchy.json") && wrong.err.contains("does not match"));
        QCOMPARE(wrong.err.trimmed().count('\n'), 0);
        Run missing = cli({"diff", fixture("cmp_bert_op17.onnx"), "/nonexistent/b.onnx"});
        QCOMPARE(missing.code, 1);
        QVERIFY(missing.err.contains("/nonexistent/b.onnx"));
        QCOMPARE(missing.err.trimmed().count('\n'), 0);
        QCOMPARE(cli({"diff", fixture("cmp_bert_op17.onnx")}).code, 2);
        QCOMPARE(
            cli({"diff", fixture("cmp_bert_op17.onnx"), fixture("cmp_bert_op17.onnx"), "--depth", "-1"}).code,
            2);
        QCOMPARE(cli({"diff", fixture("cmp_bert_op17.onnx"), fixture("cmp_bert_op17.onnx"), "--what"}).code,
                 2);
        Run help = cli({"diff", "--help"});
        QCOMPARE(help.code, 0);
        QVERIFY(help.out.startsWith("hierscope-cli diff A.onnx B.onnx"));
        QVERIFY(cli({"--help"}).out.contains("hierscope-cli diff A.onnx B.onnx"));
    }
};

QTEST_APPLESS_MAIN(TestCompare)
#include "test_compare.moc"
