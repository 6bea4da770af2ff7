//! A model the team already runs, behind an OpenAI-compatible chat-completions endpoint
//! (llama.cpp's server, Ollama, vLLM …): the answer's shape is asked for as a JSON Schema
//! (`response_format`), and what comes back is parsed and checked like a local answer.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{Generator, Request, SummarizeError};

/// How strongly a token already said is held back (OpenAI's `frequency_penalty`, -2 to 2).
const FREQUENCY_PENALTY: f64 = 0.5;

/// How long one answer may take.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(300);

/// Where the model is, and how to reach it.
#[derive(Debug, Clone)]
pub struct EndpointOptions {
    /// The API's base, e.g. `http://127.0.0.1:8081/v1` (`/chat/completions` is added).
    pub url: String,
    pub api_key: Option<String>,
    /// The model the server should use, as it names it.
    pub model: String,
}

/// An OpenAI-compatible chat-completions server.
#[derive(Debug)]
pub struct Endpoint {
    options: EndpointOptions,
    agent: ureq::Agent,
}

impl Endpoint {
    pub fn new(options: EndpointOptions) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(10))
            .timeout(ANSWER_TIMEOUT)
            .redirects(0)
            .build();
        Self { options, agent }
    }

    fn url(&self) -> String {
        format!("{}/chat/completions", self.options.url.trim_end_matches('/'))
    }
}

impl Generator for Endpoint {
    fn generate(&self, request: &Request) -> Result<Value, SummarizeError> {
        let body = json!({
            "model": self.options.model,
            "messages": [
                { "role": "system", "content": request.system },
                { "role": "user", "content": request.user },
            ],
            "temperature": 0,
            // What the local engine's repetition penalty does, in the API's standard terms:
            // greedy decoding of a small model otherwise says the same sentence again.
            "frequency_penalty": FREQUENCY_PENALTY,
            "max_tokens": request.max_tokens,
            "response_format": {
                "type": "json_schema",
                "json_schema": { "name": "answer", "strict": true, "schema": request.schema },
            },
        });
        let mut call = self.agent.post(&self.url()).set("Content-Type", "application/json");
        if let Some(key) = &self.options.api_key {
            call = call.set("Authorization", &format!("Bearer {key}"));
        }
        let reply: Value = match call.send_json(body) {
            Ok(reply) => reply
                .into_json()
                .map_err(|e| SummarizeError::Endpoint(format!("an answer that is not JSON: {e}")))?,
            Err(ureq::Error::Status(status, reply)) => {
                let text = reply.into_string().unwrap_or_default();
                let text: String = text.chars().take(300).collect();
                return Err(SummarizeError::Endpoint(format!("HTTP {status}: {text}")));
            }
            Err(err) => return Err(SummarizeError::Endpoint(err.to_string())),
        };
        let content = reply["choices"][0]["message"]["content"]
            .as_str()
            .ok_or_else(|| SummarizeError::Endpoint(format!("no message in {reply}")))?;
        serde_json::from_str(content.trim()).map_err(|e| SummarizeError::Unparsable(format!("{e}: {content}")))
    }

    fn model_name(&self) -> String {
        self.options.model.clone()
    }
}
