#include "hierarchy/module_calls.h"

namespace hs {
namespace {

// `scope`, or its first kMaxScopeAtoms atoms copied into `storage`.
const std::string& boundedScope(const std::string& scope, std::string& storage) {
    std::size_t dot = 0;
    for (int atoms = 1; atoms <= kMaxScopeAtoms; ++atoms, ++dot)
        if ((dot = scope.find('.', dot)) == std::string::npos) return scope;
    return storage = scope.substr(0, dot - 1);
}

} // namespace

ModuleCalls::ModuleCalls(std::vector<Module>& modules) : modules_(modules) {
    moduleByScope_.tryEmplace(std::string_view(), 0);
}

void ModuleCalls::reserve(std::size_t more) {
    calls_.reserve(calls_.size() + more);
    growKeys(keyCount_ + more);
    moduleByScope_.reserve(moduleByScope_.size() + more);
    firstCallOfModule_.reserve(firstCallOfModule_.size() + more);
}

int ModuleCalls::findModule(std::string_view scope) const {
    return moduleByScope_.find(scope);
}

int ModuleCalls::moduleFor(const std::string& scope, int parentModule) {
    const std::size_t hash = NameTable::hashOf(scope);
    int known = moduleByScope_.find(scope, hash);
    if (known >= 0) return known;
    int id = static_cast<int>(modules_.size());
    Module m;
    m.scope = scope;
    m.parent = parentModule;
    m.depth = modules_[static_cast<std::size_t>(parentModule)].depth + 1;
    m.name = relativeName(modules_[static_cast<std::size_t>(parentModule)].scope, scope);
    modules_.push_back(std::move(m));
    modules_[static_cast<std::size_t>(parentModule)].children.push_back(id);
    moduleByScope_.tryEmplace(scopeKeys_.copy(scope), hash, id);
    firstCallOfModule_.push_back(-1);
    return id;
}

void ModuleCalls::learnClass(int module, const std::string& className) {
    if (className.empty()) return;
    auto& m = modules_[static_cast<std::size_t>(module)];
    if (m.className.empty()) m.className = className;
}

int ModuleCalls::callStep(int parent, const ScopeStep& step, const std::string& className) {
    // Sources cut deeper evidence themselves, with a note; nested function calls below a deep name
    // could still go past it: the node then stays in the deepest call allowed, an ancestor of its own.
    if (call(parent).depth >= kMaxModuleDepth) return clamped_ = true, parent;
    const int parentModule = moduleOf(parent);
    const int module = moduleFor(step.scope, parentModule);
    const Key key{parent, module, step.call};
    if (2 * (keyCount_ + 1) > byKey_.size()) growKeys(keyCount_ + 1);
    KeySlot& slot = byKey_[slotOf(key)];
    int c;
    if (slot.call >= 0) {
        c = slot.call;
    } else {
        c = static_cast<int>(calls_.size());
        calls_.push_back({parent, call(parent).depth + 1, module, step.call});
        slot = KeySlot{key, c};
        ++keyCount_;
        if (step.call == 0 && firstCallOfModule_[static_cast<std::size_t>(module)] < 0)
            firstCallOfModule_[static_cast<std::size_t>(module)] = c;
    }
    learnClass(module, className);
    return c;
}

int ModuleCalls::callFor(const std::vector<ScopeStep>& chain, const std::vector<std::string>& classes) {
    static const std::string unknown;
    int c = 0;
    clamped_ = false;
    for (std::size_t i = 0; i < chain.size(); ++i)
        c = callStep(c, chain[i], i < classes.size() ? classes[i] : unknown);
    if (clamped_) ++cut_;
    return c;
}

int ModuleCalls::callForScope(const std::string& fullScope) {
    if (fullScope.empty()) return 0;
    std::string storage; // the search below is linear in the scope's atoms
    const std::string& scope = boundedScope(fullScope, storage);
    const bool scopeCut = &scope != &fullScope;
    if (int known = firstCallOf(scope); known >= 0) return cut_ += scopeCut, known;
    int parentCall = 0;
    for (std::size_t dot = scope.rfind('.'); dot != std::string::npos && dot > 0;
         dot = scope.rfind('.', dot - 1)) {
        if (int c = firstCallOf(std::string_view(scope).substr(0, dot)); c >= 0) {
            parentCall = c;
            break;
        }
    }
    std::vector<ScopeStep> chain;
    for (int c = parentCall; c > 0; c = call(c).parent)
        chain.insert(chain.begin(), ScopeStep{scopeOf(c), 0});
    chain.push_back({scope, 0});
    const std::size_t before = cut_;
    const int c = callFor(chain, {});
    if (scopeCut && cut_ == before) ++cut_; // once per scope
    return c;
}

int ModuleCalls::callForScopePath(const std::string& fullScope) {
    if (fullScope.empty()) return 0;
    std::string storage; // one module per atom below
    const std::string& scope = boundedScope(fullScope, storage);
    const bool scopeCut = &scope != &fullScope;
    clamped_ = false;
    if (int known = firstCallOf(scope); known >= 0) return cut_ += scopeCut, known;
    int c = 0;
    std::size_t start = 0; // where the part below the known prefix begins
    for (std::size_t dot = scope.rfind('.'); dot != std::string::npos && dot > 0;
         dot = scope.rfind('.', dot - 1))
        if (int known = firstCallOf(std::string_view(scope).substr(0, dot)); known >= 0) {
            c = known;
            start = dot + 1;
            break;
        }
    for (std::size_t dot = scope.find('.', start); dot != std::string::npos; dot = scope.find('.', dot + 1))
        c = callStep(c, ScopeStep{scope.substr(0, dot), 0}, std::string());
    c = callStep(c, ScopeStep{scope, 0}, std::string());
    if (clamped_ || scopeCut) ++cut_;
    return c;
}

int ModuleCalls::firstCallOf(std::string_view scope) const {
    int m = findModule(scope);
    return m < 0 ? -1 : firstCallOfModule_[static_cast<std::size_t>(m)];
}

int ModuleCalls::find(int parent, int module, int index) const {
    if (byKey_.empty()) return -1;
    return byKey_[slotOf(Key{parent, module, index})].call;
}

std::size_t ModuleCalls::slotOf(const Key& key) const {
    const std::size_t mask = byKey_.size() - 1;
    for (std::size_t i = hashOf(key) & mask;; i = (i + 1) & mask)
        if (byKey_[i].call < 0 || byKey_[i].key == key) return i;
}

void ModuleCalls::growKeys(std::size_t count) {
    std::size_t capacity = 16;
    while (capacity < 2 * count)
        capacity *= 2;
    if (capacity <= byKey_.size()) return;
    std::vector<KeySlot> old(capacity);
    old.swap(byKey_);
    for (const KeySlot& slot : old)
        if (slot.call >= 0) byKey_[slotOf(slot.key)] = slot;
}

std::vector<ScopeStep> ModuleCalls::chainOf(int c) const {
    std::vector<ScopeStep> chain;
    for (int k = c; k > 0; k = call(k).parent)
        chain.insert(chain.begin(), ScopeStep{scopeOf(k), call(k).index});
    return chain;
}

} // namespace hs
