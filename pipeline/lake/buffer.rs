//! Rows gathered column by column until a batch is committed.

use super::schema::{ColumnType, Table};
use crate::error::{Error, Result};
use arrow_array::builder::{
    Date32Builder, Decimal128Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

/// One cell of a row as a source produces it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Text(String),
    Date(NaiveDate),
    Int(i64),
    Dec(Decimal),
    Timestamp(DateTime<Utc>),
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}
impl From<NaiveDate> for Value {
    fn from(d: NaiveDate) -> Value {
        Value::Date(d)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}
impl From<Decimal> for Value {
    fn from(d: Decimal) -> Value {
        Value::Dec(d)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

enum ColumnBuilder {
    Text(StringBuilder),
    Date(Date32Builder),
    Int(Int64Builder),
    Dec(Decimal128Builder, u32),
    Timestamp(TimestampMicrosecondBuilder),
}

fn unix_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

fn decimal(precision: u8, scale: i8) -> Decimal128Builder {
    // Both are within Decimal128's limits, so this cannot fail.
    Decimal128Builder::new().with_precision_and_scale(precision, scale).unwrap_or_default()
}

impl ColumnBuilder {
    fn new(ty: ColumnType) -> ColumnBuilder {
        match ty {
            ColumnType::Text => ColumnBuilder::Text(StringBuilder::new()),
            ColumnType::Date => ColumnBuilder::Date(Date32Builder::new()),
            ColumnType::Int => ColumnBuilder::Int(Int64Builder::new()),
            ColumnType::Money => ColumnBuilder::Dec(decimal(18, 2), 2),
            ColumnType::Grade => ColumnBuilder::Dec(decimal(4, 1), 1),
            ColumnType::Timestamp => {
                ColumnBuilder::Timestamp(TimestampMicrosecondBuilder::new().with_timezone("+00:00"))
            }
        }
    }

    fn push(&mut self, value: &Value) -> Result<(), String> {
        match (self, value) {
            (ColumnBuilder::Text(b), Value::Null) => b.append_null(),
            (ColumnBuilder::Date(b), Value::Null) => b.append_null(),
            (ColumnBuilder::Int(b), Value::Null) => b.append_null(),
            (ColumnBuilder::Dec(b, _), Value::Null) => b.append_null(),
            (ColumnBuilder::Timestamp(b), Value::Null) => b.append_null(),
            (ColumnBuilder::Text(b), Value::Text(s)) => b.append_value(s),
            (ColumnBuilder::Date(b), Value::Date(d)) => {
                b.append_value((*d - unix_epoch()).num_days() as i32);
            }
            (ColumnBuilder::Int(b), Value::Int(i)) => b.append_value(*i),
            (ColumnBuilder::Dec(b, scale), Value::Dec(d)) => {
                let mut d = d.round_dp(*scale);
                d.rescale(*scale);
                b.append_value(d.mantissa());
            }
            (ColumnBuilder::Timestamp(b), Value::Timestamp(t)) => b.append_value(t.timestamp_micros()),
            (_, other) => return Err(format!("unexpected value {other:?}")),
        }
        Ok(())
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Text(b) => std::sync::Arc::new(b.finish()),
            ColumnBuilder::Date(b) => std::sync::Arc::new(b.finish()),
            ColumnBuilder::Int(b) => std::sync::Arc::new(b.finish()),
            ColumnBuilder::Dec(b, _) => std::sync::Arc::new(b.finish()),
            ColumnBuilder::Timestamp(b) => std::sync::Arc::new(b.finish()),
        }
    }
}

/// The rows of one table in the batch being built.
pub struct TableBuffer {
    table: Table,
    columns: Vec<ColumnBuilder>,
}

impl TableBuffer {
    pub fn new(table: Table) -> TableBuffer {
        let columns = table.def().columns.iter().map(|c| ColumnBuilder::new(c.ty)).collect();
        TableBuffer { table, columns }
    }

    /// Appends a row: the source's cells, then the lineage cells.
    pub fn push(&mut self, row: &[Value], lineage: &[Value]) -> Result<()> {
        let def = self.table.def();
        if row.len() + lineage.len() != def.columns.len() {
            return Err(Error::RowShape {
                table: def.name,
                message: format!("{} cells for {} columns", row.len() + lineage.len(), def.columns.len()),
            });
        }
        for (i, value) in row.iter().chain(lineage).enumerate() {
            let column = &def.columns[i];
            if matches!(value, Value::Null) && !column.nullable {
                return Err(Error::RowShape { table: def.name, message: format!("{} may not be empty", column.name) });
            }
            self.columns[i].push(value).map_err(|message| Error::RowShape {
                table: def.name,
                message: format!("{}: {message}", column.name),
            })?;
        }
        Ok(())
    }

    /// Takes the rows gathered so far as one Arrow batch.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        let def = self.table.def();
        let arrays: Vec<ArrayRef> = self.columns.iter_mut().map(ColumnBuilder::finish).collect();
        RecordBatch::try_new(def.arrow_schema(), arrays)
            .map_err(|e| Error::RowShape { table: def.name, message: e.to_string() })
    }
}
