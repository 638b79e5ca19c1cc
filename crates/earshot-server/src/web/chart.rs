//! Charts as inline SVG, drawn on the server: stacked daily columns and horizontal bars.
//! Each chart is an image with a title and a description for screen readers, and keeps its
//! numbers in a table beside it (folded away) so nothing is only in the picture.

use maud::{html, Markup, Render};
use std::fmt::Write;

/// Colours that stay apart for the common kinds of colour blindness (Okabe–Ito).
pub const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
];

/// The colour of a sentiment, the same everywhere.
pub fn sentiment_colour(s: &str) -> &'static str {
    match s {
        "negative" => "#D55E00",
        "neutral" => "#999999",
        "positive" => "#009E73",
        _ => "#CCCCCC",
    }
}

pub struct Series<'a> {
    pub name: &'a str,
    pub colour: &'a str,
    pub values: &'a [i64],
}

const W: f64 = 720.0;
const H: f64 = 220.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 8.0;

/// The axis: a round step (1, 2 or 5 times a power of ten) and the top, at most four steps
/// up, at or above `max`.
fn axis(max: i64) -> (i64, i64) {
    let wanted = (max.max(1) + 3) / 4;
    let mut magnitude = 1;
    loop {
        for m in [1, 2, 5] {
            let step = m * magnitude;
            if step >= wanted {
                let lines = (max.max(1) + step - 1) / step;
                return (step, step * lines);
            }
        }
        magnitude *= 10;
    }
}

/// A coordinate with one decimal, as the charts write them.
struct Px(f64);

impl Render for Px {
    fn render_to(&self, out: &mut String) {
        // A number needs no escaping.
        let _ = write!(out, "{:.1}", self.0);
    }
}

/// Columns per day, the series stacked; `labels` are the days (one per value).
pub fn stacked_columns(id: &str, title: &str, labels: &[String], series: &[Series]) -> Markup {
    let n = labels.len().max(1);
    let totals: Vec<i64> = (0..n)
        .map(|i| {
            series
                .iter()
                .map(|s| s.values.get(i).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let (step, top) = axis(totals.iter().copied().max().unwrap_or(0));
    let plot_w = W - LEFT - 8.0;
    let plot_h = H - BOTTOM - TOP;
    let slot = plot_w / n as f64;
    let bar = (slot * 0.8).max(1.0);
    let y = |v: i64| TOP + plot_h - plot_h * v as f64 / top as f64;
    let mut rects = Vec::new();
    for i in 0..n {
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let day = labels.get(i).map(String::as_str).unwrap_or("");
        let mut base = 0;
        for s in series {
            let v = s.values.get(i).copied().unwrap_or(0);
            if v == 0 {
                continue;
            }
            let (y0, y1) = (y(base), y(base + v));
            rects.push(html! {
                rect x=(Px(x)) y=(Px(y1)) width=(Px(bar)) height=(Px((y0 - y1).max(0.5)))
                    fill=(s.colour) {
                    title { (day) ": " (s.name) " " (v) }
                }
            });
            base += v;
        }
    }
    let (title_id, desc_id) = (format!("{id}-t"), format!("{id}-d"));
    // Date labels: about eight along the axis.
    let every = n.div_ceil(8).max(1);
    html! {
        figure {
            svg.chart viewBox={ "0 0 " (W) " " (H) } role="img"
                aria-labelledby={ (title_id) " " (desc_id) } {
                title id=(title_id) { (title) }
                desc id=(desc_id) { (describe(labels, series, &totals)) }
                @for v in (0..=top / step).map(|k| step * k) {
                    line.grid x1=(LEFT) x2=(W - 8.0) y1=(Px(y(v))) y2=(Px(y(v))) {}
                    text.axis x=(LEFT - 4.0) y=(Px(y(v) + 4.0)) text-anchor="end" { (v) }
                }
                @for rect in &rects {
                    (rect)
                }
                @for (i, label) in labels.iter().enumerate().step_by(every) {
                    text.axis x=(Px(LEFT + slot * i as f64 + slot / 2.0)) y=(H - 6.0)
                        text-anchor="middle" { (label.get(5..).unwrap_or(label)) }
                }
            }
            (legend(series.iter().map(|s| (s.name, s.colour))))
            (data_table(title, labels, series))
        }
    }
}

/// Horizontal bars, one per item, with its value written beside it.
pub fn bars(id: &str, title: &str, items: &[(String, i64, &str)]) -> Markup {
    if items.is_empty() {
        return html! {
            figure { p.muted id=(id) { (title) ": nothing in this range." } }
        };
    }
    // Narrower than the columns: these sit two to a row, and their words must stay legible.
    let w = 460.0;
    let row = 24.0;
    let label_w = 190.0;
    let h = row * items.len() as f64 + 8.0;
    let max = items.iter().map(|i| i.1).max().unwrap_or(0).max(1);
    let plot = w - label_w - 60.0;
    let title_id = format!("{id}-t");
    let summary = items
        .iter()
        .map(|(l, v, _)| format!("{l} {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        figure {
            svg.chart.bars viewBox={ "0 0 " (w) " " (h) } role="img" aria-labelledby=(title_id) {
                title id=(title_id) { (title) ": " (summary) }
                @for (k, (label, value, colour)) in items.iter().enumerate() {
                    @let y = 4.0 + row * k as f64;
                    @let bar = plot * *value as f64 / max as f64;
                    text.axis x=(Px(label_w - 6.0)) y=(Px(y + row * 0.6)) text-anchor="end" {
                        (shorten(label, 30))
                    }
                    rect x=(label_w) y=(Px(y)) width=(Px(bar.max(1.0))) height=(Px(row - 8.0))
                        fill=(colour) {}
                    text.value x=(Px(label_w + bar + 6.0)) y=(Px(y + row * 0.6)) { (value) }
                }
            }
        }
    }
}

/// At most `n` characters, with an ellipsis when cut (the full label is in the title).
fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

fn legend<'a>(items: impl Iterator<Item = (&'a str, &'a str)>) -> Markup {
    html! {
        ul.legend {
            @for (name, colour) in items {
                // An SVG swatch: its colour is an attribute, not an inline style, so the pages'
                // Content-Security-Policy needs no `unsafe-inline`.
                li {
                    svg.swatch viewBox="0 0 10 10" aria-hidden="true" {
                        path d="M0 0h10v10H0z" fill=(colour) {}
                    }
                    (name)
                }
            }
        }
    }
}

fn describe(labels: &[String], series: &[Series], totals: &[i64]) -> String {
    let sum: i64 = totals.iter().sum();
    let parts: Vec<String> = series
        .iter()
        .map(|s| format!("{} {}", s.name, s.values.iter().sum::<i64>()))
        .collect();
    format!(
        "{} in all from {} to {}: {}",
        sum,
        labels.first().map(String::as_str).unwrap_or(""),
        labels.last().map(String::as_str).unwrap_or(""),
        parts.join(", ")
    )
}

/// The chart's numbers as a table, folded under the chart.
fn data_table(title: &str, labels: &[String], series: &[Series]) -> Markup {
    html! {
        details {
            summary { "Numbers" }
            div.table-wrap {
                table {
                    caption { (title) }
                    thead {
                        tr {
                            th scope="col" { "Day" }
                            @for s in series {
                                th scope="col" { (s.name) }
                            }
                        }
                    }
                    tbody {
                        @for (i, l) in labels.iter().enumerate() {
                            tr {
                                th scope="row" { (l) }
                                @for s in series {
                                    td { (s.values.get(i).copied().unwrap_or(0)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_step_on_round_numbers_and_cover_the_top() {
        assert_eq!(axis(0), (1, 1));
        assert_eq!(axis(7), (2, 8));
        assert_eq!(axis(10), (5, 10));
        assert_eq!(axis(130), (50, 150));
        assert_eq!(axis(4_999), (2_000, 6_000));
        assert_eq!(axis(10_000), (5_000, 10_000));
    }

    #[test]
    fn a_chart_describes_itself_and_keeps_its_numbers() {
        let labels = vec!["2026-11-01".to_string(), "2026-11-02".to_string()];
        let html = stacked_columns(
            "v",
            "Conversations <by> channel",
            &labels,
            &[
                Series {
                    name: "x",
                    colour: PALETTE[0],
                    values: &[3, 0],
                },
                Series {
                    name: "email",
                    colour: PALETTE[1],
                    values: &[1, 2],
                },
            ],
        )
        .into_string();
        assert!(html.contains("role=\"img\""));
        assert!(html.contains("&lt;by&gt;"), "titles are escaped");
        assert!(html.contains("6 in all from 2026-11-01 to 2026-11-02: x 3, email 3"));
        assert_eq!(html.matches("<rect").count(), 3, "no rectangle for a zero");
        assert!(html.contains("<th scope=\"row\">2026-11-02</th><td>0</td><td>2</td>"));
    }
}
