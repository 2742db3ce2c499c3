// ONNX Runtime profile traces, matched to node instances by name.
#include "analysis/profile.h"

#include "analysis/plain_json.h"

#include "common/display_text.h"
#include "common/error.h"
#include "graph/graph.h"
#include "graph/name_table.h"
#include "hierarchy/hierarchy.h"
#include "model/mapped_file.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <unordered_map>

namespace hs {

namespace {

const std::string kKernelSuffix = "_kernel_time";

// Main-graph node names (ONNX Runtime's node names) to instances, as views of the model's names (no
// string per node, and an event's name is looked up without a copy); a name two nodes share matches
// neither by name (`shared`, per first holder).
struct NodeNames {
    NameTable first;
    std::vector<char> shared;
    explicit NodeNames(const GraphIndex& g) : shared(g.mainCount(), false) {
        first.reserve(g.mainCount());
        for (int i = 0; i < static_cast<int>(g.mainCount()); ++i) {
            const std::string& name = g.node(i).name;
            if (name.empty()) continue;
            if (const auto [holder, added] = first.tryEmplace(name, i); !added)
                shared[static_cast<std::size_t>(holder)] = true;
        }
    }
    // The node named `name`, or -1 when none is, or two are.
    int find(std::string_view name) const {
        const int node = first.find(name);
        return node >= 0 && !shared[static_cast<std::size_t>(node)] ? node : -1;
    }
};

// What readProfile takes from one trace event: its name, duration and args.op_name, each when present
// with the right type (the last of a repeated key counts, as in a parsed document).
struct TraceEvent {
    bool named = false;
    std::string name;
    bool timed = false;
    double dur = 0;
    bool hasOp = false;
    std::string op;
};

// Matches events to nodes and sums their times as they are read.
class EventMatcher {
public:
    EventMatcher(const GraphIndex& graph, Profile& profile) : graph_(graph), p_(profile), byName_(graph) {
        p_.nodeUs.assign(graph.size(), 0.0);
    }

    void add(const TraceEvent& e) {
        if (!e.named) return;
        const std::string& n = e.name;
        if (n == "model_run") {
            ++p_.runs;
            return;
        }
        if (n.size() <= kKernelSuffix.size() ||
            n.compare(n.size() - kKernelSuffix.size(), kKernelSuffix.size(), kKernelSuffix) != 0)
            return;
        if (!e.timed) return;
        ++p_.events;
        total += e.dur;
        const std::string_view node = std::string_view(n).substr(0, n.size() - kKernelSuffix.size());
        int instance = byName_.find(node);
        if (instance < 0) instance = byKey(node);
        if (instance >= 0) {
            ++p_.matched;
            matched += e.dur;
            p_.nodeUs[static_cast<std::size_t>(instance)] += e.dur;
            return;
        }
        ++p_.unmatched;
        if (unmatchedSeen_.size() < 20 && unmatchedSeen_.insert(std::string(node)).second)
            p_.unmatchedNames.emplace_back(node);
        p_.unmatchedOpsUs[e.hasOp ? e.op : "?"] += e.dur;
    }

    double total = 0, matched = 0;

private:
    // An event named by an instance key rather than a node name (a name two nodes share, a body node),
    // remembered once found.
    int byKey(std::string_view node) {
        if (const auto it = byKey_.find(std::string(node)); it != byKey_.end()) return it->second;
        const int key = graph_.find(std::string(node));
        if (key >= 0) byKey_.emplace(node, key);
        return key;
    }

    const GraphIndex& graph_;
    Profile& p_;
    NodeNames byName_;
    std::unordered_map<std::string, int> byKey_;
    std::set<std::string> unmatchedSeen_;
};

// ONNX Runtime's trace, a bare array of events, read as a stream of tokens (from the plain scanner, or
// from nlohmann's SAX parser when the text is not plain): each event is matched when its object closes
// and nothing else is kept. Parsing the whole document first took 0.8 s and 230 MB on a 34 MB trace of a
// 25k-node model.
class EventStream final : public nlohmann::json_sax<nlohmann::json> {
public:
    EventStream(const std::string& path, EventMatcher& matcher) : path_(path), matcher_(matcher) {}

    bool null() override { return other(); }
    bool boolean(bool) override { return other(); }
    bool number_integer(number_integer_t v) override { return number(static_cast<double>(v)); }
    bool number_unsigned(number_unsigned_t v) override { return number(static_cast<double>(v)); }
    bool number_float(number_float_t v, const string_t&) override { return number(v); }
    bool binary(binary_t&) override { return other(); }
    bool string(string_t& v) override { return text(v); }
    bool text(std::string_view v) {
        if (depth_ == kEvent && key_ == Key::Name) {
            event_.named = true;
            event_.name.assign(v);
            return true;
        }
        if (depth_ == kArgs && key_ == Key::OpName) {
            event_.hasOp = true;
            event_.op.assign(v);
            return true;
        }
        return other();
    }
    bool start_object(std::size_t) override {
        if (depth_ == kList) {
            event_.named = event_.timed = event_.hasOp = false; // the strings keep their buffers
        } else if (depth_ == kEvent && key_ == Key::Args) {
            event_.hasOp = false; // a later `args` replaces an earlier one
            inArgs_ = true;
        } else {
            other();
        }
        return descend();
    }
    bool start_array(std::size_t) override {
        if (depth_ > kList) other(); // a list as a value; one in the list is no event
        return descend();
    }
    bool key(string_t& k) override { return name(k); }
    bool name(std::string_view k) {
        key_ = Key::Other;
        if (depth_ == kEvent)
            key_ = k == "name" ? Key::Name : k == "dur" ? Key::Dur : k == "args" ? Key::Args : Key::Other;
        else if (depth_ == kArgs && inArgs_ && k == "op_name")
            key_ = Key::OpName;
        return true;
    }
    bool end_object() override {
        if (depth_ == kEvent) matcher_.add(event_);
        return ascend();
    }
    bool end_array() override { return ascend(); }
    bool parse_error(std::size_t, const std::string&, const nlohmann::json::exception& e) override {
        throw Error(path_ + ": not a JSON profile trace (" + quoteInput(e.what(), 120) + ")");
    }

private:
    // Open containers: the list, an event object, a value inside an event (args among them).
    static constexpr int kList = 1, kEvent = 2, kArgs = 3;
    enum class Key { Other, Name, Dur, Args, OpName };

    friend struct PlainEvents;

    bool number(double v) {
        if (depth_ != kEvent || key_ != Key::Dur) return other();
        event_.timed = true;
        event_.dur = v;
        return true;
    }
    // A value that is not what the key it stands under needs: that key's last value is unusable.
    bool other() {
        if (depth_ == kEvent) {
            if (key_ == Key::Name) event_.named = false;
            if (key_ == Key::Dur) event_.timed = false;
            if (key_ == Key::Args) event_.hasOp = false;
        } else if (depth_ == kArgs && inArgs_ && key_ == Key::OpName) {
            event_.hasOp = false;
        }
        return true;
    }
    bool descend() {
        ++depth_;
        key_ = Key::Other;
        return true;
    }
    bool ascend() {
        if (depth_ == kArgs) inArgs_ = false;
        --depth_;
        key_ = Key::Other;
        return true;
    }

    const std::string& path_;
    EventMatcher& matcher_;
    int depth_ = 0;
    Key key_ = Key::Other;
    bool inArgs_ = false; // the container open at kArgs is the event's args
    TraceEvent event_;
};

// The plain scanner's sink (analysis/plain_json.h), feeding the same stream.
struct PlainEvents {
    EventStream& stream;
    void startObject() { stream.start_object(0); }
    void endObject() { stream.end_object(); }
    void startArray() { stream.start_array(0); }
    void endArray() { stream.end_array(); }
    void key(std::string_view k) { stream.name(k); }
    void string(std::string_view v) { stream.text(v); }
    void number(double v) { stream.number(v); }
    void literal() { stream.other(); }
};

// The trace's bytes, mapped (traces of big models are hundreds of MB); read into memory when the file
// cannot be mapped (empty, a pipe), with the same message when it cannot be read at all.
struct TraceBytes {
    std::shared_ptr<const MappedFile> mapped;
    std::string read;
    std::string_view text;
};

std::string readFile(const std::string& path);

TraceBytes traceBytes(const std::string& path) {
    TraceBytes t;
    try {
        t.mapped = MappedFile::open(path);
        t.mapped->advise(MappedFile::Access::Whole, 0, t.mapped->size()); // read through at once
        t.text = t.mapped->bytes(0, t.mapped->size());
    } catch (const Error&) {
        t.read = readFile(path);
        t.text = t.read;
    }
    return t;
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw Error(path + ": cannot read the profile");
    const std::streamoff size = in.tellg();
    std::string bytes;
    if (size > 0) {
        bytes.resize(static_cast<std::size_t>(size));
        in.seekg(0);
        in.read(bytes.data(), size);
    }
    if (size < 0 || !in) throw Error(path + ": cannot read the profile");
    return bytes;
}

// Chrome's trace format, {"traceEvents": [...]}, and anything that is not a list: parsed whole.
nlohmann::json parseDocument(const std::string& path, std::string_view bytes) {
    nlohmann::json trace;
    try {
        trace = nlohmann::json::parse(bytes);
    } catch (const nlohmann::json::exception& e) {
        throw Error(path + ": not a JSON profile trace (" + quoteInput(e.what(), 120) + ")");
    }
    if (trace.is_object() && trace.contains("traceEvents")) trace = trace["traceEvents"];
    if (!trace.is_array())
        throw Error(path + ": not an ONNX Runtime profile: expected a list of trace events");
    return trace;
}

// Reads the events into `p`, by the plain scanner when it can; false when it gave up, `p` then partial.
bool readPlainEvents(const std::string& path, std::string_view bytes, const GraphIndex& graph, Profile& p,
                     double& total, double& matched) {
    EventMatcher matcher(graph, p);
    EventStream stream(path, matcher);
    PlainEvents sink{stream};
    if (!plain_json::scan(bytes, sink)) return false;
    total = matcher.total, matched = matcher.matched;
    return true;
}

// By nlohmann: a list streamed through its SAX interface, anything else parsed whole.
void readEvents(const std::string& path, std::string_view bytes, bool list, EventMatcher& matcher) {
    if (list) {
        EventStream stream(path, matcher);
        nlohmann::json::sax_parse(bytes.begin(), bytes.end(), &stream);
        return;
    }
    for (const auto& e : parseDocument(path, bytes)) {
        if (!e.is_object()) continue;
        TraceEvent event;
        if (auto name = e.find("name"); name != e.end() && name->is_string())
            event.named = true, event.name = name->get<std::string>();
        if (auto dur = e.find("dur"); dur != e.end() && dur->is_number())
            event.timed = true, event.dur = dur->get<double>();
        if (auto args = e.find("args"); args != e.end() && args->is_object()) {
            auto op = args->find("op_name");
            if (op != args->end() && op->is_string()) event.hasOp = true, event.op = op->get<std::string>();
        }
        matcher.add(event);
    }
}

} // namespace

Profile readProfile(const std::string& tracePath, const GraphIndex& graph) {
    const TraceBytes trace = traceBytes(tracePath);
    const std::string_view bytes = trace.text;
    Profile p;
    p.path = tracePath;
    double total = 0, matched = 0;
    const auto first = bytes.find_first_not_of(" \t\r\n");
    const bool list = first != std::string_view::npos && bytes[first] == '['; // what ONNX Runtime writes
    if (!list || !readPlainEvents(tracePath, bytes, graph, p, total, matched)) {
        p = Profile{};
        p.path = tracePath;
        EventMatcher matcher(graph, p);
        readEvents(tracePath, bytes, list, matcher);
        total = matcher.total, matched = matcher.matched;
    }
    if (p.events == 0)
        throw Error(tracePath + ": no kernel events (\"<node>_kernel_time\") in the profile: is it an ONNX "
                                "Runtime trace of a run of this model?");
    std::size_t runs = std::max<std::size_t>(p.runs, 1);
    p.runs = runs;
    p.totalUs = total / static_cast<double>(runs);
    p.matchedUs = matched / static_cast<double>(runs);
    for (auto& us : p.nodeUs)
        us /= static_cast<double>(runs);
    for (auto& [op, us] : p.unmatchedOpsUs)
        us /= static_cast<double>(runs);
    return p;
}

std::string unmatchedNote(const Profile& profile) {
    if (profile.unmatched == 0) return {};
    return std::to_string(profile.unmatched) + " of " + std::to_string(profile.events) +
           " kernel events name no node of this model (ONNX Runtime fused or renamed them): profile with "
           "graphOptimizationLevel 'disabled', or open the optimized model ONNX Runtime saved "
           "(optimizedModelFilePath)";
}

namespace {

void sumTimes(const Hierarchy& h, int module, std::vector<ModuleTime>& out) {
    for (int c : h.modules[static_cast<std::size_t>(module)].children) {
        sumTimes(h, c, out);
        ModuleTime& m = out[static_cast<std::size_t>(module)];
        const ModuleTime& child = out[static_cast<std::size_t>(c)];
        m.totalUs += child.totalUs;
        for (const auto& [op, us] : child.opsUs)
            m.opsUs[op] += us;
    }
}

} // namespace

std::vector<ModuleTime> moduleTimes(const Profile& profile, const GraphIndex& graph,
                                    const Hierarchy& hierarchy) {
    std::vector<ModuleTime> out(hierarchy.modules.size());
    for (std::size_t i = 0; i < profile.nodeUs.size() && i < hierarchy.assignments.size(); ++i) {
        double us = profile.nodeUs[i];
        if (us == 0) continue;
        ModuleTime& m = out[static_cast<std::size_t>(hierarchy.assignments[i].module)];
        m.ownUs += us;
        m.totalUs += us;
        m.opsUs[graph.node(static_cast<int>(i)).opType] += us;
    }
    if (!out.empty()) sumTimes(hierarchy, 0, out);
    return out;
}

} // namespace hs
