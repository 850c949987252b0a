//! One client connection: its own session over the shared lake (so its memory
//! is bounded on its own, and its settings stay its own), the statement it
//! runs (for the log line with rows and duration), and how a cancel request
//! reaches that statement while its rows are still being sent.

use super::guard::Guard;
use super::login::Login;
use super::memory::SessionPool;
use super::running::Watch;
use super::service::Service;
use crate::error::{Context, Result};
use async_trait::async_trait;
use bytes::Bytes;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::memory_pool::MemoryPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::SessionContext;
use datafusion_postgres::DfSessionService;
use datafusion_postgres::hooks::QueryHook;
use datafusion_postgres::hooks::cursor::CursorStatementHook;
use datafusion_postgres::hooks::set_show::SetShowHook;
use datafusion_postgres::hooks::transactions::TransactionStatementHook;
use futures::Sink;
use pgwire::api::auth::StartupHandler;
use pgwire::api::cancel::CancelHandler;
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::{ClientInfo, ConnectionManager, PgWireServerHandlers};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::cancel::CancelRequest;
use pgwire::messages::startup::SecretKey;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// What the whole endpoint shares with each connection.
pub struct Shared {
    pub users: Arc<super::users::UsersFile>,
    /// Keyed random bytes for the fake salt of an unknown user.
    pub secret: Arc<[u8; 32]>,
    /// pgwire's registry: a cancel request stops a statement that is still
    /// being planned.
    pub connections: Arc<ConnectionManager>,
    /// Ours: a cancel request stops a statement whose rows are being sent.
    pub running: Arc<Registry>,
    /// `[query] memory_megabytes`: what all connections together may hold.
    pub total_memory: Arc<dyn MemoryPool>,
    pub session_memory_bytes: usize,
    /// Statements that read much of the lake run this many at a time.
    pub heavy_lane: Arc<tokio::sync::Semaphore>,
    pub heavy_bytes: u64,
    pub timeout: Duration,
}

/// A statement the guard let through, until its rows are sent.
pub struct Pending {
    pub user: String,
    pub text: String,
    pub began: Instant,
}

/// One connection's state.
pub struct Connection {
    /// Set by the guard, taken by the plan that runs it.
    pending: Mutex<Option<Pending>>,
    /// Counts the cancel requests; a running statement stops when it moves.
    cancels: watch::Sender<u64>,
    /// Where the login registered this connection for cancel requests.
    key: Mutex<Option<(i32, Bytes)>>,
    registry: Arc<Registry>,
}

impl Connection {
    fn new(registry: Arc<Registry>) -> Arc<Connection> {
        Arc::new(Connection {
            pending: Mutex::new(None),
            cancels: watch::Sender::new(0),
            key: Mutex::new(None),
            registry,
        })
    }

    pub fn admit(&self, user: &str, text: String) {
        *lock(&self.pending) = Some(Pending { user: user.to_string(), text, began: Instant::now() });
    }

    pub fn take_pending(&self) -> Option<Pending> {
        lock(&self.pending).take()
    }

    /// Marked as seen: only a cancel that comes later stops the statement.
    pub fn cancel_signal(&self) -> watch::Receiver<u64> {
        self.cancels.subscribe()
    }

    /// Makes this connection reachable by a cancel request with this pid and key.
    pub fn register(self: &Arc<Self>, pid: i32, key: &SecretKey) {
        let key = (pid, key.to_bytes());
        lock(&self.registry.connections).insert(key.clone(), Arc::downgrade(self));
        *lock(&self.key) = Some(key);
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let Some(key) = lock(&self.key).take() {
            lock(&self.registry.connections).remove(&key);
        }
    }
}

/// The logged-in connections, by the pid and key their client got.
#[derive(Default)]
pub struct Registry {
    connections: Mutex<HashMap<(i32, Bytes), Weak<Connection>>>,
}

// A panic while holding one of these locks leaves a whole value behind.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A cancel request stops the statement both where pgwire waits for its plan
/// and where its rows are sent.
pub struct CancelRequests {
    connections: Arc<ConnectionManager>,
    running: Arc<Registry>,
}

#[async_trait]
impl CancelHandler for CancelRequests {
    async fn on_cancel_request(&self, request: CancelRequest) {
        self.connections.cancel(request.pid, &request.secret_key).await;
        let key = (request.pid, request.secret_key.to_bytes());
        let connection = lock(&self.running.connections).get(&key).and_then(Weak::upgrade);
        if let Some(connection) = connection {
            connection.cancels.send_modify(|count| *count += 1);
            tracing::info!("sql-server: a cancel request for connection {} was honoured", request.pid);
        }
    }
}

/// The handlers of one connection, built when it is accepted.
pub struct Handlers {
    service: Arc<Service>,
    login: Arc<Login>,
    cancel: Arc<CancelRequests>,
}

impl Handlers {
    /// A session of its own over `lake` (the engine's tables and views with
    /// `pg_catalog`), bounded by this connection's share of memory.
    pub fn new(shared: &Shared, lake: &SessionContext) -> Result<Handlers> {
        let connection = Connection::new(shared.running.clone());
        let pool = SessionPool::new(shared.total_memory.clone(), shared.session_memory_bytes);
        let runtime = RuntimeEnvBuilder::from_runtime_env(lake.runtime_env().as_ref())
            .with_memory_pool(Arc::new(pool))
            .build_arc()
            .context("cannot set up a session for a connection")?;
        let state = SessionStateBuilder::new_from_existing(lake.state())
            .with_runtime_env(runtime)
            .with_physical_optimizer_rule(Arc::new(Watch {
                timeout: shared.timeout,
                connection: connection.clone(),
                heavy_bytes: shared.heavy_bytes,
                heavy_lane: shared.heavy_lane.clone(),
            }))
            .build();
        let hooks: Vec<Arc<dyn QueryHook>> = vec![
            Arc::new(Guard { timeout: shared.timeout, connection: connection.clone() }),
            Arc::new(super::copy_out::CopyOut),
            Arc::new(super::savepoints::Savepoints),
            Arc::new(CursorStatementHook),
            Arc::new(SetShowHook),
            Arc::new(TransactionStatementHook),
        ];
        let ctx = Arc::new(SessionContext::new_with_state(state));
        Ok(Handlers {
            service: Arc::new(Service::new(DfSessionService::new_with_hooks(ctx, hooks))),
            login: Arc::new(Login::new(
                shared.users.clone(),
                shared.secret.clone(),
                shared.connections.clone(),
                connection,
            )),
            cancel: Arc::new(CancelRequests {
                connections: shared.connections.clone(),
                running: shared.running.clone(),
            }),
        })
    }
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        self.service.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        self.service.clone()
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        self.login.clone()
    }

    fn cancel_handler(&self) -> Arc<impl CancelHandler> {
        self.cancel.clone()
    }

    fn error_handler(&self) -> Arc<impl pgwire::api::ErrorHandler> {
        Arc::new(super::running::StatementErrors)
    }
}

/// The handlers of a connection past `max_connections`: a cancel request is
/// still honoured (it comes on a connection of its own), a login is refused.
pub struct Full {
    cancel: Arc<CancelRequests>,
    refuse: Arc<TooMany>,
}

impl Full {
    pub fn new(shared: &Shared, max_connections: usize) -> Full {
        Full {
            cancel: Arc::new(CancelRequests {
                connections: shared.connections.clone(),
                running: shared.running.clone(),
            }),
            refuse: Arc::new(TooMany { max_connections }),
        }
    }
}

impl PgWireServerHandlers for Full {
    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        self.refuse.clone()
    }

    fn cancel_handler(&self) -> Arc<impl CancelHandler> {
        self.cancel.clone()
    }
}

pub struct TooMany {
    max_connections: usize,
}

#[async_trait]
impl StartupHandler for TooMany {
    async fn on_startup<C>(&self, client: &mut C, _message: PgWireFrontendMessage) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: std::fmt::Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        tracing::warn!("sql-server: connection from {} refused: all connections are in use", client.socket_addr());
        Err(PgWireError::UserError(Box::new(ErrorInfo::new(
            "FATAL".into(),
            "53300".into(),
            format!(
                "too many connections: the endpoint allows {} at a time ([sql_server] max_connections); try again shortly",
                self.max_connections
            ),
        ))))
    }
}
