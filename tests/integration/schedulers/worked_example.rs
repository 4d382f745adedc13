//! The hand-counted node example of MODEL.md §7 (`scenarios/examples/dftsp-nodes.ron`).

use sim_models::instance::Instance;
use sim_models::scheduler::SchedulerSpec;
use sim_schedulers::dftsp::Dftsp;
use sim_schedulers::options::ZStart;
use sim_schedulers::solve_instance;
use sim_schedulers::tree_search::TreeSearch;

const EXAMPLE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../scenarios/examples/dftsp-nodes.ron"
));

fn ids(inst: &Instance, sel: &[usize]) -> Vec<u64> {
    sel.iter().map(|&i| inst.requests[i].id).collect()
}

#[test]
fn dftsp_enters_5_nodes_and_tree_search_16() {
    // From the file's comment: three trees (z=3,d=3), (z=2,d=2), (z=2,d=3);
    // dftsp 2 + 2 + 1 = 5 nodes, tree-search 9 + 6 + 1 = 16; answer ids [2, 3].
    let inst = Instance::from_ron_str(EXAMPLE).unwrap();
    let (sel, work) = Dftsp::new(ZStart::Bound).solve(&inst);
    assert_eq!(ids(&inst, &sel), vec![2, 3]);
    assert_eq!(work.nodes, 5);
    let (sel, work) = TreeSearch::new(ZStart::Bound).solve(&inst);
    assert_eq!(ids(&inst, &sel), vec![2, 3]);
    assert_eq!(work.nodes, 16);
}

#[test]
fn z_start_all_is_the_same_here() {
    // z_max = 3 = the candidate count (0.0343 + 0.0343 + 0.0517 s ≤ 1.5 s), so
    // starting at the count searches the same three trees.
    let inst = Instance::from_ron_str(EXAMPLE).unwrap();
    let (sel, work) = Dftsp::new(ZStart::All).solve(&inst);
    assert_eq!((ids(&inst, &sel), work.nodes), (vec![2, 3], 5));
    let (_, work) = TreeSearch::new(ZStart::All).solve(&inst);
    assert_eq!(work.nodes, 16);
}

#[test]
fn every_batching_scheduler_solves_the_example() {
    // exhaustive: {1,2,3} needs 0.1201 s > 0.08 s (ids 2, 3's room); {1,2}, {1,3}
    // need 0.0859 s > 0.08; {2,3} needs 0.0686 s ≤ 0.08 → [2, 3] is the unique optimum.
    // greedy (earliest budget first): 2, then 3 (0.0686 s fits), then 1 would make
    // 0.1201 s > 0.08 → [2, 3]. static: b from the instance's own worst case
    // (prompt 128, output 256), arrival order 1, 2, 3: {1} fits, {1,2} = 0.0859 s > 0.08,
    // {1,3} likewise → [1].
    let inst = Instance::from_ron_str(EXAMPLE).unwrap();
    for (name, want) in [
        ("dftsp", vec![2, 3]),
        ("tree-search", vec![2, 3]),
        ("exhaustive", vec![2, 3]),
        ("greedy", vec![2, 3]),
        ("static", vec![1]),
    ] {
        let (plan, _ns) = solve_instance(&SchedulerSpec::named(name), &inst, None).unwrap();
        assert_eq!(ids(&inst, &plan.selected()), want, "{name}");
    }
}
