package dev.convcl;

import java.util.Locale;

/**
 * An element-wise activation applied in an operation's epilogue. Every kind keeps NaN as NaN (as
 * PyTorch does), because each is written with comparisons that are false for NaN rather than with
 * {@code min}/{@code max}. Definitions, with {@code x} the value and {@code alpha}, {@code beta}
 * the parameters:
 * <ul>
 *   <li>{@code relu}: {@code x < 0 ? 0 : x} ({@code torch.nn.ReLU})</li>
 *   <li>{@code clip(alpha, beta)}: {@code x < alpha ? alpha : (x > beta ? beta : x)} ({@code torch.clamp},
 *       ONNX {@code Clip}); {@code relu6} is {@code clip(0, 6)}; an open end is {@code -Infinity} or
 *       {@code +Infinity}, so an infinite input on that side stays infinite, as in PyTorch</li>
 *   <li>{@code leaky_relu(alpha)}: {@code x < 0 ? alpha * x : x}</li>
 *   <li>{@code sigmoid}: {@code 1 / (1 + exp(-x))}</li>
 *   <li>{@code silu}: {@code x * sigmoid(x)} ({@code torch.nn.SiLU}, "swish")</li>
 *   <li>{@code gelu}: {@code 0.5 * x * (1 + erf(x / sqrt(2)))}, the exact (erf) form of {@code torch.nn.GELU}</li>
 *   <li>{@code hardsigmoid(alpha, beta)}: {@code t = alpha * x + beta; t < 0 ? 0 : (t > 1 ? 1 : t)}
 *       (ONNX {@code HardSigmoid}; PyTorch's is alpha 1/6, beta 1/2, ONNX's default alpha 0.2)</li>
 *   <li>{@code hardswish}: {@code x * hardsigmoid(1/6, 1/2)(x)} ({@code torch.nn.Hardswish}, ONNX {@code HardSwish})</li>
 * </ul>
 *
 * @param kind  which function
 * @param alpha first parameter (clip minimum, leaky slope, hardsigmoid slope), 0 where unused;
 *              finite, except a clip minimum of {@code -Infinity} (none)
 * @param beta  second parameter (clip maximum, hardsigmoid offset), 0 where unused; finite, except
 *              a clip maximum of {@code +Infinity} (none)
 */
public record Activation(Kind kind, float alpha, float beta) implements PostOp {

    /** The activation functions; {@link #token()} is the name in the one-line form. */
    public enum Kind {
        /** {@code x < 0 ? 0 : x}. */
        RELU("relu", 0),
        /** {@code x < alpha ? alpha : (x > beta ? beta : x)}. */
        CLIP("clip", 2),
        /** {@code x < 0 ? alpha * x : x}. */
        LEAKY_RELU("leaky_relu", 1),
        /** {@code 1 / (1 + exp(-x))}. */
        SIGMOID("sigmoid", 0),
        /** {@code x * sigmoid(x)}. */
        SILU("silu", 0),
        /** {@code 0.5 * x * (1 + erf(x / sqrt(2)))}. */
        GELU("gelu", 0),
        /** {@code clamp(alpha * x + beta, 0, 1)}, NaN kept. */
        HARDSIGMOID("hardsigmoid", 2),
        /** {@code x * clamp(x / 6 + 1/2, 0, 1)}. */
        HARDSWISH("hardswish", 0);

        private final String token;
        private final int parameters;

        Kind(String token, int parameters) {
            this.token = token;
            this.parameters = parameters;
        }

        /**
         * The kind's name in the one-line form and in messages.
         *
         * @return e.g. {@code relu}, {@code leaky_relu}
         */
        public String token() {
            return token;
        }

        /**
         * How many parameters the kind takes: 0 (none), 1 ({@code alpha}) or 2 ({@code alpha} and
         * {@code beta}).
         *
         * @return 0, 1 or 2
         */
        public int parameters() {
            return parameters;
        }
    }

    /**
     * Checks the parameters: finite (except {@code clip}'s open ends: a minimum of
     * {@code -Infinity}, a maximum of {@code +Infinity}), the unused ones zero, {@code clip}'s
     * minimum not above its maximum.
     *
     * @param kind  which function, not null
     * @param alpha first parameter (clip minimum, leaky slope, hardsigmoid slope), 0 where unused
     * @param beta  second parameter (clip maximum, hardsigmoid offset), 0 where unused
     * @throws IllegalArgumentException naming the kind, the parameters and the rule
     */
    public Activation {
        if (kind == null) {
            throw new IllegalArgumentException("activation kind must not be null");
        }
        String broken = broken(kind, alpha, beta, Float.toString(alpha), Float.toString(beta));
        if (broken != null) {
            throw new IllegalArgumentException(kind.token + " " + broken);
        }
        if (kind.parameters < 2 && beta != 0f || kind.parameters < 1 && alpha != 0f) {
            throw new IllegalArgumentException(kind.token + " takes " + kind.parameters + " parameter(s); got alpha="
                    + alpha + " beta=" + beta);
        }
    }

    /**
     * The rule that the parameters {@code kind} takes break, or null: each named by its text,
     * {@code a} and {@code b}, so that the one-line form's reader ({@link #parse}) names them as
     * typed ({@code inf}, {@code -0}) and the constructor as Java prints them. A parameter the kind
     * does not take is not looked at (the constructor refuses one that is not 0).
     */
    private static String broken(Kind kind, float alpha, float beta, String a, String b) {
        if (kind == Kind.CLIP) {
            if (!(alpha < Float.POSITIVE_INFINITY)) {
                return "minimum " + a + " must be finite, or -Infinity for no minimum";
            }
            if (!(beta > Float.NEGATIVE_INFINITY)) {
                return "maximum " + b + " must be finite, or Infinity for no maximum";
            }
            return alpha > beta ? "minimum " + a + " is above its maximum " + b : null;
        }
        if (kind.parameters > 0 && !Float.isFinite(alpha)) {
            return "alpha " + a + " must be finite";
        }
        if (kind.parameters > 1 && !Float.isFinite(beta)) {
            return "beta " + b + " must be finite";
        }
        return null;
    }

    /**
     * {@code relu}: {@code torch.nn.ReLU}, ONNX {@code Relu}.
     *
     * @return the activation
     */
    public static Activation relu() {
        return new Activation(Kind.RELU, 0f, 0f);
    }

    /**
     * {@code clip(0, 6)}: {@code torch.nn.ReLU6}.
     *
     * @return the activation
     */
    public static Activation relu6() {
        return clip(0f, 6f);
    }

    /**
     * {@code clip(min, max)}: {@code torch.clamp(x, min, max)}, ONNX {@code Clip}; NaN stays NaN.
     * An open end is an infinite bound, as in PyTorch: {@code clip(0.5f, Float.POSITIVE_INFINITY)}
     * is {@code torch.clamp(x, min=0.5)}, which keeps {@code +inf} as {@code +inf}.
     *
     * @param min the lower bound, finite or {@code -Infinity} (no minimum)
     * @param max the upper bound, finite or {@code +Infinity} (no maximum), at least {@code min}
     * @return the activation
     * @throws IllegalArgumentException when a bound is NaN, {@code min} is {@code +Infinity},
     *                                  {@code max} is {@code -Infinity}, or {@code min > max}
     */
    public static Activation clip(float min, float max) {
        return new Activation(Kind.CLIP, min, max);
    }

    /**
     * {@code leaky_relu(slope)}: {@code torch.nn.LeakyReLU(negative_slope)}, ONNX {@code LeakyRelu}
     * ({@code alpha}).
     *
     * @param slope the factor for negative values, finite (PyTorch's default is 0.01)
     * @return the activation
     * @throws IllegalArgumentException when {@code slope} is not finite
     */
    public static Activation leakyRelu(float slope) {
        return new Activation(Kind.LEAKY_RELU, slope, 0f);
    }

    /**
     * {@code sigmoid}: {@code torch.nn.Sigmoid}, ONNX {@code Sigmoid}.
     *
     * @return the activation
     */
    public static Activation sigmoid() {
        return new Activation(Kind.SIGMOID, 0f, 0f);
    }

    /**
     * {@code silu}: {@code torch.nn.SiLU} ("swish").
     *
     * @return the activation
     */
    public static Activation silu() {
        return new Activation(Kind.SILU, 0f, 0f);
    }

    /**
     * {@code gelu}: {@code torch.nn.GELU()} with its default {@code approximate='none'} (the erf
     * form), ONNX {@code Gelu}.
     *
     * @return the activation
     */
    public static Activation gelu() {
        return new Activation(Kind.GELU, 0f, 0f);
    }

    /**
     * {@code hardsigmoid} as {@code torch.nn.Hardsigmoid} defines it: alpha 1/6, beta 1/2.
     *
     * @return the activation
     */
    public static Activation hardsigmoid() {
        return hardsigmoid(1f / 6f, 0.5f);
    }

    /**
     * {@code hardsigmoid(alpha, beta)}: {@code clamp(alpha * x + beta, 0, 1)}, ONNX
     * {@code HardSigmoid} (whose defaults are alpha 0.2, beta 0.5).
     *
     * @param alpha the slope, finite
     * @param beta  the offset, finite
     * @return the activation
     * @throws IllegalArgumentException when a parameter is not finite
     */
    public static Activation hardsigmoid(float alpha, float beta) {
        return new Activation(Kind.HARDSIGMOID, alpha, beta);
    }

    /**
     * {@code hardswish}: {@code torch.nn.Hardswish}, ONNX {@code HardSwish}.
     *
     * @return the activation
     */
    public static Activation hardswish() {
        return new Activation(Kind.HARDSWISH, 0f, 0f);
    }

    /**
     * The function in double precision: the reference definition every backend is checked against
     * (kernels compute it in float32).
     *
     * @param x the value
     * @return the activation of {@code x}; NaN for NaN
     */
    public double apply(double x) {
        return switch (kind) {
            case RELU -> x < 0 ? 0 : x;
            case CLIP -> x < alpha ? alpha : (x > beta ? beta : x);
            case LEAKY_RELU -> x < 0 ? alpha * x : x;
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case SILU -> x / (1 + Math.exp(-x));
            case GELU -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case HARDSIGMOID -> clamp01(alpha * x + beta);
            case HARDSWISH -> x * clamp01(x / 6 + 0.5);
        };
    }

    private static double clamp01(double t) {
        return t < 0 ? 0 : (t > 1 ? 1 : t);
    }

    /**
     * The error function in double precision, to about 1e-15: the series
     * {@code erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1))}, whose terms are all
     * positive (no cancellation), summed until they stop changing the sum; {@code |x| >= 6} gives
     * {@code +-1} ({@code erfc(6)} is below 2.2e-17). NaN gives NaN.
     *
     * @param x the argument
     * @return {@code erf(x)}, in [-1, 1]
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = Math.abs(x);
        if (a >= 6) {
            return Math.copySign(1, x);
        }
        double term = a;
        double sum = a;
        double x2 = 2 * a * a;
        for (int n = 1; n < 200; n++) {
            term *= x2 / (2 * n + 1);
            double next = sum + term;
            if (next == sum) {
                break;
            }
            sum = next;
        }
        return Math.copySign(Math.min(1, 2 / Math.sqrt(Math.PI) * Math.exp(-a * a) * sum), x);
    }

    /**
     * The step in the one-line form: the kind's name, then its parameters after {@code :}.
     *
     * @return e.g. {@code relu}, {@code clip:0.0:6.0}, {@code leaky_relu:0.01},
     *         {@code hardsigmoid:0.2:0.5}
     */
    @Override
    public String token() {
        return switch (kind.parameters) {
            case 0 -> kind.token;
            case 1 -> kind.token + ":" + alpha;
            default -> kind.token + ":" + alpha + ":" + beta;
        };
    }

    /**
     * Reads {@link #token()}'s form (the name case-insensitive); {@code relu6} and
     * {@code hardsigmoid} without parameters are accepted as shorthands for {@code clip:0:6} and
     * PyTorch's {@code hardsigmoid:0.16666667:0.5}.
     *
     * @param token one step, e.g. {@code leaky_relu:0.1}
     * @return the activation
     * @throws IllegalArgumentException naming the token and the rule (unknown name, wrong number of
     *                                  parameters, a parameter that is not a number or breaks a rule)
     */
    public static Activation parse(String token) {
        String[] parts = token.split(":", -1);
        String name = parts[0].toLowerCase(Locale.ROOT);
        if (name.equals("relu6") && parts.length == 1) {
            return relu6();
        }
        if (name.equals("hardsigmoid") && parts.length == 1) {
            return hardsigmoid();
        }
        if (name.equals("relu6")) { // clip:0:6 by another name, its parameters set
            throw new IllegalArgumentException("post-op '" + token + "': relu6 " + takes(0) + " (it is clip:0:6)");
        }
        for (Kind k : Kind.values()) {
            if (k.token.equals(name)) {
                if (parts.length - 1 != k.parameters) {
                    throw new IllegalArgumentException("post-op '" + token + "': " + k.token + " " + takes(k.parameters));
                }
                float a = k.parameters > 0 ? number(token, parts[1]) : 0f;
                float b = k.parameters > 1 ? number(token, parts[2]) : 0f;
                // the rules here, so that they name the parameters as typed: inf, not Infinity
                String broken = broken(k, a, b, k.parameters > 0 ? parts[1].strip() : "",
                        k.parameters > 1 ? parts[2].strip() : "");
                if (broken != null) {
                    throw new IllegalArgumentException("post-op '" + token + "': " + broken);
                }
                return new Activation(k, a, b);
            }
        }
        throw new IllegalArgumentException("post-op '" + token + "' is not one of sum, relu, relu6, clip, leaky_relu, "
                + "sigmoid, silu, gelu, hardsigmoid, hardswish");
    }

    /** "takes no parameters", "takes 1 parameter after ':'", "takes 2 parameters separated by ':'". */
    private static String takes(int parameters) {
        return parameters == 0 ? "takes no parameters" : parameters == 1 ? "takes 1 parameter after ':'"
                : "takes " + parameters + " parameters separated by ':'";
    }

    static float number(String token, String s) {
        try {
            return dev.convcl.text.Decimal.parseFloat(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("post-op '" + token + "': " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return token();
    }
}
