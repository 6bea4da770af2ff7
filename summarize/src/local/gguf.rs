//! Reading a GGUF instruction model for candle: its weights (re-quantised where candle's CPU
//! kernels for the file's type are slow), its tokenizer (built from the file's vocabulary) and
//! the shape of its chat prompt.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::Path;

use candle_core::Device;
use candle_core::quantized::gguf_file::{Content, TensorInfo};
use candle_core::quantized::tokenizer::TokenizerFromGguf;
use candle_core::quantized::{GgmlDType, QTensor};
use candle_transformers::models::{quantized_llama, quantized_qwen2};
use tokenizers::Tokenizer;

use crate::SummarizeError;

/// The model's layers, by architecture.
pub enum Weights {
    Llama(quantized_llama::ModelWeights),
    Qwen2(quantized_qwen2::ModelWeights),
}

impl std::fmt::Debug for Weights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Llama(_) => "Weights::Llama",
            Self::Qwen2(_) => "Weights::Qwen2",
        })
    }
}

impl Weights {
    /// The logits of the token after `tokens`, which continue the sequence at `position`.
    pub fn forward(
        &mut self,
        tokens: &candle_core::Tensor,
        position: usize,
    ) -> candle_core::Result<candle_core::Tensor> {
        match self {
            Self::Llama(model) => model.forward(tokens, position),
            Self::Qwen2(model) => model.forward(tokens, position),
        }
    }

    /// Forgets the sequence so far.
    pub fn clear(&mut self) {
        match self {
            Self::Llama(model) => model.clear_kv_cache(),
            Self::Qwen2(model) => model.clear_kv_cache(),
        }
    }
}

/// How the model wants a conversation written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatFormat {
    /// `<|im_start|>role … <|im_end|>` (SmolLM2, Qwen2.5).
    ChatMl,
    /// `<|start_header_id|>role<|end_header_id|> … <|eot_id|>` (Llama 3).
    Llama3,
}

impl ChatFormat {
    /// A system and a user message, and the opening of the assistant's answer.
    pub fn prompt(self, system: &str, user: &str) -> String {
        match self {
            Self::ChatMl => format!(
                "<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
            ),
            Self::Llama3 => format!(
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|>\
                 <|start_header_id|>user<|end_header_id|>\n\n{user}<|eot_id|>\
                 <|start_header_id|>assistant<|end_header_id|>\n\n"
            ),
        }
    }

    /// The token that ends the assistant's turn.
    pub fn end_of_turn(self) -> &'static str {
        match self {
            Self::ChatMl => "<|im_end|>",
            Self::Llama3 => "<|eot_id|>",
        }
    }
}

/// A model read from its file.
#[derive(Debug)]
pub struct Loaded {
    pub weights: Weights,
    pub tokenizer: Tokenizer,
    pub chat: ChatFormat,
    /// The tokens its training allows in one sequence.
    pub context: usize,
    /// `general.name`, or the file's name.
    pub name: String,
}

/// Quantisations candle's CPU kernels run fast (SIMD, or repacked for VNNI); others are
/// re-quantised to Q8_0 as they load.
const FAST: &[GgmlDType] = &[
    GgmlDType::F32,
    GgmlDType::F16,
    GgmlDType::BF16,
    GgmlDType::Q8_0,
    GgmlDType::Q4_0,
    GgmlDType::Q2K,
    GgmlDType::Q3K,
    GgmlDType::Q4K,
    GgmlDType::Q6K,
];

/// Reads the model at `path`.
pub fn load(path: &Path) -> Result<Loaded, SummarizeError> {
    let file_error = |source| SummarizeError::ModelFile {
        path: path.display().to_string(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(file_error)?;
    let content = Content::read(&mut file).map_err(|e| SummarizeError::BadModel(e.to_string()))?;
    let text = |key: &str| content.metadata.get(key).and_then(|v| v.to_string().ok()).cloned();
    let architecture = text("general.architecture").unwrap_or_default();
    let chat = match text("tokenizer.chat_template") {
        Some(t) if t.contains("<|im_start|>") => ChatFormat::ChatMl,
        Some(t) if t.contains("<|start_header_id|>") => ChatFormat::Llama3,
        _ => {
            return Err(SummarizeError::BadModel(
                "its chat template is neither ChatML nor Llama 3's: not an instruction model this server knows".into(),
            ));
        }
    };
    let context = content
        .metadata
        .get(&format!("{architecture}.context_length"))
        .and_then(|v| v.to_u32().ok())
        .unwrap_or(2048) as usize;
    let name = text("general.name").unwrap_or_else(|| {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let tokenizer = tokenizer(&content)?;
    let slow = content.tensor_infos.values().any(|t| !FAST.contains(&t.ggml_dtype));
    let device = Device::Cpu;
    let weights = if slow {
        let (content, data) = requantized(content, &mut file)?;
        build(&architecture, content, &mut Cursor::new(data), &device)?
    } else {
        build(&architecture, content, &mut file, &device)?
    };
    Ok(Loaded {
        weights,
        tokenizer,
        chat,
        context,
        name,
    })
}

fn build<R: std::io::Read + std::io::Seek>(
    architecture: &str,
    content: Content,
    reader: &mut R,
    device: &Device,
) -> Result<Weights, SummarizeError> {
    Ok(match architecture {
        "llama" => Weights::Llama(quantized_llama::ModelWeights::from_gguf(content, reader, device)?),
        "qwen2" => Weights::Qwen2(quantized_qwen2::ModelWeights::from_gguf(content, reader, device)?),
        other => {
            return Err(SummarizeError::BadModel(format!(
                "architecture {other:?}: this server runs llama and qwen2 models"
            )));
        }
    })
}

/// The file's tensors in memory, those of slow types re-quantised to Q8_0 (a quarter larger
/// than Q4, and several times faster through a prompt).
fn requantized(content: Content, file: &mut std::fs::File) -> Result<(Content, Vec<u8>), SummarizeError> {
    let mut data: Vec<u8> = Vec::new();
    let mut infos = HashMap::new();
    let mut names: Vec<String> = content.tensor_infos.keys().cloned().collect();
    names.sort();
    for name in names {
        let tensor = content.tensor(file, &name, &Device::Cpu)?;
        let tensor = if FAST.contains(&tensor.dtype()) || tensor.shape().dims().last().is_none_or(|d| d % 32 != 0) {
            tensor
        } else {
            QTensor::quantize(&tensor.dequantize(&Device::Cpu)?, GgmlDType::Q8_0)?
        };
        // Tensors start aligned, as in a GGUF file.
        data.resize(data.len().next_multiple_of(32), 0);
        infos.insert(
            name,
            TensorInfo {
                ggml_dtype: tensor.dtype(),
                shape: tensor.shape().clone(),
                offset: data.len() as u64,
            },
        );
        data.extend_from_slice(&tensor.data()?);
    }
    let content = Content {
        magic: content.magic,
        metadata: content.metadata,
        tensor_infos: infos,
        tensor_data_offset: 0,
    };
    Ok((content, data))
}

/// The tokenizer the file describes. candle builds it; for SmolLM2's and GPT-2-style
/// vocabularies its default splits words with a leading space llama.cpp does not add (which
/// would make `{"` one token and ` {"` another), so those get llama.cpp's splitting.
fn tokenizer(content: &Content) -> Result<Tokenizer, SummarizeError> {
    use tokenizers::pre_tokenizers::byte_level::ByteLevel;
    use tokenizers::pre_tokenizers::digits::Digits;
    use tokenizers::pre_tokenizers::sequence::Sequence;
    let mut tokenizer = Tokenizer::from_gguf(content).map_err(|e| SummarizeError::BadModel(e.to_string()))?;
    let text = |key: &str| content.metadata.get(key).and_then(|v| v.to_string().ok()).cloned();
    let model = text("tokenizer.ggml.model").unwrap_or_default();
    let pre = text("tokenizer.ggml.pre").unwrap_or_default();
    if model == "gpt2" && !matches!(pre.as_str(), "qwen2" | "llama3" | "smaug-bpe" | "lfm2") {
        let mut steps = Vec::new();
        if pre == "smollm" {
            steps.push(Digits::new(true).into());
        }
        steps.push(ByteLevel::new(false, true, true).into());
        tokenizer.with_pre_tokenizer(Some(Sequence::new(steps)));
    }
    Ok(tokenizer)
}
