//! The thread in real Chromium on PostgreSQL (tests/web/thread.mjs): reactions at a moment seen
//! live by another member, a voice reply from the page that answers a reply at a moment, who
//! heard each reply, a take cancelled mid-recording, pages that fit a phone, an installable app.

use std::path::Path;

use offbeat_tests::http::request;
use offbeat_tests::postgres::PgCluster;
use offbeat_tests::server::{Backend, ServerProc, TEST_PASSWORD};
use serde_json::json;

use crate::web_pages::{artifacts, as_user, node, post_json, share_by_link, two_sentences, upload_as, web_dir};

#[test]
fn the_thread_on_a_phone_reacts_answers_by_voice_at_a_moment_and_takes_back() {
    let dir = tempfile::tempdir().unwrap();
    let postgres = PgCluster::start();
    let url = postgres.url();
    let server = ServerProc::start(Backend::Local, &["--database-url", &url]);
    let ada = server.add_admin("ada@example.com", "Ada Admin", "Europe/Berlin", "Default");
    let tess = server.add_user("tess@example.com", "Tess Teammate", "Asia/Manila", "Default");
    let clip = two_sentences(dir.path());
    let plan = upload_as(&server, &ada, &clip, "Launch plan");
    let plan_id = plan["id"].as_str().unwrap().to_owned();
    share_by_link(&server, &ada, &plan_id, false);
    // Tess's voice reply, long enough to be answered at 0:05.
    let answer = upload_as(&server, &tess, &clip, "");
    let reply = post_json(
        &server,
        &tess,
        &format!("/api/v1/threads/{plan_id}/replies"),
        &json!({ "clip_id": answer["id"] }),
    );
    let tess_reply = reply["reply_id"].as_str().unwrap().to_owned();
    let ada_clips = || -> Vec<String> {
        request(
            "GET",
            &server.api("/api/v1/clips?limit=100"),
            &[("Authorization", &as_user(&ada))],
            None,
        )
        .json()["clips"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let before = ada_clips();
    let speech = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/speech48k.wav");

    node(
        "thread.mjs",
        &json!({
            "base": server.url,
            "password": TEST_PASSWORD,
            "ada": { "email": ada.email },
            "tess": { "email": tess.email },
            "plan": { "id": plan_id, "page": plan["page_url"] },
            "tessReply": tess_reply,
            "publicPage": plan["page_url"],
            "speechWav": speech,
            "axe": web_dir().join("node_modules/axe-core/axe.min.js"),
            "artifacts": artifacts(),
        }),
    );

    // The voice reply recorded in the browser answers Tess's reply at 0:05.
    let thread = request(
        "GET",
        &server.api(&format!("/api/v1/threads/{plan_id}")),
        &[("Authorization", &as_user(&ada))],
        None,
    )
    .json();
    let answered = &thread["root"]["replies"][0]["replies"][0];
    assert_eq!(answered["kind"], "clip", "{thread}");
    assert_eq!(answered["parent_id"], tess_reply.as_str());
    let at = answered["anchor_ms"].as_i64().unwrap();
    assert!((4900..=5100).contains(&at), "at 0:05: {at} ms");
    // Her 🎉 on Tess's reply stands; Tess's 👍 on the message was taken back.
    assert_eq!(thread["root"]["replies"][0]["reactions"][0]["emoji"], "🎉");
    assert_eq!(thread["root"]["reactions"], json!([]));
    // The cancelled take left no clip behind: the only new one is the voice reply.
    let after = ada_clips();
    let new: Vec<&String> = after.iter().filter(|id| !before.contains(id)).collect();
    assert!(
        new.iter().all(|id| answered["clip"]["id"] == id.as_str()),
        "only the voice reply is new: {new:?}"
    );
}
