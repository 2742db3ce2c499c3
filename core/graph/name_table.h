#pragma once
// An open-addressing table from names to indices that keeps views of the names, not copies: the
// strings must outlive the table and stay where they are (the model's strings, an index's keys).
// On big graphs the index build waited on cache misses in this table (deep-1000: 400k names, a 32 MB
// table of 32-byte slots, 94% of its time on the first load of a slot). Slots are now 8 bytes (a tag
// from the hash and the position of the entry), entries lie in insertion order (lookups mostly ask for
// names inserted shortly before), and callers that know their next names ahead can prefetch their slots.
#include "common/huge_page_array.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

namespace hs {

// A value of -1 means "not bound" (a function's formal input fed by nothing) and reads as absent.
class NameTable {
public:
    static std::size_t hashOf(std::string_view name) { return std::hash<std::string_view>{}(name); }

    void reserve(std::size_t n) {
        std::size_t capacity = 16;
        while (capacity < 2 * n)
            capacity *= 2;
        if (capacity > slots_.size()) rehash(capacity);
        entries_.reserve(n);
    }
    // Asks the memory for the slot `hash` starts at: a lookup a few names later finds it in cache.
    void prefetch(std::size_t hash) const {
        if (!slots_.empty()) __builtin_prefetch(&slots_[hash & mask()]);
    }
    // The value bound to `name`, or -1.
    int find(std::string_view name) const { return find(name, hashOf(name)); }
    int find(std::string_view name, std::size_t hash) const {
        if (slots_.empty()) return -1;
        const std::uint32_t tag = tagOf(hash);
        for (std::size_t i = hash & mask();; i = (i + 1) & mask()) {
            const Slot slot = slots_[i];
            if (slot.tag == 0) return -1;
            if (slot.tag == tag && entries_[slot.entry].key == name) return entries_[slot.entry].value;
        }
    }
    // Binds `name` to `value` unless it is bound already; returns the bound value and whether it was new.
    std::pair<int, bool> tryEmplace(std::string_view name, int value) {
        return tryEmplace(name, hashOf(name), value);
    }
    std::pair<int, bool> tryEmplace(std::string_view name, std::size_t hash, int value) {
        if (2 * (entries_.size() + 1) > slots_.size()) rehash(std::max<std::size_t>(16, 2 * slots_.size()));
        const std::uint32_t tag = tagOf(hash);
        for (std::size_t i = hash & mask();; i = (i + 1) & mask()) {
            Slot& slot = slots_[i];
            if (slot.tag == 0) {
                slot = {tag, static_cast<std::uint32_t>(entries_.size())};
                entries_.push_back({name, value, hash});
                return {value, true};
            }
            if (slot.tag != tag) continue;
            Entry& entry = entries_[slot.entry];
            if (entry.key != name) continue;
            if (entry.value >= 0) return {entry.value, false};
            entry.value = value; // unbound: bind it now
            return {value, true};
        }
    }
    std::size_t size() const { return entries_.size(); }
    // The key of the entry added `entry`-th (entries stay in insertion order).
    std::string_view keyAt(std::size_t entry) const { return entries_[entry].key; }
    // The key of the entry added last now views `key`, equal to it: for a caller that keeps its own copy
    // of a name it was given only for a while.
    void rekeyLast(std::string_view key) { entries_.back().key = key; }

private:
    struct Slot {
        std::uint32_t tag = 0; // 0: empty
        std::uint32_t entry = 0;
    };
    struct Entry {
        std::string_view key;
        int value = -1;
        std::size_t hash = 0; // kept for rehashing without reading the key again
    };
    static std::uint32_t tagOf(std::size_t hash) { return static_cast<std::uint32_t>(hash >> 32) | 1u; }
    std::size_t mask() const { return slots_.size() - 1; }
    void rehash(std::size_t capacity) {
        slots_.assign(capacity, Slot{});
        for (std::uint32_t e = 0; e < entries_.size(); ++e)
            for (std::size_t i = entries_[e].hash & mask();; i = (i + 1) & mask())
                if (slots_[i].tag == 0) {
                    slots_[i] = {tagOf(entries_[e].hash), e};
                    break;
                }
    }
    HugePageArray<Slot> slots_;
    std::vector<Entry> entries_;
};

} // namespace hs
