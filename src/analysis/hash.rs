//! A small multiply-rotate hasher for the engine's maps: their keys are a
//! few integers and addresses, hashed several times per packet, where
//! SipHash costs more than the rest of the engine. The maps are capped
//! (`Limits`), which also bounds the cost of any crafted collisions.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

const K: u64 = 0x9e37_79b9_7f4a_7c15;

impl FastHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(26) ^ w).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.add(u64::from_le_bytes(b));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b) ^ (rest.len() as u64) << 59);
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // fold the high bits down: hashbrown uses the top 7 bits as a tag
        // and the low bits as the index
        self.0 ^ (self.0 >> 32)
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Inserts `pairs` (later ones win) while the map holds fewer than `cap`
/// keys: a table fed from outside (a config's nodelist) stays bounded.
pub(crate) fn insert_capped<K, V>(map: &mut FastMap<K, V>, pairs: &[(K, V)], cap: usize)
where
    K: std::hash::Hash + Eq + Copy,
    V: Copy,
{
    for (k, v) in pairs {
        if map.len() < cap {
            map.insert(*k, *v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, BuildHasherDefault};
    use std::net::{IpAddr, Ipv4Addr};

    #[test]
    fn spreads_addresses() {
        let b = BuildHasherDefault::<FastHasher>::default();
        let mut seen = std::collections::HashSet::new();
        for i in 0..10_000u32 {
            let h = b.hash_one(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)));
            seen.insert(h & 0xffff);
        }
        // 10,000 consecutive addresses land in many different low-bit buckets
        assert!(seen.len() > 8_000, "{}", seen.len());
    }
}

/// A map over a short vector: node ids are few (a cluster has at most a
/// few dozen nodes, and the engine caps them), and a linear scan over them
/// is cheaper than hashing on every packet.
#[derive(Debug, Clone)]
pub(crate) struct SmallMap<K, V> {
    // Keys apart from the values: the scan touches only the keys, which sit
    // in one or two cache lines however large the values are.
    keys: Vec<K>,
    vals: Vec<V>,
}

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        SmallMap {
            keys: Vec::new(),
            vals: Vec::new(),
        }
    }
}

impl<K: PartialEq + Copy, V> SmallMap<K, V> {
    #[inline]
    fn find(&self, k: &K) -> Option<usize> {
        self.keys.iter().position(|x| x == k)
    }
    /// Where `k` sits (nothing is ever removed), trying `hint` first (where
    /// the key was found last time) and keeping the answer there.
    #[inline]
    pub(crate) fn index_hinted(&self, k: &K, hint: &mut u16) -> Option<usize> {
        let h = usize::from(*hint);
        if self.keys.get(h) == Some(k) {
            return Some(h);
        }
        let i = self.find(k)?;
        if let Ok(x) = u16::try_from(i) {
            *hint = x;
        }
        Some(i)
    }
    #[inline]
    pub(crate) fn at_mut(&mut self, i: usize) -> Option<&mut V> {
        self.vals.get_mut(i)
    }
    /// Adds a key known to be absent; returns its index.
    pub(crate) fn push(&mut self, k: K, v: V) -> usize {
        self.keys.push(k);
        self.vals.push(v);
        self.keys.len() - 1
    }
    #[inline]
    pub(crate) fn get(&self, k: &K) -> Option<&V> {
        self.find(k).and_then(|i| self.vals.get(i))
    }
    #[inline]
    pub(crate) fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.find(k).and_then(|i| self.vals.get_mut(i))
    }
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.vals.iter()
    }
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.keys.iter().zip(self.vals.iter())
    }
    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.vals.iter_mut()
    }
}
