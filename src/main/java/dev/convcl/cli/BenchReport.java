package dev.convcl.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.DoubleStream;

/** Renders benchmark rows: an aligned text table, JSON, CSV and an SVG bar chart. */
final class BenchReport {
    private BenchReport() {
    }

    // ---------------------------------------------------------------- table

    /**
     * The per-problem table: {@code host-array ms} is the median wall time of a call on host
     * arrays (copies included on a device), {@code device-tensor ms} that of a call on device
     * tensors; GFLOP/s is from the former. {@code limit} (the share of the machine's FMA limit)
     * and {@code vs best peer} (GFLOP/s over the fastest peer's on the same problem and batch)
     * appear when some row has them; a peer's row that cannot run its problem shows {@code n/a}.
     */
    static void table(List<BenchRow> rows, PrintWriter out) {
        boolean limit = rows.stream().anyMatch(r -> !Double.isNaN(r.limitShare()));
        boolean peers = rows.stream().anyMatch(BenchRow::peer);
        List<String> header = new ArrayList<>(List.of("problem", "batch", "backend", "algorithm", "compile ms",
                "kernel ms", "host-array ms", "min..max ms", "device-tensor ms", "GFLOP/s", "peak"));
        if (limit) {
            header.add("limit");
        }
        List<String[]> cells = headed(header, peers);
        for (BenchRow r : rows) {
            List<String> c = new ArrayList<>(List.of(r.name(), Integer.toString(r.batch()), r.backend(), r.algorithm(),
                    num(r.compileMs(), 1), num(r.kernelMs(), 3), num(r.medianMs(), 3),
                    r.ok() ? num(r.minMs(), 3) + ".." + num(r.maxMs(), 3) : "-", num(r.deviceMedianMs(), 3),
                    num(r.gflops(), 1), percent(r.peakShare())));
            if (limit) {
                c.add(percent(r.limitShare()));
            }
            cells.add(tail(c, r.speedup(), peers, r.bestPeer(), r.peerMedians(), r.vsBestPeer(), r.unsupported(),
                    r.ok(), r.relL2()));
        }
        alignedLeft(header, Set.of("problem", "backend", "algorithm", "check", "best peer ms"), cells, out);
    }

    /**
     * The cells of a table, its header first: {@code columns} then {@code vs cpu}, the peer
     * columns when {@code peers}, and {@code check} (all added to {@code columns} too).
     */
    static List<String[]> headed(List<String> columns, boolean peers) {
        columns.add("vs cpu");
        if (peers) {
            columns.add("best peer ms");
            columns.add("vs best peer");
        }
        columns.add("check");
        List<String[]> cells = new ArrayList<>();
        cells.add(columns.toArray(String[]::new));
        return cells;
    }

    /** A row's cells, {@code c} then the columns {@link #headed} adds: vs cpu, the peer columns, check. */
    static String[] tail(List<String> c, double speedup, boolean peers, String bestPeer, Map<String, Double> peerMedians,
                         double vsBestPeer, boolean unsupported, boolean ok, double relL2) {
        c.add(Double.isNaN(speedup) ? "-" : num(speedup, 2) + "x");
        if (peers) {
            c.add(bestPeer == null ? "-" : bestPeer + " " + num(peerMedians.getOrDefault(bestPeer, Double.NaN), 3));
            c.add(Double.isNaN(vsBestPeer) ? "-" : num(vsBestPeer, 2) + "x");
        }
        c.add(unsupported ? "n/a" : (ok ? "ok " : "FAIL ") + sci(relL2));
        return c.toArray(String[]::new);
    }

    /** {@link #aligned} with every column aligned right but those named in {@code left}. */
    static void alignedLeft(List<String> header, Set<String> left, List<String[]> cells, PrintWriter out) {
        boolean[] right = new boolean[header.size()];
        for (int i = 0; i < right.length; i++) {
            right[i] = !left.contains(header.get(i));
        }
        aligned(header.toArray(String[]::new), right, cells, out);
    }

    private static String percent(double share) {
        return Double.isNaN(share) ? "-" : num(100 * share, 1) + "%";
    }

    /** Prints {@code cells} (the header first) in columns, {@code right} ones aligned right. */
    static void aligned(String[] header, boolean[] right, List<String[]> cells, PrintWriter out) {
        int[] width = new int[header.length];
        for (String[] row : cells) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (String[] row : cells) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                String pad = " ".repeat(width[i] - row[i].length());
                line.append(i == 0 ? "" : "  ").append(right[i] ? pad + row[i] : row[i] + (i == row.length - 1 ? "" : pad));
            }
            out.println(line);
        }
    }

    static String num(double v, int decimals) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    static String sci(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.1e", v);
    }

    // ---------------------------------------------------------------- JSON and CSV

    /** {@code {"device": ..., <extra fields>, "rows": [{...}, ...]}}. */
    static String json(String device, Map<String, Object> extra, List<BenchRow> rows) {
        return jsonOf(device, extra, fields(rows));
    }

    /** {@link #json} for rows given as their fields (the chain's rows). */
    static String jsonOf(String device, Map<String, Object> extra, List<Map<String, Object>> rows) {
        Map<String, Object> top = new LinkedHashMap<>();
        top.put("device", device);
        top.putAll(extra);
        top.put("rows", new ArrayList<Object>(rows));
        StringBuilder sb = new StringBuilder();
        Json.write(sb, top, 0);
        return sb.append('\n').toString();
    }

    static String csv(List<BenchRow> rows) {
        return csvOf(fields(rows));
    }

    /**
     * CSV of rows given as their fields: one column per field name that any row has, in the order
     * first seen; a row without a field leaves it empty.
     */
    static String csvOf(List<Map<String, Object>> rows) {
        StringBuilder sb = new StringBuilder();
        Set<String> names = new LinkedHashSet<>();
        for (Map<String, Object> r : rows) {
            names.addAll(r.keySet());
        }
        sb.append(String.join(",", names)).append('\n');
        for (Map<String, Object> r : rows) {
            List<String> values = new ArrayList<>();
            for (String name : names) {
                values.add(csvField(r.get(name)));
            }
            sb.append(String.join(",", values)).append('\n');
        }
        return sb.toString();
    }

    private static List<Map<String, Object>> fields(List<BenchRow> rows) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (BenchRow r : rows) {
            list.add(r.fields());
        }
        return list;
    }

    private static String csvField(Object v) {
        if (v == null || v instanceof Double d && !Double.isFinite(d)) {
            return "";
        }
        String s = v instanceof Double d ? Json.number(d) : v.toString();
        if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
            return "\"" + s.replace("\"", "\"\"") + "\"";
        }
        return s;
    }

    /**
     * A minimal JSON writer for maps, lists, strings, booleans and numbers (NaN and infinities as
     * null); a list of scalars is written on one line.
     */
    static final class Json {
        private Json() {
        }

        static void write(StringBuilder sb, Object v, int indent) {
            if (v == null) {
                sb.append("null");
            } else if (v instanceof Map<?, ?> m) {
                sb.append("{");
                int i = 0;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    sb.append(i++ == 0 ? "" : ",").append(indent == 0 ? "\n  " : " ");
                    string(sb, e.getKey().toString());
                    sb.append(": ");
                    write(sb, e.getValue(), indent + 1);
                }
                sb.append(indent == 0 ? "\n}" : "}");
            } else if (v instanceof List<?> l && l.stream().noneMatch(e -> e instanceof Map || e instanceof List)) {
                // A list of numbers or strings stays on one line: [2, 3, 5]
                sb.append("[");
                for (int i = 0; i < l.size(); i++) {
                    sb.append(i == 0 ? "" : ", ");
                    write(sb, l.get(i), indent + 1);
                }
                sb.append("]");
            } else if (v instanceof List<?> l) {
                sb.append("[");
                for (int i = 0; i < l.size(); i++) {
                    sb.append(i == 0 ? "" : ",").append("\n").append("  ".repeat(indent + 1));
                    write(sb, l.get(i), indent + 1);
                }
                sb.append("\n").append("  ".repeat(indent)).append("]");
            } else if (v instanceof String s) {
                string(sb, s);
            } else if (v instanceof Double d) {
                sb.append(Double.isFinite(d) ? number(d) : "null");
            } else if (v instanceof Number || v instanceof Boolean) {
                sb.append(v);
            } else {
                string(sb, v.toString());
            }
        }

        static String number(double d) {
            if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                return Long.toString((long) d);
            }
            return Double.toString(d);
        }

        private static void string(StringBuilder sb, String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            sb.append('"');
        }
    }

    // ---------------------------------------------------------------- SVG

    private static final int LABEL_W = 230;
    private static final int BAR_W = 520;
    private static final int BAR_H = 14;
    private static final int RIGHT_W = 240;
    /** The dashed outline of the device-tensor rate: dark, so it shows over a bar of either colour. */
    private static final String OUTLINE = "#222";

    /**
     * A horizontal bar chart of GFLOP/s, one group of bars a problem, one bar a backend: a filled
     * bar for calls on host arrays (median wall time, copies included), and over it a dashed
     * outline reaching the rate of calls on device tensors; failed rows are marked FAIL.
     * Self-contained SVG: opens in any browser.
     */
    static String svg(String title, List<String> notes, List<BenchRow> rows) {
        Map<String, List<BenchRow>> byProblem = new LinkedHashMap<>();
        for (BenchRow r : rows) {
            byProblem.computeIfAbsent(r.batch() == 1 ? r.name() : r.name() + " n=" + r.batch(), k -> new ArrayList<>()).add(r);
        }
        double max = rows.stream().filter(BenchRow::ok).flatMapToDouble(r -> DoubleStream.of(r.gflops(), r.deviceGflops()))
                .filter(Double::isFinite).max().orElse(1);
        max = niceCeiling(max);
        int legendY = 40 + 14 * notes.size();
        int top = legendY + 28;
        int groupGap = 8;
        int height = top;
        for (List<BenchRow> g : byProblem.values()) {
            height += g.size() * (BAR_H + 2) + groupGap;
        }
        int axisY = height;
        height += 50;
        int width = LABEL_W + BAR_W + RIGHT_W;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">%n",
                width, height, width, height));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        s.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s</text>%n", xml(title)));
        for (int i = 0; i < notes.size(); i++) {
            s.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"%d\" font-size=\"11\" fill=\"#444\">%s</text>%n",
                    42 + 14 * i, xml(notes.get(i))));
        }
        // legend
        int lx = LABEL_W;
        Set<String> backends = new LinkedHashSet<>(List.of("opencl", "cpu"));
        rows.forEach(r -> backends.add(r.backend()));
        for (String backend : backends) {
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>%n", lx, legendY, color(backend), lx + 16, legendY + 10,
                    xml(legendName(backend))));
            lx += backend.equals("opencl") || backend.equals("cpu") ? 150 : 120;
        }
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" stroke=\"%s\" "
                + "stroke-dasharray=\"3,2\" fill=\"none\"/><text x=\"%d\" y=\"%d\">on device tensors</text>%n", lx,
                legendY, OUTLINE, lx + 16, legendY + 10));
        // grid lines and axis labels
        for (int i = 0; i <= 4; i++) {
            double x = LABEL_W + BAR_W * i / 4.0;
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>%n",
                    x, top - 4, x, axisY));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    x, axisY + 16, significant(max * i / 4.0)));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">GFLOP/s (2*MACs / median wall time; filled: host arrays, copies included)</text>%n",
                LABEL_W + BAR_W / 2, axisY + 36));
        int y = top;
        for (Map.Entry<String, List<BenchRow>> g : byProblem.entrySet()) {
            List<BenchRow> group = g.getValue();
            int groupH = group.size() * (BAR_H + 2);
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n",
                    LABEL_W - 8, y + groupH / 2 + 4, xml(g.getKey())));
            for (BenchRow r : group) {
                if (r.ok() && Double.isFinite(r.gflops())) {
                    double w = Math.max(1, BAR_W * r.gflops() / max);
                    double dw = Double.isFinite(r.deviceGflops()) ? Math.max(1, BAR_W * r.deviceGflops() / max) : 0;
                    s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
                            + "<title>%s %s: %.3f ms, %.1f GFLOP/s</title></rect>%n", LABEL_W, y, w, BAR_H,
                            color(r.backend()), xml(r.name()), xml(r.backend() + " " + r.algorithm()), r.medianMs(), r.gflops()));
                    if (dw > 0) {
                        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                                + "stroke=\"%s\" stroke-dasharray=\"3,2\" fill=\"none\"><title>%s %s on device tensors: "
                                + "%.3f ms, %.1f GFLOP/s</title></rect>%n", LABEL_W, y, dw, BAR_H, OUTLINE,
                                xml(r.name()), xml(r.backend() + " " + r.algorithm()), r.deviceMedianMs(),
                                r.deviceGflops()));
                    }
                    String label = significant(r.gflops())
                            + (dw > 0 ? "; " + significant(r.deviceGflops()) + " on device tensors" : "")
                            + (Double.isFinite(r.speedup()) ? String.format(Locale.ROOT, " (%.2fx cpu)", r.speedup()) : "");
                    s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\">%s</text>%n",
                            LABEL_W + Math.max(w, dw) + 4, y + BAR_H - 3, xml(label)));
                } else if (r.unsupported()) {
                    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#666\">n/a (%s)</text>%n",
                            LABEL_W + 4, y + BAR_H - 3, xml(r.backend())));
                } else {
                    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#c00\" font-weight=\"bold\">"
                            + "FAIL (%s)</text>%n", LABEL_W + 4, y + BAR_H - 3, xml(r.backend())));
                }
                y += BAR_H + 2;
            }
            y += groupGap;
        }
        s.append("</svg>\n");
        return s.toString();
    }

    /** Three significant digits at most: 0.0512, 1.73, 412. */
    static String significant(double v) {
        if (v >= 100 || v == 0) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        int decimals = Math.min(6, 2 - (int) Math.floor(Math.log10(Math.abs(v))));
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** A page that shows the chart, for people who would rather open an .html file. */
    static String html(String svg) {
        return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>convcl bench</title></head>\n<body>\n"
                + svg + "</body></html>\n";
    }

    /**
     * How a backend looks in the chart.
     *
     * @param color  its bars' fill
     * @param legend its name in the legend
     */
    private record Look(String color, String legend) {
    }

    private static Look look(String backend) {
        return switch (backend) {
            case "cpu" -> new Look("#9e9e9e", "CPU path (Java)");
            case "opencl" -> new Look("#1f77b4", "OpenCL device");
            case BenchPeers.ONNXRUNTIME -> new Look("#ff7f0e", "ONNX Runtime");
            case TorchPeer.NAME -> new Look("#d62728", "PyTorch");
            default -> new Look("#9467bd", backend);
        };
    }

    private static String color(String backend) {
        return look(backend).color();
    }

    private static String legendName(String backend) {
        return look(backend).legend();
    }

    /** 1, 2 or 5 times a power of ten, at least {@code v}: readable axis ends. */
    static double niceCeiling(double v) {
        if (!(v > 0)) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
