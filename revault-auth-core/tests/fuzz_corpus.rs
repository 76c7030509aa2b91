//! Replays the checked-in fuzz corpus (`fuzz/corpus/<target>/`) as ordinary
//! tests, so every input the fuzzer found interesting keeps being checked
//! on stable, without cargo-fuzz.

mod common;

use std::fs;
use std::path::PathBuf;

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut inputs: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("corpus {}: {error}", dir.display()))
        .map(|entry| {
            let path = entry.expect("corpus entry").path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            (
                name.unwrap_or_default(),
                fs::read(&path).expect("corpus file"),
            )
        })
        .collect();
    inputs.sort();
    inputs
}

#[test]
fn drive_corpus_replays_cleanly() {
    let inputs = corpus("drive");
    assert!(inputs.len() >= 50, "corpus too small: {}", inputs.len());
    for (name, data) in inputs {
        let outcome = std::panic::catch_unwind(|| {
            revault_auth_core::testing::fuzz_drive(&data, common::epoch())
        });
        assert!(outcome.is_ok(), "drive corpus input {name} failed");
    }
}

#[test]
fn response_corpus_replays_cleanly() {
    let inputs = corpus("response");
    assert!(inputs.len() >= 50, "corpus too small: {}", inputs.len());
    for (name, data) in inputs {
        let outcome = std::panic::catch_unwind(|| {
            revault_auth_core::testing::fuzz_response(&data, common::epoch())
        });
        assert!(outcome.is_ok(), "response corpus input {name} failed");
    }
}
