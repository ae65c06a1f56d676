//! Money in integer minor units (cents, pence) of one currency. Amounts are
//! never negative: subtraction that would go below zero fails instead.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An ISO 4217 currency code, three capital letters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub fn parse(code: &str) -> Result<Currency, String> {
        match code.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|ch| ch.is_ascii_uppercase()) => {
                Ok(Currency([*a, *b, *c]))
            }
            _ => Err(format!(
                "{code:?} is not a three-letter ISO 4217 currency code"
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII capitals are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl TryFrom<String> for Currency {
    type Error = String;

    fn try_from(code: String) -> Result<Currency, String> {
        Currency::parse(&code)
    }
}

impl From<Currency> for String {
    fn from(currency: Currency) -> String {
        currency.as_str().to_owned()
    }
}

/// An amount of one currency, in its minor unit.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub currency: Currency,
    pub minor: u64,
}

impl Money {
    pub fn new(currency: Currency, minor: u64) -> Money {
        Money { currency, minor }
    }

    pub fn zero(currency: Currency) -> Money {
        Money { currency, minor: 0 }
    }

    pub fn is_zero(&self) -> bool {
        self.minor == 0
    }

    /// The sum, if both are of one currency and it does not overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        (self.currency == other.currency)
            .then(|| self.minor.checked_add(other.minor))
            .flatten()
            .map(|minor| Money {
                currency: self.currency,
                minor,
            })
    }

    /// The difference, if both are of one currency and it is not negative.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        (self.currency == other.currency)
            .then(|| self.minor.checked_sub(other.minor))
            .flatten()
            .map(|minor| Money {
                currency: self.currency,
                minor,
            })
    }

    /// `percent` of this amount, rounded down to the minor unit.
    pub fn percent(self, percent: u8) -> Money {
        let minor = u128::from(self.minor) * u128::from(percent) / 100;
        Money {
            currency: self.currency,
            minor: u64::try_from(minor).unwrap_or(u64::MAX),
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}.{:02}",
            self.currency.as_str(),
            self.minor / 100,
            self.minor % 100
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(minor: u64) -> Money {
        Money::new(Currency::parse("EUR").expect("valid"), minor)
    }

    #[test]
    fn arithmetic_never_goes_negative_or_mixes_currencies() {
        assert_eq!(eur(500).checked_sub(eur(200)), Some(eur(300)));
        assert_eq!(eur(200).checked_sub(eur(500)), None);
        let usd = Money::new(Currency::parse("USD").expect("valid"), 1);
        assert_eq!(eur(1).checked_add(usd), None);
        assert_eq!(eur(u64::MAX).checked_add(eur(1)), None);
        assert_eq!(eur(1999).percent(10), eur(199));
        assert_eq!(eur(1999).to_string(), "EUR 19.99");
    }

    #[test]
    fn currency_codes_are_three_capitals() {
        assert!(Currency::parse("usd").is_err());
        assert!(Currency::parse("EURO").is_err());
        assert!(serde_json::from_str::<Currency>("\"GBP\"").is_ok());
    }
}
