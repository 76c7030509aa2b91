//! The cached read everyone makes, side by side with a peer library, in one
//! run: our `revault_auth::tokio::TokenManager::token()` against
//! `aliri_tokens::TokenWatcher::token()` (a `tokio::sync::watch` borrow),
//! both holding the same 512-byte token; then "authorize", what an API call
//! pays: the token and an `Authorization` header value ready to put on the
//! request (ours: `TokenRef::header_value()`, cloned; aliri's users build
//! `Bearer <token>` themselves). Beside them, two references: a safe
//! per-thread copy written by hand (each thread clones its own `Arc` of the
//! token and header, refreshed when a version moves), and the floor: one
//! relaxed load of a shared atomic through the same call path (an `async`
//! read awaited in the same loop). Each runs on one task, then on two tasks
//! at once, on a tokio runtime with two workers; with two tasks the time
//! reported is per call as each task sees it (the slower one), so a read
//! that does not scale shows up as a higher number at two tasks than at
//! one.
//!
//! Only public calls, no network: our manager gets its token from a
//! scripted transport, aliri's watcher from a constant token source.
//!
//! `cargo bench --bench read_peers`

use std::cell::RefCell;
use std::future::Future;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use aliri_tokens::TokenWatcher;
use aliri_tokens::backoff::ErrorBackoffConfig;
use aliri_tokens::jitter::NullJitter;
use aliri_tokens::sources::ConstTokenSource;
use criterion::Criterion;
use http::HeaderValue;
use revault_auth::core::testing::{ScriptedServer, ScriptedTransport};
use revault_auth::tokio::TokenManager;
use revault_auth::{ApiKeySecret, Config};
use tokio::runtime::Runtime;
use tokio::sync::Barrier;

/// The size of the access token both libraries serve.
const TOKEN_BYTES: usize = 512;

/// One library's ordinary read of its cached token, as a task makes it; it
/// returns the token's length so the read cannot be optimised away.
trait Read: Send + Sync + 'static {
    fn read(&self) -> impl Future<Output = usize> + Send;
}

/// The floor: a relaxed load of a shared atomic.
struct Floor(AtomicUsize);

impl Read for Floor {
    async fn read(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

struct RevaultAuth(TokenManager);

impl Read for RevaultAuth {
    async fn read(&self) -> usize {
        self.0
            .token()
            .await
            .map_or(0, |token| token.secret().expose_secret().len())
    }
}

/// The same manager's `try_token()` (never waits), to tell what the
/// `async` wrapper of `token()` adds.
struct RevaultAuthTry(TokenManager);

impl Read for RevaultAuthTry {
    async fn read(&self) -> usize {
        self.0
            .try_token()
            .map_or(0, |token| token.secret().expose_secret().len())
    }
}

/// The same manager's token with its ready `Authorization` value, as the
/// middleware puts it on a request.
struct RevaultAuthAuthorize(TokenManager);

impl Read for RevaultAuthAuthorize {
    async fn read(&self) -> usize {
        self.0.token().await.map_or(0, |token| {
            let header = token.header_value().clone();
            header.len() + usize::from(token.generation().get() == 0)
        })
    }
}

struct AliriTokens(TokenWatcher);

impl Read for AliriTokens {
    async fn read(&self) -> usize {
        self.0.token().access_token().as_str().len()
    }
}

/// aliri's token and the header its users build from it.
struct AliriTokensAuthorize(TokenWatcher);

impl Read for AliriTokensAuthorize {
    async fn read(&self) -> usize {
        let header = {
            let token = self.0.token();
            HeaderValue::try_from(format!("Bearer {}", token.access_token().as_str()))
        };
        header.map_or(0, |header| header.len())
    }
}

/// A token and its header value, as a per-thread copy holds them.
struct Copy {
    token: String,
    header: HeaderValue,
}

/// The reference design written by hand, with nothing but safe `std`: a
/// version and the published copy; each thread clones the published copy
/// into a fresh `Arc` of its own when the version moved, and a read clones
/// that thread's `Arc` (a count no other thread writes).
struct PerThreadCopy {
    version: AtomicU64,
    published: std::sync::Mutex<Arc<Copy>>,
}

thread_local! {
    static THREAD_COPY: RefCell<Option<(u64, Arc<Copy>)>> = const { RefCell::new(None) };
}

impl PerThreadCopy {
    fn new(token: &str) -> Self {
        let header = HeaderValue::try_from(format!("Bearer {token}")).expect("a header value");
        Self {
            version: AtomicU64::new(1),
            published: std::sync::Mutex::new(Arc::new(Copy {
                token: token.to_owned(),
                header,
            })),
        }
    }

    fn current(&self) -> Arc<Copy> {
        let version = self.version.load(Ordering::Acquire);
        THREAD_COPY.with(|copy| {
            if let Some((seen, copy)) = &*copy.borrow()
                && *seen == version
            {
                return Arc::clone(copy);
            }
            let published = Arc::clone(&self.published.lock().expect("not poisoned"));
            let own = Arc::new(Copy {
                token: published.token.clone(),
                header: HeaderValue::from_bytes(published.header.as_bytes()).expect("a header"),
            });
            *copy.borrow_mut() = Some((version, Arc::clone(&own)));
            own
        })
    }
}

struct PerThreadCopyToken(PerThreadCopy);

impl Read for PerThreadCopyToken {
    async fn read(&self) -> usize {
        self.0.current().token.len()
    }
}

struct PerThreadCopyAuthorize(PerThreadCopy);

impl Read for PerThreadCopyAuthorize {
    async fn read(&self) -> usize {
        let copy = self.0.current();
        let header = copy.header.clone();
        header.len() + usize::from(copy.token.is_empty())
    }
}

/// `iters` reads on each of `tasks` tasks started together; the slowest
/// task's time.
fn time_tasks<R: Read>(runtime: &Runtime, reader: &Arc<R>, tasks: usize, iters: u64) -> Duration {
    runtime.block_on(async {
        let start = Arc::new(Barrier::new(tasks));
        let running: Vec<_> = (0..tasks)
            .map(|_| {
                let reader = Arc::clone(reader);
                let start = Arc::clone(&start);
                tokio::spawn(async move {
                    start.wait().await;
                    let began = Instant::now();
                    for _ in 0..iters {
                        black_box(reader.read().await);
                    }
                    began.elapsed()
                })
            })
            .collect();
        let mut slowest = Duration::ZERO;
        for task in running {
            slowest = slowest.max(task.await.expect("a read task panicked"));
        }
        slowest
    })
}

fn bench<R: Read>(c: &mut Criterion, runtime: &Runtime, name: &str, reader: R) {
    let reader = Arc::new(reader);
    for (tasks, group) in [(1, "read_peers/1_task"), (2, "read_peers/2_tasks")] {
        let mut group = c.benchmark_group(group);
        group.bench_function(name, |b| {
            b.iter_custom(|iters| time_tasks(runtime, &reader, tasks, iters));
        });
        group.finish();
    }
}

/// Our manager with a cached token of `TOKEN_BYTES` bytes, from a scripted
/// transport, and that token's text.
fn revault_auth(runtime: &Runtime) -> (TokenManager, String) {
    let config = Config::builder(
        "https://revault.invalid/v1/rest",
        "bench-workspace",
        "bench-key-id",
        ApiKeySecret::new("bench-key-secret-0123456789"),
    )
    .build()
    .expect("config");
    let mut server = ScriptedServer::for_config(&config).with_lifetimes(3600.0, 7200.0);
    // Tokens are issued as `{prefix}-access-{n}`; the first is number 1.
    server.token_prefix = "x".repeat(TOKEN_BYTES - "-access-1".len());
    let transport = ScriptedTransport::new(server, SystemTime::now);
    let manager = {
        let _entered = runtime.enter();
        TokenManager::with_transport(config, transport).expect("runtime")
    };
    let token = runtime
        .block_on(manager.token_owned())
        .expect("a token")
        .secret()
        .expose_secret()
        .to_owned();
    assert_eq!(token.len(), TOKEN_BYTES);
    (manager, token)
}

/// aliri's watcher serving `token`. Its constant source says the token is
/// valid for 60 s, so the watcher's task republishes it every 45 s: a write
/// the run may see once, as a real deployment would.
fn aliri_tokens(runtime: &Runtime, token: String) -> TokenWatcher {
    runtime
        .block_on(TokenWatcher::spawn_from_token_source(
            ConstTokenSource::new(token),
            NullJitter,
            ErrorBackoffConfig::default(),
        ))
        .unwrap_or_else(|never| match never {})
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (manager, token) = revault_auth(&runtime);
    let watcher = aliri_tokens(&runtime, token.clone());

    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    bench(
        &mut criterion,
        &runtime,
        "atomic_load_floor",
        Floor(AtomicUsize::new(TOKEN_BYTES)),
    );
    bench(
        &mut criterion,
        &runtime,
        "revault_auth_token",
        RevaultAuth(manager.clone()),
    );
    bench(
        &mut criterion,
        &runtime,
        "per_thread_copy_token",
        PerThreadCopyToken(PerThreadCopy::new(&token)),
    );
    bench(
        &mut criterion,
        &runtime,
        "revault_auth_try_token",
        RevaultAuthTry(manager.clone()),
    );
    bench(
        &mut criterion,
        &runtime,
        "aliri_tokens_token",
        AliriTokens(watcher.clone()),
    );
    bench(
        &mut criterion,
        &runtime,
        "per_thread_copy_authorize",
        PerThreadCopyAuthorize(PerThreadCopy::new(&token)),
    );
    bench(
        &mut criterion,
        &runtime,
        "revault_auth_authorize",
        RevaultAuthAuthorize(manager),
    );
    bench(
        &mut criterion,
        &runtime,
        "aliri_tokens_authorize",
        AliriTokensAuthorize(watcher),
    );
    criterion.final_summary();
}
