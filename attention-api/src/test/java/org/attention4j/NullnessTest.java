package org.attention4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.AnnotatedType;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.attention4j.spi.AttentionCall;
import org.jspecify.annotations.NullMarked;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Kotlin reads these annotations from the class files: a package without {@code @NullMarked} gives Kotlin
 * platform types, and a nullable parameter without {@code @Nullable} would reject Kotlin's {@code null}.
 */
class NullnessTest {
    @Test
    void everyPublicPackageIsNullMarked() {
        for (Class<?> c : new Class<?>[] {Attention.class, AttentionCall.class,
                org.attention4j.neighborhood.NeighborhoodRule.class, org.attention4j.radial.RadialMask.class}) {
            assertThat(c.getPackage().isAnnotationPresent(NullMarked.class)).as(c.getPackageName()).isTrue();
        }
    }

    @Test
    void theParametersThatAcceptNullSayNullable() throws ReflectiveOperationException {
        List<String> missing = new ArrayList<>();
        nullableParameter(missing, LinearAttention.class.getMethod("forward", Tensor.class, Tensor.class, Tensor.class, Tensor.class), 3);
        nullableParameter(missing, LinearAttention.class.getMethod("forward", Tensor.class, Tensor.class, Tensor.class, Tensor.class, Tensor.class), 3, 4);
        nullableParameter(missing, GatedAttention.class.getMethod("forward", Tensor.class, Tensor.class, Tensor.class, Tensor.class, Tensor.class), 4);
        nullableParameter(missing, LocalLinearAttention.class.getMethod("forward", Tensor.class, Tensor.class, Tensor.class, Tensor.class), 3);
        nullableParameter(missing, SoftmaxFamilyOp.class.getMethod("forwardWithKeyRanges", Tensor.class, Tensor.class, Tensor.class, int[].class, int[].class), 3);
        nullableParameter(missing, RadialAttention.class.getMethod("forwardWithLse", Tensor.class, Tensor.class, Tensor.class, int[].class), 3);
        nullableParameter(missing, LinearState.class.getMethod("step", Tensor.class, Tensor.class, Tensor.class, Tensor.class), 3);
        assertThat(missing).isEmpty();
        // ...and only those: the non-null tensors of the same methods are not marked.
        AnnotatedType[] p = LinearAttention.class.getMethod("forward", Tensor.class, Tensor.class, Tensor.class, Tensor.class)
                .getAnnotatedParameterTypes();
        assertThat(p[0].isAnnotationPresent(Nullable.class)).isFalse();
    }

    @Test
    void theResultsThatMayBeNullSayNullable() throws ReflectiveOperationException {
        for (Method m : new Method[] {Attention.class.getMethod("lastBackend"), AttentionOp.class.getMethod("explicitScale"),
                AttentionOp.class.getMethod("verifyPolicy"), LinearOutput.class.getMethod("finalKeySum"),
                LinearState.class.getMethod("keySum"), Storage.class.getMethod("byteBufferOrNull"),
                Explanation.class.getMethod("chosen"), AttentionCall.class.getMethod("initialState")}) {
            assertThat(m.getAnnotatedReturnType().isAnnotationPresent(Nullable.class)).as(m.toString()).isTrue();
        }
        for (Method m : new Method[] {Storage.class.getMethod("floatArrayOrNull"), LinearAttention.class.getMethod("decay"),
                SoftmaxFamilyOp.class.getMethod("alibiSlopes"), AttentionCall.class.getMethod("keyEnd")}) {
            // float @Nullable []: the annotation is on the array type itself
            assertThat(m.getAnnotatedReturnType().isAnnotationPresent(Nullable.class)).as(m.toString()).isTrue();
        }
        assertThat(Tensor.class.getMethod("toFloatArray").getAnnotatedReturnType().isAnnotationPresent(Nullable.class)).isFalse();
    }

    private static void nullableParameter(List<String> missing, Method m, int... indices) {
        AnnotatedType[] types = m.getAnnotatedParameterTypes();
        for (int i : indices) {
            if (!types[i].isAnnotationPresent(Nullable.class)) {
                missing.add(m + " parameter " + i);
            }
        }
    }
}
