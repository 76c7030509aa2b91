//! Lending a published value to readers without writing shared memory.
//!
//! Why this exists: any owning handle to an `Arc` costs two atomic
//! read-modify-writes, one to take a count and one to give it back (about
//! 10 ns each on the 2-core virtualised Xeon CI runs on, uncontended), and
//! `arc_swap`'s guard costs the same two on its debt slot. That was most of
//! a cached `token()` (`benches/read_peers.rs`). So each thread keeps, per
//! publication, a [`Shelf`]: the value it last saw and a *stock* of strong
//! counts already taken on it. A read that finds the publication unchanged
//! takes a count from the stock (a thread-local decrement, no atomic
//! read-modify-write); a handle dropped on a thread whose shelf holds the
//! same value puts its count back. Only a changed value, an empty stock or a
//! handle dropped on another thread touches the `Arc`'s counter.
//!
//! The one invariant all the `unsafe` below rests on: **every [`Lent`] owns
//! exactly one strong count of its value's `Arc`, and every unit of a
//! shelf's `stock` is one strong count of the shelf's `value`, on top of the
//! count the shelf's own `Arc` holds; a shelf's `ptr` is its `value`'s
//! pointer, or null when it holds none.** Each `unsafe` block names the part
//! it relies on. Miri checks the unit tests below (`.ci/run`, when a nightly
//! with Miri is present; RELIABILITY.md has the last result).
//!
//! What a thread keeps: for up to [`SHELVES`] publications, the value it
//! last read and at most [`MAX_STOCK`] counts on it, until its next read of
//! that publication or its exit. A withdrawn token can thus stay in memory
//! (not served: every read compares versions first) on a thread that stopped
//! reading; it is zeroized when the last count goes.
#![allow(unsafe_code)]

use std::cell::Cell;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;
use std::thread::LocalKey;

/// Publications a thread keeps a shelf for; a thread reading more evicts the
/// one it read least recently.
pub(crate) const SHELVES: usize = 4;

/// Counts a shelf keeps in stock at most; more handed back go to the `Arc`.
pub(crate) const MAX_STOCK: usize = 64;

/// A type a publication lends: it names the thread-local shelves its
/// handles return to.
pub(crate) trait Lendable: Send + Sync + Sized + 'static {
    /// This type's shelves on the current thread.
    fn shelves() -> &'static LocalKey<Shelves<Self>>;
}

/// One thread's shelves for values of type `T`, most recently read first.
///
/// All state is in `Cell`s: a read is a few thread-local loads and stores,
/// with no borrow flag to set and clear (a `RefCell` flag cost 2 ns a read).
pub(crate) struct Shelves<T> {
    slots: [Shelf<T>; SHELVES],
}

/// What one thread last read from one publication.
struct Shelf<T> {
    /// The publication's process-unique id; 0 for an unused shelf.
    source: Cell<u64>,
    /// The publication's version when `value` was read.
    version: Cell<u64>,
    /// `value`'s pointer, null when it holds nothing: read on the fast path
    /// without moving the `Arc` out of its cell.
    ptr: Cell<*const T>,
    /// Strong counts taken on `value` and not lent out (see module docs).
    stock: Cell<usize>,
    value: Cell<Option<Arc<T>>>,
}

impl<T> Shelf<T> {
    const fn empty() -> Self {
        Self {
            source: Cell::new(0),
            version: Cell::new(0),
            ptr: Cell::new(std::ptr::null()),
            stock: Cell::new(0),
            value: Cell::new(None),
        }
    }

    fn swap(&self, other: &Self) {
        self.source.swap(&other.source);
        self.version.swap(&other.version);
        self.ptr.swap(&other.ptr);
        self.stock.swap(&other.stock);
        self.value.swap(&other.value);
    }

    /// Empties the shelf, handing over what it held.
    fn clear(&self) -> Evicted<T> {
        self.source.set(0);
        self.ptr.set(std::ptr::null());
        Evicted {
            stock: self.stock.replace(0),
            value: self.value.take(),
        }
    }
}

/// A shelf's value and stock, taken off it: dropping it gives all back.
struct Evicted<T> {
    value: Option<Arc<T>>,
    stock: usize,
}

impl<T> Drop for Evicted<T> {
    fn drop(&mut self) {
        if let Some(value) = &self.value {
            for _ in 0..self.stock {
                // SAFETY: each unit of stock is one strong count of `value`
                // (the invariant), given up here exactly once; `value`
                // itself still holds one more, so this never frees.
                unsafe { Arc::decrement_strong_count(Arc::as_ptr(value)) };
            }
        }
    }
}

impl<T> Shelves<T> {
    /// No shelf used yet (for a `thread_local!` initialiser).
    pub(crate) const fn new() -> Self {
        Self {
            slots: [
                Shelf::empty(),
                Shelf::empty(),
                Shelf::empty(),
                Shelf::empty(),
            ],
        }
    }

    /// Moves the shelf at `index` to the front, keeping the others' order.
    fn promote(&self, index: usize) {
        for i in (1..=index).rev() {
            self.slots[i].swap(&self.slots[i - 1]);
        }
    }

    /// Lends `source`'s value from the shelf if it was read at `version`:
    /// `Some(None)` when the publication held nothing then, `None` when the
    /// shelf is missing or stale.
    #[inline]
    fn lend_current(&self, source: u64, version: u64) -> Option<Option<*const T>> {
        // Most recent first, so that the usual single publication is found
        // at the first comparison.
        let index = self
            .slots
            .iter()
            .position(|shelf| shelf.source.get() == source)?;
        if self.slots[index].version.get() != version {
            return None;
        }
        if index != 0 {
            self.promote(index);
        }
        let shelf = &self.slots[0];
        let ptr = shelf.ptr.get();
        if ptr.is_null() {
            return Some(None);
        }
        let stock = shelf.stock.get();
        if stock > 0 {
            shelf.stock.set(stock - 1);
        } else {
            // SAFETY: `ptr` is `value`'s and `value` holds a strong count,
            // so the allocation is alive; the new count goes to the `Lent`
            // built from `ptr`.
            unsafe { Arc::increment_strong_count(ptr) };
        }
        Some(Some(ptr))
    }

    /// Keeps `value`, read from `source` at `version`, in place of that
    /// source's older shelf or the least recently read one, and returns what
    /// that shelf held.
    fn shelve(&self, source: u64, version: u64, value: Option<Arc<T>>) -> Evicted<T> {
        let index = self
            .slots
            .iter()
            .position(|shelf| shelf.source.get() == source)
            .unwrap_or(SHELVES - 1);
        self.promote(index);
        let shelf = &self.slots[0];
        let evicted = shelf.clear();
        shelf
            .ptr
            .set(value.as_ref().map_or(std::ptr::null(), Arc::as_ptr));
        shelf.value.set(value);
        shelf.version.set(version);
        shelf.source.set(source);
        evicted
    }

    /// Takes back the count a handle to `ptr` owns, if a shelf holds that
    /// value and has room.
    #[inline]
    fn take_back(&self, ptr: *const T) -> bool {
        let Some(shelf) = self.slots.iter().find(|shelf| shelf.ptr.get() == ptr) else {
            return false;
        };
        let stock = shelf.stock.get();
        if stock >= MAX_STOCK {
            return false;
        }
        shelf.stock.set(stock + 1);
        true
    }

    /// Takes a count on `ptr` from a shelf's stock, if one has some.
    fn take_from_stock(&self, ptr: *const T) -> bool {
        let Some(shelf) = self.slots.iter().find(|shelf| shelf.ptr.get() == ptr) else {
            return false;
        };
        let stock = shelf.stock.get();
        if stock == 0 {
            return false;
        }
        shelf.stock.set(stock - 1);
        true
    }
}

impl<T> Drop for Shelves<T> {
    fn drop(&mut self) {
        for shelf in &self.slots {
            drop(shelf.clear());
        }
    }
}

/// A lent value: dereferences to `T`, owns one strong count of its `Arc`,
/// and gives it back to the dropping thread's shelf when it can.
pub(crate) struct Lent<T: Lendable> {
    ptr: *const T,
    owns: PhantomData<Arc<T>>,
}

// SAFETY: a `Lent<T>` is an `Arc<T>` with a different way of returning its
// count, and `Arc<T>` is `Send` and `Sync` when `T` is both (`Lendable`
// requires it). Its shelves are per thread: a `Lent` dropped on another
// thread returns its count to that thread's shelf or to the `Arc`.
unsafe impl<T: Lendable> Send for Lent<T> {}
// SAFETY: as for `Send` above; `&Lent<T>` only gives `&T`.
unsafe impl<T: Lendable> Sync for Lent<T> {}

impl<T: Lendable> Lent<T> {
    /// Lends the value `source` holds: from this thread's shelf when the
    /// shelf was filled at `version`, else from `load()` (which must read
    /// the publication *after* `version` was read, so that a stale shelf is
    /// never filed under a newer version).
    #[inline]
    pub(crate) fn lend(
        source: u64,
        version: u64,
        load: impl FnOnce() -> Option<Arc<T>>,
    ) -> Option<Self> {
        debug_assert_ne!(source, 0, "source 0 marks an unused shelf");
        let shelved = T::shelves()
            .try_with(|shelves| shelves.lend_current(source, version))
            .ok()
            .flatten();
        if let Some(lent) = shelved {
            return lent.map(|ptr| Self {
                ptr,
                owns: PhantomData,
            });
        }
        Self::lend_loaded(source, version, load())
    }

    #[cold]
    fn lend_loaded(source: u64, version: u64, value: Option<Arc<T>>) -> Option<Self> {
        let lent = value
            .as_ref()
            .map(|value| Self::from_arc(Arc::clone(value)));
        // What the shelf held is dropped here, once the shelf is refilled.
        let _evicted = T::shelves().try_with(|shelves| shelves.shelve(source, version, value));
        lent
    }

    /// Wraps an `Arc`, taking over its count.
    pub(crate) fn from_arc(value: Arc<T>) -> Self {
        Self {
            ptr: Arc::into_raw(value),
            owns: PhantomData,
        }
    }

    /// The value as an `Arc`, taking over this handle's count.
    pub(crate) fn into_arc(self) -> Arc<T> {
        let ptr = self.ptr;
        std::mem::forget(self);
        // SAFETY: the count this handle owned (the invariant) moves to the
        // `Arc`; `forget` above keeps `Drop` from giving it back as well.
        unsafe { Arc::from_raw(ptr) }
    }
}

impl<T: Lendable> Deref for Lent<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: this handle owns a strong count (the invariant), so the
        // value lives at least as long as `self`.
        unsafe { &*self.ptr }
    }
}

impl<T: Lendable> Clone for Lent<T> {
    fn clone(&self) -> Self {
        let ptr = self.ptr;
        let from_stock = T::shelves()
            .try_with(|shelves| shelves.take_from_stock(ptr))
            .unwrap_or(false);
        if !from_stock {
            // SAFETY: `self` owns a strong count, so the allocation is alive;
            // the new count goes to the clone.
            unsafe { Arc::increment_strong_count(ptr) };
        }
        Self {
            ptr,
            owns: PhantomData,
        }
    }
}

impl<T: Lendable> Drop for Lent<T> {
    #[inline]
    fn drop(&mut self) {
        let ptr = self.ptr;
        let taken_back = T::shelves()
            .try_with(|shelves| shelves.take_back(ptr))
            .unwrap_or(false);
        if !taken_back {
            // SAFETY: this handle owns one strong count (the invariant) and
            // gives it up exactly once, here; no shelf took it.
            drop(unsafe { Arc::from_raw(ptr) });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier, Weak};

    use super::*;

    /// A value that counts its drops.
    struct Probe {
        id: usize,
        drops: Arc<AtomicUsize>,
    }

    impl Drop for Probe {
        fn drop(&mut self) {
            self.drops.fetch_add(1, Ordering::SeqCst);
        }
    }

    thread_local! {
        static PROBES: Shelves<Probe> = const { Shelves::new() };
    }

    impl Lendable for Probe {
        fn shelves() -> &'static LocalKey<Shelves<Self>> {
            &PROBES
        }
    }

    fn probe(id: usize, drops: &Arc<AtomicUsize>) -> Arc<Probe> {
        Arc::new(Probe {
            id,
            drops: Arc::clone(drops),
        })
    }

    /// Lends from `slot` as a publication at `version` would.
    fn lend(source: u64, version: u64, slot: &Option<Arc<Probe>>) -> Option<Lent<Probe>> {
        Lent::lend(source, version, || slot.clone())
    }

    /// Runs `body` on a fresh thread, so that its shelves start empty and
    /// are dropped (with their stock) when it ends.
    fn on_fresh_thread<R: Send>(body: impl FnOnce() -> R + Send) -> R {
        std::thread::scope(|scope| scope.spawn(body).join().expect("test thread panicked"))
    }

    #[test]
    fn a_read_at_an_unchanged_version_is_served_from_the_shelf() {
        on_fresh_thread(|| {
            let drops = Arc::new(AtomicUsize::new(0));
            let slot = Some(probe(1, &drops));
            let first = lend(1, 1, &slot).expect("a value");
            drop(first);
            // The shelf now holds the value (1) and one count in stock (1).
            let value = slot.as_ref().expect("a value");
            assert_eq!(Arc::strong_count(value), 3);
            let loads = AtomicUsize::new(0);
            let second = Lent::lend(1, 1, || {
                loads.fetch_add(1, Ordering::SeqCst);
                slot.clone()
            })
            .expect("a value");
            assert_eq!(loads.load(Ordering::SeqCst), 0, "the slot was read again");
            assert_eq!(second.id, 1);
            // The count came from stock: no new one was taken.
            assert_eq!(Arc::strong_count(value), 3);
        });
    }

    #[test]
    fn a_newer_version_is_read_from_the_slot_and_the_old_value_released() {
        let drops = Arc::new(AtomicUsize::new(0));
        let old = probe(1, &drops);
        let old_weak = Arc::downgrade(&old);
        let mut slot = Some(old);
        on_fresh_thread(|| {
            drop(lend(1, 1, &slot));
            slot = Some(probe(2, &drops));
            let lent = lend(1, 2, &slot).expect("a value");
            assert_eq!(lent.id, 2);
            assert!(
                old_weak.upgrade().is_none(),
                "the old value outlived its shelf"
            );
        });
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn an_empty_publication_lends_nothing_and_is_remembered_as_empty() {
        on_fresh_thread(|| {
            assert!(lend(1, 5, &None).is_none());
            let loads = AtomicUsize::new(0);
            let again = Lent::<Probe>::lend(1, 5, || {
                loads.fetch_add(1, Ordering::SeqCst);
                None
            });
            assert!(again.is_none());
            assert_eq!(loads.load(Ordering::SeqCst), 0);
        });
    }

    #[test]
    fn publications_have_shelves_of_their_own() {
        on_fresh_thread(|| {
            let drops = Arc::new(AtomicUsize::new(0));
            let slots: Vec<_> = (0..SHELVES + 2).map(|id| Some(probe(id, &drops))).collect();
            for round in 0..3 {
                for (source, slot) in slots.iter().enumerate() {
                    let lent = lend(source as u64 + 1, 1, slot).expect("a value");
                    assert_eq!(lent.id, source, "round {round}");
                }
            }
        });
    }

    #[test]
    fn a_clone_takes_from_stock_and_gives_back_to_it() {
        let drops = Arc::new(AtomicUsize::new(0));
        let slot = Some(probe(1, &drops));
        let value = Arc::clone(slot.as_ref().expect("a value"));
        on_fresh_thread(|| {
            let held = lend(1, 1, &slot).expect("a value");
            drop(lend(1, 1, &slot));
            // slot, `value`, the shelf's own, `held`, one in stock.
            assert_eq!(Arc::strong_count(&value), 5);
            let twin = held.clone();
            assert_eq!(Arc::strong_count(&value), 5, "the clone took a new count");
            let triplet = twin.clone();
            assert_eq!(Arc::strong_count(&value), 6, "the empty stock lent a count");
            drop((held, twin, triplet));
            assert_eq!(Arc::strong_count(&value), 6, "drops went past the stock");
        });
        // The thread's shelf gave back its own count and its stock.
        assert_eq!(Arc::strong_count(&value), 2);
        drop((slot, value));
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn the_least_recently_read_publication_is_evicted() {
        on_fresh_thread(|| {
            let drops = Arc::new(AtomicUsize::new(0));
            let slots: Vec<_> = (0..=SHELVES).map(|id| Some(probe(id, &drops))).collect();
            let loads = AtomicUsize::new(0);
            let read = |source: usize| {
                Lent::lend(source as u64 + 1, 1, || {
                    loads.fetch_add(1, Ordering::SeqCst);
                    slots[source].clone()
                })
                .expect("a value")
                .id
            };
            for source in 0..SHELVES {
                assert_eq!(read(source), source);
            }
            // Source 0 read again becomes the most recent; a new source
            // then evicts source 1, the least recently read.
            assert_eq!(read(0), 0);
            assert_eq!(read(SHELVES), SHELVES);
            let before = loads.load(Ordering::SeqCst);
            assert_eq!(read(0), 0);
            assert_eq!(loads.load(Ordering::SeqCst), before, "source 0 was evicted");
            assert_eq!(read(1), 1);
            assert_eq!(
                loads.load(Ordering::SeqCst),
                before + 1,
                "source 1 was kept"
            );
        });
    }

    #[test]
    fn into_arc_and_clone_keep_the_count_balanced() {
        let drops = Arc::new(AtomicUsize::new(0));
        let weak: Weak<Probe>;
        {
            let slot = Some(probe(1, &drops));
            weak = Arc::downgrade(slot.as_ref().expect("a value"));
            on_fresh_thread(|| {
                let lent = lend(1, 1, &slot).expect("a value");
                let twin = lent.clone();
                let arc = twin.into_arc();
                assert_eq!(arc.id, 1);
                drop(lent);
                let again = lend(1, 1, &slot).expect("a value");
                let third = again.clone();
                drop((again, third, arc));
            });
        }
        assert!(weak.upgrade().is_none(), "a count leaked");
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn stock_is_capped_and_handed_back_when_the_value_changes() {
        let drops = Arc::new(AtomicUsize::new(0));
        let first = probe(1, &drops);
        let weak = Arc::downgrade(&first);
        let mut slot = Some(first);
        on_fresh_thread(|| {
            let many: Vec<_> = (0..MAX_STOCK * 2)
                .map(|_| lend(1, 1, &slot).expect("a value"))
                .collect();
            drop(many);
            let value = slot.as_ref().expect("a value");
            // The slot's count, the shelf's own and a full stock.
            assert_eq!(Arc::strong_count(value), 2 + MAX_STOCK);
            slot = Some(probe(2, &drops));
            drop(lend(1, 2, &slot));
        });
        assert!(weak.upgrade().is_none(), "the old value's stock leaked");
        drop(slot);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
    }

    /// Values lent on one thread and dropped on others, while the value
    /// changes underneath: at the end every value was dropped exactly once.
    #[test]
    fn handles_crossing_threads_neither_leak_nor_drop_twice() {
        const VALUES: usize = 8;
        const READS: usize = if cfg!(miri) { 20 } else { 2_000 };
        let drops = Arc::new(AtomicUsize::new(0));
        let weaks: Vec<Weak<Probe>>;
        {
            let values: Vec<Arc<Probe>> = (0..VALUES).map(|id| probe(id, &drops)).collect();
            weaks = values.iter().map(Arc::downgrade).collect();
            let (sender, receiver) = std::sync::mpsc::channel::<Lent<Probe>>();
            let barrier = &Barrier::new(2);
            let values = &values;
            // Joined explicitly: a scope's implicit join may return before a
            // thread's thread-locals (its shelves) are destroyed.
            std::thread::scope(|scope| {
                let lender = scope.spawn(move || {
                    barrier.wait();
                    for read in 0..READS {
                        let version = (read * VALUES / READS) as u64;
                        let slot = Some(Arc::clone(&values[version as usize]));
                        let lent = lend(9, version, &slot).expect("a value");
                        assert_eq!(lent.id as u64, version);
                        if read % 3 == 0 {
                            sender.send(lent.clone()).expect("receiver alive");
                        }
                        if read % 5 == 0 {
                            sender.send(lent).expect("receiver alive");
                        }
                    }
                    drop(sender);
                });
                let borrower = scope.spawn(move || {
                    barrier.wait();
                    let mut kept = Vec::new();
                    for (count, lent) in receiver.iter().enumerate() {
                        // This thread reads too, so some handles land on a
                        // shelf holding their value and some do not.
                        let version = lent.id as u64;
                        let slot = Some(Arc::clone(&values[lent.id]));
                        drop(lend(9, version, &slot));
                        if count % 2 == 0 {
                            kept.push(lent);
                        }
                    }
                    drop(kept);
                });
                lender.join().expect("lending thread");
                borrower.join().expect("borrowing thread");
            });
        }
        for (id, weak) in weaks.iter().enumerate() {
            assert!(weak.upgrade().is_none(), "value {id} leaked");
        }
        assert_eq!(drops.load(Ordering::SeqCst), VALUES);
    }

    #[test]
    fn a_handle_outliving_its_thread_is_still_valid() {
        let drops = Arc::new(AtomicUsize::new(0));
        let slot = Some(probe(4, &drops));
        let lent = on_fresh_thread(|| {
            let lent = lend(3, 1, &slot).expect("a value");
            let spare = lent.clone();
            drop(spare);
            lent
        });
        drop(slot);
        // The thread and its shelf are gone; the handle alone keeps it.
        assert_eq!(lent.id, 4);
        assert_eq!(drops.load(Ordering::SeqCst), 0);
        drop(lent);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }
}
