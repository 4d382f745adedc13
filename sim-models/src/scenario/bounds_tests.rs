//! The bounds of docs/scenario.md ("Bounds"), probed at their edges: values
//! just inside are accepted, values just outside refused with the field and
//! the bound in the message. Each scenario is built so that only the bound
//! under test can fail (the other products are worked out beside it).

use proptest::prelude::*;

use super::*;

fn scenario(text: &str) -> Result<Scenario, ScenarioError> {
    Scenario::from_ron_str(text)
}

fn refused(text: &str, field: &str, bound: &str) {
    match scenario(text) {
        Err(ScenarioError::Invalid { field: f, message }) => {
            assert_eq!(f, field, "{text}: {message}");
            assert!(
                message.contains(bound),
                "{text}: `{bound}` not in: {message}"
            );
        }
        other => panic!("{text}: expected a refusal of `{field}`, got {other:?}"),
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(10),
        ..ProptestConfig::default()
    }
}

/// Slots of 1000 s and no arrivals: a horizon of 10⁹ s is 10⁶ epochs (≤ 10⁷).
const LONG_SLOTS: &str =
    "slots: (t_u: 1000, t_c: 1000, t_d: 1000), arrivals: (rate: 0), users: (count: 1)";

#[test]
fn times_at_their_bounds() {
    // 10⁹ s is the longest time; the next double above it is refused.
    scenario(&format!("(horizon: 1e9, {LONG_SLOTS})")).unwrap();
    let above = f64::from_bits(1e9f64.to_bits() + 1);
    refused(
        &format!("(horizon: {above:?}, {LONG_SLOTS})"),
        "horizon",
        "1e9 s",
    );
    // The issue's latency: 10¹⁰ s would make D_i − t_k wrap through i64.
    refused(
        "(requests: (latency: Fixed(1e10)))",
        "requests.latency",
        "1e9 s",
    );
    // τ = 10⁹ s with H = 10⁹ s: D_i ≤ H + τ = 2·10¹⁸ ns < i64::MAX ≈ 9.22·10¹⁸.
    let s = scenario(&format!(
        "(horizon: 1e9, {LONG_SLOTS}, requests: (latency: Fixed(1e9)))"
    ))
    .unwrap();
    let sys = s.resolve().unwrap();
    let d = sys.horizon_ns + 1_000_000_000 * 1_000_000_000;
    assert!(
        i64::try_from(d).is_ok()
            && d.checked_add(sys.t_u_ns + sys.t_c_ns + sys.t_d_ns)
                .is_some()
    );
    // A latency that rounds to 0 ns is refused; 0.6 ns rounds to 1 ns.
    refused(
        "(requests: (latency: Fixed(0.4e-9)))",
        "requests.latency",
        "1 ns",
    );
    scenario("(requests: (latency: Fixed(0.6e-9)))").unwrap();
    refused("(slots: (t_u: 0.4e-9))", "slots.t_u", "1 ns");
    // Warm-up may be 0.
    scenario("(warmup: Some(0.0))").unwrap();
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn horizon(h in 1e-9f64..=1e9, over in 1.000_000_1f64..1e6) {
        let inside = format!("(horizon: {h:?}, {LONG_SLOTS})");
        prop_assert!(scenario(&inside).is_ok(), "{}", inside);
        let out = 1e9 * over;
        refused(&format!("(horizon: {out:?}, {LONG_SLOTS})"), "horizon", "1e9 s");
    }

    /// λ·H ≤ 10⁹: with H = 1000 s and U = 10⁵ (λ/U ≤ 10⁴ /s, well under 10⁶),
    /// λ ≤ 10⁶ /s is accepted and λ > 10⁶ /s refused.
    #[test]
    fn expected_arrivals(rate in 0.0f64..=1e6, over in 1.000_000_1f64..1e290) {
        let s = |r: f64| format!("(horizon: 1000, users: (count: 100000), arrivals: (rate: {r:?}))");
        let inside = s(rate);
        prop_assert!(scenario(&inside).is_ok(), "{}", inside);
        refused(&s(1e6 * over), "arrivals.rate", "more than the 1e9 a run may have");
    }

    /// λ/U ≤ 10⁶ /s: with H = 1 s and U = 1 (λ·H ≤ 10⁶ ≤ 10⁹).
    #[test]
    fn rate_per_user(rate in 0.0f64..=1e6, over in 1.000_000_1f64..1e3) {
        let s = |r: f64| format!("(horizon: 1, users: (count: 1), arrivals: (rate: {r:?}))");
        let inside = s(rate);
        prop_assert!(scenario(&inside).is_ok(), "{}", inside);
        refused(&s(1e6 * over), "arrivals.rate", "1e6 /s");
    }

    #[test]
    fn counts(users in 1u32..=1_000_000, gpus in 1u32..=1024, more in 1u32..=u32::MAX - 1_000_000) {
        // λ/U ≥ 100/10⁶ — fine.
        let inside = format!("(users: (count: {users}), gpus: (count: {gpus}))");
        prop_assert!(scenario(&inside).is_ok(), "{}", inside);
        refused(&format!("(users: (count: {}))", 1_000_000 + more), "users.count", "[1, 1000000]");
        refused(&format!("(gpus: (count: {}))", 1024u32.saturating_add(more)), "gpus.count", "[1, 1024]");
    }
}

#[test]
fn model_dimensions_at_their_bounds() {
    // ModelDims::check: L ≤ 10⁴, d_model ≤ 10⁶, d_ff ≤ 10⁷, all ≥ 1.
    let custom = |l: u64, d: u64, f: u64| {
        format!("(model: Custom(name: \"m\", layers: {l}, d_model: {d}, d_ff: {f}), accuracy_admission: false)")
    };
    // 10⁴ layers of d = 1, d_ff = 1 fit any pool; the bound itself is accepted.
    assert!(scenario(&custom(10_000, 1, 1)).is_ok());
    refused(&custom(10_001, 1, 1), "model.layers", "10000");
    refused(&custom(1, 1_000_001, 1), "model.d_model", "1000000");
    refused(&custom(1, 1, 10_000_001), "model.d_ff", "10000000");
    refused(&custom(1, 1, 0), "model.d_ff", "≥ 1");
}

#[test]
fn the_issues_values() {
    // Every gap would round to 0 ns.
    refused(
        "(horizon: 1.0, users: (count: 1), arrivals: (rate: 1e300))",
        "arrivals.rate",
        "expected arrivals",
    );
    refused("(gpus: (count: 4294967295))", "gpus.count", "1024");
    refused("(users: (count: 4294967295))", "users.count", "1000000");
    refused(
        "(sweep: Some((replications: 4294967295, grid: [(path: \"seed\", values: [1])])))",
        "sweep.replications",
        "10000",
    );
    // 16 axes × 16 values = 16¹⁶ = 1.8·10¹⁹ points would overflow usize on
    // 32 bits and exceed any memory: refused at the axis where the product
    // passes 10⁴ (16⁴ = 65 536 > 10⁴ at axis 3).
    let axes: Vec<String> = (0..16)
        .map(|_| {
            format!(
                "(path: \"seed\", values: [{}])",
                (0..16)
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    refused(
        &format!("(sweep: Some((grid: [{}])))", axes.join(", ")),
        "sweep.grid[3].values",
        "10000 points",
    );
}

#[test]
fn epochs() {
    // H = 1.5·10⁷ s at T_C = 1.5 s is 10⁷ epochs; λ = 10 /s: 1.5·10⁸ arrivals.
    // With gains drawn by activity, the user count no longer multiplies the
    // epochs: 10⁶ users over 10⁷ epochs are accepted.
    let s = |h: &str, u: u32| format!("(horizon: {h}, arrivals: (rate: 10), users: (count: {u}))");
    scenario(&s("1.5e7", 1_000_000)).unwrap();
    // One ns more is one epoch more.
    refused(
        &s("15000000.000000001", 1000),
        "horizon",
        "more than the 10000000 a run",
    );
}

#[test]
fn sweep_sizes() {
    // 100 × 100 = 10⁴ points, the bound; 100 × 101 is refused at axis 1.
    let values = |n: usize| (0..n).map(|v| v.to_string()).collect::<Vec<_>>().join(", ");
    let grid = |a: usize, b: usize, reps: u32| {
        format!(
            "(sweep: Some((replications: {reps}, grid: [(path: \"seed\", values: [{}]), (path: \"users.count\", values: [{}])])))",
            values(a),
            (1..=b).map(|v| v.to_string()).collect::<Vec<_>>().join(", ")
        )
    };
    let ok = scenario(&grid(100, 100, 1)).unwrap();
    assert_eq!(ok.sweep_points().unwrap().len(), 10_000);
    refused(&grid(100, 101, 1), "sweep.grid[1].values", "10000 points");
    // 100 points × 10⁴ replications = 10⁶ runs, the bound; 101 points is over it.
    scenario(&grid(10, 10, 10_000)).unwrap();
    refused(&grid(101, 1, 10_000), "sweep.replications", "1000000");
}

#[test]
fn powers_must_be_finite_in_watts() {
    // 10^((3000 − 30)/10) = 10²⁹⁷ W is finite; 10^((4000 − 30)/10) is not.
    scenario("(users: (tx_power_dbm: 3000))").unwrap();
    refused(
        "(users: (tx_power_dbm: 4000))",
        "users.tx_power_dbm",
        "finite",
    );
    refused(
        "(channel: (bs_power_dbm: -4000))",
        "channel.bs_power_dbm",
        "> 0",
    );
}
