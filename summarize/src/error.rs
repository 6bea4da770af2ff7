use thiserror::Error;

/// Why a message could not be summarised.
#[derive(Debug, Error)]
pub enum SummarizeError {
    #[error("cannot read the model {path}: {source}")]
    ModelFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the model file is not a usable GGUF model: {0}")]
    BadModel(String),
    #[error("the model ran into an error: {0}")]
    Inference(String),
    #[error("the prompt needs {needed} tokens, more than the {limit} the context holds")]
    TooLong { needed: usize, limit: usize },
    #[error("the summary server failed: {0}")]
    Endpoint(String),
    #[error("the model's answer was not the JSON asked for: {0}")]
    Unparsable(String),
    #[error("the model's summary does not match the message's words: {0:?}")]
    Ungrounded(String),
}

impl From<candle_core::Error> for SummarizeError {
    fn from(err: candle_core::Error) -> Self {
        Self::Inference(err.to_string())
    }
}
