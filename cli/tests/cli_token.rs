//! `revault-auth token` prints a valid access token and a newline, and
//! nothing else anywhere holds a secret, even with debug logs on.

mod cli_support;
mod common;

use std::time::Duration;

use cli_support::{against, assert_clean, emulator, printed_token, run};
use common::{SECRET, WORKSPACE};
use revault_auth_mock::TokenKind;

#[test]
fn token_prints_a_jwt_and_exits_0() {
    let server = emulator();

    let run = run(against(&server, &["-v", "token"]), Duration::from_secs(20));

    let token = printed_token(&run);
    let claims = server.claims(&token).expect("signed by the emulator");
    assert_eq!(claims.typ, TokenKind::Access);
    assert_eq!(claims.ws, WORKSPACE);
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.refresh_requests(), 0);

    // -v turned the logs on, and they hold no secret and no token.
    assert!(run.stderr.contains("DEBUG"), "{}", run.show());
    assert_clean("stderr", &run.stderr, &[&token], &run);
    assert!(!run.stdout.contains(SECRET));
}
