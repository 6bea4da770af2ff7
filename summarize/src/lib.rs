//! What a voice message says, for people who would rather read it: a summary and a title,
//! chapters where its topic changes, and the tasks it asked for or promised — computed on the
//! server that holds the message.
//!
//! - [`generator`]: the one thing a language model does here — answer a prompt with JSON of a
//!   given shape — done by a local GGUF model ([`local`]: candle on the CPU, its output
//!   constrained token by token with llguidance, so even a tiny model cannot answer with
//!   anything unparsable) or by an OpenAI-compatible server the team runs ([`endpoint`]).
//! - [`summarizer`]: the work around the model, which keeps what it says tied to the message:
//!   long transcripts summarised in pieces and then together; chapters that start where the
//!   words of the message change ([`chapters`], on transcript segments) and that the model only
//!   names; action items only where a sentence asks or promises something ([`actions`]); every
//!   answer checked against the transcript's words ([`words`]) before it is kept.
//!
//! Everything here is synchronous and CPU-bound: async callers use blocking threads.

pub mod actions;
pub mod chapters;
pub mod endpoint;
mod error;
pub mod generator;
pub mod local;
mod message;
pub mod summarizer;
mod summary;
pub mod words;

pub use error::SummarizeError;
pub use generator::{Generator, Request};
pub use message::{Line, Message};
pub use summarizer::Summarizer;
pub use summary::{ActionItem, Chapter, Summary};
