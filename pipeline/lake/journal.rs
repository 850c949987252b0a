//! Small append-only tables of the lake, such as the delivery ledger and the
//! run log: each append is one Parquet part, written aside and renamed into
//! place, so a reader sees a record whole or not at all.

use crate::error::{Error, Result};
use crate::lake::Lake;
use crate::lake::schema::TableDef;
use crate::lake::store::part_name;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::datatypes::TimestampMicrosecondType;

/// The table's parts, oldest first, as lake paths.
pub fn parts(lake: &Lake, table: &TableDef) -> Result<Vec<String>> {
    Ok(lake.part_ids(table.name)?.into_iter().map(|id| format!("{}/{}", table.name, part_name(id))).collect())
}

/// Every batch of the table, oldest first.
pub fn read(lake: &Lake, table: &TableDef) -> Result<Vec<RecordBatch>> {
    let mut batches = Vec::new();
    for part in parts(lake, table)? {
        batches.extend(lake.read_parquet(&part)?);
    }
    Ok(batches)
}

/// Appends one part holding `columns`, in the table's column order. The
/// caller makes sure it is the only writer (the lake lock, or `serve`'s own);
/// on object storage a second writer's part would be refused, not overwrite.
pub fn append(lake: &Lake, table: &TableDef, columns: Vec<ArrayRef>) -> Result<()> {
    let id = lake.part_ids(table.name)?.last().map_or(1, |id| id + 1);
    let batch = RecordBatch::try_new(table.arrow_schema(), columns).map_err(|e| {
        Error::Invalid(format!("cannot write a record of {}: {e} (this is a bug in wmo-monitor)", table.name))
    })?;
    lake.write_parquet(&format!("{}/{}", table.name, part_name(id)), &batch, true)
}

fn column<'a>(batch: &'a RecordBatch, table: &TableDef, name: &str) -> Result<&'a ArrayRef> {
    batch
        .column_by_name(name)
        .ok_or_else(|| Error::Invalid(format!("the lake table {} has no column {name}", table.name)))
}

/// A text column as strings (a null reads as empty).
pub fn texts(batch: &RecordBatch, table: &TableDef, name: &str) -> Result<Vec<String>> {
    let strings = column(batch, table, name)?
        .as_string_opt::<i32>()
        .ok_or_else(|| Error::Invalid(format!("the column {name} of {} is not text", table.name)))?;
    Ok((0..strings.len()).map(|i| strings.value(i).to_string()).collect())
}

/// A timestamp column as microseconds since 1970 (UTC).
pub fn timestamps(batch: &RecordBatch, table: &TableDef, name: &str) -> Result<Vec<i64>> {
    let values = column(batch, table, name)?
        .as_primitive_opt::<TimestampMicrosecondType>()
        .ok_or_else(|| Error::Invalid(format!("the column {name} of {} is not a timestamp", table.name)))?;
    Ok(values.values().to_vec())
}
