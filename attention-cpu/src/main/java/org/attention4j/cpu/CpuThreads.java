package org.attention4j.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A fixed pool of worker threads over which a kernel spreads independent work items. Items never share
 * an output element or a reduction, so which thread runs an item, and in which order, cannot change any
 * result bit: results are identical for every thread count.
 */
public final class CpuThreads {
    /** System property: number of threads (default: available processors). */
    public static final String THREADS_PROPERTY = "attention4j.cpu.threads";

    private static final ConcurrentMap<Integer, CpuThreads> SHARED = new ConcurrentHashMap<>();

    private final int threads;
    private final ExecutorService pool;

    /** The process-wide pool of {@code threads} (backends of the same size share their idle workers). */
    public static CpuThreads shared(int threads) {
        return SHARED.computeIfAbsent(threads, CpuThreads::new);
    }

    /** A pool of {@code threads} (the calling thread counts as one of them). */
    public CpuThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads: expected >= 1, got " + threads);
        }
        this.threads = threads;
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "attention4j-cpu");
            t.setDaemon(true);
            return t;
        });
    }

    /** The default size: {@code attention4j.cpu.threads} if set, else the available processors. */
    public static int defaultThreads() {
        String prop = System.getProperty(THREADS_PROPERTY);
        if (prop != null && !prop.isBlank()) {
            try {
                int n = Integer.parseInt(prop.trim());
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // fall through to the machine's size
            }
            System.getLogger("org.attention4j.cpu").log(System.Logger.Level.WARNING,
                    "attention4j: ignoring {0}={1} (expected an int >= 1)", THREADS_PROPERTY, prop);
        }
        return Runtime.getRuntime().availableProcessors();
    }

    public int threads() {
        return threads;
    }

    /**
     * One helper's share of a {@link #forEach}. A helper still queued when the caller has taken every item
     * (the pool is busy with other calls) is abandoned instead of waited for.
     */
    private static final class Helper implements Runnable {
        private static final int QUEUED = 0, RUNNING = 1, ABANDONED = 2;
        private final AtomicInteger state = new AtomicInteger(QUEUED);
        private final CountDownLatch done = new CountDownLatch(1);
        private final Runnable loop;
        private volatile Throwable failure;

        Helper(Runnable loop) {
            this.loop = loop;
        }

        @Override
        public void run() {
            if (!state.compareAndSet(QUEUED, RUNNING)) {
                return;
            }
            try {
                loop.run();
            } catch (RuntimeException | Error e) {
                failure = e;
            } finally {
                done.countDown();
            }
        }

        /** Waits for a started helper; returns its failure or null. */
        Throwable finish() {
            if (state.compareAndSet(QUEUED, ABANDONED)) {
                return null;
            }
            boolean interrupted = false;
            while (true) {
                try {
                    done.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return failure;
        }
    }

    /** Work on one item with a per-worker scratch object. */
    public interface Body<S> {
        void run(int item, S scratch);
    }

    /** Runs {@code body} for items {@code 0 .. n-1}; each worker makes one scratch object with {@code scratch}. */
    public <S> void forEach(int n, Supplier<S> scratch, Body<S> body) {
        if (n <= 0) {
            return;
        }
        int workers = Math.min(threads, n);
        if (workers == 1) {
            S s = scratch.get();
            for (int i = 0; i < n; i++) {
                body.run(i, s);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable loop = () -> {
            S s = null;
            for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                if (s == null) {
                    s = scratch.get();
                }
                body.run(i, s);
            }
        };
        List<Helper> helpers = new ArrayList<>(workers - 1);
        for (int w = 1; w < workers; w++) {
            Helper h = new Helper(loop);
            helpers.add(h);
            pool.execute(h);
        }
        Throwable failure = null;
        try {
            loop.run();
        } catch (RuntimeException | Error e) {
            failure = e;
            next.set(n);
        }
        for (Helper h : helpers) {
            Throwable t = h.finish();
            if (failure == null) {
                failure = t;
            }
        }
        if (failure instanceof RuntimeException) {
            throw (RuntimeException) failure;
        }
        if (failure instanceof Error) {
            throw (Error) failure;
        }
        if (failure != null) {
            throw new IllegalStateException("attention4j cpu worker failed", failure);
        }
    }
}
