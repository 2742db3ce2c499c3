#pragma once
// The events of a JSON text as text, read by analysis/plain_json.h and by nlohmann's SAX parser alike:
// test_cost and fuzz_profile check that the plain scanner reads what nlohmann reads, or gives up.
#include "analysis/plain_json.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace hstest {

struct RecordedEvents {
    std::vector<std::string> events;
    void startObject() { events.emplace_back("{"); }
    void endObject() { events.emplace_back("}"); }
    void startArray() { events.emplace_back("["); }
    void endArray() { events.emplace_back("]"); }
    void key(std::string_view k) { events.push_back("k:" + std::string(k)); }
    void string(std::string_view v) { events.push_back("s:" + std::string(v)); }
    void number(double v) {
        char text[64];
        std::snprintf(text, sizeof text, "n:%.17g", v == 0 ? 0.0 : v); // the sign of zero aside
        events.emplace_back(text);
    }
    void literal() { events.emplace_back("l"); }
};

struct NlohmannEvents final : nlohmann::json_sax<nlohmann::json> {
    RecordedEvents recorded;
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

// Whether the plain scanner reads the text (rather than giving up).
inline bool plainScans(std::string_view text) {
    RecordedEvents plain;
    return hs::plain_json::scan(text, plain);
}

// The scanner gave up, or nlohmann read the text too, with the same events.
inline bool plainAgreesWithNlohmann(std::string_view text) {
    RecordedEvents plain;
    if (!hs::plain_json::scan(text, plain)) return true;
    NlohmannEvents reference;
    return nlohmann::json::sax_parse(text.begin(), text.end(), &reference) &&
           reference.recorded.events == plain.events;
}

} // namespace hstest
