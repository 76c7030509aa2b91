//! The demo's timeline on stdout, and a spinner on stderr while waiting
//! when stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The timeline on stdout, and a spinner on stderr while waiting when
/// stderr is a terminal.
#[derive(Debug)]
pub(super) struct Ui {
    pub(super) started: Instant,
    spinner: Option<(Arc<Mutex<Spinner>>, tokio::task::JoinHandle<()>)>,
}

#[derive(Debug, Default)]
struct Spinner {
    label: Option<(String, Instant)>,
    drawn: bool,
}

impl Spinner {
    /// Clears the spinner's line on stderr, if it drew one.
    fn wipe(&mut self) {
        if self.drawn {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[2K").and_then(|()| stderr.flush());
            self.drawn = false;
        }
    }
}

fn lock(spinner: &Mutex<Spinner>) -> MutexGuard<'_, Spinner> {
    spinner.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Ui {
    pub(super) fn new(started: Instant) -> Self {
        let spinner = std::io::stderr().is_terminal().then(|| {
            let state = Arc::new(Mutex::new(Spinner::default()));
            let task = tokio::spawn(spin(Arc::clone(&state)));
            (state, task)
        });
        Self { started, spinner }
    }

    /// A stage header.
    pub(super) fn stage(&self, number: usize, of: usize, name: &str, what: &str) {
        self.say_at(
            Instant::now(),
            "",
            &format!("== {number}/{of} {name}: {what}"),
        );
    }

    /// `[  1.234s] who       text`, timed now.
    pub(super) fn say(&self, who: &str, text: &str) {
        self.say_at(Instant::now(), who, text);
    }

    pub(super) fn say_at(&self, at: Instant, who: &str, text: &str) {
        let elapsed = at.saturating_duration_since(self.started).as_secs_f64();
        let line = if who.is_empty() {
            format!("[{elapsed:>7.3}s] {text}")
        } else {
            format!("[{elapsed:>7.3}s]    {who:<9} {text}")
        };
        self.plain(&line);
    }

    /// A line on stdout, after wiping the spinner.
    pub(super) fn plain(&self, line: &str) {
        // Held while printing, so the spinner cannot draw over the line.
        let guard = self.spinner.as_ref().map(|(state, _)| lock(state));
        if let Some(mut state) = guard {
            state.wipe();
            print_line(line);
        } else {
            print_line(line);
        }
    }

    /// What the spinner says, or nothing.
    pub(super) fn waiting(&self, label: Option<&str>) {
        if let Some((state, _)) = &self.spinner {
            let mut state = lock(state);
            state.label = label.map(|label| (label.to_owned(), Instant::now()));
            if label.is_none() {
                state.wipe();
            }
        }
    }
}

impl Drop for Ui {
    fn drop(&mut self) {
        self.waiting(None);
        if let Some((_, task)) = &self.spinner {
            task.abort();
        }
    }
}

fn print_line(line: &str) {
    let mut stdout = std::io::stdout().lock();
    // A closed stdout must not stop the demo: its checks still decide.
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}

async fn spin(state: Arc<Mutex<Spinner>>) {
    const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    for frame in FRAMES.iter().cycle() {
        tick.tick().await;
        let mut state = lock(&state);
        if let Some((label, since)) = &state.label {
            let text = format!(
                "\r\x1b[2K{frame} {label} {:.1} s",
                since.elapsed().as_secs_f64()
            );
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "{text}").and_then(|()| stderr.flush());
            state.drawn = true;
        }
    }
}
