//! Integration tests of `typehouse check`: each rule broken by a fixture, `--base`, hostile
//! input, the soundness of the compatibility analysis, the binary's exit codes and output formats, and the shipped catalog.

mod actions;
mod architecture;
mod bad_input;
mod base;
mod classify;
mod cli;
mod corpus;
mod helpers;
mod lookup;
mod rules;
mod schema_gen;
mod shipped;
mod soundness;
mod toolchain;
