// hierscope-generate-model: writes a synthetic transformer-like ONNX model (see model_writer.h).
//
//   hierscope-generate-model --preset NAME -o OUT.onnx [--truth OUT.json]
//   hierscope-generate-model --layers N [--hidden H --ffn F --heads A --vocab V --positions P]
//                            [--external] -o OUT.onnx [--truth OUT.json]
//
// Presets (the benchmark's sizes): bert-base (12 layers, ~420 MB inline weights), deep-200 (200 layers,
// ~25k nodes), deep-1000 (1000 layers, ~130k nodes), external-3g (24 layers, ~3 GB external data).
#include "model_writer.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

namespace {

int usage() {
    std::fprintf(
        stderr,
        "usage: hierscope-generate-model (--preset bert-base|deep-200|deep-1000|external-3g | --layers N\n"
        "         [--hidden H] [--ffn F] [--heads A] [--vocab V] [--positions P] [--external])\n"
        "         -o OUT.onnx [--truth OUT.json]\n");
    return 2;
}

bool preset(const std::string& name, hsbench::ModelSpec& s) {
    if (name == "bert-base") { // BERT-base shapes: 109M parameters, 438 MB (418 MiB)
        s.layers = 12, s.hidden = 768, s.ffn = 3072, s.heads = 12, s.vocab = 30522, s.positions = 512;
    } else if (name == "deep-200" || name == "deep-1000") { // many layers, small weights
        s.layers = name == "deep-200" ? 200 : 1000;
        s.hidden = 64, s.ffn = 256, s.heads = 4, s.vocab = 1000, s.positions = 128;
    } else if (name == "external-3g") { // 24 wide layers, weights in external data (3.15 GB)
        s.layers = 24, s.hidden = 1600, s.ffn = 6400, s.heads = 25, s.vocab = 30522, s.positions = 512;
        s.external = true;
    } else {
        return false;
    }
    return true;
}

} // namespace

int main(int argc, char** argv) {
    hsbench::ModelSpec spec;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
        auto number = [&](int& target) {
            const char* v = value();
            if (!v) return false;
            target = std::atoi(v);
            return target > 0;
        };
        bool ok = true;
        if (a == "--preset") {
            const char* v = value();
            ok = v && preset(v, spec);
        } else if (a == "--layers")
            ok = number(spec.layers);
        else if (a == "--hidden")
            ok = number(spec.hidden);
        else if (a == "--ffn")
            ok = number(spec.ffn);
        else if (a == "--heads")
            ok = number(spec.heads);
        else if (a == "--vocab")
            ok = number(spec.vocab);
        else if (a == "--positions")
            ok = number(spec.positions);
        else if (a == "--external")
            spec.external = true;
        else if (a == "-o" || a == "--output") {
            const char* v = value();
            ok = v != nullptr;
            if (ok) spec.path = v;
        } else if (a == "--truth") {
            const char* v = value();
            ok = v != nullptr;
            if (ok) spec.truthPath = v;
        } else
            ok = false;
        if (!ok) return usage();
    }
    if (spec.path.empty()) return usage();
    try {
        const auto start = std::chrono::steady_clock::now();
        hsbench::ModelStats s = hsbench::writeModel(spec);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf(
            "%s: %zu nodes (%zu unscoped; %zu of %zu helpers = %.0f%%), %zu initializers, %.1f MB weights "
            "(%s), file %.1f MB, %.1f s\n",
            spec.path.c_str(), s.nodes, s.unscopedNodes, s.unscopedHelpers, s.helperNodes,
            100.0 * static_cast<double>(s.unscopedHelpers) / static_cast<double>(s.helperNodes),
            s.initializers, static_cast<double>(s.weightBytes) / 1e6, spec.external ? "external" : "inline",
            static_cast<double>(s.fileBytes) / 1e6, seconds);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hierscope-generate-model: %s\n", e.what());
        return 1;
    }
    return 0;
}
