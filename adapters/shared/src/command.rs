//! What a handle of an async manager asks of its driver, and how the
//! driver applies it to the core: the same for every runtime.

use std::time::{Instant, SystemTime};

use revault_auth_core::{
    ApiKeySecret, AuthCore, ConfigError, SavedTokens, TokenError, TokenGeneration,
};
use tokio::sync::oneshot;

/// A request from a handle to its driver.
#[derive(Debug)]
pub enum Command {
    /// First demand for a token.
    Start,
    /// revault-api answered 401 to this token generation.
    Rejected(TokenGeneration),
    /// A new API key; answers whether the core took it.
    UpdateApiKey(
        String,
        ApiKeySecret,
        oneshot::Sender<Result<(), ConfigError>>,
    ),
    /// Install saved tokens; answers whether anything was installed.
    Restore(Box<SavedTokens>, oneshot::Sender<bool>),
    /// Snapshot the tokens for a token store.
    Export(oneshot::Sender<Option<SavedTokens>>),
    /// Stop for good.
    Shutdown,
}

/// What the driver does once a command is applied.
#[derive(Debug)]
#[must_use]
pub enum Applied {
    /// Carry on (drain the core as after any input).
    Continue,
    /// Drain the core, then send this answer: the caller then sees what the
    /// command published.
    Answer(Answer),
    /// Stop the driver.
    Stop,
}

/// An answer to send once the core is drained.
#[derive(Debug)]
pub struct Answer(Reply);

#[derive(Debug)]
enum Reply {
    ApiKey(
        oneshot::Sender<Result<(), ConfigError>>,
        Result<(), ConfigError>,
    ),
    Restored(oneshot::Sender<bool>, bool),
    Exported(oneshot::Sender<Option<SavedTokens>>, Option<SavedTokens>),
}

impl Answer {
    /// Sends it (a caller that gave up is not an error).
    pub fn send(self) {
        let _ = match self.0 {
            Reply::ApiKey(to, taken) => to.send(taken).is_ok(),
            Reply::Restored(to, installed) => to.send(installed).is_ok(),
            Reply::Exported(to, saved) => to.send(saved).is_ok(),
        };
    }
}

impl Command {
    /// Applies this command to `core`, the clocks read at `now`/`wall`.
    pub fn apply(self, core: &mut AuthCore, now: Instant, wall: SystemTime) -> Applied {
        let reply = match self {
            Self::Start => {
                core.start(now);
                return Applied::Continue;
            }
            Self::Rejected(generation) => {
                core.handle_rejected(generation, now);
                return Applied::Continue;
            }
            Self::Shutdown => return Applied::Stop,
            Self::UpdateApiKey(id, secret, to) => {
                Reply::ApiKey(to, core.update_api_key(id, secret, now))
            }
            Self::Restore(saved, to) => Reply::Restored(to, core.restore(*saved, now, wall)),
            Self::Export(to) => Reply::Exported(to, core.export(now, wall)),
        };
        Applied::Answer(Answer(reply))
    }
}

/// A handle's side of `update_api_key`: `send` hands the command to the
/// driver (false once it has stopped).
pub async fn update_api_key(
    send: impl FnOnce(Command) -> bool,
    api_key_id: String,
    api_key_secret: ApiKeySecret,
) -> Result<(), TokenError> {
    let (answer, answered) = oneshot::channel();
    if !send(Command::UpdateApiKey(api_key_id, api_key_secret, answer)) {
        return Err(TokenError::Closed);
    }
    answered.await.map_err(|_| TokenError::Closed)??;
    Ok(())
}

/// A handle's side of `restore`.
pub async fn restore(send: impl FnOnce(Command) -> bool, saved: SavedTokens) -> bool {
    let (answer, answered) = oneshot::channel();
    send(Command::Restore(Box::new(saved), answer)) && answered.await.unwrap_or(false)
}

/// A handle's side of `export`.
pub async fn export(send: impl FnOnce(Command) -> bool) -> Option<SavedTokens> {
    let (answer, answered) = oneshot::channel();
    if !send(Command::Export(answer)) {
        return None;
    }
    answered.await.ok().flatten()
}
