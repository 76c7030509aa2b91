//! The emulator's request log: what it records of each auth request, and
//! a cursor that hands out each entry once it got its outcome.

use std::time::{Duration, Instant};

use crate::fault::Fault;
use crate::spec::Endpoint;

/// One auth request as seen by the emulator. Secrets and tokens are never recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedRequest {
    /// Which endpoint was called.
    pub endpoint: Endpoint,
    /// When the request arrived (before its body was read).
    pub at: Instant,
    /// The status answered; `None` when no answer was sent (connection closed by a fault,
    /// or the client went away while the answer was delayed).
    pub status: Option<u16>,
    /// The `workspace` of the request body, when it was a string.
    pub workspace: Option<String>,
    /// The `apiKeyId` of the request body for `/auth/token`; for `/auth/token/refresh`, the
    /// key id the refresh token was issued to (when the token's signature is valid).
    pub api_key_id: Option<String>,
    /// The fault applied to this request, if any.
    pub fault: Option<Fault>,
}

/// Which entries of the emulator's log were already handed out: for a
/// reporter that shows each request once, when its outcome is known.
#[derive(Debug, Default)]
pub struct LogCursor {
    /// Entries before this index were seen at least once.
    next: usize,
    /// Seen but not settled yet.
    pending: Vec<usize>,
}

/// An entry still without an outcome this long after it arrived never
/// gets one (its client went away).
const ABANDONED: Duration = Duration::from_secs(5);

impl LogCursor {
    /// The entries of `log` (a [`MockState::log`](crate::MockState::log)
    /// read now) that got their outcome since the last call, in log order.
    pub fn settled(&mut self, log: &[LoggedRequest]) -> Vec<LoggedRequest> {
        let candidates: Vec<usize> = self.pending.drain(..).chain(self.next..log.len()).collect();
        self.next = self.next.max(log.len());
        let mut done = Vec::new();
        for index in candidates {
            let Some(request) = log.get(index) else {
                continue;
            };
            let settled = request.status.is_some()
                || request.fault.is_some()
                || request.at.elapsed() > ABANDONED;
            if settled {
                done.push(request.clone());
            } else {
                self.pending.push(index);
            }
        }
        done
    }
}
