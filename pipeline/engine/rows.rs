//! Query results as plain rows of typed cells, read by column name: what the
//! publish layer gets from the kpi tables (it never computes an indicator).

use crate::error::{Error, Result};
use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float64Type, Int32Type, Int64Type, UInt64Type,
};
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::prelude::SessionContext;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Count(i64),
    Number(Decimal),
    Date(NaiveDate),
    Text(String),
}

impl Cell {
    pub fn count(&self) -> Option<i64> {
        match self {
            Cell::Count(n) => Some(*n),
            Cell::Number(d) => i64::try_from(d.trunc()).ok(),
            _ => None,
        }
    }

    pub fn number(&self) -> Option<Decimal> {
        match self {
            Cell::Count(n) => Some(Decimal::from(*n)),
            Cell::Number(d) => Some(*d),
            _ => None,
        }
    }

    pub fn date(&self) -> Option<NaiveDate> {
        match self {
            Cell::Date(d) => Some(*d),
            _ => None,
        }
    }

    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Count(n) => n.to_string(),
            Cell::Number(d) => d.normalize().to_string(),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::Text(t) => t.clone(),
        }
    }
}

/// One result row; cells are looked up by column name.
#[derive(Debug, Clone)]
pub struct Row {
    columns: Arc<HashMap<String, usize>>,
    cells: Vec<Cell>,
}

impl Row {
    /// The cells in the order of the query's columns.
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    pub fn get(&self, column: &str) -> &Cell {
        self.columns.get(column).and_then(|&i| self.cells.get(i)).unwrap_or(&Cell::Empty)
    }

    pub fn has(&self, column: &str) -> bool {
        self.columns.contains_key(column)
    }

    pub fn text(&self, column: &str) -> String {
        self.get(column).text()
    }
}

/// Runs one query and returns its rows.
pub async fn query(ctx: &SessionContext, sql: &str, what: &str) -> Result<Vec<Row>> {
    let fail = |e: datafusion::error::DataFusionError| Error::from(e).within(format!("cannot read {what}"));
    let batches = ctx.sql(sql).await.map_err(fail)?.collect().await.map_err(fail)?;
    let mut rows = Vec::new();
    let Some(first) = batches.first() else { return Ok(rows) };
    let columns: Arc<HashMap<String, usize>> =
        Arc::new(first.schema().fields().iter().enumerate().map(|(i, f)| (f.name().clone(), i)).collect());
    for batch in &batches {
        for index in 0..batch.num_rows() {
            let cells = batch.columns().iter().map(|array| cell(array.as_ref(), index)).collect::<Result<_>>()?;
            rows.push(Row { columns: columns.clone(), cells });
        }
    }
    Ok(rows)
}

fn cell(array: &dyn Array, index: usize) -> Result<Cell> {
    if array.is_null(index) {
        return Ok(Cell::Empty);
    }
    Ok(match array.data_type() {
        DataType::Int64 => Cell::Count(array.as_primitive::<Int64Type>().value(index)),
        DataType::Int32 => Cell::Count(i64::from(array.as_primitive::<Int32Type>().value(index))),
        DataType::UInt64 => {
            Cell::Count(i64::try_from(array.as_primitive::<UInt64Type>().value(index)).unwrap_or(i64::MAX))
        }
        DataType::Decimal128(_, scale) => {
            Cell::Number(decimal(array.as_primitive::<Decimal128Type>().value(index), *scale))
        }
        DataType::Float64 => {
            Cell::Number(Decimal::try_from(array.as_primitive::<Float64Type>().value(index)).unwrap_or(Decimal::ZERO))
        }
        DataType::Date32 => match array.as_primitive::<Date32Type>().value_as_date(index) {
            Some(day) => Cell::Date(day),
            None => Cell::Empty,
        },
        _ => Cell::Text(array_value_to_string(array, index).map_err(|e| Error::Sql(e.to_string()))?),
    })
}

/// An Arrow decimal as a `Decimal`; digits beyond what `Decimal` holds (28)
/// are rounded away, which leaves every figure we show exact.
fn decimal(mut mantissa: i128, scale: i8) -> Decimal {
    let mut scale = i32::from(scale);
    while scale > 28 || (mantissa.unsigned_abs() >> 96) != 0 {
        if scale <= 0 {
            return Decimal::MAX;
        }
        mantissa = (mantissa + mantissa.signum() * 5) / 10;
        scale -= 1;
    }
    if scale < 0 {
        return Decimal::from_i128_with_scale(mantissa, 0) * Decimal::from(10_i64.pow(scale.unsigned_abs()));
    }
    Decimal::from_i128_with_scale(mantissa, scale.unsigned_abs())
}
