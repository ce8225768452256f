"""Write a tiny llama-architecture GGUF model with random weights, for a real llama-server.

The model is made with llama.cpp's own gguf-py (the copy in the cached llama.cpp tree,
tests/llama/llama_server_build.py), so its metadata keys and tensor names are the ones the server
of the same release reads.  It is not a language model: random weights, 2 layers, 128-wide
embeddings and a 259-token SentencePiece-style vocabulary (<unk>, <s>, </s> and the 256 byte
tokens <0x00>..<0xFF>, so any prompt tokenizes by byte fallback).  That is enough for the server
to load it, process a prompt and generate, with real timings.  About 1.5 MB, written in well
under a second; deterministic (fixed seed), so the same file comes out every time.

Usage: tiny_model.py GGUF_PY_DIR OUTPUT.gguf
"""

import sys

N_EMBD = 128
N_HEAD = 2  # head size 64: a multiple of 32, the q4_0 block, so a q4_0 KV cache works
N_LAYER = 2
N_FF = 256
N_CTX = 512
ALIAS = "inferops-tiny"


def vocabulary():
    tokens = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)]
    types = [2, 3, 3] + [6] * 256  # UNKNOWN, CONTROL, CONTROL, BYTE (gguf TokenType)
    scores = [0.0] * len(tokens)
    return tokens, scores, types


def write(gguf_py, output):
    sys.path.insert(0, gguf_py)
    import gguf  # noqa: E402 (from the llama.cpp tree the server was built from)
    import numpy as np  # noqa: E402

    rng = np.random.default_rng(1234)
    tokens, scores, types = vocabulary()
    n_vocab = len(tokens)

    def weight(*shape):
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    writer = gguf.GGUFWriter(output, "llama")
    writer.add_name(ALIAS)
    writer.add_context_length(N_CTX)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYER)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(n_vocab)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_add_bos_token(True)

    # numpy shapes are (rows, columns); GGUF stores them reversed, as ggml expects.
    writer.add_tensor("token_embd.weight", weight(n_vocab, N_EMBD))
    for layer in range(N_LAYER):
        name = "blk.%d." % layer
        writer.add_tensor(name + "attn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        for part in ("attn_q", "attn_k", "attn_v", "attn_output"):
            writer.add_tensor(name + part + ".weight", weight(N_EMBD, N_EMBD))
        writer.add_tensor(name + "ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        writer.add_tensor(name + "ffn_gate.weight", weight(N_FF, N_EMBD))
        writer.add_tensor(name + "ffn_up.weight", weight(N_FF, N_EMBD))
        writer.add_tensor(name + "ffn_down.weight", weight(N_EMBD, N_FF))
    writer.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    writer.add_tensor("output.weight", weight(n_vocab, N_EMBD))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return output


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    write(sys.argv[1], sys.argv[2])
