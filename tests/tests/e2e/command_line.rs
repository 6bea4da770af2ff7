//! The command line as people use it: `recorder login` remembers the server so later commands
//! need no `--server`; `share --file` takes a WAV and prints a page link that opens; every
//! command takes a page link as well as an id (`transcript`, `thread`, `reply`), and `reply`
//! prints the thread's page, never an API path; at a terminal `share` asks for a title.

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use offbeat_tests::http::get;
use offbeat_tests::server::{Backend, ServerProc, TEST_PASSWORD};
use offbeat_tests::speech::{transcribe_args, wait_for_transcript};
use offbeat_tests::tools::{recorder, run_ok, speech};

#[test]
fn the_command_line_remembers_its_server_and_speaks_in_page_links() {
    let dir = tempfile::tempdir().unwrap();
    let args = transcribe_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = ServerProc::start(Backend::Local, &args);
    let config = tempfile::tempdir().unwrap();
    let cli = || {
        let mut cmd = recorder();
        cmd.env("OFFBEAT_CONFIG_DIR", config.path())
            .env_remove("OFFBEAT_SERVER")
            .env_remove("OFFBEAT_TOKEN");
        cmd
    };

    // Signed in once, with --server; nothing after needs it.
    let mut login = cli();
    login
        .args(["login", "--server", &server.url, "--email", "owner@example.com"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = login.spawn().unwrap();
    writeln!(child.stdin.take().unwrap(), "{TEST_PASSWORD}").unwrap();
    assert!(child.wait_with_output().unwrap().status.success());

    // A WAV shared as it is: encoded on the way, its page link printed.
    let wav = speech(dir.path(), "standup", "the release moves to thursday morning");
    let shared = run_ok(cli().args(["share", "--file"]).arg(&wav));
    let link = String::from_utf8_lossy(&shared.stdout).trim().to_owned();
    assert!(link.starts_with(&format!("{}/c/", server.url)), "a page link: {link}");
    let page = get(&link);
    assert_eq!(page.status, 200, "the printed link opens");
    assert!(
        String::from_utf8_lossy(&page.body).contains("<audio"),
        "a playback page"
    );

    // At a terminal, `share` asks for a title (`script` gives it one).
    let titled = speech(dir.path(), "notes", "notes from the standup");
    let program = recorder().get_program().to_owned();
    let mut asked = std::process::Command::new("script")
        .arg("-qec")
        .arg(format!(
            "'{}' share --file '{}'",
            program.to_string_lossy(),
            titled.display()
        ))
        .arg("/dev/null")
        .env("OFFBEAT_CONFIG_DIR", config.path())
        .env_remove("OFFBEAT_SERVER")
        .env_remove("OFFBEAT_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut typed = asked.stdin.take().unwrap();
    writeln!(typed, "Standup notes").unwrap();
    let mut screen = String::new();
    std::io::Read::read_to_string(&mut asked.stdout.take().unwrap(), &mut screen).unwrap();
    drop(typed);
    assert!(asked.wait().unwrap().success(), "{screen}");
    assert!(screen.contains("Title ("), "it asks: {screen}");
    let titled_link = screen
        .split_whitespace()
        .find(|word| word.starts_with(&format!("{}/c/", server.url)))
        .unwrap_or_else(|| panic!("a page link: {screen}"));
    assert_eq!(server.clip_of_page(titled_link)["title"], "Standup notes");

    // The page link is enough for every command.
    let id = server.clip_of_page(&link)["id"].as_str().unwrap().to_owned();
    wait_for_transcript(&server, &id, Duration::from_secs(60));
    let transcript = run_ok(cli().args(["transcript", &link]));
    let said = String::from_utf8_lossy(&transcript.stdout).to_lowercase();
    assert!(said.contains("thursday"), "{said}");
    let by_id = run_ok(cli().args(["transcript", &id]));
    assert_eq!(by_id.stdout, transcript.stdout, "an id works as well");
    let replied = run_ok(cli().args(["reply", &link, "--text", "works for me"]));
    let printed = String::from_utf8_lossy(&replied.stdout).trim().to_owned();
    assert_eq!(printed, link, "reply prints the thread's page");
    let thread = run_ok(cli().args(["thread", &link]));
    assert!(String::from_utf8_lossy(&thread.stdout).contains("works for me"));
    // A command at no remembered server says where it tried.
    let elsewhere = tempfile::tempdir().unwrap();
    let lost = recorder()
        .env("OFFBEAT_CONFIG_DIR", elsewhere.path())
        .env_remove("OFFBEAT_SERVER")
        .args(["inbox"])
        .output()
        .unwrap();
    assert!(!lost.status.success());
    assert!(String::from_utf8_lossy(&lost.stderr).contains("127.0.0.1:8080"));
}
