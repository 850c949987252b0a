//! What a pack says first when its provider's declarations for the period
//! are not complete (`kpi_volledigheid`): which months are missing, which
//! files were refused whole and why, and what the provider must send again.
//! A contract manager should never praise or question a provider on money
//! figures that rest on a refused or missing declaration.

use super::tabellen::Tabellen;
use crate::dutch;
use crate::engine::rows::Row;

/// How complete a provider's declarations for the period are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Volledig,
    /// A month with active allocations is not due yet.
    Voorlopig,
    /// A due month has no declaration.
    Onvolledig,
}

impl Status {
    pub fn of(row: Option<&Row>) -> Status {
        match row.map(|r| r.text("status")).as_deref() {
            Some("onvolledig") => Status::Onvolledig,
            Some("voorlopig") => Status::Voorlopig,
            // No row: the provider had nothing due in the period.
            _ => Status::Volledig,
        }
    }

    /// Whether the figures that rest on declarations may be discussed.
    pub fn figures_hold(self) -> bool {
        self == Status::Volledig
    }
}

/// The sentences, in Dutch, a pack opens with; none when all is in.
pub fn waarschuwingen(row: Option<&Row>, naam: &str, periode_naam: &str, tabellen: &Tabellen) -> Vec<String> {
    let Some(row) = row else { return Vec::new() };
    let mut zinnen = Vec::new();
    match Status::of(Some(row)) {
        Status::Onvolledig => {
            let maanden: Vec<String> = row
                .text("ontbrekende_maanden")
                .split(", ")
                .filter(|m| !m.is_empty())
                .map(dutch::month_name)
                .collect();
            zinnen.push(format!(
                "De declaraties over het {periode_naam} zijn niet compleet: voor {} is geen declaratie verwerkt, terwijl er toewijzingen liepen.",
                dutch::list(&maanden)
            ));
            let geweigerd = row.get("bestanden_geweigerd").count().unwrap_or(0);
            if geweigerd > 0 {
                let redenen: Vec<String> = row
                    .text("weigerregels")
                    .split(", ")
                    .filter(|r| !r.is_empty())
                    .map(|regel| format!("{} ({regel})", tabellen.label("regel", regel)))
                    .collect();
                let bestanden = if geweigerd == 1 {
                    "1 declaratiebestand is".to_string()
                } else {
                    format!("{geweigerd} declaratiebestanden zijn")
                };
                zinnen.push(format!("{bestanden} in zijn geheel geweigerd: {}.", dutch::list(&redenen)));
            }
            zinnen.push(format!(
                "Vraag {naam} deze maanden (verbeterd) opnieuw te declareren. De geldcijfers van deze periode zijn daardoor te laag; er zijn geen bespreekpunten uit afgeleid."
            ));
        }
        Status::Voorlopig => zinnen.push(format!(
            "Nog niet alle declaraties over het {periode_naam} kunnen binnen zijn (de termijn loopt nog): de geldcijfers zijn voorlopig en er zijn geen bespreekpunten uit afgeleid."
        )),
        Status::Volledig => {}
    }
    let regels = row.get("regels_geweigerd").count().unwrap_or(0);
    if regels > 0 {
        let regels = if regels == 1 {
            "1 declaratieregel uit deze periode is".to_string()
        } else {
            format!("{regels} declaratieregels uit deze periode zijn")
        };
        zinnen.push(format!("{regels} geweigerd en niet meegeteld; de aanbieder kan ze verbeterd opnieuw indienen."));
    }
    zinnen
}
