//! Markdown from definitions rendered safely: raw HTML is shown as escaped text, links keep only
//! `http(s)` and relative targets and open with `rel="noopener noreferrer"`, images become
//! links (nothing is loaded because of catalog content), headings start below the page's own.

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};

/// Renders a block of Markdown (a description) to HTML that is safe to insert as is.
pub fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut events = Vec::new();
    // Whether each open link was kept, so its end tag matches.
    let mut links: Vec<bool> = Vec::new();
    for event in Parser::new_ext(markdown, options) {
        match event {
            // Shown as text, quotes escaped too, so nothing of it reads as markup.
            Event::Html(raw) | Event::InlineHtml(raw) => {
                events.push(Event::Html(escape_attribute(&raw).into()));
            }
            Event::Start(Tag::HtmlBlock) | Event::End(TagEnd::HtmlBlock) => {}
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) => events.push(Event::Start(Tag::Heading {
                level: demote(level),
                id,
                classes,
                attrs,
            })),
            Event::End(TagEnd::Heading(level)) => {
                events.push(Event::End(TagEnd::Heading(demote(level))));
            }
            // An image is shown as a link to it, labelled with its alt text.
            Event::Start(
                Tag::Link {
                    dest_url, title, ..
                }
                | Tag::Image {
                    dest_url, title, ..
                },
            ) => {
                let kept = is_safe_url(&dest_url);
                if kept {
                    events.push(Event::Html(open_link(&dest_url, &title)));
                }
                links.push(kept);
            }
            Event::End(TagEnd::Link | TagEnd::Image) => {
                if links.pop().unwrap_or(false) {
                    events.push(Event::Html("</a>".into()));
                }
            }
            other => events.push(other),
        }
    }
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events.into_iter());
    out
}

/// Renders a short Markdown text (a layer description) without its paragraph wrapper.
pub fn render_inline(markdown: &str) -> String {
    let html = render(markdown);
    let trimmed = html.trim_end();
    match trimmed
        .strip_prefix("<p>")
        .and_then(|inner| inner.strip_suffix("</p>"))
    {
        Some(inner) if !inner.contains("<p>") => inner.to_string(),
        _ => html,
    }
}

/// `http(s)` URLs and relative references; never `javascript:`, `data:` or other schemes.
pub fn is_safe_url(url: &str) -> bool {
    if url.is_empty() || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return false;
    }
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return true;
    }
    // Relative: no scheme, i.e. no `:` before the first `/`, `?` or `#`.
    let head = url.split(['/', '?', '#']).next().unwrap_or_default();
    !head.contains(':') && !url.starts_with('\\')
}

/// Description headings sit below the page's `h2` sections.
fn demote(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H3,
        HeadingLevel::H2 => HeadingLevel::H4,
        HeadingLevel::H3 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

fn open_link<'a>(url: &str, title: &str) -> CowStr<'a> {
    let title = if title.is_empty() {
        String::new()
    } else {
        format!(" title=\"{}\"", escape_attribute(title))
    };
    format!(
        "<a href=\"{}\"{title} rel=\"noopener noreferrer\">",
        escape_attribute(url)
    )
    .into()
}

/// Escapes text for a double-quoted HTML attribute.
pub fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = render("Hello <script>alert(1)</script>\n\n<div onclick=\"x()\">block</div>\n");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<div"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(html.contains("&lt;div onclick="), "{html}");
    }

    #[test]
    fn only_http_and_relative_links_survive() {
        let html = render(
            "[a](https://example.com/x?y=1&z=2) [b](javascript:alert(1)) [c](../other) \
             [d](JAVASCRIPT:alert(1)) [e](data:text/html,x) <https://auto.example>",
        );
        assert!(
            html.contains(
                "<a href=\"https://example.com/x?y=1&amp;z=2\" rel=\"noopener noreferrer\">a</a>"
            ),
            "{html}"
        );
        assert!(
            !html.to_ascii_lowercase().contains("javascript:alert(1)\""),
            "{html}"
        );
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(!html.contains("href=\"data:"), "{html}");
        assert!(
            html.contains("<a href=\"../other\" rel=\"noopener noreferrer\">c</a>"),
            "{html}"
        );
        assert!(html.contains("href=\"https://auto.example\""), "{html}");
        assert_eq!(html.matches("<a ").count(), 3, "{html}");
        assert_eq!(html.matches("</a>").count(), 3, "{html}");
    }

    #[test]
    fn images_become_links_and_headings_are_demoted() {
        let html = render("# Title\n\n![logo](https://example.com/logo.png)\n");
        assert!(html.contains("<h3>Title</h3>"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains("href=\"https://example.com/logo.png\""),
            "{html}"
        );
        assert!(html.contains(">logo</a>"), "{html}");
    }

    #[test]
    fn recognises_safe_urls() {
        for url in [
            "https://x.example",
            "HTTP://x.example",
            "a/b",
            "#top",
            "?q=1",
            "/abs",
        ] {
            assert!(is_safe_url(url), "{url}");
        }
        for url in [
            "javascript:alert(1)",
            "java\tscript:alert(1)",
            " javascript:x",
            "vbscript:x",
            "data:text/html,x",
            "mailto:x@example.com",
            "",
        ] {
            assert!(!is_safe_url(url), "{url}");
        }
    }

    #[test]
    fn inline_rendering_drops_the_paragraph() {
        assert_eq!(render_inline("The `x` layer."), "The <code>x</code> layer.");
    }
}
