//! The endpoint's statement time limit, on both protocol paths: the last
//! physical optimiser rule puts every plan under a [`DeadlineExec`], whose
//! rows stop with an error once `[query] timeout_seconds` have passed since
//! the statement began to run. (datafusion-postgres bounds planning only; a
//! portal's rows were not bounded at all.)

use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::config::ConfigOptions;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::execution_plan::{ChildrenPropertiesMode, ReplaceChildrenOptions};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PhysicalExpr, PlanProperties};
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;

/// Puts the plan under a [`DeadlineExec`].
#[derive(Debug)]
pub struct Deadline(pub Duration);

impl PhysicalOptimizerRule for Deadline {
    fn optimize(&self, plan: Arc<dyn ExecutionPlan>, _config: &ConfigOptions) -> Result<Arc<dyn ExecutionPlan>> {
        // Once is enough (the rule may see a plan it has already put under one).
        if plan.name() == "DeadlineExec" {
            return Ok(plan);
        }
        Ok(Arc::new(DeadlineExec { properties: plan.properties().clone(), input: plan, timeout: self.0 }))
    }

    fn name(&self) -> &str {
        "statement_deadline"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// Passes its input's rows on until the time limit, then ends with an error.
#[derive(Debug, Clone)]
pub struct DeadlineExec {
    input: Arc<dyn ExecutionPlan>,
    properties: Arc<PlanProperties>,
    timeout: Duration,
}

impl DisplayAs for DeadlineExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeadlineExec: {} s", self.timeout.as_secs())
    }
}

impl ExecutionPlan for DeadlineExec {
    fn name(&self) -> &str {
        "DeadlineExec"
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
            return Err(DataFusionError::Internal("DeadlineExec has one child".into()));
        }
        let input = children.swap_remove(0);
        let properties = match options.children_properties {
            ChildrenPropertiesMode::Keep => self.properties.clone(),
            ChildrenPropertiesMode::Recompute => input.properties().clone(),
        };
        Ok(Arc::new(DeadlineExec { input, properties, timeout: self.timeout }))
    }

    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        let schema = input.schema();
        let timeout = self.timeout;
        let deadline = tokio::time::Instant::now() + timeout;
        let rows = futures::stream::unfold((input, false), move |(mut input, stopped)| async move {
            if stopped {
                return None;
            }
            match tokio::time::timeout_at(deadline, input.next()).await {
                Ok(Some(batch)) => Some((batch, (input, false))),
                Ok(None) => None,
                Err(_) => Some((
                    Err(DataFusionError::Execution(crate::engine::statement::stopped(timeout).to_string())),
                    (input, true),
                )),
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, rows)))
    }
}
