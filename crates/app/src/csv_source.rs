//! CSV files as people make them, read as a stream: UTF-8 with or without
//! a byte-order mark, UTF-16 with one (little or big endian; Excel's
//! "Unicode text"), and Windows-1252 / Latin-1 (a field that is not UTF-8
//! is read as Windows-1252, see [`field_text`]); separated by commas,
//! semicolons (German Excel's default) or tabs, sniffed from the header
//! line. Only a buffer of the file is ever in memory.

use encoding_rs::{Decoder, UTF_16BE, UTF_16LE, WINDOWS_1252};
use std::borrow::Cow;
use std::io::{self, BufRead, BufReader, Read};

/// Bytes looked at to find the byte-order mark and the header line.
const PEEK: usize = 64 * 1024;

/// A byte stream as UTF-8: passed through, or transcoded from UTF-16.
pub struct Utf8Source<R: Read> {
    inner: BufReader<R>,
    decoder: Option<Decoder>,
    /// Transcoded bytes not read yet: `out[pos..]`.
    out: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<R: Read> Read for Utf8Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Self {
            inner,
            decoder,
            out,
            pos,
            done,
        } = self;
        let Some(decoder) = decoder else {
            return inner.read(buf);
        };
        while *pos >= out.len() {
            if *done {
                return Ok(0);
            }
            let input = inner.fill_buf()?;
            let last = input.is_empty();
            let room = decoder
                .max_utf8_buffer_length(input.len())
                .unwrap_or(input.len().saturating_mul(3).saturating_add(16));
            out.clear();
            out.resize(room, 0);
            // With room for the worst case the decoder reads all of `input`.
            let (_, read, written, _) = decoder.decode_to_utf8(input, out, last);
            out.truncate(written);
            *pos = 0;
            inner.consume(read);
            *done = last;
        }
        let n = buf.len().min(out.len() - *pos);
        buf[..n].copy_from_slice(&out[*pos..*pos + n]);
        *pos += n;
        Ok(n)
    }
}

/// A CSV stream ready for `csv::ReaderBuilder::from_reader`, with its delimiter.
pub struct CsvInput<R: Read> {
    pub reader: BufReader<Utf8Source<R>>,
    /// `,`, `;` or a tab.
    pub delimiter: u8,
}

/// Opens a CSV stream: finds the encoding by its byte-order mark and the
/// delimiter from the header line.
pub fn open<R: Read>(reader: R) -> io::Result<CsvInput<R>> {
    let mut inner = BufReader::with_capacity(PEEK, reader);
    let head = inner.fill_buf()?;
    let decoder = if head.starts_with(&[0xFF, 0xFE]) {
        Some(UTF_16LE.new_decoder_with_bom_removal())
    } else if head.starts_with(&[0xFE, 0xFF]) {
        Some(UTF_16BE.new_decoder_with_bom_removal())
    } else {
        None
    };
    if decoder.is_none() && head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        inner.consume(3);
    }
    let mut reader = BufReader::with_capacity(
        PEEK,
        Utf8Source {
            inner,
            decoder,
            out: Vec::new(),
            pos: 0,
            done: false,
        },
    );
    let delimiter = sniff_delimiter(reader.fill_buf()?);
    Ok(CsvInput { reader, delimiter })
}

/// The delimiter of the header line in `head`: the most frequent of `,`,
/// `;` and tab outside quotes (a comma on a tie or none).
#[must_use]
pub fn sniff_delimiter(head: &[u8]) -> u8 {
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let mut counts = [0_usize; 3];
    let mut quoted = false;
    for b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let candidates = [b',', b';', b'\t'];
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    candidates[best]
}

/// A field's text: UTF-8 if it is, else Windows-1252 (a superset of
/// Latin-1 for text: every byte is a character).
#[must_use]
pub fn field_text(raw: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(raw) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => WINDOWS_1252.decode_without_bom_handling(raw).0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8]) -> (String, u8) {
        let mut input = open(bytes).expect("open");
        let mut s = String::new();
        input.reader.read_to_string(&mut s).expect("utf-8");
        (s, input.delimiter)
    }

    #[test]
    fn utf16_with_a_bom_is_transcoded_in_both_byte_orders() {
        let text = "text;customer_email\nÄrger über Lieferung;a@b.de\n";
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for u in text.encode_utf16() {
            le.extend(u.to_le_bytes());
            be.extend(u.to_be_bytes());
        }
        assert_eq!(read_all(&le), (text.to_string(), b';'));
        assert_eq!(read_all(&be), (text.to_string(), b';'));
    }

    #[test]
    fn a_long_utf16_file_streams_through_many_buffers() {
        let row = "Größe falsch geliefert,x@y.de\n";
        let text = format!("text,customer_email\n{}", row.repeat(20_000));
        let mut le = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            le.extend(u.to_le_bytes());
        }
        assert!(le.len() > 10 * PEEK);
        assert_eq!(read_all(&le), (text, b','));
    }

    #[test]
    fn the_utf8_bom_goes_and_the_delimiter_is_sniffed() {
        assert_eq!(read_all(b"\xEF\xBB\xBFtext,x\n").0, "text,x\n");
        assert_eq!(sniff_delimiter(b"text;customer_email;rating\n\"a,b,c,d\";x;1"), b';');
        assert_eq!(sniff_delimiter(b"\"a;b;c\",text\n"), b',');
        assert_eq!(sniff_delimiter(b"text\tcustomer_email\n"), b'\t');
        assert_eq!(sniff_delimiter(b"text\n"), b',');
    }

    #[test]
    fn latin1_fields_are_read_as_windows_1252() {
        assert_eq!(field_text(b"Gr\xF6\xDFe \x80"), "Größe €");
        assert_eq!(field_text("Größe".as_bytes()), "Größe");
    }
}
