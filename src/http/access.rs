//! Who may do what: review tokens (compared in constant time, never logged) and the
//! per-client rate limit on new submissions.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// Review tokens, each with the label recorded in a submission's history.
///
/// `TYPEHOUSE_REVIEW_TOKEN` holds one token, or `label:token` pairs separated by commas.
pub struct ReviewTokens {
    /// (label, SHA-256 of the token): only digests are kept, and compared.
    tokens: Vec<(String, [u8; 32])>,
}

/// The label of a bare token.
const DEFAULT_LABEL: &str = "reviewer";

impl ReviewTokens {
    pub fn parse(setting: Option<&str>) -> Self {
        let tokens = setting
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| match entry.split_once(':') {
                Some((label, token)) if !label.is_empty() && !token.is_empty() => {
                    (label.to_string(), digest(token))
                }
                _ => (DEFAULT_LABEL.to_string(), digest(entry)),
            })
            .collect();
        Self { tokens }
    }

    pub fn is_enabled(&self) -> bool {
        !self.tokens.is_empty()
    }

    /// The label of the token `presented`, comparing against every token in constant time
    /// (digests have one length whatever the token's, and every entry is compared).
    pub fn label_of(&self, presented: &str) -> Option<&str> {
        let presented = digest(presented);
        let mut found = None;
        for (label, expected) in &self.tokens {
            let difference = expected
                .iter()
                .zip(presented.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if difference == 0 && found.is_none() {
                found = Some(label.as_str());
            }
        }
        found
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A token bucket per client address.
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

/// Buckets idle this long are forgotten, so the map cannot grow without bound.
const IDLE: Duration = Duration::from_secs(600);

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `client`'s bucket; `Err` holds the seconds until the next one.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let refill_per_second = capacity / 60.0;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 10_000 {
            buckets.retain(|_, (_, last)| now.duration_since(*last) < IDLE);
        }
        let (tokens, last) = buckets.entry(client).or_insert((capacity, now));
        *tokens =
            (*tokens + now.duration_since(*last).as_secs_f64() * refill_per_second).min(capacity);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / refill_per_second).ceil() as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_exactly_and_carry_their_label() {
        let tokens = ReviewTokens::parse(Some("alice:s3cret, bob:other,plain"));
        assert_eq!(tokens.label_of("s3cret"), Some("alice"));
        assert_eq!(tokens.label_of("other"), Some("bob"));
        assert_eq!(tokens.label_of("plain"), Some("reviewer"));
        assert_eq!(tokens.label_of("s3cre"), None);
        assert_eq!(tokens.label_of(""), None);
        assert!(!ReviewTokens::parse(None).is_enabled());
        assert!(!ReviewTokens::parse(Some(" , ")).is_enabled());
    }

    #[test]
    fn the_rate_limit_allows_a_burst_then_refuses() {
        let limiter = RateLimiter::new(3);
        let client: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check(client).is_ok());
        }
        let wait = limiter.check(client).unwrap_err();
        assert!((1..=20).contains(&wait), "{wait}");
        assert!(limiter.check("127.0.0.2".parse().unwrap()).is_ok());
    }
}
