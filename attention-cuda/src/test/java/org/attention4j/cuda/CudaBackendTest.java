package org.attention4j.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.ServiceLoader;
import org.attention4j.Attention;
import org.attention4j.spi.AttentionBackend;
import org.junit.jupiter.api.Test;

/** What can be checked without a GPU: discovery, the probe's reason, and validation before native code. */
class CudaBackendTest {
    @Test
    void discoveredThroughServiceLoaderWithTheHighestPriority() {
        boolean found = false;
        for (AttentionBackend b : ServiceLoader.load(AttentionBackend.class)) {
            if (b instanceof CudaBackend) {
                found = true;
                assertThat(b.name()).isEqualTo("cuda");
                assertThat(b.priority()).isEqualTo(300);
            }
        }
        assertThat(found).isTrue();
    }

    @Test
    void probeGivesAReasonInsteadOfThrowing() {
        var status = new CudaBackend().availability();
        if (!status.supported()) {
            assertThat(status.reason()).isNotBlank();
        }
        assertThat(CudaRuntime.status()).isSameAs(status); // probed once
    }

    @Test
    void unavailableBackendIsSkippedByTheFacade() {
        assumeFalse(CudaRuntime.status().supported(), "a GPU is present");
        var q = org.attention4j.Tensor.of(new float[2 * 3 * 4], 1, 2, 3, 4);
        var e = Attention.explain(Attention.softmax().build(), q, q, q);
        assertThat(e.entries().get(0).backend()).isEqualTo("cuda");
        assertThat(e.entries().get(0).reason()).startsWith("unavailable: ");
        assertThat(e.chosen()).isNotEqualTo("cuda");
    }

    @Test
    void deviceFacadeValidatesBeforeAnyNativeCall() {
        // Null and shape errors are reported the same way as on the host facade, GPU or not.
        assertThatThrownBy(() -> CudaAttention.forward(Attention.softmax().build(), null, null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("q: expected a non-null value, got null");
        assertThatThrownBy(() -> CudaAttention.forward(null, null, null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("op: expected a non-null value, got null");
    }
}
