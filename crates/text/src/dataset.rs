//! Reading labelled feedback (CSV/TSV) and the evaluation sets in
//! `shared/data`. These are the only functions of the crate that read files.

use std::path::{Path, PathBuf};

use crate::error::TextError;
use crate::lang::Language;
use crate::model::LabeledRow;
use crate::sentiment::SentimentLabel;

/// A named evaluation set.
#[derive(Debug, Clone)]
pub struct EvalSet {
    /// Short name, e.g. `germeval2017-dev` or `vader-tweets`.
    pub name: String,
    /// Language of the set.
    pub language: Language,
    /// The rows (each carries the set's language as a hint).
    pub rows: Vec<LabeledRow>,
}

fn read_text(path: &Path) -> Result<String, TextError> {
    let bytes = std::fs::read(path).map_err(|source| TextError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    // Invalid UTF-8 is replaced rather than rejected: feedback exports are messy.
    Ok(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// Read a labelled CSV or TSV file. The delimiter comes from the extension
/// (`.tsv`/`.tab` tab, `.csv` comma or semicolon) or is sniffed from the
/// header line. The header must name a `text` and a `sentiment` column
/// (values negative|neutral|positive); an optional `language` column (de|en)
/// is used as hint. Fields may be quoted with `"` (`""` inside quotes is a
/// quote). Errors name the line and column.
pub fn read_labeled(path: &Path) -> Result<Vec<LabeledRow>, TextError> {
    let content = read_text(path)?;
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let delimiter = match ext.as_deref() {
        Some("tsv" | "tab") => Some('\t'),
        _ => None,
    };
    parse_labeled(&content, delimiter, &path.display().to_string())
}

fn sniff_delimiter(first_line: &str) -> char {
    let count = |c: char| first_line.matches(c).count();
    let (tabs, commas, semis) = (count('\t'), count(','), count(';'));
    if tabs > 0 && tabs >= commas && tabs >= semis {
        '\t'
    } else if semis > commas {
        ';'
    } else {
        ','
    }
}

/// Split `content` into records of fields; yields (1-based line of the
/// record's start, fields).
fn records(content: &str, delim: char, source_name: &str) -> Result<Vec<(usize, Vec<String>)>, TextError> {
    let mut out = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1usize;
    let mut record_line = 1usize;
    let mut quoted = false;
    let mut quote_line = 0usize;
    let mut at_field_start = true;
    let mut chars = content.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                quoted = true;
                quote_line = line;
                at_field_start = false;
            }
            c if c == delim => {
                fields.push(std::mem::take(&mut field));
                at_field_start = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                if !(fields.len() == 1 && fields[0].trim().is_empty()) {
                    out.push((record_line, std::mem::take(&mut fields)));
                }
                fields.clear();
                line += 1;
                record_line = line;
                at_field_start = true;
            }
            _ => {
                field.push(c);
                at_field_start = false;
            }
        }
    }
    if quoted {
        return Err(TextError::Data {
            source_name: source_name.to_owned(),
            line: quote_line,
            message: "a quoted field is never closed; add the closing `\"` (write `\"\"` for a quote inside quotes)"
                .to_owned(),
        });
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        if !(fields.len() == 1 && fields[0].trim().is_empty()) {
            out.push((record_line, fields));
        }
    }
    Ok(out)
}

/// Parse labelled rows from file contents (see [`read_labeled`]); `delimiter`
/// `None` sniffs it from the header line.
pub fn parse_labeled(content: &str, delimiter: Option<char>, source_name: &str) -> Result<Vec<LabeledRow>, TextError> {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let first_line = content.lines().next().unwrap_or("");
    let delim = delimiter.unwrap_or_else(|| sniff_delimiter(first_line));
    let data_err = |line: usize, message: String| TextError::Data {
        source_name: source_name.to_owned(),
        line,
        message,
    };
    let mut recs = records(content, delim, source_name)?.into_iter();
    let Some((header_line, header)) = recs.next() else {
        return Err(data_err(
            1,
            "the file is empty; it needs a header line naming a `text` and a `sentiment` column".to_owned(),
        ));
    };
    let names: Vec<String> = header.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
    let find = |want: &[&str]| names.iter().position(|n| want.contains(&n.as_str()));
    let found = || names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
    let delim_name = match delim {
        '\t' => "tab",
        ';' => "semicolon",
        _ => "comma",
    };
    let text_col = find(&["text"]).ok_or_else(|| {
        data_err(header_line, format!(
            "the header has no `text` column (found {} with {delim_name} as delimiter); name the column with the feedback text `text`",
            found()
        ))
    })?;
    let sent_col = find(&["sentiment"]).ok_or_else(|| {
        data_err(header_line, format!(
            "the header has no `sentiment` column (found {} with {delim_name} as delimiter); add a `sentiment` column with negative|neutral|positive",
            found()
        ))
    })?;
    let lang_col = find(&["language", "lang"]);
    let mut rows = Vec::new();
    for (line, fields) in recs {
        let need = text_col.max(sent_col) + 1;
        if fields.len() < need {
            return Err(data_err(
                line,
                format!(
                    "has {} column(s) but the `{}` column is column {need}; check the delimiter ({delim_name}) and quoting",
                    fields.len(),
                    if sent_col >= text_col { "sentiment" } else { "text" }
                ),
            ));
        }
        let raw = fields[sent_col].trim();
        let sentiment: SentimentLabel = raw.parse().map_err(|_| {
            data_err(
                line,
                format!(
                    "column `sentiment` (column {}): `{raw}` is not a sentiment; use negative, neutral or positive",
                    sent_col + 1
                ),
            )
        })?;
        let language = match lang_col.and_then(|c| fields.get(c)).map(|s| s.trim()) {
            None | Some("") => None,
            Some(code) => Some(code.parse::<Language>().map_err(|_| {
                data_err(
                    line,
                    format!(
                        "column `language` (column {}): `{code}` is not a language; use de or en, or leave it empty",
                        lang_col.map_or(0, |c| c + 1)
                    ),
                )
            })?),
        };
        rows.push(LabeledRow {
            text: fields[text_col].clone(),
            sentiment,
            language,
        });
    }
    Ok(rows)
}

/// Read a VADER ground-truth file: `id<TAB>mean<TAB>text`; mean > 0.05 is
/// positive, < -0.05 negative, else neutral (VADER's convention).
pub fn read_vader_ground_truth(path: &Path) -> Result<Vec<LabeledRow>, TextError> {
    let content = read_text(path)?;
    let mut rows = Vec::new();
    for (i, line) in content.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let mut parts = line.splitn(3, '\t');
        let (_, mean, text) = (parts.next(), parts.next(), parts.next());
        let (Some(mean), Some(text)) = (mean, text) else {
            return Err(TextError::Data {
                source_name: path.display().to_string(),
                line: i + 1,
                message: "expected `id<TAB>mean<TAB>text`".to_owned(),
            });
        };
        let mean: f32 = mean.trim().parse().map_err(|_| TextError::Data {
            source_name: path.display().to_string(),
            line: i + 1,
            message: format!("column 2: `{mean}` is not a number"),
        })?;
        rows.push(LabeledRow {
            text: text.to_owned(),
            sentiment: SentimentLabel::from_score(mean, 0.05),
            language: Some(Language::En),
        });
    }
    Ok(rows)
}

/// The shared evaluation data directory: `$AMENDS_SHARED_DATA`, else
/// `<workspace>/../shared/data` relative to this crate, if it exists.
pub fn find_shared_data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("AMENDS_SHARED_DATA") {
        let dir = PathBuf::from(dir);
        return dir.is_dir().then_some(dir);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    dir.is_dir().then_some(dir)
}

/// Load the evaluation sets found under `shared_data_dir`:
/// `germeval2017/dev.tsv` (German) and `vader/*_GroundTruth.txt` (English).
/// Errors if none is found or one is malformed.
pub fn load_eval_sets(shared_data_dir: &Path) -> Result<Vec<EvalSet>, TextError> {
    let mut sets = Vec::new();
    let germeval = shared_data_dir.join("germeval2017/dev.tsv");
    if germeval.is_file() {
        let mut rows = read_labeled(&germeval)?;
        for r in &mut rows {
            r.language.get_or_insert(Language::De);
        }
        sets.push(EvalSet {
            name: "germeval2017-dev".to_owned(),
            language: Language::De,
            rows,
        });
    }
    for (file, name) in [
        ("tweets_GroundTruth.txt", "vader-tweets"),
        ("movieReviewSnippets_GroundTruth.txt", "vader-movie-reviews"),
        ("nytEditorialSnippets_GroundTruth.txt", "vader-nyt-editorials"),
    ] {
        let path = shared_data_dir.join("vader").join(file);
        if path.is_file() {
            sets.push(EvalSet {
                name: name.to_owned(),
                language: Language::En,
                rows: read_vader_ground_truth(&path)?,
            });
        }
    }
    if sets.is_empty() {
        return Err(TextError::Io {
            path: shared_data_dir.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no germeval2017/dev.tsv or vader/*_GroundTruth.txt here; pass the shared/data directory",
            ),
        });
    }
    Ok(sets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quoted_tsv_and_csv() {
        let tsv = "text\trelevance\tsentiment\n\"Re: \"\"quoted\"\" text\"\ttrue\tnegative\nplain\tfalse\tneutral\n";
        let rows = parse_labeled(tsv, None, "t.tsv").unwrap_or_default();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].text, "Re: \"quoted\" text");
        assert_eq!(rows[0].sentiment, SentimentLabel::Negative);
        let csv = "sentiment,text,language\r\npositive,\"Super, danke!\nZweite Zeile\",de\r\nnegative,bad,\r\n";
        let rows = parse_labeled(csv, None, "t.csv").unwrap_or_default();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].text, "Super, danke!\nZweite Zeile");
        assert_eq!(rows[0].language, Some(Language::De));
        assert_eq!(rows[1].language, None);
        let semi = "text;sentiment\nHallo;neutral\n";
        assert_eq!(parse_labeled(semi, None, "x").map(|r| r.len()).ok(), Some(1));
    }

    #[test]
    fn bad_header_names_the_column() {
        let err = parse_labeled("text,label\nhi,positive\n", None, "f.csv")
            .err()
            .map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(err.contains("f.csv, line 1"), "{err}");
        assert!(err.contains("no `sentiment` column"), "{err}");
        assert!(err.contains("`label`"), "{err}");
        let err = parse_labeled("body\tsentiment\nx\tneutral\n", None, "g.tsv")
            .err()
            .map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("no `text` column"));
    }

    #[test]
    fn bad_values_name_line_and_column() {
        let err = parse_labeled("text,sentiment\na,neutral\nb,great\n", None, "f.csv")
            .err()
            .map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(
            err.contains("line 3") && err.contains("column `sentiment` (column 2)") && err.contains("`great`"),
            "{err}"
        );
        let err = parse_labeled("text,sentiment\n\"open,neutral\n", None, "f.csv")
            .err()
            .map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("line 2"));
        let err = parse_labeled("text,sentiment\nonly-one-field\n", None, "f.csv")
            .err()
            .map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("line 2"));
        let err = parse_labeled("", None, "f.csv").err().map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("empty"));
    }
}
