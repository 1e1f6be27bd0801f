//! The set of ids a walk of the blocklist has yielded, so that a user the server lists twice
//! (the list changed under the walk, or it restarted from the first page) is yielded once.
//!
//! Every user of every page is looked up here, at a place in the set that has nothing to do
//! with the last one: for a big blocklist nearly every lookup is a cache miss, and after the
//! walk's thread slept through a slow answer the caches are cold. So a WA ID (the common id)
//! takes one 8-byte slot of an open-addressing table, and a page's slots are all touched in
//! one pass before any is written, so their cache misses overlap instead of coming one at a
//! time.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, RandomState};

use compact_str::CompactString;

use crate::listing::BlockedUser;
use crate::users::{PassThrough, digits_as_number};

/// The ids yielded so far. A WA ID of 1 to 15 digits is kept as its number (the core's
/// phone-number dedupe key, [`digits_as_number`]: value and digit count, so `7` and `07` are
/// two ids) in a [`NumberSet`]. Any other id (a BSUID, longer digits) is kept as text, keyed
/// by a SipHash seeded per walk; the rare text ids whose hash another id holds go to
/// `colliding`, keyed by the id. A number and a text never share a spelling.
#[derive(Debug, Default)]
pub(crate) struct YieldedIds {
    numbers: NumberSet,
    seed: RandomState,
    texts: HashMap<u64, CompactString, BuildHasherDefault<PassThrough>>,
    colliding: HashSet<String>,
    /// Each user's mixed number during [`YieldedIds::keep_new`], reused from page to page.
    mixed: Vec<Option<u64>>,
}

impl YieldedIds {
    /// Keeps the users of a page whose id was not yielded before (in order) and adds their
    /// ids; a user the page repeats is kept once. A user with no id is dropped.
    pub(crate) fn keep_new(&mut self, users: &mut Vec<BlockedUser>) {
        let Self {
            numbers,
            seed,
            texts,
            colliding,
            mixed,
        } = self;
        numbers.reserve(users.len());
        mixed.clear();
        mixed.extend(users.iter().map(|user| {
            let number = user.key().and_then(|key| digits_as_number(key.as_bytes()));
            number.map(|n| numbers.mix(n))
        }));
        // Every home slot is read in a loop that does nothing else, so the page's cache
        // misses are in flight together rather than one at a time; the inserts below then
        // find their slots in cache.
        let touched = mixed
            .iter()
            .flatten()
            .fold(0u64, |sum, &m| sum.wrapping_add(numbers.home_slot(m)));
        std::hint::black_box(touched);
        let mut at = 0;
        users.retain(|user| {
            let mix = mixed[at];
            at += 1;
            match (mix, user.key()) {
                (Some(m), _) => numbers.insert_mixed(m),
                (None, Some(text)) => insert_text(seed, texts, colliding, text),
                (None, None) => false,
            }
        });
    }

    /// Adds one id; false when it was there already.
    #[cfg(test)]
    fn insert(&mut self, key: &str) -> bool {
        match digits_as_number(key.as_bytes()) {
            Some(number) => {
                self.numbers.reserve(1);
                let m = self.numbers.mix(number);
                self.numbers.insert_mixed(m)
            }
            None => insert_text(&self.seed, &mut self.texts, &mut self.colliding, key),
        }
    }

    /// How many different ids are in the set.
    pub(crate) fn len(&self) -> usize {
        self.numbers.len + self.texts.len() + self.colliding.len()
    }
}

fn insert_text(
    seed: &RandomState,
    texts: &mut HashMap<u64, CompactString, BuildHasherDefault<PassThrough>>,
    colliding: &mut HashSet<String>,
    key: &str,
) -> bool {
    insert_text_hashed(seed.hash_one(key), texts, colliding, key)
}

/// [`insert_text`] with the hash given, so a test can force collisions.
fn insert_text_hashed(
    hash: u64,
    texts: &mut HashMap<u64, CompactString, BuildHasherDefault<PassThrough>>,
    colliding: &mut HashSet<String>,
    key: &str,
) -> bool {
    match texts.entry(hash) {
        Entry::Vacant(slot) => {
            slot.insert(CompactString::from(key));
            true
        }
        Entry::Occupied(held) if held.get() == key => false,
        Entry::Occupied(_) => {
            if colliding.contains(key) {
                false
            } else {
                colliding.insert(key.to_string())
            }
        }
    }
}

/// A set of numbers as an open-addressing table with linear probing: each slot holds a
/// number's [`Mixer`] image (0 for an empty slot), and the top bits of that image pick its home
/// slot. The image is a bijection, so it stands for the number exactly (no second compare,
/// no collisions to settle), and growing the table never computes it again. At most half the
/// slots are used: 64,000 ids take 1 MiB.
#[derive(Debug)]
struct NumberSet {
    mixer: Mixer,
    slots: Vec<u64>,
    /// 64 − log2(slots): the shift that turns an image into its home slot.
    shift: u32,
    len: usize,
    /// The one number whose image is 0 (the empty slot's mark) is kept here.
    holds_zero: bool,
}

impl Default for NumberSet {
    fn default() -> Self {
        NumberSet {
            mixer: Mixer::new(&RandomState::new()),
            slots: Vec::new(),
            shift: 64,
            len: 0,
            holds_zero: false,
        }
    }
}

const EMPTY: u64 = 0;
const MIN_SLOTS: usize = 16;

impl NumberSet {
    fn mix(&self, number: u64) -> u64 {
        self.mixer.mix(number)
    }

    fn home(&self, mixed: u64) -> usize {
        // `shift` < 64 once there is a slot: `reserve` comes first.
        mixed.checked_shr(self.shift).unwrap_or(0) as usize
    }

    /// The home slot's content (to bring its cache line in early).
    fn home_slot(&self, mixed: u64) -> u64 {
        self.slots.get(self.home(mixed)).copied().unwrap_or(EMPTY)
    }

    /// Room for `more` new numbers at most half the slots used.
    fn reserve(&mut self, more: usize) {
        let needed = (self.len + more).saturating_mul(2);
        if needed <= self.slots.len() {
            return;
        }
        let size = needed.max(MIN_SLOTS).next_power_of_two();
        let old = std::mem::replace(&mut self.slots, vec![EMPTY; size]);
        self.shift = 64 - size.trailing_zeros();
        self.len = usize::from(self.holds_zero);
        // The old table is in home order (but for a wrapped run at its start), so the new
        // one is written nearly front to back.
        for mixed in old.into_iter().filter(|&m| m != EMPTY) {
            self.insert_mixed(mixed);
        }
    }

    /// Adds a number by its image; false when it was there already. The caller reserved room.
    fn insert_mixed(&mut self, mixed: u64) -> bool {
        if mixed == EMPTY {
            let new = !self.holds_zero;
            self.holds_zero = true;
            self.len += usize::from(new);
            return new;
        }
        let mask = self.slots.len().wrapping_sub(1);
        let mut at = self.home(mixed);
        // At most half the slots are used, so an empty one comes.
        while let Some(slot) = self.slots.get_mut(at) {
            if *slot == EMPTY {
                *slot = mixed;
                self.len += 1;
                return true;
            }
            if *slot == mixed {
                return false;
            }
            at = (at + 1) & mask;
        }
        // Not reached (no slots means `reserve` was skipped): keep the number anyway.
        self.reserve(1);
        self.insert_mixed(mixed)
    }
}

/// A keyed bijection of `u64`, drawn per walk: xor with a key, then three rounds of a multiply
/// by a random odd key and a xor-shift (each step can be undone, so two numbers never share an
/// image). Its top bits index [`NumberSet`]; a server that does not know the keys cannot pick
/// ids that crowd one part of the table.
#[derive(Debug, Clone, Copy)]
struct Mixer {
    k0: u64,
    k1: u64,
    k2: u64,
    k3: u64,
}

impl Mixer {
    /// Keys drawn from `seed`: its hashes, as secret and as random as its own keys.
    fn new(seed: &RandomState) -> Self {
        Mixer {
            k0: seed.hash_one(0x6d69_7800_u64),
            k1: seed.hash_one(0x6d69_7801_u64) | 1,
            k2: seed.hash_one(0x6d69_7802_u64) | 1,
            k3: seed.hash_one(0x6d69_7803_u64) | 1,
        }
    }

    #[inline]
    fn mix(self, number: u64) -> u64 {
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
    use super::*;

    fn user(wa_id: Option<&str>, user_id: Option<&str>) -> BlockedUser {
        BlockedUser {
            wa_id: wa_id.map(CompactString::from),
            user_id: user_id.map(CompactString::from),
        }
    }

    #[test]
    fn a_page_keeps_its_new_users_in_order_and_each_once() {
        let mut set = YieldedIds::default();
        let mut page = vec![
            user(Some("16505551234"), None),
            user(None, Some("US.13491208655302741918")),
            user(Some("16505551234"), None),
            user(None, None),
            user(Some("16505550000"), Some("US.1")),
            user(None, Some("US.13491208655302741918")),
        ];
        set.keep_new(&mut page);
        let keys: Vec<_> = page.iter().map(|u| u.key().unwrap_or("-")).collect();
        assert_eq!(
            keys,
            ["16505551234", "US.13491208655302741918", "16505550000"]
        );
        assert_eq!(set.len(), 3);

        let mut next = vec![
            user(Some("16505550000"), None),
            user(Some("016505550000"), None),
            user(None, Some("US.13491208655302741918")),
            user(None, Some("US.2")),
        ];
        set.keep_new(&mut next);
        let keys: Vec<_> = next.iter().map(|u| u.key().unwrap_or("-")).collect();
        assert_eq!(keys, ["016505550000", "US.2"]);
        assert_eq!(set.len(), 5);
    }

    #[test]
    fn text_ids_survive_hash_collisions() {
        let (mut texts, mut colliding) = (HashMap::default(), HashSet::new());
        let inserted: Vec<bool> = ["1", "2", "1", "3", "2", "3"]
            .iter()
            .map(|k| insert_text_hashed(7, &mut texts, &mut colliding, k))
            .collect();
        assert_eq!(inserted, [true, true, false, true, false, false]);
        assert_eq!(texts.len() + colliding.len(), 3);
    }

    #[test]
    fn numbers_and_texts_are_kept_apart() {
        let mut set = YieldedIds::default();
        for key in [
            "7",
            "07",
            "007",
            "US.7",
            "7 ",
            "16505551234",
            "016505551234",
        ] {
            assert!(set.insert(key), "{key:?} is new");
            assert!(!set.insert(key), "{key:?} is there already");
        }
        assert_eq!(set.len(), 7);
        // Up to 15 digits are numbers (leading zeros make other numbers); the rest text.
        assert_eq!((set.numbers.len, set.texts.len()), (5, 2));
        assert!(set.insert("1234567890123456") && set.texts.len() == 3);
    }

    #[test]
    fn the_number_set_grows_and_holds_every_number_once() {
        let mut set = NumberSet::default();
        // Sequential numbers (the shape of real WA IDs), then the same again, through growth
        // from the smallest table to 2^17 slots.
        for round in 0..2 {
            for n in 0..65_000u64 {
                set.reserve(1);
                let m = set.mix(15_550_000_000 + n);
                assert_eq!(set.insert_mixed(m), round == 0, "number {n}, round {round}");
            }
        }
        assert_eq!(set.len, 65_000);
        assert_eq!(set.slots.len(), 1 << 17);
        assert_eq!(set.slots.iter().filter(|&&m| m != EMPTY).count(), 65_000);
    }

    #[test]
    fn the_number_whose_image_is_zero_is_kept_too() {
        let mut set = NumberSet::default();
        set.reserve(2);
        assert!(set.insert_mixed(EMPTY) && !set.insert_mixed(EMPTY));
        assert!(set.insert_mixed(5) && !set.insert_mixed(5));
        assert_eq!(set.len, 2);
        // Growth keeps both.
        set.reserve(1000);
        assert_eq!(set.len, 2);
        assert!(!set.insert_mixed(EMPTY) && !set.insert_mixed(5));
    }

    #[test]
    fn the_mixer_is_a_bijection_that_spreads_sequential_numbers() {
        let mixer = Mixer::new(&RandomState::new());
        let images: HashSet<u64> = (0..100_000u64).map(|n| mixer.mix(n)).collect();
        assert_eq!(images.len(), 100_000);
        // Sequential numbers land in every part of a 1,024-slot table, none crowded: a
        // uniform spread puts ~98 in each; allow a wide margin.
        let mut buckets = [0u32; 1024];
        for n in 0..100_000u64 {
            buckets[(mixer.mix(16_505_550_000 + n) >> 54) as usize] += 1;
        }
        assert!(
            buckets.iter().all(|&c| (40..200).contains(&c)),
            "{buckets:?}"
        );
    }
}
