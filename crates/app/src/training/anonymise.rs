//! Deterministic anonymisation of a case for a training case study: the
//! customer's and the agents' names become pseudonyms ("Kund:in A",
//! "Agent 1"), e-mail addresses, phone numbers, links, ids, order numbers
//! and dates in free text become placeholders, amounts are rounded (to 5 €
//! below 100 €, else to 10 €). Pure: the same input gives the same output.

use amends_domain::Language;
use amends_i18n::format::format_decimal;

/// The words that replace what is removed, in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    pub lang: Language,
    /// The customer's pseudonym ("Kund:in A").
    pub customer: String,
    /// The agents' pseudonym before the number ("Agent").
    pub agent: String,
    pub email: String,
    pub phone: String,
    pub link: String,
    pub id: String,
    pub order: String,
    pub date: String,
    /// Before a rounded amount ("ca." / "about").
    pub about: String,
}

impl Words {
    /// The fixed German and English words (the Fluent catalogue has the same).
    #[must_use]
    pub fn builtin(lang: Language) -> Words {
        let w = |de: &str, en: &str| (if lang == Language::De { de } else { en }).to_string();
        Words {
            lang,
            customer: w("Kund:in A", "Customer A"),
            agent: "Agent".into(),
            email: w("[E-Mail]", "[email]"),
            phone: w("[Telefon]", "[phone]"),
            link: w("[Link]", "[link]"),
            id: "[ID]".into(),
            order: w("[Bestellnr.]", "[order no.]"),
            date: w("[Datum]", "[date]"),
            about: w("ca.", "about"),
        }
    }

    /// A rounded amount in whole euros: "ca. 50 €", "about €50"; "—" for none.
    #[must_use]
    pub fn amount(&self, euros: i64) -> String {
        if euros == 0 {
            return "—".into();
        }
        let n = format_decimal(euros as f64, 0, self.lang);
        match self.lang {
            Language::De => format!("{} {n} €", self.about),
            Language::En => format!("{} €{n}", self.about),
        }
    }
}

/// An amount in cents rounded to whole euros: to 5 € below 100 €, else to
/// 10 €; a positive amount never rounds to 0.
#[must_use]
pub fn round_euros(cents: i64) -> i64 {
    let euros = cents as f64 / 100.0;
    let step = if euros.abs() < 100.0 { 5.0 } else { 10.0 };
    let rounded = ((euros / step).round() * step) as i64;
    if rounded == 0 && cents > 0 { 5 } else { rounded }
}

/// Replaces the names and contact details of one case.
#[derive(Debug, Clone)]
pub struct Anonymiser {
    words: Words,
    /// Lower-case needles (full names before their parts) and what replaces them.
    names: Vec<(Vec<char>, String)>,
    /// Known secrets, replaced first.
    hidden: Vec<(Vec<char>, String)>,
    agents: Vec<String>,
}

impl Anonymiser {
    /// `agents` in the order they first appear: the first is "Agent 1".
    #[must_use]
    pub fn new(words: Words, customer: &str, agents: &[String]) -> Anonymiser {
        let mut full = Vec::new();
        let mut parts = Vec::new();
        let mut push = |name: &str, with: &str| {
            let name = name.trim();
            if name.chars().count() < 2 {
                return;
            }
            full.push((needle(name), with.to_string()));
            for part in name
                .split_whitespace()
                .filter(|p| p.trim_matches('.').chars().count() >= 3)
            {
                parts.push((needle(part.trim_matches(',')), with.to_string()));
            }
        };
        push(customer, &words.customer);
        let mut unique: Vec<String> = Vec::new();
        for a in agents {
            if !a.trim().is_empty() && !unique.iter().any(|u| u == a.trim()) {
                unique.push(a.trim().to_string());
            }
        }
        for (i, a) in unique.iter().enumerate() {
            push(a, &format!("{} {}", words.agent, i + 1));
        }
        full.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
        parts.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
        full.extend(parts);
        Anonymiser {
            words,
            names: full,
            hidden: Vec::new(),
            agents: unique,
        }
    }

    /// Also replaces `secret` (the customer's e-mail address or customer
    /// number) by `with` wherever it stands as a word, before anything else.
    #[must_use]
    pub fn hide(mut self, secret: &str, with: &str) -> Anonymiser {
        if secret.trim().chars().count() >= 2 {
            self.hidden.push((needle(secret.trim()), with.to_string()));
        }
        self
    }

    /// The pseudonym of an agent ("Agent 2"); an unknown name gets "Agent".
    #[must_use]
    pub fn agent(&self, name: &str) -> String {
        match self.agents.iter().position(|a| a == name.trim()) {
            Some(i) => format!("{} {}", self.words.agent, i + 1),
            None => self.words.agent.clone(),
        }
    }

    #[must_use]
    pub fn customer(&self) -> &str {
        &self.words.customer
    }

    #[must_use]
    pub fn words(&self) -> &Words {
        &self.words
    }

    /// Free text without names, contact details, ids, dates and exact amounts.
    #[must_use]
    pub fn text(&self, s: &str) -> String {
        let known = self
            .hidden
            .iter()
            .fold(s.to_string(), |text, (needle, with)| replace_word(&text, needle, with));
        let scrubbed = scrub_tokens(&known, &self.words);
        self.names
            .iter()
            .fold(scrubbed, |text, (needle, with)| replace_word(&text, needle, with))
    }
}

fn needle(s: &str) -> Vec<char> {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// Replaces every whole-word, case-insensitive occurrence of `needle`.
fn replace_word(text: &str, needle: &[char], with: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let lower: Vec<Vec<char>> = chars.iter().map(|c| c.to_lowercase().collect()).collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let at_start = i == 0 || !chars[i - 1].is_alphanumeric();
        if at_start
            && let Some(end) = match_at(&lower, i, needle)
            && (end == chars.len() || !chars[end].is_alphanumeric())
        {
            out.push_str(with);
            i = end;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// The end of `needle` matched at char `start`, if it matches.
fn match_at(lower: &[Vec<char>], start: usize, needle: &[char]) -> Option<usize> {
    let (mut i, mut n) = (start, 0);
    while n < needle.len() {
        let c = lower.get(i)?;
        if needle.get(n..n + c.len())? != c.as_slice() {
            return None;
        }
        n += c.len();
        i += 1;
    }
    Some(i)
}

const PHONE_CHARS: &[char] = &['+', '-', '/', '(', ')'];
const EDGE: &[char] = &[
    '(', ')', '[', ']', '<', '>', ',', '.', ':', ';', '!', '?', '"', '\'', '«', '»', '„', '“', '”',
];

fn is_phone_part(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || PHONE_CHARS.contains(&c))
}

fn digits(s: &str) -> usize {
    s.chars().filter(char::is_ascii_digit).count()
}

fn is_currency(s: &str) -> bool {
    matches!(s.to_lowercase().as_str(), "€" | "eur" | "euro")
}

/// What one whitespace-separated word (without its edge punctuation) is.
#[derive(Debug, PartialEq)]
enum Kind {
    Keep,
    Email,
    Link,
    Id,
    Date,
    Order,
}

fn classify(core: &str) -> Kind {
    let lower = core.to_lowercase();
    if let Some((local, domain)) = core.split_once('@')
        && !local.is_empty()
        && domain.contains('.')
    {
        return Kind::Email;
    }
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.") {
        return Kind::Link;
    }
    if uuid::Uuid::try_parse(core).is_ok() {
        return Kind::Id;
    }
    if is_date(core) {
        return Kind::Date;
    }
    let hash_number = core.strip_prefix('#').is_some_and(|r| digits(r) >= 3);
    if digits(core) >= 5 || hash_number {
        return Kind::Order;
    }
    Kind::Keep
}

/// `12.03.2025`, `2025-03-12`, `3/12/2025`.
fn is_date(s: &str) -> bool {
    let all_parts = |sep: char, lens: &[std::ops::RangeInclusive<usize>]| {
        let parts: Vec<&str> = s.trim_end_matches(sep).split(sep).collect();
        parts.len() == lens.len()
            && parts
                .iter()
                .zip(lens)
                .all(|(p, l)| l.contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()))
    };
    all_parts('.', &[1..=2, 1..=2, 2..=4])
        || all_parts('-', &[4..=4, 1..=2, 1..=2])
        || all_parts('/', &[1..=2, 1..=2, 2..=4])
}

/// An amount as written (`49,99`, `1.234,50`, `49.99`, `120`) in cents.
fn parse_amount(s: &str) -> Option<i64> {
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit() || c == ',' || c == '.') {
        return None;
    }
    let last_sep = s.rfind([',', '.']);
    let (int, frac) = match last_sep {
        Some(p) if s.len() - p - 1 <= 2 => (&s[..p], &s[p + 1..]),
        _ => (s, ""),
    };
    let int: String = int.chars().filter(char::is_ascii_digit).collect();
    let units: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    Some(units * 100 + cents)
}

/// The amount in `core` when it names its currency (`49,99€`, `€49.99`) or
/// the next word does (`49,99 EUR`): cents and whether the next word is used.
fn amount_of(core: &str, next: Option<&str>) -> Option<(i64, bool)> {
    if let Some(n) = core.strip_suffix('€').or_else(|| core.strip_prefix('€')) {
        return parse_amount(n).map(|c| (c, false));
    }
    let next_core = next.map(|n| n.trim_matches(EDGE))?;
    if is_currency(next_core) {
        return parse_amount(core).map(|c| (c, true));
    }
    None
}

/// Replaces contact details, ids, dates, order numbers and amounts word by word.
fn scrub_tokens(s: &str, words: &Words) -> String {
    // Split into words and the whitespace between them, both kept.
    let mut tokens: Vec<&str> = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (i, c) in s.char_indices() {
        let space = c.is_whitespace();
        if in_space.is_some_and(|w| w != space) {
            tokens.push(&s[start..i]);
            start = i;
        }
        in_space = Some(space);
    }
    if start < s.len() {
        tokens.push(&s[start..]);
    }
    let word_at = |i: usize| tokens.get(i).filter(|t| !t.trim().is_empty()).copied();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < tokens.len() {
        let tok = tokens[i];
        if tok.trim().is_empty() {
            out.push_str(tok);
            i += 1;
            continue;
        }
        let lead = tok.len() - tok.trim_start_matches(EDGE).len();
        let core = tok.trim_matches(EDGE);
        let (pre, post) = (&tok[..lead], &tok[lead + core.len()..]);
        // A phone number: starts with + or 0, may go on over several groups.
        if (core.starts_with('+') || core.starts_with('0') || core.starts_with("(0")) && is_phone_part(core) {
            let (mut end, mut count) = (i, digits(core));
            let mut tail = post;
            while let (Some(space), Some(next)) = (tokens.get(end + 1), word_at(end + 2)) {
                let next_core = next.trim_end_matches(EDGE);
                if !tail.is_empty() || space.len() > 1 || !is_phone_part(next_core) {
                    break;
                }
                count += digits(next_core);
                tail = &next[next_core.len()..];
                end += 2;
            }
            if count >= 6 {
                out.push_str(pre);
                out.push_str(&words.phone);
                out.push_str(tail);
                i = end + 1;
                continue;
            }
        }
        if let Some((cents, uses_next)) = amount_of(core, word_at(i + 2)) {
            out.push_str(pre);
            out.push_str(&words.amount(round_euros(cents)));
            if uses_next {
                let next = tokens[i + 2];
                out.push_str(&next[next.trim_end_matches(EDGE).len()..]);
                i += 3;
            } else {
                out.push_str(post);
                i += 1;
            }
            continue;
        }
        let with = match classify(core) {
            Kind::Keep => None,
            Kind::Email => Some(&words.email),
            Kind::Link => Some(&words.link),
            Kind::Id => Some(&words.id),
            Kind::Date => Some(&words.date),
            Kind::Order => Some(&words.order),
        };
        match with {
            Some(w) => {
                out.push_str(pre);
                out.push_str(w);
                out.push_str(post);
            }
            None => out.push_str(tok),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anon(lang: Language) -> Anonymiser {
        Anonymiser::new(
            Words::builtin(lang),
            "Anna Schmidt",
            &["Jonas Weber".to_string(), "Mia Braun".to_string()],
        )
    }

    #[test]
    fn german_text_loses_names_contacts_ids_and_exact_amounts() {
        let a = anon(Language::De);
        let text = "Hallo Frau Schmidt, Anna hier: Bestellung #48213 (Nr. 2024-77812) kam nicht. \
                    Mail: anna.schmidt@example.com, Tel. +49 170 1234567. Ich habe 49,99 € bezahlt \
                    am 12.03.2025, siehe https://shop.example.com/o/48213. Jonas Weber sagte, Mia ruft an.";
        assert_eq!(
            a.text(text),
            "Hallo Frau Kund:in A, Kund:in A hier: Bestellung [Bestellnr.] (Nr. [Bestellnr.]) kam nicht. \
             Mail: [E-Mail], Tel. [Telefon]. Ich habe ca. 50 € bezahlt \
             am [Datum], siehe [Link]. Agent 1 sagte, Agent 2 ruft an."
        );
    }

    #[test]
    fn english_text_and_amount_forms() {
        let a = anon(Language::En);
        assert_eq!(
            a.text("ANNA paid €123.40 and 7 EUR; order A-553311, id 0190f4b2-7a3c-7def-8123-456789abcdef, call 030/1234567."),
            "Customer A paid about €120 and about €5; order [order no.], id [ID], call [phone]."
        );
        assert_eq!(
            a.text("Mia and Jonas met Annabelle in 2024."),
            "Agent 2 and Agent 1 met Annabelle in 2024."
        );
    }

    #[test]
    fn short_numbers_and_plain_words_stay() {
        let a = anon(Language::En);
        assert_eq!(
            a.text("I waited 3 days, rated 2 of 5."),
            "I waited 3 days, rated 2 of 5."
        );
        assert_eq!(a.text(""), "");
    }

    #[test]
    fn amounts_round_to_five_below_hundred_else_ten() {
        assert_eq!(round_euros(4_999), 50);
        assert_eq!(round_euros(1_240), 10);
        assert_eq!(round_euros(1_260), 15);
        assert_eq!(round_euros(100), 5);
        assert_eq!(round_euros(0), 0);
        assert_eq!(round_euros(12_340), 120);
        assert_eq!(round_euros(12_550), 130);
        assert_eq!(Words::builtin(Language::De).amount(1_250), "ca. 1.250 €");
        assert_eq!(Words::builtin(Language::En).amount(1_250), "about €1,250");
        assert_eq!(Words::builtin(Language::En).amount(0), "—");
    }

    #[test]
    fn agents_are_numbered_by_first_appearance() {
        let a = Anonymiser::new(
            Words::builtin(Language::De),
            "Kim Lee",
            &["Mia Braun".into(), "Jonas Weber".into(), "Mia Braun".into()],
        );
        assert_eq!(a.agent("Mia Braun"), "Agent 1");
        assert_eq!(a.agent("Jonas Weber"), "Agent 2");
        assert_eq!(a.agent("Someone"), "Agent");
        assert_eq!(a.text("Kim Lee"), "Kund:in A");
        let a = a.hide("K-1042", "[ID]").hide("kim@example.org", "[E-Mail]");
        assert_eq!(
            a.text("Kunde K-1042 (kim@example.org) und KIM."),
            "Kunde [ID] ([E-Mail]) und Kund:in A."
        );
    }
}
