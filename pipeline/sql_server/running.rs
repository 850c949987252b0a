//! A statement of the endpoint while it runs, on both protocol paths: the
//! last physical optimiser rule puts every plan under a [`RunningExec`],
//! which stops its rows with an error once `[query] timeout_seconds` have
//! passed or a cancel request came, and logs the statement with its user,
//! rows and duration when it ends. (datafusion-postgres bounds planning only,
//! and pgwire's cancel reaches planning only: a portal's rows were bounded by
//! neither.)

use super::connection::{Connection, Pending};
use datafusion::common::tree_node::TreeNode;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::config::ConfigOptions;
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
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
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

/// Puts the plan of one connection under a [`RunningExec`].
pub struct Watch {
    pub timeout: Duration,
    pub connection: Arc<Connection>,
    /// A statement that reads more of the lake than this (`[sql_server]
    /// heavy_megabytes`) waits for a place in the heavy lane (`heavy_statements`):
    /// at national scale a staging view reads a gigabyte of declaration lines,
    /// and twenty of those at once on two cores took ten times as long each and
    /// four times the memory (BENCHMARKS.md).
    pub heavy_bytes: u64,
    pub heavy_lane: Arc<Semaphore>,
}

/// The bytes of the lake's files the plan reads.
fn input_bytes(plan: &Arc<dyn ExecutionPlan>) -> u64 {
    let mut bytes = 0;
    let _ = plan.apply(|node| {
        if let Some(source) = node.downcast_ref::<DataSourceExec>()
            && let Some(scan) = source.data_source().downcast_ref::<FileScanConfig>()
        {
            bytes +=
                scan.file_groups.iter().flat_map(|group| group.iter()).map(|file| file.object_meta.size).sum::<u64>();
        }
        Ok(TreeNodeRecursion::Continue)
    });
    bytes
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
        let lane = (input_bytes(&plan) > self.heavy_bytes).then(|| self.heavy_lane.clone());
        Ok(Arc::new(RunningExec {
            properties: plan.properties().clone(),
            input: plan,
            timeout: self.timeout,
            connection: self.connection.clone(),
            lane,
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
    /// The heavy lane, for a plan that reads much of the lake.
    lane: Option<Arc<Semaphore>>,
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
        Ok(Arc::new(RunningExec {
            input,
            properties,
            timeout: self.timeout,
            connection: self.connection.clone(),
            lane: self.lane.clone(),
        }))
    }

    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let schema = self.input.schema();
        let running = Running {
            // Started once the statement has its place (a heavy one may wait).
            input: Input::Waiting { plan: self.input.clone(), partition, context, lane: self.lane.clone() },
            deadline: tokio::time::Instant::now() + self.timeout,
            timeout: self.timeout,
            cancels: self.connection.cancel_signal(),
            tally: Tally { statement: self.connection.take_pending(), rows: 0, ended: None, waited: None },
        };
        let rows = futures::stream::unfold(Some(running), |running| async move {
            let mut running = running?;
            if let Input::Waiting { plan, partition, context, lane } = &running.input {
                let (plan, partition, context, lane) = (plan.clone(), *partition, context.clone(), lane.clone());
                let began = std::time::Instant::now();
                let started = tokio::select! {
                    biased;
                    () = cancelled(&mut running.cancels) => Err("cancelled at the client's request".to_string()),
                    () = tokio::time::sleep_until(running.deadline) => Err(format!("stopped after {} s", running.timeout.as_secs())),
                    started = start(plan, partition, context, lane) => started.map_err(|e| first_line(&e.to_string())),
                };
                match started {
                    Ok(input) => {
                        if !matches!(input, Input::Running { permit: None, .. }) {
                            running.tally.waited = Some(began.elapsed());
                        }
                        running.input = input;
                    }
                    Err(why) => {
                        let error = stop_error(&why, running.timeout);
                        running.tally.ended = Some(Ended::Stopped(why));
                        return Some((Err(error), None));
                    }
                }
            }
            let Input::Running { stream, .. } = &mut running.input else { return None };
            let next = tokio::select! {
                biased;
                () = cancelled(&mut running.cancels) => Err("cancelled at the client's request".to_string()),
                () = tokio::time::sleep_until(running.deadline) => Err(format!("stopped after {} s", running.timeout.as_secs())),
                batch = stream.next() => Ok(batch),
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
                    let error = stop_error(&why, running.timeout);
                    running.tally.ended = Some(Ended::Stopped(why));
                    Some((Err(error), None))
                }
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, rows)))
    }
}

fn stop_error(why: &str, timeout: Duration) -> DataFusionError {
    if why.starts_with("cancelled") {
        DataFusionError::Execution(CANCELLED.into())
    } else if why.starts_with("stopped after") {
        DataFusionError::Execution(crate::engine::statement::stopped(timeout).to_string())
    } else {
        DataFusionError::Execution(why.to_string())
    }
}

/// The plan's rows: not begun, or begun with the heavy lane's place if it needed one.
enum Input {
    Waiting { plan: Arc<dyn ExecutionPlan>, partition: usize, context: Arc<TaskContext>, lane: Option<Arc<Semaphore>> },
    Running { stream: SendableRecordBatchStream, permit: Option<OwnedSemaphorePermit> },
}

/// Waits for a place in the lane when the plan needs one, then begins it.
async fn start(
    plan: Arc<dyn ExecutionPlan>,
    partition: usize,
    context: Arc<TaskContext>,
    lane: Option<Arc<Semaphore>>,
) -> Result<Input> {
    let permit = match lane {
        Some(lane) => Some(
            lane.acquire_owned().await.map_err(|_| DataFusionError::Execution("the endpoint is stopping".into()))?,
        ),
        None => None,
    };
    Ok(Input::Running { stream: plan.execute(partition, context)?, permit })
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
    input: Input,
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
    /// How long a heavy statement waited for its place.
    waited: Option<Duration>,
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
        let waited = match self.waited {
            Some(waited) => format!(" (a heavy statement: {} ms of it waiting for its turn)", waited.as_millis()),
            None => String::new(),
        };
        let why = match &self.ended {
            Some(Ended::Whole) => None,
            Some(Ended::Stopped(why)) => Some(why.as_str()),
            None => Some("the client stopped reading"),
        };
        match why {
            None => tracing::info!(
                "sql-server: {} ran {}: {} in {} ms{waited}",
                statement.user,
                statement.text,
                rows(self.rows),
                milliseconds
            ),
            Some(why) => tracing::warn!(
                "sql-server: {} ran {}: {why}, after {} in {} ms{waited}",
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
