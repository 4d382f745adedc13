//! Tests of the scenario module: defaults, parsing, range checks, overrides, sweeps.

use super::*;

fn field_of(e: &ScenarioError) -> String {
    match e {
        ScenarioError::Invalid { field, .. } => field.clone(),
        other => panic!("expected Invalid, got {other}"),
    }
}

#[test]
fn default_file_is_the_paper_setting() {
    let s = Scenario::default_paper();
    // Every value of the file equals the built-in default (MODEL.md §2–6).
    assert_eq!(s, Scenario::default());
    let sys = s.resolve().unwrap();
    assert_eq!(sys.horizon_ns, 600_000_000_000);
    assert_eq!(sys.warmup_ns, 60_000_000_000); // 10 % of 600 s
    assert_eq!(sys.epochs(), 400); // 600/1.5
    assert_eq!(sys.rate_per_user, 2.0); // 100/50
    assert_eq!((sys.max_prompt, sys.max_output), (512, 512));
    assert_eq!(sys.delta_ppl, Some(0.02));
    // 20 dBm = 0.1 W; 43 dBm = 10^1.3 = 19.95 W; N0·B = 10^-20.4·2e7 = 7.96e-14 W.
    assert!((sys.tx_power_w - 0.1).abs() < 1e-15);
    assert!((sys.bs_power_w - 19.952_623_149_688_8).abs() < 1e-9);
    assert!((sys.noise_up_w / 7.962_143_411_069_9e-14 - 1.0).abs() < 1e-12);
    let info = sys.system_info();
    assert_eq!(info.template.flops_cost().unwrap().flop_rate, 2.66e13); // 20 · 1.33e12
    assert_eq!(info.template.memory, 6.4e11); // 20 · 32e9
}

#[test]
fn minimal_file_gets_defaults() {
    assert_eq!(Scenario::from_ron_str("()").unwrap(), Scenario::default());
    let s = Scenario::from_ron_str("(arrivals: (rate: 5), slots: (t_c: 1.0))").unwrap();
    assert_eq!(s.arrivals.rate, 5.0);
    assert_eq!(s.slots.t_u, 0.25);
    assert_eq!(s.users.count, 50);
}

#[test]
fn round_trips_through_ron() {
    let mut s = Scenario {
        model: ModelSpec::Custom {
            name: "tiny".into(),
            layers: 2,
            d_model: 64,
            d_ff: 256,
            heads: None,
            kv_heads: None,
            head_dim: None,
            gated: false,
            vocab: None,
            tied: false,
        },
        quant: QuantSpec::Custom {
            name: "W4".into(),
            weight_bits: 4,
            activation_bits: 16,
            beta: 0.5,
            delta_ppl: 0.3,
        },
        ..Default::default()
    };
    s.requests.prompt = Dist::Choice {
        values: vec![10.0, 20.0],
        weights: vec![1.0, 3.0],
    };
    s.queue = QueuePolicy::DropUnscheduled;
    s.warmup = Some(3.0);
    s.sweep = Some(SweepSpec {
        replications: 2,
        grid: vec![SweepAxis {
            path: "requests.latency".into(),
            values: vec![
                RonText("Uniform(lo: 0.5, hi: 1.0)".into()),
                RonText("Fixed(2.0)".into()),
            ],
        }],
    });
    let text = s.to_ron_string();
    assert_eq!(Scenario::from_ron_str(&text).unwrap(), s, "{text}");
}

#[test]
fn unknown_field_is_a_parse_error_with_position() {
    let e = Scenario::from_ron_str("(\n  users: (count: 5, colour: 3),\n)").unwrap_err();
    match &e {
        ScenarioError::Parse { line, message, .. } => {
            assert_eq!(*line, 2);
            assert!(message.contains("colour"), "{message}");
            assert!(
                message.contains("path_loss"),
                "lists expected fields: {message}"
            );
        }
        other => panic!("{other}"),
    }
}

/// `(requests: (classes: [CLASSES]))`.
fn with_classes(classes: &str) -> String {
    format!("(requests: (classes: [{classes}]))")
}

#[test]
fn class_errors_name_the_field() {
    let cases = [
        (
            r#"(name: "chat", share: 0.5), (name: "Chat", share: 0.5)"#,
            "requests.classes[1].name",
            "already the name of requests.classes[0]",
        ),
        (
            r#"(name: "a", share: 0.5), (name: "b", share: 0.4)"#,
            "requests.classes",
            "sum to 1",
        ),
        (
            r#"(name: "a", share: 0.6), (name: "b", share: 0.5)"#,
            "requests.classes",
            "got 1.1",
        ),
        (
            r#"(name: "a", share: 1.5), (name: "b", share: -0.5)"#,
            "requests.classes[1].share",
            "",
        ),
        (r#"(name: "a", share: 0)"#, "requests.classes[0].share", ""),
        (
            r#"(name: "a", share: NaN)"#,
            "requests.classes[0].share",
            "",
        ),
        (
            r#"(name: "", share: 1)"#,
            "requests.classes[0].name",
            "1–32",
        ),
        (
            r#"(name: "a b", share: 1)"#,
            "requests.classes[0].name",
            "letters, digits",
        ),
        (
            r#"(name: "../x", share: 1)"#,
            "requests.classes[0].name",
            "letters, digits",
        ),
        (
            r#"(name: "_x", share: 1)"#,
            "requests.classes[0].name",
            "starting with",
        ),
        (
            r#"(name: "a__b", share: 1)"#,
            "requests.classes[0].name",
            "__",
        ),
        (
            r#"(name: "NUL", share: 1)"#,
            "requests.classes[0].name",
            "reserved",
        ),
        (
            r#"(name: "a", share: 1, latency: Fixed(0))"#,
            "requests.classes[0].latency",
            "",
        ),
        (
            r#"(name: "a", share: 0.5), (name: "b", share: 0.5, prompt: Choice(values: [64, 0.5]))"#,
            "requests.classes[1].prompt.values[1]",
            "whole number of tokens",
        ),
        (
            r#"(name: "a", share: 1, accuracy: Uniform(lo: -1, hi: 1))"#,
            "requests.classes[0].accuracy.lo",
            "",
        ),
        (
            r#"(name: "a", share: 1, output_levels: Fixed(1e9))"#,
            "requests.classes[0].output_levels",
            "",
        ),
    ];
    for (classes, field, words) in cases {
        let text = with_classes(classes);
        let e = Scenario::from_ron_str(&text).expect_err(&text);
        assert_eq!(field_of(&e), field, "{text}: {e}");
        assert!(e.to_string().contains(words), "{text}: {e}");
    }
    let many: Vec<String> = (0..=MAX_CLASSES)
        .map(|i| {
            format!(
                "(name: \"c{i}\", share: {})",
                1.0 / (MAX_CLASSES + 1) as f64
            )
        })
        .collect();
    let e = Scenario::from_ron_str(&with_classes(&many.join(", "))).unwrap_err();
    assert_eq!(field_of(&e), "requests.classes", "{e}");
    // An unknown field of a class is a parse error naming it.
    let e =
        Scenario::from_ron_str(&with_classes(r#"(name: "a", share: 1, deadline: 1)"#)).unwrap_err();
    assert!(e.to_string().contains("deadline"), "{e}");
    // Shares within 1e-9 of 1 are accepted as written (not normalised).
    let third = 1.0 / 3.0;
    let ok = format!(
        "(name: \"a\", share: {third}), (name: \"b\", share: {third}), (name: \"c-2\", share: 0.3333333333)"
    );
    let s = Scenario::from_ron_str(&with_classes(&ok)).unwrap();
    assert_eq!(s.requests.classes[2].share, 0.3333333333);
}

#[test]
fn classes_inherit_and_round_trip() {
    let text = with_classes(
        r#"(name: "chat", share: 0.25, latency: Fixed(0.5), output_levels: Choice(values: [64])),
           (name: "batch", share: 0.75, prompt: Uniform(lo: 1000, hi: 2000))"#,
    );
    let s = Scenario::from_ron_str(&text).unwrap();
    assert_eq!(s.requests.classes[0].latency, Some(Dist::Fixed(0.5)));
    assert_eq!(s.requests.classes[0].prompt, None);
    // Written back without `Some`, and read back to the same scenario.
    let back = s.to_ron_string();
    assert!(back.contains("latency: Fixed(0.5)"), "{back}");
    assert_eq!(Scenario::from_ron_str(&back).unwrap(), s);
    let sys = s.resolve().unwrap();
    let (chat, batch) = (&sys.classes[0], &sys.classes[1]);
    assert_eq!(chat.prompt, s.requests.prompt); // inherited
    assert_eq!(chat.latency, Dist::Fixed(0.5));
    assert_eq!(batch.latency, s.requests.latency); // inherited
                                                   // The largest lengths are over the classes: prompts up to 2000, outputs up to 512
                                                   // (batch inherits {128, 256, 512}).
    assert_eq!((sys.max_prompt, sys.max_output), (2000, 512));
    assert!(Scenario::default().resolve().unwrap().classes.is_empty());
}

#[test]
fn range_errors_name_the_field() {
    let cases = [
        ("(arrivals: (rate: -1))", "arrivals.rate"),
        ("(gpus: (count: 0))", "gpus.count"),
        ("(slots: (t_u: 2.0))", "slots.t_u"),
        ("(slots: (t_d: 1.6))", "slots.t_d"),
        ("(slots: (t_c: NaN))", "slots.t_c"),
        ("(horizon: inf)", "horizon"),
        ("(warmup: Some(600))", "warmup"),
        (
            "(requests: (output_levels: Choice(values: [])))",
            "requests.output_levels.values",
        ),
        (
            "(requests: (prompt: Choice(values: [128, 256.5])))",
            "requests.prompt.values[1]",
        ),
        (
            "(requests: (prompt: Choice(values: [1, 2], weights: [1])))",
            "requests.prompt.weights",
        ),
        (
            "(requests: (prompt: Choice(values: [1, 2], weights: [0, 0])))",
            "requests.prompt.weights",
        ),
        (
            "(requests: (accuracy: Uniform(lo: -0.1, hi: 1.0)))",
            "requests.accuracy.lo",
        ),
        (
            "(requests: (accuracy: Uniform(lo: 0, hi: inf)))",
            "requests.accuracy.hi",
        ),
        (
            "(requests: (latency: Uniform(lo: 2.0, hi: 1.0)))",
            "requests.latency.hi",
        ),
        ("(requests: (latency: Fixed(0)))", "requests.latency"),
        ("(users: (path_loss: 0))", "users.path_loss"),
        ("(channel: (token_bits: 0))", "channel.token_bits"),
        ("(channel: (bandwidth_down: -2e6))", "channel.bandwidth_down"),
        ("(model: Preset(\"GPT-5\"))", "model"),
        (
            "(model: Custom(name: \"x\", layers: 0, d_model: 8, d_ff: 32))",
            "model.layers",
        ),
        ("(quant: Preset(\"W2\"))", "quant"),
        (
            "(quant: Custom(name: \"q\", weight_bits: 4, activation_bits: 16, beta: 0, delta_ppl: 0))",
            "quant.beta",
        ),
        // A custom model has no preset ΔPPL; with accuracy admission that is an error.
        (
            "(model: Custom(name: \"x\", layers: 1, d_model: 8, d_ff: 32))",
            "quant",
        ),
        // 1 GPU of 1 GB cannot hold BLOOM-3B's 2.36 GB of W8 weights.
        ("(gpus: (count: 1, memory: 1e9))", "gpus.memory"),
        (
            "(sweep: Some((grid: [(path: \"arrivals.speed\", values: [1])])))",
            "sweep.grid[0].path",
        ),
        (
            "(sweep: Some((grid: [(path: \"arrivals.rate\", values: [\"fast\"])])))",
            "sweep.grid[0].values[0]",
        ),
    ];
    for (text, field) in cases {
        let e = Scenario::from_ron_str(text).expect_err(text);
        assert_eq!(field_of(&e), field, "{text}: {e}");
    }
    // The custom model is fine once accuracy is ignored.
    Scenario::from_ron_str(
        "(model: Custom(name: \"x\", layers: 1, d_model: 8, d_ff: 32), accuracy_admission: false)",
    )
    .unwrap();
}

#[test]
fn overrides_set_typed_fields() {
    let mut s = Scenario::default();
    s.apply_assignment("arrivals.rate=250").unwrap();
    assert_eq!(s.arrivals.rate, 250.0);
    s.set("scheduler.name", "static").unwrap();
    s.set("scheduler.deadline_aware", "false").unwrap();
    assert_eq!(s.scheduler.name, "static");
    assert_eq!(
        s.scheduler.options["deadline_aware"],
        serde_json::json!(false)
    );
    s.set("scheduler.name", "\"nobatch\"").unwrap();
    assert_eq!(s.scheduler.name, "nobatch");
    s.set("requests.latency", "Uniform(lo: 0.5, hi: 0.75)")
        .unwrap();
    assert_eq!(s.requests.latency, Dist::Uniform { lo: 0.5, hi: 0.75 });
    s.set("model", "BLOOM-7.1B").unwrap();
    assert_eq!(s.model, ModelSpec::Preset("BLOOM-7.1B".into()));
    s.set("quant", "Preset(\"GPTQ\")").unwrap();
    assert_eq!(s.quant, QuantSpec::Preset("GPTQ".into()));
    s.set("warmup", "30").unwrap();
    assert_eq!(s.warmup, Some(30.0));
    s.set("warmup", "None").unwrap();
    assert_eq!(s.warmup, None);
    s.set("queue", "DropUnscheduled").unwrap();
    assert_eq!(s.queue, QueuePolicy::DropUnscheduled);
    s.set("scheduler.z_start", "All").unwrap();
    assert_eq!(s.scheduler.options["z_start"], serde_json::json!("All"));
    s.set("slots", "(t_c: 1.0)").unwrap();
    assert_eq!((s.slots.t_u, s.slots.t_c), (0.25, 1.0));
    s.validate().unwrap();
    // Out-of-range values pass `set` and fail `validate`, naming the field.
    s.set("gpus.count", "0").unwrap();
    assert_eq!(field_of(&s.validate().unwrap_err()), "gpus.count");
    let e = s.set("arrivals.speed", "3").unwrap_err();
    assert!(e.to_string().contains("no such field"), "{e}");
    let e = s.set("arrivals.rate", "fast").unwrap_err();
    assert!(matches!(e, ScenarioError::Override { .. }), "{e}");
    assert!(s.apply_assignment("arrivals.rate").is_err());
}

#[test]
fn every_field_path_is_settable() {
    // Each path of the default scenario, set to a value other than its
    // default, changes the scenario and stays valid: the setter is generic,
    // so this list must grow with the schema (the test fails on a path
    // without a sample).
    let base = Scenario::default();
    let samples = [
        ("name", "\"x\""),
        ("seed", "3"),
        ("horizon", "10"),
        ("warmup", "1"),
        ("users", "(count: 3)"),
        ("users.count", "3"),
        ("users.tx_power_dbm", "10"),
        ("users.path_loss", "1e-4"),
        ("arrivals", "(rate: 3)"),
        ("arrivals.rate", "3"),
        ("arrivals.process", "Gamma(cv: 2.0)"),
        ("arrivals.assign", "RoundRobin"),
        ("requests", "(latency: Fixed(1.0))"),
        ("requests.prompt", "Fixed(64)"),
        ("requests.prompt.values", "[64, 128]"),
        ("requests.prompt.weights", "[1, 2, 3]"),
        ("requests.output_levels", "Choice(values: [64, 128])"),
        ("requests.output_levels.values", "[64]"),
        ("requests.output_levels.weights", "[0, 1, 1]"),
        ("requests.latency", "Fixed(1.0)"),
        ("requests.latency.lo", "0.25"),
        ("requests.latency.hi", "3"),
        ("requests.accuracy", "Fixed(1.0)"),
        ("requests.accuracy.lo", "0.5"),
        ("requests.accuracy.hi", "2"),
        (
            "requests.classes",
            "[(name: \"a\", share: 0.5), (name: \"b\", share: 0.5, latency: Fixed(5.0))]",
        ),
        ("channel", "(token_bits: 8)"),
        ("channel.bandwidth_up", "1e6"),
        ("channel.bandwidth_down", "1e6"),
        ("channel.bs_power_dbm", "40"),
        ("channel.noise_dbm_per_hz", "-170"),
        ("channel.token_bits", "32"),
        ("channel.model", "LinkBudget(environment: UMi)"),
        ("slots", "(t_c: 1.0)"),
        ("slots.t_u", "0.1"),
        ("slots.t_c", "1.0"),
        ("slots.t_d", "0.1"),
        ("queue", "DropUnscheduled"),
        ("gpus", "(count: 4)"),
        ("gpus.count", "4"),
        ("gpus.flops", "1e12"),
        ("gpus.memory", "40e9"),
        ("gpus.gpu", "Some(Preset(\"A100-80GB-SXM\"))"),
        ("model", "OPT-13B"),
        ("quant", "FP16"),
        ("cost", "Roofline"),
        ("accuracy_admission", "false"),
        ("scheduler", "(name: \"greedy\")"),
        ("scheduler.name", "greedy"),
        ("scheduler.z_start", "All"),
        ("scheduler.deadline_aware", "false"),
        ("sweep", "Some((grid: [(path: \"seed\", values: [1, 2])]))"),
        ("serving", "Continuous(())"),
    ];
    let paths = base.field_paths();
    for p in &paths {
        assert!(
            samples.iter().any(|(s, _)| s == p),
            "no sample for field path `{p}`"
        );
    }
    for (path, v) in samples {
        let mut s = base.clone();
        if path == "cost" {
            // The roofline needs a GPU model (MODEL.md §11).
            s.set("gpus.gpu", "Some(Preset(\"L4\"))").unwrap();
        }
        s.set(path, v).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(s, base, "{path} changed nothing");
        s.validate().unwrap_or_else(|e| panic!("{path}: {e}"));
    }
}

#[test]
fn continuous_serving_fields_are_settable_and_checked() {
    let mut s = Scenario::default();
    s.set("serving", "Continuous(())").unwrap();
    for (path, v) in [
        ("serving.policy", "Edf"),
        ("serving.tensor_parallel", "2"),
        ("serving.block_size", "32"),
        ("serving.num_blocks", "1000"),
        ("serving.memory_utilisation", "0.5"),
        ("serving.max_num_seqs", "8"),
        ("serving.max_num_batched_tokens", "512"),
        ("serving.drop_expired", "false"),
        ("serving.delivery", "AtEnd"),
        ("serving.channel", "Ideal"),
        ("serving.coherence_time", "0.01"),
    ] {
        let mut t = s.clone();
        t.set(path, v).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(t, s, "{path} changed nothing");
        t.validate().unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    // Derived blocks (MODEL.md §13), BLOOM-3B W8A16 on one 32 GB GPU, u = 0.9, 16-token blocks:
    // ⌊(0.9·32e9 − 0.5·4 718 592 000) / (16·1.0·307 200)⌋ = ⌊26 440 704 000 / 4 915 200⌋ = 5379.
    let sys = s.resolve().unwrap();
    let c = sys.serving.unwrap();
    assert_eq!(
        (c.instances, c.num_blocks, c.coherence_ns),
        (20, 5379, 1_500_000_000)
    );
    for (path, v, msg) in [
        (
            "serving.tensor_parallel",
            "3",
            "must divide the GPU count G = 20",
        ),
        ("serving.block_size", "0", "must be in [1,"),
        ("serving.memory_utilisation", "1.5", "must be in (0, 1]"),
        (
            "serving.memory_utilisation",
            "0.05",
            "less than one KV block",
        ),
        ("serving.num_blocks", "0", "must be in [1,"),
        ("serving.coherence_time", "0.0", "must be a time in [1 ns,"),
    ] {
        let mut t = s.clone();
        t.set(path, v).unwrap();
        let e = t.validate().unwrap_err().to_string();
        assert!(e.contains(path) && e.contains(msg), "{path}: {e}");
    }
}

#[test]
fn continuous_blocks_follow_the_link_budgets_coherence_time() {
    let mut s = Scenario::default();
    s.set("serving", "Continuous(())").unwrap();
    // Paper channel: T_C.
    assert_eq!(
        s.resolve().unwrap().serving.unwrap().coherence_ns,
        1_500_000_000
    );
    // A link budget with its own coherence time: the serving's blocks are its.
    s.set("channel.model", "LinkBudget(coherence_time: Some(0.1))")
        .unwrap();
    assert_eq!(
        s.resolve().unwrap().serving.unwrap().coherence_ns,
        100_000_000
    );
    // Both set: equal is fine, different is refused (fading would be missed).
    s.set("serving.coherence_time", "0.1").unwrap();
    s.validate().unwrap();
    s.set("serving.coherence_time", "0.5").unwrap();
    let e = s.validate().unwrap_err().to_string();
    assert!(
        e.contains("serving.coherence_time") && e.contains("channel.model.coherence_time"),
        "{e}"
    );
    // The serving's own time under a link budget without one: T_C for the fading.
    s.set("channel.model", "LinkBudget()").unwrap();
    assert_eq!(
        s.resolve().unwrap().serving.unwrap().coherence_ns,
        500_000_000
    );
}

#[test]
fn sweep_values_keep_their_text() {
    let s = Scenario::from_ron_str(
        "(sweep: Some((replications: 3, grid: [\
           (path: \"arrivals.rate\", values: [5, 10.5]),\
           (path: \"requests.latency\", values: [Uniform(lo: 0.5, hi: 1.0), Fixed(2)]),\
           (path: \"scheduler.name\", values: [\"dftsp\", \"static\"]),\
         ])))",
    )
    .unwrap();
    let sweep = s.sweep.clone().unwrap();
    assert_eq!(sweep.replications, 3);
    let texts: Vec<&str> = sweep.grid[1].values.iter().map(|v| v.as_str()).collect();
    assert_eq!(texts, ["Uniform(lo: 0.5, hi: 1.0)", "Fixed(2)"]);
    let mut p = s.clone();
    p.set(&sweep.grid[1].path, sweep.grid[1].values[0].as_str())
        .unwrap();
    assert_eq!(p.requests.latency, Dist::Uniform { lo: 0.5, hi: 1.0 });
    p.set(&sweep.grid[2].path, sweep.grid[2].values[1].as_str())
        .unwrap();
    assert_eq!(p.scheduler.name, "static");
}

/// A scenario that uses every kind of value the schema has: extreme and
/// special floats, the largest integers, strings that need escaping,
/// `Some`/`None`, unit, newtype, tuple-like and struct variants, lists and
/// raw RON text.
fn every_kind() -> Scenario {
    let mut s = Scenario {
        name: "quote \" backslash \\ newline \n tab \t unicode µ∞ bell \u{7}".into(),
        seed: u64::MAX,
        horizon: f64::MAX,
        warmup: Some(5e-324), // the smallest subnormal
        model: ModelSpec::Custom {
            name: "tiny".into(),
            layers: u32::MAX,
            d_model: 64,
            d_ff: 256,
            heads: None,
            kv_heads: None,
            head_dim: None,
            gated: false,
            vocab: None,
            tied: false,
        },
        quant: QuantSpec::Custom {
            name: "W4".into(),
            weight_bits: 4,
            activation_bits: 16,
            beta: 0.1 + 0.2, // 0.30000000000000004, not 0.3
            delta_ppl: -0.0,
        },
        queue: QueuePolicy::DropUnscheduled,
        accuracy_admission: false,
        ..Default::default()
    };
    s.users.tx_power_dbm = f64::NEG_INFINITY;
    s.arrivals.rate = f64::INFINITY;
    s.channel.bs_power_dbm = -1.0 / 3.0;
    s.requests.prompt = Dist::Choice {
        values: vec![1.0, 1e6],
        weights: vec![0.0, 1e-300],
    };
    s.requests.latency = Dist::Fixed(1e-9);
    s.scheduler = s.scheduler.clone().with_option("z_start", "All");
    s.sweep = Some(SweepSpec {
        replications: 7,
        grid: vec![SweepAxis {
            path: "requests.latency".into(),
            values: vec![
                RonText("Uniform(lo: 0.5, hi: 1.0)".into()),
                RonText("Fixed(2.0) /* a comment */".into()),
            ],
        }],
    });
    s
}

#[test]
fn every_kind_of_value_survives_the_override_round_trip() {
    let s = every_kind();
    // No override: the tree written as RON reads back to the same value, bit for bit.
    let back = s.with_values(&[]).unwrap();
    assert_eq!(back, s);
    assert_eq!(back.quant, s.quant);
    let QuantSpec::Custom { delta_ppl, .. } = back.quant else {
        unreachable!()
    };
    assert!(delta_ppl.is_sign_negative(), "-0.0 keeps its sign");
    // One override changes that field only.
    let mut t = s.clone();
    t.set("seed", "3").unwrap();
    assert_eq!(
        Scenario {
            seed: u64::MAX,
            ..t
        },
        s
    );
    // NaN, which no PartialEq sees, keeps its bits.
    let mut n = s.clone();
    n.arrivals.rate = f64::NAN;
    let back = n.with_values(&[("seed", "4")]).unwrap();
    assert_eq!(back.arrivals.rate.to_bits(), f64::NAN.to_bits());
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config {
        cases: 256,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(11),
        ..Default::default()
    })]

    /// Any f64 (as bits) and any u64 survive the tree; a float set by its
    /// shortest text (`{}`) reads back to the same bits.
    #[test]
    fn numbers_round_trip(bits in proptest::prelude::any::<u64>(), seed in proptest::prelude::any::<u64>()) {
        let x = f64::from_bits(bits);
        let mut s = Scenario { seed, ..Default::default() };
        s.slots.t_u = x;
        let back = s.with_values(&[("name", "\"p\"")]).unwrap();
        proptest::prop_assert_eq!(back.slots.t_u.to_bits(), x.to_bits());
        proptest::prop_assert_eq!(back.seed, seed);
        if x.is_finite() {
            let mut t = Scenario::default();
            t.set("users.path_loss", &format!("{x:?}")).unwrap();
            proptest::prop_assert_eq!(t.users.path_loss.to_bits(), x.to_bits());
        }
    }
}

#[test]
fn override_errors_name_the_field_and_the_type() {
    let mut s = Scenario::default();
    // The whole one-line message: `override `path`: …`.
    let msg = |r: Result<(), ScenarioError>| match r.unwrap_err() {
        e @ ScenarioError::Override { .. } => e.to_string(),
        other => panic!("{other}"),
    };
    let m = msg(s.set("arrivals.rate", "fast"));
    assert!(m.contains("arrivals.rate") && m.contains("float"), "{m}");
    let m = msg(s.set("requests.latency", "Uniform(lo: 1)"));
    assert!(m.contains("requests.latency") && m.contains("hi"), "{m}");
    let m = msg(s.set("queue", "Carryover"));
    assert!(m.contains("CarryOver"), "{m}");
    // A path through an enum variant holds only while the variant has that field.
    let m = msg(s.set("model.layers", "3"));
    assert!(m.contains("no such field"), "{m}");
    s.set(
        "model",
        "Custom(name: \"t\", layers: 2, d_model: 8, d_ff: 32)",
    )
    .unwrap();
    s.set("model.layers", "3").unwrap();
    assert_eq!(
        s.model,
        ModelSpec::Custom {
            name: "t".into(),
            layers: 3,
            d_model: 8,
            d_ff: 32,
            heads: None,
            kv_heads: None,
            head_dim: None,
            gated: false,
            vocab: None,
            tied: false,
        }
    );
    // A value is one RON value: it cannot reach past its field.
    let m = msg(s.set("arrivals.rate", "1), seed: (5"));
    assert!(m.contains("trailing"), "{m}");
    assert!(s.set("arrivals.rate", "1 /* a comment */").is_ok());
}

/// The rows of docs/scenario.md's field tables: (dotted path, default cell).
fn documented_fields() -> Vec<(String, String)> {
    let doc = include_str!("../../../docs/scenario.md");
    let mut section: Option<String> = None;
    let mut rows = Vec::new();
    for line in doc.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            section = if h == "Top level" {
                Some(String::new())
            } else {
                h.strip_prefix('`')
                    .and_then(|r| r.split_once('`'))
                    .map(|(name, _)| name.to_string())
            };
            continue;
        }
        let (Some(prefix), Some(row)) = (&section, line.strip_prefix("| `")) else {
            continue;
        };
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let field = cells[0].trim_end_matches('`');
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        rows.push((path, cells[2].to_string()));
    }
    rows
}

#[test]
fn docs_tables_match_the_defaults() {
    let default = Scenario::default();
    let rows = documented_fields();
    let documented: Vec<&str> = rows.iter().map(|(p, _)| p.as_str()).collect();
    // Every field of every struct has a row, and every row a field.
    let fields = default.struct_field_paths();
    for p in &fields {
        assert!(
            documented.contains(&p.as_str()),
            "docs/scenario.md has no row for `{p}`"
        );
    }
    for p in &documented {
        assert!(
            fields.iter().any(|f| f == p),
            "docs/scenario.md documents `{p}`, which is no field"
        );
    }
    // Every default written in a table is the default: setting it changes nothing.
    let mut checked = 0;
    for (path, cell) in &rows {
        let Some(text) = cell.strip_prefix('`').and_then(|c| c.strip_suffix('`')) else {
            assert!(cell.contains("see below"), "`{path}`: default cell {cell}");
            continue;
        };
        let mut s = default.clone();
        s.set(path, text)
            .unwrap_or_else(|e| panic!("`{path}` = {text}: {e}"));
        assert_eq!(
            s, default,
            "docs/scenario.md: `{path}` default {text} is not the default"
        );
        checked += 1;
    }
    assert!(checked >= 30, "{checked}");
}

#[test]
fn default_file_writes_every_field() {
    // scenarios/default.ron lists every field (it is the reference users read),
    // with the values of the `Default` impls (`default_file_is_the_paper_setting`).
    // The scheduler's options are each scheduler's own (MODEL.md §7): the
    // file names the scheduler only.
    let tree: ron::Value = ron::from_str(DEFAULT_SCENARIO_RON).unwrap();
    for p in Scenario::default().struct_field_paths() {
        if p.starts_with("scheduler.") && p != "scheduler.name" {
            continue;
        }
        let mut node = &tree;
        for seg in p.split('.') {
            let ron::Value::Map(m) = node else {
                panic!("scenarios/default.ron: `{p}` is not inside a struct");
            };
            node = m
                .get(&ron::Value::String(seg.into()))
                .unwrap_or_else(|| panic!("scenarios/default.ron does not write `{p}`"));
        }
    }
}

fn parse_error(r: Result<Scenario, ScenarioError>) -> (usize, usize, Option<String>, String) {
    match r {
        Err(ScenarioError::Parse {
            line,
            column,
            field,
            message,
        }) => (line, column, field, message),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let s = Scenario::parse_ron_str("\u{feff}(seed: 3)").unwrap();
    assert_eq!(s.seed, 3);
    // Columns on line 1 still count the mark, as an editor shows it: one
    // more than without it.
    let (_, plain, _, _) = parse_error(Scenario::parse_ron_str("(seed: x)"));
    let (line, column, field, _) = parse_error(Scenario::parse_ron_str("\u{feff}(seed: x)"));
    assert_eq!(
        (line, column, field.as_deref()),
        (1, plain + 1, Some("seed"))
    );
    assert_eq!(
        Scenario::parse_ron_bytes(b"\xef\xbb\xbf()").unwrap(),
        Scenario::default()
    );
}

#[test]
fn invalid_utf8_is_reported_at_its_byte() {
    // Line 2, after the 10 characters "  name: \"a" (the "é" before is valid).
    let bytes = b"(\n  name: \"\xc3\xa9a\xff\",\n)";
    let (line, column, _, message) = parse_error(Scenario::parse_ron_bytes(bytes));
    assert_eq!((line, column), (2, 12));
    assert!(
        message.contains("UTF-8") && message.contains("0xff"),
        "{message}"
    );
}

#[test]
fn an_integer_field_says_so() {
    // The parser reads `20`, stops at `.` (column 18) and expected a comma.
    for (text, field, column) in [
        ("(gpus: (count: 20.0))", "gpus.count", 18),
        // `2e1` is refused at its start (column 16) by the parser itself.
        ("(gpus: (count: 2e1))", "gpus.count", 16),
        ("(seed: 1.5)", "seed", 9),
        (
            "(channel: (token_bits: 16.0, bandwidth_up: 1e6))",
            "channel.token_bits",
            26,
        ),
    ] {
        let (line, col, f, message) = parse_error(Scenario::parse_ron_str(text));
        assert_eq!(
            (line, col, f.as_deref()),
            (1, column, Some(field)),
            "{text}"
        );
        assert!(
            message.to_lowercase().contains("integer"),
            "{text}: {message}"
        );
    }
    // The same through an override.
    let e = Scenario::default().set("gpus.count", "20.0").unwrap_err();
    assert!(
        e.to_string().contains("gpus.count") && e.to_string().contains("integer"),
        "{e}"
    );
}

#[test]
fn parse_errors_name_the_field() {
    let (_, _, field, message) = parse_error(Scenario::parse_ron_str(
        "(requests: (latency: Uniform(lo: 1.0)))",
    ));
    assert_eq!(field.as_deref(), Some("requests.latency"), "{message}");
    let (line, _, field, _) = parse_error(Scenario::parse_ron_str("(\n  horizon: \"long\",\n)"));
    assert_eq!((line, field.as_deref()), (2, Some("horizon")));
}

#[test]
fn messages_are_one_line() {
    // A control character in a value is escaped, not echoed.
    let e = Scenario::parse_ron_str("(model: Preset(\"a\u{7}\nb\"))")
        .unwrap()
        .validate()
        .unwrap_err();
    let text = e.to_string();
    assert!(!text.chars().any(char::is_control), "{text:?}");
    assert!(text.contains("\\u{7}") && text.contains("\\n"), "{text}");
    let e =
        Scenario::parse_ron_str("(sweep: Some((grid: [(path: \"a\u{1b}[31m\", values: [1])])))")
            .unwrap()
            .validate()
            .unwrap_err();
    assert!(!e.to_string().chars().any(char::is_control), "{e}");
    let e = Scenario::default().set("name\u{8}", "x").unwrap_err();
    assert!(!e.to_string().chars().any(char::is_control), "{e}");
}

#[test]
fn roofline_scenario_builds_the_roofline_on_the_pool_and_on_one_gpu() {
    use crate::cost::CostSpec;
    let s = Scenario::from_ron_str(
        "(gpus: (count: 4, gpu: Some(Preset(\"L4\"))), model: Preset(\"Llama-3.2-3B\"), \
          quant: Preset(\"FP16\"), cost: Roofline)",
    )
    .unwrap();
    let sys = s.resolve().unwrap();
    // The named GPU sets c and m: 121 TFLOP/s and 24 GB (L4 preset).
    assert_eq!((sys.flops_per_gpu, sys.memory_per_gpu), (121e12, 24e9));
    let CostSpec::Roofline(pooled) = sys.pooled_cost().spec() else {
        panic!("pooled cost is not the roofline")
    };
    assert_eq!(pooled.tp, 4);
    let CostSpec::Roofline(single) = sys.single_gpu_cost().spec() else {
        panic!("single-GPU cost is not the roofline")
    };
    assert_eq!(single.tp, 1);
    // The default stays the paper's model.
    assert!(matches!(
        Scenario::default().resolve().unwrap().pooled_cost().spec(),
        CostSpec::Flops(_)
    ));
}

#[test]
fn continuous_blocks_under_the_roofline_use_the_gpu_preset_and_gqa() {
    // MODEL.md §13 with the roofline's bytes (§11): Llama-3.1-8B FP16 on one
    // A100-80GB, u = 0.9, 16-token blocks. Stored parameters
    // 32·(4096·4096 + 2·4096·8·128 + 4096·4096 + 3·4096·14 336) + 2·4096·128 256
    // = 8 029 995 008, weights 2 bytes each = 16 059 990 016 B; KV per token
    // 2·32·8·128·2 = 131 072 B (8 KV heads), 2 097 152 B a block;
    // ⌊(0.9·80e9 − 16 059 990 016) / 2 097 152⌋ = ⌊26 674.28⌋ = 26 674.
    // (The GPU preset's 80 GB, not the Part I default 32 GB; the roofline's
    // grouped-query KV, not §5's 4·L·d_m.)
    let s = Scenario::from_ron_str(
        "(gpus: (count: 2, gpu: Some(Preset(\"A100-80GB-SXM\"))), model: Preset(\"Llama-3.1-8B\"), \
          quant: Preset(\"FP16\"), cost: Roofline, serving: Continuous(()))",
    )
    .unwrap();
    let c = s.resolve().unwrap().serving.unwrap();
    assert_eq!((c.instances, c.num_blocks), (2, 26_674));
    // T = 2: twice the memory for one copy of the weights, KV split over two
    // GPUs counted whole: ⌊(0.9·160e9 − 16 059 990 016) / 2 097 152⌋ = 61 006.
    let mut t = s.clone();
    t.set("serving.tensor_parallel", "2").unwrap();
    let c = t.resolve().unwrap().serving.unwrap();
    assert_eq!((c.instances, c.num_blocks), (1, 61_006));
}

#[test]
fn custom_model_takes_the_roofline_fields() {
    let s = Scenario::from_ron_str(
        "(gpus: (count: 1, gpu: Some(Preset(\"L4\"))), accuracy_admission: false, cost: Roofline, \
          model: Custom(name: \"tiny\", layers: 2, d_model: 64, d_ff: 256, heads: Some(4), \
          kv_heads: Some(2), vocab: Some(1000), gated: true))",
    )
    .unwrap();
    let sys = s.resolve().unwrap();
    let a = sys.arch.unwrap();
    // head_dim defaults to d/n_h = 64/4 = 16.
    assert_eq!(
        (a.heads, a.kv_heads, a.head_dim, a.gated, a.tied),
        (4, 2, 16, true, false)
    );
    // kv_heads must divide heads: the error names the field.
    let bad = Scenario::from_ron_str(
        "(gpus: (count: 1, gpu: Some(Preset(\"L4\"))), accuracy_admission: false, cost: Roofline, \
          model: Custom(name: \"tiny\", layers: 2, d_model: 64, d_ff: 256, heads: Some(4), \
          kv_heads: Some(3), vocab: Some(1000)))",
    );
    let e = bad.unwrap_err().to_string();
    assert!(e.contains("model.kv_heads"), "{e}");
    // 64/3 is not whole: without head_dim the default would truncate to 21.
    let s = Scenario::from_ron_str(
        "(gpus: (count: 1, gpu: Some(Preset(\"L4\"))), accuracy_admission: false, cost: Roofline, \
          model: Custom(name: \"tiny\", layers: 2, d_model: 64, d_ff: 256, heads: Some(3), \
          vocab: Some(1000)))",
    );
    let e = match s {
        Err(e) => e.to_string(),
        Ok(s) => s.resolve().unwrap_err().to_string(),
    };
    assert!(
        e.contains("model.head_dim") && e.contains("not a multiple"),
        "{e}"
    );
}

#[test]
fn accuracy_admission_rejects_above_the_tolerance() {
    // BLOOM-3B with W8A16 by default: a known ΔPPL d > 0 (MODEL.md §6).
    let mut sys = Scenario::default().resolve().unwrap();
    let d = sys.delta_ppl.expect("the default pair has a ΔPPL");
    assert!(sys.rejects_accuracy(d / 2.0));
    assert!(
        !sys.rejects_accuracy(d),
        "eligible iff ΔPPL ≤ ε_i: equality is eligible"
    );
    sys.accuracy_admission = false;
    assert!(!sys.rejects_accuracy(0.0));
    sys.accuracy_admission = true;
    sys.delta_ppl = None;
    assert!(!sys.rejects_accuracy(0.0), "unknown ΔPPL: accuracy ignored");
}
