//! JSON in and out with errors that name the field.
//!
//! axum's own `Json` rejection is plain text; this extractor answers with
//! problem+json: 415 for a wrong content type, 400 for malformed JSON,
//! 422 naming the field for wrong types, missing or unknown fields.

use crate::error::ApiError;
use crate::query::field_from_message;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub struct ApiJson<T>(pub T);

/// A 201 Created answer with `T` as its JSON body.
pub struct Created<T>(pub T);

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        (StatusCode::CREATED, Json(self.0)).into_response()
    }
}

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ct = content_type(req.headers());
        if !(ct.starts_with("application/json") || ct.contains("+json")) {
            return Err(ApiError::unsupported_media_type(format!(
                "send the body as JSON with `Content-Type: application/json` (got `{}`)",
                if ct.is_empty() { "nothing" } else { &ct }
            )));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::unreadable_body(&e, "1 MiB", ""))?;
        parse_json(&bytes).map(ApiJson)
    }
}

pub use crate::query::content_type;

/// Parses JSON, mapping serde errors to field-naming API errors. A number
/// with a zero fraction (`5.0`) is the integer it equals, as JSON Schema
/// says of `type: integer`.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request(format!("the body is not valid JSON: {e}")))?;
    whole_numbers_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        use serde_json::error::Category;
        match inner.classify() {
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::bad_request(format!("the body is not valid JSON: {inner}"))
            }
            Category::Data => {
                let msg = inner.to_string();
                let field = field_from_message(&msg).map_or(path.clone(), |f| {
                    if path == "." || path.is_empty() {
                        f
                    } else if path == f || path.ends_with(&format!(".{f}")) {
                        path.clone()
                    } else {
                        format!("{path}.{f}")
                    }
                });
                let field = if field == "." { String::new() } else { field };
                // serde appends " at line L column C"; keep the message short.
                let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                ApiError::validation(field, msg)
            }
        }
    })
}

/// Rewrites every number with a zero fraction that fits an `i64` or `u64`
/// as that integer, so `"days": 30.0` reads like `"days": 30`.
fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
            {
                // The casts saturate; the round trip tells whether `f` fits.
                #[allow(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    clippy::cast_precision_loss
                )]
                let whole = if (f as i64) as f64 == f {
                    Some(serde_json::Number::from(f as i64))
                } else if (f as u64) as f64 == f {
                    Some(serde_json::Number::from(f as u64))
                } else {
                    None
                };
                if let Some(w) = whole {
                    *n = w;
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use amends_app::AppError;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct In {
        subject: String,
        rating: Option<u8>,
    }

    fn field(r: Result<In, ApiError>) -> String {
        match r {
            Err(ApiError::App(AppError::Validation { field, .. })) => field,
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(field(parse_json(br#"{"rating": 1}"#)), "subject");
        assert_eq!(field(parse_json(br#"{"subject": "x", "colour": 1}"#)), "colour");
        assert_eq!(field(parse_json(br#"{"subject": 5}"#)), "subject");
        assert_eq!(field(parse_json(br#"{"subject": "x", "rating": 900}"#)), "rating");
        assert_eq!(field(parse_json(br#"{"subject": "x", "rating": 2.5}"#)), "rating");
        let whole: In = parse_json(br#"{"subject": "x", "rating": 4.0}"#).expect("a whole float is an integer");
        assert_eq!(whole.rating, Some(4));
        assert!(matches!(
            parse_json::<In>(b"{not json"),
            Err(ApiError::App(AppError::BadRequest(_)))
        ));
    }
}
