#!/usr/bin/python3
"""Charts and a one-page report for an rtbench run folder.

Reads only the folder's files (results.csv, spectra/, manifest.json, and a
connect/ sub-run if present) and writes PNG + SVG charts, report.md and a
self-contained report.html (images inline, no external resources).

Usage: rtbench_plots.py RUN_DIR
Exit codes: 0 ok, 2 missing or malformed input (one line on stderr).
"""
import base64
import csv
import html
import json
import math
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# One colour per transport, the same in every chart.
COLOURS = {
    "polling": "#d62728",
    "long-polling": "#ff7f0e",
    "streaming": "#2ca02c",
    "sse": "#9467bd",
    "websocket": "#1f77b4",
}
EXTRA = ["#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
ORDER = ["polling", "long-polling", "streaming", "sse", "websocket"]

REQUIRED = ["transport", "scenario", "clients", "rate_hz", "payload_bytes", "duration_s",
            "delivered", "lost", "latency_p50_us", "latency_p99_us", "latency_max_us",
            "wire_down_bytes", "wire_up_bytes", "overhead_bytes_per_msg", "overhead_ratio",
            "server_cpu_us_per_msg", "server_rss_bytes_per_conn", "connect_p50_us",
            "connect_p99_us", "handshake_bytes", "client_bound"]
TEXT = {"transport", "scenario", "client_bound", "net", "relay_bound", "tls", "tls_cert", "tls_resume", "via", "failure", "reconnect_cause", "tls_negotiated", "slo_met", "slo_why", "payload_kind", "headers", "target"}
# Results format 3: the network path. Older runs have none of these columns
# and ran straight to the server: net "none", every number 0, no relay.
NET_NUMBERS = ["net_rtt_ms", "net_jitter_ms", "net_down_bps", "net_up_bps", "net_loss_pct", "net_resets_per_min"]
# Empty (not zero) when no relay was in the path: nothing was measured.
RELAY = ["relay_cpu_util", "relay_cpu_us_per_msg", "relay_rss_bytes", "relay_lateness_p99_us",
         "relay_lateness_max_us", "relay_resets", "relay_bound"]
# Results format 4: TLS and proxy columns, empty on plain or direct rows.
# Results format 8: a server rtbench did not start (an external target) has
# no server figures unless its process was named, and never its own counts.
SERVER = ["server_cpu_us_per_msg", "server_cpu_util", "server_rss_bytes", "server_rss_peak_bytes",
          "server_rss_bytes_per_conn", "server_rss_window_start_bytes", "slow_consumers", "bad_requests"]
# Results format 8: publishers is a broadcast row's alone (empty elsewhere).
EMPTY_OK = set(RELAY) | set(SERVER) | {"tls_handshake_p50_us", "tls_handshake_p99_us", "tls_handshakes", "tls_resumed",
                                       "tls_bytes_per_msg", "proxy_cpu_util", "proxy_cpu_us_per_msg", "proxy_rss_bytes",
                                       "publishers",
                                       # Results format 9: unset for a server that does not count them.
                                       "server_kernel_bytes_per_conn", "server_msgs_per_write"}


def path_label(net, tls, via, headers=None):
    """The path a row ran on, as harness/report.cpp path_label: the network
    profile, then " tls=V", " via=P" and " headers=browser" when set. Charts
    keep paths apart with it, and spectrum files are named after it."""
    label = net or "none"
    if tls and tls != "none":
        label += f" tls={tls}"
    if via and via != "none":
        label += f" via={via}"
    if headers == "browser":
        label += " headers=browser"
    return label
# How rows on different network profiles tell apart in a chart where the
# colour already says the transport. Index 0 (the first profile, "none" when
# present) keeps the look charts had before profiles existed.
NET_STYLES = ["-", "--", ":", "-."]
NET_MARKERS = ["o", "s", "^", "D", "v", "P"]


class InputError(Exception):
    pass


def colour(t):
    if t not in COLOURS:
        COLOURS[t] = EXTRA[(len(COLOURS) - 5) % len(EXTRA)]
    return COLOURS[t]


def headline_us(r, stat):
    """The headline latency of a row in microseconds, stat "p50", "p90",
    "p99", "p999" or "max": from results format 7 at the kernel's receive
    time (rx_latency_*, the load generator's own delay left out), in older
    runs at processed time (latency_*), the only figure they have."""
    v = r.get(f"rx_latency_{stat}_us")
    return v if v is not None else r[f"latency_{stat}_us"]


def read_results(path):
    if not os.path.isfile(path):
        raise InputError(f"{path}: no such file")
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None:
            raise InputError(f"{path}: empty file")
        missing = [c for c in REQUIRED if c not in reader.fieldnames]
        if missing:
            raise InputError(f"{path}: missing columns: {', '.join(missing)}")
        rows = []
        for n, raw in enumerate(reader, start=2):
            row = {}
            for k, v in raw.items():
                if k is None or v is None:
                    raise InputError(f"{path}:{n}: wrong number of fields")
                if k in TEXT:
                    row[k] = v
                elif k in EMPTY_OK and v == "":
                    row[k] = None
                else:
                    try:
                        row[k] = float(v)
                    except ValueError:
                        raise InputError(f"{path}:{n}: column {k}: not a number: {v!r}")
            # Charts and tables group by the whole path (network, TLS,
            # proxy): a transport over TLS is a line of its own.
            row["net"] = path_label(row.get("net"), row.get("tls"), row.get("via"), row.get("headers"))
            for k in NET_NUMBERS:
                row.setdefault(k, 0.0)
            for k in RELAY:
                row.setdefault(k, None)
            rows.append(row)
    if not rows:
        raise InputError(f"{path}: no result rows")
    return rows


def comparable(r):
    """A run whose figures compare with others (harness/report.hpp comparable)."""
    return (not r.get("failure") and r.get("lost", 0) == 0 and r.get("duplicated", 0) == 0
            and r.get("corrupt", 0) == 0 and r.get("client_bound") != "true" and r.get("relay_bound") != "true"
            and not r.get("slow_consumers"))


def median_over_repeats(rows):
    """With --repeat N (results format 6) each point has N rows, one per run;
    tables and charts show each figure's median over them (spread.csv, from
    rtbench, has the ranges). A row says how many runs it stands for."""
    groups, order = {}, []
    for r in rows:
        k = (r["transport"], r["scenario"], r["clients"], r["rate_hz"], r["payload_bytes"], r.get("payload_kind"), r["net"])
        if k not in groups:
            groups[k] = []
            order.append(k)
        groups[k].append(r)
    out = []
    for k in order:
        g = groups[k]
        m = dict(g[0])
        m["repeats"] = len(g)
        if len(g) > 1:
            # The median is over the runs that can be compared (as rtbench's
            # spread.csv): a failed, lossy or generator-bound run has figures
            # of another kind (0 when nothing arrived).
            ok = [x for x in g if comparable(x)] or g
            for col in g[0]:
                vals = [x[col] for x in ok]
                if all(isinstance(v, float) for v in vals):
                    m[col] = statistics.median(vals)
            # What went wrong in any run is said, not hidden behind the others.
            for col in ("client_bound", "relay_bound"):
                if any(x.get(col) == "true" for x in g):
                    m[col] = "true"
            m["failure"] = "; ".join(sorted({x.get("failure") for x in g if x.get("failure")}))
            m["lost"] = max(x["lost"] for x in g)
        out.append(m)
    return out


def transports_in(rows):
    seen = {r["transport"] for r in rows}
    return [t for t in ORDER if t in seen] + sorted(seen - set(ORDER))


def nets_in(rows):
    """The network profiles in rows: "none" first, then in the order the run measured them."""
    seen = []
    for r in rows:
        if r["net"] not in seen:
            seen.append(r["net"])
    return sorted(seen, key=lambda n: n != "none")


def net_slug(net):
    """The label as the C++ puts it in a file name: every character not [A-Za-z0-9.] becomes '_'."""
    return "".join(c if (c.isascii() and c.isalnum()) or c == "." else "_" for c in net)


def fmt_double(v):
    """A double as C++ fmt "{}" writes it (shortest round trip, no ".0"): 20 -> "20", 0.5 -> "0.5"."""
    s = repr(float(v))
    return s[:-2] if s.endswith(".0") else s


def series_label(t, net, nets):
    """The legend label: the transport, and the profile when the run has more than one."""
    return f"{t} ({net})" if len(nets) > 1 else t


def net_style(net, nets):
    i = nets.index(net) if net in nets else 0
    return NET_STYLES[i % len(NET_STYLES)], NET_MARKERS[i % len(NET_MARKERS)]


def save(fig, out_dir, name, charts):
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(os.path.join(out_dir, f"{name}.{ext}"), dpi=110)
    plt.close(fig)
    charts.append(name)


def read_spectrum(path):
    xs, ys = [], []
    with open(path) as f:
        next(f, None)
        for line in f:
            parts = line.split()
            if len(parts) < 4:
                continue
            value, q = float(parts[0]), float(parts[1])
            if q >= 1.0:
                continue
            xs.append(1.0 / (1.0 - q))
            ys.append(value / 1000.0)  # us -> ms
    return xs, ys


def kind_suffix(kind):
    """A payload kind other than the pattern names its files (format 6)."""
    return "" if kind in (None, "", "pattern") else f"_k{kind}"


def spectrum_path(run_dir, t, sc, c, rate, p, net, kind=None):
    """The row's spectrum file as the C++ names it (harness/report.cpp
    spectrum_file_name), or None. Rate is fmt "{}" of a double; ":g" is
    also tried, as older versions of this script looked for it."""
    suffix = ("" if net == "none" else f"_net-{net_slug(net)}") + kind_suffix(kind)
    for r in dict.fromkeys([fmt_double(rate), f"{rate:g}"]):
        path = os.path.join(run_dir, "spectra", f"{t}_{sc}_c{int(c)}_r{r}_p{int(p)}{suffix}.txt")
        if os.path.isfile(path):
            return path
    return None


def spectrum_charts(run_dir, rows, charts):
    """One chart per measured point and network profile, one line per
    transport. Runs without profiles keep their chart names; a profile's
    charts end in _net-{slug}."""
    nets = nets_in(rows)
    points = sorted({(r["scenario"], r["clients"], r["rate_hz"], r["payload_bytes"], r.get("payload_kind") or "pattern",
                      nets.index(r["net"])) for r in rows if r["scenario"] != "connect"})
    for sc, c, rate, p, kind, ni in points:
        net = nets[ni]
        fig, ax = plt.subplots(figsize=(8, 5))
        drawn = False
        for t in transports_in([r for r in rows if r["net"] == net]):
            path = spectrum_path(run_dir, t, sc, c, rate, p, net, kind)
            if path is None:
                continue
            xs, ys = read_spectrum(path)
            if xs:
                ax.plot(xs, ys, label=t, color=colour(t), linewidth=1.8)
                drawn = True
        if not drawn:
            plt.close(fig)
            continue
        ax.set_xscale("log")
        ax.set_yscale("log")
        ticks = [2, 10, 100, 1000, 10000]
        ax.set_xticks(ticks)
        ax.set_xticklabels(["50%", "90%", "99%", "99.9%", "99.99%"])
        ax.set_xlim(1, 20000)
        ax.set_xlabel("percentile")
        ax.set_ylabel("latency from scheduled send (ms, log)")
        where = "" if net == "none" else f", net {net}"
        what = "" if kind == "pattern" else f" ({kind})"
        ax.set_title(f"Latency by percentile — {sc}, {int(c)} clients, {rate:g} msg/s, {int(p)} B payload{what}{where}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
        suffix = "" if net == "none" else f"_net-{net_slug(net)}"
        save(fig, run_dir, f"latency_spectrum_{sc}_c{int(c)}_r{rate:g}_p{int(p)}{suffix}{kind_suffix(kind)}", charts)


def lines_by_transport(ax, rows, x_key, y_fn, nets):
    """One line per transport, and per network profile when the run has more
    than one (same colour, its own line style and marker)."""
    for t in transports_in(rows):
        for net in nets:
            pts = sorted((r[x_key], y_fn(r)) for r in rows if r["transport"] == t and r["net"] == net)
            if pts:
                ls, mk = net_style(net, nets)
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=mk, linestyle=ls,
                        label=series_label(t, net, nets), color=colour(t))


def overhead_chart(run_dir, rows, charts):
    msg = [r for r in rows if r["scenario"] != "connect"]
    if not msg:
        return
    top = max(r["clients"] for r in msg)
    sel = [r for r in msg if r["clients"] == top]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.5))
    # Results format 2 splits the overhead: the transport's own framing apart
    # from rtbench's envelope (the same in every transport). Older runs only
    # have the total, and are labelled so.
    split = all("framing_bytes_per_msg" in r for r in sel)
    nets = nets_in(msg)
    lines_by_transport(a1, sel, "payload_bytes",
                       lambda r: r["framing_bytes_per_msg"] if split else r["overhead_bytes_per_msg"], nets)
    lines_by_transport(a2, sel, "payload_bytes", lambda r: r["framing_ratio"] if split else r["overhead_ratio"], nets)
    for a in (a1, a2):
        if len({r["payload_bytes"] for r in sel}) > 1:
            a.set_xscale("log")
        a.set_xlabel("payload (bytes)")
        a.grid(True, alpha=0.3)
        a.legend(fontsize="small" if len(nets) > 1 else None)
    if split:
        a1.set_ylabel("wire bytes beyond the message per message (B)")
        a1.set_title(f"Framing per message ({int(top)} clients)")
        a2.set_ylabel("wire bytes ÷ message bytes (envelope + payload)")
        a2.set_title(f"Wire ÷ message ({int(top)} clients)")
    else:
        a1.set_ylabel("wire bytes beyond payload per message (B)")
        a1.set_title(f"Overhead per message, envelope included ({int(top)} clients)")
        a2.set_ylabel("wire bytes ÷ payload bytes")
        a2.set_title(f"Wire ÷ payload ({int(top)} clients)")
    save(fig, run_dir, "overhead", charts)


def per_payload_chart(run_dir, rows, name, title, ylabel, y_fn, charts, logy=False):
    msg = [r for r in rows if r["scenario"] != "connect"]
    payloads = sorted({r["payload_bytes"] for r in msg})
    if not payloads:
        return
    nets = nets_in(msg)
    fig, axes = plt.subplots(1, len(payloads), figsize=(5.5 * len(payloads), 4.5), squeeze=False)
    for ax, p in zip(axes[0], payloads):
        sel = [r for r in msg if r["payload_bytes"] == p]
        lines_by_transport(ax, sel, "clients", y_fn, nets)
        if len({r["clients"] for r in sel}) > 1:
            ax.set_xscale("log")
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel("clients")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{title} — {int(p)} B payload")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="small" if len(nets) > 1 else None)
    save(fig, run_dir, name, charts)


def traffic(r):
    return (r["wire_down_bytes"] + r["wire_up_bytes"]) / r["duration_s"] if r["duration_s"] else 0.0


def connection_rows(rows):
    """The rows that speak for connection cost: the connect scenario's if
    any (else all), at the largest client count; one per transport and
    network profile. Returns the count, the rows by (transport, net), their
    keys in chart order and an x-axis label for each."""
    conn = [r for r in rows if r["scenario"] == "connect"] or rows
    top = max(r["clients"] for r in conn)
    sel = {(r["transport"], r["net"]): r for r in conn if r["clients"] == top}
    nets = nets_in(conn)
    keys = [(t, n) for t in transports_in(conn) for n in nets if (t, n) in sel]
    labels = [f"{t}\n{n.replace(' ', chr(10))}" if len(nets) > 1 else t for t, n in keys]
    return top, sel, keys, labels


def memory_chart(run_dir, rows, charts):
    rows = server_measured(rows, "server_rss_bytes_per_conn")
    if not rows:
        return
    top, sel, keys, labels = connection_rows(rows)
    fig, ax = plt.subplots(figsize=(max(8, 1.2 * len(keys)), 4.5))
    ax.bar(range(len(keys)), [sel[k]["server_rss_bytes_per_conn"] / 1024 for k in keys],
           color=[colour(k[0]) for k in keys], tick_label=labels)
    ax.set_ylabel("server RSS per connection (KiB)")
    ax.set_xlabel("transport")
    ax.set_title(f"Server memory per connection ({int(top)} connections, {sel[keys[0]]['scenario']})")
    ax.grid(True, axis="y", alpha=0.3)
    save(fig, run_dir, "memory_per_connection", charts)


def connect_chart(run_dir, rows, charts):
    top, sel, keys, labels = connection_rows(rows)
    fig, ax = plt.subplots(figsize=(max(8, 1.2 * len(keys)), 4.5))
    for i, (t, net) in enumerate(keys):
        r = sel[(t, net)]
        vals = [r["connect_p50_us"] / 1000, r["connect_p99_us"] / 1000, r.get("connect_max_us", r["connect_p99_us"]) / 1000]
        ax.plot([i] * 3, vals, color=colour(t), linewidth=6, alpha=0.35)
        for v, mk in zip(vals, ["o", "s", "^"]):
            ax.scatter([i], [v], color=colour(t), marker=mk, zorder=3)
    for mk, lbl in zip(["o", "s", "^"], ["p50", "p99", "max"]):
        ax.scatter([], [], color="#555555", marker=mk, label=lbl)  # legend keys in neutral grey
    ax.set_xticks(range(len(keys)))
    ax.set_xticklabels(labels)
    ax.set_yscale("log")
    ax.set_ylabel("time to ready: connect → subscribed (ms, log)")
    ax.set_title(f"Connection time ({int(top)} connections)")
    ax.grid(True, axis="y", which="both", alpha=0.3)
    ax.legend(title="percentile")
    save(fig, run_dir, "connect_time", charts)


def impairment_text(key):
    """The profile's numbers other than the RTT, in words ("" for none)."""
    jitter, down, up, loss, resets = key
    parts = []
    if jitter:
        parts.append(f"jitter {jitter:g} ms")
    if down:
        parts.append(f"down {down / 1e6:g} Mbit/s")
    if up:
        parts.append(f"up {up / 1e6:g} Mbit/s")
    if loss:
        parts.append(f"loss {loss:g}%")
    if resets:
        parts.append(f"{resets:g} resets/min")
    return ", ".join(parts)


def read_capacity(run_dir):
    """capacity.csv of a --find-max run (results format 6), or []."""
    path = os.path.join(run_dir, "capacity.csv")
    if not os.path.isfile(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def slo_of(capacity):
    """(percentile, latency ms) from the slo cell, "p99 ≤ 50 ms; loss ≤ 0 %"."""
    try:
        head = capacity[0]["slo"].split(";")[0]  # "p99 ≤ 50 ms"
        pct, _, value, _ = head.split()
        return pct, float(value)
    except (IndexError, KeyError, ValueError):
        return None


def capacity_chart(run_dir, rows, charts):
    """The knee: the objective's latency against the offered deliveries per
    second, one line per transport (and path), each probe of the search a
    point (filled: met the objective, x: missed, hollow: the load generator
    or relay was the limit), the objective a dashed line."""
    capacity = read_capacity(run_dir)
    probes = [r for r in rows if r.get("slo_met") in ("true", "false") or r.get("slo_why")]
    if not capacity or not probes:
        return
    slo = slo_of(capacity)
    pct = slo[0] if slo else "p99"
    stat = {"p50": "p50", "p90": "p90", "p99": "p99", "p99.9": "p999"}.get(pct, "p99")
    nets = nets_in(probes)
    fig, ax = plt.subplots(figsize=(8, 5))
    # One line per search: the transport, the path, and what the search held
    # fixed (the searched dimension varies along the line).
    searched = capacity[0].get("searched", "rate")
    def fixed(r):
        return (r["clients"] if searched == "rate" else r["rate_hz"], r["payload_bytes"], r.get("payload_kind"))
    fixes = sorted({fixed(r) for r in probes}, key=str)
    for t in transports_in(probes):
        for net in nets:
            for fx in fixes:
                pts = sorted((r["rate_hz"] * r["clients"], headline_us(r, stat) / 1000, r.get("slo_met"))
                             for r in probes if r["transport"] == t and r["net"] == net and fixed(r) == fx)
                if not pts:
                    continue
                ls, _ = net_style(net, nets)
                label = series_label(t, net, nets)
                if len(fixes) > 1:
                    label += f" ({int(fx[0])} clients" if searched == "rate" else f" ({fx[0]:g}/s"
                    label += f", {int(fx[1])} B)"
                ax.plot([p[0] for p in pts], [p[1] for p in pts], linestyle=ls, color=colour(t), label=label)
                for x, y, met in pts:
                    if met == "true":
                        ax.plot(x, y, "o", color=colour(t))
                    elif met == "false":
                        ax.plot(x, y, "x", color=colour(t), markersize=9)
                    else:
                        ax.plot(x, y, "o", markerfacecolor="none", color=colour(t))
    if slo:
        ax.axhline(slo[1], linestyle="--", color="#444444", label=f"objective: {pct} ≤ {slo[1]:g} ms")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("offered deliveries per second (rate × clients, log)")
    ax.set_ylabel(f"{pct} latency (ms, log)")
    ax.set_title("Capacity search: latency against load (o met, x missed the objective)")
    ax.legend(fontsize=8)
    save(fig, run_dir, "capacity", charts)


def latency_rtt_charts(run_dir, rows, charts):
    """Latency p50 (solid) and p99 (dashed) against the profile's added
    round-trip time, one chart per (scenario, clients, rate, payload) measured
    at two or more RTTs, one colour per transport. Only rows that differ in
    nothing but the RTT share a line; rows on a profile with other
    impairments (jitter, bandwidth, loss, resets) get their own marker and
    legend entry, so their effect is never read as the RTT's."""
    msg = [r for r in rows if r["scenario"] in ("push", "echo", "broadcast")]
    groups = {}
    for r in msg:
        groups.setdefault((r["scenario"], r["clients"], r["rate_hz"], r["payload_bytes"]), []).append(r)
    points = sorted(k for k, g in groups.items() if len({r["net_rtt_ms"] for r in g}) >= 2)
    for n, (sc, c, rate, p) in enumerate(points, start=1):
        g = groups[(sc, c, rate, p)]
        shapes = []  # the non-RTT impairments, plain (all zero) first
        for r in sorted(g, key=lambda r: any(r[k] for k in NET_NUMBERS[1:])):
            key = tuple(r[k] for k in NET_NUMBERS[1:])
            if key not in shapes:
                shapes.append(key)
        fig, ax = plt.subplots(figsize=(8.5, 5))
        ys = []
        for t in transports_in(g):
            for i, shape in enumerate(shapes):
                sel = [r for r in g if r["transport"] == t and tuple(r[k] for k in NET_NUMBERS[1:]) == shape]
                if not sel:
                    continue
                pts = sorted((r["net_rtt_ms"], headline_us(r, "p50") / 1000, headline_us(r, "p99") / 1000) for r in sel)
                xs = [q[0] for q in pts]
                mk = NET_MARKERS[i % len(NET_MARKERS)]
                if any(shape):
                    what = impairment_text(shape) if len(sel) > 1 else ", ".join(dict.fromkeys(r["net"] for r in sel))
                    label = f"{t} ({what})"
                else:
                    label = t
                ax.plot(xs, [q[1] for q in pts], color=colour(t), marker=mk, linestyle="-", label=label)
                ax.plot(xs, [q[2] for q in pts], color=colour(t), marker=mk, linestyle="--", alpha=0.8)
                ys += [q[1] for q in pts] + [q[2] for q in pts]
        ax.plot([], [], color="#555555", linestyle="-", label="p50")  # line keys in neutral grey
        ax.plot([], [], color="#555555", linestyle="--", label="p99")
        positive = [y for y in ys if y > 0]
        if positive and max(positive) / min(positive) > 30:
            ax.set_yscale("log")
            ax.set_ylabel("latency from scheduled send (ms, log)")
        else:
            ax.set_ylabel("latency from scheduled send (ms)")
        ax.set_xlabel("added network round-trip time (ms)")
        ax.set_title(f"Latency vs round-trip time — {sc}, {int(c)} clients, {rate:g} msg/s, {int(p)} B payload")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="small")
        save(fig, run_dir, "latency_vs_rtt" if n == 1 else f"latency_vs_rtt_{n}", charts)


def warnings_of(rows):
    out = []
    for r in rows:
        tag = f"{r['transport']} {r['scenario']} clients={int(r['clients'])} rate={r['rate_hz']:g} payload={int(r['payload_bytes'])}"
        if r["net"] != "none":
            tag += f" net={r['net']}"
        if r["client_bound"] == "true":
            out.append(f"{tag}: the load generator was the bottleneck (client_bound): latency includes its own queueing.")
        if r["relay_bound"] == "true":
            out.append(f"{tag}: the network relay was the bottleneck (relay_bound): latency includes its own queueing, "
                       f"not only the network profile's delays.")
        in_flight = r.get("lost_in_flight_at_end", 0.0)
        if r["lost"] - in_flight > 0:
            out.append(f"{tag}: {int(r['lost'] - in_flight)} messages lost (skipped in the sequence).")
        if in_flight > 0:
            out.append(f"{tag}: {int(in_flight)} messages had not arrived when the drain ended: the system could not keep up; "
                       f"latency percentiles exclude them.")
        if r.get("duplicated", 0) > 0:
            out.append(f"{tag}: {int(r['duplicated'])} duplicated messages.")
        if r.get("corrupt", 0) > 0:
            out.append(f"{tag}: {int(r['corrupt'])} corrupted records.")
        if r.get("slow_consumers"):
            out.append(f"{tag}: {int(r['slow_consumers'])} connections dropped as slow consumers.")
    return out


def has_relay(rows):
    return any(r["relay_bound"] is not None for r in rows)


def none_text(rows):
    """The Warnings section when there is nothing to warn about."""
    if has_relay(rows):
        return "None: no loss, and the load generator and the network relay kept up."
    return "None: no loss, and the load generator kept up."


def or_dash(v, spec):
    """A figure, or a dash where nothing was measured (an empty cell)."""
    return "–" if v is None else format(v, spec)


def server_measured(rows, col):
    """The rows whose server process was measured (not an external target's
    without --target-pid)."""
    return [r for r in rows if r.get(col) is not None]


def table_rows(rows):
    # Format 3 runs on network profiles say each row's profile (and whether
    # the relay kept up); runs without profiles keep their table as it was.
    with_net = any(r["net"] != "none" for r in rows)
    with_relay = has_relay(rows)
    head = ["transport", "scenario", "clients", "rate/s", "payload B"] + (["net"] if with_net else []) + [
            "delivered", "lost", "p50 ms", "p99 ms",
            "max ms", "framing B/msg", "envelope B/msg", "wire÷payload", "server µs/msg", "ready p50 ms",
            "handshake B", "RSS B/conn", "client bound"] + (["relay bound"] if with_relay else [])
    body = []
    for r in rows:
        # Format 1 runs have no split: framing is unknown there, not zero.
        framing = f"{r['framing_bytes_per_msg']:.1f}" if "framing_bytes_per_msg" in r else "–"
        envelope = f"{r['envelope_bytes_per_msg']:.1f}" if "envelope_bytes_per_msg" in r else "–"
        body.append([r["transport"], r["scenario"], f"{int(r['clients'])}", f"{r['rate_hz']:g}",
                     f"{int(r['payload_bytes'])}"] + ([r["net"]] if with_net else []) + [
                     f"{int(r['delivered'])}", f"{int(r['lost'])}",
                     f"{headline_us(r, 'p50') / 1000:.3f}", f"{headline_us(r, 'p99') / 1000:.3f}",
                     f"{headline_us(r, 'max') / 1000:.3f}", framing, envelope,
                     f"{r['overhead_ratio']:.2f}", or_dash(r["server_cpu_us_per_msg"], ".2f"),
                     f"{r['connect_p50_us'] / 1000:.3f}", f"{r['handshake_bytes']:.0f}",
                     or_dash(r["server_rss_bytes_per_conn"], ".0f"), r["client_bound"]]
                    + ([r["relay_bound"] or "–"] if with_relay else []))
    return head, body


def read_manifest(run_dir):
    path = os.path.join(run_dir, "manifest.json")
    if not os.path.isfile(path):
        return {}
    try:
        with open(path) as f:
            return json.load(f)
    except (ValueError, OSError) as e:
        raise InputError(f"{path}: not valid JSON ({e})")


def read_verdict(run_dir):
    """The verdict `rtbench run` wrote (verdict.md: one "- sentence" a line), or []."""
    path = os.path.join(run_dir, "verdict.md")
    if not os.path.isfile(path):
        return []
    with open(path) as f:
        return [line[2:].rstrip("\n") for line in f if line.startswith("- ")]


def write_reports(run_dir, rows, charts, manifest):
    head, body = table_rows(rows)
    warns = warnings_of(rows)
    facts = [("command", manifest.get("arguments", "?")), ("started (UTC)", manifest.get("start_time_utc", "?")),
             ("git commit", manifest.get("git_commit", "?")), ("host", manifest.get("host", "?")),
             ("kernel", manifest.get("kernel", "?")), ("CPU", f"{manifest.get('cpu_model', '?')} × {manifest.get('cores', '?')}"),
             ("rtbench", manifest.get("version", "?"))]
    verdict = read_verdict(run_dir)
    md = ["# rtbench report", ""]
    if verdict:
        md += ["## Verdict", ""] + [f"- {v}" for v in verdict] + [""]
    md += ["## Run", ""]
    md += [f"- **{k}**: `{v}`" for k, v in facts]
    runs = max(r.get("repeats", 1) for r in rows)
    repeats_note = (f"Each point ran {runs} times (--repeat): the table and charts show each figure's median over its "
                    f"runs; spread.csv has the median, minimum and maximum of the headline figures." if runs > 1 else "")
    md += ["", "## Results", ""] + ([repeats_note, ""] if repeats_note else [])
    md += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    md += ["| " + " | ".join(b) + " |" for b in body]
    md += ["", "## Warnings", ""] + ([f"- {w}" for w in warns] or [none_text(rows)])
    md += ["", "## Charts", ""] + [f"![{c}]({c}.png)" for c in charts]
    with open(os.path.join(run_dir, "report.md"), "w") as f:
        f.write("\n".join(md) + "\n")

    def img(c):
        with open(os.path.join(run_dir, f"{c}.png"), "rb") as f:
            data = base64.b64encode(f.read()).decode()
        return f'<figure><img alt="{html.escape(c)}" src="data:image/png;base64,{data}"></figure>'

    h = ["<!doctype html><html lang=en><head><meta charset=utf-8><title>rtbench report</title>",
         "<style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;font-size:12px}"
         "td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}td:first-child,td:nth-child(2){text-align:left}"
         "img{max-width:100%}.warn{color:#a40000}</style></head><body>",
         "<h1>rtbench report</h1>"]
    if verdict:
        h += ["<h2>Verdict</h2><ul>"] + [f"<li>{html.escape(v)}</li>" for v in verdict] + ["</ul>"]
    h += ["<h2>Run</h2><ul>"]
    h += [f"<li><b>{html.escape(k)}</b>: <code>{html.escape(str(v))}</code></li>" for k, v in facts]
    h += ["</ul><h2>Results</h2>" + (f"<p>{html.escape(repeats_note)}</p>" if repeats_note else "") + "<table><tr>" + "".join(f"<th>{html.escape(x)}</th>" for x in head) + "</tr>"]
    h += ["<tr>" + "".join(f"<td>{html.escape(x)}</td>" for x in b) + "</tr>" for b in body]
    h += ["</table><h2>Warnings</h2><ul>"]
    h += [f'<li class=warn>{html.escape(w)}</li>' for w in warns] or [f"<li>{html.escape(none_text(rows))}</li>"]
    h += ["</ul><h2>Charts</h2>"] + [img(c) for c in charts] + ["</body></html>"]
    with open(os.path.join(run_dir, "report.html"), "w") as f:
        f.write("\n".join(h) + "\n")


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print("usage: rtbench plot RUN_DIR  (charts, report.md and report.html into RUN_DIR)",
              file=sys.stderr if len(argv) != 2 else sys.stdout)
        return 0 if len(argv) == 2 else 2
    run_dir = argv[1]
    try:
        if not os.path.isdir(run_dir):
            raise InputError(f"{run_dir}: not a folder")
        rows = read_results(os.path.join(run_dir, "results.csv"))
        # A point's spectrum chart draws its first run (file names of later
        # runs end in _n<repeat>).
        spectra_rows = [r for r in rows if (r.get("repeat") or 1) == 1]
        sub = os.path.join(run_dir, "connect", "results.csv")
        if os.path.isfile(sub):
            rows += read_results(sub)
        rows = median_over_repeats(rows)
        manifest = read_manifest(run_dir)
    except InputError as e:
        print(f"rtbench plot: {e}", file=sys.stderr)
        return 2
    charts = []
    spectrum_charts(run_dir, spectra_rows, charts)
    latency_rtt_charts(run_dir, spectra_rows, charts)
    overhead_chart(run_dir, rows, charts)
    per_payload_chart(run_dir, rows, "traffic_vs_clients", "Total wire traffic",
                      "bytes per second, both directions (B/s, log)", traffic, charts, logy=True)
    per_payload_chart(run_dir, server_measured(rows, "server_cpu_us_per_msg"), "server_cpu", "Server CPU per delivered message",
                      "server CPU time per message (µs)", lambda r: r["server_cpu_us_per_msg"], charts)
    memory_chart(run_dir, rows, charts)
    connect_chart(run_dir, rows, charts)
    capacity_chart(run_dir, rows, charts)
    write_reports(run_dir, rows, charts, manifest)
    print(f"rtbench plot: {len(charts)} charts, report.html and report.md in {run_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
