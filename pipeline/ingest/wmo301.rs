//! WMO301 toewijzing: the gemeente's allocations to a provider, one row per
//! ToegewezenProduct with the client's pseudonym, birth year, sex and
//! 4-digit postcode.

use super::iwmo::{self, Direction, MessageKind};
use super::source::{Context, Fault, Input, Loaded, Sniff, Source};
use super::xml::Element;
use crate::lake::{Table, Value};

pub struct Wmo301;

const KIND: MessageKind = MessageKind { name: "wmo301", code: "414", direction: Direction::FromGemeente };

impl Source for Wmo301 {
    fn kind(&self) -> &'static str {
        KIND.name
    }

    fn recognise(&self, sniff: &Sniff) -> bool {
        matches!(sniff, Sniff::Xml { namespace, root } if *root == "Bericht" && *namespace == iwmo::namespace(KIND.name))
    }

    fn load(&self, input: &Input, context: &Context) -> Loaded {
        let (loaded, _) =
            iwmo::load_message(input.text, &KIND, "/Bericht/Client", context, &mut |header, _, client, _, loaded| {
                let rows = read_client(header, client, context)?;
                loaded.rows.extend(rows.into_iter().map(|row| (Table::Toewijzingen, row)));
                Ok(())
            });
        loaded
    }
}

fn read_client(header: &iwmo::Header, client: &Element, context: &Context) -> Result<Vec<Vec<Value>>, Fault> {
    let pseudonym = iwmo::pseudonym(client, context)?;
    // The message of a bad birth date must not repeat it.
    let birth_year =
        iwmo::optional_birth_date(client, "Geboortedatum/Datum")?.map(|d| i64::from(chrono::Datelike::year(&d)));
    let sex = iwmo::optional_code(client, "Geslacht", iwmo::GESLACHT, "COD046 Geslacht")?;
    let postcode4 = residential_postcode4(client);
    let products = client
        .child("ToegewezenProducten")
        .ok_or_else(|| Fault::new(&super::rules::REQUIRED, "ToegewezenProducten is missing in Client"))?;
    let mut rows = Vec::new();
    for product in products.all("ToegewezenProduct") {
        let number = iwmo::required(product, "ToewijzingNummer")?;
        let category = iwmo::code(product, "Product/Categorie", iwmo::PRODUCTCATEGORIE, "WMO020 Productcategorie")?;
        let code = iwmo::required(product, "Product/Code")?;
        let decided = iwmo::date(product, "Toewijzingsdatum")?;
        let start = iwmo::date(product, "Ingangsdatum")?;
        let end = iwmo::optional_end_date(product, "Einddatum")?;
        iwmo::ordered(start, end, &format!("allocation {number}"))?;
        let reason = iwmo::optional_code(product, "RedenWijziging", iwmo::REDEN_WIJZIGING, "WJ759 RedenWijziging")?;
        let volume = iwmo::optional_volume(product, "Omvang/Volume")?;
        let unit = iwmo::optional_code(product, "Omvang/Eenheid", iwmo::EENHEID, "WJ756 Eenheid")?;
        let frequency = iwmo::optional_code(product, "Omvang/Frequentie", iwmo::FREQUENTIE, "WJ757 Frequentie")?;
        let budget = iwmo::optional_amount(product, "Budget")?;
        let mut row = header.row(&pseudonym);
        row.extend([
            birth_year.into(),
            sex.into(),
            postcode4.clone().into(),
            number.into(),
            category.into(),
            code.into(),
            decided.into(),
            start.into(),
            end.into(),
            reason.into(),
            volume.into(),
            unit.into(),
            frequency.into(),
            budget.into(),
        ]);
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(Fault::new(&super::rules::REQUIRED, "the client has no ToegewezenProduct"));
    }
    Ok(rows)
}

/// The 4 digits of the postcode of the residential address (Soort 01), or of
/// the first address when none is marked; the letters are dropped.
fn residential_postcode4(client: &Element) -> Option<String> {
    let contacts = client.child("Contactgegevens")?;
    let contact =
        contacts.all("Contact").find(|c| c.text_at("Soort") == Some("01")).or_else(|| contacts.child("Contact"))?;
    let postcode = contact.text_at("Adres/Postcode")?;
    let digits: String = postcode.chars().take(4).collect();
    (digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}
