package org.attention4j.internal;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.attention4j.Explanation;
import org.attention4j.VerifyPolicy;
import org.attention4j.spi.AttentionBackend;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.attention4j.spi.Support;

/**
 * Chooses a backend for each call and verifies it against the reference (DESIGN.md section 4).
 * Backends come from {@link ServiceLoader}, ordered by priority; one that is unavailable is skipped with
 * its reason. The first call per (backend, op config, shape class) is checked on sampled rows; a mismatch
 * logs a warning, marks the backend untrusted for that key, and the next backend answers.
 */
public final class Dispatcher {
    /** System property forcing a backend by name. */
    public static final String BACKEND_PROPERTY = "attention4j.backend";
    /** System property setting the default verification policy. */
    public static final String VERIFY_PROPERTY = "attention4j.verify";

    private static final System.Logger LOG = System.getLogger("org.attention4j");
    private static volatile Dispatcher instance;

    private final List<AttentionBackend> backends;
    private final List<Support> availability;
    private final AttentionBackend oracle;
    private final ConcurrentMap<String, String> verdicts = new ConcurrentHashMap<>();
    private final SplittableRandom seeds = new SplittableRandom();
    private volatile boolean warnedNoOracle;
    private static final ThreadLocal<String> LAST = new ThreadLocal<>();

    /** A dispatcher over the given backends (tests; the process-wide one uses {@link ServiceLoader}). */
    public Dispatcher(List<AttentionBackend> candidates) {
        List<AttentionBackend> sorted = new ArrayList<>(candidates);
        sorted.sort(Comparator.comparingInt(AttentionBackend::priority).reversed());
        this.backends = List.copyOf(sorted);
        List<Support> avail = new ArrayList<>();
        AttentionBackend ref = null;
        for (AttentionBackend b : backends) {
            Support s;
            try {
                s = b.availability();
            } catch (RuntimeException | LinkageError e) {
                s = Support.no("probe failed: " + e);
            }
            avail.add(s);
            if (s.supported()) {
                LOG.log(Level.DEBUG, "attention4j backend {0} (priority {1}) available", b.name(), b.priority());
            } else {
                LOG.log(Level.INFO, "attention4j backend {0} unavailable: {1}", b.name(), s.reason());
            }
            if (b.isReference() && s.supported() && ref == null) {
                ref = b;
            }
        }
        this.availability = List.copyOf(avail);
        this.oracle = ref;
    }

    /** The process-wide dispatcher, built once from the class path. */
    public static Dispatcher get() {
        Dispatcher d = instance;
        if (d == null) {
            synchronized (Dispatcher.class) {
                d = instance;
                if (d == null) {
                    d = new Dispatcher(discover());
                    instance = d;
                }
            }
        }
        return d;
    }

    /** Replaces the process-wide dispatcher (tests); returns the previous one. {@code null} rediscovers. */
    public static synchronized Dispatcher install(Dispatcher d) {
        Dispatcher prev = instance;
        instance = d;
        return prev;
    }

    private static List<AttentionBackend> discover() {
        List<AttentionBackend> found = new ArrayList<>();
        ServiceLoader<AttentionBackend> loader = ServiceLoader.load(AttentionBackend.class, Dispatcher.class.getClassLoader());
        var it = loader.iterator();
        while (true) {
            try {
                if (!it.hasNext()) break;
                found.add(it.next());
            } catch (ServiceConfigurationError | LinkageError e) {
                LOG.log(Level.WARNING, "attention4j: skipping a backend that failed to load: {0}", e.toString());
            }
        }
        return found;
    }

    /** The backends known to this dispatcher, highest priority first. */
    public List<AttentionBackend> backends() {
        return backends;
    }

    /** The name of the backend that answered this thread's last call, or null before the first. */
    public static String lastBackend() {
        return LAST.get();
    }

    /** Runs a validated call on the best trusted backend. */
    public AttentionResult run(AttentionCall call) {
        VerifyPolicy policy = policy(call);
        String forced = forcedBackend();
        if (forced != null) {
            checkForced(forced, call);
        }
        StringBuilder reasons = new StringBuilder();
        for (int i = 0; i < backends.size(); i++) {
            AttentionBackend b = backends.get(i);
            // A forced backend runs first; the oracle stays as the fallback when it fails verification.
            if (forced != null && !forced.equals(b.name()) && b != oracle) {
                continue;
            }
            if (!availability.get(i).supported()) {
                reasons.append(b.name()).append(": unavailable (").append(availability.get(i).reason()).append("); ");
                continue;
            }
            Support s = b.supports(call);
            if (!s.supported()) {
                reasons.append(b.name()).append(": ").append(s.reason()).append("; ");
                continue;
            }
            if (b == oracle) {
                AttentionResult r = b.forward(call);
                LAST.set(b.name());
                return r;
            }
            String key = key(b, call);
            String verdict = verdicts.get(key);
            if (verdict != null && !verdict.isEmpty()) {
                reasons.append(b.name()).append(": untrusted (").append(verdict).append("); ");
                continue;
            }
            AttentionResult r;
            try {
                r = b.forward(call);
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                throw e;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "attention4j backend {0} failed on {1} {2}: {3}; trying the next backend",
                        b.name(), call.op(), call.shapeText(), e.toString());
                verdicts.put(key, "failed: " + e);
                reasons.append(b.name()).append(": failed (").append(e).append("); ");
                continue;
            }
            boolean check = policy == VerifyPolicy.ALWAYS || (policy == VerifyPolicy.ON_FIRST_USE && verdict == null);
            if (!check) {
                LAST.set(b.name());
                return r;
            }
            if (oracle == null) {
                if (!warnedNoOracle) {
                    warnedNoOracle = true;
                    LOG.log(Level.WARNING, "attention4j: no reference backend on the class path; results are not verified");
                }
                LAST.set(b.name());
                return r;
            }
            String err;
            synchronized (seeds) {
                err = Verifier.verify(call, r, oracle, seeds.split());
            }
            if (err == null) {
                verdicts.put(key, "");
                LAST.set(b.name());
                return r;
            }
            LOG.log(Level.WARNING, "attention4j backend {0} disagrees with the reference on {1} {2}: {3}; "
                    + "it is untrusted for this configuration and the next backend answers", b.name(), call.op(), call.shapeText(), err);
            verdicts.put(key, err);
            reasons.append(b.name()).append(": untrusted (").append(err).append("); ");
        }
        throw new UnsupportedOperationException("no backend supports " + call.op() + " on " + call.shapeText() + ": " + reasons);
    }

    /** A forced backend must exist, be available and support the call; anything else is the caller's error. */
    private void checkForced(String forced, AttentionCall call) {
        for (int i = 0; i < backends.size(); i++) {
            AttentionBackend b = backends.get(i);
            if (b.name().equals(forced)) {
                if (!availability.get(i).supported()) {
                    throw new UnsupportedOperationException(BACKEND_PROPERTY + "=" + forced + " is unavailable: "
                            + availability.get(i).reason());
                }
                Support s = b.supports(call);
                if (!s.supported()) {
                    throw new UnsupportedOperationException(BACKEND_PROPERTY + "=" + forced + " cannot run " + call.op()
                            + " on " + call.shapeText() + ": " + s.reason());
                }
                return;
            }
        }
        List<String> names = new ArrayList<>();
        backends.forEach(b -> names.add(b.name()));
        throw new UnsupportedOperationException(BACKEND_PROPERTY + "=" + forced + " names no backend on the class path; known: " + names);
    }

    /** The decision {@link #run} would take, without running anything. */
    public Explanation explain(AttentionCall call) {
        List<Explanation.Entry> entries = new ArrayList<>();
        String forced = forcedBackend();
        String chosen = null;
        VerifyPolicy policy = policy(call);
        for (int i = 0; i < backends.size(); i++) {
            AttentionBackend b = backends.get(i);
            Support avail = availability.get(i);
            Support s = avail.supported() ? safeSupports(b, call) : avail;
            String verification;
            if (b == oracle) {
                verification = "oracle";
            } else if (policy == VerifyPolicy.OFF) {
                verification = "verification off";
            } else {
                String v = verdicts.get(key(b, call));
                verification = v == null ? "not yet verified" : v.isEmpty() ? "trusted" : "untrusted: " + v;
            }
            String reason;
            boolean eligible = avail.supported() && s.supported() && !(verification.startsWith("untrusted"));
            if (!avail.supported()) {
                reason = "unavailable: " + avail.reason();
            } else if (!s.supported()) {
                reason = "does not support this call: " + s.reason();
            } else if (forced != null && !forced.equals(b.name()) && b != oracle) {
                reason = "skipped: attention4j.backend=" + forced;
                eligible = false;
            } else if (!eligible) {
                reason = "supported but untrusted for this configuration";
            } else {
                reason = chosen == null ? "chosen" : "supported (fallback)";
            }
            if (eligible && chosen == null) {
                chosen = b.name();
            }
            entries.add(new Explanation.Entry(b.name(), b.priority(), avail.supported(), s.supported(), reason, verification));
        }
        return new Explanation(call.op() + " on " + call.shapeText(), List.copyOf(entries), chosen);
    }

    private static Support safeSupports(AttentionBackend b, AttentionCall call) {
        try {
            return b.supports(call);
        } catch (RuntimeException e) {
            return Support.no("supports() failed: " + e);
        }
    }

    private static String key(AttentionBackend b, AttentionCall call) {
        return b.name() + "|" + call.family() + "|" + call.op().config() + "|" + Verifier.shapeClass(call);
    }

    private static VerifyPolicy policy(AttentionCall call) {
        VerifyPolicy p = call.op().verifyPolicy();
        if (p != null) {
            return p;
        }
        String prop = System.getProperty(VERIFY_PROPERTY);
        return prop == null || prop.isBlank() ? VerifyPolicy.ON_FIRST_USE : VerifyPolicy.parse(prop);
    }

    private static String forcedBackend() {
        String prop = System.getProperty(BACKEND_PROPERTY);
        return prop == null || prop.isBlank() ? null : prop.trim().toLowerCase(Locale.ROOT);
    }
}
