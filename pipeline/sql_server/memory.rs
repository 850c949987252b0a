//! Memory of the SQL endpoint: each connection's session has a share of its
//! own ([sql_server] session_memory_megabytes), drawn from one pool that
//! bounds all connections together ([query] memory_megabytes). A sort or an
//! aggregation that reaches either limit spills to disk; what cannot spill
//! stops that one statement with a clear error, and the others go on.

use datafusion::common::{DataFusionError, Result};
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryLimit, MemoryPool, MemoryReservation};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One connection's share of the endpoint's memory.
#[derive(Debug)]
pub struct SessionPool {
    total: Arc<dyn MemoryPool>,
    limit: usize,
    used: AtomicUsize,
}

impl SessionPool {
    pub fn new(total: Arc<dyn MemoryPool>, limit: usize) -> SessionPool {
        SessionPool { total, limit, used: AtomicUsize::new(0) }
    }
}

fn megabytes(bytes: usize) -> usize {
    bytes / (1024 * 1024)
}

impl std::fmt::Display for SessionPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "session pool: {} of {} MB in use", megabytes(self.reserved()), megabytes(self.limit))
    }
}

impl MemoryPool for SessionPool {
    fn name(&self) -> &str {
        "session"
    }

    fn register(&self, consumer: &MemoryConsumer) {
        self.total.register(consumer)
    }

    fn unregister(&self, consumer: &MemoryConsumer) {
        self.total.unregister(consumer)
    }

    fn grow(&self, reservation: &MemoryReservation, additional: usize) {
        self.used.fetch_add(additional, Ordering::Relaxed);
        self.total.grow(reservation, additional)
    }

    fn shrink(&self, reservation: &MemoryReservation, shrink: usize) {
        self.used.fetch_sub(shrink, Ordering::Relaxed);
        self.total.shrink(reservation, shrink)
    }

    fn try_grow(&self, reservation: &MemoryReservation, additional: usize) -> Result<()> {
        let limit = self.limit;
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(additional).filter(|&after| after <= limit)
            })
            .map_err(|_| {
                DataFusionError::ResourcesExhausted(format!(
                    "the statement needs more than this connection's {} MB ([sql_server] session_memory_megabytes); \
                     ask for fewer rows or columns, or aggregate first",
                    megabytes(limit)
                ))
            })?;
        self.total.try_grow(reservation, additional).map_err(|_| {
            self.used.fetch_sub(additional, Ordering::Relaxed);
            DataFusionError::ResourcesExhausted(format!(
                "the connections together hold all of the endpoint's {} MB ([query] memory_megabytes); \
                 try again when other statements have finished",
                match self.total.memory_limit() {
                    MemoryLimit::Finite(total) => megabytes(total).to_string(),
                    _ => "available".into(),
                }
            ))
        })
    }

    fn reserved(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    fn memory_limit(&self) -> MemoryLimit {
        MemoryLimit::Finite(self.limit)
    }
}
