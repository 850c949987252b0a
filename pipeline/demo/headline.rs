//! The demo's closing lines: the latest quarter in Dutch, read from `kpi_wmo`
//! as `compute` kept it (nothing is recomputed here).

use crate::config::Config;
use crate::dutch;
use crate::engine::session;
use crate::error::{Error, Result};
use datafusion::arrow::util::display::array_value_to_string;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::str::FromStr;

const COLUMNS: &str = "periode, peildatum, clienten, instroom, uitstroom, doorstroom_lichter, \
    gedeclareerd, verwacht, gedeclareerd_vs_verwacht_pct";

pub fn latest_quarter(config: &Config) -> Result<String> {
    let runtime = session::runtime()?;
    let row = runtime.block_on(async {
        let ctx = crate::engine::open(config, None, &crate::engine::Limits::of(config)).await?;
        let fail = |e: datafusion::error::DataFusionError| Error::from(e).within("cannot read kpi_wmo");
        let Some(quarter) = crate::engine::catalog::latest_quarter(&ctx).await? else {
            return Ok(HashMap::new());
        };
        let sql = format!("select {COLUMNS} from kpi_wmo where periode = '{quarter}'");
        let batches = ctx.sql(&sql).await.map_err(fail)?.collect().await.map_err(fail)?;
        let mut row = HashMap::new();
        if let Some(batch) = batches.iter().find(|b| b.num_rows() > 0) {
            for (i, field) in batch.schema().fields().iter().enumerate() {
                let text = array_value_to_string(batch.column(i), 0).map_err(|e| Error::Sql(e.to_string()))?;
                row.insert(field.name().clone(), text);
            }
        }
        Ok::<_, Error>(row)
    })?;
    if row.is_empty() {
        return Ok("No quarter has ended in the demo's data yet.".into());
    }
    let text = |name: &str| row.get(name).cloned().unwrap_or_default();
    let number = |name: &str| Decimal::from_str(&text(name)).ok();
    let show = |name: &str, format: fn(Decimal) -> String| number(name).map_or("-".to_string(), format);
    Ok(format!(
        "Gemeente {gemeente}, {periode} (peildatum {peildatum}):\n\
         \x20 cliënten met ondersteuning   {clienten:>12}\n\
         \x20 instroom                     {instroom:>12}\n\
         \x20 uitstroom                    {uitstroom:>12}\n\
         \x20 doorstroom naar lichter      {lichter:>12}\n\
         \x20 gedeclareerd                 {gedeclareerd:>12}\n\
         \x20 verwacht                     {verwacht:>12}  (gedeclareerd is {pct} van verwacht)\n",
        gemeente = config.gemeente_naam,
        periode = text("periode"),
        peildatum = text("peildatum"),
        clienten = show("clienten", dutch::whole),
        instroom = show("instroom", dutch::whole),
        uitstroom = show("uitstroom", dutch::whole),
        lichter = show("doorstroom_lichter", dutch::whole),
        gedeclareerd = show("gedeclareerd", dutch::euro),
        verwacht = show("verwacht", dutch::euro),
        pct = show("gedeclareerd_vs_verwacht_pct", dutch::percent),
    ))
}
