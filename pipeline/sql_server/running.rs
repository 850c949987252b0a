//! A statement of the endpoint while it runs, on both protocol paths: the
//! last physical optimiser rule puts every plan under a [`RunningExec`],
//! which stops its rows with an error once `[query] timeout_seconds` have
//! passed or a cancel request came, and logs the statement with its user,
//! rows and duration when it ends. (datafusion-postgres bounds planning only,
//! and pgwire's cancel reaches planning only: a portal's rows were bounded by
//! neither.)

use super::connection::{Connection, Pending};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::config::ConfigOptions;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::execution_plan::{ChildrenPropertiesMode, ReplaceChildrenOptions};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PhysicalExpr, PlanProperties};
use futures::StreamExt;
use pgwire::api::{ClientInfo, ErrorHandler};
use pgwire::error::{ErrorInfo, PgWireError};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Puts the plan of one connection under a [`RunningExec`].
pub struct Watch {
    pub timeout: Duration,
    pub connection: Arc<Connection>,
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Watch({} s)", self.timeout.as_secs())
    }
}

impl PhysicalOptimizerRule for Watch {
    fn optimize(&self, plan: Arc<dyn ExecutionPlan>, _config: &ConfigOptions) -> Result<Arc<dyn ExecutionPlan>> {
        // Once is enough (the rule may see a plan it has already put under one).
        if plan.name() == "RunningExec" {
            return Ok(plan);
        }
        // One stream, so that the log line counts every row once.
        let plan: Arc<dyn ExecutionPlan> = if plan.properties().output_partitioning().partition_count() > 1 {
            Arc::new(CoalescePartitionsExec::new(plan))
        } else {
            plan
        };
        Ok(Arc::new(RunningExec {
            properties: plan.properties().clone(),
            input: plan,
            timeout: self.timeout,
            connection: self.connection.clone(),
        }))
    }

    fn name(&self) -> &str {
        "running_statement"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// Passes its input's rows on until the time limit or a cancel request, then
/// ends with an error.
#[derive(Clone)]
pub struct RunningExec {
    input: Arc<dyn ExecutionPlan>,
    properties: Arc<PlanProperties>,
    timeout: Duration,
    connection: Arc<Connection>,
}

impl std::fmt::Debug for RunningExec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RunningExec({} s)", self.timeout.as_secs())
    }
}

impl DisplayAs for RunningExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RunningExec: {} s", self.timeout.as_secs())
    }
}

impl ExecutionPlan for RunningExec {
    fn name(&self) -> &str {
        "RunningExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.len() != 1 {
            return Err(DataFusionError::Internal("RunningExec has one child".into()));
        }
        let input = children.swap_remove(0);
        let properties = match options.children_properties {
            ChildrenPropertiesMode::Keep => self.properties.clone(),
            ChildrenPropertiesMode::Recompute => input.properties().clone(),
        };
        Ok(Arc::new(RunningExec { input, properties, timeout: self.timeout, connection: self.connection.clone() }))
    }

    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        let schema = input.schema();
        let running = Running {
            input,
            deadline: tokio::time::Instant::now() + self.timeout,
            timeout: self.timeout,
            cancels: self.connection.cancel_signal(),
            tally: Tally { statement: self.connection.take_pending(), rows: 0, ended: None },
        };
        let rows = futures::stream::unfold(Some(running), |running| async move {
            let mut running = running?;
            let next = tokio::select! {
                biased;
                () = cancelled(&mut running.cancels) => Err("cancelled at the client's request".to_string()),
                () = tokio::time::sleep_until(running.deadline) => Err(format!("stopped after {} s", running.timeout.as_secs())),
                batch = running.input.next() => Ok(batch),
            };
            match next {
                Ok(Some(Ok(batch))) => {
                    running.tally.rows += batch.num_rows();
                    Some((Ok(batch), Some(running)))
                }
                Ok(Some(Err(e))) => {
                    running.tally.ended = Some(Ended::Stopped(first_line(&e.to_string())));
                    Some((Err(e), None))
                }
                Ok(None) => {
                    running.tally.ended = Some(Ended::Whole);
                    None
                }
                Err(why) => {
                    let error = if why.starts_with("cancelled") {
                        DataFusionError::Execution(CANCELLED.into())
                    } else {
                        DataFusionError::Execution(crate::engine::statement::stopped(running.timeout).to_string())
                    };
                    running.tally.ended = Some(Ended::Stopped(why));
                    Some((Err(error), None))
                }
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, rows)))
    }
}

fn rows(count: usize) -> String {
    if count == 1 { "1 row".into() } else { format!("{count} rows") }
}

/// Resolves when a cancel request comes for this connection.
async fn cancelled(cancels: &mut watch::Receiver<u64>) {
    if cancels.changed().await.is_err() {
        // The connection is gone, and with it every cancel.
        std::future::pending::<()>().await
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_string()
}

struct Running {
    input: SendableRecordBatchStream,
    deadline: tokio::time::Instant,
    timeout: Duration,
    cancels: watch::Receiver<u64>,
    tally: Tally,
}

/// The statement's log line, written when its rows end, however they end
/// (a client that leaves midway drops them).
struct Tally {
    statement: Option<Pending>,
    rows: usize,
    ended: Option<Ended>,
}

enum Ended {
    Whole,
    Stopped(String),
}

impl Drop for Tally {
    fn drop(&mut self) {
        let Some(statement) = self.statement.take() else {
            return;
        };
        let milliseconds = statement.began.elapsed().as_millis();
        let why = match &self.ended {
            Some(Ended::Whole) => None,
            Some(Ended::Stopped(why)) => Some(why.as_str()),
            None => Some("the client stopped reading"),
        };
        match why {
            None => tracing::info!(
                "sql-server: {} ran {}: {} in {} ms",
                statement.user,
                statement.text,
                rows(self.rows),
                milliseconds
            ),
            Some(why) => tracing::warn!(
                "sql-server: {} ran {}: {why}, after {} in {} ms",
                statement.user,
                statement.text,
                rows(self.rows),
                milliseconds
            ),
        }
    }
}

const CANCELLED: &str = "canceling statement due to user request";

/// Gives a stopped statement PostgreSQL's error code, so a client knows it
/// from a failure: 57014 for a cancel or the time limit, 53200 for memory.
pub struct StatementErrors;

impl ErrorHandler for StatementErrors {
    fn on_error<C: ClientInfo>(&self, _client: &C, error: &mut PgWireError) {
        let PgWireError::ApiError(cause) = error else {
            return;
        };
        let Some(cause) = cause.downcast_ref::<DataFusionError>() else {
            return;
        };
        let (code, message) = match cause.find_root() {
            DataFusionError::ResourcesExhausted(message) => ("53200", message.clone()),
            DataFusionError::Execution(message)
                if message == CANCELLED || message.contains("the statement was stopped after") =>
            {
                ("57014", message.clone())
            }
            _ => return,
        };
        *error = PgWireError::UserError(Box::new(ErrorInfo::new("ERROR".into(), code.into(), message)));
    }
}
