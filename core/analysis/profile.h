#pragma once
// Measured time per node and per module from an ONNX Runtime profile: the JSON trace a session writes
// with profiling on. Its `<node name>_kernel_time` events (`dur` in microseconds, `args.op_name`,
// `args.provider`) are matched to nodes by name and averaged over the runs (`model_run` events).
// ONNX Runtime fuses nodes unless the session ran with graph optimizations off: events of fused nodes
// match nothing and are counted and named as unmatched.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hs {

class GraphIndex;
struct Hierarchy;

struct Profile {
    std::string path;
    std::size_t runs = 0;                         // model_run events (1 when the trace has none)
    std::size_t events = 0;                       // kernel events
    std::size_t matched = 0;                      // kernel events matched to a node
    std::size_t unmatched = 0;                    // kernel events whose node name is not in the model
    double totalUs = 0;                           // kernel time per run, every event
    double matchedUs = 0;                         // kernel time per run, matched events
    std::vector<double> nodeUs;                   // per node instance: mean kernel time per run
    std::vector<std::string> unmatchedNames;      // the first distinct names (at most 20)
    std::map<std::string, double> unmatchedOpsUs; // op type of unmatched events -> time per run
};

// Reads and matches a trace. Throws hs::Error naming the file and the problem (unreadable, not JSON,
// not a trace, no kernel events).
Profile readProfile(const std::string& tracePath, const GraphIndex& graph);

// A note for people when events were not matched ("" when all were): how to profile so they are.
std::string unmatchedNote(const Profile& profile);

struct ModuleTime {
    double ownUs = 0, totalUs = 0;       // per run
    std::map<std::string, double> opsUs; // op type -> time per run, whole subtree
};

// Per module of `hierarchy`: own and total time, and the op types taking it.
std::vector<ModuleTime> moduleTimes(const Profile& profile, const GraphIndex& graph,
                                    const Hierarchy& hierarchy);

} // namespace hs
