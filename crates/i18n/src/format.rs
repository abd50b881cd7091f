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

/// The one unit a countdown or an age is read in, and how many of it:
/// days from two days on, hours from one hour on, else minutes (at least 1).
#[must_use]
pub fn countdown_unit(secs: i64) -> (&'static str, i64) {
    let secs = secs.abs();
    if secs >= 2 * 86_400 {
        ("days", secs / 86_400)
    } else if secs >= 3600 {
        ("hours", secs / 3600)
    } else {
        ("minutes", (secs / 60).max(1))
    }
}

/// The whole days, hours and minutes of a duration, parts that are zero
/// left out (`0` is "0 minutes").
#[must_use]
pub fn duration_parts(secs: i64) -> Vec<(&'static str, i64)> {
    let secs = secs.abs();
    let parts = [
        ("days", secs / 86_400),
        ("hours", (secs % 86_400) / 3600),
        ("minutes", (secs % 3600) / 60),
    ];
    let out: Vec<_> = parts.into_iter().filter(|(_, n)| *n > 0).collect();
    if out.is_empty() { vec![("minutes", 0)] } else { out }
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

/// `1.234,5` in German, `1,234.5` in English, with `decimals` places.
#[must_use]
pub fn format_decimal(value: f64, decimals: usize, lang: Language) -> String {
    if !value.is_finite() {
        return "—".into();
    }
    let text = format!("{:.*}", decimals, value.abs());
    let (int, frac) = text.split_once('.').unwrap_or((text.as_str(), ""));
    let (group, point) = if lang == Language::De { ('.', ',') } else { (',', '.') };
    let mut out = String::new();
    if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('-');
    }
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(ch);
    }
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    out
}

/// A percentage given as 0–100: `69,3 %` in German, `69.3%` in English.
#[must_use]
pub fn format_percent(value: f64, decimals: usize, lang: Language) -> String {
    let number = format_decimal(value, decimals, lang);
    match lang {
        Language::De => format!("{number}\u{a0}%"),
        Language::En => format!("{number}%"),
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
        assert_eq!(format_decimal(1234.56, 1, Language::De), "1.234,6");
        assert_eq!(format_decimal(1234.56, 1, Language::En), "1,234.6");
        assert_eq!(format_decimal(-0.04, 1, Language::En), "0.0");
        assert_eq!(format_decimal(-0.4, 1, Language::De), "-0,4");
        assert_eq!(format_decimal(f64::NAN, 1, Language::De), "—");
        assert_eq!(format_percent(69.26, 1, Language::De), "69,3\u{a0}%");
        assert_eq!(format_percent(69.26, 1, Language::En), "69.3%");
        assert_eq!(format_money(100_000_000, Language::De), "1.000.000,00 €");
        assert_eq!(human_duration(3 * 3600 + 20 * 60), "3 h 20 min");
        assert_eq!(human_duration(-(2 * 86_400 + 4 * 3600)), "2 d 4 h");
        assert_eq!(human_duration(10), "1 min");
    }
}
