//! Names of municipalities by CBS code, for the default of `gemeente_naam`:
//! the first customer and the largest municipalities (CBS, Gemeentelijke
//! indeling 2025). Any other municipality names itself in the configuration.

const NAMEN: &[(&str, &str)] = &[
    ("0014", "Groningen"),
    ("0034", "Almere"),
    ("0153", "Enschede"),
    ("0193", "Zwolle"),
    ("0200", "Apeldoorn"),
    ("0202", "Arnhem"),
    ("0228", "Ede"),
    ("0268", "Nijmegen"),
    ("0344", "Utrecht"),
    ("0363", "Amsterdam"),
    ("0392", "Haarlem"),
    ("0479", "Zaanstad"),
    ("0518", "'s-Gravenhage"),
    ("0599", "Rotterdam"),
    ("0772", "Eindhoven"),
    ("0796", "'s-Hertogenbosch"),
    ("0855", "Tilburg"),
    ("0935", "Maastricht"),
    ("1680", "Aa en Hunze"),
];

/// The municipality's name for its CBS code, if this list has it.
pub fn naam(code: &str) -> Option<&'static str> {
    NAMEN.iter().find(|(c, _)| *c == code).map(|(_, naam)| *naam)
}
