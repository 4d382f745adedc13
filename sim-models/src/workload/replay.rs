//! Trace replay (MODEL.md §12, docs/workloads.md).

use super::aggregate::{Instants, Next};
use super::round_ns;
use crate::trace::{RowReader, TraceError, TraceSpec, TraceSummary};

/// Most rows a looped trace keeps in memory after its first pass (16 bytes
/// each: 16 MiB); a longer trace is read from the file again on every loop.
pub const REPLAY_CACHE_ROWS: u64 = 1 << 20;

/// The requests of a trace file, at their instants, with their lengths.
///
/// Row `i` of the file at trace time `t_i` (the first good row at `t_0`),
/// in loop `k ≥ 0` (`k = 0` only, without `repeat`), is at trace offset
/// `T = k·P + (t_i − t_0)`, with the loop period `P = span·n/(n − 1)`
/// ([`TraceSummary::period_ns`]). It is replayed iff `T ≥ start`, at the
/// simulation instant `round((T − start)·time_scale)` ns — one rounding of
/// an `f64` computed from the trace's own times, never a sum of gaps — until
/// `limit` requests have been replayed. The file is streamed, one row at a
/// time; a looped trace of at most [`REPLAY_CACHE_ROWS`] rows is kept after
/// its first pass, a longer one re-read each loop: memory is bounded for a
/// trace of any length and any horizon.
pub struct Replay {
    spec: TraceSpec,
    summary: TraceSummary,
    reader: RowReader,
    /// Current loop `k`.
    round: u64,
    period_ns: f64,
    start_ns: f64,
    sent: u64,
    /// Rows of the first pass as `(t_i − t_0 ns, prompt, output)`, if kept.
    cache: Option<Vec<(f64, u32, u32)>>,
    /// Whether the cache holds the whole trace (loops after the first read it).
    cached: bool,
    pos: usize,
}

impl Replay {
    /// Opens the trace of `spec`, whose [`TraceSummary`] is `summary`.
    ///
    /// # Errors
    /// [`TraceError`] if the file cannot be opened.
    pub fn open(spec: &TraceSpec, summary: TraceSummary) -> Result<Replay, TraceError> {
        let period_ns = summary.period_ns().unwrap_or(f64::INFINITY);
        let start_ns = spec.start * 1e9;
        // Loops that end before `start` are skipped without reading them.
        let round = if spec.repeat && period_ns.is_finite() {
            (start_ns / period_ns).floor() as u64
        } else {
            0
        };
        let keep = spec.repeat && summary.rows <= REPLAY_CACHE_ROWS;
        Ok(Replay {
            reader: RowReader::open(spec)?,
            spec: spec.clone(),
            round,
            period_ns,
            start_ns,
            sent: 0,
            cache: keep.then(|| Vec::with_capacity(summary.rows as usize)),
            cached: false,
            pos: 0,
            summary,
        })
    }

    /// The next row of the current loop as `(t_i − t_0 ns, prompt, output)`,
    /// or `None` at the loop's end.
    fn next_row(&mut self) -> Result<Option<(f64, u32, u32)>, TraceError> {
        if self.cached {
            let cache = self.cache.as_ref().expect("a cached trace has its rows");
            let r = cache.get(self.pos).copied();
            self.pos += 1;
            return Ok(r);
        }
        let Some(row) = self.reader.next_row()? else {
            return Ok(None);
        };
        let r = (row.at.ns_since(self.summary.first), row.prompt, row.output);
        if let Some(c) = &mut self.cache {
            c.push(r);
        }
        Ok(Some(r))
    }
}

impl Instants for Replay {
    fn next(&mut self) -> Result<Next, TraceError> {
        loop {
            if self.spec.limit.is_some_and(|l| self.sent >= l) {
                return Ok(None);
            }
            let Some((off_ns, prompt, output)) = self.next_row()? else {
                if !self.spec.repeat || !self.period_ns.is_finite() {
                    return Ok(None);
                }
                self.round += 1;
                if self.cache.is_some() {
                    self.cached = true;
                    self.pos = 0;
                } else {
                    self.reader = RowReader::open(&self.spec)?;
                }
                continue;
            };
            let t = self.round as f64 * self.period_ns + off_ns;
            if t < self.start_ns {
                continue;
            }
            self.sent += 1;
            let at = round_ns((t - self.start_ns) * self.spec.time_scale);
            return Ok(Some((at, Some((prompt, output)))));
        }
    }
}
