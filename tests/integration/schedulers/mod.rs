//! The schedulers against hand-built instances, the worked example, an
//! independent MILP oracle of problem P1, and a reference of nodes, leaves
//! and selections recorded from earlier code (a few instances on disk, and
//! every instance of the paper sweeps digested per run).

mod common;
mod exact;
mod general;
mod hand_built;
mod optimality;
mod paper_sweeps;
mod reference;
mod worked_example;
