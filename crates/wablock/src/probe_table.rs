//! The open-addressing table under the core's two lookups that see every user: a call's dedupe
//! map of its inputs ([`crate::users`]) and a walk's set of yielded ids
//! ([`crate::yielded_ids`]), and the keyed mix they hash numbers with.
//!
//! Both are read at a place that has nothing to do with the last one, so for a big call or
//! blocklist nearly every lookup is a cache miss. An entry is one 8-byte slot (one miss, not a
//! control byte and a bucket), and [`ProbeTable::home_entry`] lets a caller read a batch's
//! home slots in one pass before it adds any, so the misses overlap.

use std::hash::{BuildHasher, RandomState};

/// Nonzero `u64` entries (0 marks an empty slot). The top bits of an entry's hash pick its
/// home slot and linear probing from there finds it or an empty slot; at most half the slots
/// are used, so a probe is short and always ends. Only the caller knows an entry's hash:
/// it makes room before adding ([`ProbeTable::has_room_for`]) and, on growth, puts back every
/// entry [`ProbeTable::grow`] hands over.
#[derive(Debug)]
pub(crate) struct ProbeTable {
    slots: Vec<u64>,
    /// 64 − log2(slots): the shift that turns a hash into its home slot.
    shift: u32,
    len: usize,
}

const MIN_SLOTS: usize = 16;

impl ProbeTable {
    /// An empty table with room for `entries`.
    pub(crate) fn with_room_for(entries: usize) -> Self {
        let mut table = ProbeTable {
            slots: Vec::new(),
            shift: 64,
            len: 0,
        };
        drop(table.grow(entries));
        table
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether `more` entries can be added with at most half the slots used.
    pub(crate) fn has_room_for(&self, more: usize) -> bool {
        (self.len + more).saturating_mul(2) <= self.slots.len()
    }

    /// Makes the table empty, with room for its entries and `more`, and returns the old slots
    /// (empty ones included) for the caller to [`ProbeTable::place`] again.
    pub(crate) fn grow(&mut self, more: usize) -> Vec<u64> {
        let size = (self.len + more)
            .saturating_mul(2)
            .max(MIN_SLOTS)
            .next_power_of_two();
        self.shift = 64 - size.trailing_zeros();
        self.len = 0;
        std::mem::replace(&mut self.slots, vec![0; size])
    }

    #[cfg(test)]
    pub(crate) fn slot_count(&self) -> usize {
        self.slots.len()
    }

    #[cfg(test)]
    pub(crate) fn occupied_slots(&self) -> usize {
        self.slots.iter().filter(|&&held| held != 0).count()
    }

    #[inline]
    fn home(&self, hash: u64) -> usize {
        hash.checked_shr(self.shift).unwrap_or(0) as usize
    }

    /// The home slot's content: reading it brings its cache line in early.
    #[inline]
    pub(crate) fn home_entry(&self, hash: u64) -> u64 {
        self.slots.get(self.home(hash)).copied().unwrap_or(0)
    }

    /// The first entry from `hash`'s home that `is_match` accepts, or, when an empty slot
    /// comes first, `None` after putting `entry` (nonzero) there. The caller made room.
    #[inline(always)]
    pub(crate) fn find_or_insert(
        &mut self,
        hash: u64,
        entry: u64,
        mut is_match: impl FnMut(u64) -> bool,
    ) -> Option<u64> {
        if self.slots.is_empty() {
            // Never, as called (room comes first); an empty table has nothing to put back.
            drop(self.grow(1));
        }
        let mask = self.slots.len() - 1;
        let mut at = self.home(hash);
        while let Some(slot) = self.slots.get_mut(at) {
            if *slot == 0 {
                *slot = entry;
                self.len += 1;
                return None;
            }
            if is_match(*slot) {
                return Some(*slot);
            }
            at = (at + 1) & mask;
        }
        None
    }

    /// Puts `entry` (nonzero, known not to be there) at the first empty slot from `hash`'s
    /// home. The caller made room.
    #[inline]
    pub(crate) fn place(&mut self, hash: u64, entry: u64) {
        self.find_or_insert(hash, entry, |_| false);
    }
}

/// A map from a key's 64-bit hash to the key's index in the caller's own list of keys: one
/// [`ProbeTable`] entry a key, the hash's low 32 bits above the index + 1. The caller's key
/// settles a tag that matches; keys whose hashes collide simply probe on.
#[derive(Debug)]
pub(crate) struct HashIndex(ProbeTable);

impl Default for HashIndex {
    fn default() -> Self {
        HashIndex::with_room_for(0)
    }
}

impl HashIndex {
    pub(crate) fn with_room_for(keys: usize) -> Self {
        HashIndex(ProbeTable::with_room_for(keys))
    }

    /// Room for `more` keys beyond the `keys` already listed; on growth key `i` is put back
    /// under `rehash(i)` (only when the caller could not say up front how many come).
    pub(crate) fn reserve(&mut self, more: usize, keys: usize, rehash: impl Fn(usize) -> u64) {
        if self.0.has_room_for(more) {
            return;
        }
        drop(self.0.grow(more));
        for at in 0..keys {
            let hash = rehash(at);
            self.0.place(hash, entry(hash, at));
        }
    }

    /// See [`ProbeTable::home_entry`].
    pub(crate) fn home_entry(&self, hash: u64) -> u64 {
        self.0.home_entry(hash)
    }

    /// The index of the key with this hash that `same` recognises, or `None` after recording
    /// `new` as the index of a new key with this hash. The caller made room.
    pub(crate) fn find_or_add(
        &mut self,
        hash: u64,
        new: usize,
        same: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        let tag = hash & 0xffff_ffff;
        self.0
            .find_or_insert(hash, entry(hash, new), |held| {
                held >> 32 == tag && same(index_of(held))
            })
            .map(index_of)
    }
}

/// The entry of key `index` under `hash`. An index fits the low 32 bits: no call or walk holds
/// 2^32 keys (they would take 100 GB).
fn entry(hash: u64, index: usize) -> u64 {
    (hash & 0xffff_ffff) << 32 | (index as u64 + 1)
}

fn index_of(entry: u64) -> usize {
    (entry & 0xffff_ffff) as usize - 1
}

/// A keyed bijection of `u64`, drawn per call or walk: xor with a key, then three rounds of a
/// multiply by a random odd key and a xor-shift (each step can be undone, so two numbers never
/// share an image). Its top bits index a [`ProbeTable`]; whoever does not know the keys
/// (a server, a caller's input list) cannot pick numbers that crowd one part of the table.
/// About ten instructions, against ~80 for SipHash-1-3 of one `u64`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyedMix {
    k0: u64,
    k1: u64,
    k2: u64,
    k3: u64,
}

impl KeyedMix {
    /// Keys drawn from `seed`: its hashes, as secret and as random as its own keys.
    pub(crate) fn new(seed: &RandomState) -> Self {
        KeyedMix {
            k0: seed.hash_one(0x6d69_7800_u64),
            k1: seed.hash_one(0x6d69_7801_u64) | 1,
            k2: seed.hash_one(0x6d69_7802_u64) | 1,
            k3: seed.hash_one(0x6d69_7803_u64) | 1,
        }
    }

    #[inline]
    pub(crate) fn mix(self, number: u64) -> u64 {
        let mut x = (number ^ self.k0).wrapping_mul(self.k1);
        x ^= x >> 32;
        x = x.wrapping_mul(self.k2);
        x ^= x >> 29;
        x = x.wrapping_mul(self.k3);
        x ^ (x >> 32)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_mix_is_a_bijection_that_spreads_sequential_numbers() {
        let mix = KeyedMix::new(&RandomState::new());
        let images: HashSet<u64> = (0..100_000u64).map(|n| mix.mix(n)).collect();
        assert_eq!(images.len(), 100_000);
        // Sequential numbers land in every part of a 1,024-slot table, none crowded: a
        // uniform spread puts ~98 in each; allow a wide margin.
        let mut buckets = [0u32; 1024];
        for n in 0..100_000u64 {
            buckets[(mix.mix(16_505_550_000 + n) >> 54) as usize] += 1;
        }
        assert!(
            buckets.iter().all(|&c| (40..200).contains(&c)),
            "{buckets:?}"
        );
    }

    #[test]
    fn a_hash_index_keeps_keys_whose_hashes_collide_apart_through_growth() {
        // Every key under one hash: each lookup probes past all the others.
        let keys: Vec<String> = (0..300).map(|i| format!("key {i}")).collect();
        let mut index = HashIndex::default();
        let mut listed: Vec<&str> = Vec::new();
        for round in 0..2 {
            for key in &keys {
                index.reserve(1, listed.len(), |_| 7);
                let found = index.find_or_add(7, listed.len(), |i| listed[i] == key.as_str());
                match found {
                    Some(i) => assert_eq!((round, listed[i]), (1, key.as_str())),
                    None => {
                        assert_eq!(round, 0, "{key} added twice");
                        listed.push(key);
                    }
                }
            }
        }
        assert_eq!(listed.len(), 300);
        assert_eq!(index.0.len(), 300);
    }
}
