package org.attention4j.examples.consumer;

import java.nio.file.Path;
import org.attention4j.Attention;
import org.attention4j.Npy;
import org.attention4j.Parity;
import org.attention4j.Tensor;

/**
 * The README's parity recipe: q, k, v and the expected output saved from PyTorch ({@code [B, H, S, D]}) are
 * read, viewed as {@code [B, S, H, D]} without copying, and attended; the output must match.
 * Usage: {@code PyTorchParity <dir with q.npy k.npy v.npy o.npy>}.
 */
public final class PyTorchParity {
    private PyTorchParity() {
    }

    public static void main(String[] args) {
        Path dir = Path.of(args.length > 0 ? args[0] : ".");
        System.out.println("module " + Attention.class.getModule().getName() + ", reading " + dir.toAbsolutePath());
        // region readme
        Tensor o = Attention.softmax().causal(true).build().forward(bshd(dir, "q"), bshd(dir, "k"), bshd(dir, "v"));
        Parity parity = Parity.of(bshd(dir, "o"), o).require();   // AssertionError with the numbers if it differs
        // endregion
        System.out.println("PyTorch parity on " + Attention.lastBackend() + ": " + parity);
        if (!"org.attention4j.api".equals(Attention.class.getModule().getName())) {
            throw new AssertionError("attention-api is not the named module org.attention4j.api: "
                    + Attention.class.getModule());
        }
    }

    /** PyTorch's {@code [B, H, S, D]} file seen as Attention4J's {@code [B, S, H, D]} (a view, no copy). */
    static Tensor bshd(Path dir, String name) {
        return Npy.read(dir.resolve(name + ".npy")).permute(0, 2, 1, 3);
    }
}
