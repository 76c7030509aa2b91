//! What a failed run reports: one `error:` line on stderr and an exit code.

use std::fmt;
use std::process::ExitCode;

/// The process exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Anything that is not one of the classes below.
    Other = 1,
    /// Usage or configuration error; nothing was sent.
    Usage = 2,
    /// revault-api rejected the credentials or the authentication request.
    Rejected = 3,
    /// Gave up on transient failures or invalid responses.
    GaveUp = 4,
}

/// The longest `error:` line printed.
const MAX_ERROR_CHARS: usize = 1000;

/// A failure to report: one `error:` line on stderr and an exit code.
#[derive(Debug)]
pub(crate) struct Failure {
    exit: Exit,
    message: String,
}

impl Failure {
    pub(crate) fn new(exit: Exit, message: impl fmt::Display) -> Self {
        Self {
            exit,
            message: message.to_string(),
        }
    }

    pub(crate) fn usage(message: impl fmt::Display) -> Self {
        Self::new(Exit::Usage, message)
    }

    pub(crate) fn other(message: impl fmt::Display) -> Self {
        Self::new(Exit::Other, message)
    }

    pub(crate) fn report(&self) -> ExitCode {
        // One line of reasonable length, whatever the message holds (values
        // are shown cut where they are quoted; this bounds the rest).
        let count = self.message.chars().count();
        let mut line: String = self
            .message
            .chars()
            .take(MAX_ERROR_CHARS)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if count > MAX_ERROR_CHARS {
            line.push_str(&format!("... ({count} characters in all)"));
        }
        eprintln!("error: {line}");
        ExitCode::from(self.exit as u8)
    }
}
