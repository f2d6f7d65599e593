//! A bounded, in-process memo of recently used results keyed by text: work that every request
//! would otherwise repeat for the same input (parsing the same document, verifying the same
//! access token). Bounded by entry count, so a client sending endless distinct keys only evicts.
//!
//! Two generations instead of a strict LRU: entries go into the current generation; when it is
//! full it becomes the previous one and the one before is dropped; a hit in the previous
//! generation moves the entry back into the current one. Keys in steady use therefore stay,
//! lookups and inserts are O(1), and nothing keeps an order list.

use std::{collections::HashMap, sync::Mutex};

pub struct RecentMemo<V> {
    generation_capacity: usize,
    max_key_len: usize,
    generations: Mutex<Generations<V>>,
}

struct Generations<V> {
    current: HashMap<Box<str>, V>,
    previous: HashMap<Box<str>, V>,
}

impl<V: Clone> RecentMemo<V> {
    /// Holds at most `capacity` entries; keys longer than `max_key_len` bytes are never kept.
    pub fn new(capacity: usize, max_key_len: usize) -> Self {
        RecentMemo {
            generation_capacity: (capacity / 2).max(1),
            max_key_len,
            generations: Mutex::new(Generations {
                current: HashMap::new(),
                previous: HashMap::new(),
            }),
        }
    }

    pub fn get(&self, key: &str) -> Option<V> {
        let mut generations = self.generations.lock().ok()?;
        if let Some(value) = generations.current.get(key) {
            return Some(value.clone());
        }
        let (key, value) = generations.previous.remove_entry(key)?;
        let found = value.clone();
        generations.insert(self.generation_capacity, key, value);
        Some(found)
    }

    pub fn insert(&self, key: &str, value: V) {
        if key.len() > self.max_key_len {
            return;
        }
        if let Ok(mut generations) = self.generations.lock() {
            generations.insert(self.generation_capacity, key.into(), value);
        }
    }

    pub fn len(&self) -> usize {
        self.generations.lock().map_or(0, |generations| {
            generations.current.len() + generations.previous.len()
        })
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<V> Generations<V> {
    fn insert(&mut self, generation_capacity: usize, key: Box<str>, value: V) {
        if self.current.len() >= generation_capacity && !self.current.contains_key(&key) {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_in_use_stay_and_the_rest_is_evicted() {
        let memo = RecentMemo::new(4, 100);
        for key in ["a", "b", "c", "d"] {
            memo.insert(key, key.to_uppercase());
        }
        // "a" and "b" went into the previous generation when "c" started a new one; reading "a"
        // brings it back into a new current generation, and the rollover drops "b".
        assert_eq!(memo.get("a").as_deref(), Some("A"));
        memo.insert("e", "E".into());
        assert_eq!(memo.get("a").as_deref(), Some("A"));
        assert_eq!(memo.get("b"), None);
        assert!(memo.len() <= 4);
    }

    #[test]
    fn never_holds_more_than_its_capacity_or_an_overlong_key() {
        let memo = RecentMemo::new(10, 8);
        for index in 0..1000 {
            memo.insert(&format!("key{index}"), index);
        }
        assert!(memo.len() <= 10, "{} entries", memo.len());
        assert_eq!(memo.get("key999"), Some(999));
        memo.insert("a key longer than eight bytes", 1);
        assert_eq!(memo.get("a key longer than eight bytes"), None);
    }
}
