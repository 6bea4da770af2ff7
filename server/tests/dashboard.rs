//! The dashboard on both databases: its lists page past the newest 40, filter by author (the
//! API too) and show only what is unheard.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[macro_use]
mod support;

use support::{Backend, Harness};

/// The `href` of the "Older messages" link, if the page has one.
fn older(html: &str) -> Option<String> {
    let marker = "class=\"older button\" href=\"";
    let at = html.find(marker)? + marker.len();
    Some(html[at..].split('"').next()?.replace("&amp;", "&"))
}

async fn the_dashboard_pages_through_everything_and_filters(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let (olive, manu) = server.olive_and_manu().await;
    for n in 0..43 {
        server.upload_id(&olive, &format!("Olive note {n:02}")).await;
    }
    for n in 0..3 {
        server.upload_id(&manu, &format!("Manu idea {n}")).await;
    }
    let cookie = server.session("olive@example.com").await;

    // Every message, once, over the pages.
    let mut seen = Vec::new();
    let mut next = Some("/".to_owned());
    while let Some(uri) = next {
        let html = server.page(&cookie, &uri).await;
        // The inbox (Manu's, unheard; the same on every page: counted on the first) and the
        // lists after it, each message in one place.
        let from = if uri == "/" {
            ">Inbox</h2>"
        } else {
            ">Your messages</h2>"
        };
        let lists = &html[html.find(from).unwrap()..];
        for n in 0..43 {
            if lists.contains(&format!(">Olive note {n:02}<")) {
                seen.push(format!("o{n}"));
            }
        }
        for n in 0..3 {
            if lists.contains(&format!(">Manu idea {n}<")) {
                seen.push(format!("m{n}"));
            }
        }
        next = older(&html);
    }
    seen.sort();
    let before = seen.len();
    seen.dedup();
    assert_eq!(seen.len(), before, "nothing listed twice");
    assert_eq!(seen.len(), 46, "every message: {seen:?}");
    let first = server.page(&cookie, "/").await;
    let team = &first[first.find(">From your team</h2>").unwrap()..];
    assert!(
        !team.contains(">Manu idea 0<"),
        "what waits in the inbox is not listed again under it"
    );

    // Dates in the viewer's zone (Olive's: Europe/Berlin), one format everywhere.
    let newest = server.get("/api/v1/clips?limit=1", &olive).await.json()["clips"][0].clone();
    let created = newest["created_at"].as_str().unwrap();
    let berlin = chrono::DateTime::parse_from_rfc3339(created)
        .unwrap()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .format("%-d %b %Y, %H:%M")
        .to_string();
    let first = server.page(&cookie, "/").await;
    assert!(
        first.contains(&format!("<time datetime=\"{created}\">{berlin}</time>")),
        "{created} as {berlin} in Berlin"
    );
    let found = server.page(&cookie, "/?q=Manu").await;
    assert!(found.contains("<time datetime="), "search results carry their date");

    // One member's messages.
    let manus = server.page(&cookie, &format!("/?author={}", manu.user.id)).await;
    assert!(manus.contains("From Manu"));
    assert!(
        manus.contains(">Manu idea 0<") && !manus.contains(">Olive note"),
        "only Manu's"
    );
    let api = server
        .get(&format!("/api/v1/clips?author={}&limit=100", manu.user.id), &olive)
        .await
        .json();
    assert_eq!(api["clips"].as_array().unwrap().len(), 3);

    // Only what is unheard: Manu's three, and no lists.
    let unheard = server.page(&cookie, "/?show=unheard").await;
    assert!(!unheard.contains("Your messages") && !unheard.contains("From your team"));
    assert_eq!(unheard.matches(">Manu idea").count(), 3, "the inbox's three");
}

on_every_database!(the_dashboard_pages_through_everything_and_filters);
