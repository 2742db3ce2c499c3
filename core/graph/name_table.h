#pragma once
// An open-addressing table from names to indices that keeps views of the names, not copies: the
// strings must outlive the table and stay where they are (the model's strings, an index's keys).
// The hash is stored beside each key. On big graphs node-based maps of copied strings spent most of the
// index build on allocations and cache misses.
#include <algorithm>
#include <cstddef>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

namespace hs {

// A value of -1 means "not bound" (a function's formal input fed by nothing) and reads as absent.
class NameTable {
public:
    void reserve(std::size_t n) {
        std::size_t capacity = 16;
        while (capacity < 2 * n)
            capacity *= 2;
        if (capacity > slots_.size()) rehash(capacity);
    }
    // The value bound to `name`, or -1.
    int find(std::string_view name) const {
        if (slots_.empty()) return -1;
        const std::size_t h = std::hash<std::string_view>{}(name);
        for (std::size_t i = h & mask();; i = (i + 1) & mask()) {
            const Slot& slot = slots_[i];
            if (!slot.used) return -1;
            if (slot.hash == h && slot.key == name) return slot.value;
        }
    }
    // Binds `name` to `value` unless it is bound already; returns the bound value and whether it was new.
    std::pair<int, bool> tryEmplace(std::string_view name, int value) {
        if (2 * (count_ + 1) > slots_.size()) rehash(std::max<std::size_t>(16, 2 * slots_.size()));
        const std::size_t h = std::hash<std::string_view>{}(name);
        for (std::size_t i = h & mask();; i = (i + 1) & mask()) {
            Slot& slot = slots_[i];
            if (!slot.used) {
                slot = {h, name, value, true};
                ++count_;
                return {value, true};
            }
            if (slot.hash == h && slot.key == name) {
                if (slot.value >= 0) return {slot.value, false};
                slot.value = value; // unbound: bind it now
                return {value, true};
            }
        }
    }
    template <typename Fn> void forEach(Fn&& fn) const {
        for (const Slot& slot : slots_)
            if (slot.used && slot.value >= 0) fn(slot.key, slot.value);
    }
    std::size_t size() const { return count_; }

private:
    struct Slot {
        std::size_t hash = 0;
        std::string_view key;
        int value = -1;
        bool used = false;
    };
    std::size_t mask() const { return slots_.size() - 1; }
    void rehash(std::size_t capacity) {
        std::vector<Slot> old = std::move(slots_);
        slots_.assign(capacity, Slot{});
        for (const Slot& slot : old)
            if (slot.used)
                for (std::size_t i = slot.hash & mask();; i = (i + 1) & mask())
                    if (!slots_[i].used) {
                        slots_[i] = slot;
                        break;
                    }
    }
    std::vector<Slot> slots_;
    std::size_t count_ = 0;
};

} // namespace hs
