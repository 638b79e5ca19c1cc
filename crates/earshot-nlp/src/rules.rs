//! Documented cue phrases: the rule half of the intents and of urgency. Each cue is a phrase
//! matched on whole words of the lower-cased text (`’` read as `'`), with a weight from 0 to 1;
//! several cues combine as a noisy-or (1 − Π(1 − w)). The lists are the documentation: the
//! model card (`models/intents.md`) points here.

use aho_corasick::{AhoCorasick, MatchKind};

pub struct CueSet {
    name: &'static str,
    cues: &'static [(&'static str, f32)],
    matcher: AhoCorasick,
}

/// A cue that matched, for explanations: `rule:<set>:<phrase>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub phrase: &'static str,
    pub weight: f32,
}

impl CueSet {
    pub fn new(name: &'static str, cues: &'static [(&'static str, f32)]) -> Self {
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(cues.iter().map(|(p, _)| p))
            .expect("cue phrases build an automaton");
        Self {
            name,
            cues,
            matcher,
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The cues in `lower` (text lower-cased by [`normalize`]), each phrase once, on word
    /// boundaries.
    pub fn hits(&self, lower: &str) -> Vec<Hit> {
        let bytes = lower.as_bytes();
        let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'\'' || b >= 0x80;
        let mut out: Vec<Hit> = Vec::new();
        for m in self.matcher.find_iter(lower) {
            let phrase = self.cues[m.pattern().as_usize()];
            // A cue starting or ending in a non-word character (`?`) needs no boundary there.
            let first = phrase.0.as_bytes()[0];
            let before_ok = m.start() == 0 || !is_word(first) || !is_word(bytes[m.start() - 1]);
            let last = phrase.0.as_bytes()[phrase.0.len() - 1];
            let after_ok = m.end() == bytes.len() || !is_word(last) || !is_word(bytes[m.end()]);
            if before_ok && after_ok && !out.iter().any(|h| h.phrase == phrase.0) {
                out.push(Hit {
                    phrase: phrase.0,
                    weight: phrase.1,
                });
            }
        }
        out
    }
}

/// Lower-cases `text` and reads typographic apostrophes as `'`.
pub fn normalize(text: &str) -> String {
    text.to_lowercase().replace('’', "'")
}

/// Noisy-or of the hits' weights.
pub fn combine(hits: &[Hit]) -> f32 {
    1.0 - hits.iter().map(|h| 1.0 - h.weight).product::<f32>()
}

/// A feature idea, phrased the ways requests are ("please add", "it would be great if",
/// "should", "I wish"): SemEval-2019 Task 9's guidelines list these forms.
pub const SUGGESTION: &[(&str, f32)] = &[
    ("please add", 0.7),
    ("please make", 0.5),
    ("please allow", 0.7),
    ("please consider", 0.7),
    ("please provide", 0.6),
    ("please support", 0.6),
    ("please enable", 0.6),
    ("please bring", 0.6),
    ("please include", 0.6),
    ("please let", 0.5),
    ("it would be great", 0.6),
    ("it would be nice", 0.6),
    ("it would be good", 0.5),
    ("it would be helpful", 0.6),
    ("it'd be nice", 0.6),
    ("it'd be great", 0.6),
    ("would be great if", 0.6),
    ("would be nice if", 0.6),
    ("would love to see", 0.7),
    ("would like to see", 0.6),
    ("i'd love to see", 0.7),
    ("i'd like to see", 0.6),
    ("i wish", 0.5),
    ("we need", 0.3),
    ("should be able to", 0.6),
    ("should add", 0.6),
    ("should allow", 0.6),
    ("should support", 0.5),
    ("should provide", 0.5),
    ("should be", 0.3),
    ("should have", 0.3),
    ("you should", 0.4),
    ("microsoft should", 0.6),
    ("there should be", 0.6),
    ("feature request", 0.7),
    ("my suggestion", 0.7),
    ("i suggest", 0.6),
    ("i'd suggest", 0.6),
    ("i would suggest", 0.6),
    ("add an option", 0.6),
    ("add the ability", 0.7),
    ("add support for", 0.6),
    ("allow us to", 0.5),
    ("allow users to", 0.5),
    ("allow developers to", 0.5),
    ("let us", 0.4),
    ("consider adding", 0.7),
    ("make it possible", 0.6),
    ("provide a way", 0.6),
    ("need a way", 0.5),
    ("why not", 0.3),
    ("how about", 0.3),
];

/// A question or a request for help.
pub const QUESTION: &[(&str, f32)] = &[
    ("?", 0.6),
    ("how do i", 0.6),
    ("how can i", 0.6),
    ("how do you", 0.4),
    ("how to", 0.3),
    ("how long", 0.4),
    ("how much", 0.3),
    ("can you", 0.4),
    ("could you", 0.4),
    ("can i", 0.4),
    ("can someone", 0.5),
    ("is there", 0.3),
    ("is it possible", 0.5),
    ("what is", 0.3),
    ("what's", 0.2),
    ("when will", 0.5),
    ("where is", 0.4),
    ("where can", 0.4),
    ("why is", 0.4),
    ("why does", 0.4),
    ("why can't", 0.4),
    ("does anyone know", 0.6),
    ("any update", 0.6),
    ("any news", 0.5),
    ("i need help", 0.7),
    ("need help", 0.6),
    ("help me", 0.6),
    ("please help", 0.7),
    ("please advise", 0.7),
    ("i want to know", 0.5),
    ("i need to know", 0.5),
    ("i'd like to know", 0.5),
    ("not working", 0.4),
    ("doesn't work", 0.4),
    ("won't let me", 0.5),
    ("unable to", 0.4),
    ("can't log in", 0.6),
    ("cannot log in", 0.6),
    ("can't access", 0.5),
];

/// Praise and thanks (combined with the sentiment model's positive score).
pub const PRAISE: &[(&str, f32)] = &[
    ("thank you", 0.6),
    ("thanks", 0.5),
    ("thx", 0.5),
    ("ty", 0.3),
    ("love", 0.4),
    ("loved", 0.4),
    ("awesome", 0.5),
    ("amazing", 0.5),
    ("great job", 0.7),
    ("great service", 0.7),
    ("great work", 0.7),
    ("best", 0.3),
    ("kudos", 0.7),
    ("shout out", 0.6),
    ("shoutout", 0.6),
    ("well done", 0.6),
    ("appreciate", 0.5),
    ("excellent", 0.5),
    ("fantastic", 0.5),
    ("impressed", 0.5),
    ("you rock", 0.7),
    ("props to", 0.6),
    ("hats off", 0.6),
    ("above and beyond", 0.7),
];

/// Wanting to buy, subscribe or upgrade.
pub const PURCHASE: &[(&str, f32)] = &[
    ("want to buy", 0.8),
    ("wanna buy", 0.8),
    ("going to buy", 0.7),
    ("gonna buy", 0.7),
    ("planning to buy", 0.8),
    ("looking to buy", 0.8),
    ("need to buy", 0.6),
    ("thinking of buying", 0.7),
    ("thinking of getting", 0.6),
    ("thinking about getting", 0.6),
    ("interested in buying", 0.8),
    ("where can i buy", 0.9),
    ("where can i get", 0.6),
    ("where do i buy", 0.9),
    ("how much is", 0.5),
    ("how much does", 0.5),
    ("how much for", 0.6),
    ("price of", 0.4),
    ("pricing", 0.3),
    ("in stock", 0.5),
    ("back in stock", 0.6),
    ("pre-order", 0.6),
    ("preorder", 0.6),
    ("take my money", 0.8),
    ("want to order", 0.7),
    ("like to order", 0.7),
    ("place an order", 0.7),
    ("want to upgrade", 0.6),
    ("upgrade to", 0.4),
    ("want to sign up", 0.6),
    ("want to subscribe", 0.6),
    ("can i order", 0.7),
    ("do you ship", 0.6),
    ("do you deliver", 0.5),
    ("is it available", 0.4),
    ("when will it be available", 0.6),
    ("buy", 0.5),
    ("purchase", 0.5),
    ("purchasing", 0.5),
    ("make an order", 0.6),
    ("how to order", 0.6),
    ("to order", 0.3),
    ("shop for", 0.3),
];

/// Leaving: cancelling, closing the account, switching to a competitor, never again.
pub const CHURN: &[(&str, f32)] = &[
    ("cancel my account", 0.9),
    ("cancel my subscription", 0.9),
    ("cancel my service", 0.9),
    ("cancel my contract", 0.9),
    ("cancel my membership", 0.9),
    ("cancel my plan", 0.8),
    ("cancelling my", 0.8),
    ("canceling my", 0.8),
    ("close my account", 0.9),
    ("closing my account", 0.9),
    ("delete my account", 0.8),
    ("terminate my", 0.8),
    ("switching to", 0.7),
    ("switch to", 0.35),
    ("switched to", 0.6),
    ("moving to", 0.3),
    ("going back to", 0.5),
    ("i'm done with", 0.7),
    ("im done with", 0.7),
    ("done with you", 0.7),
    ("never again", 0.6),
    ("never flying", 0.8),
    ("never fly", 0.7),
    ("never using", 0.7),
    ("never buying", 0.7),
    ("never shopping", 0.7),
    ("last time i", 0.4),
    ("take my business elsewhere", 0.9),
    ("taking my business", 0.8),
    ("find another", 0.5),
    ("looking for another", 0.5),
    ("port my number", 0.8),
    ("unsubscribe", 0.3),
    ("leaving you", 0.7),
    ("i'm leaving", 0.6),
    ("lost a customer", 0.9),
    ("lost my business", 0.9),
];

/// Urgency signals: safety, legal, outage, deadlines, going public. The weight is the share
/// of urgency the signal alone carries.
pub const URGENT: &[(&str, f32)] = &[
    // safety
    ("fire", 0.6),
    ("smoke", 0.5),
    ("injured", 0.8),
    ("injury", 0.7),
    ("hospital", 0.6),
    ("unsafe", 0.7),
    ("dangerous", 0.7),
    ("danger", 0.6),
    ("explode", 0.8),
    ("exploded", 0.8),
    ("burned", 0.6),
    ("burnt", 0.5),
    ("choking", 0.8),
    ("allergic reaction", 0.8),
    ("food poisoning", 0.8),
    ("emergency", 0.7),
    ("safety", 0.5),
    ("harassed", 0.7),
    ("harassment", 0.7),
    ("threatened", 0.6),
    ("stranded", 0.6),
    // legal
    ("lawyer", 0.6),
    ("attorney", 0.6),
    ("lawsuit", 0.7),
    ("sue you", 0.7),
    ("legal action", 0.7),
    ("small claims", 0.6),
    ("gdpr", 0.5),
    ("data breach", 0.8),
    ("fraud", 0.6),
    ("scam", 0.4),
    ("stolen", 0.5),
    ("hacked", 0.7),
    ("discrimination", 0.6),
    // outage
    ("outage", 0.6),
    ("is down", 0.6),
    ("are down", 0.5),
    ("went down", 0.5),
    ("not working", 0.3),
    ("no service", 0.5),
    ("no internet", 0.5),
    ("no power", 0.5),
    ("can't access", 0.3),
    ("locked out", 0.5),
    ("charged twice", 0.5),
    ("double charged", 0.5),
    // deadlines
    ("asap", 0.5),
    ("urgent", 0.6),
    ("urgently", 0.6),
    ("immediately", 0.4),
    ("right now", 0.3),
    ("today", 0.2),
    ("tonight", 0.3),
    ("tomorrow", 0.2),
    ("deadline", 0.4),
    ("in an hour", 0.5),
    ("before my flight", 0.5),
    ("missed my flight", 0.5),
    ("miss my flight", 0.5),
    // going public
    ("going to the press", 0.7),
    ("tell everyone", 0.4),
    ("everyone should know", 0.4),
    ("bbb", 0.5),
    ("better business bureau", 0.6),
    ("news", 0.2),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cues_match_whole_words_once() {
        let set = CueSet::new("t", SUGGESTION);
        let hits = set.hits(&normalize("Please ADD dark mode. please add tabs"));
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].phrase, "please add");
        assert!(set.hits("pleased adding").is_empty());
        let q = CueSet::new("q", QUESTION);
        assert_eq!(q.hits("why?")[0].phrase, "?");
        assert!(CueSet::new("u", URGENT).hits("firewall").is_empty());
        assert!((combine(&q.hits("how do i fix this?")) - (1.0 - 0.4 * 0.4)).abs() < 1e-6);
    }
}
