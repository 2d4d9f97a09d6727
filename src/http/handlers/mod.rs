//! Request handlers, one module per resource; what several of them share is in [`shared`],
//! which none of them is imported by.

pub mod classify;
pub mod hooks;
pub mod media_types;
pub mod meta;
pub mod pages;
pub mod registries;
pub mod shared;
pub mod submissions;
pub mod types;
