//! What the clients' catalogue queries need beyond datafusion-postgres's
//! `pg_catalog`: the catalogue's one-liners as comments (`pg_description`,
//! `obj_description`, `col_description`), so DBeaver shows what a table or
//! column means; the SQL behind a view (`pg_get_viewdef`); and the small
//! functions psql's `\dt+` and `\d+` call (`pg_size_pretty`, `pg_table_size`).
//!
//! `pg_catalog` numbers the tables (their oids) when `pg_class` is first
//! read, and keeps the numbers; the lake's session has a fixed set of tables,
//! so reading `pg_class` once when the session is built gives every oid a
//! client will see.

use crate::config::Config;
use crate::engine::describe;
use crate::engine::rows;
use crate::error::{Error, Result};
use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, Int32Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::catalog::{MemTable, SchemaProvider, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};
use datafusion::prelude::SessionContext;
use std::collections::HashMap;
use std::sync::Arc;

/// The comments and view definitions by the oids `pg_catalog` gave.
#[derive(Default)]
struct Comments {
    /// The oid `pg_catalog` gave `pg_class`: clients find a table's comment
    /// with `classoid = 'pg_class'::regclass`.
    pg_class: i32,
    tables: HashMap<i64, String>,
    columns: HashMap<(i64, i64), String>,
    views: HashMap<i64, String>,
}

/// Adds the comments, view definitions and functions to the lake's session.
pub async fn register(ctx: &SessionContext, config: &Config) -> Result<()> {
    let comments = Arc::new(comments(ctx, config).await?);
    with_descriptions(ctx, &comments).await?;
    let text = |name: &'static str, arguments: &[usize], f: fn(&Comments, &[ScalarValue]) -> Option<String>| {
        let comments = comments.clone();
        ScalarUDF::new_from_impl(Lookup::new(name, arguments, Arc::new(move |args| f(&comments, args))))
    };
    ctx.register_udf(text("obj_description", &[1, 2], |c, args| c.tables.get(&number(&args[0])?).cloned()));
    ctx.register_udf(text("col_description", &[2], |c, args| {
        c.columns.get(&(number(&args[0])?, number(&args[1])?)).cloned()
    }));
    ctx.register_udf(text("shobj_description", &[2], |_, _| None));
    ctx.register_udf(text("pg_get_viewdef", &[1, 2], |c, args| c.views.get(&number(&args[0])?).cloned()));
    // The lake's files are not one relation's pages: no size is the honest answer.
    ctx.register_udf(text("pg_table_size", &[1], |_, _| None));
    ctx.register_udf(text("pg_size_pretty", &[1], |_, args| number(&args[0]).map(size_pretty)));
    ctx.register_udf(text("version", &[0], |_, _| {
        Some(format!("PostgreSQL 16.0 (wmo-monitor {}, read-only, on Apache DataFusion)", env!("CARGO_PKG_VERSION")))
    }));
    Ok(())
}

/// Reads `pg_class` and `pg_attribute` once, and gives each of the lake's
/// tables and views and their columns the catalogue's words.
async fn comments(ctx: &SessionContext, config: &Config) -> Result<Comments> {
    let entries = describe::catalogue(config).await?;
    let by_name: HashMap<&str, &describe::Entry> = entries.iter().map(|e| (e.name.as_str(), e)).collect();
    let relations = rows::query(
        ctx,
        "select c.oid, c.relname from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace \
         where n.nspname in ('public', 'opslag')",
        "the tables pg_catalog lists",
    )
    .await?;
    let attributes = rows::query(
        ctx,
        "select a.attrelid, a.attname, cast(a.attnum as int) as attnum from pg_catalog.pg_attribute a \
         join pg_catalog.pg_class c on c.oid = a.attrelid join pg_catalog.pg_namespace n on n.oid = c.relnamespace \
         where n.nspname in ('public', 'opslag')",
        "the columns pg_catalog lists",
    )
    .await?;
    let pg_class =
        rows::query(ctx, "select oid from pg_catalog.pg_class where relname = 'pg_class'", "the oid of pg_class")
            .await?;
    let mut comments = Comments {
        pg_class: pg_class
            .first()
            .and_then(|row| row.get("oid").count())
            .and_then(|oid| i32::try_from(oid).ok())
            .unwrap_or(1259),
        ..Comments::default()
    };
    let mut names = HashMap::new();
    for relation in &relations {
        let (Some(oid), name) = (relation.get("oid").count(), relation.text("relname")) else { continue };
        let Some(entry) = by_name.get(name.as_str()) else { continue };
        comments.tables.insert(oid, entry.description.clone());
        if let Ok(sql) = describe::sql_of(config, &name) {
            comments.views.insert(oid, sql);
        }
        names.insert(oid, *entry);
    }
    for attribute in &attributes {
        let (Some(oid), Some(number)) = (attribute.get("attrelid").count(), attribute.get("attnum").count()) else {
            continue;
        };
        let column = attribute.text("attname");
        let Some(entry) = names.get(&oid) else { continue };
        if let Some((_, _, doc)) = entry.columns.iter().find(|(name, _, _)| *name == column) {
            comments.columns.insert((oid, number), doc.clone());
        }
    }
    Ok(comments)
}

/// `pg_catalog.pg_description` with the lake's comments beside PostgreSQL's own.
async fn with_descriptions(ctx: &SessionContext, comments: &Comments) -> Result<()> {
    let failed =
        |e: datafusion::error::DataFusionError| Error::Sql(format!("cannot add the comments to pg_catalog: {e}"));
    let catalog =
        ctx.catalog(crate::engine::session::CATALOG).ok_or_else(|| Error::Sql("the session has no catalog".into()))?;
    let pg_catalog = catalog.schema("pg_catalog").ok_or_else(|| Error::Sql("pg_catalog is missing".into()))?;
    let static_rows = ctx.sql("select * from pg_catalog.pg_description").await.map_err(failed)?;
    let schema: SchemaRef = Arc::new(static_rows.schema().as_arrow().clone());
    let mut batches = static_rows.collect().await.map_err(failed)?;
    let ours = comments
        .tables
        .iter()
        .map(|(oid, text)| (*oid, 0, text))
        .chain(comments.columns.iter().map(|((oid, number), text)| (*oid, *number, text)));
    let (mut objoid, mut objsubid, mut description) = (Vec::new(), Vec::new(), Vec::new());
    for (oid, number, text) in ours {
        let (Ok(oid), Ok(number)) = (i32::try_from(oid), i32::try_from(number)) else { continue };
        objoid.push(oid);
        objsubid.push(number);
        description.push(text.clone());
    }
    let classoid = vec![comments.pg_class; objoid.len()];
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int32Array::from(objoid)),
        Arc::new(Int32Array::from(classoid)),
        Arc::new(Int32Array::from(objsubid)),
        Arc::new(StringArray::from(description)),
    ];
    batches.push(RecordBatch::try_new(schema.clone(), columns)?);
    let table: Arc<dyn TableProvider> = Arc::new(MemTable::try_new(schema, vec![batches]).map_err(failed)?);
    catalog
        .register_schema("pg_catalog", Arc::new(WithDescriptions { inner: pg_catalog, descriptions: table }))
        .map_err(failed)?;
    Ok(())
}

#[derive(Debug)]
struct WithDescriptions {
    inner: Arc<dyn SchemaProvider>,
    descriptions: Arc<dyn TableProvider>,
}

#[async_trait]
impl SchemaProvider for WithDescriptions {
    fn table_names(&self) -> Vec<String> {
        self.inner.table_names()
    }

    async fn table(&self, name: &str) -> datafusion::error::Result<Option<Arc<dyn TableProvider>>> {
        if name.eq_ignore_ascii_case("pg_description") {
            return Ok(Some(self.descriptions.clone()));
        }
        self.inner.table(name).await
    }

    fn table_exist(&self, name: &str) -> bool {
        self.inner.table_exist(name)
    }
}

fn number(value: &ScalarValue) -> Option<i64> {
    match value.cast_to(&DataType::Int64).ok()? {
        ScalarValue::Int64(n) => n,
        _ => None,
    }
}

/// As PostgreSQL's `pg_size_pretty`: bytes, kB, MB, GB, TB, each up to 10240.
fn size_pretty(bytes: i64) -> String {
    let mut size = bytes;
    for unit in ["bytes", "kB", "MB", "GB"] {
        if size.abs() < 10 * 1024 {
            return format!("{size} {unit}");
        }
        size = (size + size.signum() * 512) / 1024;
    }
    format!("{size} TB")
}

type LookupFn = Arc<dyn Fn(&[ScalarValue]) -> Option<String> + Send + Sync>;

/// A text function of the catalogue, row by row (the catalogue is small).
struct Lookup {
    name: &'static str,
    signature: Signature,
    f: LookupFn,
}

impl Lookup {
    fn new(name: &'static str, arguments: &[usize], f: LookupFn) -> Lookup {
        let signatures =
            arguments.iter().map(|&n| if n == 0 { TypeSignature::Nullary } else { TypeSignature::Any(n) }).collect();
        Lookup { name, signature: Signature::one_of(signatures, Volatility::Stable), f }
    }
}

impl std::fmt::Debug for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.name)
    }
}

impl PartialEq for Lookup {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Lookup {}

impl std::hash::Hash for Lookup {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state)
    }
}

impl ScalarUDFImpl for Lookup {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arguments: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> datafusion::error::Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let mut texts = Vec::with_capacity(args.number_rows);
        for row in 0..args.number_rows {
            let values = arrays
                .iter()
                .map(|array| ScalarValue::try_from_array(array, row))
                .collect::<datafusion::error::Result<Vec<_>>>()?;
            texts.push((self.f)(&values));
        }
        Ok(ColumnarValue::Array(Arc::new(StringArray::from(texts))))
    }
}
