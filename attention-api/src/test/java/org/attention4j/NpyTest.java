package org.attention4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fixtures in src/test/resources/npy were written by NumPy (make_fixtures.py beside them). */
class NpyTest {
    @TempDir
    Path dir;

    private static Path fixture(String name) {
        try {
            return Path.of(NpyTest.class.getResource("/npy/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static float[] expected2x3x4() {
        float[] a = new float[24];
        for (int i = 0; i < 24; i++) a[i] = i / 8f - 1;
        return a;
    }

    @Test
    void readsNumpyF32InCFortranAndBigEndianOrder() {
        for (String name : new String[] {"f4_2x3x4.npy", "f4_fortran_2x3x4.npy", "f4_bigendian_2x3x4.npy"}) {
            Tensor t = Npy.read(fixture(name));
            assertThat(t.dtype()).as(name).isEqualTo(DType.F32);
            assertThat(t.shape()).as(name).containsExactly(2, 3, 4);
            assertThat(t.toFloatArray()).as(name).containsExactly(expected2x3x4());
        }
        assertThat(Npy.read(fixture("f4_fortran_2x3x4.npy")).isContiguous()).isFalse(); // a view, not a copy
        Tensor scalar = Npy.read(fixture("f4_scalar.npy"));
        assertThat(scalar.rank()).isZero();
        assertThat(scalar.toFloatArray()).containsExactly(2.5f);
    }

    @Test
    void writesTheBytesNumpyWrites() throws IOException {
        Path out = dir.resolve("a.npy");
        Npy.write(out, Tensor.of(expected2x3x4(), 2, 3, 4));
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(fixture("f4_2x3x4.npy")));
        Npy.write(out, Tensor.of(new float[] {0, 1, 2, 3, 4}, 5));
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(fixture("f4_vector5.npy")));
        Npy.write(out, Tensor.of(new float[] {2.5f}));
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(fixture("f4_scalar.npy")));
        // A strided view is written in its logical C order: the Fortran fixture read back is the C file.
        Npy.write(out, Npy.read(fixture("f4_fortran_2x3x4.npy")));
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(fixture("f4_2x3x4.npy")));
    }

    @Test
    void halfPrecisionBitsRoundTripExactlyIncludingSignallingNaN() throws IOException {
        Tensor f16 = Npy.read(fixture("f2_specials.npy"));
        assertThat(f16.dtype()).isEqualTo(DType.F16);
        assertThat(f16.storage().shortArrayOrNull()).containsExactly(
                (short) 0x0000, (short) 0x8000, (short) 0x0001, (short) 0x7bff,
                (short) 0x7c00, (short) 0xfc00, (short) 0x7c01, (short) 0x3c00);
        assertThat(f16.get(0, 3)).isEqualTo(65504f);
        Path out = dir.resolve("h.npy");
        Npy.write(out, f16);
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(fixture("f2_specials.npy")));

        Tensor bf16 = Npy.read(fixture("u2_bf16_1x2x3.npy"));
        assertThat(bf16.dtype()).isEqualTo(DType.BF16);
        assertThat(bf16.toFloatArray()[0]).isEqualTo(1f);
        assertThat(bf16.get(0, 1, 2)).isEqualTo(DType.bf16ToFloat((short) 0x4049));
        Npy.write(out, bf16);
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(fixture("u2_bf16_1x2x3.npy")));
        // The same bits from off-heap storage (the buffer path of the writer).
        Npy.write(out, Npy.map(fixture("u2_bf16_1x2x3.npy")));
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(fixture("u2_bf16_1x2x3.npy")));
    }

    @Test
    void mapKeepsDataOffHeapAndReadOnly() throws IOException {
        Path copy = dir.resolve("m.npy");
        Files.copy(fixture("f4_2x3x4.npy"), copy);
        Tensor t = Npy.map(copy);
        assertThat(t.storage().byteBufferOrNull()).isNotNull();
        assertThat(t.storage().byteBufferOrNull().isDirect()).isTrue();
        assertThat(t.toFloatArray()).containsExactly(expected2x3x4());
        assertThatThrownBy(() -> t.set(99f, 1, 2, 3)).isInstanceOf(java.nio.ReadOnlyBufferException.class);
        Tensor editable = t.copy();
        editable.set(99f, 1, 2, 3);
        assertThat(Npy.read(copy).get(1, 2, 3)).isEqualTo(expected2x3x4()[23]);
    }

    @Test
    void streamsHoldSeveralArraysOneAfterAnother() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Npy.write(buf, Tensor.of(new float[] {1, 2, 3}, 3));
        Npy.write(buf, Tensor.fromFloats(DType.F16, new float[] {4, 5}, 1, 2));
        InputStream in = new ByteArrayInputStream(buf.toByteArray());
        assertThat(Npy.read(in).toFloatArray()).containsExactly(1, 2, 3);
        Tensor second = Npy.read(in);
        assertThat(second.dtype()).isEqualTo(DType.F16);
        assertThat(second.shape()).containsExactly(1, 2);
        assertThat(second.toFloatArray()).containsExactly(4, 5);
    }

    @Test
    void otherDtypesAreRejectedWithWhatToDo() {
        assertThatThrownBy(() -> Npy.read(fixture("f8_rejected.npy")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("path (").hasMessageContaining("f8_rejected.npy")
                .hasMessageContaining("expected dtype '<f4' (F32), '<f2' (F16) or '<u2' (BF16 bits)")
                .hasMessageContaining("got dtype '<f8'");
    }

    @Test
    void truncatedAndOverlongFilesAreRejectedWithTheByteCounts() throws IOException {
        byte[] good = Files.readAllBytes(fixture("f4_2x3x4.npy"));
        Path cut = dir.resolve("cut.npy");
        Files.write(cut, Arrays.copyOf(good, good.length - 5));
        for (ThrowingRead read : new ThrowingRead[] {Npy::read, Npy::map}) {
            assertThatThrownBy(() -> read.apply(cut))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("cut.npy")
                    .hasMessageContaining("expected 96 data bytes for F32 [2, 3, 4]")
                    .hasMessageContaining("got 91 (truncated file)");
        }
        assertThatThrownBy(() -> Npy.read(new ByteArrayInputStream(Arrays.copyOf(good, good.length - 5))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("in: expected 96 data bytes for F32 [2, 3, 4], got 91 (truncated file)");
        Path headerCut = dir.resolve("header.npy");
        Files.write(headerCut, Arrays.copyOf(good, 40));
        assertThatThrownBy(() -> Npy.read(headerCut))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected a header of 118 bytes, got 30 bytes (truncated file)");
        Path longer = dir.resolve("long.npy");
        Files.write(longer, Arrays.copyOf(good, good.length + 4));
        assertThatThrownBy(() -> Npy.read(longer))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 100 (4 trailing bytes");
        Path notNpy = dir.resolve("not.npy");
        Files.writeString(notNpy, "hello, world");
        assertThatThrownBy(() -> Npy.read(notNpy))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected an .npy file starting with \\x93NUMPY, got first bytes hello,");
        assertThatThrownBy(() -> Npy.read(dir.resolve("missing.npy"))).isInstanceOf(UncheckedIOException.class);
    }

    @Test
    void aFailedWriteLeavesTheExistingFileAsItWas() throws IOException {
        Path target = dir.resolve("keep.npy");
        Files.copy(fixture("f4_2x3x4.npy"), target);
        Tensor poisoned = Tensor.view(new Storage() {
            @Override public DType dtype() { return DType.F32; }
            @Override public long size() { return 1 << 20; }
            @Override public float getFloat(long i) {
                if (i == 100_000) throw new IllegalStateException("device lost");
                return 0;
            }
            @Override public void setFloat(long i, float x) { }
        }, 0, new long[] {1 << 20}, new long[] {1});
        assertThatThrownBy(() -> Npy.write(target, poisoned)).hasMessage("device lost");
        assertThat(Files.readAllBytes(target)).isEqualTo(Files.readAllBytes(fixture("f4_2x3x4.npy")));
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(target); // no temporary file left behind
        }
    }

    @Test
    void roundTripsEveryDtypeThroughFilesAndStreams() {
        float[] vals = {-2.5f, 0f, 1e-3f, 3.14159f, Float.NEGATIVE_INFINITY, 65000f};
        for (DType dt : DType.values()) {
            Tensor t = Tensor.fromFloats(dt, vals, 2, 3).transpose(0, 1);
            Path p = dir.resolve(dt + ".npy");
            Npy.write(p, t);
            Tensor back = Npy.read(p);
            assertThat(back.dtype()).isEqualTo(dt);
            assertThat(back.shape()).containsExactly(3, 2);
            assertThat(back.toFloatArray()).containsExactly(t.toFloatArray());
        }
    }

    private interface ThrowingRead {
        Tensor apply(Path p);
    }
}
