//! A seeded synthetic population of identities with known truth, to measure the matcher on.
//!
//! [`generate`]`(identities, seed)` draws persons until it has `identities` records; each
//! record is **one identity**, what one channel shows of a person. Every rule follows; the
//! numbers are shares of draws. That is the [`Profile::Realistic`] population, the default;
//! [`generate_with`]`(identities, seed, `[`Profile::Listed`]`)` draws the same way but shows
//! every identity's full name (see **Profiles** at the end).
//!
//! **Persons.**
//! * Culture: en 45 %, es 17 %, pt 12 %, fr 10 %, de 9 %, it 7 %. Language, names, cities,
//!   phone country, email providers and time zone all follow it.
//! * First name: Zipf–Mandelbrot, p ∝ 1/(rank + 15), over the culture's 30–34 real first names
//!   (most common first) and 1,000 synthetic ones (a syllable root such as "Brand", "Tel" and
//!   an ending of the culture: "Brandie", "Telino"): the top name is about 1.6 % of a culture,
//!   the real names together about 30 % (as in US census data). A person with a known
//!   nickname (Robert → Bob, José → Pepe, Giuseppe → Peppe…) has one, shown on some channels.
//! * Surname: Zipf–Mandelbrot over 40 real surnames and 5,000 synthetic ones, p ∝ 1/(rank + q)
//!   with q = 5 for es and pt (concentrated: the top surname is 2.7 %, the top ten 17 %, as
//!   García or Silva), 30 for en and de (top 0.6 %), 60 for fr and it (flat). es and pt persons
//!   carry a second surname, shown on some channels ("María García" / "María García López").
//! * Families: 15 % of persons join the family of an earlier person of their culture: same
//!   surname(s), same city, same phone country, another first name; if the relative's
//!   handle is surname + digits, 60 % make theirs the same way (`garcia84` / `garcia07`).
//! * City: Zipf (p ∝ 1/rank) over the culture's 12–19 cities, which fix the UTC offset.
//! * Phone: a unique mobile number of the city's country, E.164 digits.
//! * Handle base: johnsmith 18 %, jsmith 14 %, john_smith 10 %, smith84 12 %, john1990 12 %,
//!   johns 8 %, a non-name (bluefox77) 14 %, johnsmith7 12 %. Each platform keeps handles
//!   unique: a taken handle gets a digit, then two (so different people hold `jsmith1` and
//!   `jsmith2`, and the same handle may belong to two people on two platforms).
//! * Email: local part = the handle base 30 % (the reuse), john.smith 20 %, jsmith 12 %,
//!   johnsmith 10 %, john_smith 8 %, john84 8 %, smith.john 6 %, john.smith84 6 %; at gmail
//!   40 %, outlook/hotmail/yahoo/icloud/proton 31 %, a local provider 17 %, an employer 12 %.
//!   Addresses are unique: a taken one gets digits (`jsmith@gmail.com` and `jsmith27@…`
//!   are two people; so may be `jsmith@gmail.com` and `jsmith@yahoo.com`).
//! * Languages: the culture's; 25 % of non-English speakers also write English, 8 % of
//!   English speakers Spanish.
//! * Writing hours: local time from two bumps, daytime N(c₁ ~ N(13, 2), 2.5 h) and evening
//!   N(c₂ ~ N(20.5, 1.5), 1.5 h), daytime share ~ U(0.15, 0.85) (+0.2 on email, −0.1 on chat
//!   channels), 4 % at random hours; shifted to UTC by the city's offset.
//! * Topics: 1–3 concerns (Zipf, p ∝ 1/(rank + 2), over 36 customer-care topics).
//!
//! **Identities.** 1 identity 62 %, 2: 26 %, 3: 12 % (mean 1.5), on distinct channels drawn
//! by share: email 34 %, WhatsApp 28 %, Messenger 16 %, X 14 %, Telegram 8 % (SMS is left
//! out: it shows a number and nothing else, which only a shared number can join). For 5 % of
//! persons with two or more, the last identity is instead a second address (a work address
//! at their employer) or a second WhatsApp number: a conflict, which the matcher must not join.
//!
//! **What each channel shows.**
//! * email: the address; a display name (none 6 %, full 76 %, first 5 %, "J. Smith" 5 %,
//!   "Smith, John" 5 %, nickname + surname 3 %); a phone in the signature 10 % (30 % of those
//!   outside the US in national format, without the country code).
//! * WhatsApp: the phone; a profile name (none 3 %, full 60 %, first 18 %, nickname 6 %,
//!   nickname + surname 6 %, a non-name like "Blessed", "Live laugh love" or "✨" 7 %); an
//!   email the customer typed 6 %.
//! * X: the handle; a name (full 60 %, first 8 %, nickname 5 %, non-name 12 %, nickname +
//!   surname 5 %, "John S." 10 %); a location 60 % ("Madrid" 50 %, "Madrid, España" 30 %,
//!   "madrid" 10 %, the country alone 10 %); an email typed 4 %.
//! * Telegram: a handle 65 % (the handle base 70 %, a variant 30 %); a name (first only 40 %,
//!   full 50 %, nickname 5 %, non-name 5 %); an email typed 4 %.
//! * Messenger: a name (full 90 %, nickname + surname 6 %, first 4 %); a location 25 %; an
//!   email typed 6 %, a phone 3 %.
//!
//! Where a full name is shown, es and pt persons show their second surname 40 % of the time
//! on email and Messenger, 20 % elsewhere.
//!
//! **Noise on every shown name**: accents dropped 30 % (not on Messenger), lowercase 8 %,
//! uppercase 2 %, a typo 7 % (swap two letters, drop, double or replace one, never the first).
//!
//! **Messages.** 1 + Geometric(0.25) per identity (mean 4): their hours are the histogram;
//! each is in a second language with 25 % (if any) and misdetected as a random language 3 %.
//! One conversation per 4 messages, about one of the person's concerns 80 %, else a random
//! topic (by popularity).
//!
//! What makes it hard: about 15 % of true pairs share no blocking key at all (a first name
//! alone, a non-name, no name, on one side, and no shared handle or address), a fifth more
//! show a full name on one side only, and full-name coincidences between different people
//! grow with the population (at 100,000 identities there are thousands of them).
//!
//! **Profiles.** [`Profile::Realistic`] is everything above. [`Profile::Listed`] follows the
//! list of issue 15 and nothing harder: typos in names, shared first names, family members
//! sharing a surname, handles that differ by a digit. Every rule above holds for it (cultures,
//! Zipf first names and surnames, families, cities, phones, handles unique per platform,
//! emails, identities per person and their channels, the 5 % second addresses and numbers,
//! typed emails and signature phones, Telegram's 65 % handles, locations, messages), except
//! what a channel shows as the name:
//! * every identity shows its person's full name: where the realistic profile draws no name,
//!   a first name only, "J. Smith", "John S." or a non-name ("Blessed", "✨"), the listed
//!   profile shows the full name ("John Smith"); where it draws a nickname alone ("Bob"), the
//!   listed profile shows nickname + surname ("Bob Smith"); "Smith, John" and nickname +
//!   surname are kept as drawn. So the shares per channel are: email full 92 %, "Smith, John"
//!   5 %, nickname + surname 3 %; WhatsApp full 88 %, nickname + surname 12 %; X full 90 %,
//!   nickname + surname 10 %; Telegram full 95 %, nickname + surname 5 %; Messenger full 94 %,
//!   nickname + surname 6 % (a person without a known nickname shows the full name wherever
//!   nickname + surname is drawn, as in the realistic profile);
//! * the second surname of es and pt persons, and the noise on every shown name (accents
//!   dropped, case, 7 % typos), are as above.
//!
//! It adds no identifier and no clue: a listed population has the same persons' identifiers
//! and behaviour as a realistic one would, only names that are always there.

use super::compare::fold;
use super::draw::{
    digits, normal, pick, shown_location, squash, strip_accents, tail, typo, unique, Zipf,
    FIRST_TAIL, SURNAME_TAIL,
};
use super::names::{
    Culture, COMPANY_DOMAINS, CULTURES, GLOBAL_DOMAINS, HANDLE_WORDS, LANGUAGES, NON_NAMES, TOPICS,
};
use super::PersonRecord;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::HashSet;

/// Which population [`generate_with`] draws (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Every rule of the module docs: many identities show no name, a first name alone or a
    /// non-name.
    #[default]
    Realistic,
    /// The list of issue 15 exactly: every identity shows its person's full name (with
    /// typos, dropped accents, case changes and nicknames), all else as [`Profile::Realistic`].
    Listed,
}

impl Profile {
    /// Its name: `realistic` or `listed`.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Realistic => "realistic",
            Profile::Listed => "listed",
        }
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Profile, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "realistic" => Ok(Profile::Realistic),
            "listed" => Ok(Profile::Listed),
            other => Err(format!(
                "unknown population profile {other:?} (realistic or listed)"
            )),
        }
    }
}

/// Generated records with their truth.
#[derive(Clone, Debug, Serialize)]
pub struct Population {
    pub records: Vec<PersonRecord>,
    /// The person each record belongs to.
    pub person: Vec<usize>,
    /// The channel of each record's identity.
    pub channel: Vec<&'static str>,
}

const CHANNELS: [(&str, f64); 5] = [
    ("email", 0.34),
    ("whatsapp", 0.28),
    ("messenger", 0.16),
    ("x", 0.14),
    ("telegram", 0.08),
];

/// A culture's name lists, head first, and their samplers.
struct Pool {
    first: Vec<String>,
    surnames: Vec<String>,
    first_zipf: Zipf,
    surname_zipf: Zipf,
    city_zipf: Zipf,
}

impl Pool {
    fn new(c: &Culture, rng: &mut ChaCha8Rng) -> Pool {
        let head: HashSet<String> = c.first.iter().chain(c.surnames).map(|s| fold(s)).collect();
        let first: Vec<String> = (c.first.iter().map(|s| s.to_string()))
            .chain(tail(c.first_endings, &head, FIRST_TAIL, rng))
            .collect();
        let surnames: Vec<String> = (c.surnames.iter().map(|s| s.to_string()))
            .chain(tail(c.surname_endings, &head, SURNAME_TAIL, rng))
            .collect();
        Pool {
            first_zipf: Zipf::new(first.len(), 15.0, 1.0),
            surname_zipf: Zipf::new(surnames.len(), c.surname_offset, 1.0),
            city_zipf: Zipf::new(c.cities.len(), 0.0, 1.0),
            first,
            surnames,
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum HandleStyle {
    FirstLast,
    InitialLast,
    FirstUnderLast,
    LastDigits,
    FirstDigits,
    FirstInitial,
    Words,
    FirstLastDigit,
}

struct Person {
    culture: usize,
    first: String,
    nickname: Option<String>,
    surname: String,
    surname2: Option<String>,
    city: usize,
    phone: String,
    style: HandleStyle,
    handle: String,
    email: String,
    second_language: Option<&'static str>,
    /// (daytime centre, evening centre, daytime share)
    chronotype: (f64, f64, f64),
    concerns: Vec<usize>,
}

/// Everything drawn so far that must stay unique, and the samplers.
struct World {
    rng: ChaCha8Rng,
    profile: Profile,
    pools: Vec<Pool>,
    topic_zipf: Zipf,
    phones: HashSet<String>,
    emails: HashSet<String>,
    x_handles: HashSet<String>,
    telegram_handles: HashSet<String>,
}

impl World {
    fn phone(&mut self, code: &str) -> String {
        let rng = &mut self.rng;
        loop {
            let national = match code {
                "1" => format!("{}{}", rng.random_range(2..10u8), digits(rng, 9)),
                "44" => format!("7{}", digits(rng, 9)),
                "34" => format!("6{}", digits(rng, 8)),
                "55" => format!("{}9{}", rng.random_range(11..100u8), digits(rng, 8)),
                "351" => format!("9{}", digits(rng, 8)),
                "33" => format!("{}{}", rng.random_range(6..8u8), digits(rng, 8)),
                "49" => format!("1{}{}", rng.random_range(5..8u8), digits(rng, 9)),
                "43" => format!("6{}", digits(rng, 9)),
                "41" => format!("7{}", digits(rng, 8)),
                _ => format!("3{}", digits(rng, 9)),
            };
            let phone = format!("{code}{national}");
            if self.phones.insert(phone.clone()) {
                return phone;
            }
        }
    }

    fn handle_base(&mut self, style: HandleStyle, first: &str, last: &str) -> String {
        let (f, l) = (squash(first), squash(last));
        let i = |s: &str| s.chars().next().unwrap_or('x').to_string();
        let rng = &mut self.rng;
        match style {
            HandleStyle::FirstLast => format!("{f}{l}"),
            HandleStyle::InitialLast => format!("{}{l}", i(&f)),
            HandleStyle::FirstUnderLast => format!("{f}_{l}"),
            HandleStyle::LastDigits => format!("{l}{}", digits(rng, 2)),
            HandleStyle::FirstDigits => {
                let n = if rng.random_bool(0.5) { 2 } else { 4 };
                format!("{f}{}", digits(rng, n))
            }
            HandleStyle::FirstInitial => format!("{f}{}", i(&l)),
            HandleStyle::Words => {
                let a = HANDLE_WORDS[rng.random_range(0..HANDLE_WORDS.len())];
                let b = HANDLE_WORDS[rng.random_range(0..HANDLE_WORDS.len())];
                format!("{a}{b}{}", digits(rng, 2))
            }
            HandleStyle::FirstLastDigit => format!("{f}{l}{}", digits(rng, 1)),
        }
    }

    fn email(&mut self, p_first: &str, p_last: &str, handle: &str, culture: &Culture) -> String {
        let (f, l) = (squash(p_first), squash(p_last));
        let i = f.chars().next().unwrap_or('x');
        let rng = &mut self.rng;
        let d2 = digits(rng, 2);
        let local = match rng.random_range(0..100) {
            0..30 => handle.to_string(),
            30..50 => format!("{f}.{l}"),
            50..62 => format!("{i}{l}"),
            62..72 => format!("{f}{l}"),
            72..80 => format!("{f}_{l}"),
            80..88 => format!("{f}{d2}"),
            88..94 => format!("{l}.{f}"),
            _ => format!("{f}.{l}{d2}"),
        };
        let x = rng.random::<f64>();
        let domain = if x < 0.71 {
            pick(rng, GLOBAL_DOMAINS)
        } else if x < 0.88 {
            culture.domains[rng.random_range(0..culture.domains.len())]
        } else {
            COMPANY_DOMAINS[rng.random_range(0..COMPANY_DOMAINS.len())]
        };
        unique(rng, &mut self.emails, &local, &format!("@{domain}"))
    }

    fn person(&mut self, persons: &[Person], by_culture: &[Vec<usize>]) -> Person {
        let weights: Vec<(usize, f64)> = CULTURES.iter().map(|c| c.weight).enumerate().collect();
        let ci = pick(&mut self.rng, &weights);
        let culture = &CULTURES[ci];
        let pool = &self.pools[ci];
        let rng = &mut self.rng;
        let family = (!by_culture[ci].is_empty() && rng.random_bool(0.15))
            .then(|| &persons[by_culture[ci][rng.random_range(0..by_culture[ci].len())]]);
        let mut first = pool.first[pool.first_zipf.sample(rng)].clone();
        for _ in 0..10 {
            if family.is_none_or(|f| f.first != first) {
                break;
            }
            first = pool.first[pool.first_zipf.sample(rng)].clone();
        }
        let (surname, surname2, city) = match family {
            Some(f) => (f.surname.clone(), f.surname2.clone(), f.city),
            None => {
                let s2 = culture
                    .two_surnames
                    .then(|| pool.surnames[pool.surname_zipf.sample(rng)].clone());
                (
                    pool.surnames[pool.surname_zipf.sample(rng)].clone(),
                    s2,
                    pool.city_zipf.sample(rng),
                )
            }
        };
        let nicks: Vec<&str> = (culture.nicknames.iter())
            .filter(|(n, _)| *n == first)
            .map(|(_, k)| *k)
            .collect();
        let nickname =
            (!nicks.is_empty()).then(|| nicks[rng.random_range(0..nicks.len())].to_string());
        let mut style = pick(rng, &STYLES);
        if family.is_some_and(|f| f.style == HandleStyle::LastDigits) && rng.random_bool(0.6) {
            style = HandleStyle::LastDigits;
        }
        let second_language = if culture.language == "en" {
            rng.random_bool(0.08).then_some("es")
        } else {
            rng.random_bool(0.25).then_some("en")
        };
        let chronotype = (
            normal(rng, 13.0, 2.0),
            normal(rng, 20.5, 1.5),
            rng.random_range(0.15..0.85),
        );
        let mut concerns = Vec::new();
        let k = 1 + usize::from(rng.random_bool(0.5)) + usize::from(rng.random_bool(0.2));
        while concerns.len() < k {
            let t = self.topic_zipf.sample(rng);
            if !concerns.contains(&t) {
                concerns.push(t);
            }
        }
        let phone = self.phone(culture.cities[city].1);
        let handle = self.handle_base(style, &first, &surname);
        let email = self.email(&first, &surname, &handle, culture);
        Person {
            culture: ci,
            first,
            nickname,
            surname,
            surname2,
            city,
            phone,
            style,
            handle,
            email,
            second_language,
            chronotype,
            concerns,
        }
    }
}

#[derive(Clone, Copy)]
enum Shown {
    Nothing,
    Full,
    First,
    Nick,
    NickSurname,
    InitialSurname,
    Reversed,
    FirstInitial,
    NonName,
}

fn shown_name(rng: &mut ChaCha8Rng, p: &Person, shown: Shown, channel: &str) -> Option<String> {
    let nick = p.nickname.clone().unwrap_or_else(|| p.first.clone());
    let long = matches!(channel, "email" | "messenger");
    let surname = match &p.surname2 {
        Some(s2) if rng.random_bool(if long { 0.4 } else { 0.2 }) => format!("{} {s2}", p.surname),
        _ => p.surname.clone(),
    };
    let initial = |s: &str| s.chars().next().unwrap_or('X');
    let name = match shown {
        Shown::Nothing => return None,
        Shown::Full => format!("{} {surname}", p.first),
        Shown::First => p.first.clone(),
        Shown::Nick => nick,
        Shown::NickSurname => format!("{nick} {surname}"),
        Shown::InitialSurname => format!("{}. {surname}", initial(&p.first)),
        Shown::Reversed => format!("{surname}, {}", p.first),
        Shown::FirstInitial => format!("{} {}.", p.first, initial(&p.surname)),
        Shown::NonName => NON_NAMES[rng.random_range(0..NON_NAMES.len())].to_string(),
    };
    if matches!(shown, Shown::NonName) {
        return Some(name);
    }
    let mut name = if channel != "messenger" && rng.random_bool(0.3) {
        strip_accents(&name)
    } else {
        name
    };
    let case = rng.random::<f64>();
    if case < 0.08 {
        name = name.to_lowercase();
    } else if case < 0.10 {
        name = name.to_uppercase();
    }
    if rng.random_bool(0.07) {
        name = typo(rng, &name);
    }
    Some(name)
}

/// The display name each channel shows (see the module docs).
#[rustfmt::skip]
const SHOWN: [(&str, &[(Shown, f64)]); 5] = {
    use Shown::*;
    [
        ("email", &[(Nothing, 0.06), (Full, 0.76), (First, 0.05), (InitialSurname, 0.05), (Reversed, 0.05), (NickSurname, 0.03)]),
        ("whatsapp", &[(Nothing, 0.03), (Full, 0.60), (First, 0.18), (Nick, 0.06), (NickSurname, 0.06), (NonName, 0.07)]),
        ("x", &[(Full, 0.60), (First, 0.08), (Nick, 0.05), (NonName, 0.12), (NickSurname, 0.05), (FirstInitial, 0.10)]),
        ("telegram", &[(First, 0.40), (Full, 0.50), (Nick, 0.05), (NonName, 0.05)]),
        ("messenger", &[(Full, 0.90), (NickSurname, 0.06), (First, 0.04)]),
    ]
};

/// Handle styles (see the module docs).
#[rustfmt::skip]
const STYLES: [(HandleStyle, f64); 8] = {
    use HandleStyle::*;
    [(FirstLast, 0.18), (InitialLast, 0.14), (FirstUnderLast, 0.10), (LastDigits, 0.12),
     (FirstDigits, 0.12), (FirstInitial, 0.08), (Words, 0.14), (FirstLastDigit, 0.12)]
};

/// One identity of `p` on `channel`; `second` for a second address or number.
fn record(w: &mut World, p: &Person, channel: &'static str, second: bool) -> PersonRecord {
    use Shown::*;
    let c = &CULTURES[p.culture];
    let mut r = PersonRecord::default();
    let shown = SHOWN
        .iter()
        .find(|(ch, _)| *ch == channel)
        .map_or(Nothing, |(_, d)| pick(&mut w.rng, d));
    let shown = match (w.profile, shown) {
        (Profile::Realistic, shown) => shown,
        (Profile::Listed, Full | Reversed | NickSurname) => shown,
        (Profile::Listed, Nick) => NickSurname,
        (Profile::Listed, Nothing | First | InitialSurname | FirstInitial | NonName) => Full,
    };
    r.names.extend(shown_name(&mut w.rng, p, shown, channel));
    let typed_email = match channel {
        "email" => 0.0,
        "whatsapp" | "messenger" => 0.06,
        _ => 0.04,
    };
    match channel {
        "email" if second => {
            let (f, l) = (squash(&p.first), squash(&p.surname));
            let company = COMPANY_DOMAINS[w.rng.random_range(0..COMPANY_DOMAINS.len())];
            let local = if w.rng.random_bool(0.5) {
                format!("{f}.{l}")
            } else {
                format!("{}{l}", f.chars().next().unwrap_or('x'))
            };
            r.emails.push(unique(
                &mut w.rng,
                &mut w.emails,
                &local,
                &format!("@{company}"),
            ));
        }
        "email" => {
            r.emails.push(p.email.clone());
            if w.rng.random_bool(0.10) {
                // A signature in national format: the country code is lost.
                let code = c.cities[p.city].1;
                let national = w.rng.random_bool(0.3) && code != "1";
                r.phones.push(if national {
                    format!("0{}", &p.phone[code.len()..])
                } else {
                    p.phone.clone()
                });
            }
        }
        "whatsapp" if second => r.phones.push(w.phone(c.cities[p.city].1)),
        "whatsapp" => r.phones.push(p.phone.clone()),
        "x" => {
            r.handles
                .push(unique(&mut w.rng, &mut w.x_handles, &p.handle, ""));
            if w.rng.random_bool(0.6) {
                r.location = Some(shown_location(&mut w.rng, c, p.city));
            }
        }
        "telegram" if w.rng.random_bool(0.65) => {
            let base = if w.rng.random_bool(0.7) {
                p.handle.clone()
            } else if w.rng.random_bool(0.5) {
                format!("{}_", p.handle)
            } else {
                format!("{}{}", p.handle, digits(&mut w.rng, 2))
            };
            r.handles
                .push(unique(&mut w.rng, &mut w.telegram_handles, &base, ""));
        }
        "messenger" => {
            if w.rng.random_bool(0.25) {
                r.location = Some(shown_location(&mut w.rng, c, p.city));
            }
            if w.rng.random_bool(0.03) {
                r.phones.push(p.phone.clone());
            }
        }
        _ => {}
    }
    if w.rng.random_bool(typed_email) {
        r.emails.push(p.email.clone());
    }
    messages(w, p, c, channel, &mut r);
    r
}

/// The languages, hours and topics of the identity's messages.
fn messages(w: &mut World, p: &Person, c: &Culture, channel: &str, r: &mut PersonRecord) {
    let rng = &mut w.rng;
    let mut n = 1;
    while n < 80 && !rng.random_bool(0.25) {
        n += 1;
    }
    let tz = c.cities[p.city].2;
    let (day, evening, share) = p.chronotype;
    let share = match channel {
        "email" => share + 0.2,
        "whatsapp" | "messenger" | "telegram" => share - 0.1,
        _ => share,
    }
    .clamp(0.05, 0.95);
    for _ in 0..n {
        let local = if rng.random_bool(0.04) {
            rng.random_range(0.0..24.0)
        } else if rng.random_bool(share) {
            normal(rng, day, 2.5)
        } else {
            normal(rng, evening, 1.5)
        };
        let hour = (local.round() as i64 - i64::from(tz)).rem_euclid(24) as usize;
        r.hours[hour] += 1;
        let language = if rng.random_bool(0.03) {
            LANGUAGES[rng.random_range(0..LANGUAGES.len())]
        } else {
            match p.second_language {
                Some(l) if rng.random_bool(0.25) => l,
                _ => c.language,
            }
        };
        if !r.languages.iter().any(|l| l == language) {
            r.languages.push(language.to_string());
        }
    }
    for _ in 0..1 + (n - 1) / 4 {
        let t = if rng.random_bool(0.8) {
            p.concerns[rng.random_range(0..p.concerns.len())]
        } else {
            w.topic_zipf.sample(rng)
        };
        if !r.topics.iter().any(|x| x == TOPICS[t]) {
            r.topics.push(TOPICS[t].to_string());
        }
    }
}

/// `identities` records drawn from persons as the module docs describe, reproducibly from
/// `seed`, in random order with ids 1, 2, …: the [`Profile::Realistic`] population.
pub fn generate(identities: usize, seed: u64) -> Population {
    generate_with(identities, seed, Profile::Realistic)
}

/// As [`generate`], for the given [`Profile`].
pub fn generate_with(identities: usize, seed: u64, profile: Profile) -> Population {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let pools = CULTURES.iter().map(|c| Pool::new(c, &mut rng)).collect();
    let mut w = World {
        rng,
        profile,
        pools,
        topic_zipf: Zipf::new(TOPICS.len(), 2.0, 1.0),
        phones: HashSet::new(),
        emails: HashSet::new(),
        x_handles: HashSet::new(),
        telegram_handles: HashSet::new(),
    };
    let mut persons: Vec<Person> = Vec::new();
    let mut by_culture = vec![Vec::new(); CULTURES.len()];
    let mut drawn: Vec<(PersonRecord, usize, &'static str)> = Vec::with_capacity(identities);
    while drawn.len() < identities {
        let p = w.person(&persons, &by_culture);
        let k =
            pick(&mut w.rng, &[(1usize, 0.62), (2, 0.26), (3, 0.12)]).min(identities - drawn.len());
        let mut channels: Vec<&'static str> = Vec::new();
        while channels.len() < k {
            let ch = pick(&mut w.rng, &CHANNELS);
            if !channels.contains(&ch) {
                channels.push(ch);
            }
        }
        let mut second = vec![false; k];
        if k >= 2 && w.rng.random_bool(0.05) {
            let dup = ["email", "whatsapp"]
                .into_iter()
                .find(|c| channels[..k - 1].contains(c));
            if let Some(dup) = dup {
                channels[k - 1] = dup;
                second[k - 1] = true;
            }
        }
        let index = persons.len();
        for (ch, second) in channels.into_iter().zip(second) {
            drawn.push((record(&mut w, &p, ch, second), index, ch));
        }
        by_culture[p.culture].push(index);
        persons.push(p);
    }
    drawn.shuffle(&mut w.rng);
    let mut pop = Population {
        records: Vec::with_capacity(identities),
        person: Vec::with_capacity(identities),
        channel: Vec::with_capacity(identities),
    };
    for (i, (mut r, person, channel)) in drawn.into_iter().enumerate() {
        r.id = i as i64 + 1;
        pop.records.push(r);
        pop.person.push(person);
        pop.channel.push(channel);
    }
    pop
}
