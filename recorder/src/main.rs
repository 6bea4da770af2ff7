//! `recorder` — the command line. Parsing and wiring only; the work is in the library.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use media::EncoderSettings;
use recorder::record::{RecordOptions, StopReason};

/// Record voice messages into Ogg Opus.
#[derive(Debug, Parser)]
#[command(name = "recorder", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List input devices; the default is marked with *.
    Devices {
        /// Also list devices that cannot be opened for recording now.
        #[arg(long)]
        all: bool,
    },
    /// Record the microphone into an Ogg Opus file.
    Record {
        /// Output file [default: offbeat-YYYYMMDD-HHMMSS.opus]
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Input device, by name or id (see `recorder devices`) [default: the system default]
        #[arg(long)]
        device: Option<String>,
        /// Opus bitrate, e.g. 24k or 32000.
        #[arg(long, default_value = "24k", value_parser = parse_bitrate)]
        bitrate: u32,
        /// Stop by itself after this long, e.g. 90s, 10m, 1h30m.
        #[arg(long, value_parser = parse_duration)]
        max_duration: Option<Duration>,
        /// Also keep the raw capture as a 32-bit float WAV (device rate and channels).
        #[arg(long)]
        wav: Option<PathBuf>,
        /// Title stored in the file.
        #[arg(long)]
        title: Option<String>,
        /// Overwrite existing files.
        #[arg(long)]
        force: bool,
        /// Also send it to the server while recording, and print its share link (the link
        /// works from the start; its page says "recording…" until you stop).
        #[arg(long)]
        share: bool,
        /// With --share: anyone with the link may watch (not only your workspace).
        #[arg(long, requires = "share")]
        public: bool,
        #[arg(long, env = "OFFBEAT_SERVER", default_value = "http://127.0.0.1:8080")]
        server: String,
    },
    /// Encode a WAV file (any rate, channels, 8–32-bit PCM or float) into Ogg Opus.
    Encode {
        input: PathBuf,
        output: PathBuf,
        /// Opus bitrate, e.g. 24k or 32000.
        #[arg(long, default_value = "24k", value_parser = parse_bitrate)]
        bitrate: u32,
        /// Title stored in the file [default: the input's file name]
        #[arg(long)]
        title: Option<String>,
        /// Overwrite an existing output.
        #[arg(long)]
        force: bool,
    },
    /// Upload a clip (Ogg Opus or WebM) to the server and print its URL.
    Upload {
        file: PathBuf,
        /// Server base URL.
        #[arg(long, env = "OFFBEAT_SERVER", default_value = "http://127.0.0.1:8080")]
        server: String,
        /// Title [default: the one stored in the file]
        #[arg(long)]
        title: Option<String>,
        /// Your name as teammates should see it.
        #[arg(long, env = "OFFBEAT_AUTHOR")]
        author: Option<String>,
    },
    /// Record (or take --file), upload, and print the share link (copied to the clipboard when
    /// there is one).
    Share {
        /// Share this file instead of recording.
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long)]
        title: Option<String>,
        /// Anyone with the link may watch (not only your workspace).
        #[arg(long)]
        public: bool,
        #[arg(long, env = "OFFBEAT_SERVER", default_value = "http://127.0.0.1:8080")]
        server: String,
        /// Stop recording by itself after this long.
        #[arg(long, value_parser = parse_duration)]
        max_duration: Option<Duration>,
    },
    /// Answer a clip (or a reply): by voice (recorded, or --file), or with --text.
    Reply {
        /// A share link, clip or thread URL, or clip id.
        link: String,
        /// Point at a moment of the clip answered, e.g. 1:23.
        #[arg(long, value_parser = recorder::threads::parse_moment)]
        at: Option<i64>,
        #[arg(long, conflicts_with = "file")]
        text: Option<String>,
        /// Reply with this clip instead of recording one.
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long, env = "OFFBEAT_SERVER", default_value = "http://127.0.0.1:8080")]
        server: String,
        /// Stop recording by itself after this long.
        #[arg(long, value_parser = parse_duration)]
        max_duration: Option<Duration>,
    },
    /// Print a thread with its transcripts.
    Thread {
        link: String,
        #[arg(long, env = "OFFBEAT_SERVER", default_value = "http://127.0.0.1:8080")]
        server: String,
        /// Print the server's JSON.
        #[arg(long)]
        json: bool,
    },
    /// Takes waiting to be sent (after a crash or without a network): list them and send them.
    Outbox {
        /// Only list them.
        #[arg(long)]
        list: bool,
    },
    /// Threads with messages you have not heard yet.
    Inbox {
        #[arg(long, env = "OFFBEAT_SERVER", default_value = "http://127.0.0.1:8080")]
        server: String,
    },
    /// Sign in to a server; the API token is kept in your config directory (mode 0600).
    Login {
        #[arg(long, env = "OFFBEAT_SERVER", default_value = "http://127.0.0.1:8080")]
        server: String,
        #[arg(long)]
        email: String,
    },
    /// Sign out: revoke the saved token and forget it.
    Logout {
        #[arg(long, env = "OFFBEAT_SERVER", default_value = "http://127.0.0.1:8080")]
        server: String,
    },
    /// Print a clip's transcript, waiting while the server makes it.
    Transcript {
        /// The clip's id, or its URL as `recorder upload` prints it.
        clip: String,
        /// Server base URL (when CLIP is an id).
        #[arg(long, env = "OFFBEAT_SERVER", default_value = "http://127.0.0.1:8080")]
        server: String,
        #[arg(long, value_enum, default_value_t = recorder::transcript::Format::Text)]
        format: recorder::transcript::Format,
        /// Give up waiting after this long, e.g. 30s or 5m [default: wait as long as it takes]
        #[arg(long, value_parser = parse_duration)]
        timeout: Option<Duration>,
    },
    /// Decode an Ogg Opus file into WAV.
    Decode {
        input: PathBuf,
        output: PathBuf,
        /// Output sample rate in Hz.
        #[arg(long, default_value_t = 48_000)]
        rate: u32,
        /// Write 32-bit float samples instead of 16-bit PCM.
        #[arg(long)]
        float: bool,
        /// Overwrite an existing output.
        #[arg(long)]
        force: bool,
    },
}

/// Sends a take from the outbox; if it cannot, says where it waits.
fn send_or_keep(take: &std::path::Path, meta: recorder::outbox::TakeMeta) -> Result<serde_json::Value> {
    match recorder::outbox::send(take, meta, 5) {
        Ok(clip) => Ok(clip),
        Err(err) => {
            eprintln!(
                "The take is safe in {}; `recorder outbox` will send it.",
                take.display()
            );
            Err(err.into())
        }
    }
}

fn take_meta(
    server: &str,
    title: Option<String>,
    public: bool,
    reply_to: Option<String>,
    at_ms: Option<i64>,
) -> recorder::outbox::TakeMeta {
    recorder::outbox::TakeMeta {
        server: server.to_owned(),
        title,
        reply_to,
        at_ms,
        upload_url: None,
        public,
    }
}

/// How `share` and `reply` record: the default device, 24 kbit/s.
fn take_options(max_duration: Option<Duration>, title: Option<String>) -> RecordOptions {
    RecordOptions {
        output: PathBuf::new(),
        device: None,
        settings: settings(24_000),
        max_duration,
        wav: None,
        title,
        force: false,
        interactive: recorder::record::stderr_is_terminal(),
        settled: None,
    }
}

/// Records a take into the outbox while sending it to the server (see `recorder::live_send`),
/// then finishes the upload: stopping only sends the tail. `options.output`, when set, gets a
/// copy of the take. Returns the clip. With `announce`, the link is shown (and copied) as soon
/// as the server gives it, before a word is said.
fn record_live(meta: recorder::outbox::TakeMeta, options: RecordOptions, announce: bool) -> Result<serde_json::Value> {
    let take = recorder::outbox::new_take(&meta)?;
    let settled = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let live = recorder::live_send::LiveSend::start(&take, meta, Arc::clone(&settled), Duration::from_secs(2))?;
    if announce && let Some(link) = live.page_url() {
        let copied = recorder::threads::copy_to_clipboard(&link);
        eprintln!(
            "Link: {link}{} — it says \"recording…\" until you stop.",
            if copied { " (copied)" } else { "" }
        );
    }
    let keep_at = options.output.clone();
    let options = RecordOptions {
        output: take.clone(),
        settled: Some(settled),
        force: false,
        ..options
    };
    let recorded = record(&options);
    let meta = live.stop();
    recorded?;
    if !keep_at.as_os_str().is_empty() {
        if keep_at.exists() {
            std::fs::remove_file(&keep_at).with_context(|| format!("cannot replace {}", keep_at.display()))?;
        }
        std::fs::hard_link(&take, &keep_at)
            .or_else(|_| std::fs::copy(&take, &keep_at).map(|_| ()))
            .with_context(|| format!("cannot write {}", keep_at.display()))?;
    }
    send_or_keep(&take, meta)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .without_time()
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line, whatever the chain of causes.
            let message = format!("{err:#}").replace('\n', " ");
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Devices { all } => Ok(recorder::devices::list_devices(&mut std::io::stdout().lock(), all)?),
        Command::Record {
            output,
            device,
            bitrate,
            max_duration,
            wav,
            title,
            force,
            share,
            public,
            server,
        } => {
            let output = output.unwrap_or_else(|| {
                PathBuf::from(chrono::Local::now().format("offbeat-%Y%m%d-%H%M%S.opus").to_string())
            });
            let options = RecordOptions {
                output,
                device,
                settings: settings(bitrate),
                max_duration,
                wav,
                title: title.clone(),
                force,
                interactive: recorder::record::stderr_is_terminal(),
                settled: None,
            };
            if share {
                if options.output.exists() && !force {
                    return Err(recorder::RecorderError::OutputExists { path: options.output }.into());
                }
                // Recorded in the outbox (so it is sent even if this run dies), and kept at
                // the output path too.
                let meta = take_meta(&server, title, public, None, None);
                let clip = record_live(meta, options.clone(), true)?;
                println!("{}", options.output.display());
                println!("{}", clip["page_url"].as_str().unwrap_or_default());
                return Ok(());
            }
            let recorded = record(&options);
            // The file's path is the result, even when the device failed part-way.
            if options.output.exists() {
                println!("{}", options.output.display());
            }
            recorded
        }
        Command::Encode {
            input,
            output,
            bitrate,
            title,
            force,
        } => {
            let summary = recorder::convert::encode_wav(&input, &output, settings(bitrate), title.as_deref(), force)?;
            eprintln!(
                "Encoded {} → {} ({:.3} s)",
                input.display(),
                output.display(),
                summary.duration_samples as f64 / 48_000.0
            );
            Ok(())
        }
        Command::Upload {
            file,
            server,
            title,
            author,
        } => {
            let clip = recorder::upload::upload(&file, &server, title.as_deref(), author.as_deref())?;
            eprintln!("Uploaded {:?} ({:.1} s)", clip.title, clip.duration_ms as f64 / 1000.0);
            println!("{}", clip.url);
            Ok(())
        }
        Command::Share {
            file,
            title,
            public,
            server,
            max_duration,
        } => {
            let (clip_title, duration_ms, link) = match file {
                Some(file) => {
                    let clip = recorder::upload::upload(&file, &server, title.as_deref(), None)?;
                    let api = recorder::threads::Api::new(&server);
                    let mut shown = api.get(&format!("/api/v1/clips/{}", clip.id))?;
                    if public {
                        shown = api.call_patch(
                            &format!("/api/v1/clips/{}/sharing", clip.id),
                            &serde_json::json!({ "visibility": "link" }),
                        )?;
                    }
                    let link = shown["sharing"]["url"].as_str().unwrap_or(&clip.url).to_owned();
                    (clip.title, clip.duration_ms, link)
                }
                None => {
                    let meta = take_meta(&server, title.clone(), public, None, None);
                    let clip = record_live(meta, take_options(max_duration, title), true)?;
                    (
                        clip["title"].as_str().unwrap_or_default().to_owned(),
                        clip["duration_ms"].as_u64().unwrap_or(0),
                        clip["page_url"].as_str().unwrap_or_default().to_owned(),
                    )
                }
            };
            let copied = recorder::threads::copy_to_clipboard(&link);
            eprintln!(
                "Shared {clip_title:?} ({:.1} s){}",
                duration_ms as f64 / 1000.0,
                if copied { "; link copied to the clipboard" } else { "" }
            );
            println!("{link}");
            Ok(())
        }
        Command::Reply {
            link,
            at,
            text,
            file,
            server,
            max_duration,
        } => {
            let server = recorder::threads::server_of(&link).unwrap_or(server);
            let api = recorder::threads::Api::new(&server);
            let clip_id = api.clip_id(&link)?;
            let mut body = serde_json::json!({ "at_ms": at });
            if let Some(text) = text {
                body["text"] = serde_json::json!(text);
            } else if let Some(file) = file {
                let clip = recorder::upload::upload(&file, api.server(), None, None)?;
                body["clip_id"] = serde_json::json!(clip.id);
            } else {
                // Recorded into the outbox and sent as it is recorded; finishing also posts
                // the reply.
                let meta = take_meta(api.server(), None, false, Some(clip_id.clone()), at);
                record_live(meta, take_options(max_duration, None), false)?;
                eprintln!(
                    "Replied{}",
                    at.map(|a| format!(" at {}:{:02}", a / 60_000, a / 1000 % 60))
                        .unwrap_or_default()
                );
                println!("{}/api/v1/threads/{clip_id}", api.server());
                return Ok(());
            }
            let reply = api.post(&format!("/api/v1/threads/{clip_id}/replies"), &body)?;
            eprintln!(
                "Replied{}",
                reply["anchor"].as_str().map(|a| format!(" at {a}")).unwrap_or_default()
            );
            println!("{}/api/v1/threads/{clip_id}", api.server());
            Ok(())
        }
        Command::Thread { link, server, json } => {
            let server = recorder::threads::server_of(&link).unwrap_or(server);
            let api = recorder::threads::Api::new(&server);
            let clip_id = api.clip_id(&link)?;
            let thread = api.get(&format!("/api/v1/threads/{clip_id}"))?;
            if json {
                println!("{thread}");
            } else {
                print!("{}", recorder::threads::render_thread(&thread));
            }
            Ok(())
        }
        Command::Outbox { list } => {
            let pending = recorder::outbox::pending();
            if pending.is_empty() {
                eprintln!("The outbox is empty.");
                return Ok(());
            }
            let mut failed = 0;
            for (take, meta) in pending {
                let size = std::fs::metadata(&take).map(|m| m.len()).unwrap_or(0);
                eprintln!("{} ({} bytes) → {}", take.display(), size, meta.server);
                if list {
                    continue;
                }
                match recorder::outbox::send(&take, meta, 5) {
                    Ok(clip) => println!(
                        "{}",
                        clip["page_url"].as_str().or(clip["url"].as_str()).unwrap_or_default()
                    ),
                    Err(err) => {
                        eprintln!("error: {err}");
                        failed += 1;
                    }
                }
            }
            if failed > 0 {
                bail!("{failed} take(s) are still waiting in the outbox");
            }
            Ok(())
        }
        Command::Inbox { server } => {
            let api = recorder::threads::Api::new(&server);
            print!("{}", recorder::threads::render_inbox(&api.get("/api/v1/inbox")?));
            Ok(())
        }
        Command::Login { server, email } => {
            let (name, path) = recorder::account::login(&server, &email)?;
            eprintln!("Signed in as {name}; token saved in {}", path.display());
            Ok(())
        }
        Command::Logout { server } => {
            if recorder::account::logout(&server)? {
                eprintln!("Signed out of {server}");
            } else {
                eprintln!("Not signed in to {server}");
            }
            Ok(())
        }
        Command::Transcript {
            clip,
            server,
            format,
            timeout,
        } => {
            let (server, id) = recorder::transcript::locate(&clip, &server);
            let text = recorder::transcript::fetch(&server, &id, format, timeout)?;
            print!("{text}");
            Ok(())
        }
        Command::Decode {
            input,
            output,
            rate,
            float,
            force,
        } => {
            if !(8_000..=192_000).contains(&rate) {
                bail!("--rate must be between 8000 and 192000 Hz");
            }
            let report = recorder::convert::decode_to_wav(&input, &output, rate, float, force)?;
            if report.truncated {
                eprintln!(
                    "note: {} was cut off (an interrupted recording?); decoded the {:.2} s it holds",
                    input.display(),
                    report.seconds
                );
            }
            eprintln!(
                "Decoded {} → {} ({:.3} s)",
                input.display(),
                output.display(),
                report.seconds
            );
            Ok(())
        }
    }
}

fn record(options: &RecordOptions) -> Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second Ctrl-C quits at once; the file is still valid up to its last page.
        signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&stop))
            .context("cannot install signal handlers")?;
        signal_hook::flag::register(signal, Arc::clone(&stop)).context("cannot install signal handlers")?;
    }
    if std::io::stdin().is_terminal() && options.interactive {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut line = String::new();
            if std::io::stdin().read_line(&mut line).is_ok() {
                stop.store(true, Ordering::Relaxed);
            }
        });
    }
    let outcome = recorder::record::record(options, &stop)?;
    let kbps = if outcome.seconds > 0.0 {
        outcome.bytes as f64 * 8.0 / outcome.seconds / 1000.0
    } else {
        0.0
    };
    if outcome.dropped_samples > 0 {
        let ms = outcome.dropped_samples as f64
            / f64::from(outcome.format.channels.max(1))
            / f64::from(outcome.format.sample_rate)
            * 1000.0;
        eprintln!(
            "warning: {:.0} ms of audio were dropped because the recorder could not keep up",
            ms
        );
    }
    eprintln!(
        "Saved {}: {:.2} s, {:.1} kB ({kbps:.1} kbit/s)",
        options.output.display(),
        outcome.seconds,
        outcome.bytes as f64 / 1000.0
    );
    match outcome.stopped {
        StopReason::Requested | StopReason::MaxDuration => Ok(()),
        StopReason::DeviceFailed(failure) => bail!(
            "recording stopped after {:.1} s: {failure}; what was recorded is saved in {}",
            outcome.seconds,
            options.output.display()
        ),
    }
}

fn settings(bitrate: u32) -> EncoderSettings {
    EncoderSettings {
        bitrate,
        ..EncoderSettings::default()
    }
}

/// "24k", "24K", "24kbps", "24000" → bits per second, within what Opus can do.
fn parse_bitrate(text: &str) -> Result<u32, String> {
    let lower = text.trim().to_ascii_lowercase();
    let digits = lower.trim_end_matches("bps").trim_end_matches("bit/s");
    let (number, scale) = match digits.strip_suffix('k') {
        Some(n) => (n, 1000.0),
        None => (digits, 1.0),
    };
    let bits = number
        .parse::<f64>()
        .map(|n| (n * scale).round())
        .map_err(|_| format!("{text:?} is not a bitrate; try 24k"))?;
    if !(6_000.0..=510_000.0).contains(&bits) {
        return Err(format!("{text} is outside Opus's range of 6k–510k"));
    }
    Ok(bits as u32)
}

/// "90s", "10m", "1h30m", or a bare number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let duration = match text.trim().parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 => Duration::from_secs_f64(secs),
        Ok(_) => return Err("the duration must be positive".into()),
        Err(_) => humantime::parse_duration(text.trim()).map_err(|e| format!("{text:?}: {e}; try 90s or 10m"))?,
    };
    if duration.is_zero() {
        return Err("the duration must be positive".into());
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitrates_parse() {
        assert_eq!(parse_bitrate("24k"), Ok(24_000));
        assert_eq!(parse_bitrate("32000"), Ok(32_000));
        assert_eq!(parse_bitrate("12.5kbps"), Ok(12_500));
        assert!(parse_bitrate("1k").is_err());
        assert!(parse_bitrate("fast").is_err());
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
