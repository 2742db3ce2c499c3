#pragma once
// The module tree and the tree of module *calls* under construction (internal to hierarchy
// inference). A module called twice has two calls; inference reasons about calls (data cannot leave
// one call of a module and come back into the same call), the result is reported per module.
#include "graph/name_table.h"
#include "hierarchy/hierarchy.h"
#include "hierarchy/scope_names.h"
#include "model/name_store.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hs {

// The longest dotted scope read from evidence (parameter owners, sidecar scopes): deeper ones are cut to
// this many atoms, an ancestor of what they name. Real scopes have a few atoms per level.
constexpr int kMaxScopeAtoms = 4 * kMaxModuleDepth;

class ModuleCalls {
public:
    struct Call {
        int parent = -1;
        int depth = 0;
        int module = 0;
        int index = 0; // which call of the module: torch's "_N" suffix
    };

    // `modules` is the hierarchy's module list; its root (modules[0]) must exist.
    explicit ModuleCalls(std::vector<Module>& modules);

    // Room for `more` new modules and calls (materialize knows how many chains it will create at most).
    void reserve(std::size_t more);

    // ---- modules ----
    int findModule(std::string_view scope) const; // -1 when absent
    // The module of `scope`, created below `parentModule` when new.
    int moduleFor(const std::string& scope, int parentModule);
    // The module is a layer of another converter's name paths, not a PyTorch module.
    void markConverterModule(int module) {
        modules_[static_cast<std::size_t>(module)].fromConverterNames = true;
    }
    // Sets the module's class unless one is known already.
    void learnClass(int module, const std::string& className);
    const Module& module(int m) const { return modules_[static_cast<std::size_t>(m)]; }
    std::size_t moduleCount() const { return modules_.size(); }

    // ---- calls (call 0 is the root) ----
    const Call& call(int c) const { return calls_[static_cast<std::size_t>(c)]; }
    std::size_t size() const { return calls_.size(); }
    int moduleOf(int c) const { return call(c).module; }
    const std::string& scopeOf(int c) const { return module(moduleOf(c)).scope; }
    // The call of `step` inside call `parent`, created as needed.
    int callStep(int parent, const ScopeStep& step, const std::string& className);
    // The call at the end of a chain from the root, created with its ancestors as needed.
    int callFor(const std::vector<ScopeStep>& chain, const std::vector<std::string>& classes);
    // First call of a module given only its scope: its parent is the longest known scope prefix.
    int callForScope(const std::string& scope); // (cut to kMaxScopeAtoms)
    // First call of a module given its dotted scope, with a module for every dotted prefix below the
    // longest known one ("features.0.1" under "features.0" under "features").
    int callForScopePath(const std::string& scope);
    // The first call (call index 0) of the module of that scope, -1 when there is none.
    int firstCallOf(std::string_view scope) const;
    // The call (parent, module, index), -1 when it does not exist.
    int find(int parent, int module, int index) const;
    // The steps from the root down to call c.
    std::vector<ScopeStep> chainOf(int c) const;
    // How often evidence went deeper than kMaxModuleDepth levels or kMaxScopeAtoms atoms and was read
    // to that depth (for a note).
    std::size_t cutEvidence() const { return cut_; }

    // Inline: inference asks these for every candidate of every node.
    int lca(int a, int b) const {
        while (call(a).depth > call(b).depth)
            a = call(a).parent;
        while (call(b).depth > call(a).depth)
            b = call(b).parent;
        while (a != b)
            a = call(a).parent, b = call(b).parent;
        return a;
    }
    bool isAncestorOrSelf(int ancestor, int c) const {
        while (c >= 0 && call(c).depth > call(ancestor).depth)
            c = call(c).parent;
        return c == ancestor;
    }
    int distance(int a, int b) const { // edges between two calls in the call tree
        return call(a).depth + call(b).depth - 2 * call(lca(a, b)).depth;
    }
    int deeper(int a, int b) const { // the deeper of two calls; -1 stands for none
        if (a < 0) return b;
        if (b < 0) return a;
        return call(a).depth >= call(b).depth ? a : b;
    }

private:
    struct Key {
        int parent, module, index;
        bool operator==(const Key& o) const {
            return parent == o.parent && module == o.module && index == o.index;
        }
    };
    static std::size_t hashOf(const Key& k) {
        std::uint64_t h = static_cast<std::uint32_t>(k.parent);
        h = h * 0x9E3779B97F4A7C15ull ^ static_cast<std::uint32_t>(k.module);
        h = h * 0x9E3779B97F4A7C15ull ^ static_cast<std::uint32_t>(k.index);
        return static_cast<std::size_t>(h ^ (h >> 29));
    }
    // Calls by key, open addressing (a node-based map allocated a node per call); call -1: empty.
    struct KeySlot {
        Key key{-1, -1, -1};
        int call = -1;
    };
    std::size_t slotOf(const Key& key) const; // the key's slot, or the empty one where it would go
    void growKeys(std::size_t count);         // room for `count` keys at half load

    std::vector<Module>& modules_;
    std::vector<Call> calls_{Call{}};
    std::vector<KeySlot> byKey_;
    std::size_t keyCount_ = 0;
    // Stable storage for the keys of moduleByScope_: copies of the scopes packed into big blocks, as a
    // string per module was a malloc and a free per module (3,000 on deep-200).
    NameStore scopeKeys_;
    // Open addressing over views (graph/name_table.h): a node-based map allocated a node per module.
    NameTable moduleByScope_;
    std::vector<int> firstCallOfModule_{-1};
    std::size_t cut_ = 0;
    bool clamped_ = false; // a step of the current chain was deeper than kMaxModuleDepth
};

} // namespace hs
