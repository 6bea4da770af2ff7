//! What a language model does here: answer a prompt with JSON of a given shape.

use serde_json::Value;

use crate::SummarizeError;

/// One prompt and the shape of its answer.
#[derive(Debug, Clone)]
pub struct Request {
    pub system: String,
    pub user: String,
    /// A JSON Schema the answer must match (objects, strings with lengths and patterns,
    /// integers with bounds, arrays with sizes).
    pub schema: Value,
    /// At most this many tokens of answer.
    pub max_tokens: usize,
}

/// A model that answers requests with JSON matching their schema.
pub trait Generator: Send + Sync {
    /// The answer to `request`, parsed.
    fn generate(&self, request: &Request) -> Result<Value, SummarizeError>;

    /// The model's name, as a summary says what made it.
    fn model_name(&self) -> String;

    /// How many words of transcript one prompt may carry (pieces beyond are summarised apart).
    fn words_per_prompt(&self) -> usize {
        600
    }
}

/// A string of `min` to `max` characters without quotes, markup, brackets or control
/// characters: what a title, a summary or a task may be. The length is in the pattern too:
/// some servers (llama.cpp's) ignore `minLength`/`maxLength` beside a `pattern`, and a model
/// that never stops would run into its token limit mid-string.
pub fn plain_text(min: usize, max: usize) -> Value {
    serde_json::json!({
        "type": "string",
        "minLength": min,
        "maxLength": max,
        "pattern": format!("^[^\"<>{{}}\\[\\]\\\\#*_`|\\x00-\\x1f\\x7f]{{{min},{max}}}$"),
    })
}

/// An object with exactly these properties, all required.
pub fn object(properties: &[(&str, Value)]) -> Value {
    let names: Vec<&str> = properties.iter().map(|(n, _)| *n).collect();
    let props: serde_json::Map<String, Value> = properties.iter().map(|(n, v)| ((*n).to_owned(), v.clone())).collect();
    serde_json::json!({
        "type": "object",
        "properties": props,
        "required": names,
        "additionalProperties": false,
    })
}
