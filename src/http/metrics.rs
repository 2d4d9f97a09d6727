//! Prometheus metrics in the text exposition format: requests by route and status, a latency
//! histogram, the catalog version and reload counts.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::http::Method;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 10] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0,
];

/// Each thread records into one shard, so that workers answering at the same time neither wait
/// for one lock nor pass its cache line back and forth on every request; rendering sums them.
const SHARDS: usize = 8;

#[derive(Default)]
pub struct Metrics {
    shards: [Shard; SHARDS],
}

/// Aligned so that two shards never share a cache line.
#[derive(Default)]
#[repr(align(128))]
struct Shard(Mutex<Inner>);

#[derive(Default)]
struct Inner {
    /// By method, route pattern and status. Static labels: recording allocates nothing.
    requests: BTreeMap<(&'static str, &'static str, u16), u64>,
    latency_buckets: [u64; BUCKETS.len()],
    latency_count: u64,
    latency_sum: f64,
}

impl Metrics {
    pub fn record(&self, method: &Method, route: &'static str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let mut inner = self.shards[shard_of_this_thread()]
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *inner
            .requests
            .entry((method_label(method), route, status))
            .or_default() += 1;
        for (bucket, bound) in inner.latency_buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        inner.latency_count += 1;
        inner.latency_sum += seconds;
    }

    /// Every shard added up.
    fn total(&self) -> Inner {
        let mut total = Inner::default();
        for shard in &self.shards {
            let inner = shard
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for (key, count) in &inner.requests {
                *total.requests.entry(*key).or_default() += count;
            }
            for (sum, count) in total.latency_buckets.iter_mut().zip(inner.latency_buckets) {
                *sum += count;
            }
            total.latency_count += inner.latency_count;
            total.latency_sum += inner.latency_sum;
        }
        total
    }

    /// The exposition text; `gauges` are extra (name, help, labels, value) lines.
    pub fn render(&self, gauges: &[(&str, &str, String, f64)]) -> String {
        let inner = self.total();
        let mut out = String::new();
        out.push_str(
            "# HELP typehouse_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE typehouse_http_requests_total counter\n");
        for ((method, route, status), count) in &inner.requests {
            let _ = writeln!(
                out,
                "typehouse_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {count}",
                escape(method),
                escape(route)
            );
        }
        out.push_str("# HELP typehouse_http_request_duration_seconds Time to answer a request.\n");
        out.push_str("# TYPE typehouse_http_request_duration_seconds histogram\n");
        for (bound, count) in BUCKETS.iter().zip(inner.latency_buckets) {
            let _ = writeln!(
                out,
                "typehouse_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "typehouse_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            inner.latency_count
        );
        let _ = writeln!(
            out,
            "typehouse_http_request_duration_seconds_sum {}",
            inner.latency_sum
        );
        let _ = writeln!(
            out,
            "typehouse_http_request_duration_seconds_count {}",
            inner.latency_count
        );
        for (name, help, labels, value) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}");
            let kind = if name.ends_with("_total") {
                "counter"
            } else {
                "gauge"
            };
            let _ = writeln!(out, "# TYPE {name} {kind}");
            let _ = writeln!(out, "{name}{labels} {value}");
        }
        out
    }
}

/// The shard of the calling thread: threads take them in turn, on first use.
fn shard_of_this_thread() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    SHARD.with(|shard| *shard)
}

/// Methods outside the standard set share one label, so clients cannot grow the metrics.
fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "PATCH" => "PATCH",
        "TRACE" => "TRACE",
        "CONNECT" => "CONNECT",
        _ => "OTHER",
    }
}

/// Label values escape backslash, quote and newline.
pub fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_sum_of_what_every_thread_recorded() {
        let metrics = Metrics::default();
        std::thread::scope(|scope| {
            for _ in 0..SHARDS + 1 {
                scope.spawn(|| {
                    metrics.record(&Method::GET, "/types/{key}", 200, Duration::from_millis(2));
                });
            }
        });
        metrics.record(
            &Method::GET,
            "/types/{key}",
            404,
            Duration::from_micros(100),
        );
        let text = metrics.render(&[]);
        let requests = format!(
            "typehouse_http_requests_total{{method=\"GET\",route=\"/types/{{key}}\",status=\"200\"}} {}",
            SHARDS + 1
        );
        assert!(text.contains(&requests), "{text}");
        assert!(text.contains("status=\"404\"} 1"), "{text}");
        assert!(
            text.contains("duration_seconds_bucket{le=\"0.0005\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("duration_seconds_bucket{le=\"0.0025\"} 10\n"),
            "{text}"
        );
        assert!(text.contains("duration_seconds_count 10\n"), "{text}");
    }
}
