package org.attention4j.examples.notebook;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the Kotlin-kernel notebook from the script CI runs, so that the notebook's cells are the script's.
 * Cells in the script start at {@code // %%} (code) or {@code // %% [markdown]} (markdown as {@code //}
 * comments). The notebook's first code cell also gets {@code @file:Repository("*mavenLocal")}: the kernel
 * does not look in the local Maven repository by default, and the script host rejects that line.
 *
 * <p>{@code NotebookSync write <script> <notebook>} writes the notebook; {@code check} fails (exit 1) when
 * the committed notebook is not what {@code write} would produce.
 */
public final class NotebookSync {
    static final String KERNEL_ONLY = "@file:Repository(\"*mavenLocal\")";

    private NotebookSync() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3 || !(args[0].equals("write") || args[0].equals("check"))) {
            System.err.println("usage: NotebookSync write|check <script.main.kts> <notebook.ipynb>");
            System.exit(2);
        }
        Path script = Path.of(args[1]);
        Path notebook = Path.of(args[2]);
        String json = toNotebook(Files.readString(script, StandardCharsets.UTF_8));
        if (args[0].equals("write")) {
            Files.writeString(notebook, json, StandardCharsets.UTF_8);
            System.out.println("wrote " + notebook);
        } else if (!Files.exists(notebook) || !Files.readString(notebook, StandardCharsets.UTF_8).equals(json)) {
            System.err.println(notebook + " is not the notebook of " + script
                    + ": edit the script, then run NotebookSync write (examples/notebook/README.md)");
            System.exit(1);
        } else {
            System.out.println(notebook + " matches " + script);
        }
    }

    /** One cell: markdown or code, and its lines. */
    record Cell(boolean markdown, List<String> lines) {
    }

    static List<Cell> cells(String script) {
        List<Cell> cells = new ArrayList<>();
        Cell current = null;
        for (String line : script.split("\n", -1)) {
            if (line.startsWith("// %%")) {
                current = new Cell(line.contains("[markdown]"), new ArrayList<>());
                cells.add(current);
            } else if (current != null) {
                current.lines().add(current.markdown() ? line.replaceFirst("^// ?", "") : line);
            }
        }
        for (Cell c : cells) {
            while (!c.lines().isEmpty() && c.lines().get(c.lines().size() - 1).isBlank()) {
                c.lines().remove(c.lines().size() - 1);
            }
        }
        for (Cell c : cells) {
            if (!c.markdown()) {
                c.lines().add(0, KERNEL_ONLY);
                break;
            }
        }
        return cells;
    }

    static String toNotebook(String script) {
        StringBuilder sb = new StringBuilder("{\n \"cells\": [\n");
        List<Cell> cells = cells(script);
        for (int i = 0; i < cells.size(); i++) {
            Cell c = cells.get(i);
            sb.append("  {\n   \"cell_type\": \"").append(c.markdown() ? "markdown" : "code").append("\",\n");
            if (!c.markdown()) sb.append("   \"execution_count\": null,\n");
            sb.append("   \"metadata\": {},\n");
            if (!c.markdown()) sb.append("   \"outputs\": [],\n");
            sb.append("   \"source\": [");
            for (int j = 0; j < c.lines().size(); j++) {
                String text = c.lines().get(j) + (j < c.lines().size() - 1 ? "\n" : "");
                sb.append(j == 0 ? "\n" : ",\n").append("    ").append(quote(text));
            }
            sb.append(c.lines().isEmpty() ? "]\n" : "\n   ]\n").append(i < cells.size() - 1 ? "  },\n" : "  }\n");
        }
        sb.append(" ],\n \"metadata\": {\n")
                .append("  \"kernelspec\": {\"display_name\": \"Kotlin\", \"language\": \"kotlin\", \"name\": \"kotlin\"},\n")
                .append("  \"language_info\": {\"codemirror_mode\": \"text/x-kotlin\", \"file_extension\": \".kt\", ")
                .append("\"mimetype\": \"text/x-kotlin\", \"name\": \"kotlin\", \"nbconvert_exporter\": \"\", \"pygments_lexer\": \"kotlin\"}\n")
                .append(" },\n \"nbformat\": 4,\n \"nbformat_minor\": 4\n}\n");
        return sb.toString();
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\t': sb.append("\\t"); break;
                case '\r': sb.append("\\r"); break;
                default:
                    if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch)); else sb.append(ch);
            }
        }
        return sb.append('"').toString();
    }
}
