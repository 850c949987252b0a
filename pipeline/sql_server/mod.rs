//! `wmo-monitor sql-server`: the lake over the Postgres wire protocol, for the
//! analysts' own tools (psql, DBeaver, Metabase, Excel and Power BI through
//! their drivers, Python). A second front end on the engine `wmo-monitor sql`
//! uses: the same tables and views, the same read-only rule.
//!
//! Built on datafusion-postgres (pgwire, and its `pg_catalog` for the
//! clients' catalogue queries), with its open defaults closed: logins are
//! SCRAM-SHA-256 against the users file (`login`, `users`), only reading
//! passes (`guard`), a client on another machine must use TLS, and the number
//! of connections is bounded.

pub mod catalogue;
pub mod connection;
pub mod copy_out;
pub mod guard;
pub mod login;
pub mod memory;
pub mod running;
pub mod savepoints;
pub mod service;
pub mod users;

use crate::config::{Config, SqlServer};
use crate::engine::{self, Limits, session};
use crate::error::{Error, Result};
use connection::{Handlers, Registry, Shared};
use datafusion::execution::memory_pool::{GreedyMemoryPool, MemoryPool, TrackConsumersPool};
use datafusion::prelude::SessionContext;
use pgwire::api::ConnectionManager;
use rand::RngCore;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, RwLock};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use users::UsersFile;

/// The endpoint's settings, or why it cannot start.
pub fn settings(config: &Config) -> Result<&SqlServer> {
    config.sql_server.as_ref().ok_or_else(|| {
        Error::Invalid(format!(
            "{} has no [sql_server] table: add one (README, \"The SQL endpoint\") to switch the endpoint on",
            config.origin
        ))
    })
}

/// Serves until Ctrl-C or SIGTERM.
pub fn run(config: &Config) -> Result<()> {
    let settings = settings(config)?;
    session::runtime()?.block_on(async {
        let server = Server::bind(config, settings).await?;
        println!(
            "Serving the lake on {} ({}); stop with Ctrl-C.",
            server.address,
            if server.tls.is_some() { "TLS, or plain from this machine" } else { "plain, from this machine only" }
        );
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| Error::Invalid(format!("cannot wait for SIGTERM: {e}")))?;
        tokio::select! {
            result = server.serve() => result,
            _ = tokio::signal::ctrl_c() => Ok(()),
            _ = terminate.recv() => Ok(()),
        }
    })
}

/// Starts the endpoint on a thread and runtime of its own, as `serve` does
/// when `[sql_server]` is configured; returns where it listens, once it does.
pub fn start_in_background(config: &Config) -> Result<Option<SocketAddr>> {
    let Some(settings) = config.sql_server.clone() else {
        return Ok(None);
    };
    let config = config.clone();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("sql-server".into())
        .spawn(move || {
            let runtime = match session::runtime() {
                Ok(runtime) => runtime,
                Err(e) => {
                    let _ = sender.send(Err(e));
                    return;
                }
            };
            runtime.block_on(async {
                match Server::bind(&config, &settings).await {
                    Ok(server) => {
                        let _ = sender.send(Ok(server.address));
                        if let Err(e) = server.serve().await {
                            tracing::error!("sql-server stopped: {e}");
                        }
                    }
                    Err(e) => {
                        let _ = sender.send(Err(e));
                    }
                }
            });
        })
        .map_err(|e| Error::Invalid(format!("cannot start the SQL endpoint: {e}")))?;
    match receiver.recv() {
        Ok(Ok(address)) => Ok(Some(address)),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(Error::Invalid("the SQL endpoint stopped before it listened".into())),
    }
}

/// A bound endpoint, ready to serve.
pub struct Server {
    pub address: SocketAddr,
    config: Config,
    listener: TcpListener,
    tls: Option<pgwire::tokio::TlsAcceptor>,
    shared: Arc<Shared>,
    /// The lake as it was at the last look: a connection gets a session over
    /// the newest and keeps it.
    lake: Arc<RwLock<Arc<SessionContext>>>,
    limit: Arc<Semaphore>,
    max_connections: usize,
}

impl Server {
    /// Opens the engine over the lake and binds the port (port 0: any free one).
    pub async fn bind(config: &Config, settings: &SqlServer) -> Result<Server> {
        let users = UsersFile::open(&settings.users)?;
        if users.current().names().next().is_none() {
            tracing::warn!(
                "sql-server: {} holds no user, so nobody can log in: `wmo-monitor users add NAME`",
                settings.users.display()
            );
        }
        let tls = match (&settings.tls_cert, &settings.tls_key) {
            (Some(cert), Some(key)) => Some(tls_acceptor(cert, key)?),
            _ => None,
        };
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let total_memory: Arc<dyn MemoryPool> = Arc::new(TrackConsumersPool::new(
            GreedyMemoryPool::new(config.query_memory_bytes),
            std::num::NonZeroUsize::MIN,
        ));
        let shared = Arc::new(Shared {
            users: Arc::new(users),
            secret: Arc::new(secret),
            connections: Arc::new(ConnectionManager::new()),
            running: Arc::new(Registry::default()),
            total_memory,
            session_memory_bytes: settings.session_memory_bytes(config.query_memory_bytes),
            heavy_lane: Arc::new(Semaphore::new(settings.heavy_statements)),
            heavy_bytes: settings.heavy_megabytes.saturating_mul(1024 * 1024),
            timeout: config.query_timeout,
        });
        let listener = TcpListener::bind((settings.listen.as_str(), settings.port))
            .await
            .map_err(|e| Error::Invalid(format!("cannot listen on {}:{}: {e}", settings.listen, settings.port)))?;
        let address = listener.local_addr().map_err(|e| Error::Invalid(format!("cannot listen: {e}")))?;
        Ok(Server {
            address,
            config: config.clone(),
            listener,
            tls,
            shared,
            lake: Arc::new(RwLock::new(lake(config).await?)),
            limit: Arc::new(Semaphore::new(settings.max_connections)),
            max_connections: settings.max_connections,
        })
    }

    /// Accepts connections, each on a task of its own, until dropped; and
    /// looks at the lake every few seconds, so that a new ingest batch or
    /// compute run is seen by the next connection without a restart.
    pub async fn serve(self) -> Result<()> {
        tokio::spawn(refresh(self.config.clone(), self.lake.clone()));
        loop {
            let (socket, peer) = match self.listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!("sql-server: cannot accept a connection: {e}");
                    continue;
                }
            };
            let tls = self.tls.clone();
            let Ok(permit) = self.limit.clone().try_acquire_owned() else {
                // Still read: it may be a cancel request, which needs no connection of its own.
                let full = Arc::new(connection::Full::new(&self.shared, self.max_connections));
                tokio::spawn(async move {
                    let _ = pgwire::tokio::process_socket(socket, tls, full).await;
                });
                continue;
            };
            let lake = self.lake.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
            let handlers = match Handlers::new(&self.shared, &lake) {
                Ok(handlers) => Arc::new(handlers),
                Err(e) => {
                    tracing::warn!("sql-server: connection from {peer} refused: {e}");
                    continue;
                }
            };
            tokio::spawn(async move {
                if let Err(e) = pgwire::tokio::process_socket(socket, tls, handlers).await {
                    tracing::info!("sql-server: connection from {peer} ended: {e}");
                }
                drop(permit);
            });
        }
    }
}

/// The lake as it is now: the engine's tables and views, with `pg_catalog`.
/// Connections run on sessions of their own over it (`connection`).
async fn lake(config: &Config) -> Result<Arc<SessionContext>> {
    let ctx = engine::open(config, None, &Limits::of(config)).await?;
    datafusion_postgres::datafusion_pg_catalog::setup_pg_catalog(
        &ctx,
        engine::session::CATALOG,
        datafusion_postgres::datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider,
    )
    .map_err(|e| Error::Sql(format!("cannot set up pg_catalog: {e}")))?;
    catalogue::register(&ctx, config).await?;
    Ok(Arc::new(ctx))
}

/// What changes when the lake does: its committed batches and the parts of
/// its run records (compute, deliver, serve, signals).
fn lake_version(config: &Config) -> Result<Vec<usize>> {
    use crate::lake::schema::{BEREKENINGEN, SIGNALEN, UITVOERINGEN, VERZENDINGEN};
    let lake = crate::lake::Lake::of(config)?;
    let mut version = vec![lake.committed_ids()?.len()];
    for log in [&BEREKENINGEN, &VERZENDINGEN, &UITVOERINGEN, &SIGNALEN] {
        version.push(crate::lake::journal::parts(&lake, log)?.len());
    }
    Ok(version)
}

/// How often the endpoint looks for a new ingest batch or run.
const LOOK_EVERY: std::time::Duration = std::time::Duration::from_secs(3);

async fn refresh(config: Config, current: Arc<RwLock<Arc<SessionContext>>>) {
    let mut seen = lake_version(&config).ok();
    loop {
        tokio::time::sleep(LOOK_EVERY).await;
        let now = match lake_version(&config) {
            Ok(now) => now,
            Err(e) => {
                tracing::warn!("sql-server: cannot look at the lake: {e}");
                continue;
            }
        };
        if seen.as_ref() == Some(&now) {
            continue;
        }
        match lake(&config).await {
            Ok(lake) => {
                *current.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = lake;
                seen = Some(now);
                tracing::info!("sql-server: the lake changed; new connections see it");
            }
            Err(e) => tracing::warn!("sql-server: the lake changed but cannot be read yet: {e}"),
        }
    }
}

fn tls_acceptor(cert: &Path, key: &Path) -> Result<pgwire::tokio::TlsAcceptor> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| Error::Invalid(format!("sql_server.tls_cert {}: {e}", cert.display())))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| Error::Invalid(format!("sql_server.tls_key {}: {e}", key.display())))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| Error::Invalid(format!("sql_server TLS: {e}")))?;
    Ok(pgwire::tokio::TlsAcceptor::from(Arc::new(config)))
}
