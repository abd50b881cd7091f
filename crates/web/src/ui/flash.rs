//! The confirmation after a form post ("Antwort in der Warteschlange",
//! "Reply queued"): the post answers with a redirect that sets a
//! short-lived cookie naming a catalogue key; the next page shows that
//! text in the user's language (`role="status"` in `base.html`) and the
//! [`clear`] layer removes the cookie once a page was shown. The cookie
//! holds only a key (`flash-…`, checked), never text.

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

pub const COOKIE: &str = "amends_flash";

/// A redirect to `to` with the confirmation `key` for the next page.
pub fn to(to: &str, key: &'static str) -> Response {
    let mut res = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{COOKIE}={key}; Path=/; Max-Age=60; HttpOnly; SameSite=Lax")) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

fn valid(key: &str) -> bool {
    key.starts_with("flash-")
        && key.len() <= 60
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The confirmation key a request carries, if any.
#[must_use]
pub fn read(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, v)| v.to_string())
        .filter(|v| valid(v))
}

/// Removes the confirmation cookie once a page (not another redirect) answered a request that carried it.
pub async fn clear(req: Request, next: Next) -> Response {
    let had = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(COOKIE));
    let mut res = next.run(req).await;
    let set_now = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.starts_with(COOKIE));
    if had && !set_now && !res.status().is_redirection() {
        res.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_static("amends_flash=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_catalogue_like_keys_are_read() {
        let mut h = axum::http::HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("amends_session=x; amends_flash=flash-reply-queued"),
        );
        assert_eq!(read(&h).as_deref(), Some("flash-reply-queued"));
        h.insert(header::COOKIE, HeaderValue::from_static("amends_flash=<script>"));
        assert_eq!(read(&h), None);
        h.insert(header::COOKIE, HeaderValue::from_static("amends_flash=error-internal"));
        assert_eq!(read(&h), None);
    }
}
