//! The set of ids a walk of the blocklist has yielded, so that a user the server lists twice
//! (the list changed under the walk, or it restarted from the first page) is yielded once.
//!
//! Every user of every page is looked up here (see [`crate::probe_table`] for why its tables
//! are laid out as they are), and after the walk's thread slept through a slow answer the
//! caches are cold: a page's home slots are all read in one pass before any is written, so
//! their cache misses overlap instead of coming one at a time.

use std::hash::{BuildHasher, RandomState};

use compact_str::CompactString;

use crate::listing::BlockedUser;
use crate::probe_table::{HashIndex, KeyedMix, ProbeTable};
use crate::users::digits_as_number;

/// The ids yielded so far. A WA ID of 1 to 15 digits is kept as its number (the core's
/// phone-number dedupe key, [`digits_as_number`]: value and digit count, so `7` and `07` are
/// two ids) in a [`NumberSet`]. Any other id (a BSUID, longer digits) is kept as text in
/// [`TextSet`]. A number and a text never share a spelling.
#[derive(Debug, Default)]
pub(crate) struct YieldedIds {
    numbers: NumberSet,
    texts: TextSet,
    /// Each user's mixed number during [`YieldedIds::keep_new`], reused from page to page.
    mixed: Vec<Option<u64>>,
}

impl YieldedIds {
    /// Keeps the users of a page whose id was not yielded before (in order) and adds their
    /// ids; a user the page repeats is kept once. A user with no id is dropped.
    pub(crate) fn keep_new(&mut self, users: &mut Vec<BlockedUser>) {
        let Self {
            numbers,
            texts,
            mixed,
        } = self;
        numbers.reserve(users.len());
        mixed.clear();
        mixed.extend(users.iter().map(|user| {
            let number = user.key().and_then(|key| digits_as_number(key.as_bytes()));
            number.map(|n| numbers.mix.mix(n))
        }));
        // Every home slot is read in a loop that does nothing else, so the page's cache
        // misses are in flight together rather than one at a time; the inserts below then
        // find their slots in cache.
        let touched = mixed.iter().flatten().fold(0u64, |sum, &m| {
            sum.wrapping_add(numbers.table.home_entry(m))
        });
        std::hint::black_box(touched);
        let mut at = 0;
        users.retain(|user| {
            let mix = mixed[at];
            at += 1;
            match (mix, user.key()) {
                (Some(m), _) => numbers.insert_mixed(m),
                (None, Some(text)) => texts.insert(text),
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
                let m = self.numbers.mix.mix(number);
                self.numbers.insert_mixed(m)
            }
            None => self.texts.insert(key),
        }
    }

    /// How many different ids are in the set.
    pub(crate) fn len(&self) -> usize {
        self.numbers.len() + self.texts.ids.len()
    }
}

/// Numbers, each kept as its [`KeyedMix`] image: the image is a bijection, so it stands for
/// the number exactly (no second compare, no collisions to settle) and is its own hash, so
/// growing the table never mixes again. At most half the slots are used: 64,000 ids take
/// 1 MiB.
#[derive(Debug)]
struct NumberSet {
    mix: KeyedMix,
    table: ProbeTable,
    /// The one number whose image is 0 (the empty slot's mark) is kept here.
    holds_zero: bool,
}

impl Default for NumberSet {
    fn default() -> Self {
        NumberSet {
            mix: KeyedMix::new(&RandomState::new()),
            table: ProbeTable::with_room_for(0),
            holds_zero: false,
        }
    }
}

impl NumberSet {
    fn len(&self) -> usize {
        self.table.len() + usize::from(self.holds_zero)
    }

    /// Room for `more` new numbers.
    fn reserve(&mut self, more: usize) {
        if !self.table.has_room_for(more) {
            for mixed in self.table.grow(more) {
                if mixed != 0 {
                    self.table.place(mixed, mixed);
                }
            }
        }
    }

    /// Adds a number by its image; false when it was there already. The caller made room.
    #[inline]
    fn insert_mixed(&mut self, mixed: u64) -> bool {
        if mixed == 0 {
            return !std::mem::replace(&mut self.holds_zero, true);
        }
        self.table
            .find_or_insert(mixed, mixed, |held| held == mixed)
            .is_none()
    }
}

/// Text ids, listed in `ids` and found through a [`HashIndex`] by a SipHash seeded per walk,
/// so a server cannot flood it.
#[derive(Debug, Default)]
struct TextSet {
    seed: RandomState,
    ids: Vec<CompactString>,
    index: HashIndex,
}

impl TextSet {
    fn insert(&mut self, id: &str) -> bool {
        self.insert_hashed(self.seed.hash_one(id), id)
    }

    /// [`TextSet::insert`] with the hash given, so a test can force collisions.
    fn insert_hashed(&mut self, hash: u64, id: &str) -> bool {
        let Self { seed, ids, index } = self;
        index.reserve(1, ids.len(), |at| seed.hash_one(ids[at].as_str()));
        let known = index.find_or_add(hash, ids.len(), |at| ids[at] == id);
        if known.is_none() {
            ids.push(CompactString::from(id));
        }
        known.is_none()
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
        let mut texts = TextSet::default();
        let inserted: Vec<bool> = ["1", "2", "1", "3", "2", "3"]
            .iter()
            .map(|k| texts.insert_hashed(7, k))
            .collect();
        assert_eq!(inserted, [true, true, false, true, false, false]);
        assert_eq!(texts.ids, ["1", "2", "3"]);
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
        assert_eq!((set.numbers.len(), set.texts.ids.len()), (5, 2));
        assert!(set.insert("1234567890123456") && set.texts.ids.len() == 3);
    }

    #[test]
    fn the_number_set_grows_and_holds_every_number_once() {
        let mut set = NumberSet::default();
        // Sequential numbers (the shape of real WA IDs), then the same again, through growth
        // from the smallest table to 2^17 slots.
        for round in 0..2 {
            for n in 0..65_000u64 {
                set.reserve(1);
                let m = set.mix.mix(15_550_000_000 + n);
                assert_eq!(set.insert_mixed(m), round == 0, "number {n}, round {round}");
            }
        }
        assert_eq!(set.len(), 65_000);
        assert_eq!(set.table.slot_count(), 1 << 17);
        assert_eq!(set.table.occupied_slots(), 65_000);
    }

    #[test]
    fn the_number_whose_image_is_zero_is_kept_too() {
        let mut set = NumberSet::default();
        set.reserve(2);
        assert!(set.insert_mixed(0) && !set.insert_mixed(0));
        assert!(set.insert_mixed(5) && !set.insert_mixed(5));
        assert_eq!(set.len(), 2);
        // Growth keeps both.
        set.reserve(1000);
        assert_eq!(set.len(), 2);
        assert!(!set.insert_mixed(0) && !set.insert_mixed(5));
    }
}
