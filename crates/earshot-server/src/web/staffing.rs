//! The staffing page: for each owned channel, the agents each half-hour of a week needs (Erlang
//! C against the SLA's first-response target, `earshot_engine::staffing`) against the agents
//! scheduled, as a chart; the half-hours that need the most; the expected SLA compliance when
//! staffed as scheduled. Same query as `GET /api/v1/reports/staffing`.

use super::chart::PALETTE;
use super::{failed, refused, shell, Section, Session};
use crate::api::staffing::{plan_for, StaffingQuery, METHOD};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use earshot_engine::staffing::{ChannelPlan, Interval, Plan};
use maud::{html, Markup};
use std::fmt::Write;

pub fn router() -> Router<AppState> {
    Router::new().route("/staffing", get(page))
}

/// Half-hours listed in a channel's table of peaks.
const PEAKS: usize = 5;
/// Where the agents needed exceed those scheduled.
const SHORT: &str = "#D55E00";

async fn page(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<StaffingQuery>,
) -> Response {
    let plan = match plan_for(&state, session.user.workspace_id, &q).await {
        Ok(Ok(plan)) => plan,
        Ok(Err(message)) => return refused(StatusCode::BAD_REQUEST, &message),
        Err(e) => return failed(e),
    };
    shell(&session, Section::Staffing, "Staffing", view(&plan, &q)).into_response()
}

fn percent(share: Option<f64>) -> String {
    share.map_or("—".into(), |s| format!("{:.1}%", s * 100.0))
}

fn view(plan: &Plan, q: &StaffingQuery) -> Markup {
    let week_end = plan.week_start + chrono::Duration::days(6);
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    html! {
        h1 { "Staffing" }
        p {
            "The week of " (plan.week_start.format("%A %Y-%m-%d"))
            " to " (week_end.format("%A %Y-%m-%d")) " (UTC), planned from "
            (plan.history_from.format("%Y-%m-%d")) " to " (plan.history_until.format("%Y-%m-%d %H:%M")) "."
        }
        form.filters method="get" action="/staffing" aria-label="Plan" {
            label { "Week from " input type="date" name="from" value=(plan.week_start.format("%Y-%m-%d")); }
            label { "Target share " input type="text" inputmode="decimal" name="target" size="4"
                placeholder=(plan.params.target) value=(value(&q.target)); }
            label { "Occupancy cap " input type="text" inputmode="decimal" name="occupancy" size="4"
                placeholder=(plan.params.occupancy) value=(value(&q.occupancy)); }
            label { "Shrinkage " input type="text" inputmode="decimal" name="shrinkage" size="4"
                placeholder=(plan.params.shrinkage) value=(value(&q.shrinkage)); }
            label { "Conversations at once " input type="text" inputmode="numeric" name="concurrency" size="3"
                placeholder="per kind" value=(value(&q.concurrency)); }
            button type="submit" { "Plan" }
        }
        section.kpis aria-label="Expected compliance" {
            div.kpi {
                span.label { "Expected SLA compliance, staffed as scheduled" }
                strong #kpi-compliance { (percent(plan.expected_compliance)) }
            }
        }
        p.muted { (earshot_engine::staffing::SCHEDULED_MEANS) "." }
        @if plan.channels.is_empty() {
            p #no-channels { "No owned channel had conversations in the four weeks before this week: nothing to plan." }
        }
        @for (k, c) in plan.channels.iter().enumerate() {
            (channel_section(k, c))
        }
        details {
            summary { "Method" }
            p { (METHOD) "." }
        }
    }
}

fn channel_section(k: usize, c: &ChannelPlan) -> Markup {
    let mut peaks: Vec<&Interval> = c.intervals.iter().filter(|i| i.arrivals > 0.0).collect();
    peaks.sort_by(|a, b| {
        b.agents_needed
            .cmp(&a.agents_needed)
            .then(b.arrivals.total_cmp(&a.arrivals))
            .then(a.start.cmp(&b.start))
    });
    peaks.truncate(PEAKS);
    html! {
        section.channel-plan id={ "channel-" (c.channel_id.0) } {
            h2 { (c.name) " (" (c.kind) ")" }
            ul.facts {
                li { "SLA: " strong { (c.sla_policy) } ", first response within "
                    (earshot_core::report::minutes_in_words((c.answer_within_seconds / 60.0).round() as i64))
                    " (" (c.sla_policy_source) ")" }
                li { "Handle time: " strong { (format!("{:.1} min", c.handle_time.seconds / 60.0)) }
                    " a conversation (" (format!("{:.1}", c.handle_time.replies_per_conversation)) " replies of "
                    (format!("{:.1} min", c.handle_time.per_reply_seconds / 60.0))
                    @if !c.handle_time.measured { ", too few quick replies to measure: the default" }
                    "); " (c.concurrency) " conversation(s) at once" }
                li { "Forecast: " (format!("{:.0}", c.conversations_expected)) " conversations; " (c.forecast_basis) }
                li { "Scheduled: " strong { (format!("{:.1}", c.scheduled_agents)) } " agent(s); most needed in a half-hour: "
                    strong { (c.peak_agents_needed) } }
                li { "Expected SLA compliance: " strong.compliance { (percent(c.expected_compliance)) } }
            }
            (need_chart(&format!("staffing-{k}"), c))
            table.peaks {
                caption { "The half-hours that need the most agents" }
                thead { tr {
                    th scope="col" { "Half-hour (UTC)" } th scope="col" { "Conversations" }
                    th scope="col" { "Agents needed" } th scope="col" { "Scheduled" }
                    th scope="col" { "Expected in time" }
                } }
                tbody {
                    @for i in &peaks {
                        tr {
                            th scope="row" { (i.start.format("%a %H:%M").to_string()) }
                            td { (format!("{:.1}", i.arrivals)) }
                            td { (i.agents_needed) }
                            td { (format!("{:.1}", i.scheduled)) }
                            td { (percent(i.expected_service_level)) }
                        }
                    }
                }
            }
        }
    }
}

/// A number with one decimal, as the chart's coordinates are written.
fn px(v: f64) -> String {
    let mut s = String::new();
    let _ = write!(s, "{v:.1}");
    s
}

/// Columns of the agents needed per half-hour (red where more than scheduled), the agents
/// scheduled as a line across the week; the numbers folded underneath.
fn need_chart(id: &str, c: &ChannelPlan) -> Markup {
    const W: f64 = 720.0;
    const H: f64 = 200.0;
    const LEFT: f64 = 36.0;
    const BOTTOM: f64 = 22.0;
    const TOP: f64 = 8.0;
    let n = c.intervals.len().max(1);
    let max = c
        .intervals
        .iter()
        .map(|i| f64::from(i.agents_needed).max(i.scheduled))
        .fold(1.0, f64::max)
        .ceil();
    let step = (max / 4.0).ceil().max(1.0);
    let top = step * (max / step).ceil();
    let plot_w = W - LEFT - 8.0;
    let plot_h = H - BOTTOM - TOP;
    let slot = plot_w / n as f64;
    let y = |v: f64| TOP + plot_h - plot_h * v / top;
    let scheduled = c.intervals.first().map_or(0.0, |i| i.scheduled);
    let short = c
        .intervals
        .iter()
        .filter(|i| f64::from(i.agents_needed) > i.scheduled)
        .count();
    let (title_id, desc_id) = (format!("{id}-t"), format!("{id}-d"));
    html! {
        figure {
            svg.chart viewBox={ "0 0 " (W) " " (H) } role="img" aria-labelledby={ (title_id) " " (desc_id) } {
                title id=(title_id) { "Agents needed and scheduled per half-hour, " (c.name) }
                desc id=(desc_id) {
                    "At most " (c.peak_agents_needed) " agents needed in a half-hour, "
                    (format!("{scheduled:.1}")) " scheduled; " (short) " of " (n) " half-hours short"
                }
                @for v in (0..=(top / step) as i64).map(|k| step * k as f64) {
                    line.grid x1=(LEFT) x2=(W - 8.0) y1=(px(y(v))) y2=(px(y(v))) {}
                    text.axis x=(LEFT - 4.0) y=(px(y(v) + 4.0)) text-anchor="end" { (v) }
                }
                @for (s, i) in c.intervals.iter().enumerate() {
                    @if i.agents_needed > 0 {
                        @let v = f64::from(i.agents_needed);
                        rect x=(px(LEFT + slot * s as f64)) y=(px(y(v))) width=(px(slot.max(0.5)))
                            height=(px((y(0.0) - y(v)).max(0.5)))
                            fill=(if v > i.scheduled { SHORT } else { PALETTE[0] }) {
                            title { (i.start.format("%a %H:%M").to_string()) ": " (i.agents_needed) " needed" }
                        }
                    }
                }
                line.scheduled x1=(LEFT) x2=(W - 8.0) y1=(px(y(scheduled))) y2=(px(y(scheduled)))
                    stroke=(PALETTE[1]) stroke-width="2" {}
                @for d in 0..7 {
                    text.axis x=(px(LEFT + slot * (d * 48 + 24) as f64)) y=(H - 6.0) text-anchor="middle" {
                        (["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][(c.intervals.first()
                            .map_or(0, |i| chrono::Datelike::weekday(&i.start).num_days_from_monday() as usize) + d) % 7])
                    }
                }
            }
            ul.legend {
                li { svg.swatch viewBox="0 0 10 10" aria-hidden="true" { path d="M0 0h10v10H0z" fill=(PALETTE[0]) {} } "needed" }
                li { svg.swatch viewBox="0 0 10 10" aria-hidden="true" { path d="M0 0h10v10H0z" fill=(SHORT) {} } "needed, more than scheduled" }
                li { svg.swatch viewBox="0 0 10 10" aria-hidden="true" { path d="M0 0h10v10H0z" fill=(PALETTE[1]) {} } "scheduled" }
            }
            details {
                summary { "Numbers" }
                div.table-wrap {
                    table {
                        caption { "Every half-hour, " (c.name) }
                        thead { tr {
                            th scope="col" { "Half-hour (UTC)" } th scope="col" { "Conversations" }
                            th scope="col" { "Needed" } th scope="col" { "Scheduled" } th scope="col" { "Expected in time" }
                        } }
                        tbody {
                            @for i in &c.intervals {
                                tr {
                                    th scope="row" { (i.start.format("%a %H:%M").to_string()) }
                                    td { (format!("{:.2}", i.arrivals)) }
                                    td { (i.agents_needed) }
                                    td { (format!("{:.1}", i.scheduled)) }
                                    td { (percent(i.expected_service_level)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
