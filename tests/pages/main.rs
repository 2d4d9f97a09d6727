//! Integration tests of the HTML documentation and the static site: pages rendered by the
//! running service, the exported site's links and bytes, and the pages in real Chromium.

mod actions;
mod browser;
mod docs;
mod driver;
mod helpers;
mod paging;
mod render;
mod site;
mod submit;
