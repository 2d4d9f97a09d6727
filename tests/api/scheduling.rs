//! The served binary's worker threads ask the kernel for a short time slice (src/http/slice.rs),
//! and no other thread does.

use crate::helpers::{Served, shipped_types, wait_until_serving};

/// Each thread of `pid`: its name and the slice the kernel gives it, in nanoseconds. A thread
/// that ends while it is listed (a short-lived helper of the start-up) is left out.
fn slices(pid: u32) -> Vec<(String, u64)> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("the process's threads are listed")
        .filter_map(|task| {
            let task = task.ok()?.path();
            let name = std::fs::read_to_string(task.join("comm")).ok()?;
            let sched = std::fs::read_to_string(task.join("sched")).ok()?;
            let slice = sched
                .lines()
                .find(|line| line.starts_with("se.slice"))
                .and_then(|line| line.split(':').nth(1))
                .expect("this kernel reports a slice per thread")
                .trim()
                .parse()
                .expect("a number");
            Some((name.trim().to_string(), slice))
        })
        .collect()
}

#[actix_web::test]
async fn only_the_workers_ask_for_the_short_slice() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("serve.log");
    let served = Served::start_with(
        &[
            "--types",
            shipped_types().to_str().unwrap(),
            "--workers",
            "2",
        ],
        &dir.path().join("data"),
        &log,
    );
    wait_until_serving(&served, &reqwest::Client::new()).await;

    let slices = slices(served.child.id());
    let (workers, others): (Vec<_>, Vec<_>) = slices
        .iter()
        .partition(|(name, _)| name.starts_with("actix-rt|system"));
    assert_eq!(workers.len(), 2, "two workers among {slices:?}");
    for (name, slice) in &workers {
        assert_eq!(*slice, typehouse::http::slice::WORKER_SLICE_NS, "{name}");
    }
    assert!(!others.is_empty());
    for (name, slice) in &others {
        assert_ne!(*slice, typehouse::http::slice::WORKER_SLICE_NS, "{name}");
    }
}
