"""Writes the .npy files of the README's PyTorch parity recipe, with NumPy standing in for PyTorch.

With PyTorch the recipe is (tensors in PyTorch's [B, H, S, D] layout):
    o = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
    for name, t in dict(q=q, k=k, v=v, o=o).items():
        np.save(f"{name}.npy", t.float().numpy())
CI has no PyTorch, so this script computes the same SDPA in float64 with NumPy and saves the same files.
Regenerate with: python3 make_parity.py (files are small and committed).
"""
import numpy as np

rng = np.random.default_rng(2026)
B, H, HKV, S, D = 2, 4, 2, 48, 32
q = rng.standard_normal((B, H, S, D)).astype(np.float32)
k = rng.standard_normal((B, HKV, S, D)).astype(np.float32)
v = rng.standard_normal((B, HKV, S, D)).astype(np.float32)

# enable_gqa: query head h uses kv head h // (H // HKV); is_causal with Sq == Sk: key j <= query i.
kk = np.repeat(k.astype(np.float64), H // HKV, axis=1)
vv = np.repeat(v.astype(np.float64), H // HKV, axis=1)
scores = q.astype(np.float64) @ kk.transpose(0, 1, 3, 2) / np.sqrt(D)
scores = np.where(np.tril(np.ones((S, S), dtype=bool)), scores, -np.inf)
weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
weights /= weights.sum(axis=-1, keepdims=True)
o = (weights @ vv).astype(np.float32)

for name, t in dict(q=q, k=k, v=v, o=o).items():
    np.save(f"{name}.npy", t)
