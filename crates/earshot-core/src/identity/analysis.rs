//! A diagnostic, not a check: why the true pairs of a generated population are missed.
//! `cargo test -p earshot-core --release identity::analysis -- --ignored --nocapture`
//! (`ANALYSIS_IDENTITIES`, `ANALYSIS_SEED`, `ANALYSIS_PROFILE` (`realistic`, `listed`) to
//! change the population).

use super::blocking::{blocked_pairs, keys_of};
use super::compare::{compare_prepared, Prepared, FIELDS, MISSING, NAME};
use super::population::Population;
use super::{generate_with, Matcher, Profile, DEFAULT_THRESHOLD};
use std::collections::{HashMap, HashSet};

/// The population the environment asks for (100,000 identities, seed 42, realistic).
fn population() -> Population {
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let profile = std::env::var("ANALYSIS_PROFILE")
        .map(|p| p.parse().expect("ANALYSIS_PROFILE"))
        .unwrap_or(Profile::Realistic);
    generate_with(
        env("ANALYSIS_IDENTITIES", 100_000) as usize,
        env("ANALYSIS_SEED", 42),
        profile,
    )
}

fn side(p: &Prepared) -> String {
    let words = p
        .names
        .iter()
        .map(|n| n.tokens.iter().filter(|t| t.len() > 1).count())
        .max();
    let name = match words {
        None => "no name",
        Some(0) => "initials",
        Some(1) => "one word",
        Some(_) => "full name",
    };
    let mut s = name.to_string();
    for (has, what) in [
        (!p.handles.is_empty(), "+handle"),
        (!p.emails.is_empty(), "+email"),
        (!p.phones.is_empty(), "+phone"),
        (p.location.is_some(), "+loc"),
    ] {
        if has {
            s.push_str(what);
        }
    }
    s
}

/// What two records share that a matcher could use (identifiers and names only).
fn shared(a: &Prepared, b: &Prepared) -> &'static str {
    let tokens = |p: &Prepared| -> HashSet<String> {
        (p.names.iter().flat_map(|n| n.tokens.iter()))
            .filter(|t| t.len() > 1)
            .cloned()
            .collect()
    };
    let stems = |p: &Prepared| -> Vec<String> {
        (p.handles.iter().map(|h| h.1.clone()))
            .chain(p.emails.iter().map(|e| e.2.clone()))
            .collect()
    };
    let (ta, tb) = (tokens(a), tokens(b));
    let (sa, sb) = (stems(a), stems(b));
    let tail = |p: &String| p[p.len() - 7..].to_string();
    if a.phones
        .iter()
        .any(|p| b.phones.iter().any(|q| tail(p) == tail(q)))
    {
        return "phone";
    }
    if a.emails.iter().any(|e| b.emails.iter().any(|f| e.1 == f.1)) {
        return "email local";
    }
    if sa.iter().any(|s| sb.contains(s)) {
        return "stem equal";
    }
    if sa.iter().any(|s| {
        sb.iter().any(|t| {
            s.len() >= 3 && t.len() >= 3 && (s.contains(t.as_str()) || t.contains(s.as_str()))
        })
    }) {
        return "stem contains stem";
    }
    if ta.iter().any(|t| tb.contains(t)) {
        return "name word";
    }
    let in_stem = |t: &HashSet<String>, s: &[String]| {
        t.iter()
            .any(|w| w.len() >= 3 && s.iter().any(|x| x.contains(w.as_str())))
    };
    if in_stem(&ta, &sb) || in_stem(&tb, &sa) {
        return "name word in stem";
    }
    let near = ta.iter().any(|x| {
        tb.iter()
            .any(|y| x.len() >= 3 && y.len() >= 3 && strsim::jaro_winkler(x, y) >= 0.85)
    });
    if near {
        return "name word a typo away";
    }
    if a.location.is_some() && a.location == b.location {
        return "location only";
    }
    "nothing"
}

/// The name and identifier levels of a pair ("name=equal; handle/email=different; ").
fn pattern(levels: &[u8; super::compare::NF]) -> String {
    let mut key = String::new();
    for (field, &l) in FIELDS.iter().zip(levels).take(6) {
        if l != MISSING {
            key.push_str(&format!("{}={}; ", field.name, field.levels[l as usize]));
        }
    }
    key
}

fn top(title: &str, counts: HashMap<String, usize>, n: usize) {
    let mut v: Vec<_> = counts.into_iter().collect();
    v.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    let total: usize = v.iter().map(|x| x.1).sum();
    println!("\n{title} ({total})");
    for (k, c) in v.into_iter().take(n) {
        println!("{c:7} {:5.1}%  {k}", 100.0 * c as f64 / total.max(1) as f64);
    }
}

#[test]
#[ignore]
fn missed_pairs_by_cause() {
    let pop = population();
    let prepared: Vec<Prepared> = pop.records.iter().map(Prepared::new).collect();
    let matcher = Matcher::fit(&pop.records);
    let candidates: HashSet<(u32, u32)> = blocked_pairs(&prepared).into_iter().collect();
    let mut by_person: HashMap<usize, Vec<u32>> = HashMap::new();
    for (i, &p) in pop.person.iter().enumerate() {
        by_person.entry(p).or_default().push(i as u32);
    }
    let mut block_sizes: HashMap<String, usize> = HashMap::new();
    for p in &prepared {
        for k in keys_of(p) {
            *block_sizes.entry(k).or_default() += 1;
        }
    }
    let (mut never, mut never_shared, mut below) = (HashMap::new(), HashMap::new(), HashMap::new());
    let mut below_shared = HashMap::new();
    let (mut total, mut missed_never, mut missed_below, mut found) = (0, 0, 0, 0);
    let mut no_evidence = 0;
    for members in by_person.values() {
        for (x, &i) in members.iter().enumerate() {
            for &j in &members[x + 1..] {
                total += 1;
                let (i, j) = (i.min(j), i.max(j));
                let (a, b) = (&prepared[i as usize], &prepared[j as usize]);
                let what = shared(a, b);
                if what == "nothing" || what == "location only" {
                    no_evidence += 1;
                }
                let mut sides = [side(a), side(b)];
                sides.sort();
                if !candidates.contains(&(i, j)) {
                    missed_never += 1;
                    let ka: HashSet<String> = keys_of(a).into_iter().collect();
                    let common = keys_of(b).into_iter().filter(|k| ka.contains(k)).count();
                    let capped = if common > 0 {
                        " [shared keys all over MAX_BLOCK]"
                    } else {
                        ""
                    };
                    *never
                        .entry(format!("{} | {}", sides[0], sides[1]))
                        .or_default() += 1;
                    *never_shared.entry(format!("{what}{capped}")).or_default() += 1;
                    continue;
                }
                let c = matcher.compare(&pop.records[i as usize], &pop.records[j as usize]);
                if c.weight >= DEFAULT_THRESHOLD {
                    found += 1;
                    continue;
                }
                missed_below += 1;
                let o = compare_prepared(a, b);
                let mut key = pattern(&o.levels);
                if o.levels[NAME] == MISSING {
                    key.push_str("(no name on a side)");
                }
                *below.entry(key).or_default() += 1;
                *below_shared.entry(what.to_string()).or_default() += 1;
            }
        }
    }
    println!(
        "true pairs {total}; found {found}; never candidates {missed_never}; candidates below \
         {DEFAULT_THRESHOLD}: {missed_below}; pairs sharing no name/identifier evidence {no_evidence}"
    );
    top("never a candidate: the two sides", never, 25);
    top("never a candidate: best shared evidence", never_shared, 15);
    top(
        "candidate below threshold: identifier/name levels",
        below,
        30,
    );
    top(
        "candidate below threshold: best shared evidence",
        below_shared,
        15,
    );
}

/// Per name/identifier pattern: true and false candidate pairs by weight.
#[test]
#[ignore]
fn candidate_weights_by_pattern() {
    let pop = population();
    let prepared: Vec<Prepared> = pop.records.iter().map(Prepared::new).collect();
    let matcher = Matcher::fit(&pop.records);
    let cuts = [0.0, 6.0, 8.0, 9.0, 10.0];
    // pattern -> (true, false) per cut
    let mut table: HashMap<String, [(usize, usize); 5]> = HashMap::new();
    for (i, j) in blocked_pairs(&prepared) {
        let (a, b) = (&prepared[i as usize], &prepared[j as usize]);
        let o = compare_prepared(a, b);
        let key = pattern(&o.levels);
        let w = matcher
            .compare(&pop.records[i as usize], &pop.records[j as usize])
            .weight;
        let same = pop.person[i as usize] == pop.person[j as usize];
        let row = table.entry(key).or_default();
        for (c, cut) in cuts.iter().enumerate() {
            if w >= *cut {
                if same {
                    row[c].0 += 1;
                } else {
                    row[c].1 += 1;
                }
            }
        }
    }
    let mut rows: Vec<_> = table.into_iter().collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.1[4].1));
    println!("pattern: true/false at weight >= {cuts:?}");
    for (k, r) in rows.iter().take(14) {
        let cells: Vec<String> = r.iter().map(|(t, f)| format!("{t}/{f}")).collect();
        println!("{:60} {}", k, cells.join("  "));
    }
}

/// Precision and recall over a fine sweep, the fitted weights, and the best recall at P ≥ 0.95.
#[test]
#[ignore]
fn sweep() {
    let pop = population();
    let t = std::time::Instant::now();
    let matcher = Matcher::fit(&pop.records);
    let fit = t.elapsed().as_secs_f64();
    let p = matcher.parameters();
    for f in &p.fields {
        let l: Vec<String> = (f.levels.iter())
            .map(|l| format!("{} {:.2}", l.level, (l.m / l.u).log2()))
            .collect();
        println!("{}: {}", f.field, l.join(", "));
    }
    println!("prior {:.4}; references {:?}", p.prior, p.references);
    let t = std::time::Instant::now();
    let all = matcher.suggestions(&pop.records, -5.0);
    let matching = t.elapsed().as_secs_f64();
    let mut sizes: HashMap<usize, usize> = HashMap::new();
    for &p in &pop.person {
        *sizes.entry(p).or_default() += 1;
    }
    let true_pairs: usize = sizes.values().map(|&k| k * (k - 1) / 2).sum();
    let same = |s: &super::Suggestion| pop.person[s.a as usize - 1] == pop.person[s.b as usize - 1];
    let mut best = (0.0, 0.0);
    let mut correct = 0;
    for (n, s) in all.iter().enumerate() {
        correct += usize::from(same(s));
        let (pr, re) = (
            correct as f64 / (n + 1) as f64,
            correct as f64 / true_pairs as f64,
        );
        if pr >= 0.95 && re > best.1 {
            best = (s.weight, re);
        }
    }
    for cut in [4.0, 6.0, 6.25, 6.5, 6.75, 7.0, 7.5] {
        let at: Vec<_> = all.iter().filter(|s| s.weight >= cut).collect();
        let c = at.iter().filter(|s| same(s)).count();
        println!(
            "  {cut:5.1}: {:7} suggested, precision {:.4}, recall {:.4}",
            at.len(),
            c as f64 / at.len().max(1) as f64,
            c as f64 / true_pairs as f64
        );
    }
    println!("best recall at precision >= 0.95: {:.4} from weight {:.2}; fit {fit:.2} s, match(-5) {matching:.2} s", best.1, best.0);
}

/// Examples of false candidate pairs at a pattern, heaviest first.
#[test]
#[ignore]
fn false_examples() {
    let pop = population();
    let prepared: Vec<Prepared> = pop.records.iter().map(Prepared::new).collect();
    let matcher = Matcher::fit(&pop.records);
    let want = std::env::var("ANALYSIS_PATTERN").unwrap_or("name=equal; ".into());
    let same = std::env::var("ANALYSIS_TRUE").is_ok();
    let mut out = Vec::new();
    for (i, j) in blocked_pairs(&prepared) {
        let (a, b) = (&prepared[i as usize], &prepared[j as usize]);
        if (pop.person[i as usize] == pop.person[j as usize]) != same {
            continue;
        }
        let o = compare_prepared(a, b);
        let key = pattern(&o.levels);
        if key != want {
            continue;
        }
        let c = matcher.compare(&pop.records[i as usize], &pop.records[j as usize]);
        out.push((c.weight, i, j, c));
    }
    out.sort_by(|x, y| y.0.total_cmp(&x.0));
    for (w, i, j, c) in out.iter().step_by((out.len() / 30).max(1)).take(30) {
        let (a, b) = (&pop.records[*i as usize], &pop.records[*j as usize]);
        let parts: Vec<String> = c
            .parts
            .iter()
            .map(|p| format!("{}={}:{:.1}", p.field, p.level, p.weight))
            .collect();
        println!(
            "{w:6.2} {:?}{:?}{:?}{:?} | {:?}{:?}{:?}{:?} | {}",
            a.names,
            a.handles,
            a.emails,
            a.phones,
            b.names,
            b.handles,
            b.emails,
            b.phones,
            parts.join(" ")
        );
    }
}

/// Name-only pairs (`name=equal`, nothing else agreeing or conflicting) by how many records
/// show the phrase and by weight: true/false.
#[test]
#[ignore]
fn equal_names_by_phrase_count() {
    let pop = population();
    let prepared: Vec<Prepared> = pop.records.iter().map(Prepared::new).collect();
    let matcher = Matcher::fit(&pop.records);
    let mut phrases: HashMap<&str, usize> = HashMap::new();
    for p in &prepared {
        let mut ph: Vec<&str> = (p.names.iter().filter(|n| n.tokens.len() > 1))
            .map(|n| n.sorted_joined.as_str())
            .collect();
        ph.sort_unstable();
        ph.dedup();
        for t in ph {
            *phrases.entry(t).or_default() += 1;
        }
    }
    let want = std::env::var("ANALYSIS_PATTERN").unwrap_or("name=equal; ".into());
    // (k bucket, weight bucket) -> (true, false)
    let mut table: std::collections::BTreeMap<(usize, i64), (usize, usize)> = Default::default();
    for (i, j) in blocked_pairs(&prepared) {
        let (a, b) = (&prepared[i as usize], &prepared[j as usize]);
        let o = compare_prepared(a, b);
        if pattern(&o.levels) != want {
            continue;
        }
        let k = (a.names.iter())
            .filter(|n| b.names.iter().any(|m| m.sorted == n.sorted))
            .filter_map(|n| phrases.get(n.sorted_joined.as_str()))
            .copied()
            .min()
            .unwrap_or(0)
            .min(6);
        let w = matcher
            .compare(&pop.records[i as usize], &pop.records[j as usize])
            .weight;
        let wb = (w / 2.0).floor() as i64 * 2;
        let e = table.entry((k, wb.clamp(-6, 16))).or_default();
        if pop.person[i as usize] == pop.person[j as usize] {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    println!("phrase records (6 = 6+), weight from: true/false");
    for ((k, w), (t, f)) in table {
        println!("k {k} w {w:3}: {t:6}/{f:6}");
    }
}
