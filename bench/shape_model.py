#!/usr/bin/env python3
"""A GGUF model of SmolLM2-1.7B-Instruct's exact shape (Llama: 24 layers, 2048 wide, 8192 feed
forward, 32 heads, vocabulary 49152, Q4_K weights as in the published Q4_K_M files) with random weights and the test model's own
tokenizer and chat template, for `scripts/bench summarize` where the real 1.7B file cannot be
downloaded (only package registries are reachable on the development machine).

Speed depends on a model's shape, not on its weights: this measures what a 1.7B model costs per
prompt token and per answer token, in process and in llama.cpp's server. What it writes is
noise, so its answers run to their length limits: the wall times it gives are an upper bound
for the real model, and the per-token rates are the figures to use.

    python3 bench/shape_model.py ../shared/models/SmolLM2-135M-Instruct.Q4_1.gguf target/models/smollm2-1.7b-shape.gguf

Needs PyPI's `gguf` and `numpy`.
"""

import sys

import numpy as np
import gguf

LAYERS, WIDTH, FEED_FORWARD, HEADS, VOCAB = 24, 2048, 8192, 32, 49152
Q4_K = gguf.GGMLQuantizationType.Q4_K


def string(reader, key):
    field = reader.fields[key]
    return bytes(field.parts[field.data[0]]).decode()


def strings(reader, key):
    field = reader.fields[key]
    return [bytes(field.parts[i]).decode() for i in field.data]


def scalar(reader, key):
    field = reader.fields[key]
    return field.parts[field.data[0]][0]


def random_q4_k(rows, cols, rng):
    """Q4_K super-blocks of random weights: per 256 values an f16 scale and minimum, 12 bytes of
    six-bit sub-block scales and minimums, 128 bytes of four-bit values."""
    blocks = rows * cols // 256
    data = np.empty((blocks, 144), dtype=np.uint8)
    data[:, 0:2] = np.frombuffer(np.float16(0.0005).tobytes(), dtype=np.uint8)
    data[:, 2:4] = np.frombuffer(np.float16(0.0005).tobytes(), dtype=np.uint8)
    data[:, 4:] = rng.integers(0, 256, size=(blocks, 140), dtype=np.uint8)
    return data.reshape(rows, cols // 256 * 144)


def main(source, out):
    reader = gguf.GGUFReader(source)
    rng = np.random.default_rng(7)
    writer = gguf.GGUFWriter(out, "llama")
    writer.add_name("SmolLM2 1.7B shape (random weights)")
    writer.add_block_count(LAYERS)
    writer.add_context_length(8192)
    writer.add_embedding_length(WIDTH)
    writer.add_feed_forward_length(FEED_FORWARD)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(HEADS)
    writer.add_rope_freq_base(130000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_dimension_count(WIDTH // HEADS)
    writer.add_vocab_size(VOCAB)
    writer.add_file_type(15)  # mostly Q4_K_M
    writer.add_tokenizer_model(string(reader, "tokenizer.ggml.model"))
    writer.add_tokenizer_pre(string(reader, "tokenizer.ggml.pre"))
    writer.add_token_list(strings(reader, "tokenizer.ggml.tokens"))
    types = reader.fields["tokenizer.ggml.token_type"]
    writer.add_token_types([int(types.parts[i][0]) for i in types.data])
    writer.add_token_merges(strings(reader, "tokenizer.ggml.merges"))
    writer.add_bos_token_id(int(scalar(reader, "tokenizer.ggml.bos_token_id")))
    writer.add_eos_token_id(int(scalar(reader, "tokenizer.ggml.eos_token_id")))
    writer.add_pad_token_id(int(scalar(reader, "tokenizer.ggml.padding_token_id")))
    writer.add_add_bos_token(False)
    writer.add_add_space_prefix(False)
    writer.add_chat_template(string(reader, "tokenizer.chat_template"))

    def matrix(name, rows, cols):
        writer.add_tensor(name, random_q4_k(rows, cols, rng), raw_dtype=Q4_K)

    def norm(name):
        writer.add_tensor(name, np.ones(WIDTH, dtype=np.float32))

    matrix("token_embd.weight", VOCAB, WIDTH)
    norm("output_norm.weight")
    for layer in range(LAYERS):
        prefix = f"blk.{layer}"
        norm(f"{prefix}.attn_norm.weight")
        norm(f"{prefix}.ffn_norm.weight")
        for part in ("attn_q", "attn_k", "attn_v", "attn_output"):
            matrix(f"{prefix}.{part}.weight", WIDTH, WIDTH)
        matrix(f"{prefix}.ffn_gate.weight", FEED_FORWARD, WIDTH)
        matrix(f"{prefix}.ffn_up.weight", FEED_FORWARD, WIDTH)
        matrix(f"{prefix}.ffn_down.weight", WIDTH, FEED_FORWARD)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
