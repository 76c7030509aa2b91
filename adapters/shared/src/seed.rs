//! The seed a manager hands its core
//! ([`AuthCore::new_seeded`](revault_auth_core::AuthCore::new_seeded)) so
//! that the managers of a fleet, started together and refused together,
//! each draw their own jitter instead of acting at one instant.

use std::hash::{BuildHasher, RandomState};

/// A seed drawn from the operating system, with std only: the standard
/// library seeds every `RandomState` from the OS's randomness (once per
/// thread, then a fresh key per call), so two processes, and two calls in
/// one process, get different seeds.
pub fn os_seed() -> u64 {
    RandomState::new().hash_one(std::process::id())
}

#[cfg(test)]
mod tests {
    use super::os_seed;

    #[test]
    fn two_draws_differ() {
        let draws: std::collections::HashSet<u64> = (0..16).map(|_| os_seed()).collect();
        assert_eq!(draws.len(), 16);
    }
}
