//! Tokenisation shared by language detection, sentiment, topics, signals and
//! model features. Two views of a text:
//! - [`Tokens`]: whitespace words, lowercased, edge punctuation stripped
//!   (VADER style), with ALL-CAPS and clause-end flags; emoji become tokens of
//!   their own.
//! - [`Folded`]: a matching string ` wort wort ` in lowercase with umlauts
//!   folded (ä→a, ö→o, ü→u, ß→ss), apostrophes dropped and every other
//!   non-alphanumeric character turned into a single space.

/// Lowercased words of a text with per-word flags. Reusable buffers.
#[derive(Default, Debug)]
pub(crate) struct Tokens {
    buf: String,
    /// (start, end) of the stripped lowercase word in `buf`.
    words: Vec<(u32, u32)>,
    /// (start, end) of the unstripped lowercase token in `buf`, if different.
    raws: Vec<Option<(u32, u32)>>,
    /// Token is written in ALL CAPS (has cased letters, all upper case).
    pub(crate) upper: Vec<bool>,
    /// Token starts with an upper-case letter and is not ALL CAPS ("Preis").
    capital: Vec<bool>,
    /// Token ends a clause (followed by , . ; : ! ? or a closing bracket).
    pub(crate) clause_end: Vec<bool>,
    /// Per token: number of `!` and `?` in it, and whether it ends a sentence
    /// (ends with `.`, `!`, `?`, `…` or is the last token of a line).
    pub(crate) marks: Vec<(u8, u8, bool)>,
    /// Number of `!` in the text.
    pub(crate) exclamations: usize,
    /// Number of `?` in the text.
    pub(crate) questions: usize,
}

fn is_strippable(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(
            c,
            '„' | '“'
                | '”'
                | '‚'
                | '‘'
                | '’'
                | '«'
                | '»'
                | '‹'
                | '›'
                | '…'
                | '–'
                | '—'
                | '¡'
                | '¿'
                | '·'
        )
}

/// Characters that are dropped entirely: zero-width joiners, variation
/// selectors, skin-tone modifiers, control characters.
fn is_ignorable(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{FE00}'..='\u{FE0F}' | '\u{1F3FB}'..='\u{1F3FF}' | '\u{E0020}'..='\u{E007F}')
        || (c.is_control() && !c.is_whitespace())
}

/// Symbols and emoji that form a token of their own.
pub(crate) fn is_symbol_token(c: char) -> bool {
    let cp = c as u32;
    cp >= 0x2190 && !c.is_alphanumeric() && !is_strippable(c) && !is_ignorable(c)
}

impl Tokens {
    pub(crate) fn len(&self) -> usize {
        self.words.len()
    }

    /// The stripped lowercase word `i` (may be empty for pure punctuation).
    pub(crate) fn word(&self, i: usize) -> &str {
        let (s, e) = self.words[i];
        &self.buf[s as usize..e as usize]
    }

    /// German: token `i` is written like a noun — capitalised, not ALL CAPS,
    /// and not the first word of a sentence or line (where any word is
    /// capitalised).
    pub(crate) fn capitalised_mid_sentence(&self, i: usize) -> bool {
        self.capital[i] && i > 0 && !self.marks[i - 1].2
    }

    /// The unstripped lowercase token `i` when it differs from [`Self::word`]
    /// (emoticons such as `:)` live here).
    pub(crate) fn raw(&self, i: usize) -> Option<&str> {
        self.raws[i].map(|(s, e)| &self.buf[s as usize..e as usize])
    }

    /// VADER 3.3.2 strips edge punctuation only from tokens that keep more
    /// than two characters: `no!`, `ha.`, `L.` and `#ff` stay as written and
    /// match no lexicon word, while `:l` stays an emoticon. English scoring
    /// follows it, so that amends scores English as VADER does.
    pub(crate) fn keep_short_tokens_whole(&mut self) {
        for (word, raw) in self.words.iter_mut().zip(&self.raws) {
            if let Some(raw) = raw
                && self.buf[word.0 as usize..word.1 as usize].chars().count() <= 2
            {
                *word = *raw;
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.words.clear();
        self.raws.clear();
        self.upper.clear();
        self.capital.clear();
        self.clause_end.clear();
        self.marks.clear();
        self.exclamations = 0;
        self.questions = 0;
    }

    /// Tokenise `text`, replacing the current contents.
    pub(crate) fn fill(&mut self, text: &str) {
        self.clear();
        for line in text.lines() {
            self.fill_line(line);
            if let Some(m) = self.marks.last_mut() {
                m.2 = true;
            }
        }
    }

    fn fill_line(&mut self, text: &str) {
        for raw in text.split_whitespace() {
            // Split off symbol/emoji characters as their own tokens.
            let mut rest = raw;
            while !rest.is_empty() {
                match rest
                    .char_indices()
                    .find(|&(_, c)| is_symbol_token(c) || is_ignorable(c))
                {
                    None => {
                        self.push(rest);
                        rest = "";
                    }
                    Some((pos, c)) => {
                        if pos > 0 {
                            self.push(&rest[..pos]);
                        }
                        let len = c.len_utf8();
                        if is_symbol_token(c) {
                            self.push(&rest[pos..pos + len]);
                        }
                        rest = &rest[pos + len..];
                    }
                }
            }
        }
    }

    fn push(&mut self, raw: &str) {
        let excl = raw.matches('!').count();
        let quest = raw.matches('?').count();
        self.exclamations += excl;
        self.questions += quest;
        let sentence_end = raw
            .chars()
            .next_back()
            .is_some_and(|c| matches!(c, '.' | '!' | '?' | '…'));
        self.marks
            .push((excl.min(255) as u8, quest.min(255) as u8, sentence_end));
        let stripped = raw.trim_matches(is_strippable);
        let mut has_cased = false;
        let mut all_upper = true;
        for c in stripped.chars() {
            if c.is_lowercase() {
                has_cased = true;
                all_upper = false;
            } else if c.is_uppercase() {
                has_cased = true;
            }
        }
        let clause_end = raw
            .chars()
            .next_back()
            .is_some_and(|c| matches!(c, ',' | '.' | ';' | ':' | '!' | '?' | ')' | '…'));
        let start = self.buf.len() as u32;
        push_lower(&mut self.buf, stripped);
        let end = self.buf.len() as u32;
        self.words.push((start, end));
        if stripped.len() != raw.len() {
            let rs = self.buf.len() as u32;
            push_lower(&mut self.buf, raw);
            self.raws.push(Some((rs, self.buf.len() as u32)));
        } else {
            self.raws.push(None);
        }
        self.upper.push(has_cased && all_upper);
        self.capital
            .push(!all_upper && stripped.chars().next().is_some_and(char::is_uppercase));
        self.clause_end.push(clause_end);
    }
}

fn push_lower(buf: &mut String, s: &str) {
    if s.is_ascii() {
        let start = buf.len();
        buf.push_str(s);
        buf[start..].make_ascii_lowercase();
    } else {
        for c in s.chars() {
            if c == '’' {
                buf.push('\'');
            } else {
                buf.extend(c.to_lowercase());
            }
        }
    }
}

/// Lowercase `word` and fold umlauts/ß, keeping other characters.
pub(crate) fn fold_word(word: &str, out: &mut String) {
    for c in word.chars() {
        push_folded(c, out);
    }
}

#[inline]
fn push_folded(c: char, out: &mut String) {
    match c {
        'ä' | 'Ä' => out.push('a'),
        'ö' | 'Ö' => out.push('o'),
        'ü' | 'Ü' => out.push('u'),
        'ß' | 'ẞ' => out.push_str("ss"),
        c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
        c => out.extend(c.to_lowercase()),
    }
}

/// Folded matching view of a text: ` tok tok tok ` plus token start offsets.
#[derive(Default, Debug)]
pub(crate) struct Folded {
    pub(crate) text: String,
    /// Byte offset of each token's first character in `text`.
    pub(crate) starts: Vec<u32>,
}

impl Folded {
    pub(crate) fn fill(&mut self, input: &str) {
        self.text.clear();
        self.starts.clear();
        self.text.push(' ');
        let mut in_word = false;
        for c in input.chars() {
            if c.is_alphanumeric() {
                if !in_word {
                    self.starts.push(self.text.len() as u32);
                    in_word = true;
                }
                push_folded(c, &mut self.text);
            } else if matches!(c, '\'' | '’' | '`' | '´') || is_ignorable(c) {
                // "don't" -> "dont", "I'm" -> "im"
            } else if in_word {
                self.text.push(' ');
                in_word = false;
            }
        }
        if in_word {
            self.text.push(' ');
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.starts.len()
    }

    /// Token `i` without surrounding spaces.
    pub(crate) fn token(&self, i: usize) -> &str {
        let s = self.starts[i] as usize;
        let e = self.text[s..].find(' ').map_or(self.text.len(), |p| s + p);
        &self.text[s..e]
    }

    /// Index of the token that contains byte offset `pos` (or the next one
    /// if `pos` is a space before it).
    pub(crate) fn token_at(&self, pos: usize) -> Option<usize> {
        let pos = pos as u32;
        match self.starts.binary_search(&pos) {
            Ok(i) => Some(i),
            Err(0) => (!self.starts.is_empty()).then_some(0),
            Err(i) => {
                // pos lies after starts[i-1]: inside token i-1 or in the space after it.
                let end = self.starts[i - 1] as usize + self.token(i - 1).len();
                if (pos as usize) < end {
                    Some(i - 1)
                } else if i < self.starts.len() {
                    Some(i)
                } else {
                    None
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_punctuation_keeps_flags() {
        let mut t = Tokens::default();
        t.fill("Not GOOD, at all!!! :) „Frechheit“ 😡great");
        let words: Vec<&str> = (0..t.len()).map(|i| t.word(i)).collect();
        assert_eq!(words, ["not", "good", "at", "all", "", "frechheit", "😡", "great"]);
        assert!(t.upper[1] && !t.upper[0]);
        assert!(t.clause_end[1] && !t.clause_end[0] && t.clause_end[3]);
        assert_eq!(t.raw(4), Some(":)"));
        assert_eq!(t.exclamations, 3);
    }

    #[test]
    fn folds_for_matching() {
        let mut f = Folded::default();
        f.fill("Lieferverzögerung! Don't — Größe/Straße");
        assert_eq!(f.text, " lieferverzogerung dont grosse strasse ");
        assert_eq!(f.len(), 4);
        assert_eq!(f.token(2), "grosse");
        assert_eq!(f.token_at(0), Some(0));
        assert_eq!(f.token_at(5), Some(0));
        assert_eq!(f.token_at(18), Some(1));
        assert_eq!(f.token_at(f.text.len()), None);
    }
}
