//! Numbers, money and durations as a person of each language reads them.

use amends_domain::Language;

/// "3 h 20 min", "2 d 4 h", "12 min" (units are the same in de and en).
#[must_use]
pub fn human_duration(secs: i64) -> String {
    let secs = secs.abs();
    let (d, h, m) = (secs / 86_400, (secs % 86_400) / 3600, (secs % 3600) / 60);
    let unit_d = "d";
    if d > 0 {
        if h > 0 {
            format!("{d} {unit_d} {h} h")
        } else {
            format!("{d} {unit_d}")
        }
    } else if h > 0 {
        if m > 0 {
            format!("{h} h {m} min")
        } else {
            format!("{h} h")
        }
    } else {
        format!("{} min", m.max(1))
    }
}

/// `1.234,50 €` in German, `€1,234.50` in English.
#[must_use]
pub fn format_money(cents: i64, lang: Language) -> String {
    let neg = cents < 0;
    let cents = cents.unsigned_abs();
    let (units, rest) = (cents / 100, cents % 100);
    let digits = units.to_string();
    let sep = if lang == Language::De { '.' } else { ',' };
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(sep);
        }
        grouped.push(ch);
    }
    let sign = if neg { "-" } else { "" };
    match lang {
        Language::De => format!("{sign}{grouped},{rest:02} €"),
        Language::En => format!("{sign}€{grouped}.{rest:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_durations_follow_the_locale() {
        assert_eq!(format_money(123_450, Language::De), "1.234,50 €");
        assert_eq!(format_money(123_450, Language::En), "€1,234.50");
        assert_eq!(format_money(5, Language::De), "0,05 €");
        assert_eq!(format_money(100_000_000, Language::De), "1.000.000,00 €");
        assert_eq!(human_duration(3 * 3600 + 20 * 60), "3 h 20 min");
        assert_eq!(human_duration(-(2 * 86_400 + 4 * 3600)), "2 d 4 h");
        assert_eq!(human_duration(10), "1 min");
    }
}
