//! Charts as inline SVG, drawn on the server: stacked daily columns and horizontal bars.
//! Each chart is an image with a title and a description for screen readers, and keeps its
//! numbers in a table beside it (folded away) so nothing is only in the picture.

use super::legacy::escape;

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

/// Columns per day, the series stacked; `labels` are the days (one per value).
pub fn stacked_columns(id: &str, title: &str, labels: &[String], series: &[Series]) -> String {
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
    let mut svg = format!(
        "<svg viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" class=\"chart\">\
         <title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        escape(title),
        escape(&describe(labels, series, &totals))
    );
    for k in 0..=top / step {
        let v = step * k;
        let yy = y(v);
        svg.push_str(&format!(
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" class=\"grid\"/>\
             <text x=\"{}\" y=\"{:.1}\" class=\"axis\" text-anchor=\"end\">{v}</text>",
            W - 8.0,
            LEFT - 4.0,
            yy + 4.0
        ));
    }
    for i in 0..n {
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let mut base = 0;
        for s in series {
            let v = s.values.get(i).copied().unwrap_or(0);
            if v == 0 {
                continue;
            }
            let (y0, y1) = (y(base), y(base + v));
            svg.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{y1:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{}: {} {v}</title></rect>",
                (y0 - y1).max(0.5),
                s.colour,
                escape(labels.get(i).map(String::as_str).unwrap_or("")),
                escape(s.name)
            ));
            base += v;
        }
    }
    // Date labels: about eight along the axis.
    let every = n.div_ceil(8).max(1);
    for (i, label) in labels.iter().enumerate().step_by(every) {
        let x = LEFT + slot * i as f64 + slot / 2.0;
        svg.push_str(&format!(
            "<text x=\"{x:.1}\" y=\"{}\" class=\"axis\" text-anchor=\"middle\">{}</text>",
            H - 6.0,
            escape(label.get(5..).unwrap_or(label))
        ));
    }
    svg.push_str("</svg>");
    format!(
        "<figure>{svg}{}{}</figure>",
        legend(series.iter().map(|s| (s.name, s.colour))),
        data_table(title, labels, series)
    )
}

/// Horizontal bars, one per item, with its value written beside it.
pub fn bars(id: &str, title: &str, items: &[(String, i64, &str)]) -> String {
    if items.is_empty() {
        return format!(
            "<figure><p class=\"muted\" id=\"{id}\">{}: nothing in this range.</p></figure>",
            escape(title)
        );
    }
    // Narrower than the columns: these sit two to a row, and their words must stay legible.
    let w = 460.0;
    let row = 24.0;
    let label_w = 190.0;
    let h = row * items.len() as f64 + 8.0;
    let max = items.iter().map(|i| i.1).max().unwrap_or(0).max(1);
    let plot = w - label_w - 60.0;
    let mut svg = format!(
        "<svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"{id}-t\" class=\"chart bars\"><title id=\"{id}-t\">{}: {}</title>",
        escape(title),
        escape(
            &items
                .iter()
                .map(|(l, v, _)| format!("{l} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    );
    for (k, (label, value, colour)) in items.iter().enumerate() {
        let y = 4.0 + row * k as f64;
        let bar = plot * *value as f64 / max as f64;
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" class=\"axis\" text-anchor=\"end\">{}</text>\
             <rect x=\"{label_w}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" class=\"value\">{value}</text>",
            label_w - 6.0,
            y + row * 0.6,
            escape(&shorten(label, 30)),
            bar.max(1.0),
            row - 8.0,
            label_w + bar + 6.0,
            y + row * 0.6,
        ));
    }
    svg.push_str("</svg>");
    format!("<figure>{svg}</figure>")
}

/// At most `n` characters, with an ellipsis when cut (the full label is in the title).
fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

fn legend<'a>(items: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let entries: String = items
        .map(|(name, colour)| {
            format!(
                "<li><span class=\"swatch\" style=\"background:{colour}\"></span>{}</li>",
                escape(name)
            )
        })
        .collect();
    format!("<ul class=\"legend\">{entries}</ul>")
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
fn data_table(title: &str, labels: &[String], series: &[Series]) -> String {
    let head: String = series
        .iter()
        .map(|s| format!("<th scope=\"col\">{}</th>", escape(s.name)))
        .collect();
    let rows: String = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let cells: String = series
                .iter()
                .map(|s| format!("<td>{}</td>", s.values.get(i).copied().unwrap_or(0)))
                .collect();
            format!("<tr><th scope=\"row\">{}</th>{cells}</tr>", escape(l))
        })
        .collect();
    format!(
        "<details><summary>Numbers</summary><div class=\"table-wrap\"><table><caption>{}</caption>\
         <thead><tr><th scope=\"col\">Day</th>{head}</tr></thead><tbody>{rows}</tbody></table></div></details>",
        escape(title)
    )
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
        );
        assert!(html.contains("role=\"img\""));
        assert!(html.contains("&lt;by&gt;"), "titles are escaped");
        assert!(html.contains("6 in all from 2026-11-01 to 2026-11-02: x 3, email 3"));
        assert_eq!(html.matches("<rect").count(), 3, "no rectangle for a zero");
        assert!(html.contains("<th scope=\"row\">2026-11-02</th><td>0</td><td>2</td>"));
    }
}
