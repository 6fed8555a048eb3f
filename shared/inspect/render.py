"""inspect.md and layers.png from the layers.json document (a pure function of it)."""

from __future__ import annotations

from pathlib import Path


def fmt(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def snr_text(quant: dict | None) -> str:
    if quant is None:
        return "–"
    return "exact" if quant["snr_db"] is None else f"{quant['snr_db']:.1f}"


def parity_text(row: dict, key: str) -> str:
    value = row.get("parity", {}).get(key)
    if value is None:
        return "–"
    if value == "equal":
        return "="
    return f"≠ s{value['sample']}[{value['element']}] {value['values'][0]} vs {value['values'][1]}"


def keras_text(row: dict) -> str:
    keras = row.get("keras")
    if keras is None:
        return "–"
    if keras["layer"] is None:
        return f"unmatched ({keras['value']})"
    return keras["layer"] + (" (pre-activation)" if keras["value"] == "pre-activation" else "")


def render_markdown(doc: dict) -> str:
    quant, parity, board = doc["quantization"], doc["parity"], doc["board"]
    lines = [f"# Per-layer inspection: {doc['model']}", "",
             f"Inputs: {doc['inputs']}. Regenerate: `python -m shared.inspect` (see shared/inspect). "
             "Plot: [layers.png](layers.png); every figure is in [layers.json](layers.json).", ""]
    lines += summary_lines(doc)
    lines += ["", "## Layers", "",
              "| op | kind | Keras value | SNR dB | max err LSB | cosine | C = TFLM | board = TFLM | instructions |"
              " MACs | instr/MAC | live arena B |",
              "|---:|---|---|---:|---:|---:|---|---|---:|---:|---:|---:|"]
    if quant.get("input"):
        q = quant["input"]
        lines.append(f"| in | input quantization | model input | {snr_text(q)} | {fmt(q['max_abs_error_lsb'], 2)} | "
                     f"{fmt(q['cosine'], 4)} | | | | | | |")
    for row in doc["layers"]:
        q = row.get("quant")
        kind = row["kind"] + ("" if row.get("c_layer", "own") == "own" else f" ({row['c_layer']})")
        lines.append(
            f"| {row['op']} | {kind} | {keras_text(row)} | {snr_text(q)} | "
            f"{fmt(q['max_abs_error_lsb'], 2) if q else '–'} | {fmt(q['cosine'], 4) if q else '–'} | "
            f"{parity_text(row, 'c_vs_tflm')} | {parity_text(row, 'board_vs_tflm')} | "
            f"{fmt(row.get('instructions'))} | {fmt(row.get('macs'))} | {fmt(row.get('instructions_per_mac'), 2)} | "
            f"{fmt(row.get('live_arena_bytes'))} |")
    if board.get("run"):
        lines += ["", "## Slowest layers first", "", "| op | kind | instructions | share | instr/MAC |",
                  "|---:|---|---:|---:|---:|"]
        timed = sorted((r for r in doc["layers"] if r.get("instructions") is not None),
                       key=lambda r: -r["instructions"])
        total = max(board["sum_of_layers"], 1)
        for row in timed:
            lines.append(f"| {row['op']} | {row['kind']} | {row['instructions']:,} | "
                         f"{100 * row['instructions'] / total:.1f} % | {fmt(row.get('instructions_per_mac'), 2)} |")
    lines += ["", "## How this was measured", "",
              f"- Layer matching: {quant['matching']}",
              "- Quantization error: float Keras activations vs LiteRT int8 tensors dequantized with each tensor's "
              "scale and zero point; SNR = 10 log10(sum f² / sum (f − q)²) over all samples, 'exact' when equal; "
              "max error in units of the tensor's scale (LSB).",
              f"- Parity tensors: {parity['tensors']}; '=' means every byte of every sample is equal.",
              "- Profile: SysTick under `qemu-system-arm -M mps2-an500 -icount shift=0` counts instructions "
              "(not cycles); a layer's count runs from the previous hook's exit to its hook's entry, minus the "
              "measured cost of one hook call.",
              f"- Time taken: {', '.join(f'{k} {v} s' for k, v in doc['timings'].items())}."]
    return "\n".join(lines) + "\n"


def summary_lines(doc: dict) -> list[str]:
    quant, parity, board = doc["quantization"], doc["parity"], doc["board"]
    lines = []
    collapse = quant.get("collapse")
    if collapse:
        first = collapse["first_below_floor"]
        where = "none" if first is None else ("the input quantization" if first == "input" else f"op {first}")
        drop = ("" if collapse["largest_drop_at"] is None else
                f"; largest SNR drop from one op to the next: {fmt(collapse['largest_drop_db'])} dB at op "
                f"{collapse['largest_drop_at']}")
        lines.append(f"- **Quantization**: first layer below {collapse['floor_db']:g} dB SNR: {where}{drop}.")
        if quant.get("keras_layers_without_tensor"):
            lines.append(f"- Keras layers with no tensor of their own (folded or fused): "
                         f"{', '.join(quant['keras_layers_without_tensor'])}.")
    elif quant.get("keras") is None:
        lines.append("- **Quantization**: no Keras model given, so no float reference per layer.")
    for key, first in parity["first_difference"].items():
        a, b = key.split("_vs_")
        if first is None:
            lines.append(f"- **Parity {a} vs {b}**: every layer equal, byte for byte.")
        else:
            lines.append(f"- **Parity {a} vs {b}**: first difference at op {first['op']} ({first['kind']}), sample "
                         f"{first['sample']}, element {first['element']}: {a} {first['values'][0]}, {b} "
                         f"{first['values'][1]} ({first['differing_values']} differing values in that layer).")
    if board.get("run"):
        verdict = ("profile total = measured within the counter's overhead" if board["within_tolerance"] else
                   "profile total and measured differ by more than the counter's overhead")
        lines.append(f"- **Profile**: {verdict}: sum of layers {board['sum_of_layers']:,} instructions vs "
                     f"{board['plain_instructions_per_inference']:,} measured per inference (plain build), "
                     f"difference {board['difference']:,}, allowed ±{board['tolerance']:,} (one counter tick per "
                     f"reading); {board['hook_calls']} hook calls, one costs {board['hook_overhead_per_layer']} "
                     f"instructions (measured in the image), subtracted per layer; {board['resolution']}.")
    else:
        lines.append(f"- **Board**: not run ({board.get('why', 'disabled')}).")
    return lines


def render_plot(doc: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = doc["layers"]
    labels = [f"{r['op']} {r['kind'].lower()}" for r in rows]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(max(6, 0.6 * len(rows) + 2), 6), sharex=True)
    snr = [(r["quant"]["snr_db"] if r["quant"]["snr_db"] is not None else 60.0) if r.get("quant") else 0.0
           for r in rows]
    top.bar(range(len(rows)), snr, color="tab:blue")
    top.axhline(doc["quantization"].get("collapse", {}).get("floor_db", 15.0), color="tab:red", linestyle="--")
    top.set_ylabel("SNR dB (float vs int8)")
    bottom.bar(range(len(rows)), [r.get("instructions") or 0 for r in rows], color="tab:orange")
    bottom.set_ylabel("instructions (Cortex-M7)")
    bottom.set_xticks(range(len(rows)), labels, rotation=60, ha="right", fontsize=7)
    figure.suptitle(doc["model"])
    figure.tight_layout()
    temporary = path.with_name(f".{path.name}.tmp.png")
    figure.savefig(temporary, dpi=100)
    plt.close(figure)
    temporary.replace(path)
