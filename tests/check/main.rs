//! Integration tests of `typehouse check`: each rule broken by a fixture, `--base`, hostile
//! input, the binary's exit codes and output formats, and the shipped catalog.

mod architecture;
mod bad_input;
mod base;
mod classify;
mod cli;
mod corpus;
mod helpers;
mod rules;
mod shipped;
mod toolchain;
