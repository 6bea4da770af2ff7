//! A GGUF instruction model run in process on the CPU with candle, its every token chosen
//! among those llguidance allows for the answer's JSON Schema: the answer always parses, and
//! always has the shape asked for, however small the model.

mod gguf;

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use candle_core::{DType, Device, Tensor};
use llguidance::api::TopLevelGrammar;
use llguidance::{Matcher, ParserFactory};
use serde_json::Value;
use tokenizers::Tokenizer;

pub use gguf::ChatFormat;
use gguf::Weights;

use crate::{Generator, Request, SummarizeError};

/// How strongly a token already said is held back (greedy decoding of small models repeats).
const REPEAT_PENALTY: f32 = 1.15;
/// How far back the penalty looks.
const REPEAT_WINDOW: usize = 64;

/// How a local model runs.
#[derive(Debug, Clone, Copy)]
pub struct LocalOptions {
    /// CPU threads for one generation.
    pub threads: usize,
    /// The most tokens one prompt and its answer may take (at most the model's own context).
    pub context: usize,
    /// Whether its threads give way to the rest of the machine.
    pub priority: Priority,
}

impl Default for LocalOptions {
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            context: 4096,
            priority: Priority::Normal,
        }
    }
}

/// How the model's threads share the CPU with everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Like any thread.
    Normal,
    /// The lowest niceness: they use the cores nothing else wants, so a server's requests and
    /// transcripts are not slowed by a summary being written.
    Background,
}

/// Where a model's time went, summed over its generations: what a benchmark reports.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// Prompt tokens read, and the time their forward passes took.
    pub prompt_tokens: u64,
    pub prefill: Duration,
    /// Answer tokens written (forced ones included), and the time their forward passes took.
    pub answer_tokens: u64,
    pub steps: Duration,
    /// The time spent in the schema's constraint (token masks, consuming tokens).
    pub constraint: Duration,
}

/// A loaded model; one generation at a time (a second waits: the CPU is the limit anyway).
pub struct LocalModel {
    weights: Mutex<Weights>,
    tokenizer: Tokenizer,
    chat: ChatFormat,
    factory: ParserFactory,
    end_of_turn: u32,
    context: usize,
    name: String,
    pool: rayon::ThreadPool,
    usage: Mutex<Usage>,
}

/// The threads one generation runs on.
fn thread_pool(threads: usize, priority: Priority) -> Result<rayon::ThreadPool, SummarizeError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .thread_name(|i| format!("summary-{i}"))
        .start_handler(move |_| {
            if priority == Priority::Background
                && let Err(err) = thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min)
            {
                tracing::warn!("a summary thread keeps its priority: {err}");
            }
        })
        .build()
        .map_err(|e| SummarizeError::Inference(e.to_string()))
}

impl std::fmt::Debug for LocalModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalModel")
            .field("name", &self.name)
            .field("chat", &self.chat)
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}

impl LocalModel {
    /// Loads the model at `path` (seconds for a large one: call it on a blocking thread).
    pub fn load(path: &Path, options: LocalOptions) -> Result<Self, SummarizeError> {
        let loaded = gguf::load(path)?;
        let end_of_turn = loaded
            .tokenizer
            .token_to_id(loaded.chat.end_of_turn())
            .ok_or_else(|| SummarizeError::BadModel(format!("no {} token", loaded.chat.end_of_turn())))?;
        // llguidance reads the vocabulary through the tokenizers version it is built with.
        let json = loaded
            .tokenizer
            .to_string(false)
            .map_err(|e| SummarizeError::BadModel(e.to_string()))?;
        let mut bytes = toktrie_hf_tokenizers::ByteTokenizer::from_json_bytes(json.as_bytes())
            .map_err(|e| SummarizeError::BadModel(e.to_string()))?;
        bytes.set_eos_token(end_of_turn);
        let env = bytes
            .into_tok_env(None)
            .map_err(|e| SummarizeError::BadModel(e.to_string()))?;
        let mut factory = ParserFactory::new_simple(&env).map_err(|e| SummarizeError::BadModel(e.to_string()))?;
        factory.set_stderr_log_level(0);
        let pool = thread_pool(options.threads, options.priority)?;
        Ok(Self {
            weights: Mutex::new(loaded.weights),
            tokenizer: loaded.tokenizer,
            chat: loaded.chat,
            factory,
            end_of_turn,
            context: options.context.min(loaded.context),
            name: loaded.name,
            pool,
            usage: Mutex::new(Usage::default()),
        })
    }

    /// Where this model's time has gone so far.
    pub fn usage(&self) -> Usage {
        self.usage.lock().map(|u| *u).unwrap_or_default()
    }

    fn decode(&self, request: &Request) -> Result<String, SummarizeError> {
        let prompt = self.chat.prompt(&request.system, &request.user);
        let tokens = self
            .tokenizer
            .encode(prompt, false)
            .map_err(|e| SummarizeError::Inference(e.to_string()))?
            .get_ids()
            .to_vec();
        let needed = tokens.len() + request.max_tokens;
        if needed > self.context {
            return Err(SummarizeError::TooLong {
                needed,
                limit: self.context,
            });
        }
        let mut schema = request.schema.clone();
        if let Some(object) = schema.as_object_mut() {
            // Compact JSON: a small model left free to indent spends its tokens on spaces.
            object.insert(
                "x-guidance".into(),
                serde_json::json!({ "whitespace_flexible": false, "item_separator": ", ", "key_separator": ": " }),
            );
        }
        let parser = self.factory.create_parser(TopLevelGrammar::from_json_schema(schema));
        let mut matcher = Matcher::new(parser);
        if let Some(err) = matcher.get_error() {
            return Err(SummarizeError::Inference(format!("the answer's schema: {err}")));
        }
        let mut weights = self
            .weights
            .lock()
            .map_err(|_| SummarizeError::Inference("an earlier generation panicked".into()))?;
        let weights: &mut Weights = &mut weights;
        weights.clear();
        let answer = self
            .pool
            .install(|| self.constrained(weights, &mut matcher, &tokens, request.max_tokens));
        weights.clear();
        answer
    }

    /// Greedy decoding, each step among the tokens the matcher allows; tokens the grammar
    /// forces go in without a choice.
    fn constrained(
        &self,
        weights: &mut Weights,
        matcher: &mut Matcher,
        prompt: &[u32],
        max_tokens: usize,
    ) -> Result<String, SummarizeError> {
        let device = Device::Cpu;
        let mut usage = Usage {
            prompt_tokens: prompt.len() as u64,
            ..Usage::default()
        };
        let started = Instant::now();
        let mut logits = weights.forward(&Tensor::new(prompt, &device)?.unsqueeze(0)?, 0)?;
        usage.prefill = started.elapsed();
        let mut position = prompt.len();
        let mut answer: Vec<u32> = Vec::new();
        while answer.len() < max_tokens {
            let started = Instant::now();
            let allowed = matcher
                .compute_mask()
                .map_err(|e| SummarizeError::Inference(e.to_string()))?;
            usage.constraint += started.elapsed();
            let mut scores: Vec<f32> = logits.squeeze(0)?.to_dtype(DType::F32)?.to_vec1()?;
            for &said in answer.iter().rev().take(REPEAT_WINDOW) {
                if let Some(score) = scores.get_mut(said as usize) {
                    *score = if *score > 0.0 {
                        *score / REPEAT_PENALTY
                    } else {
                        *score * REPEAT_PENALTY
                    };
                }
            }
            let next = scores
                .iter()
                .enumerate()
                .filter(|(id, _)| allowed.is_allowed(*id as u32))
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(id, _)| id as u32)
                .ok_or_else(|| SummarizeError::Inference("no token fits the answer's shape".into()))?;
            if next == self.end_of_turn {
                break;
            }
            let started = Instant::now();
            matcher
                .consume_token(next)
                .map_err(|e| SummarizeError::Inference(e.to_string()))?;
            let mut step = vec![next];
            step.extend(matcher.consume_ff_tokens());
            usage.constraint += started.elapsed();
            answer.extend(&step);
            if matcher.is_stopped() {
                break;
            }
            let started = Instant::now();
            logits = weights.forward(&Tensor::new(step.as_slice(), &device)?.unsqueeze(0)?, position)?;
            usage.steps += started.elapsed();
            position += step.len();
        }
        usage.answer_tokens = answer.len() as u64;
        if let Ok(mut total) = self.usage.lock() {
            total.prompt_tokens += usage.prompt_tokens;
            total.prefill += usage.prefill;
            total.answer_tokens += usage.answer_tokens;
            total.steps += usage.steps;
            total.constraint += usage.constraint;
        }
        if !matcher.is_stopped()
            && !matcher
                .is_accepting()
                .map_err(|e| SummarizeError::Inference(e.to_string()))?
        {
            return Err(SummarizeError::Unparsable(format!(
                "the answer did not finish within {max_tokens} tokens"
            )));
        }
        self.tokenizer
            .decode(&answer, true)
            .map_err(|e| SummarizeError::Inference(e.to_string()))
    }
}

impl Generator for LocalModel {
    fn generate(&self, request: &Request) -> Result<Value, SummarizeError> {
        let text = self.decode(request)?;
        serde_json::from_str(&text).map_err(|e| SummarizeError::Unparsable(format!("{e}: {text}")))
    }

    fn model_name(&self) -> String {
        self.name.clone()
    }

    fn words_per_prompt(&self) -> usize {
        // About 1.4 tokens a word, with room for the instructions and the answer.
        (self.context.saturating_sub(700) * 10 / 14).clamp(200, 2_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The niceness of the calling thread, from /proc (field 19 of its stat).
    fn niceness() -> i64 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
        let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        after_name
            .split_whitespace()
            .nth(16)
            .and_then(|n| n.parse().ok())
            .unwrap_or(i64::MIN)
    }

    #[test]
    fn background_threads_give_way_and_normal_ones_do_not() {
        let normal = niceness();
        let background = thread_pool(2, Priority::Background).map(|pool| pool.install(niceness));
        assert_eq!(background.ok(), Some(19), "the lowest priority");
        let usual = thread_pool(2, Priority::Normal).map(|pool| pool.install(niceness));
        assert_eq!(usual.ok(), Some(normal));
    }
}
