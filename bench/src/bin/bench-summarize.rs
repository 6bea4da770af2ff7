//! Benchmark: a summary (summary, title, chapters, action items) of a 1-minute and a 5-minute
//! message, in process on this machine's CPU.
//!
//! `bench-summarize MODEL...` (each a GGUF instruction model). For each model and length, in a
//! fresh child process so that its peak memory is its own: the model's load time, the wall time
//! of one summary, the share of it inside the model (prompt and generation) against around it
//! (chapter boundaries, action-item candidates, grounding checks), and the peak resident memory.
//! The reference, measured in the same run when `target/llama-server/llama-server` is there
//! (`scripts/install-deps test` builds it): llama.cpp's own server on the same file, the same
//! threads and the very same prompts, through the OpenAI-compatible path (`--summary-url`).
//!
//! The transcripts are the test script (three topics, a sentence a segment) read at 150 words a
//! minute, repeated to length. `scripts/bench summarize` runs this; `scripts/bench smoke` runs
//! it on the 1-minute message only.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use offbeat_tests::bench_smoke;
use offbeat_tests::llama_server::LlamaServer;
use serde_json::{Value, json};
use summarize::endpoint::{Endpoint, EndpointOptions};
use summarize::local::{LocalModel, LocalOptions, Priority, Usage};
use summarize::{Generator, Line, Message, Request, SummarizeError, Summarizer};

const SCRIPT: &str = include_str!("../../../summarize/tests/three_topics.txt");
const WORDS_PER_MINUTE: u64 = 150;

/// A generator that adds up the time spent inside the one it wraps.
struct Timed {
    inner: Box<dyn Generator>,
    spent: Arc<Mutex<Duration>>,
}

impl Generator for Timed {
    fn generate(&self, request: &Request) -> Result<Value, SummarizeError> {
        let started = Instant::now();
        let answer = self.inner.generate(request);
        *self.spent.lock().unwrap() += started.elapsed();
        answer
    }

    fn model_name(&self) -> String {
        self.inner.model_name()
    }

    fn words_per_prompt(&self) -> usize {
        self.inner.words_per_prompt()
    }
}

/// The local model, shared with the benchmark so that its [`Usage`] can be read after.
struct Shared(Arc<LocalModel>);

impl Generator for Shared {
    fn generate(&self, request: &Request) -> Result<Value, SummarizeError> {
        self.0.generate(request)
    }

    fn model_name(&self) -> String {
        self.0.model_name()
    }

    fn words_per_prompt(&self) -> usize {
        self.0.words_per_prompt()
    }
}

/// `minutes` of the script read aloud: a sentence a segment, timed by its words.
fn message(minutes: u64) -> Message {
    let sentences: Vec<&str> = SCRIPT
        .split_inclusive(['.', '?'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let wanted = minutes * WORDS_PER_MINUTE;
    let (mut lines, mut words, mut at_ms) = (Vec::new(), 0, 0);
    for sentence in sentences.iter().cycle() {
        if words >= wanted {
            break;
        }
        let count = sentence.split_whitespace().count() as u64;
        let length = count * 60_000 / WORDS_PER_MINUTE;
        lines.push(Line {
            start_ms: at_ms,
            end_ms: at_ms + length,
            text: (*sentence).to_owned(),
        });
        words += count;
        at_ms += length;
    }
    Message {
        lines,
        duration_ms: at_ms,
        author: "Olive".into(),
    }
}

/// In a child: one summary of a `minutes`-minute message by `engine` ("local" with a model path,
/// or "endpoint" with a URL), its figures as one JSON line.
fn one(engine: &str, target: &str, minutes: u64, threads: usize) {
    let load_started = Instant::now();
    let mut local = None;
    let inner: Box<dyn Generator> = match engine {
        "local" => {
            let options = LocalOptions {
                threads,
                context: 4096,
                priority: Priority::Normal,
            };
            let model = Arc::new(LocalModel::load(Path::new(target), options).expect("load the model"));
            local = Some(Arc::clone(&model));
            Box::new(Shared(model))
        }
        _ => Box::new(Endpoint::new(EndpointOptions {
            url: target.to_owned(),
            api_key: None,
            model: "default".into(),
        })),
    };
    let load = load_started.elapsed();
    let spent = Arc::new(Mutex::new(Duration::ZERO));
    let timed = Timed {
        inner,
        spent: Arc::clone(&spent),
    };
    let summarizer = Summarizer::new(Box::new(timed));
    let message = message(minutes);
    let started = Instant::now();
    // A model that says nothing the transcript bears out (a shape-only model's noise) still
    // took its time: the figures are kept, with what went wrong.
    let outcome = summarizer.summarize(&message);
    let (summary, failed) = match outcome {
        Ok(summary) => (summary, None),
        Err(err) => (Default::default(), Some(err.to_string())),
    };
    let wall = started.elapsed();
    let model = *spent.lock().unwrap();
    let usage: Usage = local.map(|m| m.usage()).unwrap_or_default();
    let figures = json!({
        "name": summarizer.model_name(),
        "load_s": load.as_secs_f64(),
        "wall_s": wall.as_secs_f64(),
        "model_s": model.as_secs_f64(),
        "peak_mib": offbeat_tests::usage::peak_kib(std::process::id()) as f64 / 1024.0,
        "words": message.text().split_whitespace().count(),
        "segments": message.lines.len(),
        "summary_chars": summary.summary.chars().count(),
        "chapters": summary.chapters.len(),
        "action_items": summary.action_items.len(),
        "title": summary.title,
        "failed": failed,
        "prompt_tokens": usage.prompt_tokens,
        "prefill_s": usage.prefill.as_secs_f64(),
        "answer_tokens": usage.answer_tokens,
        "steps_s": usage.steps.as_secs_f64(),
        "constraint_s": usage.constraint.as_secs_f64(),
    });
    println!("{figures}");
}

/// Runs [`one`] in a child process; its figures.
fn measure(engine: &str, target: &str, minutes: u64, threads: usize) -> Value {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--one", engine, target, &minutes.to_string(), &threads.to_string()])
        .output()
        .expect("run the child");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(String::from_utf8_lossy(&out.stdout).trim().as_bytes()).expect("the child's figures")
}

fn llama_server() -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/llama-server/llama-server");
    path.is_file().then_some(path)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--one") {
        one(&args[1], &args[2], args[3].parse().unwrap(), args[4].parse().unwrap());
        return;
    }
    assert!(!args.is_empty(), "usage: bench-summarize MODEL...");
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let lengths: &[u64] = if bench_smoke() { &[1] } else { &[1, 5] };
    // What a complete summary of each length took in tokens, as the first model that made one
    // counted: a shape-only model says nothing the transcript bears out and stops early, so its
    // time for a whole summary is estimated from its rates and these counts.
    let mut workload: std::collections::HashMap<u64, (f64, f64)> = std::collections::HashMap::new();
    for model in &args {
        let model = std::fs::canonicalize(model).expect("the model file");
        let size_mb = std::fs::metadata(&model).unwrap().len() as f64 / 1e6;
        let reference = llama_server().map(|_| LlamaServer::start_with_threads(&model, threads));
        println!(
            "summarize: {} ({size_mb:.0} MB), {threads} threads, greedy, JSON-schema constrained",
            model.file_name().unwrap().to_string_lossy()
        );
        for &minutes in lengths {
            let ours = measure("local", &model.display().to_string(), minutes, threads);
            let wall = ours["wall_s"].as_f64().unwrap();
            let in_model = ours["model_s"].as_f64().unwrap();
            println!(
                "  {minutes}-minute message ({} words, {} segments): {} chapters, {} action items, summary {} characters",
                ours["words"], ours["segments"], ours["chapters"], ours["action_items"], ours["summary_chars"]
            );
            if let Some(why) = ours["failed"].as_str() {
                println!("    (no summary kept: {})", why.chars().take(160).collect::<String>());
            }
            println!(
                "    in process ({})  {wall:6.2} s = model {in_model:.2} s ({:.1}%) + around {:.3} s ({:.1}%); load {:.2} s; peak RSS {:.0} MiB",
                ours["name"].as_str().unwrap_or("?"),
                in_model / wall * 100.0,
                wall - in_model,
                (wall - in_model) / wall * 100.0,
                ours["load_s"].as_f64().unwrap(),
                ours["peak_mib"].as_f64().unwrap()
            );
            let (prefill, steps, constraint) = (
                ours["prefill_s"].as_f64().unwrap(),
                ours["steps_s"].as_f64().unwrap(),
                ours["constraint_s"].as_f64().unwrap(),
            );
            println!(
                "      model: prefill {prefill:.2} s ({} prompt tokens, {:.0}/s) + answer {steps:.2} s ({} tokens, {:.1}/s) + constraint {constraint:.3} s + other {:.3} s",
                ours["prompt_tokens"],
                ours["prompt_tokens"].as_f64().unwrap() / prefill.max(1e-9),
                ours["answer_tokens"],
                ours["answer_tokens"].as_f64().unwrap() / steps.max(1e-9),
                in_model - prefill - steps - constraint
            );
            match &reference {
                Some(server) => {
                    let before = server.work();
                    let theirs = measure("endpoint", &server.api_base(), minutes, threads);
                    let work = server.work().since(before);
                    let their_wall = theirs["wall_s"].as_f64().unwrap();
                    println!(
                        "    llama-server (same file, prompts and threads, over HTTP)  {their_wall:6.2} s; peak RSS {:.0} MiB",
                        server.peak_mib()
                    );
                    println!(
                        "      model: prefill {:.2} s ({} prompt tokens, {:.0}/s) + answer {:.2} s ({} tokens, {:.1}/s)",
                        work.prompt_secs,
                        work.prompt_tokens,
                        work.prompt_tokens / work.prompt_secs.max(1e-9),
                        work.answer_secs,
                        work.answer_tokens,
                        work.answer_tokens / work.answer_secs.max(1e-9)
                    );
                    println!("    ratio in process / llama.cpp: {:.2}", wall / their_wall);
                    let ours_rates = (
                        ours["prompt_tokens"].as_f64().unwrap() / prefill.max(1e-9),
                        ours["answer_tokens"].as_f64().unwrap() / steps.max(1e-9),
                    );
                    let their_rates = (
                        work.prompt_tokens / work.prompt_secs.max(1e-9),
                        work.answer_tokens / work.answer_secs.max(1e-9),
                    );
                    if ours["failed"].is_null() {
                        workload.entry(minutes).or_insert((
                            ours["prompt_tokens"].as_f64().unwrap(),
                            ours["answer_tokens"].as_f64().unwrap(),
                        ));
                    }
                    if let Some(&(prompt, answer)) = workload.get(&minutes) {
                        let time = |(read, write): (f64, f64)| prompt / read + answer / write;
                        println!(
                            "    a complete summary ({prompt} prompt + {answer} answer tokens) at these rates: in process {:.0} s, llama.cpp {:.0} s",
                            time(ours_rates),
                            time(their_rates)
                        );
                    }
                }
                None => println!("    (no reference: target/llama-server/llama-server is not built)"),
            }
        }
    }
}
