// ONNX Runtime profile traces (analysis/profile.*) on arbitrary bytes, matched against a fixture model:
// hs::Error or a profile, nothing else. And a differential check of the plain-JSON scanner
// (analysis/plain_json.h): whatever it reads, nlohmann's parser reads too, event for event.
#include "fuzz_support.h"

#include "analysis/plain_json.h"
#include "analysis/profile.h"
#include "common/error.h"
#include "graph/graph.h"
#include "hierarchy/hierarchy.h"
#include "model/model.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Model {
    hs::GraphIndex graph{hs::loadModel(HS_FUZZ_MODEL)};
    hs::Hierarchy hierarchy = hs::inferHierarchy(graph);
};

const Model& fixture() {
    static const Model model;
    return model;
}

// Events as text, from either reader.
struct Recorded {
    std::vector<std::string> events;
    void startObject() { events.emplace_back("{"); }
    void endObject() { events.emplace_back("}"); }
    void startArray() { events.emplace_back("["); }
    void endArray() { events.emplace_back("]"); }
    void key(std::string_view k) { events.push_back("k" + std::string(k)); }
    void string(std::string_view v) { events.push_back("s" + std::string(v)); }
    void number(double v) {
        char text[40];
        std::snprintf(text, sizeof text, "n%.17g", v == 0 ? 0.0 : v);
        events.emplace_back(text);
    }
    void literal() { events.emplace_back("l"); }
};

struct Reference final : nlohmann::json_sax<nlohmann::json> {
    Recorded recorded;
    bool null() override { return recorded.literal(), true; }
    bool boolean(bool) override { return recorded.literal(), true; }
    bool number_integer(number_integer_t v) override { return recorded.number(static_cast<double>(v)), true; }
    bool number_unsigned(number_unsigned_t v) override {
        return recorded.number(static_cast<double>(v)), true;
    }
    bool number_float(number_float_t v, const string_t&) override { return recorded.number(v), true; }
    bool string(string_t& v) override { return recorded.string(v), true; }
    bool binary(binary_t&) override { return false; }
    bool start_object(std::size_t) override { return recorded.startObject(), true; }
    bool key(string_t& k) override { return recorded.key(k), true; }
    bool end_object() override { return recorded.endObject(), true; }
    bool start_array(std::size_t) override { return recorded.startArray(), true; }
    bool end_array() override { return recorded.endArray(), true; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::json::exception&) override {
        return false;
    }
};

void scannerAgreesWithNlohmann(std::string_view text) {
    Recorded plain;
    if (!hs::plain_json::scan(text, plain)) return;
    Reference reference;
    if (!nlohmann::json::sax_parse(text.begin(), text.end(), &reference) ||
        reference.recorded.events != plain.events) {
        std::fprintf(stderr, "plain_json::scan read what nlohmann reads otherwise\n");
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Model& model = fixture();
    scannerAgreesWithNlohmann(std::string_view(reinterpret_cast<const char*>(data), size));
    const std::string path = hs::fuzz::writeInput(data, size, ".json");
    try {
        const hs::Profile profile = hs::readProfile(path, model.graph);
        (void)hs::moduleTimes(profile, model.graph, model.hierarchy);
        (void)hs::unmatchedNote(profile);
    } catch (const hs::Error&) {
    }
    return 0;
}
