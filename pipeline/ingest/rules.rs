//! Validation rules. Each has a stable id that quarantine rows, logs and the
//! summary use; the README lists them.

#[derive(Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rule {
    pub id: &'static str,
    pub what: &'static str,
}

macro_rules! rules {
    ($($name:ident = $id:literal, $what:literal;)*) => {
        $(pub static $name: Rule = Rule { id: $id, what: $what };)*
        /// Every rule, in the order the README lists them.
        pub static ALL: &[&Rule] = &[$(&$name),*];
    };
}

rules! {
    FILE_ENCODING = "BESTAND-01", "the file is empty or not text in UTF-8, UTF-16 or Windows-1252 (or the encoding its XML declaration names)";
    FILE_UNKNOWN = "BESTAND-02", "the content is no known iWmo 3.2 message or CSV export";
    FILE_NOT_PLAIN = "BESTAND-03", "the entry is a link (symbolic, or a second hard link) or no plain file; it is refused unread and archived as it is";
    FILE_UNREADABLE = "BESTAND-04", "the file cannot be read (permissions or a disk error)";
    XML_MALFORMED = "XML-01", "the XML is not well-formed";
    XML_VERSION = "XML-02", "an iWmo message of another standard or version than iWmo 3.2";
    HEADER_MESSAGE = "HDR-01", "BerichtCode, BerichtVersie or BerichtSubversie do not fit the message (414/418/420/484, 3, 2)";
    HEADER_GEMEENTE = "HDR-02", "the message is not addressed to or from our gemeente";
    AGB_FORMAT = "AGB-01", "an AGB code is not 8 digits";
    REQUIRED = "VERPLICHT-01", "a required element or cell is missing";
    BSN_ELFPROEF = "BSN-01", "the BSN is not 9 digits passing the elfproef";
    DATE_INVALID = "DATUM-01", "a date is not a valid date";
    DATE_ORDER = "DATUM-02", "an end date lies before its start date";
    DATE_RANGE = "DATUM-03", "a date lies outside 2000-01-01 to 2100-12-31 (a birth date before 1880; an end date of 9999-12-31 is read as open-ended)";
    CODE_LIST = "CODE-01", "a code is not in its code list";
    STOP_REASON_UNLISTED = "CODE-02", "warning only: a RedenBeeindiging of two digits that is not in the WMO588 list; the stop loads and counts as overig";
    NUMBER_INVALID = "GETAL-01", "a number or amount is not valid";
    NUMBER_RANGE = "GETAL-02", "an amount or volume is negative or beyond its range (iWmo amounts up to 99999999999 cents, volumes up to 99999999; reference amounts what decimal(18,2) holds)";
    DECL_TOTAL = "DECL-01", "TotaalIngediendBedrag is not the signed sum of the lines; the whole declaration is rejected";
    DECL_MONTH = "DECL-02", "the DeclaratiePeriode is not one calendar month; the whole declaration is rejected";
    DECL_PRODUCT_PERIOD = "DECL-03", "the ProductPeriode lies outside the DeclaratiePeriode";
    DECL_CREDIT_REFERENCE = "DECL-04", "a credit line does not name the debit line it cancels (VorigReferentieNummer)";
    DECL_AMOUNT = "DECL-05", "warning only: IngediendBedrag is not GeleverdVolume x ProductTarief (the line is loaded)";
    CSV_COLUMNS = "CSV-01", "required columns are missing from the header";
    CSV_SCORE = "CSV-02", "a score or grade is out of its range (1-5 or 9 for v01-v08, 1-10 for rapportcijfer)";
    CSV_VALUE = "CSV-03", "a cell holds a value that is not one of the known values";
    CSV_SHAPE = "CSV-04", "a line cannot be read as CSV or has another number of cells than the header";
}
