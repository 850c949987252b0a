//! WMO305 start and WMO307 stop of care: what a provider reports per
//! allocation, one row per StartProduct or StopProduct.

use super::iwmo::{self, Direction, MessageKind};
use super::source::{Context, Fault, Input, Loaded, Sniff, Source};
use super::xml::Element;
use crate::lake::{Table, Value};

pub struct Wmo305;
pub struct Wmo307;

const START: MessageKind = MessageKind { name: "wmo305", code: "418", direction: Direction::ToGemeente };
const STOP: MessageKind = MessageKind { name: "wmo307", code: "420", direction: Direction::ToGemeente };

impl Source for Wmo305 {
    fn kind(&self) -> &'static str {
        START.name
    }
    fn recognise(&self, sniff: &Sniff) -> bool {
        recognise(sniff, &START)
    }
    fn load(&self, input: &Input, context: &Context) -> Loaded {
        load(input, context, &START)
    }
}

impl Source for Wmo307 {
    fn kind(&self) -> &'static str {
        STOP.name
    }
    fn recognise(&self, sniff: &Sniff) -> bool {
        recognise(sniff, &STOP)
    }
    fn load(&self, input: &Input, context: &Context) -> Loaded {
        load(input, context, &STOP)
    }
}

fn recognise(sniff: &Sniff, kind: &MessageKind) -> bool {
    matches!(sniff, Sniff::Xml { namespace, root } if *root == "Bericht" && *namespace == iwmo::namespace(kind.name))
}

fn load(input: &Input, context: &Context, kind: &MessageKind) -> Loaded {
    let (loaded, _) =
        iwmo::load_message(input.text, kind, "/Bericht/Client", context, &mut |header, _, client, _, loaded| {
            let rows = read_client(header, client, context, kind, &mut loaded.warnings)?;
            loaded.rows.extend(rows.into_iter().map(|row| (Table::Zorgmeldingen, row)));
            Ok(())
        });
    loaded
}

fn read_client(
    header: &iwmo::Header,
    client: &Element,
    context: &Context,
    kind: &MessageKind,
    warnings: &mut Vec<&'static super::rules::Rule>,
) -> Result<Vec<Vec<Value>>, Fault> {
    let is_stop = kind.code == STOP.code;
    let (list, item) = if is_stop { ("StopProducten", "StopProduct") } else { ("StartProducten", "StartProduct") };
    let pseudonym = iwmo::pseudonym(client, context)?;
    let products = client
        .child(list)
        .ok_or_else(|| Fault::new(&super::rules::REQUIRED, format!("{list} is missing in Client")))?;
    let mut rows = Vec::new();
    for product in products.all(item) {
        let number = iwmo::required(product, "ToewijzingNummer")?;
        let category = iwmo::code(product, "Product/Categorie", iwmo::PRODUCTCATEGORIE, "WMO020 Productcategorie")?;
        let code = iwmo::required(product, "Product/Code")?;
        let allocation_start = iwmo::date(product, "ToewijzingIngangsdatum")?;
        let begin = iwmo::date(product, "Begindatum")?;
        let (end, reason) = if is_stop {
            let end = iwmo::date(product, "Einddatum")?;
            iwmo::ordered(begin, Some(end), &format!("care for allocation {number}"))?;
            // The WMO588 list grows between releases: a stop with an unlisted
            // code still ends the care (formats.md), and counts as `overig`.
            let reason = iwmo::required(product, "RedenBeeindiging")?;
            if !iwmo::REDEN_BEEINDIGING.contains(&reason) {
                if reason.len() != 2 || !reason.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Fault::new(
                        &super::rules::CODE_LIST,
                        format!("RedenBeeindiging {reason:?} is not a two-digit code of WMO588 RedenBeeindiging"),
                    ));
                }
                warnings.push(&super::rules::STOP_REASON_UNLISTED);
            }
            (Some(end), Some(reason))
        } else {
            (None, None)
        };
        let status = iwmo::code(product, "StatusAanlevering", iwmo::STATUS_AANLEVERING, "COD467 StatusAanlevering")?;
        let mut row = header.row(&pseudonym);
        row.extend([
            kind.name.into(),
            number.into(),
            category.into(),
            code.into(),
            allocation_start.into(),
            begin.into(),
            end.into(),
            reason.into(),
            status.into(),
        ]);
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(Fault::new(&super::rules::REQUIRED, format!("the client has no {item}")));
    }
    Ok(rows)
}
