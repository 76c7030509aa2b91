//! The end-to-end tests' shared fixtures (the emulator settings and the
//! distinctive secrets the secret-hygiene checks search for), taken from the
//! repository's `tests/common` so the CLI tests and the library's tests
//! cannot drift apart.

#[path = "../../../tests/common/mod.rs"]
mod shared;

pub(crate) use shared::*;
