//! Why a goodwill-rule condition cannot be read or does not fit its rule:
//! a code with its parameters, so that pages say it in the reader's language
//! (catalogue keys `cond-…`) and the API in English ([`fmt::Display`]).

use std::fmt;

/// One problem of a rule condition; `clause` and `value` are cut to 60 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionProblem {
    Empty,
    TooLong,
    /// A clause without `=`, `!=`, `>`, `>=`, `<` or `<=`.
    NoComparison {
        clause: String,
    },
    /// A clause without a field or without a value.
    MissingSide {
        clause: String,
    },
    /// `>`, `>=`, `<` or `<=` with a value that is not a number.
    NumbersOnly {
        clause: String,
        op: &'static str,
    },
    /// A field name that is not 1–40 characters a–z, 0–9 or `_`.
    BadName {
        field: String,
    },
    /// A value the field does not have (`kind = flood`).
    UnknownValue {
        field: String,
        value: String,
        allowed: String,
    },
    /// A field a case rule cannot use.
    NotForCases {
        field: String,
        allowed: String,
    },
    /// A number field compared with text.
    NotNumber {
        field: String,
    },
    /// A yes/no field compared with something else.
    NotBool {
        field: String,
    },
}

impl ConditionProblem {
    /// The catalogue key of the problem.
    #[must_use]
    pub fn key(&self) -> &'static str {
        match self {
            Self::Empty => "cond-empty",
            Self::TooLong => "cond-too-long",
            Self::NoComparison { .. } => "cond-no-comparison",
            Self::MissingSide { .. } => "cond-missing-side",
            Self::NumbersOnly { .. } => "cond-numbers-only",
            Self::BadName { .. } => "cond-bad-name",
            Self::UnknownValue { .. } => "cond-unknown-value",
            Self::NotForCases { .. } => "cond-not-for-cases",
            Self::NotNumber { .. } => "cond-not-number",
            Self::NotBool { .. } => "cond-not-bool",
        }
    }

    /// The parameters the catalogue text names.
    #[must_use]
    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::Empty | Self::TooLong => vec![],
            Self::NoComparison { clause } | Self::MissingSide { clause } => vec![("clause", clause.clone())],
            Self::NumbersOnly { clause, op } => vec![("clause", clause.clone()), ("op", (*op).to_string())],
            Self::BadName { field } | Self::NotNumber { field } | Self::NotBool { field } => {
                vec![("field", field.clone())]
            }
            Self::UnknownValue { field, value, allowed } => vec![
                ("field", field.clone()),
                ("value", value.clone()),
                ("allowed", allowed.clone()),
            ],
            Self::NotForCases { field, allowed } => vec![("field", field.clone()), ("allowed", allowed.clone())],
        }
    }
}

impl fmt::Display for ConditionProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("condition must not be empty; e.g. `kind = delay and delay_minutes > 180`"),
            Self::TooLong => f.write_str("condition must be at most 500 characters"),
            Self::NoComparison { clause } => {
                write!(f, "`{clause}` has no comparison; use field = value, !=, >, >=, < or <=")
            }
            Self::MissingSide { clause } => write!(f, "`{clause}` needs a field and a value"),
            Self::NumbersOnly { clause, op } => write!(f, "`{clause}`: {op} compares numbers only"),
            Self::BadName { field } => write!(
                f,
                "fact name `{field}` must be 1–40 characters a–z, 0–9 or _ and start with a letter"
            ),
            Self::UnknownValue { field, value, allowed } => {
                write!(f, "{field} must be one of {allowed}, got `{value}`")
            }
            Self::NotForCases { field, allowed } => write!(f, "a case rule cannot use `{field}`; use {allowed}"),
            Self::NotNumber { field } => write!(f, "`{field}` compares numbers"),
            Self::NotBool { field } => write!(f, "`{field}` is true or false"),
        }
    }
}
