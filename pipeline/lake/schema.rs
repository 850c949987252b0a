//! Every lake table and column, with a one-line description. The README's
//! table schemas and the analysts' catalogue are written from this list.

use arrow_schema::{DataType, Field, Schema, TimeUnit};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    Date,
    Int,
    /// Euro, exact: Decimal128(18,2).
    Money,
    /// A survey grade such as 7,5: Decimal128(4,1).
    Grade,
    /// UTC instant.
    Timestamp,
}

impl ColumnType {
    pub fn arrow(self) -> DataType {
        match self {
            ColumnType::Text => DataType::Utf8,
            ColumnType::Date => DataType::Date32,
            ColumnType::Int => DataType::Int64,
            ColumnType::Money => DataType::Decimal128(18, 2),
            ColumnType::Grade => DataType::Decimal128(4, 1),
            ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())),
        }
    }
}

#[derive(Debug)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColumnType,
    pub nullable: bool,
    pub doc: &'static str,
}

#[derive(Debug)]
pub struct TableDef {
    pub name: &'static str,
    pub doc: &'static str,
    pub columns: &'static [Column],
}

impl TableDef {
    pub fn arrow_schema(&self) -> Arc<Schema> {
        let fields: Vec<Field> = self.columns.iter().map(|c| Field::new(c.name, c.ty.arrow(), c.nullable)).collect();
        Arc::new(Schema::new(fields))
    }
}

const fn req(name: &'static str, ty: ColumnType, doc: &'static str) -> Column {
    Column { name, ty, nullable: false, doc }
}
const fn opt(name: &'static str, ty: ColumnType, doc: &'static str) -> Column {
    Column { name, ty, nullable: true, doc }
}

use ColumnType::{Date, Grade, Int, Money, Text, Timestamp};

/// Every raw and reference table ends with two lineage columns: where the row
/// came from.
macro_rules! columns {
    ($($col:expr),* $(,)?) => {
        &[
            $($col,)*
            req("laad_id", Int, "the ingest batch that loaded the row (see laadlog)"),
            req("bestand_hash", Text, "SHA-256 of the source file's content"),
        ]
    };
}

/// The header fields every iWmo row carries.
macro_rules! message_columns {
    ($($col:expr),* $(,)?) => {
        columns![
            req("bericht_identificatie", Text, "Header/BerichtIdentificatie/Identificatie"),
            req("dagtekening", Date, "Header/BerichtIdentificatie/Dagtekening"),
            req("gemeente", Text, "CBS code of the municipality"),
            req("aanbieder_agb", Text, "8-digit AGB code of the provider"),
            req("client_pseudoniem", Text, "keyed HMAC-SHA-256 pseudonym of the client's BSN"),
            $($col),*
        ]
    };
}

pub static TOEWIJZINGEN: TableDef = TableDef {
    name: "toewijzingen",
    doc: "every WMO301 allocation version received, one row per ToegewezenProduct",
    columns: message_columns![
        opt("geboortejaar", Int, "client's year of birth (the full date is dropped)"),
        opt("geslacht", Text, "0 onbekend, 1 man, 2 vrouw"),
        opt("postcode4", Text, "4-digit postcode of the client's address (Soort 01)"),
        req("toewijzingnummer", Text, "ToewijzingNummer"),
        req("productcategorie", Text, "Product/Categorie (WMO020)"),
        req("productcode", Text, "Product/Code"),
        req("toewijzingsdatum", Date, "date of the decision"),
        req("ingangsdatum", Date, "allocation starts"),
        opt("einddatum", Date, "allocation ends (planned); empty when open"),
        opt("reden_wijziging", Text, "RedenWijziging; 13 = verwijderd"),
        opt("volume", Int, "Omvang/Volume"),
        opt("eenheid", Text, "Omvang/Eenheid"),
        opt("frequentie", Text, "Omvang/Frequentie"),
        opt("budget", Money, "Budget in euro"),
    ],
};

pub static ZORGMELDINGEN: TableDef = TableDef {
    name: "zorgmeldingen",
    doc: "WMO305 start and WMO307 stop of care, one row per StartProduct or StopProduct",
    columns: message_columns![
        req("berichtsoort", Text, "wmo305 (start) or wmo307 (stop)"),
        req("toewijzingnummer", Text, "ToewijzingNummer"),
        req("productcategorie", Text, "Product/Categorie"),
        req("productcode", Text, "Product/Code"),
        req("toewijzing_ingangsdatum", Date, "ToewijzingIngangsdatum"),
        req("begindatum", Date, "care started"),
        opt("einddatum", Date, "care stopped (wmo307)"),
        opt("reden_beeindiging", Text, "RedenBeeindiging (wmo307)"),
        req("status_aanlevering", Text, "1 first, 2 replaces, 3 deletes"),
    ],
};

pub static DECLARATIEREGELS: TableDef = TableDef {
    name: "declaratieregels",
    doc: "WMO323 declaration lines, one row per Prestatie with its message's header fields",
    columns: message_columns![
        req("declaratienummer", Text, "DeclaratieNummer"),
        req("declaratie_begin", Date, "DeclaratiePeriode/Begindatum"),
        req("declaratie_eind", Date, "DeclaratiePeriode/Einddatum"),
        req("declaratie_dagtekening", Date, "DeclaratieDagtekening"),
        req("declaratie_totaal", Money, "TotaalIngediendBedrag, signed euro (credit negative)"),
        req("referentienummer", Text, "ProductReferentie/ReferentieNummer"),
        opt("vorig_referentienummer", Text, "the debit line a credit line cancels"),
        req("toewijzingnummer", Text, "ToewijzingNummer"),
        req("productcategorie", Text, "ProductCategorie"),
        req("productcode", Text, "ProductCode"),
        req("product_begin", Date, "ProductPeriode/Begindatum"),
        req("product_eind", Date, "ProductPeriode/Einddatum"),
        req("geleverd_volume", Int, "GeleverdVolume"),
        req("eenheid", Text, "Eenheid"),
        opt("product_tarief", Money, "ProductTarief in euro"),
        req("bedrag", Money, "IngediendBedrag, signed euro (credit negative)"),
        req("debet_credit", Text, "D or C"),
        opt("waarschuwing", Text, "rule id of a warning, such as DECL-05 (amount is not volume x tariff)"),
    ],
};

pub static ERVARINGEN: TableDef = TableDef {
    name: "ervaringen",
    doc: "client-experience survey, one row per respondent",
    columns: columns![
        req("respondent_id", Text, "respondent number of the survey"),
        req("aanbieder_agb", Text, "provider the answers are about"),
        opt("client_pseudoniem", Text, "pseudonym; empty for an anonymous respondent"),
        req("datum_ingevuld", Date, "date the survey was filled in"),
        opt("v01", Int, "Ik wist waar ik moest zijn met mijn hulpvraag (1-5)"),
        opt("v02", Int, "Ik werd snel geholpen (1-5)"),
        opt("v03", Int, "De medewerker nam mij serieus (1-5)"),
        opt("v04", Int, "We hebben samen naar oplossingen gezocht (1-5)"),
        opt("v05", Int, "De kwaliteit van de ondersteuning is goed (1-5)"),
        opt("v06", Int, "Door de ondersteuning kan ik de dingen doen die ik wil (1-5)"),
        opt("v07", Int, "Door de ondersteuning kan ik mij beter redden (1-5)"),
        opt("v08", Int, "Door de ondersteuning heb ik een betere kwaliteit van leven (1-5)"),
        opt("rapportcijfer", Grade, "grade 1-10"),
    ],
};

pub static EVALUATIES: TableDef = TableDef {
    name: "evaluaties",
    doc: "goal evaluations by the neighbourhood teams, one row per evaluation",
    columns: columns![
        req("toewijzingnummer", Text, "the allocation evaluated"),
        req("aanbieder_agb", Text, "provider of the allocation"),
        req("client_pseudoniem", Text, "pseudonym of the client"),
        req("evaluatiedatum", Date, "date of the evaluation"),
        req("soort", Text, "tussentijds or eind"),
        req("doelrealisatie", Text, "volledig, gedeeltelijk or niet"),
        opt("vervolg", Text, "geen, voorliggend, maatwerk; empty when unknown"),
    ],
};

pub static AANBIEDERS: TableDef = TableDef {
    name: "aanbieders",
    doc: "reference snapshot: contracted providers and their contract managers",
    columns: columns![
        req("agb", Text, "8-digit AGB code"),
        req("naam", Text, "provider name"),
        req("contract", Text, "DIAH, TO or DIAH+TO"),
        opt("contract_vanaf", Date, "contract start"),
        opt("contract_tot", Date, "contract end"),
        opt("contractmanager_email", Text, "mail address of the contract manager"),
    ],
};

pub static PRODUCTEN: TableDef = TableDef {
    name: "producten",
    doc: "reference snapshot: products, their place in the TO matrix and monthly tariffs over time",
    columns: columns![
        req("productcode", Text, "product code"),
        req("productcategorie", Text, "WMO020 category"),
        req("omschrijving", Text, "description"),
        req("model", Text, "DIAH or TO"),
        req("maatwerk", Text, "ja for an exception outside the model"),
        opt("resultaatgebieden", Text, "1-2, 3-4 or 5-6"),
        opt("type", Text, "ondersteunend or activerend"),
        opt("intensiteit", Text, "gemiddeld, plus or hoog"),
        req("tarief_per_maand", Money, "monthly tariff in euro"),
        req("geldig_vanaf", Date, "tariff valid from"),
        opt("geldig_tot", Date, "tariff valid until"),
    ],
};

pub static WIJKEN: TableDef = TableDef {
    name: "wijken",
    doc: "reference snapshot: 4-digit postcodes to wijk and stadsdeel",
    columns: columns![
        req("postcode4", Text, "4-digit postcode"),
        req("wijk", Text, "neighbourhood"),
        req("stadsdeel", Text, "district"),
    ],
};

pub static INWONERS: TableDef = TableDef {
    name: "inwoners",
    doc: "reference snapshot: residents on 1 January per district",
    columns: columns![
        req("jaar", Int, "year"),
        req("stadsdeel", Text, "district"),
        req("inwoners", Int, "residents on 1 January"),
    ],
};

pub static BUDGETPLAFONDS: TableDef = TableDef {
    name: "budgetplafonds",
    doc: "reference snapshot: each provider's budget ceiling (fictief budgetplafond) per year",
    columns: columns![
        req("aanbieder_agb", Text, "8-digit AGB code of the provider"),
        req("jaar", Int, "year"),
        req("plafond", Money, "the provider's ceiling for the year, euro"),
    ],
};

pub static BEGROTING: TableDef = TableDef {
    name: "begroting",
    doc: "reference snapshot: yearly budget and expected savings per scenario",
    columns: columns![
        req("jaar", Int, "year"),
        req("begroting", Money, "budget in euro"),
        req("besparing_behoudend", Money, "expected saving, scenario behoudend"),
        req("besparing_gemiddeld", Money, "expected saving, scenario gemiddeld"),
        req("besparing_optimaal", Money, "expected saving, scenario optimaal"),
    ],
};

pub static LAADLOG: TableDef = TableDef {
    name: "laadlog",
    doc: "one row per file ingest saw: what it was and what became of it",
    columns: &[
        req("laad_id", Int, "the batch the file was committed in"),
        req("bestand", Text, "path under inbox/ or reference/ (nine-digit runs masked)"),
        req("bestand_hash", Text, "SHA-256 of the content; a file is known by it"),
        req("bytes", Int, "file size"),
        req("soort", Text, "kind recognised from the content (wmo301, ..., onbekend)"),
        req("records_geladen", Int, "rows written to the lake"),
        req("records_geweigerd", Int, "records sent to quarantaine"),
        req("waarschuwingen", Int, "records loaded with a warning"),
        req("uitkomst", Text, "geladen, gedeeltelijk, geweigerd or dubbel (skipped: content seen before)"),
        req("tijdstip", Timestamp, "when the batch was committed"),
        opt("aanbieder_agb", Text, "the provider an iWmo message is from or to, when its header could be read"),
        opt("declaratie_maand", Date, "first day of the month a WMO323 declares, when it could be read"),
        opt("dagtekening", Date, "the Dagtekening of an iWmo message, when its header could be read"),
    ],
};

/// Written by `compute`, not ingest: one row per kpi table per run.
pub static BEREKENINGEN: TableDef = TableDef {
    name: "berekeningen",
    doc: "one row per kpi table per compute run: when, as of which date, which periods, how many rows",
    columns: &[
        req("berekening_id", Int, "the compute run"),
        req("gestart", Timestamp, "when the run started"),
        req("klaar", Timestamp, "when its tables were in place"),
        req("peildatum", Date, "the as-of date the figures were computed with"),
        req("perioden", Text, "the periods (or years, for kpi_begroting) the run wrote, comma-separated"),
        req("tabel", Text, "the kpi table"),
        req("rijen", Int, "rows written to the table"),
    ],
};

pub static VERZENDINGEN: TableDef = TableDef {
    name: "verzendingen",
    doc: "the delivery ledger: one row per report mailed to one recipient, so that each goes out once",
    columns: &[
        req("periode", Text, "the period of the reports"),
        req("rapport", Text, "prestatiedialoog (the packs of a contract manager's providers) or monitor"),
        req("ontvanger", Text, "the mail address it went to"),
        req("versie", Text, "SHA-256 (first 16 hex digits) of the attachments: a re-published report has another"),
        req(
            "kanaal",
            Text,
            "outbox (an .eml file), smtp, smtp-bezig (recorded just before the SMTP transaction began) or smtp-mislukt (the server did not take it)",
        ),
        req(
            "bericht",
            Text,
            "the .eml file, or the SMTP server's answer and the Message-ID (smtp-bezig: the Message-ID)",
        ),
        req("verzonden", Timestamp, "when it went out (smtp-bezig: when sending began)"),
    ],
};

/// Written by `signals`: every signal of every run, so its history can be queried.
pub static SIGNALEN: TableDef = TableDef {
    name: "signalen",
    doc: "the signals between the quarters: each run of `signals` adds the signals it found and those that no longer fire",
    columns: &[
        req("peildatum", Date, "the as-of date of the run that recorded the row"),
        req("soort", Text, "the kind: a view of queries/signals (stille_aanbieder, dure_trajecten, ...)"),
        req("aanbieder_agb", Text, "8-digit AGB code of the provider"),
        req(
            "onderwerp",
            Text,
            "what it is about: a month (2019-12), a year, an allocation number (see the kind's view)",
        ),
        req("waarde", Money, "the value that passed the threshold, in the kind's unit (see its view)"),
        req("drempel", Money, "the threshold, from queries/signals/drempels.toml"),
        req(
            "status",
            Text,
            "nieuw (first seen on this peildatum), lopend (seen before too) or opgelost (seen before, not now)",
        ),
        req("eerst_gezien", Date, "the peildatum of the run that first found it"),
        req("laatst_gezien", Date, "the peildatum of the latest run that found it"),
        req("vastgelegd", Timestamp, "when the run recorded it"),
    ],
};

/// Written by `serve`: the run log of the scheduled jobs.
pub static UITVOERINGEN: TableDef = TableDef {
    name: "uitvoeringen",
    doc: "the run log of `serve`: one row per scheduled run, with its outcome",
    columns: &[
        req("schema", Text, "the schedule (file name in schedules/ without .toml)"),
        req("taak", Text, "the job: ingest, compute, publish, deliver or quarterly"),
        req("gepland", Timestamp, "the scheduled time it ran for (a missed run: the latest it missed)"),
        req("gestart", Timestamp, "when it started"),
        req("klaar", Timestamp, "when it ended"),
        req("uitkomst", Text, "gelukt or mislukt"),
        req("melding", Text, "its summary, or the error it ended with"),
    ],
};

pub static QUARANTAINE: TableDef = TableDef {
    name: "quarantaine",
    doc: "one row per rejected record or file, with the rule it broke",
    columns: &[
        req("laad_id", Int, "the batch"),
        req("bestand", Text, "the file"),
        req("bestand_hash", Text, "SHA-256 of the file"),
        req("soort", Text, "kind of the file"),
        req("locatie", Text, "XPath of the record and its line, or the CSV line"),
        req("regel", Text, "rule id, such as BSN-01"),
        req("melding", Text, "what is wrong, in one sentence"),
        req("ruwe_tekst", Text, "the record as sent, with BSN, names, address and birth date masked"),
        req("tijdstip", Timestamp, "when the batch was committed"),
    ],
};

/// Every table ingest writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Toewijzingen,
    Zorgmeldingen,
    Declaratieregels,
    Ervaringen,
    Evaluaties,
    Aanbieders,
    Producten,
    Wijken,
    Inwoners,
    Begroting,
    Budgetplafonds,
    Laadlog,
    Quarantaine,
}

impl Table {
    pub const ALL: [Table; 13] = [
        Table::Toewijzingen,
        Table::Zorgmeldingen,
        Table::Declaratieregels,
        Table::Ervaringen,
        Table::Evaluaties,
        Table::Aanbieders,
        Table::Producten,
        Table::Wijken,
        Table::Inwoners,
        Table::Begroting,
        Table::Budgetplafonds,
        Table::Laadlog,
        Table::Quarantaine,
    ];

    pub fn def(self) -> &'static TableDef {
        match self {
            Table::Toewijzingen => &TOEWIJZINGEN,
            Table::Zorgmeldingen => &ZORGMELDINGEN,
            Table::Declaratieregels => &DECLARATIEREGELS,
            Table::Ervaringen => &ERVARINGEN,
            Table::Evaluaties => &EVALUATIES,
            Table::Aanbieders => &AANBIEDERS,
            Table::Producten => &PRODUCTEN,
            Table::Wijken => &WIJKEN,
            Table::Inwoners => &INWONERS,
            Table::Begroting => &BEGROTING,
            Table::Budgetplafonds => &BUDGETPLAFONDS,
            Table::Laadlog => &LAADLOG,
            Table::Quarantaine => &QUARANTAINE,
        }
    }

    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// Source rows leave the last two (lineage) columns to the batch.
    pub fn source_width(self) -> usize {
        match self {
            Table::Laadlog | Table::Quarantaine => self.def().columns.len(),
            _ => self.def().columns.len() - 2,
        }
    }
}

impl ColumnType {
    fn label(self) -> &'static str {
        match self {
            ColumnType::Text => "text",
            ColumnType::Date => "date",
            ColumnType::Int => "integer",
            ColumnType::Money => "decimal(18,2), euro",
            ColumnType::Grade => "decimal(4,1)",
            ColumnType::Timestamp => "timestamp, UTC",
        }
    }
}

/// Every lake table as Markdown: what `wmo-monitor tables` prints and the
/// README shows.
pub fn markdown() -> String {
    let mut out = String::new();
    for table in Table::ALL {
        let def = table.def();
        out.push_str(&format!(
            "#### `{}`\n\n{}.\n\n| column | type | description |\n|---|---|---|\n",
            def.name, def.doc
        ));
        for column in def.columns {
            let empty = if column.nullable { "; may be empty" } else { "" };
            out.push_str(&format!("| `{}` | {}{empty} | {} |\n", column.name, column.ty.label(), column.doc));
        }
        out.push('\n');
    }
    out
}
