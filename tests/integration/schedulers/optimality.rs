//! Optimality and feasibility of the batching schedulers on random instances,
//! against exhaustive enumeration (small) and an independent MILP (large).

use super::common::{assert_feasible, milp_optimum, random_instance, Gains, GenParams};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use sim_models::feasibility::check_plan;
use sim_models::instance::Instance;
use sim_models::scheduler::{EpochView, GpuView, SchedulerSpec};
use sim_schedulers::dftsp::Dftsp;
use sim_schedulers::options::ZStart;
use sim_schedulers::tree_search::TreeSearch;
use sim_schedulers::{exhaustive, greedy, solve_instance};

fn runner(cases: u32, seed: u64) -> TestRunner {
    TestRunner::new(Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    })
}

/// Per-instance tallies, to show the generator makes the constraints bind.
#[derive(Default)]
struct Tally {
    cases: usize,
    strictly_between: usize,
}

#[test]
fn shared_gain_dftsp_is_optimal_and_everyone_feasible() {
    let tally = std::cell::RefCell::new(Tally::default());
    let params = GenParams {
        n_min: 0,
        n_max: 14,
        gains: Gains::Shared,
    };
    runner(1000, 0x5EED_0001)
        .run(&any::<u64>(), |seed| {
            let inst = random_instance(seed, params);
            let (ex, _) = exhaustive::solve(&inst).expect("≤ 14 candidates");
            let (dft, dw) = Dftsp::new(ZStart::Bound).solve(&inst);
            let (ts, tw) = TreeSearch::new(ZStart::Bound).solve(&inst);
            assert_feasible(&inst, &ex, "exhaustive");
            assert_feasible(&inst, &dft, "dftsp");
            prop_assert_eq!(dft.len(), ex.len(), "dftsp vs exhaustive, seed {}", seed);
            prop_assert_eq!(&ts, &dft, "tree-search selection, seed {}", seed);
            prop_assert!(tw.nodes >= dw.nodes, "pruning can only remove nodes");
            let (all, _) = Dftsp::new(ZStart::All).solve(&inst);
            prop_assert_eq!(&all, &dft, "z_start all, seed {}", seed);
            let (gr, _) = greedy::solve(&inst);
            assert_feasible(&inst, &gr, "greedy");
            prop_assert!(gr.len() <= ex.len());
            check_static_and_nobatch(&inst);
            let selectable = inst.requests.iter().filter(|c| inst.selectable(c)).count();
            let mut t = tally.borrow_mut();
            t.cases += 1;
            if !ex.is_empty() && ex.len() < selectable {
                t.strictly_between += 1;
            }
            Ok(())
        })
        .unwrap();
    let t = tally.into_inner();
    println!(
        "{}/{} instances have 0 < optimum < selectable",
        t.strictly_between, t.cases
    );
    // The test is only as strong as its instances: most must have an optimum
    // strictly between 0 and the number of selectable candidates.
    assert!(
        t.strictly_between * 2 >= t.cases,
        "only {}/{} instances bind",
        t.strictly_between,
        t.cases
    );
}

/// `static` (b from the instance's own worst case) returns a feasible batch;
/// `nobatch` on 4 GPUs of a quarter of the pool returns a plan `check_plan` accepts.
fn check_static_and_nobatch(inst: &Instance) {
    match solve_instance(&SchedulerSpec::named("static"), inst, None) {
        Ok((plan, _)) => assert_feasible(inst, &plan.selected(), "static"),
        Err(e) => assert!(e.to_string().contains("b = 0"), "{e}"),
    }
    let busy = [0u64, 10 * inst.t_u_ns + 1, 0, 0];
    let pooled = *inst.flops_cost().unwrap();
    let one_gpu = sim_models::cost::FlopsCost {
        flop_rate: pooled.flop_rate / 4.0,
        ..pooled
    };
    let view = EpochView {
        epoch: 0,
        t_k_ns: 0,
        instance: inst,
        gpus: GpuView {
            count: 4,
            single_gpu_cost: &one_gpu,
            memory_per_gpu: inst.memory / 4.0,
            busy_until_ns: &busy,
            compute_start_ns: inst.t_u_ns,
        },
    };
    let mut nob = sim_schedulers::nobatch::NoBatch::new(true);
    let plan = sim_models::scheduler::Scheduler::schedule(&mut nob, &view).unwrap();
    assert_eq!(
        check_plan(&view, &plan).violations(),
        0,
        "nobatch plan refused"
    );
}

#[test]
fn per_user_gains_dftsp_and_greedy_feasible_never_above_exhaustive() {
    let params = GenParams {
        n_min: 0,
        n_max: 14,
        gains: Gains::PerUser,
    };
    let below = std::cell::Cell::new(0usize);
    runner(600, 0x5EED_0002)
        .run(&any::<u64>(), |seed| {
            let inst = random_instance(seed, params);
            let (ex, _) = exhaustive::solve(&inst).expect("≤ 14 candidates");
            assert_feasible(&inst, &ex, "exhaustive");
            for (who, sel) in [
                ("dftsp", Dftsp::new(ZStart::Bound).solve(&inst).0),
                ("tree-search", TreeSearch::new(ZStart::Bound).solve(&inst).0),
                ("greedy", greedy::solve(&inst).0),
            ] {
                assert_feasible(&inst, &sel, who);
                prop_assert!(
                    sel.len() <= ex.len(),
                    "{} beats exhaustive, seed {}",
                    who,
                    seed
                );
            }
            if Dftsp::new(ZStart::Bound).solve(&inst).0.len() < ex.len() {
                below.set(below.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    // Not an assertion of suboptimality, just evidence the instances exercise it.
    println!(
        "dftsp below the optimum on {} of 600 per-user-gain instances",
        below.get()
    );
}

#[test]
fn large_shared_gain_instances_match_the_milp() {
    // 30–80 candidates, too many for exhaustive. Few cases: each cap is one MILP.
    let params = GenParams {
        n_min: 30,
        n_max: 80,
        gains: Gains::Shared,
    };
    let mut nonzero = 0;
    for seed in 0..24u64 {
        let inst = random_instance(0xB16_0000 + seed, params);
        let (dft, _) = Dftsp::new(ZStart::Bound).solve(&inst);
        assert_feasible(&inst, &dft, "dftsp");
        let milp = milp_optimum(&inst);
        assert_eq!(
            dft.len(),
            milp.count,
            "seed {seed}: dftsp {dft:?} vs MILP {:?}",
            milp.selection
        );
        if milp.count > 0 {
            nonzero += 1;
        }
    }
    assert!(
        nonzero >= 12,
        "only {nonzero} of 24 large instances have a non-empty optimum"
    );
}
