//! Functions that build large values, bounded. The memory pool counts what
//! operators hold (sorts, joins, aggregations), not what a scalar function
//! allocates for its result, so `repeat('x', 1e9)` or `range(1, 1e10)` could
//! take gigabytes past `[query] memory_megabytes` (and constant folding runs
//! them while the statement is planned). Each such function is wrapped: the
//! size of what one call would build is worked out from its arguments first,
//! and a call over the bound fails with "resources exhausted" instead.

use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::interval_arithmetic::Interval;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::sort_properties::{ExprProperties, SortProperties};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
};
use datafusion::prelude::SessionContext;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// What one call of a bounded function may build, in bytes.
pub const MAX_BUILT_BYTES: u64 = 64 << 20;
/// What one call of a bounded array builder may build, in elements.
pub const MAX_BUILT_ELEMENTS: u64 = 8 << 20;

#[derive(Debug, Clone, Copy)]
enum Builds {
    /// `repeat(text, n)`: bytes of text times n.
    Repeat,
    /// `lpad`/`rpad(text, n, ...)`: n characters of up to four bytes.
    Pad,
    /// `replace(text, from, to)`: every `from` replaced by `to`.
    Replace,
    /// `array_repeat(value, n)`: n elements.
    ArrayRepeat,
    /// `range`/`generate_series(start, stop[, step])` over integers.
    Series,
}

const BOUNDED: &[(&str, Builds)] = &[
    ("repeat", Builds::Repeat),
    ("lpad", Builds::Pad),
    ("rpad", Builds::Pad),
    ("replace", Builds::Replace),
    ("array_repeat", Builds::ArrayRepeat),
    ("range", Builds::Series),
    ("generate_series", Builds::Series),
];

/// Replaces each built-in of [`BOUNDED`] in the session by its bounded form.
pub fn register(ctx: &SessionContext) {
    for (name, builds) in BOUNDED {
        if let Ok(inner) = ctx.udf(name) {
            let bounded = Bounded { inner: Arc::clone(inner.inner()), builds: *builds };
            ctx.register_udf(ScalarUDF::new_from_impl(bounded));
        }
    }
}

#[derive(Debug)]
struct Bounded {
    inner: Arc<dyn ScalarUDFImpl>,
    builds: Builds,
}

impl PartialEq for Bounded {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for Bounded {}

impl Hash for Bounded {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.inner.name().hash(state);
    }
}

fn column(value: &ColumnarValue, rows: usize, to: &DataType) -> Option<ArrayRef> {
    let array = value.to_array(rows).ok()?;
    cast(&array, to).ok()
}

fn integers(value: &ColumnarValue, rows: usize) -> Option<Vec<Option<i64>>> {
    if !value.data_type().is_integer() {
        return None;
    }
    let array = column(value, rows, &DataType::Int64)?;
    Some(array.as_primitive::<datafusion::arrow::datatypes::Int64Type>().iter().collect())
}

fn text_lengths(value: &ColumnarValue, rows: usize) -> Option<Vec<u64>> {
    let array = column(value, rows, &DataType::LargeUtf8)?;
    Some(array.as_string::<i64>().iter().map(|t| t.map_or(0, |t| t.len() as u64)).collect())
}

impl Bounded {
    /// (what one call would build, its bound, the unit), when it can be told.
    fn size(&self, args: &[ColumnarValue], rows: usize) -> Option<(u64, u64, &'static str)> {
        let positive = |n: Option<i64>| n.unwrap_or(0).max(0) as u64;
        match self.builds {
            Builds::Repeat => {
                let (lengths, counts) = (text_lengths(args.first()?, rows)?, integers(args.get(1)?, rows)?);
                let bytes = lengths
                    .iter()
                    .zip(counts)
                    .fold(0u64, |sum, (l, n)| sum.saturating_add(l.saturating_mul(positive(n))));
                Some((bytes, MAX_BUILT_BYTES, "bytes"))
            }
            Builds::Pad => {
                let counts = integers(args.get(1)?, rows)?;
                let bytes = counts.into_iter().fold(0u64, |sum, n| sum.saturating_add(positive(n).saturating_mul(4)));
                Some((bytes, MAX_BUILT_BYTES, "bytes"))
            }
            Builds::Replace => {
                let (texts, from, to) = (
                    text_lengths(args.first()?, rows)?,
                    text_lengths(args.get(1)?, rows)?,
                    text_lengths(args.get(2)?, rows)?,
                );
                let bytes = texts.iter().zip(from).zip(to).fold(0u64, |sum, ((t, f), r)| {
                    sum.saturating_add(t.saturating_add((t / f.max(1)).saturating_mul(r)))
                });
                Some((bytes, MAX_BUILT_BYTES, "bytes"))
            }
            Builds::ArrayRepeat => {
                let counts = integers(args.get(1)?, rows)?;
                Some((
                    counts.into_iter().fold(0u64, |sum, n| sum.saturating_add(positive(n))),
                    MAX_BUILT_ELEMENTS,
                    "elements",
                ))
            }
            Builds::Series => {
                let one = |i: usize| integers(args.get(i)?, rows);
                let (starts, stops) = if args.len() == 1 { (vec![Some(0); rows], one(0)?) } else { (one(0)?, one(1)?) };
                let steps = if args.len() >= 3 { one(2)? } else { vec![Some(1); rows] };
                let mut elements = 0u64;
                for ((start, stop), step) in starts.into_iter().zip(stops).zip(steps) {
                    let (Some(start), Some(stop), Some(step)) = (start, stop, step) else { continue };
                    if step != 0 {
                        let span = (i128::from(stop) - i128::from(start)) / i128::from(step);
                        elements = elements.saturating_add(u64::try_from(span.max(0)).unwrap_or(u64::MAX));
                    }
                }
                Some((elements, MAX_BUILT_ELEMENTS, "elements"))
            }
        }
    }
}

impl ScalarUDFImpl for Bounded {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn schema_name(&self, args: &[Expr]) -> Result<String> {
        self.inner.schema_name(args)
    }

    fn is_strict(&self) -> bool {
        self.inner.is_strict()
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if let Some((size, bound, unit)) = self.size(&args.args, args.number_rows)
            && size > bound
        {
            return Err(DataFusionError::ResourcesExhausted(format!(
                "{}() would build {size} {unit} at once, more than the {bound} it may build",
                self.inner.name()
            )));
        }
        self.inner.invoke_with_args(args)
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        self.inner.simplify(args, info)
    }

    fn short_circuits(&self) -> bool {
        self.inner.short_circuits()
    }

    fn evaluate_bounds(&self, input: &[&Interval]) -> Result<Interval> {
        self.inner.evaluate_bounds(input)
    }

    fn output_ordering(&self, inputs: &[ExprProperties]) -> Result<SortProperties> {
        self.inner.output_ordering(inputs)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }
}
