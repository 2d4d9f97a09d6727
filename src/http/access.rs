//! Who may do what: review tokens (compared in constant time, never logged), who the client
//! is (its address, or what a trusted proxy says it is), the per-client rate limits and the
//! one bounded queue every check of a definition waits in.

use std::collections::HashMap;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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

/// Why a check was not admitted, with the seconds to wait before trying again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// This client used up its checks for now: 429.
    RateLimited(u64),
    /// Every slot runs and the queue is full: 503.
    Full(u64),
}

/// The one queue every check of a definition goes through (the dry run, a submission, the
/// submit form's Check, an approval's re-check): at most `running` at once, at most `waiting`
/// more in line, each client limited to `per_minute`. A check costs CPU for as long as it
/// runs, so past this the service refuses rather than slowing every other answer.
pub struct CheckQueue {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
    limiter: RateLimiter,
}

/// A check may run while this is held.
pub struct Admitted {
    _slot: OwnedSemaphorePermit,
}

impl CheckQueue {
    pub fn new(running: usize, max_waiting: usize, per_minute: u32) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(running.max(1))),
            waiting: AtomicUsize::new(0),
            max_waiting,
            limiter: RateLimiter::new(per_minute),
        }
    }

    /// One slot per core: checks are CPU work.
    pub fn per_core(per_minute: u32) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Self::new(cores, cores * 4, per_minute)
    }

    /// Waits for a slot; refuses at once when `client` is over its limit or the line is full.
    /// `None` is a check nobody outside asked for, counted against no client.
    pub async fn admit(&self, client: Option<IpAddr>) -> Result<Admitted, Refusal> {
        if let Some(client) = client {
            self.limiter.check(client).map_err(Refusal::RateLimited)?;
        }
        if let Ok(slot) = Arc::clone(&self.slots).try_acquire_owned() {
            return Ok(Admitted { _slot: slot });
        }
        let in_line = self.waiting.fetch_add(1, Ordering::SeqCst);
        if in_line >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Refusal::Full(1));
        }
        let slot = Arc::clone(&self.slots).acquire_owned().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        // The semaphore is never closed.
        slot.map(|slot| Admitted { _slot: slot })
            .map_err(|_| Refusal::Full(1))
    }
}

/// An address range, `10.0.0.0/8` or `fd00::/8`; a bare address is a range of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address.parse().map_err(|_| {
            format!("`{text}` is not an address range: write it as 10.0.0.0/8 or fd00::/8")
        })?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(|| format!("`{text}`: the prefix length must be 0 to {bits}"))?,
        };
        Ok(Self { network, prefix })
    }
}

impl Cidr {
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        match (canonical(self.network), address) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4 peer on a dual-stack socket shows as `::ffff:a.b.c.d`.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

/// Parses `--trusted-proxies`: ranges separated by commas.
pub fn parse_trusted_proxies(setting: &str) -> Result<Vec<Cidr>, String> {
    setting
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(Cidr::from_str)
        .collect()
}

/// The client a request counts against. Only a peer in `trusted` is believed about who it
/// forwards for: then the client is the nearest address in `Forwarded` (or, without it,
/// `X-Forwarded-For`) that is not itself a trusted proxy. Anyone else can write those headers,
/// so from any other peer they are ignored and the peer is the client.
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded: Option<&str>,
    x_forwarded_for: Option<&str>,
    trusted: &[Cidr],
) -> Option<IpAddr> {
    let peer = canonical(peer?);
    let is_trusted = |address: IpAddr| trusted.iter().any(|range| range.contains(address));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let chain: Vec<Option<IpAddr>> = match (forwarded, x_forwarded_for) {
        (Some(forwarded), _) => forwarded_for(forwarded),
        (None, Some(list)) => list
            .split(',')
            .map(|entry| parse_node(entry.trim()))
            .collect(),
        (None, None) => return Some(peer),
    };
    // Nearest hop first: each proxy appends the address it received from.
    for hop in chain.into_iter().rev() {
        match hop {
            Some(address) if is_trusted(address) => continue,
            Some(address) => return Some(canonical(address)),
            // An unknown or obfuscated hop: nothing further is worth believing.
            None => return Some(peer),
        }
    }
    Some(peer)
}

/// The `for=` of each element of a `Forwarded` header (RFC 7239), in order.
fn forwarded_for(header: &str) -> Vec<Option<IpAddr>> {
    header
        .split(',')
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| parse_node(value.trim().trim_matches('"')))
            })
        })
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    node.parse().ok().or_else(|| {
        node.rsplit_once(':')
            .and_then(|(address, _)| address.parse().ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let trusted = parse_trusted_proxies("10.0.0.0/8, fd00::/8").unwrap();
        let outsider = Some(ip("203.0.113.9"));
        // From an untrusted peer, the headers are anyone's words.
        assert_eq!(
            client_address(
                outsider,
                Some("for=198.51.100.1"),
                Some("198.51.100.2"),
                &trusted
            ),
            outsider
        );
        let proxy = Some(ip("10.1.2.3"));
        assert_eq!(
            client_address(proxy, None, Some("198.51.100.7, 10.9.9.9"), &trusted),
            Some(ip("198.51.100.7"))
        );
        // A client cannot pick its identity by writing the header first: the nearest untrusted hop counts.
        assert_eq!(
            client_address(proxy, None, Some("1.1.1.1, 198.51.100.7"), &trusted),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(
            client_address(
                proxy,
                Some("for=\"[2001:db8::5]:80\";proto=https"),
                None,
                &trusted
            ),
            Some(ip("2001:db8::5"))
        );
        assert_eq!(
            client_address(proxy, Some("for=unknown"), None, &trusted),
            proxy
        );
        assert_eq!(client_address(proxy, None, None, &trusted), proxy);
        // With no trusted proxies, nobody is believed.
        assert_eq!(
            client_address(proxy, None, Some("198.51.100.7"), &[]),
            proxy
        );
        assert_eq!(
            client_address(
                Some(ip("::ffff:10.0.0.1")),
                None,
                Some("198.51.100.7"),
                &trusted
            ),
            Some(ip("198.51.100.7"))
        );
    }

    #[test]
    fn address_ranges_parse_strictly() {
        assert!(parse_trusted_proxies("10.0.0.0/33").is_err());
        assert!(parse_trusted_proxies("proxy.example").is_err());
        let ranges = parse_trusted_proxies("192.168.1.0/24,::1").unwrap();
        assert!(ranges[0].contains(ip("192.168.1.200")));
        assert!(!ranges[0].contains(ip("192.168.2.1")));
        assert!(ranges[1].contains(ip("::1")));
        assert!(parse_trusted_proxies("0.0.0.0/0").unwrap()[0].contains(ip("8.8.8.8")));
    }

    #[tokio::test]
    async fn the_check_queue_runs_its_slots_then_lines_up_then_refuses() {
        let queue = CheckQueue::new(1, 1, 0);
        let first = queue.admit(None).await.unwrap();
        let queue = Arc::new(queue);
        let waiting = {
            let queue = Arc::clone(&queue);
            tokio::spawn(async move { queue.admit(None).await.map(|_| ()) })
        };
        while queue.waiting.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(queue.admit(None).await.err(), Some(Refusal::Full(1)));
        drop(first);
        assert_eq!(waiting.await.unwrap(), Ok(()));
        let limited = CheckQueue::new(4, 4, 1);
        let client = Some(ip("192.0.2.1"));
        let _kept = limited.admit(client).await.unwrap();
        assert!(matches!(
            limited.admit(client).await,
            Err(Refusal::RateLimited(_))
        ));
    }

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
