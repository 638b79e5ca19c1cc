//! Classification metrics: confusion matrix, per-class precision, recall and F1, accuracy and
//! macro-averaged recall (TweetEval's sentiment measure).

use std::fmt;

pub struct Confusion {
    pub labels: Vec<String>,
    /// `counts[truth][predicted]`
    pub counts: Vec<Vec<u64>>,
}

impl Confusion {
    pub fn new(labels: &[&str]) -> Self {
        let n = labels.len();
        Self {
            labels: labels.iter().map(|s| s.to_string()).collect(),
            counts: vec![vec![0; n]; n],
        }
    }

    pub fn add(&mut self, truth: usize, predicted: usize) {
        self.counts[truth][predicted] += 1;
    }

    fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    pub fn precision(&self, c: usize) -> f64 {
        let predicted: u64 = self.counts.iter().map(|row| row[c]).sum();
        ratio(self.counts[c][c], predicted)
    }

    pub fn recall(&self, c: usize) -> f64 {
        ratio(self.counts[c][c], self.counts[c].iter().sum())
    }

    pub fn f1(&self, c: usize) -> f64 {
        let (p, r) = (self.precision(c), self.recall(c));
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    pub fn accuracy(&self) -> f64 {
        ratio(
            (0..self.labels.len()).map(|c| self.counts[c][c]).sum(),
            self.total(),
        )
    }

    pub fn macro_recall(&self) -> f64 {
        (0..self.labels.len()).map(|c| self.recall(c)).sum::<f64>() / self.labels.len() as f64
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

impl fmt::Display for Confusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<10} {:>9} {:>9} {:>9} {:>8}",
            "class", "precision", "recall", "f1", "support"
        )?;
        for (c, name) in self.labels.iter().enumerate() {
            let support: u64 = self.counts[c].iter().sum();
            writeln!(
                f,
                "{name:<10} {:>9.3} {:>9.3} {:>9.3} {support:>8}",
                self.precision(c),
                self.recall(c),
                self.f1(c)
            )?;
        }
        writeln!(
            f,
            "accuracy {:.3}, macro-averaged recall {:.3}",
            self.accuracy(),
            self.macro_recall()
        )?;
        writeln!(f, "confusion (rows: truth, columns: predicted)")?;
        write!(f, "{:<10}", "")?;
        for name in &self.labels {
            write!(f, " {name:>9}")?;
        }
        writeln!(f)?;
        for (c, name) in self.labels.iter().enumerate() {
            write!(f, "{name:<10}")?;
            for n in &self.counts[c] {
                write!(f, " {n:>9}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_of_a_known_matrix() {
        let mut m = Confusion::new(&["a", "b"]);
        for (t, p) in [(0, 0), (0, 0), (0, 1), (1, 1)] {
            m.add(t, p);
        }
        assert_eq!(m.accuracy(), 0.75);
        assert!((m.recall(0) - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(m.recall(1), 1.0);
        assert_eq!(m.precision(1), 0.5);
        assert!((m.macro_recall() - (2.0 / 3.0 + 1.0) / 2.0).abs() < 1e-9);
    }
}
