//! The link-budget channel end to end: hand-computed budgets, on-demand
//! fading, placement, and the scenario's `LinkBudget(..)` with its checks.

use super::*;
use crate::Scenario;

/// A scenario's link budget, with `users` users, built from RON text for `channel.model`.
fn scenario(model: &str, users: u32) -> Scenario {
    Scenario::from_ron_str(&format!(
        "(users: (count: {users}, tx_power_dbm: 23.0), channel: (model: {model}))"
    ))
    .unwrap()
}

fn budget(model: &str, users: u32, seed: u64) -> LinkBudget {
    let sys = scenario(model, users).resolve().unwrap();
    sys.link_budget(&RngStreams::new(seed)).unwrap()
}

#[test]
fn the_paper_channel_stays_the_default() {
    let s = Scenario::default();
    assert_eq!(s.channel.model, ChannelModel::Paper);
    assert!(s
        .resolve()
        .unwrap()
        .link_budget(&RngStreams::new(1))
        .is_none());
    // A file without `model` means the paper's channel.
    let s = Scenario::from_ron_str("(channel: (bandwidth_up: 1e6))").unwrap();
    assert_eq!(s.channel.model, ChannelModel::Paper);
}

#[test]
fn a_deterministic_link_budget_by_hand() {
    // UMa, 3.5 GHz, h_BS 25 m, h_UT 1.5 m, NLOS forced at 1000 m, no shadowing, no fading.
    // PL = max(PL_LOS = 109.411 895, PL' = 13.54 + 39.08·log10(1000.276 09) + 10.881 361
    //      = 141.666 046) = 141.666 046 dB (path_loss.rs tests; checked in Python).
    // Noise: N0·B = −174 + 10·log10(2·10⁷) = −174 + 73.010 300 = −100.989 700 dBm.
    // Up: 23 dBm − 141.666 046 − (−100.989 700 + NF_BS 5) = −22.676 346 dB;
    // down: 43 − 141.666 046 − (−100.989 700 + NF_UE 9) = −6.676 346 dB.
    let lb = budget(
        "LinkBudget(placement: Distances([1000.0]), los: Nlos, shadowing: false, fading: None)",
        2,
        1,
    );
    for u in lb.users() {
        assert_eq!(u.d2d, 1000.0);
        assert!(!u.los);
        assert_eq!(u.shadowing_db, 0.0);
        assert!(
            (u.path_loss_db - 141.666_046).abs() < 1e-5,
            "{}",
            u.path_loss_db
        );
        assert!((linear_to_db(u.snr_up) + 22.676_346).abs() < 1e-5);
        assert!((linear_to_db(u.snr_down) + 6.676_346).abs() < 1e-5);
    }
    // Shannon, Γ = 0 dB: SE^U = log2(1 + 10^−2.267 634 6) = log2(1.005 399 65) = 0.007 769 09;
    // SE^D = log2(1 + 0.214 963 83) = 0.280 913 37 (Python).
    for block in [0, 1, 1000] {
        let se = lb.se(1, block);
        assert!((se.up - 0.007_769_09).abs() < 1e-8, "{se:?}");
        assert!((se.down - 0.280_913_37).abs() < 1e-8, "{se:?}");
    }
}

#[test]
fn beyond_coverage_a_user_cannot_upload_under_cqi() {
    // Same link as above under the CQI table (derived thresholds, Γ = 0 dB):
    // CQI 1 needs 2^0.152 343 75 − 1 = 0.111 373 5 → −9.532 dB; CQI 2 needs −5.249 dB.
    // Up at −22.68 dB: below CQI 1, SE 0 (ρ infinite). Down at −6.68 dB: CQI 1, 0.152 343 75.
    let lb = budget(
        "LinkBudget(placement: Distances([1000.0]), los: Nlos, shadowing: false, fading: None, spectral: Cqi())",
        1,
        1,
    );
    let se = lb.se(0, 7);
    assert_eq!(se.up, 0.0);
    assert_eq!(se.down, 2.0 * 78.0 / 1024.0);
    let b = lb.budget_at(1000.0);
    assert_eq!((b.nlos.up.cqi, b.nlos.down.cqi), (0, 1));
    assert!(send_time_s(512.0 * 16.0, 20e6, b.nlos.up.se).is_infinite());
}

#[test]
fn budget_at_a_distance() {
    // UMa LOS at 100 m, 3.5 GHz: PL = 83.138 157 dB (path_loss.rs); up SNR
    // 23 − 83.138 157 + 100.989 700 − 5 = 35.851 543 dB, Shannon 11.91 capped at 7.406 25;
    // CQI: 35.85 dB is above CQI 15's 22.27 dB → 15.
    let lb = budget("LinkBudget()", 1, 1);
    let b = lb.budget_at(100.0);
    assert!((b.los.path_loss_db - 83.138_157).abs() < 1e-5);
    assert!((b.los.up.snr_db - 35.851_543).abs() < 1e-5);
    assert_eq!(b.los.up.se_shannon, SE_MAX_256QAM);
    assert_eq!(b.los.up.cqi, 15);
    // 0.18 + e^(−100/63)·0.82 = 0.347 671 (path_loss.rs).
    assert!((b.los_probability - 0.347_671).abs() < 1e-6);
    assert!((b.breakpoint_m - 560.0).abs() < 1e-9);
    // A 512-token prompt at 16 bits over 20 MHz at 7.406 25 b/s/Hz:
    // 8192/(2·10⁷·7.406 25) = 8192/1.481 25·10⁸ = 5.530 464·10⁻⁵ s.
    let t = send_time_s(8192.0, b.los.up.bandwidth_hz, b.los.up.se);
    assert!((t - 5.530_464e-5).abs() < 1e-10, "{t}");
}

#[test]
fn fading_is_drawn_on_demand_and_per_user() {
    let lb = budget("LinkBudget()", 5, 3);
    // Asking in any order, or twice, gives the same value.
    let forward: Vec<f64> = (0..50).map(|b| lb.fading_power(2, b)).collect();
    let backward: Vec<f64> = (0..50).rev().map(|b| lb.fading_power(2, b)).collect();
    assert!(forward.iter().eq(backward.iter().rev()));
    assert_eq!(lb.se(2, 17), lb.se(2, 17));
    // Distinct blocks give distinct draws.
    assert_ne!(forward[0], forward[1]);
    // A user's geometry and fading do not depend on how many users there are.
    let more = budget("LinkBudget()", 9, 3);
    assert_eq!(lb.users()[4], more.users()[4]);
    assert_eq!(lb.fading_power(4, 123), more.fading_power(4, 123));
    // Another seed, other numbers.
    let other = budget("LinkBudget()", 5, 4);
    assert_ne!(lb.users()[0].d2d, other.users()[0].d2d);
}

#[test]
fn fading_power_of_the_channel_has_mean_one() {
    // Rayleigh through the on-demand draws: 10⁶ (user, block) pairs, mean 1,
    // standard error 10⁻³, allowed 4·10⁻³.
    let lb = budget("LinkBudget()", 10, 8);
    let n = 100_000u64;
    let sum: f64 = (0..10)
        .map(|u| (0..n).map(|b| lb.fading_power(u, b)).sum::<f64>())
        .sum();
    let mean = sum / (10 * n) as f64;
    assert!((mean - 1.0).abs() < 4e-3, "{mean}");
}

#[test]
fn placement_los_and_shadowing_statistics() {
    // 20 000 users in UMi between 10 and 200 m, LOS by probability, shadowing on.
    let lb = budget(
        "LinkBudget(environment: UMi, placement: Annulus(r_min: 10.0, r_max: 200.0))",
        20_000,
        9,
    );
    let users = lb.users();
    let n = users.len() as f64;
    // Area-uniform: P(d ≤ 100) = (100² − 10²)/(200² − 10²) = 9900/39 900 = 0.248 12.
    let within = users.iter().filter(|u| u.d2d <= 100.0).count() as f64 / n;
    assert!((within - 0.248_12).abs() < 0.015, "{within}");
    // The LOS fraction is the mean LOS probability of the drawn distances
    // (standard error ≤ 0.5/√20 000 = 0.0035).
    let p_mean = users.iter().map(|u| u.los_probability).sum::<f64>() / n;
    let los = users.iter().filter(|u| u.los).count() as f64 / n;
    assert!((los - p_mean).abs() < 0.015, "{los} vs {p_mean}");
    // Shadowing: σ 4 dB in LOS, 7.82 dB in NLOS (TR 38.901 Table 7.4.1-1), mean 0.
    for (is_los, sigma) in [(true, 4.0), (false, 7.82)] {
        let s: Vec<f64> = users
            .iter()
            .filter(|u| u.los == is_los)
            .map(|u| u.shadowing_db)
            .collect();
        let m = s.iter().sum::<f64>() / s.len() as f64;
        let sd = (s.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (s.len() - 1) as f64).sqrt();
        assert!(m.abs() < 0.3, "mean {m}");
        assert!((sd / sigma - 1.0).abs() < 0.05, "σ {sd} want {sigma}");
    }
}

#[test]
fn coherence_blocks() {
    // Default: the coherence time is T_C = 1.5 s, so block k is epoch k.
    let lb = budget("LinkBudget()", 1, 1);
    assert_eq!(lb.block_at(0), 0);
    assert_eq!(lb.block_at(1_499_999_999), 0);
    assert_eq!(lb.block_at(3_000_000_000), 2);
    let lb = budget("LinkBudget(coherence_time: Some(0.01))", 1, 1);
    assert_eq!(lb.block_at(25_000_000), 2);
}

#[test]
fn the_file_form_round_trips() {
    // Every field away from its default: a field missing from the
    // hand-written Serialize impl would come back as its default.
    let text = "(channel: (model: LinkBudget(environment: UMi, carrier_ghz: 28.0, \
        bs_height: Some(12.0), ut_height: 2.0, placement: Distances([50.0, 60.0]), los: Los, \
        shadowing: false, fading: Rician(k_db: 9.0), coherence_time: Some(0.1), \
        bs_noise_figure_db: 4.0, ue_noise_figure_db: 8.0, bs_antenna_gain_dbi: 15.0, \
        ue_antenna_gain_dbi: -1.0, spectral: Cqi(gap_db: 1.0, thresholds_db: None))))";
    let s = Scenario::from_ron_str(text).unwrap();
    let ChannelModel::LinkBudget(spec) = &s.channel.model else {
        panic!("not a link budget")
    };
    assert_eq!(spec.carrier_ghz, 28.0);
    assert_eq!(spec.fading, Fading::Rician { k_db: 9.0 });
    let again = Scenario::from_ron_str(&s.to_ron_string()).unwrap();
    assert_eq!(again, s);
    // Overrides reach inside the variant.
    let mut t = s.clone();
    t.set("channel.model.carrier_ghz", "3.5").unwrap();
    let ChannelModel::LinkBudget(spec) = &t.channel.model else {
        panic!()
    };
    assert_eq!(spec.carrier_ghz, 3.5);
    let mut p = Scenario::default();
    p.set("channel.model", "LinkBudget(environment: UMi)")
        .unwrap();
    assert!(matches!(p.channel.model, ChannelModel::LinkBudget(_)));
}

#[test]
fn bad_input_names_the_field() {
    let cases = [
        ("LinkBudget(carrier_ghz: 0.1)", "channel.model.carrier_ghz"),
        (
            "LinkBudget(carrier_ghz: 200.0)",
            "channel.model.carrier_ghz",
        ),
        ("LinkBudget(ut_height: 1.0)", "channel.model.ut_height"),
        ("LinkBudget(ut_height: 20.0)", "channel.model.ut_height"),
        (
            "LinkBudget(bs_height: Some(1.5))",
            "channel.model.bs_height",
        ),
        (
            "LinkBudget(placement: Annulus(r_min: 5.0, r_max: 100.0))",
            "channel.model.placement.r_min",
        ),
        (
            "LinkBudget(placement: Annulus(r_min: 50.0, r_max: 40.0))",
            "channel.model.placement.r_max",
        ),
        (
            "LinkBudget(placement: Annulus(r_min: 50.0, r_max: 6000.0))",
            "channel.model.placement.r_max",
        ),
        (
            "LinkBudget(placement: Distances([100.0, 9000.0]))",
            "channel.model.placement[1]",
        ),
        (
            "LinkBudget(placement: Distances([]))",
            "channel.model.placement",
        ),
        (
            "LinkBudget(fading: Rician(k_db: 99.0))",
            "channel.model.fading.k_db",
        ),
        (
            "LinkBudget(coherence_time: Some(0.0))",
            "channel.model.coherence_time",
        ),
        (
            "LinkBudget(bs_noise_figure_db: -1.0)",
            "channel.model.bs_noise_figure_db",
        ),
        (
            "LinkBudget(ue_antenna_gain_dbi: 90.0)",
            "channel.model.ue_antenna_gain_dbi",
        ),
        (
            "LinkBudget(spectral: Shannon(gap_db: -3.0))",
            "channel.model.spectral.gap_db",
        ),
        (
            "LinkBudget(spectral: Shannon(se_max: 0.0))",
            "channel.model.spectral.se_max",
        ),
        (
            "LinkBudget(spectral: Cqi(thresholds_db: Some([1.0, 2.0])))",
            "channel.model.spectral.thresholds_db",
        ),
    ];
    for (model, field) in cases {
        let text = format!("(channel: (model: {model}))");
        let err = Scenario::from_ron_str(&text).unwrap_err().to_string();
        assert!(err.contains(&format!("field `{field}`")), "{model}: {err}");
    }
    // Descending CQI thresholds name the first out of order.
    let t: Vec<String> = (0..15)
        .map(|k| format!("{}.0", if k == 7 { 0 } else { k }))
        .collect();
    let text = format!(
        "(channel: (model: LinkBudget(spectral: Cqi(thresholds_db: Some([{}])))))",
        t.join(", ")
    );
    let err = Scenario::from_ron_str(&text).unwrap_err().to_string();
    assert!(
        err.contains("channel.model.spectral.thresholds_db[7]"),
        "{err}"
    );
    // Parse errors: an unknown field and an unknown variant, with line and column.
    let err = Scenario::from_ron_str("(channel: (model: LinkBudget(carrier: 3.5)))")
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 1") && err.contains("carrier"), "{err}");
    let err = Scenario::from_ron_str("(channel: (model: Ideal))")
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 1") && err.contains("Ideal"), "{err}");
}
