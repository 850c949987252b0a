//! Query results as the analyst asked: an aligned table, CSV with a header row,
//! a JSON array of objects, or a Parquet file.

use crate::error::{Error, Result};
use datafusion::arrow::array::{ArrayRef, AsArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::json::{ArrayWriter, WriterBuilder as JsonWriterBuilder};
use datafusion::arrow::util::pretty::pretty_format_batches;
use parquet::arrow::ArrowWriter;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns, for reading on screen.
    Table,
    /// Comma-separated, with a header row.
    Csv,
    /// As Dutch Excel opens it: semicolon-separated, decimal commas, UTF-8 with a byte-order mark.
    #[value(name = "csv-nl")]
    CsvNl,
    /// A JSON array of objects; empty values are null.
    Json,
    /// A Parquet file (needs --output).
    Parquet,
}

pub type Sink = Box<dyn Write + Send>;

/// Standard output that notices when its reader has gone, as with
/// `wmo-monitor sql ... | head`: the analyst closed the pipe on purpose, so the
/// statement stops without an error, as other Unix tools do.
#[derive(Clone, Default)]
pub struct Stdout {
    reader_gone: Arc<AtomicBool>,
}

impl Stdout {
    pub fn reader_gone(&self) -> bool {
        self.reader_gone.load(Ordering::Relaxed)
    }

    fn noting<T>(&self, result: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &result
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            self.reader_gone.store(true, Ordering::Relaxed);
        }
        result
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.noting(std::io::stdout().write(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.noting(std::io::stdout().flush())
    }
}

/// Writes batches as they come, so a large result never sits in memory whole
/// (the aligned table excepted: its column widths need every row).
pub enum ResultWriter {
    Table { out: Sink, schema: SchemaRef, held: Vec<RecordBatch> },
    Csv { writer: datafusion::arrow::csv::Writer<Sink>, schema: SchemaRef, started: bool, dutch: bool },
    Json { writer: ArrayWriter<Sink>, rows: usize },
    Parquet(ArrowWriter<Sink>),
}

fn failed(e: impl std::fmt::Display) -> Error {
    Error::Sql(format!("cannot write the result: {e}"))
}

impl ResultWriter {
    pub fn new(format: Format, schema: SchemaRef, out: Sink) -> Result<Self> {
        Ok(match format {
            Format::Table => ResultWriter::Table { out, schema, held: Vec::new() },
            Format::Csv => ResultWriter::Csv {
                writer: datafusion::arrow::csv::WriterBuilder::new().with_header(true).build(out),
                schema,
                started: false,
                dutch: false,
            },
            Format::CsvNl => {
                let mut out = out;
                // Without the byte-order mark Excel reads UTF-8 as Windows-1252 ("CoÃ¶peratie").
                out.write_all("\u{feff}".as_bytes()).map_err(failed)?;
                let schema = dutch_schema(&schema);
                ResultWriter::Csv {
                    writer: datafusion::arrow::csv::WriterBuilder::new()
                        .with_header(true)
                        .with_delimiter(b';')
                        .build(out),
                    schema,
                    started: false,
                    dutch: true,
                }
            }
            Format::Json => {
                ResultWriter::Json { writer: JsonWriterBuilder::new().with_explicit_nulls(true).build(out), rows: 0 }
            }
            Format::Parquet => ResultWriter::Parquet(ArrowWriter::try_new(out, schema, None).map_err(failed)?),
        })
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        match self {
            ResultWriter::Table { held, .. } => held.push(batch.clone()),
            ResultWriter::Csv { writer, started, dutch, schema } => {
                if *dutch {
                    writer.write(&dutch_numbers(batch, schema)?).map_err(failed)?;
                } else {
                    writer.write(batch).map_err(failed)?;
                }
                *started = true;
            }
            ResultWriter::Json { writer, rows } => {
                writer.write(batch).map_err(failed)?;
                *rows += batch.num_rows();
            }
            ResultWriter::Parquet(writer) => writer.write(batch).map_err(failed)?,
        }
        Ok(())
    }

    pub fn finish(self) -> Result<()> {
        match self {
            ResultWriter::Table { mut out, schema, held } => {
                let rows: usize = held.iter().map(RecordBatch::num_rows).sum();
                let shown = if rows == 0 { vec![RecordBatch::new_empty(schema.clone())] } else { held };
                let shown = shown.iter().map(percentages_for_display).collect::<Result<Vec<_>>>()?;
                let table = pretty_format_batches(&shown).map_err(failed)?;
                writeln!(out, "{table}").map_err(failed)?;
                let rounded = schema.fields().iter().any(|f| is_rounded_for_display(f.name(), f.data_type()));
                writeln!(
                    out,
                    "({rows} {}{})",
                    if rows == 1 { "row" } else { "rows" },
                    if rounded { "; _pct columns shown to one decimal, --format csv gives them exact" } else { "" }
                )
                .map_err(failed)?;
                out.flush().map_err(failed)
            }
            ResultWriter::Csv { mut writer, schema, started, .. } => {
                if !started {
                    // The header row, even for an empty result.
                    writer.write(&RecordBatch::new_empty(schema)).map_err(failed)?;
                }
                writer.into_inner().flush().map_err(failed)
            }
            ResultWriter::Json { mut writer, rows } => {
                writer.finish().map_err(failed)?;
                let mut out = writer.into_inner();
                if rows == 0 {
                    write!(out, "[]").map_err(failed)?;
                }
                writeln!(out).map_err(failed)?;
                out.flush().map_err(failed)
            }
            ResultWriter::Parquet(writer) => {
                let mut out = writer.into_inner().map_err(failed)?;
                out.flush().map_err(failed)
            }
        }
    }
}

/// A percentage is exact in the lake and shown to one decimal, rounded half
/// away from zero, as the reports show it (docs/indicators.md).
fn is_rounded_for_display(name: &str, data_type: &DataType) -> bool {
    name.ends_with("_pct") && matches!(data_type, DataType::Decimal128(_, scale) if *scale > 1)
}

/// The batch with its `_pct` columns rounded to one decimal, for the screen.
fn percentages_for_display(batch: &RecordBatch) -> Result<RecordBatch> {
    let schema = batch.schema();
    if !schema.fields().iter().any(|f| is_rounded_for_display(f.name(), f.data_type())) {
        return Ok(batch.clone());
    }
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        if let DataType::Decimal128(precision, _) = field.data_type()
            && is_rounded_for_display(field.name(), field.data_type())
        {
            // Arrow's cast to a smaller scale rounds half away from zero.
            let shown = DataType::Decimal128(*precision, 1);
            columns.push(datafusion::arrow::compute::cast(column, &shown).map_err(failed)?);
            fields.push(Field::new(field.name(), shown, true));
        } else {
            columns.push(column.clone());
            fields.push(field.as_ref().clone());
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(failed)
}

fn is_fractional(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Decimal128(_, _)
            | DataType::Decimal256(_, _)
            | DataType::Float16
            | DataType::Float32
            | DataType::Float64
    )
}

/// The schema of a Dutch CSV: numbers with a fraction become text with a decimal comma.
fn dutch_schema(schema: &SchemaRef) -> SchemaRef {
    let fields: Vec<Field> =
        schema
            .fields()
            .iter()
            .map(|f| {
                if is_fractional(f.data_type()) {
                    Field::new(f.name(), DataType::Utf8, true)
                } else {
                    f.as_ref().clone()
                }
            })
            .collect();
    Arc::new(Schema::new(fields))
}

/// The batch with every fractional number written with a decimal comma (12,5),
/// as Dutch Excel reads a number; whole numbers, dates and text as they are.
fn dutch_numbers(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
    for column in batch.columns() {
        if is_fractional(column.data_type()) {
            let text = datafusion::arrow::compute::cast(column, &DataType::Utf8).map_err(failed)?;
            let text = text.as_string::<i32>();
            let comma: StringArray = text.iter().map(|v| v.map(|v| v.replace('.', ","))).collect();
            columns.push(Arc::new(comma));
        } else {
            columns.push(column.clone());
        }
    }
    RecordBatch::try_new(schema.clone(), columns).map_err(failed)
}
