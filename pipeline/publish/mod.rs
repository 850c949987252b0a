//! `wmo-monitor publish`: a period's reports in `out/<periode>/`, from the kpi
//! tables `compute` kept. Per provider with clients, a performance-dialogue
//! pack (HTML and XLSX); for the council, the Monitor Sociaal Domein (HTML and
//! XLSX); an index page listing them. Disclosure control (`disclosure`) is
//! applied while the report model is built, before any template or workbook
//! sees a figure. The folder is written aside and then swapped in whole, so
//! a reader never finds half a quarter.

pub mod catalogue;
pub mod charts;
pub mod data;
pub mod disclosure;
pub mod model;
mod monitor;
mod pack;
pub mod png;
mod render;
mod shells;
pub mod source;
pub mod summary;
pub mod tabellen;
pub mod volledigheid;
mod workbook;

pub use source::ReportSource;

use crate::config::Config;
use crate::engine::session;
use crate::error::{Error, Result};
use crate::periode::Periode;
use catalogue::Catalogue;
use model::Rapport;
use serde::Serialize;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Default)]
pub struct PublishOptions {
    /// A quarter (2019-Q4) or half-year; default: the latest quarter computed.
    pub periode: Option<Periode>,
    pub show_progress: bool,
    /// The "made on" stamp of the reports; default: now (tests fix it).
    pub gemaakt_op: Option<String>,
}

#[derive(Debug)]
pub struct Published {
    pub periode: Periode,
    pub folder: PathBuf,
    pub packs: usize,
    pub files: usize,
    pub elapsed: Duration,
}

impl fmt::Display for Published {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Published {} in {:.1} s: the Monitor Sociaal Domein and {} provider packs ({} files).",
            self.periode,
            self.elapsed.as_secs_f64(),
            self.packs,
            self.files
        )?;
        write!(f, "Open {} to see them.", self.folder.join("index.html").display())
    }
}

#[derive(Serialize)]
struct ReportContext<'a> {
    rapport: &'a Rapport,
}

#[derive(Serialize)]
struct IndexContext<'a> {
    rapport: &'a Rapport,
    rapporten: &'a [Entry],
}

/// One line of the index page.
#[derive(Debug, Serialize)]
struct Entry {
    titel: String,
    aanbieder: Option<String>,
    html: String,
    xlsx: String,
}

pub fn publish(config: &Config, options: &PublishOptions) -> Result<Published> {
    let started = Instant::now();
    let source = ReportSource::of(config);
    let catalogue = Catalogue::load(&source)?;
    let tabellen = tabellen::Tabellen::load(&source)?;
    let renderer = render::Renderer::new(&source)?;
    let runtime = session::runtime()?;
    let limits = crate::engine::Limits::of(config);

    let (periode, gegevens, peildatum) = runtime.block_on(async {
        let ctx = crate::engine::open(config, None, &limits).await?;
        if !ctx.table_exist("kpi_wmo").unwrap_or(false) {
            return Err(Error::Invalid(
                "the lake has no computed figures yet: run `wmo-monitor ingest`, then `wmo-monitor compute --all`, before publish"
                    .into(),
            ));
        }
        let periode = match options.periode {
            Some(p) => p,
            None => crate::engine::catalog::latest_quarter(&ctx).await?.ok_or_else(|| {
                Error::Invalid("the lake has no computed quarter yet: run `wmo-monitor compute --all` first".into())
            })?,
        };
        let Some(row) = data::wmo_row(&ctx, periode).await? else {
            return Err(Error::Invalid(format!(
                "the lake has no figures for {periode}: run `wmo-monitor compute --periode {periode}` first"
            )));
        };
        let bronnen = tabellen.check(&ctx).await?;
        catalogue.check(&ctx).await?;
        let gegevens = data::load(&ctx, periode, &tabellen, &bronnen).await?;
        Ok::<_, Error>((periode, gegevens, row.text("peildatum")))
    })?;

    let basis = Rapport {
        soort: "",
        titel: String::new(),
        gemeente: config.gemeente_naam.clone(),
        periode: periode.to_string(),
        periode_naam: periode.naam(),
        peildatum,
        gemaakt_op: options
            .gemaakt_op
            .clone()
            .unwrap_or_else(|| chrono::Local::now().format("%d-%m-%Y %H:%M").to_string()),
        aanbieder: None,
        perioden: gegevens.perioden(),
        hoofdstukken: Vec::new(),
        punten: Vec::new(),
        waarschuwingen: Vec::new(),
        tabellen: Vec::new(),
    };

    let providers: Vec<(String, String)> = gegevens
        .aanbieders
        .iter()
        .filter(|r| r.text("periode") == basis.periode && r.get("clienten").count().unwrap_or(0) > 0)
        .map(|r| {
            let agb = r.text("aanbieder_agb");
            let naam = gegevens
                .namen
                .iter()
                .find(|n| n.text("aanbieder_agb") == agb)
                .map(|n| n.text("naam"))
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("aanbieder {agb}"));
            (agb, naam)
        })
        .collect();

    let out = &config.paths.out;
    fs::create_dir_all(out).map_err(Error::io("cannot create", out))?;
    let staging = out.join(format!(".{periode}.wordt-gemaakt"));
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(Error::io("cannot clear", &staging))?;
    }
    for sub in ["aanbieders", summary::GRAFIEKEN] {
        fs::create_dir_all(staging.join(sub)).map_err(Error::io("cannot create", &staging))?;
    }

    let bar = crate::progress::counter(providers.len() as u64 + 1, "publish", options.show_progress);
    let mut entries = Vec::new();
    let monitor = monitor::build(&gegevens, &catalogue.monitor, &tabellen, &basis);
    let name = format!("monitor-sociaal-domein-{periode}");
    write_report(&renderer, &source, &monitor, "monitor.html", &staging, &name)?;
    let mut samenvatting = summary::Samenvatting {
        gemeente: config.gemeente_naam.clone(),
        periode: basis.periode.clone(),
        periode_naam: basis.periode_naam.clone(),
        peildatum: basis.peildatum.clone(),
        monitor: summarise(&monitor, &staging, &name)?,
        pakketten: Vec::new(),
    };
    entries.push(Entry {
        titel: monitor.titel.clone(),
        aanbieder: None,
        html: format!("{name}.html"),
        xlsx: format!("{name}.xlsx"),
    });
    bar.inc(1);

    let context = pack::Context::new(
        &gegevens,
        &catalogue.pakket,
        &catalogue.punten,
        &tabellen,
        &basis.periode,
        &basis.perioden,
        &basis,
    );
    for (agb, naam) in &providers {
        let rapport = pack::build(&context, agb, naam);
        let name = format!("aanbieders/prestatiedialoog-{agb}-{periode}");
        write_report(&renderer, &source, &rapport, "pakket.html", &staging, &name)?;
        samenvatting.pakketten.push(summarise(&rapport, &staging, &name)?);
        entries.push(Entry {
            titel: rapport.titel.clone(),
            aanbieder: Some(agb.clone()),
            html: format!("{name}.html"),
            xlsx: format!("{name}.xlsx"),
        });
        bar.inc(1);
    }
    let index = renderer.render("index.html", &IndexContext { rapport: &basis, rapporten: &entries }, &source)?;
    write_file(&staging.join("index.html"), index.as_bytes())?;
    samenvatting.write(&staging)?;
    bar.finish_and_clear();

    let folder = out.join(periode.to_string());
    swap_in(&staging, &folder)?;
    Ok(Published { periode, folder, packs: providers.len(), files: entries.len() * 2 + 2, elapsed: started.elapsed() })
}

fn write_report(
    renderer: &render::Renderer,
    source: &ReportSource,
    rapport: &Rapport,
    template: &str,
    folder: &Path,
    name: &str,
) -> Result<()> {
    let html = renderer.render(template, &ReportContext { rapport }, source)?;
    write_file(&folder.join(format!("{name}.html")), html.as_bytes())?;
    workbook::write(rapport, &folder.join(format!("{name}.xlsx")))
}

/// The report's entry in `samenvatting.toml`, with the PNG sparklines of its
/// headline figures written beside it for the mail body.
fn summarise(rapport: &Rapport, folder: &Path, name: &str) -> Result<summary::RapportSamenvatting> {
    let (samenvatting, grafieken) =
        summary::RapportSamenvatting::of(rapport, vec![format!("{name}.html"), format!("{name}.xlsx")], name)?;
    for (path, png) in grafieken {
        write_file(&folder.join(path), &png)?;
    }
    Ok(samenvatting)
}

fn write_file(path: &Path, content: &[u8]) -> Result<()> {
    fs::write(path, content).map_err(Error::io("cannot write", path))
}

/// Replaces `folder` by `staging`: the old folder is moved aside first and
/// removed only once the new one is in place.
fn swap_in(staging: &Path, folder: &Path) -> Result<()> {
    let old = folder.with_file_name(format!(
        ".{}.oud",
        folder.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    ));
    if old.exists() {
        fs::remove_dir_all(&old).map_err(Error::io("cannot clear", &old))?;
    }
    if folder.exists() {
        fs::rename(folder, &old).map_err(Error::io("cannot move aside", folder))?;
    }
    fs::rename(staging, folder).map_err(Error::io("cannot put in place", folder))?;
    if old.exists() {
        fs::remove_dir_all(&old).map_err(Error::io("cannot remove", &old))?;
    }
    Ok(())
}
