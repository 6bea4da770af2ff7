//! `recorder` — the command line. Parsing and wiring only: each command is a module of
//! `commands/`, and the work is in the library.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use commands::account::{LoginArgs, LogoutArgs};
use commands::checkin::CheckinArgs;
use commands::files::{DecodeArgs, EncodeArgs};
use commands::outbox::OutboxArgs;
use commands::record::{DevicesArgs, RecordArgs};
use commands::share::{ShareArgs, UploadArgs};
use commands::threads::{InboxArgs, MembersArgs, ReplyArgs, ThreadArgs};
use commands::transcript::TranscriptArgs;

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
    Devices(DevicesArgs),
    /// Record the microphone into an Ogg Opus file.
    Record(RecordArgs),
    /// Encode a WAV file (any rate, channels, 8–32-bit PCM or float) into Ogg Opus.
    Encode(EncodeArgs),
    /// Upload a clip (Ogg Opus or WebM) to the server and print its URL.
    Upload(UploadArgs),
    /// Record (or take --file), upload, and print the share link (copied to the clipboard when
    /// there is one).
    Share(ShareArgs),
    /// Answer a clip (or a reply): by voice (recorded, or --file), or with --text.
    Reply(ReplyArgs),
    /// Print a thread with its transcripts.
    Thread(ThreadArgs),
    /// What check-ins wait for your answer; answer one (--record, --text or --file).
    Checkin(CheckinArgs),
    /// Takes waiting to be sent (after a crash or without a network): list them and send them.
    Outbox(OutboxArgs),
    /// Threads with messages you have not heard yet.
    Inbox(InboxArgs),
    /// Who is around now: your teammates' local times and working hours.
    Members(MembersArgs),
    /// Sign in to a server; the API token is kept in your config directory (mode 0600).
    Login(LoginArgs),
    /// Sign out: revoke the saved token and forget it.
    Logout(LogoutArgs),
    /// Print a clip's transcript, waiting while the server makes it.
    Transcript(TranscriptArgs),
    /// Decode an Ogg Opus file into WAV.
    Decode(DecodeArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .without_time()
        .init();
    let ran = match Cli::parse().command {
        Command::Devices(args) => args.run(),
        Command::Record(args) => args.run(),
        Command::Encode(args) => args.run(),
        Command::Upload(args) => args.run(),
        Command::Share(args) => args.run(),
        Command::Reply(args) => args.run(),
        Command::Thread(args) => args.run(),
        Command::Checkin(args) => args.run(),
        Command::Outbox(args) => args.run(),
        Command::Inbox(args) => args.run(),
        Command::Members(args) => args.run(),
        Command::Login(args) => args.run(),
        Command::Logout(args) => args.run(),
        Command::Transcript(args) => args.run(),
        Command::Decode(args) => args.run(),
    };
    match ran {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line, whatever the chain of causes.
            let message = format!("{err:#}").replace('\n', " ");
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
