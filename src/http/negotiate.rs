//! Content negotiation: does the client prefer the HTML page or the JSON document?

use actix_web::HttpRequest;
use actix_web::http::header;

/// True when `Accept` ranks `text/html` above JSON (browsers do; curl's `*/*` does not).
pub fn prefers_html(request: &HttpRequest) -> bool {
    let Some(accept) = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let html = quality(accept, "text", "html");
    let json = quality(accept, "application", "json");
    html > json
}

/// The q-value `accept` gives to `top/sub`, by its most specific matching range.
fn quality(accept: &str, top: &str, sub: &str) -> f32 {
    let mut best: Option<(u8, f32)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let Some((range_top, range_sub)) = parts.next().and_then(|r| r.split_once('/')) else {
            continue;
        };
        let q = parts
            .find_map(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let specificity = match (range_top, range_sub) {
            (t, s) if t.eq_ignore_ascii_case(top) && s.eq_ignore_ascii_case(sub) => 3,
            (t, "*") if t.eq_ignore_ascii_case(top) => 2,
            ("*", "*") => 1,
            _ => continue,
        };
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, q));
        }
    }
    best.map_or(0.0, |(_, q)| q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_by_specificity_and_quality() {
        let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert!(quality(browser, "text", "html") > quality(browser, "application", "json"));
        assert_eq!(
            quality("*/*", "text", "html"),
            quality("*/*", "application", "json")
        );
        assert_eq!(
            quality("application/json, text/html;q=0.5", "text", "html"),
            0.5
        );
        assert_eq!(quality("application/json", "text", "html"), 0.0);
    }
}
