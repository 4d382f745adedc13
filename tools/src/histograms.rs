//! Histogram export in HdrHistogram's own formats.
//!
//! - `.hgrm`: the percentile distribution exactly as Java's
//!   `Histogram.outputPercentileDistribution(out, 5, scale)` prints it
//!   (columns Value, Percentile, TotalCount, 1/(1-Percentile); the
//!   `#[Mean …]`, `#[Max …]`, `#[Buckets …]` footer), preceded by one
//!   `#[…]` line naming the histogram and the unit of the Value column.
//!   HdrHistogram's plotter and the usual `.hgrm` scripts read it.
//! - `.hlog`: an interval log (`HistogramLogWriter` format, V2 compressed
//!   histograms, base64), one interval per run, readable by
//!   `HistogramLogProcessor`; values stay in the recorded unit (ns), the
//!   per-interval max column is divided by the unit's divisor (a
//!   `#[MaxValueDivisor: …]` line says so). Timestamps are simulated seconds
//!   (`StartTime` and `BaseTime` are 0), so the same run gives the same bytes.
//!
//! `.hlog` files are also what `edgesim merge` reads back ([`read_hlog`]).

use std::fmt::Write as _;
use std::time::{Duration, UNIX_EPOCH};

use anyhow::{anyhow, Context};
use base64::Engine as _;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry, Tag,
};
use hdrhistogram::serialization::{Deserializer, V2DeflateSerializer};
use hdrhistogram::Histogram;
use sim_models::Histograms;

/// The unit a histogram's values are printed in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Unit {
    /// Name written in the header, e.g. `ms`.
    pub name: &'static str,
    /// Recorded values are divided by this to print them (1e6 for ns → ms).
    pub divisor: f64,
}

/// Milliseconds, for histograms recorded in ns.
pub const MILLISECONDS: Unit = Unit {
    name: "ms",
    divisor: 1e6,
};

/// Plain counts (batch sizes), printed as recorded.
pub const COUNT: Unit = Unit {
    name: "requests",
    divisor: 1.0,
};

/// Per-mille of an instance's KV blocks in use (continuous serving), each
/// value counted once per µs spent at it.
pub const PER_MILLE_BLOCKS: Unit = Unit {
    name: "per-mille of KV blocks in use (counts are µs)",
    divisor: 1.0,
};

/// One of the run's histograms (MODEL.md §8) and how it is exported.
pub struct Kind {
    /// File stem: `latency` → `latency.hlog`, `latency.hgrm`.
    pub name: &'static str,
    /// Its interval log's file name in a run's directory.
    pub hlog_file: &'static str,
    /// Its percentile distribution's file name in a run's directory.
    pub hgrm_file: &'static str,
    /// What it measures, for the file headers.
    pub title: &'static str,
    /// Unit of the `.hgrm` Value column.
    pub unit: Unit,
    /// Whether its values depend on the host (wall-clock), not only on the scenario and seed.
    pub host_dependent: bool,
    /// The histogram in a run's output.
    pub get: fn(&Histograms) -> &Histogram<u64>,
}

/// Every histogram a run exports, in file order.
pub const KINDS: [Kind; 10] = [
    Kind {
        name: "latency",
        hlog_file: "latency.hlog",
        hgrm_file: "latency.hgrm",
        title: "end-to-end latency (delivery - arrival) of delivered cohort requests",
        unit: MILLISECONDS,
        host_dependent: false,
        get: |h| &h.latency,
    },
    Kind {
        name: "waiting",
        hlog_file: "waiting.hlog",
        hgrm_file: "waiting.hgrm",
        title: "waiting time (t_k - arrival) of scheduled cohort requests",
        unit: MILLISECONDS,
        host_dependent: false,
        get: |h| &h.waiting,
    },
    Kind {
        name: "first_token",
        hlog_file: "first_token.hlog",
        hgrm_file: "first_token.hgrm",
        title: "first token (end of the initial stage - arrival)",
        unit: MILLISECONDS,
        host_dependent: false,
        get: |h| &h.first_token,
    },
    Kind {
        name: "slack",
        hlog_file: "slack.hlog",
        hgrm_file: "slack.hgrm",
        title: "slack (deadline - delivery) of on-time requests",
        unit: MILLISECONDS,
        host_dependent: false,
        get: |h| &h.slack,
    },
    Kind {
        name: "lateness",
        hlog_file: "lateness.hlog",
        hgrm_file: "lateness.hgrm",
        title: "lateness (delivery - deadline) of late requests",
        unit: MILLISECONDS,
        host_dependent: false,
        get: |h| &h.lateness,
    },
    Kind {
        name: "batch_size",
        hlog_file: "batch_size.hlog",
        hgrm_file: "batch_size.hgrm",
        title: "requests started per measured epoch (empty epochs included)",
        unit: COUNT,
        host_dependent: false,
        get: |h| &h.batch_size,
    },
    Kind {
        name: "solve_time",
        hlog_file: "solve_time.hlog",
        hgrm_file: "solve_time.hgrm",
        title: "scheduler wall time per epoch (host-dependent)",
        unit: MILLISECONDS,
        host_dependent: true,
        get: |h| &h.solve_ns,
    },
    Kind {
        name: "ttft",
        hlog_file: "ttft.hlog",
        hgrm_file: "ttft.hgrm",
        title: "time to first token at the user (arrival - first token received; the delivery instant when outputs go down whole)",
        unit: MILLISECONDS,
        host_dependent: false,
        get: |h| &h.ttft,
    },
    Kind {
        name: "tpot",
        hlog_file: "tpot.hlog",
        hgrm_file: "tpot.hgrm",
        title: "time per output token at the user, (last - first)/(n - 1), delivered requests with n > 1",
        unit: MILLISECONDS,
        host_dependent: false,
        get: |h| &h.tpot,
    },
    Kind {
        name: "kv_blocks",
        hlog_file: "kv_blocks.hlog",
        hgrm_file: "kv_blocks.hgrm",
        title: "KV-block utilisation over time, per instance (continuous serving; empty in the epoch pipeline)",
        unit: PER_MILLE_BLOCKS,
        host_dependent: false,
        get: |h| &h.kv_blocks,
    },
];

/// Java's `subBucketCount`: `2^⌈log2(2·10^sigfig)⌉`, derived here from the
/// histogram's own shape: it has `(buckets + 1) · subBucketCount / 2` counts.
fn sub_bucket_count(h: &Histogram<u64>) -> usize {
    2 * h.distinct_values() / (h.buckets() as usize + 1)
}

/// The `.hgrm` text of `h` (see the module docs), values divided by `unit.divisor`.
pub fn hgrm(h: &Histogram<u64>, title: &str, unit: Unit) -> String {
    let d = h.sigfig() as usize;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "#[{title}: Value in {} (recorded value divided by {})]",
        unit.name, unit.divisor
    );
    let _ = write!(
        s,
        "{:>12} {:>14} {:>10} {:>14}\n\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    );
    for step in java_percentiles(h, 5) {
        let value = step.value as f64 / unit.divisor;
        let q = step.percentile / 100.0;
        let total = step.total;
        if step.percentile != 100.0 {
            let _ = writeln!(
                s,
                "{value:12.d$} {q:2.12} {total:10} {:14.2}",
                1.0 / (1.0 - q)
            );
        } else {
            let _ = writeln!(s, "{value:12.d$} {q:2.12} {total:10}");
        }
    }
    let max = if h.is_empty() { 0 } else { h.max() };
    let _ = writeln!(
        s,
        "#[Mean    = {:12.d$}, StdDeviation   = {:12.d$}]",
        h.mean() / unit.divisor,
        h.stdev() / unit.divisor
    );
    let _ = writeln!(
        s,
        "#[Max     = {:12.d$}, Total count    = {:12}]",
        max as f64 / unit.divisor,
        h.len()
    );
    let _ = writeln!(
        s,
        "#[Buckets = {:12}, SubBuckets     = {:12}]",
        h.buckets(),
        sub_bucket_count(h)
    );
    s
}

/// One line of a percentile distribution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PercentileStep {
    /// The highest value equivalent to the bucket reached, as recorded.
    pub value: u64,
    /// The percentile level iterated to, 0–100.
    pub percentile: f64,
    /// Values recorded up to and including this bucket, count.
    pub total: u64,
}

/// The steps of Java HdrHistogram's `PercentileIterator` (2.1.x) over `h`,
/// reproduced exactly (the `hdrhistogram` crate's quantile iterator compares
/// fractions instead of percentages and can stop one bucket later than Java
/// at levels such as 30 %, so it is not used for `.hgrm`):
/// levels start at 0 and advance by `100 / (ticks · 2^(⌊log2(100/(100 −
/// level))⌋ + 1))`; a bucket is reported at a level once `100 · count to it /
/// total ≥ level`; at the last recorded bucket one ordinary step is reported,
/// then a final step at exactly 100 %.
pub fn java_percentiles(h: &Histogram<u64>, ticks_per_half_distance: u32) -> Vec<PercentileStep> {
    let total = h.len();
    let mut out = Vec::new();
    if total == 0 {
        return out;
    }
    let mut level = 0.0f64;
    let mut cum = 0u64;
    for v in h.iter_recorded() {
        let count = v.count_at_value();
        let before = cum;
        cum += count;
        let value = v.value_iterated_to();
        // Java's `hasNext()` holds while the count before this bucket (on the
        // first look) or up to it (on later looks) is below the total.
        let mut first_look = true;
        while (first_look && before < total) || cum < total {
            first_look = false;
            let current = 100.0 * cum as f64 / total as f64;
            if current < level {
                break;
            }
            out.push(PercentileStep {
                value,
                percentile: level,
                total: cum,
            });
            let halvings = ((100.0 / (100.0 - level)).ln() / 2f64.ln()) as i64;
            let ticks = ticks_per_half_distance as f64 * 2f64.powi((halvings + 1).min(1000) as i32);
            level += 100.0 / ticks;
        }
        if cum >= total {
            out.push(PercentileStep {
                value,
                percentile: 100.0,
                total: cum,
            });
            break;
        }
    }
    out
}

/// One interval of an interval log.
pub struct Interval<'a> {
    /// Optional tag (no `,`, space or newline), e.g. `rep3`.
    pub tag: Option<&'a str>,
    /// Start, simulated seconds.
    pub start: Duration,
    /// Length, simulated seconds.
    pub length: Duration,
    /// The histogram (values in ns or counts).
    pub histogram: &'a Histogram<u64>,
}

/// An interval log holding `intervals`, with a leading comment `title`.
///
/// # Errors
///
/// A tag that an interval log cannot hold (a `,`, space or newline), or a
/// histogram that does not serialize.
pub fn hlog(title: &str, unit: Unit, intervals: &[Interval<'_>]) -> anyhow::Result<Vec<u8>> {
    write_log(title, unit, |put| {
        for iv in intervals {
            put(iv.histogram, iv.start, iv.length, iv.tag)?;
        }
        Ok(())
    })
}

/// An interval log, as [`hlog`] writes it, of untagged intervals produced
/// one at a time by `next` (`(start, length, histogram)`, `None` at the
/// end): only the interval being written is held, so a log of many large
/// intervals costs the memory of one.
///
/// # Errors
///
/// An error from `next`, or a histogram that does not serialize.
pub fn hlog_each(
    title: &str,
    unit: Unit,
    mut next: impl FnMut() -> anyhow::Result<Option<(Duration, Duration, Histogram<u64>)>>,
) -> anyhow::Result<Vec<u8>> {
    write_log(title, unit, |put| {
        while let Some((start, length, h)) = next()? {
            put(&h, start, length, None)?;
        }
        Ok(())
    })
}

/// The interval log [`hlog`] and [`hlog_each`] write: its header, then each
/// interval `body` hands to `put` (histogram, start, length, tag).
fn write_log(
    title: &str,
    unit: Unit,
    body: impl FnOnce(
        &mut dyn FnMut(&Histogram<u64>, Duration, Duration, Option<&str>) -> anyhow::Result<()>,
    ) -> anyhow::Result<()>,
) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    {
        let mut writer = IntervalLogWriterBuilder::new()
            .add_comment(&format!("[{title}; values recorded in ns (counts for batch sizes); timestamps in simulated seconds]"))
            .add_comment("[Histogram log format version 1.3]")
            .with_start_time(UNIX_EPOCH)
            .with_base_time(UNIX_EPOCH)
            .with_max_value_divisor(unit.divisor)
            .begin_log_with(&mut out, &mut serializer)?;
        body(&mut |h, start, length, tag| {
            let tag = match tag {
                None => None,
                Some(t) => Some(Tag::new(t).ok_or_else(|| anyhow!("invalid hlog tag {t:?}"))?),
            };
            writer
                .write_histogram(h, start, length, tag)
                .map_err(|e| anyhow!("serializing histogram {title}: {e}"))?;
            Ok(())
        })?;
    }
    Ok(out)
}

/// The histograms of an interval log with their tags, in file order.
pub type Tagged = Vec<(Option<String>, Histogram<u64>)>;

/// The tagged histograms of an interval log, in file order.
///
/// # Errors
///
/// A malformed log line, bad base64, or a histogram that does not deserialize.
pub fn read_hlog(bytes: &[u8]) -> anyhow::Result<Tagged> {
    let mut out = Vec::new();
    let mut deserializer = Deserializer::new();
    for entry in IntervalLogIterator::new(bytes) {
        let entry = entry.map_err(|e| anyhow!("malformed interval log: {e:?}"))?;
        if let LogEntry::Interval(iv) = entry {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(iv.encoded_histogram())
                .context("interval log: bad base64")?;
            let h: Histogram<u64> = deserializer
                .deserialize(&mut raw.as_slice())
                .map_err(|e| anyhow!("interval log: bad histogram: {e:?}"))?;
            out.push((iv.tag().map(|t| t.as_str().to_string()), h));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Histogram<u64> {
        let mut h = Histogram::<u64>::new(3).unwrap();
        for v in 1..=4u64 {
            h.record(v * 1_000_000).unwrap(); // 1, 2, 3, 4 ms in ns
        }
        h
    }

    #[test]
    fn a_log_written_interval_by_interval_is_the_log_written_at_once() {
        let a = sample();
        let mut b = Histogram::<u64>::new(3).unwrap();
        b.record(7_000_000_000).unwrap(); // a larger range than `a`'s
        let s = |x: u64| Duration::from_secs(x);
        let whole = hlog(
            "t",
            MILLISECONDS,
            &[
                Interval {
                    tag: None,
                    start: s(1),
                    length: s(2),
                    histogram: &a,
                },
                Interval {
                    tag: None,
                    start: s(3),
                    length: s(4),
                    histogram: &b,
                },
            ],
        )
        .unwrap();
        let mut left = vec![(s(3), s(4), b.clone()), (s(1), s(2), a.clone())];
        let each = hlog_each("t", MILLISECONDS, || Ok(left.pop())).unwrap();
        assert_eq!(each, whole);
        let back = read_hlog(&each).unwrap();
        assert_eq!((back[0].1.len(), back[1].1.len()), (4, 1));
    }

    #[test]
    fn hgrm_has_java_layout_and_footer() {
        let h = sample();
        let text = hgrm(&h, "latency", MILLISECONDS);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("#[latency: Value in ms"));
        assert_eq!(
            lines[1],
            "       Value     Percentile TotalCount 1/(1-Percentile)"
        );
        assert_eq!(lines[2], "");
        let body: Vec<&str> = lines[3..]
            .iter()
            .copied()
            .take_while(|l| !l.starts_with('#'))
            .collect();
        // Every body line but the last has four columns; the last is the 100 % line.
        let last = body.last().unwrap();
        let cols: Vec<&str> = last.split_whitespace().collect();
        assert_eq!(cols.len(), 3, "{last}");
        assert_eq!(cols[1], "1.000000000000");
        assert_eq!(cols[2], "4");
        for l in &body[..body.len() - 1] {
            assert_eq!(l.split_whitespace().count(), 4, "{l}");
        }
        // Values are within 0.1 % of 1..4 ms (3 significant digits).
        let v: f64 = cols[0].parse().unwrap();
        assert!((v - 4.0).abs() < 0.004, "{v}");
        // Footer: mean 2.5 ms, population sd √1.25 = 1.118 ms; 2048 sub-buckets at 3 digits
        // (2^⌈log2 2000⌉).
        let foot: Vec<&str> = lines.iter().rev().take(3).copied().collect();
        assert!(
            foot[2].starts_with("#[Mean    =        2.50"),
            "{}",
            foot[2]
        );
        assert!(
            foot[2].contains("StdDeviation   =        1.11"),
            "{}",
            foot[2]
        );
        assert!(
            foot[1].contains("Total count    =            4]"),
            "{}",
            foot[1]
        );
        assert!(
            foot[0].ends_with("SubBuckets     =         2048]"),
            "{}",
            foot[0]
        );
    }

    #[test]
    fn hgrm_matches_java_hdrhistogram_byte_for_byte() {
        // Java's output for the same logs: tests/data/java/README.md says how it was made.
        let cases: [(&[u8], &str, Unit); 2] = [
            (
                include_bytes!("../tests/data/java/latency.hlog"),
                include_str!("../tests/data/java/latency.hgrm"),
                MILLISECONDS,
            ),
            (
                include_bytes!("../tests/data/java/batch_size.hlog"),
                include_str!("../tests/data/java/batch_size.hgrm"),
                COUNT,
            ),
        ];
        for (log, java, unit) in cases {
            let hists = read_hlog(log).unwrap();
            assert_eq!(hists.len(), 1);
            let ours = hgrm(&hists[0].1, "x", unit);
            let skip_first = |t: &str| t.split_once('\n').unwrap().1.to_string();
            assert_eq!(skip_first(&ours), skip_first(java));
            assert!(java.lines().count() > 40);
        }
    }

    #[test]
    fn java_percentile_steps_at_exact_fractions() {
        // 10 values 1..=10: Java reports level 0 at value 1 (10 % ≥ 0), 10 % at 1,
        // 20 % at 2, …, 50 % at 5 (ticks of 10 % below 50 %), then ticks of 5 %
        // (55 % → value 6, 60 % → 6), … The level 30 % is reached exactly at
        // 3 of 10 (100·3/10 = 30.0); a fractional comparison (0.3 vs 0.1+0.1+0.1)
        // would move it to value 4.
        let mut h = Histogram::<u64>::new(3).unwrap();
        for v in 1..=10 {
            h.record(v).unwrap();
        }
        let steps = java_percentiles(&h, 5);
        let at = |p: f64| {
            steps
                .iter()
                .find(|s| (s.percentile - p).abs() < 1e-9)
                .unwrap()
        };
        assert_eq!((at(0.0).value, at(0.0).total), (1, 1));
        assert_eq!((at(30.0).value, at(30.0).total), (3, 3));
        assert_eq!((at(50.0).value, at(50.0).total), (5, 5));
        assert_eq!((at(55.0).value, at(55.0).total), (6, 6));
        let last = steps.last().unwrap();
        assert_eq!((last.value, last.percentile, last.total), (10, 100.0, 10));
        assert!(java_percentiles(&Histogram::<u64>::new(3).unwrap(), 5).is_empty());
    }

    #[test]
    fn hgrm_of_an_empty_histogram_is_header_and_footer() {
        let h = Histogram::<u64>::new(3).unwrap();
        let text = hgrm(&h, "x", COUNT);
        assert_eq!(text.lines().count(), 6, "{text}");
        assert!(text.contains("Total count    =            0]"));
    }

    #[test]
    fn hlog_round_trips_and_is_deterministic() {
        let a = sample();
        let mut b = Histogram::<u64>::new(3).unwrap();
        b.record(7).unwrap();
        let ivs = [
            Interval {
                tag: Some("rep0"),
                start: Duration::from_secs(6),
                length: Duration::from_secs(54),
                histogram: &a,
            },
            Interval {
                tag: Some("rep1"),
                start: Duration::from_secs(6),
                length: Duration::from_secs(54),
                histogram: &b,
            },
        ];
        let bytes = hlog("latency", MILLISECONDS, &ivs).unwrap();
        assert_eq!(bytes, hlog("latency", MILLISECONDS, &ivs).unwrap());
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("#[MaxValueDivisor: 1000000.000]"), "{text}");
        // Max column: 4 ms = 4e6 ns lies in [2^21, 2^22), where 3 digits give a
        // resolution of 2^(21−10) = 2048 ns: 4e6/2048 = 1953.1 → highest equivalent
        // value 1954·2048 − 1 = 4 001 791 ns → 4.002 ms.
        assert!(text.contains("Tag=rep0,6.000,54.000,4.002,"), "{text}");
        let back = read_hlog(&bytes).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].0.as_deref(), Some("rep0"));
        assert_eq!(back[0].1, a);
        assert_eq!(back[1].1, b);
        assert!(hlog(
            "x",
            COUNT,
            &[Interval {
                tag: Some("a b"),
                ..ivs[0]
            }]
        )
        .is_err());
    }
}
