//! Satisfaction surveys: a CSAT (1–5) or NPS (0–10) question sent on the customer's own
//! channel once a conversation is resolved, and the answer read from what they write back.
//!
//! **When and to whom.** A workspace turns surveys on with [`Settings`]: the scale, how long
//! after the resolution the question goes (so that a customer who writes again at once is
//! not asked about a conversation that is not over), and the channel kinds it goes on (all
//! by default). One survey per conversation, ever: resolving it again after a reopening
//! moves a question not yet sent, and never sends a second. At the due time it is *not
//! sent, because…* when the customer declined surveys (the `surveys` purpose on their
//! consent ledger, on that channel or everywhere), opted out of engagement, or the channel
//! kind is not surveyed; a conversation reopened in the meantime waits for its next
//! resolution.
//!
//! **Reading the answer.** [`parse`] takes what the customer wrote after the question: a
//! number on the scale first ("4", "4/5", "4 out of 5", "9 - quick and kind"), a row of stars
//! ("★★★★☆", "⭐⭐⭐⭐"), or one of the scale's faces (😡 😞 😐 🙂 😍); what follows is the
//! comment. A number followed directly by a word ("5 days and still no refund") is not an
//! answer: it is read as a message, because guessing a score from it would be worse than
//! missing one. An answer is taken for [`ANSWER_DAYS`] days after the question went.

use serde::{Deserialize, Serialize};

/// Days after the question within which a reply can be its answer.
pub const ANSWER_DAYS: i64 = 7;
/// The longest a workspace can wait after a resolution before asking (30 days).
pub const MAX_DELAY_MINUTES: u32 = 43_200;
/// The longest question a workspace can write.
pub const MAX_QUESTION_CHARS: usize = 1_000;

/// Which question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Customer satisfaction, 1 (very dissatisfied) to 5 (very satisfied).
    Csat,
    /// Net promoter score, 0 (not at all likely to recommend) to 10 (extremely likely).
    Nps,
}

impl Scale {
    pub fn as_str(self) -> &'static str {
        match self {
            Scale::Csat => "csat",
            Scale::Nps => "nps",
        }
    }

    /// The lowest and highest scores.
    pub fn range(self) -> (i32, i32) {
        match self {
            Scale::Csat => (1, 5),
            Scale::Nps => (0, 10),
        }
    }

    /// The question a workspace asks unless it writes its own.
    pub fn default_question(self) -> &'static str {
        match self {
            Scale::Csat => {
                "How satisfied are you with the help you got? Reply with a number from 1 (very \
                 dissatisfied) to 5 (very satisfied), and tell us why if you like."
            }
            Scale::Nps => {
                "How likely are you to recommend us to a friend? Reply with a number from 0 (not \
                 at all likely) to 10 (extremely likely), and tell us why if you like."
            }
        }
    }
}

impl std::str::FromStr for Scale {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "csat" => Ok(Scale::Csat),
            "nps" => Ok(Scale::Nps),
            other => Err(format!("`{other}` is not a survey scale (csat or nps)")),
        }
    }
}

/// A workspace's survey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub scale: Scale,
    /// Minutes after the resolution before the question goes.
    pub delay_minutes: u32,
    /// Channel kinds it goes on; empty: every channel.
    pub channels: Vec<crate::ChannelKind>,
    /// The question, as sent.
    pub question: String,
}

impl Settings {
    /// Checks what a workspace asked for, naming what is wrong.
    pub fn check(&self) -> Result<(), String> {
        if self.delay_minutes > MAX_DELAY_MINUTES {
            return Err(format!(
                "`delay_minutes`: {} is more than {MAX_DELAY_MINUTES} (30 days)",
                self.delay_minutes
            ));
        }
        let q = self.question.trim();
        if q.is_empty() {
            return Err("`question` must not be empty".into());
        }
        if q.chars().count() > MAX_QUESTION_CHARS {
            return Err(format!(
                "`question` is longer than {MAX_QUESTION_CHARS} characters"
            ));
        }
        Ok(())
    }

    /// Whether a conversation on `kind` is surveyed.
    pub fn covers(&self, kind: crate::ChannelKind) -> bool {
        self.channels.is_empty() || self.channels.contains(&kind)
    }
}

/// Where a survey stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Waiting for its due time (or, with no due time, for the conversation to be resolved
    /// again).
    Scheduled,
    /// The question is on its way or delivered (its delivery state is the message's).
    Sent,
    /// It never went; the reason says why.
    NotSent,
    /// The customer answered.
    Answered,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Scheduled => "scheduled",
            State::Sent => "sent",
            State::NotSent => "not_sent",
            State::Answered => "answered",
        }
    }
}

impl std::str::FromStr for State {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "scheduled" => Ok(State::Scheduled),
            "sent" => Ok(State::Sent),
            "not_sent" => Ok(State::NotSent),
            "answered" => Ok(State::Answered),
            other => Err(format!("`{other}` is not a survey state")),
        }
    }
}

/// A stored survey.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Survey {
    pub id: i64,
    pub conversation_id: crate::ConversationId,
    pub contact_id: crate::ContactId,
    pub channel_id: crate::ChannelId,
    pub scale: Scale,
    pub state: State,
    /// When it is (or was) due; `None` while the conversation waits to be resolved again.
    pub due_at: Option<crate::time::Timestamp>,
    /// The agent and team the conversation had when it was resolved.
    pub agent_id: Option<crate::AgentId>,
    pub team_id: Option<crate::TeamId>,
    /// Why it was not sent.
    pub reason: Option<String>,
    /// The question as a stored outbound message.
    pub message_id: Option<crate::MessageId>,
    /// Where the question's delivery is (`queued`, `sent`: the platform accepted it,
    /// `failed`), once it was sent.
    pub delivery: Option<String>,
    pub sent_at: Option<crate::time::Timestamp>,
    pub score: Option<i32>,
    pub comment: Option<String>,
    /// The comment's sentiment, as the enrich stage read the answer.
    pub sentiment: Option<String>,
    pub answer_message_id: Option<crate::MessageId>,
    pub answered_at: Option<crate::time::Timestamp>,
    pub created_at: crate::time::Timestamp,
}

/// What happens to a survey.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    Sent {
        message_id: crate::MessageId,
        at: crate::time::Timestamp,
    },
    NotSent {
        reason: String,
    },
    /// The conversation was reopened before the question went: it waits for the next
    /// resolution.
    Postponed,
    Answered {
        answer: Answer,
        message_id: crate::MessageId,
        sentiment: Option<String>,
        at: crate::time::Timestamp,
    },
}

/// A survey waiting for its answer, and the conversation a customer message of the batch
/// went to.
#[derive(Debug, Clone, PartialEq)]
pub struct Awaiting {
    pub survey_id: i64,
    /// The conversation the survey is about.
    pub conversation_id: crate::ConversationId,
    pub scale: Scale,
    /// The conversation of the batch's message (the same one, or a newer one of the same
    /// customer on the same channel).
    pub reply_conversation: crate::ConversationId,
}

/// A score and what came with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    pub score: i32,
    /// What the customer wrote besides the score, trimmed; `None` when nothing.
    pub comment: Option<String>,
}

/// The CSAT faces, lowest first; each may come with or without the variation selector.
const FACES: [(&[&str], i32); 5] = [
    (&["😡", "😠", "🤬"], 1),
    (&["😞", "🙁", "☹", "😟"], 2),
    (&["😐", "😑"], 3),
    (&["🙂", "😊", "😀", "😃"], 4),
    (&["😍", "🤩", "😁", "🥰"], 5),
];

/// The score a reply gives on `scale`, and its comment; `None` when it is not an answer
/// (see the module docs).
pub fn parse(scale: Scale, text: &str) -> Option<Answer> {
    let t = text.trim_start();
    let (score, rest) = number(scale, t)
        .or_else(|| (scale == Scale::Csat).then(|| stars(t)).flatten())
        .or_else(|| (scale == Scale::Csat).then(|| face(t)).flatten())?;
    let (lo, hi) = scale.range();
    if !(lo..=hi).contains(&score) {
        return None;
    }
    let comment = rest
        .trim_start_matches(|c: char| {
            c.is_whitespace() || matches!(c, '-' | '–' | '—' | ',' | '.' | ':' | ';' | '!' | '|')
        })
        .trim();
    Some(Answer {
        score,
        comment: (!comment.is_empty()).then(|| comment.to_string()),
    })
}

/// "4", "4/5", "4 / 5", "4 out of 5", "4 stars", then a separator or the end.
fn number(scale: Scale, t: &str) -> Option<(i32, &str)> {
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 2 {
        return None;
    }
    let score: i32 = t[..digits].parse().ok()?;
    let rest = &t[digits..];
    let (_, hi) = scale.range();
    let hi = hi.to_string();
    let spaced = rest.trim_start();
    // What the scale's top looks like after the number: "/5", "/ 5", "out of 5".
    let after_top = spaced
        .strip_prefix('/')
        .or_else(|| strip_prefix_ignore_case(spaced, "out of"))
        .map(str::trim_start)
        .map(|s| s.strip_prefix(hi.as_str()));
    if let Some(after) = after_top {
        // Said against the scale's top, the number is a score whatever follows ("10/10
        // would recommend"), unless the top goes on ("4/50"); "7/9" is something else.
        let after = after?;
        return (!after.starts_with(|c: char| c.is_ascii_digit())).then_some((score, after));
    }
    if scale == Scale::Csat {
        for word in ["stars", "star"] {
            if let Some(after) = strip_prefix_ignore_case(spaced, word) {
                return (!after.starts_with(char::is_alphanumeric)).then_some((score, after));
            }
        }
    }
    ends_well(rest).then_some((score, rest))
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// What follows a score: nothing, or a separator — not a word ("5 days…") nor more of a
/// number ("4.5", "10:30").
fn ends_well(after: &str) -> bool {
    let mut chars = after.chars();
    match chars.next() {
        None => true,
        Some(c) if c.is_whitespace() => {
            let next = after.trim_start().chars().next();
            match next {
                None => true,
                Some(n) => !n.is_alphanumeric() || after.trim_start().starts_with(['\n']),
            }
        }
        Some('.' | ',' | ':') => !chars.next().is_some_and(|c| c.is_ascii_digit()),
        Some(c) => matches!(c, '-' | '–' | '—' | ';' | '!' | ')' | '|'),
    }
}

/// A row of stars: filled ones are the score.
fn stars(t: &str) -> Option<(i32, &str)> {
    let mut filled = 0;
    let mut end = 0;
    for (i, c) in t.char_indices() {
        match c {
            '★' | '⭐' | '🌟' => filled += 1,
            '☆' | '\u{fe0f}' => {}
            _ => break,
        }
        end = i + c.len_utf8();
    }
    (filled > 0).then(|| (filled, &t[end..]))
}

fn face(t: &str) -> Option<(i32, &str)> {
    for (faces, score) in FACES {
        for f in faces {
            if let Some(rest) = t.strip_prefix(f) {
                return Some((score, rest.trim_start_matches('\u{fe0f}')));
            }
        }
    }
    None
}

/// CSAT as care teams quote it: the share of answers that are 4 or 5.
pub fn csat_share(scores: &[(i32, i64)]) -> Option<f64> {
    let total: i64 = scores.iter().map(|s| s.1).sum();
    let happy: i64 = scores.iter().filter(|s| s.0 >= 4).map(|s| s.1).sum();
    (total > 0).then(|| happy as f64 / total as f64)
}

/// NPS: the share of promoters (9–10) minus that of detractors (0–6), from −100 to 100.
pub fn nps(scores: &[(i32, i64)]) -> Option<f64> {
    let total: i64 = scores.iter().map(|s| s.1).sum();
    let promoters: i64 = scores.iter().filter(|s| s.0 >= 9).map(|s| s.1).sum();
    let detractors: i64 = scores.iter().filter(|s| s.0 <= 6).map(|s| s.1).sum();
    (total > 0).then(|| 100.0 * (promoters - detractors) as f64 / total as f64)
}

/// Surveys counted for a range, in the scale most of them used (a workspace that changed
/// scale has both; they do not add up): that scale, all of them, and each agent's.
pub fn by_agent(
    counts: &[crate::store::SurveyCount],
) -> (
    Scale,
    Summary,
    std::collections::HashMap<crate::AgentId, Summary>,
) {
    let count = |scale: Scale| {
        counts
            .iter()
            .filter(|c| c.scale == scale)
            .map(|c| c.count)
            .sum::<i64>()
    };
    let scale = if count(Scale::Nps) > count(Scale::Csat) {
        Scale::Nps
    } else {
        Scale::Csat
    };
    let mut all = Summary::default();
    let mut per_agent: std::collections::HashMap<crate::AgentId, Summary> = Default::default();
    for c in counts.iter().filter(|c| c.scale == scale) {
        all.add(c.state, c.delivery.as_deref(), c.score, c.count);
        if let Some(a) = c.agent_id {
            per_agent
                .entry(a)
                .or_default()
                .add(c.state, c.delivery.as_deref(), c.score, c.count);
        }
    }
    (scale, all, per_agent)
}

/// What a set of surveys of one scale came to.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Surveys made (conversations resolved while surveys were on).
    pub surveys: i64,
    /// Questions sent (queued on the channel), answered or not.
    pub sent: i64,
    /// Of those, questions the platform accepted.
    pub delivered: i64,
    /// Questions that never went (declined, opted out, …).
    pub not_sent: i64,
    /// Still waiting for their due time.
    pub scheduled: i64,
    pub answered: i64,
    /// Answered of sent.
    pub response_rate: Option<f64>,
    /// The mean score.
    pub average: Option<f64>,
    /// CSAT: the share of answers 4 or 5; NPS: promoters minus detractors (−100 to 100).
    pub score: Option<f64>,
    /// Answers per score.
    pub distribution: std::collections::BTreeMap<i32, i64>,
}

fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

impl Summary {
    /// Adds `count` surveys in `state` (with their delivery and score).
    pub fn add(&mut self, state: State, delivery: Option<&str>, score: Option<i32>, count: i64) {
        self.surveys += count;
        match state {
            State::Scheduled => self.scheduled += count,
            State::NotSent => self.not_sent += count,
            State::Sent | State::Answered => {
                self.sent += count;
                // The question of an answered survey arrived, whatever the platform said.
                if delivery == Some("sent") || state == State::Answered {
                    self.delivered += count;
                }
                if state == State::Answered {
                    self.answered += count;
                    if let Some(s) = score {
                        *self.distribution.entry(s).or_default() += count;
                    }
                }
            }
        }
    }

    /// Works out the rates once everything is added.
    pub fn finish(mut self, scale: Scale) -> Self {
        let scores: Vec<(i32, i64)> = self.distribution.iter().map(|(s, n)| (*s, *n)).collect();
        let answers: i64 = scores.iter().map(|s| s.1).sum();
        self.response_rate =
            (self.sent > 0).then(|| round(self.answered as f64 / self.sent as f64, 4));
        self.average = (answers > 0).then(|| {
            round(
                scores
                    .iter()
                    .map(|(s, n)| f64::from(*s) * *n as f64)
                    .sum::<f64>()
                    / answers as f64,
                2,
            )
        });
        self.score = match scale {
            Scale::Csat => csat_share(&scores).map(|v| round(v, 4)),
            Scale::Nps => nps(&scores).map(|v| round(v, 1)),
        };
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(scale: Scale, text: &str) -> Option<(i32, Option<String>)> {
        parse(scale, text).map(|a| (a.score, a.comment))
    }

    #[test]
    fn numbers_on_the_scale_are_answers_and_the_rest_is_the_comment() {
        assert_eq!(score(Scale::Csat, "4"), Some((4, None)));
        assert_eq!(score(Scale::Csat, " 4/5 "), Some((4, None)));
        assert_eq!(score(Scale::Csat, "4 / 5"), Some((4, None)));
        assert_eq!(
            score(Scale::Csat, "4 out of 5, thanks"),
            Some((4, Some("thanks".into())))
        );
        assert_eq!(
            score(Scale::Csat, "2 - the refund took a week"),
            Some((2, Some("the refund took a week".into())))
        );
        assert_eq!(
            score(Scale::Csat, "5. Lovely agent!"),
            Some((5, Some("Lovely agent!".into())))
        );
        assert_eq!(score(Scale::Csat, "3 stars"), Some((3, None)));
        assert_eq!(score(Scale::Nps, "9"), Some((9, None)));
        assert_eq!(
            score(Scale::Nps, "10/10 would recommend"),
            Some((10, Some("would recommend".into())))
        );
        assert_eq!(score(Scale::Nps, "0"), Some((0, None)));
    }

    #[test]
    fn stars_and_faces_are_csat_answers() {
        assert_eq!(score(Scale::Csat, "★★★★☆"), Some((4, None)));
        assert_eq!(
            score(Scale::Csat, "⭐⭐⭐⭐⭐ great"),
            Some((5, Some("great".into())))
        );
        assert_eq!(
            score(Scale::Csat, "😡 never again"),
            Some((1, Some("never again".into())))
        );
        assert_eq!(score(Scale::Csat, "🙂"), Some((4, None)));
        assert_eq!(score(Scale::Csat, "☹️"), Some((2, None)));
        // NPS has no faces.
        assert_eq!(score(Scale::Nps, "🙂"), None);
    }

    #[test]
    fn a_number_that_starts_a_sentence_or_leaves_the_scale_is_no_answer() {
        assert_eq!(score(Scale::Csat, "5 days and still no refund"), None);
        assert_eq!(score(Scale::Csat, "6"), None);
        assert_eq!(score(Scale::Csat, "0"), None);
        assert_eq!(score(Scale::Csat, "4.5"), None);
        assert_eq!(score(Scale::Csat, "10:30 works for me"), None);
        assert_eq!(score(Scale::Nps, "11"), None);
        assert_eq!(score(Scale::Nps, "123"), None);
        assert_eq!(score(Scale::Csat, "thanks, 5"), None);
        assert_eq!(score(Scale::Csat, ""), None);
        assert_eq!(score(Scale::Nps, "7/5"), None);
    }

    #[test]
    fn csat_counts_fours_and_fives_and_nps_subtracts_detractors() {
        assert_eq!(csat_share(&[(5, 2), (4, 1), (2, 1)]), Some(0.75));
        assert_eq!(csat_share(&[]), None);
        // 2 promoters, 1 passive, 1 detractor of 4: 25.
        assert_eq!(nps(&[(10, 1), (9, 1), (8, 1), (3, 1)]), Some(25.0));
    }

    #[test]
    fn a_summary_counts_the_asked_the_delivered_and_the_answered() {
        let mut s = Summary::default();
        s.add(State::Answered, Some("sent"), Some(4), 3);
        s.add(State::Answered, None, Some(2), 1);
        s.add(State::Sent, Some("sent"), None, 2);
        s.add(State::Sent, Some("failed"), None, 2);
        s.add(State::NotSent, None, None, 5);
        let s = s.finish(Scale::Csat);
        assert_eq!((s.surveys, s.sent, s.delivered, s.answered), (13, 8, 6, 4));
        assert_eq!(s.not_sent, 5);
        assert_eq!(s.response_rate, Some(0.5));
        assert_eq!(s.average, Some(3.5));
        assert_eq!(s.score, Some(0.75));
    }

    #[test]
    fn settings_are_checked_and_name_what_is_wrong() {
        let mut s = Settings {
            scale: Scale::Csat,
            delay_minutes: 60,
            channels: vec![],
            question: Scale::Csat.default_question().into(),
        };
        assert!(s.check().is_ok());
        assert!(s.covers(crate::ChannelKind::Email));
        s.channels = vec![crate::ChannelKind::Whatsapp];
        assert!(!s.covers(crate::ChannelKind::Email));
        s.delay_minutes = MAX_DELAY_MINUTES + 1;
        assert!(s.check().unwrap_err().contains("delay_minutes"));
        s.delay_minutes = 0;
        s.question = "  ".into();
        assert!(s.check().unwrap_err().contains("question"));
    }
}
