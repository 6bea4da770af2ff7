//! One loaded whisper model, shared by every transcription (each gets its own state).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use whisper_rs::{
    DtwMode, DtwParameters, FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState,
};

use crate::align::{pauses, place_words, unstrand};
use crate::audio::SpeechAudio;
use crate::model_file::{ModelShape, read_shape};
use crate::words::{Token, group_words};
use crate::{Segment, TranscribeError, Transcript, WHISPER_RATE, Word};

/// Whisper reads 30 s at a time anyway; ten-minute windows keep a long clip's PCM at ~38 MB.
const WINDOW_SAMPLES: usize = 10 * 60 * WHISPER_RATE as usize;
/// Where in a window's last stretch to look for a quiet place to cut it.
const CUT_SEARCH_SAMPLES: usize = 30 * WHISPER_RATE as usize;

/// Where each word's anchor time comes from; [`crate::align`] places the words on the sound
/// from it either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WordTiming {
    /// DTW over the cross-attention of the model's alignment heads: the closest anchors.
    /// whisper.cpp runs it only with flash attention off, which costs about a quarter of the
    /// inference time (`docs/benchmarks.md`).
    #[default]
    Aligned,
    /// Whisper's own token times, with flash attention on: faster; the anchors drift more
    /// around pauses, which placing words on the pauses absorbs.
    Fast,
}

#[derive(Debug, Clone)]
pub struct TranscriberOptions {
    /// ISO 639-1 code ("en", "de"…), or `None` to detect it (multilingual models only;
    /// English-only models always say "en").
    pub language: Option<String>,
    /// CPU threads for one transcription.
    pub threads: usize,
    pub word_timing: WordTiming,
}

/// Where the time of one transcription went.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    /// Opus decoding and resampling to 16 kHz.
    pub decode: Duration,
    /// Whisper itself (mel spectrogram, encoder, decoder).
    pub inference: Duration,
    /// Length of the audio transcribed.
    pub audio: Duration,
}

pub struct Transcriber {
    context: WhisperContext,
    model_path: PathBuf,
    options: TranscriberOptions,
}

impl std::fmt::Debug for Transcriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transcriber")
            .field("model_path", &self.model_path)
            .field("options", &self.options)
            .finish()
    }
}

/// For [`WordTiming::Aligned`], DTW word alignment with the published model's attention heads,
/// or the top text layers for a model we do not know; for [`WordTiming::Fast`], flash
/// attention and no DTW (whisper.cpp runs the two only apart).
fn context_params(shape: &ModelShape, word_timing: WordTiming) -> WhisperContextParameters<'static> {
    let mode = match (word_timing, shape.dtw_preset()) {
        (WordTiming::Fast, _) => DtwMode::None,
        (WordTiming::Aligned, Some(model_preset)) => DtwMode::ModelPreset { model_preset },
        (WordTiming::Aligned, None) => DtwMode::TopMost {
            n_top: (shape.n_text_layer / 2).max(1),
        },
    };
    let mut params = WhisperContextParameters::default();
    params.flash_attn(word_timing == WordTiming::Fast);
    params.dtw_parameters(DtwParameters {
        mode,
        ..DtwParameters::default()
    });
    params
}

impl Transcriber {
    /// Loads a ggml whisper model (e.g. `ggml-base.en.bin`).
    pub fn load(model_path: &Path, options: TranscriberOptions) -> Result<Self, TranscribeError> {
        let model_error = |reason: String| TranscribeError::Model {
            path: model_path.to_owned(),
            reason,
        };
        let meta = std::fs::metadata(model_path).map_err(|e| model_error(e.to_string()))?;
        if !meta.is_file() {
            return Err(model_error("not a file".into()));
        }
        if let Some(code) = &options.language
            && whisper_rs::get_lang_id(code).is_none()
        {
            return Err(TranscribeError::UnknownLanguage(code.clone()));
        }
        let shape = read_shape(model_path)
            .map_err(|e| model_error(e.to_string()))?
            .ok_or_else(|| model_error("not a ggml whisper model".into()))?;
        // whisper.cpp prints its progress on stderr; route it to our log instead.
        whisper_rs::install_logging_hooks();
        let context = WhisperContext::new_with_params(model_path, context_params(&shape, options.word_timing))
            .map_err(|e| model_error(format!("not a whisper model ({e})")))?;
        Ok(Self {
            context,
            model_path: model_path.to_owned(),
            options,
        })
    }

    /// The model's file name, e.g. "ggml-tiny.en.bin", to say which model made a transcript.
    pub fn model_name(&self) -> String {
        self.model_path.file_name().map_or_else(
            || self.model_path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    pub fn is_multilingual(&self) -> bool {
        self.context.is_multilingual()
    }

    /// Transcribes a stored clip (Ogg Opus, or WebM with Opus audio).
    pub fn transcribe_file(&self, clip: &Path) -> Result<(Transcript, Timings), TranscribeError> {
        let mut timings = Timings::default();
        let mut audio = SpeechAudio::open(clip)?;
        let mut state = self.context.create_state()?;
        let mut transcript = Transcript::default();
        let mut language = self.fixed_language();
        loop {
            let started = Instant::now();
            let window = audio.next_window(WINDOW_SAMPLES, CUT_SEARCH_SAMPLES)?;
            timings.decode += started.elapsed();
            let Some(window) = window else { break };
            timings.audio += Duration::from_secs_f64(window.pcm.len() as f64 / f64::from(WHISPER_RATE));
            let started = Instant::now();
            // A detected language holds for the rest of the clip: later windows need not guess.
            let lang = self.run(&mut state, &window.pcm, language.as_deref())?;
            timings.inference += started.elapsed();
            language.get_or_insert(lang);
            transcript
                .segments
                .extend(self.segments(&state, &window.pcm, window.start_ms()));
        }
        transcript.language = language.unwrap_or_else(|| "en".to_owned());
        Ok((transcript, timings))
    }

    /// The language to force: the configured one, or "en" for English-only models.
    fn fixed_language(&self) -> Option<String> {
        match &self.options.language {
            Some(code) => Some(code.clone()),
            None if !self.context.is_multilingual() => Some("en".to_owned()),
            None => None,
        }
    }

    /// Runs whisper on one window; returns the language it used.
    fn run(&self, state: &mut WhisperState, pcm: &[f32], language: Option<&str>) -> Result<String, TranscribeError> {
        let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        params.set_n_threads(i32::try_from(self.options.threads.max(1)).unwrap_or(1));
        params.set_language(Some(language.unwrap_or("auto")));
        params.set_token_timestamps(true);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_special(false);
        params.set_print_timestamps(false);
        state.full(params, pcm)?;
        let id = state.full_lang_id_from_state();
        Ok(whisper_rs::get_lang_str(id).unwrap_or("en").to_owned())
    }

    /// The segments whisper found in a window, with words placed on the sound (see
    /// [`crate::align`]), in clip time.
    fn segments(&self, state: &WhisperState, pcm: &[f32], offset_ms: u64) -> Vec<Segment> {
        let window_ms = pcm.len() as u64 * 1000 / u64::from(WHISPER_RATE);
        let first_special = self.context.token_eot();
        let window_time = |centis: i64| (u64::try_from(centis).unwrap_or(0) * 10).min(window_ms);
        let mut segments = Vec::new();
        for segment in state.as_iter() {
            let mut tokens = Vec::new();
            for i in 0..segment.n_tokens() {
                let Some(token) = segment.get_token(i) else { continue };
                if token.token_id() >= first_special {
                    continue; // timestamps, end-of-text and other control tokens
                }
                let data = token.token_data();
                let Ok(bytes) = token.to_bytes() else { continue };
                tokens.push(Token {
                    bytes: bytes.to_vec(),
                    // The DTW time when there is one: the anchor `place_words` starts from.
                    start_ms: window_time(if data.t_dtw >= 0 { data.t_dtw } else { data.t0 }),
                    end_ms: window_time(data.t1),
                    probability: token.token_probability(),
                });
            }
            let words = group_words(&tokens);
            let text = match segment.to_str_lossy() {
                Ok(text) => text.trim().to_owned(),
                Err(_) => words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" "),
            };
            if text.is_empty() {
                continue;
            }
            segments.push(Segment {
                start_ms: window_time(segment.start_timestamp()),
                end_ms: window_time(segment.end_timestamp()),
                text,
                words,
            });
        }
        let counts: Vec<usize> = segments.iter().map(|s| s.words.len()).collect();
        let mut words: Vec<Word> = segments.iter_mut().flat_map(|s| std::mem::take(&mut s.words)).collect();
        let ends_segment: Vec<bool> = counts.iter().flat_map(|&n| (0..n).map(move |i| i + 1 == n)).collect();
        let pauses = pauses(pcm);
        let mut anchors: Vec<u64> = words.iter().map(|w| w.start_ms).collect();
        unstrand(&mut anchors, &ends_segment, &pauses);
        place_words(&mut words, &anchors, &pauses, window_ms);
        let mut words = words.into_iter();
        for (segment, count) in segments.iter_mut().zip(counts) {
            segment.words = words.by_ref().take(count).collect();
            if let (Some(first), Some(last)) = (segment.words.first(), segment.words.last()) {
                segment.start_ms = first.start_ms;
                segment.end_ms = last.end_ms;
            }
            segment.start_ms += offset_ms;
            segment.end_ms += offset_ms;
            for word in &mut segment.words {
                word.start_ms += offset_ms;
                word.end_ms += offset_ms;
            }
        }
        segments
    }
}
