//! The summary model: a local GGUF model loaded once at start-up, an OpenAI-compatible server
//! the team runs, or the reason there is none. Summaries are made in the background by the job
//! workers (`workers::summaries`), after each transcript.

use std::path::PathBuf;
use std::sync::Arc;

use summarize::Summarizer;
use summarize::endpoint::{Endpoint, EndpointOptions};
use summarize::local::{LocalModel, LocalOptions, Priority};

use crate::config::{Config, SummaryPriority};

/// Where summaries come from, as configured.
#[derive(Debug, Clone)]
enum Choice {
    Off,
    Local { path: PathBuf, options: LocalOptions },
    Endpoint(EndpointOptions),
}

impl Choice {
    fn of(config: &Config) -> Self {
        // Without either flag, a GGUF model fetched into <data-dir>/models is the one.
        let found = match (&config.summary_model, &config.summary_url) {
            (None, None) => config.first_model("gguf"),
            _ => None,
        };
        match (config.summary_model.as_ref().or(found.as_ref()), &config.summary_url) {
            (Some(path), _) => {
                let defaults = LocalOptions::default();
                Self::Local {
                    path: path.clone(),
                    options: LocalOptions {
                        threads: config.summary_threads.unwrap_or(defaults.threads),
                        context: config.summary_context,
                        priority: match config.summary_priority {
                            SummaryPriority::Background => Priority::Background,
                            SummaryPriority::Normal => Priority::Normal,
                        },
                    },
                }
            }
            (None, Some(url)) => Self::Endpoint(EndpointOptions {
                url: url.clone(),
                api_key: config.summary_api_key.as_ref().map(|k| k.0.clone()),
                model: config.summary_model_name.clone(),
            }),
            (None, None) => Self::Off,
        }
    }
}

/// The summary service: a summarizer, or why there is none.
#[derive(Debug, Clone)]
pub struct Summarization {
    engine: Arc<Engine>,
}

#[derive(Debug)]
enum Engine {
    Ready(Arc<Summarizer>),
    Off(String),
}

impl Summarization {
    /// Loads the configured model (on a blocking thread: large models take seconds). A missing
    /// or broken model turns summaries off; it does not stop the server.
    pub async fn load(config: &Config) -> Self {
        let engine = match Choice::of(config) {
            Choice::Off => Engine::Off(format!(
                "no summary model: fetch one (server models fetch qwen2.5-1.5b-instruct) into {}, or set \
                 --summary-model or --summary-url",
                config.data_dir.join("models").display()
            )),
            Choice::Endpoint(options) => {
                tracing::info!(url = %options.url, model = %options.model, "summaries by an OpenAI-compatible server");
                Engine::Ready(Arc::new(Summarizer::new(Box::new(Endpoint::new(options)))))
            }
            Choice::Local { path, options } => {
                match tokio::task::spawn_blocking(move || LocalModel::load(&path, options)).await {
                    Ok(Ok(model)) => {
                        let summarizer = Summarizer::new(Box::new(model));
                        tracing::info!(model = %summarizer.model_name(), threads = options.threads, "summaries enabled");
                        Engine::Ready(Arc::new(summarizer))
                    }
                    Ok(Err(err)) => Engine::Off(err.to_string()),
                    Err(err) => Engine::Off(format!("loading the summary model crashed: {err}")),
                }
            }
        };
        if let Engine::Off(why) = &engine {
            tracing::info!("summaries off: {why}");
        }
        Self {
            engine: Arc::new(engine),
        }
    }

    /// Summaries off, with this reason (for tests and tools that build a state by hand).
    pub fn off(why: &str) -> Self {
        Self {
            engine: Arc::new(Engine::Off(why.to_owned())),
        }
    }

    /// The summarizer, unless summaries are off.
    pub fn summarizer(&self) -> Option<&Arc<Summarizer>> {
        match &*self.engine {
            Engine::Ready(summarizer) => Some(summarizer),
            Engine::Off(_) => None,
        }
    }

    /// Why summaries are off, if they are.
    pub fn off_reason(&self) -> Option<&str> {
        match &*self.engine {
            Engine::Ready(_) => None,
            Engine::Off(why) => Some(why),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use clap::Parser;

    use super::*;

    fn choice(args: &[&str]) -> Choice {
        let config = Config::try_parse_from(["server", "--data-dir", "/nonexistent"].iter().chain(args)).unwrap();
        Choice::of(&config)
    }

    #[test]
    fn a_local_model_runs_in_the_background_unless_told_otherwise() {
        let Choice::Local { options, .. } = choice(&["--summary-model", "m.gguf"]) else {
            panic!("a local model");
        };
        assert_eq!(options.priority, Priority::Background);
        let Choice::Local { options, .. } = choice(&["--summary-model", "m.gguf", "--summary-priority", "normal"])
        else {
            panic!("a local model");
        };
        assert_eq!(options.priority, Priority::Normal);
        assert!(matches!(choice(&[]), Choice::Off));
    }
}
