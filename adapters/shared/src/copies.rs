//! Each thread's own copy of what a publication serves.
//!
//! Why: a handle that can be sent, cloned and held across an `.await` is a
//! reference count, and a count every thread increments on every read is
//! one cache line all cores write: the read gets slower as threads are
//! added. So each thread takes, once per publication and token, a
//! [`Copy`] of its own: one count on the published token and a header
//! value built for this thread alone. A read that finds the publication's
//! version unchanged clones the thread's `Copy` (a count only this thread
//! writes, so the cost does not grow with the number of threads) and never
//! touches the published token's count.
//!
//! A clone of the thread's `Copy` is still an atomic increment (and its
//! drop a decrement): uncontended, but the two cost more than the rest of
//! the read. So a thread also keeps back a few handles of its current
//! `Copy`: a [`TokenRef`](crate::TokenRef) dropped on the thread that got
//! it gives its handle back ([`give_back`]) instead of decrementing, and
//! the next read takes it ([`current`]) instead of incrementing. A read in
//! a loop then writes no atomic at all. A handle dropped on another thread,
//! or past [`SPARES`], is released as usual.
//!
//! What a thread keeps, and for how long: for each of the last [`SLOTS`]
//! publications it read, the version it last saw and that version's `Copy`
//! (one count on the published token, which keeps it in memory, and its
//! own `Bearer` header value, about as long as the token), with up to
//! [`SPARES`] handles of that `Copy` kept back. They stay until
//! the thread's next read of that publication after the token changed,
//! until it reads `SLOTS` other publications, or until the thread exits.
//! A withdrawn token may thus stay in the memory of a thread that stopped
//! reading; it is never served (every read compares the version first).
//! When the last handle goes, the token is zeroized (it is a
//! `SecretString`) and so is the thread's header value (its bytes are
//! owned by a `Zeroizing` buffer); the published token's own header value
//! is the `http` crate's and is not.

use std::cell::RefCell;
use std::sync::Arc;

use http::HeaderValue;
use revault_auth_core::AccessToken;
use zeroize::Zeroizing;

/// Publications a thread keeps a copy for; a thread reading more drops the
/// one it read least recently.
pub(crate) const SLOTS: usize = 4;

/// Handles of its current `Copy` a thread keeps back for its next reads:
/// as many `TokenRef`s as a thread holds at once (its requests in flight)
/// come back to it without an atomic write.
pub(crate) const SPARES: usize = 16;

/// One thread's copy of a published token: the token itself (one strong
/// count on the published `Arc`) and a header value no other thread holds.
///
/// Aligned to 128 bytes (two cache lines, which x86 prefetchers fetch in
/// pairs) so that the count in front of it never shares a line with
/// another thread's data: two threads' copies allocated side by side would
/// otherwise write one line and the read would stop being flat.
#[repr(align(128))]
pub(crate) struct Copy {
    token: Arc<AccessToken>,
    header: HeaderValue,
}

impl Copy {
    fn of(token: Arc<AccessToken>) -> Self {
        let header = own_header(token.header_value());
        Self { token, header }
    }

    pub(crate) fn token(&self) -> &Arc<AccessToken> {
        &self.token
    }

    pub(crate) fn header(&self) -> &HeaderValue {
        &self.header
    }
}

/// A copy of `shared` whose bytes are this copy's alone (cloning it counts
/// on a counter of its own) and are zeroized when its last clone is
/// dropped.
fn own_header(shared: &HeaderValue) -> HeaderValue {
    let bytes = bytes::Bytes::from_owner(OwnBytes(Zeroizing::new(shared.as_bytes().to_vec())));
    // The bytes were a valid header value already: this cannot fail, and
    // the shared value is a correct (if shared) fallback.
    let mut header = HeaderValue::from_maybe_shared(bytes).unwrap_or_else(|_| shared.clone());
    header.set_sensitive(true);
    header
}

/// A header value's bytes, zeroized on drop. `bytes` keeps the count of a
/// header's clones next to its owner: aligned like [`Copy`] for the same
/// reason.
#[repr(align(128))]
struct OwnBytes(Zeroizing<Vec<u8>>);

impl AsRef<[u8]> for OwnBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// What this thread last read from one publication.
struct Slot {
    /// The publication's process-unique id; 0 for an unused slot.
    source: u64,
    /// The publication's version when `copy` was made.
    version: u64,
    /// `None`: the publication served nothing at that version.
    copy: Option<Arc<Copy>>,
    /// Handles of `copy`, given back by dropped `TokenRef`s, for the next
    /// reads; room for [`SPARES`], made with the slot.
    spares: Vec<Arc<Copy>>,
}

impl Slot {
    const UNUSED: Self = Self {
        source: 0,
        version: 0,
        copy: None,
        spares: Vec::new(),
    };

    /// A handle of this slot's copy: a spare when there is one, else a
    /// clone.
    fn handle(&mut self) -> Option<Arc<Copy>> {
        let copy = self.copy.as_ref()?;
        Some(self.spares.pop().unwrap_or_else(|| Arc::clone(copy)))
    }
}

thread_local! {
    /// Most recently read first.
    static SLOTS_OF_THIS_THREAD: RefCell<[Slot; SLOTS]> =
        const { RefCell::new([Slot::UNUSED; SLOTS]) };
}

/// What `source` serves at `version`, from this thread's copy when it was
/// made at that version, else from `load()`, which must read the
/// publication *after* `version` was read (so a copy is never filed under
/// a newer version than its token).
#[inline]
pub(crate) fn current(
    source: u64,
    version: u64,
    load: impl FnOnce() -> Option<Arc<AccessToken>>,
) -> Option<Arc<Copy>> {
    debug_assert_ne!(source, 0, "source 0 marks an unused slot");
    let cached = SLOTS_OF_THIS_THREAD
        .try_with(|slots| {
            let mut slots = slots.try_borrow_mut().ok()?;
            let first = &mut slots[0];
            (first.source == source && first.version == version).then(|| first.handle())
        })
        .ok()
        .flatten();
    match cached {
        Some(copy) => copy,
        None => refresh(source, version, load),
    }
}

/// The slow path: another publication than the last one read, a new
/// version, or a thread being torn down.
#[cold]
fn refresh(
    source: u64,
    version: u64,
    load: impl FnOnce() -> Option<Arc<AccessToken>>,
) -> Option<Arc<Copy>> {
    if let Some(found) = promote(source, version) {
        return found;
    }
    let copy = load().map(|token| Arc::new(Copy::of(token)));
    let replaced = SLOTS_OF_THIS_THREAD.try_with(|slots| {
        let mut slots = slots.try_borrow_mut().ok()?;
        let index = slots
            .iter()
            .position(|slot| slot.source == source)
            .unwrap_or(SLOTS - 1);
        slots[..=index].rotate_right(1);
        let fresh = Slot {
            source,
            version,
            copy: copy.clone(),
            spares: Vec::with_capacity(SPARES),
        };
        Some(std::mem::replace(&mut slots[0], fresh))
    });
    // What the slot held is dropped here, outside the borrow.
    drop(replaced);
    copy
}

/// Moves `source`'s slot to the front if it was filled at `version`, and
/// returns its copy.
fn promote(source: u64, version: u64) -> Option<Option<Arc<Copy>>> {
    SLOTS_OF_THIS_THREAD
        .try_with(|slots| {
            let mut slots = slots.try_borrow_mut().ok()?;
            let index = slots
                .iter()
                .position(|slot| slot.source == source && slot.version == version)?;
            slots[..=index].rotate_right(1);
            Some(slots[0].handle())
        })
        .ok()
        .flatten()
}

/// Takes back a handle of a `Copy` this thread serves now, for its next
/// read; any other handle (another thread's copy, a replaced one, one past
/// [`SPARES`]) is released.
#[inline]
pub(crate) fn give_back(handle: Arc<Copy>) {
    let released = SLOTS_OF_THIS_THREAD
        .try_with(|slots| {
            let Ok(mut slots) = slots.try_borrow_mut() else {
                return Some(handle);
            };
            let first = &mut slots[0];
            let current = first
                .copy
                .as_ref()
                .is_some_and(|copy| Arc::ptr_eq(copy, &handle));
            if current && first.spares.len() < first.spares.capacity() {
                first.spares.push(handle);
                None
            } else {
                Some(handle)
            }
        })
        .ok()
        .flatten();
    // Released here, outside the borrow.
    drop(released);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_header_is_a_copy_of_the_shared_one() {
        let shared = HeaderValue::from_static("Bearer abc");
        let own = own_header(&shared);
        assert_eq!(own, shared);
        assert!(own.is_sensitive());
        assert_ne!(own.as_bytes().as_ptr(), shared.as_bytes().as_ptr());
    }

    /// A token, as a core serves it.
    fn token() -> Arc<AccessToken> {
        let config = revault_auth_core::Config::builder(
            "https://revault.invalid/v1/rest",
            "workspace",
            "key-id",
            revault_auth_core::ApiKeySecret::new("key-secret"),
        )
        .build()
        .expect("config");
        let mut harness =
            revault_auth_core::testing::Harness::new(config, std::time::Instant::now());
        harness.start();
        harness.advance(std::time::Duration::from_secs(1));
        Arc::new(harness.token().expect("a token").clone())
    }

    /// A handle of the thread's copy of what `source` serves at `version`.
    fn read(source: u64, version: u64, token: &Arc<AccessToken>) -> Arc<Copy> {
        current(source, version, || Some(Arc::clone(token))).expect("a copy")
    }

    #[test]
    fn a_handle_given_back_serves_the_next_read_without_a_new_count() {
        let published = token();
        let first = read(101, 1, &published);
        // The slot's own handle, `first` and `watch`.
        let watch = Arc::clone(&first);
        give_back(first);
        assert_eq!(Arc::strong_count(&watch), 3, "the handle was released");
        let second = read(101, 1, &published);
        assert_eq!(
            Arc::strong_count(&watch),
            3,
            "the read cloned instead of taking the spare"
        );
        assert!(Arc::ptr_eq(&second, &watch));
        give_back(second);
    }

    #[test]
    fn a_thread_keeps_back_at_most_spares_handles() {
        let published = token();
        let held: Vec<_> = (0..SPARES + 5).map(|_| read(102, 1, &published)).collect();
        let copy = Arc::clone(&held[0]);
        let all = Arc::strong_count(&copy);
        for handle in held {
            give_back(handle);
        }
        // The slot's own handle, `copy`, and SPARES kept back.
        assert_eq!(Arc::strong_count(&copy), 2 + SPARES);
        assert!(all > 2 + SPARES);
    }

    #[test]
    fn a_handle_of_a_replaced_copy_is_released_not_kept() {
        let old = token();
        let stale = read(103, 1, &old);
        let fresh = read(103, 2, &token());
        let watch = Arc::clone(&stale);
        give_back(stale);
        assert_eq!(
            Arc::strong_count(&watch),
            1,
            "a replaced copy was kept back"
        );
        give_back(fresh);
    }

    #[test]
    fn a_thread_reading_two_managers_in_turn_keeps_a_copy_of_each() {
        let (first, second) = (token(), token());
        let a = read(105, 1, &first);
        let b = read(106, 1, &second);
        // Back to the first manager: its copy is found again, not remade.
        let again = read(105, 1, &first);
        assert!(
            Arc::ptr_eq(&a, &again),
            "the first manager's copy was remade"
        );
        let b_again = read(106, 1, &second);
        assert!(
            Arc::ptr_eq(&b, &b_again),
            "the second manager's copy was remade"
        );
        for handle in [a, b, again, b_again] {
            give_back(handle);
        }
    }

    #[test]
    fn a_spare_is_never_served_for_a_newer_version() {
        let old = token();
        let handle = read(104, 1, &old);
        give_back(handle);
        let new = token();
        let served = read(104, 2, &new);
        assert!(Arc::ptr_eq(served.token(), &new));
        give_back(served);
    }
}
