"""Regenerates the .npy fixtures of NpyTest with NumPy (python3 make_fixtures.py). Kept small on purpose."""
import numpy as np

a = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 8 - 1
np.save("f4_2x3x4.npy", a)
np.save("f4_fortran_2x3x4.npy", np.asfortranarray(a))
np.save("f4_bigendian_2x3x4.npy", a.astype(">f4"))
np.save("f4_scalar.npy", np.float32(2.5))
np.save("f4_vector5.npy", np.arange(5, dtype=np.float32))
# F16 bit patterns with the edge cases: signed zero, subnormal, max finite, infinities, a signalling NaN.
np.save("f2_specials.npy", np.array([0x0000, 0x8000, 0x0001, 0x7bff, 0x7c00, 0xfc00, 0x7c01, 0x3c00],
                                    dtype=np.uint16).view("<f2").reshape(2, 4))
# BF16 as PyTorch users save it: t.view(torch.uint16).numpy() gives '<u2'.
np.save("u2_bf16_1x2x3.npy", np.array([0x3f80, 0xbf80, 0x7f80, 0xff81, 0x0001, 0x4049], dtype="<u2").reshape(1, 2, 3))
np.save("f8_rejected.npy", np.zeros((2, 2), dtype=np.float64))
