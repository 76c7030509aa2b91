//! A secret pasted where the subcommand goes is not printed back: the
//! error says the subcommand is unknown and lists the real ones.

mod cli_support;
mod common;

use std::time::Duration;

use cli_support::{bare, run};

#[test]
fn an_unknown_subcommand_is_refused_without_echoing_it() {
    for typed in ["Zq9-pasted-secret-value", "tokne", "wtach"] {
        let run = run(bare(&[typed]), Duration::from_secs(10));
        assert_eq!(run.code(), Some(2), "{}", run.show());
        assert!(
            !run.stderr.contains(typed),
            "{typed} echoed: {}",
            run.show()
        );
        assert!(
            !run.stdout.contains(typed),
            "{typed} echoed: {}",
            run.show()
        );
        assert!(run.stderr.contains("subcommand"), "{}", run.show());
        assert!(
            run.stderr.contains("token"),
            "the real ones listed: {}",
            run.show()
        );
    }
}
