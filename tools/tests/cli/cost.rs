//! `edgesim cost` and `edgesim calibrate` end to end (MODEL.md §11).

use crate::common::edgesim;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = edgesim().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn one_iteration_has_every_part() {
    let base = ["cost", "--model", "Llama-3.1-8B", "--gpu", "A100-80GB-SXM"];
    let v = json(&[&base[..], &["--decode", "32@1024"]].concat());
    // FLOPs and bytes do not depend on the calibration: the hand figures of
    // sim-models' roofline tests (497 478 008 832 FLOPs, 19 304 284 160 bytes).
    assert_eq!(v["flops"].as_f64(), Some(497_478_008_832.0));
    assert_eq!(v["bytes"].as_f64(), Some(19_304_284_160.0));
    assert_eq!(v["bound"], "memory");
    assert_eq!(v["t_comm"].as_f64(), Some(0.0));
    let (tc, tm, t0) = (
        v["t_compute"].as_f64().unwrap(),
        v["t_memory"].as_f64().unwrap(),
        v["t_0"].as_f64().unwrap(),
    );
    assert_eq!(v["total"].as_f64().unwrap(), tc.max(tm) + t0);

    // A mixed iteration adds both parts' FLOPs: prefill 8×512 alone is
    // 8·(2·L·P·512 + 2·d·V) + 8·4·L·n_h·d_h·131 328 = 8·7 216 729 948 160.
    let p = json(&[&base[..], &["--prefill", "8x512"]].concat());
    assert_eq!(p["flops"].as_f64(), Some(8.0 * 7_216_729_948_160.0));
    assert_eq!(p["bound"], "compute");
    let mixed = json(&[&base[..], &["--prefill", "8x512", "--decode", "32@1024"]].concat());
    assert_eq!(
        mixed["flops"].as_f64(),
        Some(8.0 * 7_216_729_948_160.0 + 497_478_008_832.0)
    );

    // Tensor parallelism adds the all-reduces.
    let tp = json(&[&base[..], &["--decode", "32@1024", "--tp", "4"]].concat());
    assert!(tp["t_comm"].as_f64().unwrap() > 0.0);
}

#[test]
fn an_epoch_batch_orders_its_instants() {
    let v = json(&[
        "cost",
        "--model",
        "Llama-3.2-3B",
        "--gpu",
        "L4",
        "--epoch",
        "512",
        "--outputs",
        "4x128,2x256,1x512",
    ]);
    let first = v["first_token"].as_f64().unwrap();
    let t_batch = v["t_batch"].as_f64().unwrap();
    let levels = v["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 3);
    let mut last = first;
    for l in levels {
        let f = l["finish"].as_f64().unwrap();
        assert!(last <= f && f <= t_batch, "{v}");
        last = f;
    }
    assert_eq!(last, t_batch);
    assert_eq!(v["requests"].as_u64(), Some(7));
    assert_eq!(v["iterations"].as_u64(), Some(512));
    assert_eq!(v["fits"], true);
}

#[test]
fn bad_flags_name_the_flag() {
    let base = ["cost", "--model", "Llama-3.1-8B", "--gpu", "A100-80GB-SXM"];
    for (extra, expect) in [
        (
            &["--prefill", "8*512"][..],
            "--prefill: expected COUNTxTOKENS",
        ),
        (&["--prefill", "0x512"][..], "--prefill"),
        (
            &["--decode", "32x1024"][..],
            "--decode: expected COUNT@CONTEXT",
        ),
        (
            &["--epoch", "512", "--outputs", "4x"][..],
            "--outputs: expected COUNTxN",
        ),
        (&["--tp", "0", "--decode", "1@1"][..], "--tp"),
        (&[][..], "give the iteration"),
    ] {
        let (code, _, err) = run(&[&base[..], extra].concat());
        assert_eq!(code, 2, "{extra:?}: {err}");
        assert!(err.contains(expect), "{extra:?}: {err}");
    }
    for (args, expect) in [
        (
            [
                "cost", "--model", "Llama-9", "--gpu", "L4", "--decode", "1@1",
            ],
            "--model: unknown preset \"Llama-9\"",
        ),
        (
            [
                "cost",
                "--model",
                "Mistral-7B",
                "--gpu",
                "B200",
                "--decode",
                "1@1",
            ],
            "--gpu: unknown preset \"B200\"",
        ),
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(expect), "{err}");
    }
    let (code, _, err) = run(&[&base[..], &["--quant", "Q3", "--decode", "1@1"]].concat());
    assert_eq!(code, 2);
    assert!(err.contains("--quant: unknown preset"), "{err}");
}

/// The shipped A100 and H100 constants are what one command fits, and the
/// error it reports on the held-out rows is the one docs/cost-model.md quotes.
#[test]
fn calibration_reproduces_from_one_command() {
    for (hw, gpu) in [("a100-80gb", "A100-80GB-SXM"), ("h100-80gb", "H100-SXM")] {
        let data = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../data/measured/splitwise_perf_model.csv"
        );
        let v = json(&[
            "calibrate",
            "--data",
            data,
            "--hardware",
            hw,
            "--fit-tp",
            "2,4",
            "--fit-model",
            "llama2-70b",
        ]);
        let shipped = sim_models::cost::gpu_preset(gpu).unwrap();
        assert!(shipped.fitted, "{gpu}");
        for (k, x) in [
            ("eta_f", shipped.params.eta_f),
            ("eta_b", shipped.params.eta_b),
            ("t_0", shipped.params.t_0),
        ] {
            // To the last few bits (the fit is deterministic; a change in the
            // roofline's arithmetic order may move the last digit).
            let got = v["fit"][k].as_f64().unwrap();
            assert!(
                (got - x).abs() <= 1e-9 * x.abs(),
                "{gpu} {k}: {got} vs shipped {x}"
            );
        }
        // 2 fit groups (TP 2, 4) and 2 held out (llama TP 8, bloom TP 8), two phases each.
        assert_eq!(v["groups"].as_array().unwrap().len(), 8, "{v}");
        assert_eq!(v["fit_rows"].as_u64(), Some(210));
        assert_eq!(v["held_out_rows"].as_u64(), Some(210));
    }
}

#[test]
fn calibrate_bad_input_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("m.csv");
    const HEADER: &str =
        "model,hardware,prompt_size,batch_size,token_size,prompt_time,token_time,tensor_parallel\n";
    // Rows after the header; the error must contain `want`.
    let refused = |rows: &str, want: &str| {
        std::fs::write(&bad, format!("{HEADER}{rows}")).unwrap();
        let path = bad.to_str().unwrap();
        let (code, _, err) = run(&["calibrate", "--data", path, "--hardware", "a100-80gb"]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(want), "want {want:?} in {err}");
    };
    refused(
        "llama2-70b,a100-80gb,512,1,1,100.0,40.0,2\n",
        ":2: column `token_size`",
    );
    // A quoted field spanning two lines: the bad row starts on line 4, not
    // at header + 2 records = 3.
    refused(
        "llama2-70b,\"a100-80gb\nrack 2\",512,1,8,100.0,40.0,2\n\
         llama2-70b,a100-80gb,512,1,1,100.0,40.0,2\n",
        ":4: column `token_size`",
    );
    // A value that is not a number names its line too.
    refused("llama2-70b,a100-80gb,512,1,8,fast,40.0,2\n", "m.csv:2:");
    let (code, _, err) = run(&[
        "calibrate",
        "--data",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../data/measured/splitwise_perf_model.csv"
        ),
        "--hardware",
        "tpu-v5",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--hardware: no rows of \"tpu-v5\""), "{err}");
}
