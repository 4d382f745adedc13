//! The histogram conventions every measure shares (MODEL.md §8): the
//! significant digits and the saturating record. A leaf module, so that the
//! run's metrics and the measures kept beside their models (the radio's, in
//! `radio::measures`) use one definition without importing each other.

use hdrhistogram::Histogram;

/// Significant digits of every histogram (MODEL.md §8).
pub const HIST_SIGFIG: u8 = 3;

/// Records `v` in a histogram, saturating at its top if it cannot grow (the
/// histograms here auto-resize, so this only bounds pathological values).
pub fn record(h: &mut Histogram<u64>, v: u64) {
    if h.record(v).is_err() {
        h.saturating_record(v);
    }
}
