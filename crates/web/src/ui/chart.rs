//! Charts on the analytics pages. The server sends each chart as a JSON spec
//! (drawn in the browser by `assets/charts.js` with the vendored ECharts) and
//! as a table with the same numbers, for screen readers and browsers without
//! JavaScript. Both are rendered by the `chart` macro in `templates/chart.html`;
//! the spec contract is documented at the top of `assets/charts.js`.

use amends_domain::Language;
use amends_i18n::format::{format_decimal, format_percent};
use serde::Serialize;

/// How the values of a chart are formatted on the axis, in tooltips and in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Number,
    /// 0–100, shown as `69,3 %` / `69.3%`.
    Percent,
    Hours,
    Money,
}

/// One named row of values over the categories of a line or bar chart.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    pub name: String,
    /// One value per category; `None` is a gap.
    pub values: Vec<Option<f64>>,
    /// Series with the same stack name are stacked (bar charts).
    pub stack: Option<String>,
}

/// What `charts.js` draws (serialised with a `kind` tag).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Spec {
    Line(SeriesSpec),
    Bar(SeriesSpec),
    Heatmap(HeatmapSpec),
}

#[derive(Debug, Clone, Serialize)]
pub struct SeriesSpec {
    /// Category labels, already localised.
    pub x: Vec<String>,
    pub series: Vec<Series>,
    pub unit: Unit,
    /// ISO 4217 code, only for [`Unit::Money`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    pub decimals: u8,
}

#[derive(Debug, Clone, Serialize)]
pub struct HeatmapSpec {
    pub x: Vec<String>,
    pub y: Vec<String>,
    /// `[x index, y index, value]`.
    pub cells: Vec<(usize, usize, f64)>,
    pub unit: Unit,
    pub decimals: u8,
}

/// A chart ready for the `chart` macro: spec plus the table with the same numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    pub id: String,
    pub title: String,
    pub spec: Spec,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Chart {
    /// A line or bar chart; the table has one row per category and one
    /// column per series, headed by `category` and the series names.
    pub fn series(id: &str, title: String, category: String, spec: Spec, lang: Language) -> Self {
        let (headers, rows) = match &spec {
            Spec::Line(s) | Spec::Bar(s) => {
                let headers = std::iter::once(category)
                    .chain(s.series.iter().map(|v| v.name.clone()))
                    .collect();
                let rows =
                    s.x.iter()
                        .enumerate()
                        .map(|(i, label)| {
                            std::iter::once(label.clone())
                                .chain(s.series.iter().map(|v| {
                                    v.values
                                        .get(i)
                                        .copied()
                                        .flatten()
                                        .map_or_else(|| "—".to_string(), |n| format_value(n, s.unit, s.decimals, lang))
                                }))
                                .collect()
                        })
                        .collect();
                (headers, rows)
            }
            Spec::Heatmap(h) => {
                let headers = std::iter::once(category).chain(h.x.iter().cloned()).collect();
                let rows =
                    h.y.iter()
                        .enumerate()
                        .map(|(yi, label)| {
                            std::iter::once(label.clone())
                                .chain((0..h.x.len()).map(|xi| {
                                    let v = h.cells.iter().find(|c| c.0 == xi && c.1 == yi).map_or(0.0, |c| c.2);
                                    format_value(v, h.unit, h.decimals, lang)
                                }))
                                .collect()
                        })
                        .collect();
                (headers, rows)
            }
        };
        Self {
            id: id.to_string(),
            title,
            spec,
            headers,
            rows,
        }
    }
}

/// `1.234,5` in German, `1,234.5` in English; percent as `69,3 %` / `69.3%`;
/// hours with ` h`. Money charts are formatted by the caller's currency in
/// the browser; the table shows the plain number with two decimals.
#[must_use]
pub fn format_value(v: f64, unit: Unit, decimals: u8, lang: Language) -> String {
    let decimals = usize::from(decimals);
    match unit {
        Unit::Percent => format_percent(v, decimals, lang),
        Unit::Hours => format!("{}\u{a0}h", format_decimal(v, decimals, lang)),
        Unit::Number | Unit::Money => format_decimal(v, decimals, lang),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_each_language_writes_them() {
        assert_eq!(format_value(69.28, Unit::Percent, 1, Language::De), "69,3\u{a0}%");
        assert_eq!(format_value(69.28, Unit::Percent, 1, Language::En), "69.3%");
        assert_eq!(format_value(1234.5, Unit::Number, 1, Language::De), "1.234,5");
        assert_eq!(format_value(1234.5, Unit::Number, 1, Language::En), "1,234.5");
        assert_eq!(format_value(-1_234_567.0, Unit::Number, 0, Language::De), "-1.234.567");
        assert_eq!(format_value(-0.01, Unit::Number, 1, Language::En), "0.0");
        assert_eq!(format_value(3.0, Unit::Hours, 0, Language::En), "3\u{a0}h");
    }

    #[test]
    fn the_spec_is_the_contract_charts_js_reads() {
        let spec = Spec::Bar(SeriesSpec {
            x: vec!["premium/high".into()],
            series: vec![Series {
                name: "CSAT".into(),
                values: vec![Some(4.1), None],
                stack: None,
            }],
            unit: Unit::Percent,
            currency: None,
            decimals: 1,
        });
        let json = serde_json::to_value(&spec).expect("serialises");
        assert_eq!(
            json,
            serde_json::json!({"kind": "bar", "x": ["premium/high"],
                "series": [{"name": "CSAT", "values": [4.1, null], "stack": null}],
                "unit": "percent", "decimals": 1})
        );
        let heat = Spec::Heatmap(HeatmapSpec {
            x: vec!["Mo".into(), "Di".into()],
            y: vec!["0".into()],
            cells: vec![(1, 0, 0.0)],
            unit: Unit::Number,
            decimals: 0,
        });
        assert_eq!(
            serde_json::to_value(&heat).expect("serialises"),
            serde_json::json!({"kind": "heatmap", "x": ["Mo", "Di"], "y": ["0"],
                "cells": [[1, 0, 0.0]], "unit": "number", "decimals": 0})
        );
        let chart = Chart::series("c", "T".into(), "Tag".into(), heat, Language::De);
        assert_eq!(chart.headers, ["Tag", "Mo", "Di"]);
        assert_eq!(chart.rows, [["0", "0", "0"]]);
    }
}
