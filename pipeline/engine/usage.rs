//! Which columns of a staging view the later query files use, so that
//! `compute` stores only those of a view marked `@stored-during-compute`.
//! Writing every column of 20 million declaration lines costs more than
//! computing them.
//!
//! The text answers most of it: which of its columns a reader names. A column
//! named but unused is kept, which is safe.
//! A reader with a wildcard (`t.*`, `select *`) is also planned with the view
//! swapped for an empty table of the same columns, and its plan's scans of that
//! table say which columns the wildcard takes. Only then, because planning a
//! mart whose views are not stored yet takes DataFusion up to a second.

use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::MemTable;
use datafusion::error::Result;
use datafusion::logical_expr::LogicalPlan;
use datafusion::optimizer::Optimizer;
use datafusion::optimizer::optimize_projections::OptimizeProjections;
use datafusion::prelude::SessionContext;
use std::collections::BTreeSet;
use std::sync::Arc;

/// The columns of the registered view `view` to store, in the view's order,
/// given the SQL of every other query file and of whatever the caller runs
/// afterwards.
pub async fn columns_read(ctx: &SessionContext, view: &str, others: &[&str]) -> Result<Vec<String>> {
    let readers: Vec<(&str, String)> =
        others.iter().map(|sql| (*sql, code_of(sql))).filter(|(_, code)| count_word(code, view) > 0).collect();
    let with_wildcard: Vec<&str> = readers.iter().filter(|(_, code)| has_wildcard(code)).map(|(sql, _)| *sql).collect();
    let scanned =
        if with_wildcard.is_empty() { BTreeSet::new() } else { columns_scanned(ctx, view, &with_wildcard).await? };
    let schema = ctx.table_provider(view).await?.schema();
    let mut kept: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .filter(|name| scanned.contains(name) || readers.iter().any(|(_, code)| count_word(code, name) > 0))
        .collect();
    if kept.is_empty() {
        // Read only for its number of rows: a file still needs a column.
        kept.extend(schema.fields().first().map(|f| f.name().clone()));
    }
    Ok(kept)
}

/// The columns of `view` that the plans of `readers` scan, with the view
/// swapped for an empty table of its columns while they are planned.
async fn columns_scanned(ctx: &SessionContext, view: &str, readers: &[&str]) -> Result<BTreeSet<String>> {
    let original = ctx.table_provider(view).await?;
    ctx.deregister_table(view)?;
    ctx.register_table(view, Arc::new(MemTable::try_new(original.schema(), vec![vec![]])?))?;
    let scanned = scans_of(ctx, view, readers).await;
    ctx.deregister_table(view)?;
    ctx.register_table(view, original)?;
    scanned
}

async fn scans_of(ctx: &SessionContext, view: &str, readers: &[&str]) -> Result<BTreeSet<String>> {
    let mut used = BTreeSet::new();
    for sql in readers {
        pruned_plan(ctx, sql).await?.apply_with_subqueries(|node| {
            if let LogicalPlan::TableScan(scan) = node
                && scan.table_name.table() == view
            {
                used.extend(scan.projected_schema.fields().iter().map(|f| f.name().clone()));
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
    }
    Ok(used)
}

/// The plan of `sql` with only the rule that drops unused columns.
async fn pruned_plan(ctx: &SessionContext, sql: &str) -> Result<LogicalPlan> {
    let state = ctx.state();
    let plan = ctx.sql(sql).await?.into_unoptimized_plan();
    let analysed = state.analyzer().execute_and_check(plan, state.config_options(), |_, _| {})?;
    Optimizer::with_rules(vec![Arc::new(OptimizeProjections::new())]).optimize(analysed, &state, |_, _| {})
}

/// The SQL without its `--` comments, lower-cased.
fn code_of(sql: &str) -> String {
    sql.lines().map(|line| line.split("--").next().unwrap_or("")).collect::<Vec<_>>().join("\n").to_lowercase()
}

fn count_word(code: &str, word: &str) -> usize {
    let is_word = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_';
    let bytes = code.as_bytes();
    code.match_indices(word)
        .filter(|(at, _)| {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(at + word.len()).copied();
            !before.is_some_and(is_word) && !after.is_some_and(is_word)
        })
        .count()
}

fn has_wildcard(code: &str) -> bool {
    let squeezed = code.split_whitespace().collect::<Vec<_>>().join(" ");
    squeezed.contains(".*") || squeezed.replace("select * from (values", "").contains("select *")
}
