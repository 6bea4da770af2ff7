//! What a ggml whisper model file is, read from its header before loading it: which published
//! model it is decides the attention heads used for word alignment (DTW).

use std::io::Read;
use std::path::Path;

use whisper_rs::DtwModelPreset;

/// The hyper-parameters at the start of a ggml whisper file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelShape {
    pub n_vocab: i32,
    pub n_audio_layer: i32,
    pub n_text_layer: i32,
    pub n_mels: i32,
}

const GGML_MAGIC: u32 = 0x6767_6d6c; // "ggml"

/// Reads the header; `None` if the file is not a ggml whisper model.
pub fn read_shape(path: &Path) -> std::io::Result<Option<ModelShape>> {
    let mut header = [0u8; 4 * 12];
    let mut file = std::fs::File::open(path)?;
    if file.read_exact(&mut header).is_err() {
        return Ok(None);
    }
    let field = |i: usize| {
        let bytes = [header[i * 4], header[i * 4 + 1], header[i * 4 + 2], header[i * 4 + 3]];
        i32::from_le_bytes(bytes)
    };
    if field(0) as u32 != GGML_MAGIC {
        return Ok(None);
    }
    // magic, n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer, n_text_ctx,
    // n_text_state, n_text_head, n_text_layer, n_mels, ftype
    Ok(Some(ModelShape {
        n_vocab: field(1),
        n_audio_layer: field(5),
        n_text_layer: field(9),
        n_mels: field(10),
    }))
}

impl ModelShape {
    /// English-only models have one token fewer than multilingual ones (51864 vs 51865+).
    pub fn is_multilingual(&self) -> bool {
        self.n_vocab >= 51_865
    }

    /// The alignment-head preset of the published model with this shape, if it is one.
    pub fn dtw_preset(&self) -> Option<DtwModelPreset> {
        let en = !self.is_multilingual();
        Some(match (self.n_audio_layer, self.n_text_layer, en) {
            (4, 4, true) => DtwModelPreset::TinyEn,
            (4, 4, false) => DtwModelPreset::Tiny,
            (6, 6, true) => DtwModelPreset::BaseEn,
            (6, 6, false) => DtwModelPreset::Base,
            (12, 12, true) => DtwModelPreset::SmallEn,
            (12, 12, false) => DtwModelPreset::Small,
            (24, 24, true) => DtwModelPreset::MediumEn,
            (24, 24, false) => DtwModelPreset::Medium,
            (32, 4, false) => DtwModelPreset::LargeV3Turbo,
            (32, 32, false) if self.n_mels == 128 => DtwModelPreset::LargeV3,
            (32, 32, false) => DtwModelPreset::LargeV2,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_name_their_presets() {
        let shape = |n_vocab, a, t, n_mels| ModelShape {
            n_vocab,
            n_audio_layer: a,
            n_text_layer: t,
            n_mels,
        };
        assert!(matches!(
            shape(51864, 4, 4, 80).dtw_preset(),
            Some(DtwModelPreset::TinyEn)
        ));
        assert!(matches!(
            shape(51865, 6, 6, 80).dtw_preset(),
            Some(DtwModelPreset::Base)
        ));
        assert!(matches!(
            shape(51866, 32, 32, 128).dtw_preset(),
            Some(DtwModelPreset::LargeV3)
        ));
        assert!(shape(51865, 7, 7, 80).dtw_preset().is_none());
    }

    #[test]
    fn other_files_are_not_models() {
        let dir = std::env::temp_dir().join(format!("offbeat-model-test-{}", std::process::id()));
        std::fs::write(&dir, b"definitely not a model, but long enough to hold a header").unwrap();
        assert_eq!(read_shape(&dir).unwrap(), None);
        let _ = std::fs::remove_file(&dir);
    }
}
