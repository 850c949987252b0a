//! WMO323 declaratie: a provider's monthly claim, one row per Prestatie.
//!
//! The declaration as a whole must be sound (one calendar month, a total
//! that is the signed sum of all its lines as sent); otherwise it is rejected
//! whole. A client with an invalid BSN is quarantined alone, and so is a line
//! that breaks a line rule. Whether a line fits its allocation is not checked
//! here: the indicators classify that (`onrechtmatig`).

use super::iwmo::{self, Direction, MessageKind};
use super::rules;
use super::source::{Context, Fault, Herkomst, Input, Loaded, Reject, Sniff, Source};
use super::xml::Element;
use crate::lake::{Table, Value};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

pub struct Wmo323;

const KIND: MessageKind = MessageKind { name: "wmo323", code: "484", direction: Direction::ToGemeente };

struct Declaration {
    number: String,
    begin: NaiveDate,
    end: NaiveDate,
    dated: NaiveDate,
    total: Decimal,
}

impl Source for Wmo323 {
    fn kind(&self) -> &'static str {
        KIND.name
    }

    fn recognise(&self, sniff: &Sniff) -> bool {
        matches!(sniff, Sniff::Xml { namespace, root } if *root == "Bericht" && *namespace == iwmo::namespace(KIND.name))
    }

    fn load(&self, input: &Input, context: &Context) -> Loaded {
        let text = input.text;
        let mut declaration: Option<Result<Declaration, Fault>> = None;
        let mut sum_as_sent = Decimal::ZERO;
        let (loaded, header) = iwmo::load_message(
            text,
            &KIND,
            "/Bericht/Declaratie/Clienten/Client",
            context,
            &mut |header, ancestors, client, xpath, loaded| {
                for line in client.at("Prestaties").into_iter().flat_map(|p| p.all("Prestatie")) {
                    if let Ok((amount, _)) = signed_amount(line) {
                        sum_as_sent += amount;
                    }
                }
                let declaration = declaration.get_or_insert_with(|| match ancestors.get(1) {
                    Some(el) if el.name == "Declaratie" => read_declaration(el),
                    _ => Err(Fault::new(&rules::REQUIRED, "Client must stand in Declaratie/Clienten")),
                });
                let Ok(declaration) = declaration else { return Ok(()) };
                read_client(text, header, declaration, client, xpath, context, loaded)
            },
        );
        let Some(header) = header else { return loaded };
        let declaration = match declaration {
            Some(result) => result,
            None => match find_declaration(text) {
                Ok(el) => read_declaration(&el),
                Err(fault) => Err(fault),
            },
        };
        let herkomst = Herkomst {
            aanbieder_agb: Some(header.agb.clone()),
            declaratie_maand: declaration.as_ref().ok().map(|d| d.begin),
            dagtekening: Some(header.dagtekening),
        };
        let mut loaded = match declaration {
            Err(fault) => iwmo::reject_whole(text, fault, "/Bericht/Declaratie"),
            Ok(declaration) if declaration.total != sum_as_sent => iwmo::reject_whole(
                text,
                Fault::new(
                    &rules::DECL_TOTAL,
                    format!(
                        "TotaalIngediendBedrag is {} euro but the lines add up to {} euro",
                        declaration.total, sum_as_sent
                    ),
                ),
                "/Bericht/Declaratie/TotaalIngediendBedrag",
            ),
            Ok(_) => loaded,
        };
        loaded.herkomst = herkomst;
        loaded
    }
}

/// A declaration without clients: read its own fields for the checks.
fn find_declaration(text: &str) -> Result<Element, Fault> {
    let root = super::xml::stream(text, "Client", &mut |_, _, _| {})
        .map_err(|e| Fault::new(&rules::XML_MALFORMED, e.message))?;
    root.children
        .into_iter()
        .find(|c| c.name == "Declaratie")
        .ok_or_else(|| Fault::new(&rules::REQUIRED, "the message has no Declaratie"))
}

fn read_declaration(el: &Element) -> Result<Declaration, Fault> {
    let number = iwmo::required(el, "DeclaratieNummer")?.to_string();
    let begin = iwmo::date(el, "DeclaratiePeriode/Begindatum")?;
    let end = iwmo::date(el, "DeclaratiePeriode/Einddatum")?;
    iwmo::ordered(begin, Some(end), "DeclaratiePeriode")?;
    if begin.day() != 1 || end != last_day_of_month(begin) {
        return Err(Fault::new(
            &rules::DECL_MONTH,
            format!("the DeclaratiePeriode {begin} to {end} is not one calendar month"),
        ));
    }
    let dated = iwmo::date(el, "DeclaratieDagtekening")?;
    let total = el
        .child("TotaalIngediendBedrag")
        .ok_or_else(|| Fault::new(&rules::REQUIRED, "TotaalIngediendBedrag is missing"))
        .and_then(|t| signed(t, "TotaalBedrag"))?
        .0;
    Ok(Declaration { number, begin, end, dated, total })
}

fn last_day_of_month(day: NaiveDate) -> NaiveDate {
    let (year, month) = if day.month() == 12 { (day.year() + 1, 1) } else { (day.year(), day.month() + 1) };
    NaiveDate::from_ymd_opt(year, month, 1).and_then(|d| d.pred_opt()).unwrap_or(day)
}

/// An amount in cents with its `DebetCredit`, as signed euro, and the sign.
fn signed<'a>(el: &'a Element, amount_path: &str) -> Result<(Decimal, &'a str), Fault> {
    // Unsigned: DebetCredit gives the sign.
    let euro = iwmo::amount(el, amount_path)?;
    let sign = iwmo::code(el, "DebetCredit", iwmo::DEBET_CREDIT, "COD043 DebetCredit")?;
    Ok((if sign == "C" { -euro } else { euro }, sign))
}

fn signed_amount(line: &Element) -> Result<(Decimal, &str), Fault> {
    let amount =
        line.child("IngediendBedrag").ok_or_else(|| Fault::new(&rules::REQUIRED, "IngediendBedrag is missing"))?;
    signed(amount, "Bedrag")
}

fn read_client(
    text: &str,
    header: &iwmo::Header,
    declaration: &Declaration,
    client: &Element,
    xpath: &str,
    context: &Context,
    loaded: &mut Loaded,
) -> Result<(), Fault> {
    let pseudonym = iwmo::pseudonym(client, context)?;
    let lines =
        client.child("Prestaties").ok_or_else(|| Fault::new(&rules::REQUIRED, "Prestaties is missing in Client"))?;
    for (index, line) in lines.all("Prestatie").enumerate() {
        match read_line(header, declaration, &pseudonym, line) {
            Ok((row, warning)) => {
                if let Some(rule) = warning {
                    loaded.warnings.push(rule);
                }
                loaded.rows.push((Table::Declaratieregels, row));
            }
            Err(fault) => {
                let line_xpath = format!("{xpath}/Prestaties/Prestatie[{}]", index + 1);
                loaded.rejects.push(Reject {
                    rule: fault.rule,
                    location: iwmo::location(text, &line_xpath, line),
                    message: fault.message,
                    raw: text[line.start..line.end].to_string(),
                });
            }
        }
    }
    Ok(())
}

fn read_line(
    header: &iwmo::Header,
    declaration: &Declaration,
    pseudonym: &str,
    line: &Element,
) -> Result<(Vec<Value>, Option<&'static rules::Rule>), Fault> {
    let reference = iwmo::required(line, "ProductReferentie/ReferentieNummer")?;
    let previous = line.text_at("ProductReferentie/VorigReferentieNummer");
    let allocation = iwmo::required(line, "ToewijzingNummer")?;
    let category = iwmo::code(line, "ProductCategorie", iwmo::PRODUCTCATEGORIE, "WMO020 Productcategorie")?;
    let code = iwmo::required(line, "ProductCode")?;
    let begin = iwmo::date(line, "ProductPeriode/Begindatum")?;
    let end = iwmo::date(line, "ProductPeriode/Einddatum")?;
    iwmo::ordered(begin, Some(end), "ProductPeriode")?;
    if begin < declaration.begin || end > declaration.end {
        return Err(Fault::new(
            &rules::DECL_PRODUCT_PERIOD,
            format!(
                "the ProductPeriode {begin} to {end} lies outside the DeclaratiePeriode {} to {}",
                declaration.begin, declaration.end
            ),
        ));
    }
    let volume = iwmo::volume(line, "GeleverdVolume")?;
    let unit = iwmo::code(line, "Eenheid", iwmo::EENHEID, "WJ756 Eenheid")?;
    let tariff = iwmo::optional_amount(line, "ProductTarief")?;
    let (amount, sign) = signed_amount(line)?;
    if sign == "C" && previous.is_none() {
        return Err(Fault::new(
            &rules::DECL_CREDIT_REFERENCE,
            format!("credit line {reference} does not name the debit line it cancels (VorigReferentieNummer)"),
        ));
    }
    let warning = tariff.filter(|tariff| Decimal::from(volume) * *tariff != amount.abs()).map(|_| &rules::DECL_AMOUNT);
    let mut row = header.row(pseudonym);
    row.extend([
        declaration.number.clone().into(),
        declaration.begin.into(),
        declaration.end.into(),
        declaration.dated.into(),
        declaration.total.into(),
        reference.into(),
        previous.into(),
        allocation.into(),
        category.into(),
        code.into(),
        begin.into(),
        end.into(),
        volume.into(),
        unit.into(),
        tariff.into(),
        amount.into(),
        sign.into(),
        warning.map(|rule| rule.id).into(),
    ]);
    Ok((row, warning))
}
