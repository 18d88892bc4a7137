package org.attention4j;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.attention4j.internal.Checks;

/**
 * NumPy {@code .npy} files, so that tensors move between Attention4J and NumPy or PyTorch without glue code:
 * {@code np.save("q.npy", q.float().numpy())} in Python, {@code Npy.read(Path.of("q.npy"))} here.
 *
 * <p>Element types: {@code '<f4'} is {@link DType#F32}, {@code '<f2'} is {@link DType#F16}, and
 * {@code '<u2'} holds {@link DType#BF16} bit patterns (NumPy has no bfloat16; save
 * {@code t.view(torch.uint16).numpy()}). Files are written little-endian in C order. Reading also accepts
 * big-endian files and {@code fortran_order} files (as a transposed view, without a copy). Bits are copied
 * exactly, NaN payloads included.
 *
 * <p>A file that is not one of these (another dtype, a truncated or over-long file, a damaged header) is an
 * {@link IllegalArgumentException} naming the file, the expected and the actual value; I/O failures are
 * {@link UncheckedIOException}s. {@link #write(Path, Tensor)} replaces the target atomically, so a failed
 * write leaves an existing file as it was.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** NumPy pads headers so that the data starts on a 64-byte boundary. */
    private static final int ALIGN = 64;
    private static final int CHUNK = 1 << 16;
    private static final Pattern DESCR = Pattern.compile("['\"]descr['\"]\\s*:\\s*['\"]([^'\"]*)['\"]");
    private static final Pattern FORTRAN = Pattern.compile("['\"]fortran_order['\"]\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("['\"]shape['\"]\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {
    }

    /** What a header says: element type and byte order, layout, shape, and where the data starts. */
    private record Header(DType dtype, ByteOrder order, boolean fortran, long[] shape, long dataOffset) {
        long numel() {
            long n = 1;
            for (long x : shape) n = Math.multiplyExact(n, x);
            return n;
        }

        long dataBytes() {
            return Math.multiplyExact(numel(), dtype.byteSize());
        }

        String describe() {
            return dtype + " " + Arrays.toString(shape);
        }
    }

    // ------------------------------------------------------------------ reading

    /** Reads the array in {@code path} into a new heap tensor. */
    public static Tensor read(Path path) {
        Checks.notNull(path, "path");
        String arg = "path (" + path + ")";
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            Header h = readHeader(ch, arg);
            checkDataSize(h, ch.size() - h.dataOffset(), arg);
            return readData(ch, h, arg);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + path, e);
        }
    }

    /**
     * Reads one array from {@code in} into a new heap tensor, leaving the stream just after it (a stream may
     * hold several arrays written one after another). The stream is not closed.
     */
    public static Tensor read(InputStream in) {
        Checks.notNull(in, "in");
        try {
            ReadableByteChannel ch = Channels.newChannel(in);
            Header h = readHeader(ch, "in");
            return readData(ch, h, "in");
        } catch (IOException e) {
            throw new UncheckedIOException("reading an .npy stream", e);
        }
    }

    /**
     * Maps the array in {@code path} into memory without reading it onto the Java heap: the tensor's
     * storage is a read-only mapping of the file, so large inputs cost no heap and the file is never
     * changed (writing into the tensor throws {@link java.nio.ReadOnlyBufferException}; {@code copy()} it
     * to modify). At most {@code Integer.MAX_VALUE} data bytes (one mapping).
     */
    public static Tensor map(Path path) {
        Checks.notNull(path, "path");
        String arg = "path (" + path + ")";
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            Header h = readHeader(ch, arg);
            long bytes = h.dataBytes();
            checkDataSize(h, ch.size() - h.dataOffset(), arg);
            if (bytes > Integer.MAX_VALUE) {
                throw Checks.mismatch(arg, "at most " + Integer.MAX_VALUE + " data bytes to map (read it with Npy.read)",
                        bytes + " bytes for " + h.describe());
            }
            ByteBuffer data = ch.map(FileChannel.MapMode.READ_ONLY, h.dataOffset(), bytes).order(h.order());
            return layout(Storage.of(data, h.dtype()), h);
        } catch (IOException e) {
            throw new UncheckedIOException("mapping " + path, e);
        }
    }

    private static Header readHeader(ReadableByteChannel ch, String arg) throws IOException {
        ByteBuffer pre = ByteBuffer.allocate(MAGIC.length + 2).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, pre, arg, "the .npy magic and version (8 bytes)");
        byte[] magic = new byte[MAGIC.length];
        pre.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw Checks.mismatch(arg, "an .npy file starting with \\x93NUMPY", "first bytes " + printable(magic));
        }
        int major = pre.get() & 0xff;
        int minor = pre.get() & 0xff;
        if (major < 1 || major > 3) {
            throw Checks.mismatch(arg, ".npy format version 1.0, 2.0 or 3.0", "version " + major + "." + minor);
        }
        int lenBytes = major == 1 ? 2 : 4;
        ByteBuffer len = ByteBuffer.allocate(lenBytes).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, len, arg, "the header length (" + lenBytes + " bytes)");
        long headerLen = major == 1 ? len.getShort() & 0xffff : len.getInt() & 0xffffffffL;
        if (headerLen > 1 << 20) {
            throw Checks.mismatch(arg, "a header of at most 1 MiB", headerLen + " bytes");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        readFully(ch, hb, arg, "a header of " + headerLen + " bytes");
        String header = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        return parseHeader(header, MAGIC.length + 2 + lenBytes + headerLen, arg);
    }

    private static Header parseHeader(String header, long dataOffset, String arg) {
        Matcher d = DESCR.matcher(header);
        Matcher f = FORTRAN.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) {
            throw Checks.mismatch(arg, "a header dict with 'descr' (a simple dtype), 'fortran_order' and 'shape'",
                    "header " + header.trim());
        }
        String descr = d.group(1);
        ByteOrder order;
        switch (descr.isEmpty() ? ' ' : descr.charAt(0)) {
            case '<': order = ByteOrder.LITTLE_ENDIAN; break;
            case '>': order = ByteOrder.BIG_ENDIAN; break;
            case '=': order = ByteOrder.nativeOrder(); break;
            default: order = null;
        }
        DType dtype = null;
        if (order != null) {
            switch (descr.substring(1)) {
                case "f4": dtype = DType.F32; break;
                case "f2": dtype = DType.F16; break;
                case "u2": dtype = DType.BF16; break;
                default: break;
            }
        }
        if (dtype == null) {
            throw Checks.mismatch(arg, "dtype '<f4' (F32), '<f2' (F16) or '<u2' (BF16 bits); convert with "
                    + ".astype(np.float32) or, for bfloat16, .view(torch.uint16)", "dtype '" + descr + "'");
        }
        List<Long> dims = new ArrayList<>();
        for (String part : s.group(1).split(",")) {
            String p = part.trim();
            if (p.endsWith("L")) p = p.substring(0, p.length() - 1); // Python 2 long literals
            if (p.isEmpty()) continue;
            try {
                long x = Long.parseLong(p);
                if (x < 0) throw new NumberFormatException();
                dims.add(x);
            } catch (NumberFormatException e) {
                throw Checks.mismatch(arg, "a shape of non-negative integers", "shape (" + s.group(1) + ")");
            }
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        Header h = new Header(dtype, order, f.group(1).equals("True"), shape, dataOffset);
        try {
            h.dataBytes();
        } catch (ArithmeticException e) {
            throw Checks.mismatch(arg, "a shape whose byte size fits in a long", "shape " + Arrays.toString(shape));
        }
        return h;
    }

    private static void checkDataSize(Header h, long actual, String arg) {
        long expected = h.dataBytes();
        if (actual < expected) {
            throw Checks.mismatch(arg, expected + " data bytes for " + h.describe(), actual + " (truncated file)");
        }
        if (actual > expected) {
            throw Checks.mismatch(arg, expected + " data bytes for " + h.describe(),
                    actual + " (" + (actual - expected) + " trailing bytes: not an .npy file written by NumPy)");
        }
    }

    private static Tensor readData(ReadableByteChannel ch, Header h, String arg) throws IOException {
        long n = h.numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw Checks.mismatch(arg, "at most " + (Integer.MAX_VALUE - 8) + " elements for a heap tensor (try Npy.map)",
                    n + " elements " + Arrays.toString(h.shape()));
        }
        int count = (int) n;
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK).order(h.order());
        Storage storage;
        int done = 0;
        if (h.dtype() == DType.F32) {
            float[] data = new float[count];
            while (done < count) {
                int m = Math.min(count - done, CHUNK / 4);
                fill(ch, chunk, m * 4, h, done * 4L, arg);
                chunk.asFloatBuffer().get(data, done, m);
                done += m;
            }
            storage = new Storage.F32(data);
        } else {
            short[] bits = new short[count];
            while (done < count) {
                int m = Math.min(count - done, CHUNK / 2);
                fill(ch, chunk, m * 2, h, done * 2L, arg);
                chunk.asShortBuffer().get(bits, done, m);
                done += m;
            }
            storage = new Storage.Half(h.dtype(), bits);
        }
        return layout(storage, h);
    }

    private static void fill(ReadableByteChannel ch, ByteBuffer chunk, int bytes, Header h, long before, String arg)
            throws IOException {
        chunk.clear().limit(bytes);
        while (chunk.hasRemaining()) {
            if (ch.read(chunk) < 0) {
                throw Checks.mismatch(arg, h.dataBytes() + " data bytes for " + h.describe(),
                        (before + chunk.position()) + " (truncated file)");
            }
        }
        chunk.flip();
    }

    private static Tensor layout(Storage storage, Header h) {
        long[] shape = h.shape();
        if (!h.fortran()) {
            return Tensor.view(storage, 0, shape, Tensor.contiguousStrides(shape));
        }
        long[] strides = new long[shape.length];
        long acc = 1;
        for (int d = 0; d < shape.length; d++) {
            strides[d] = acc;
            acc *= shape[d];
        }
        return Tensor.view(storage, 0, shape, strides);
    }

    private static void readFully(ReadableByteChannel ch, ByteBuffer buf, String arg, String what) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                throw Checks.mismatch(arg, what, buf.position() + " bytes (truncated file)");
            }
        }
        buf.flip();
    }

    private static String printable(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append(b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format("\\x%02x", b & 0xff));
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ writing

    /**
     * Writes {@code tensor} to {@code path} ({@code .npy}, little-endian, C order, its logical elements
     * whatever its strides). The file is written beside the target and moved into place, so a failure
     * leaves an existing file untouched.
     */
    public static void write(Path path, Tensor tensor) {
        Checks.notNull(path, "path");
        Checks.notNull(tensor, "tensor");
        Path abs = path.toAbsolutePath();
        Path tmp = null;
        try {
            tmp = Files.createTempFile(abs.getParent(), abs.getFileName().toString(), ".part");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                write(ch, tensor);
                ch.force(false);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + path, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the write already failed; that error is the one to report
                }
            }
        }
    }

    /** Writes {@code tensor} as one {@code .npy} array to {@code out}, which is flushed but not closed. */
    public static void write(OutputStream out, Tensor tensor) {
        Checks.notNull(out, "out");
        Checks.notNull(tensor, "tensor");
        try {
            write(Channels.newChannel(out), tensor);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("writing an .npy stream", e);
        }
    }

    /**
     * The header NumPy writes for {@code tensor}, byte for byte: the dict, room for the first axis to grow to
     * 21 digits (NumPy's in-place append), then spaces and a newline up to a 64-byte boundary.
     */
    static byte[] header(Tensor tensor) {
        long[] shape = tensor.shape();
        StringBuilder dims = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            dims.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        if (shape.length == 1) dims.append(',');
        String descr = tensor.dtype() == DType.F32 ? "<f4" : tensor.dtype() == DType.F16 ? "<f2" : "<u2";
        StringBuilder dict = new StringBuilder("{'descr': '").append(descr)
                .append("', 'fortran_order': False, 'shape': (").append(dims).append("), }");
        if (shape.length > 0) {
            dict.append(" ".repeat(Math.max(0, 21 - Long.toString(shape[0]).length())));
        }
        int hlen = dict.length() + 1;
        // Version 1.0 stores the header length in 2 bytes; only a rank in the thousands needs 2.0.
        int version = hlen + ALIGN > 0xffff ? 2 : 1;
        int prefix = MAGIC.length + 2 + (version == 1 ? 2 : 4);
        int pad = ALIGN - (prefix + hlen) % ALIGN;
        dict.append(" ".repeat(pad)).append('\n');
        ByteBuffer b = ByteBuffer.allocate(prefix + dict.length()).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) version).put((byte) 0);
        if (version == 1) b.putShort((short) dict.length()); else b.putInt(dict.length());
        b.put(dict.toString().getBytes(StandardCharsets.ISO_8859_1));
        return b.array();
    }

    private static void write(WritableByteChannel ch, Tensor t) throws IOException {
        writeAll(ch, ByteBuffer.wrap(header(t)));
        Storage s = t.storage();
        int elem = t.dtype().byteSize();
        long n = t.numel();
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        StorageIndex idx = new StorageIndex(t);
        for (long i = 0; i < n; i++) {
            long p = idx.next();
            if (elem == 4) chunk.putFloat(s.getFloat(p)); else chunk.putShort(s.getBits16(p));
            if (!chunk.hasRemaining()) {
                chunk.flip();
                writeAll(ch, chunk);
                chunk.clear();
            }
        }
        chunk.flip();
        writeAll(ch, chunk);
    }

    private static void writeAll(WritableByteChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Storage indices of a view's elements in logical row-major order. */
    private static final class StorageIndex {
        private final long[] shape, strides, idx;
        private long p;
        private boolean started;

        StorageIndex(Tensor t) {
            shape = t.shape();
            strides = t.strides();
            idx = new long[shape.length];
            p = t.offset();
        }

        long next() {
            if (!started) {
                started = true;
                return p;
            }
            for (int d = shape.length - 1; d >= 0; d--) {
                idx[d]++;
                p += strides[d];
                if (idx[d] < shape[d]) {
                    return p;
                }
                p -= idx[d] * strides[d];
                idx[d] = 0;
            }
            return p;
        }
    }
}
