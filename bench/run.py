#!/usr/bin/env python3
"""Benchmark `reader build` against a single-document WeasyPrint render and Pandoc.

    pip install -e '.[bench]'        # pypandoc-binary (the pandoc binary) and typst
    python bench/run.py              # sizes 10,100,300, 3 repetitions; writes bench/RESULTS.md
    python bench/run.py --sizes 10 --reps 1 --out bench/work/RESULTS-try.md

Every measured command runs as a child of a tiny Python wrapper in its own process group.
The wrapper times the command (wall clock, perf_counter) and reports the child tree's
`getrusage(RUSAGE_CHILDREN)`: ru_maxrss there is the peak RSS of the *largest single*
process of the tree (the parent or any waited-for worker), not of the tree as a whole.
For the whole tree, this script also polls the wrapper's descendants (/proc): the summed
RSS every 50 ms (which counts the shared copy-on-write pages of forked workers once per
process), and the summed PSS (proportional set size: shared pages split between the
processes sharing them) every second and whenever the RSS sum sets a new high (at most
every 250 ms; reading PSS is costly for large processes). Sampling can miss a spike
shorter than the interval. The memory target is judged on the peak tree PSS.

The tools alternate: for each size and each repetition, the units (reader's cold/no-change/
edit sequence, the single-document render, Pandoc->WeasyPrint, Pandoc->Typst,
Pandoc->pptx, `reader --help`) run once each, in an order rotated by one every repetition.
Figures are medians over the repetitions.

What each kind of change costs (an item added, removed or moved, the title changed...)
and how the cold build scales with workers (1 and 2, Amdahl's projection for more) are
measured by bench/incremental.py, into its own section of RESULTS.md, which this script
keeps.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / "work"
BIN = WORK / "bin"
PRINT_CSS = BENCH / "print.css"
TIMEOUT = 15 * 60
POLL = 0.05          # RSS of every process of the tree (cheap: /proc/PID/statm)
RESCAN = 0.2         # look for new processes in the tree (a scan of /proc)
PSS_EVERY = 1.0      # PSS (/proc/PID/smaps_rollup costs ~15 ms of CPU per 500 MB process)
PSS_MIN_GAP = 0.25   # ... and on a new RSS high, but not more often than this
PAGE = os.sysconf("SC_PAGE_SIZE")

sys.path.insert(0, str(BENCH))
import generate  # noqa: E402

WRAPPER = r"""
import json, resource, subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
t = time.perf_counter()
rc = subprocess.call(cmd)
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
me = resource.getrusage(resource.RUSAGE_SELF)
with open(out, "w") as f:
    json.dump({"wall": wall, "rc": rc, "maxrss_kb": ru.ru_maxrss,
               "cpu": ru.ru_utime + ru.ru_stime, "self_cpu": me.ru_utime + me.ru_stime}, f)
sys.exit(rc)
"""

TYPST_WRAPPER = r"""#!{python}
# `typst compile IN OUT` for Pandoc's --pdf-engine=typst, via the typst Python package
# (pip install typst). Pandoc 3.x runs `typst compile IN.typ OUT.pdf` (plus any
# --pdf-engine-opt); --root and --font-path are honoured, other options are ignored.
import argparse, sys
import typst
ap = argparse.ArgumentParser(prog="typst")
ap.add_argument("command")
ap.add_argument("input")
ap.add_argument("output", nargs="?")
ap.add_argument("--root")
ap.add_argument("--font-path", action="append", default=[])
args, _unknown = ap.parse_known_args()
if args.command in ("--version", "-V"):
    print("typst (python package)")
    sys.exit(0)
if args.command not in ("compile", "c"):
    sys.exit(f"typst wrapper: only 'compile' is supported, not {{args.command!r}}")
kw = {{}}
if args.root:
    kw["root"] = args.root
if args.font_path:
    kw["font_paths"] = args.font_path
out = args.output or args.input.rsplit(".", 1)[0] + ".pdf"
typst.compile(args.input, output=out, **kw)
"""

SINGLE = r"""
import sys
from pathlib import Path
from reader.course.manifest import load_manifest
from reader.course.model import build_course
from reader.pdf.book import render_single
from reader.course.theme import theme_for
c, out = sys.argv[1], sys.argv[2]
m = load_manifest(Path(c))
course = build_course(m, m.variant())
data, _ = render_single(course, theme_for(m.templates, m.root))
Path(out).write_bytes(data)
"""

TOOLS = {
    "reader-cold": "reader cold build (PDF + deck)",
    "reader-nochange": "reader no-change rebuild",
    "reader-edit": "reader one-paragraph edit",
    "single": "single-document WeasyPrint render (reader HTML)",
    "pandoc-weasy": "Pandoc -> WeasyPrint (PDF)",
    "pandoc-typst": "Pandoc -> Typst (PDF)",
    "pandoc-pptx": "Pandoc -> pptx",
    "help": "reader --help",
}


# --- measuring --------------------------------------------------------------------------

def descendants(root: int) -> list[int]:
    """All processes below root, from /proc (what psutil's children(recursive) does)."""
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(name))
    found, stack = [], [root]
    while stack:
        for child in kids.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def rss_of(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, ValueError, IndexError):
        return 0


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far, from /proc/PID/stat. The
    build's workers are children of a fork server that reader never waits for, so their
    time never reaches the wrapper's RUSAGE_CHILDREN: it is read here while they run."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def memory_of(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in bytes, from /proc/PID/smaps_rollup (Linux >= 4.14)."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return pss, rss


def busy_seconds() -> float:
    """CPU time spent by the whole machine (all processes, all cores) since boot."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")

def measure(cmd: list[str], cwd: Path, env: dict | None = None, timeout: float | None = None,
            log: Path | None = None) -> dict:
    """Run cmd under the wrapper; wall time, rusage of the tree, polled tree memory."""
    timeout = timeout or TIMEOUT
    result_file = WORK / ".measure.json"
    result_file.unlink(missing_ok=True)
    log = log or WORK / "logs" / "last.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", WRAPPER, str(result_file), *cmd],
                                cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        peak_pss = peak_rss = 0
        busy0, own0 = busy_seconds(), time.process_time()
        started = time.perf_counter()
        timed_out = False
        pids: list[int] = []
        last_scan = last_pss = -1e9
        rss_at_pss = 0
        cpu_seen: dict[int, float] = {}     # per process of the tree, its last CPU time
        while proc.poll() is None:
            now = time.perf_counter()
            if now - started > timeout:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)   # the group this script started
                proc.wait()
                break
            if now - last_scan >= RESCAN or len(pids) < 2:   # until the command has started
                pids, last_scan = descendants(proc.pid), now
            for pid in pids:
                cpu_seen[pid] = max(cpu_seen.get(pid, 0.0), cpu_of(pid))
            rss = sum(rss_of(pid) for pid in pids)
            peak_rss = max(peak_rss, rss)
            if now - last_pss >= PSS_EVERY or (rss and not rss_at_pss) or \
                    (rss > rss_at_pss * 1.05 and now - last_pss >= PSS_MIN_GAP):
                peak_pss = max(peak_pss, sum(memory_of(pid)[0] for pid in pids))
                last_pss, rss_at_pss = now, rss
            time.sleep(POLL)
    busy = busy_seconds() - busy0
    own = time.process_time() - own0      # this script's polling
    text = log.read_text(encoding="utf-8", errors="replace")
    if timed_out:
        return {"timeout": True, "wall": None, "rc": None, "output": text[-2000:],
                "tree_pss_mb": peak_pss / 2**20, "tree_rss_mb": peak_rss / 2**20}
    data = json.loads(result_file.read_text())
    data["cpu"] = max(data["cpu"], sum(cpu_seen.values()))   # the fork server's workers too
    return {"timeout": False, "wall": data["wall"], "rc": data["rc"], "cpu": data["cpu"],
            "maxrss_mb": data["maxrss_kb"] / 1024, "tree_pss_mb": peak_pss / 2**20,
            "tree_rss_mb": peak_rss / 2**20, "poll_cpu": own,
            # CPU that neither the command nor the polling used: other processes (noise)
            "other_cpu": max(0.0, busy - data["cpu"] - data["self_cpu"] - own), "output": text[-4000:]}


def pdf_pages(path: Path) -> int | None:
    import pypdf
    try:
        return len(pypdf.PdfReader(str(path)).pages)
    except Exception:  # noqa: BLE001
        return None


def pptx_slides(path: Path) -> int | None:
    import pptx
    try:
        return len(pptx.Presentation(str(path)).slides)
    except Exception:  # noqa: BLE001
        return None


def parse_reader(output: str) -> dict:
    found: dict = {}
    m = re.search(r"timings: (.*)", output)
    if m:
        for part in m.group(1).split(","):
            name, _, value = part.strip().rpartition(" ")
            try:
                found[f"t_{name}"] = float(value.rstrip("s"))
            except ValueError:
                pass
    m = re.search(r"chunks: (\d+) laid out, (\d+) reused, (\d+) discarded", output)
    if m:
        found["chunks"] = f"{m.group(1)} laid out / {m.group(2)} reused"
    m = re.search(r"slides: (\d+) items' slides made, (\d+) reused", output)
    if m:
        found["slide_groups"] = f"{m.group(1)} items' slides made / {m.group(2)} reused"
    m = re.search(r"\((\d+) pages, (\d+) slides\)", output)
    if m:
        found["reported_pages"], found["reported_slides"] = int(m.group(1)), int(m.group(2))
    found["up_to_date"] = "is up to date" in output
    found["warnings"] = len(re.findall(r"warning", output, re.I))
    return found


# --- the units --------------------------------------------------------------------------

class Size:
    def __init__(self, n: int, pandoc: str, reader: str):
        self.n = n
        self.base = WORK / str(n)
        self.course = self.base / "course"
        self.out = self.base / "out"
        self.logs = WORK / "logs" / str(n)
        self.pandoc, self.reader = pandoc, reader
        rel = (self.base / "middle-essay.txt").read_text().strip()
        self.essay = self.course / rel
        self.essay_text = self.essay.read_text(encoding="utf-8")
        self.out.mkdir(exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)

    def log(self, tool: str, rep: int) -> Path:
        return self.logs / f"{tool}-{rep}.log"

    def reader_sequence(self, rep: int, skip: set[str]) -> dict[str, dict]:
        results: dict[str, dict] = {}
        dist = self.course / "dist"
        # cold: no outputs, no cache, the item files as generated
        self.essay.write_text(self.essay_text, encoding="utf-8")
        shutil.rmtree(dist, ignore_errors=True)
        shutil.rmtree(self.course / ".reader-cache", ignore_errors=True)
        cmd = [self.reader, "build", "-v", str(self.course)]
        r = measure(cmd, self.base, log=self.log("reader-cold", rep))
        r.update(parse_reader(r["output"]))
        r["pages"] = pdf_pages(dist / "reader.pdf")
        r["slides"] = pptx_slides(dist / "deck.pptx")
        results["reader-cold"] = r
        if r["timeout"] or r["rc"] != 0:
            return results
        r = measure(cmd, self.base, log=self.log("reader-nochange", rep))
        r.update(parse_reader(r["output"]))
        results["reader-nochange"] = r
        self.edit(rep)
        r = measure(cmd, self.base, log=self.log("reader-edit", rep))
        r.update(parse_reader(r["output"]))
        r["pages"] = pdf_pages(dist / "reader.pdf")
        r["slides"] = pptx_slides(dist / "deck.pptx")
        results["reader-edit"] = r
        return results

    def edit(self, rep: int) -> None:
        """Change one paragraph in the middle of the middle essay (a new sentence)."""
        text = self.essay_text
        paras = [m for m in re.finditer(r"(?m)^(?!##|\[\^|---|title:|author:)(\S.*)$", text)]
        target = paras[len(paras) // 2]
        line = target.group(1)
        edited = (line.replace(" the ", " the newly ", 1) +
                  f" This sentence was added by the benchmark's edit number {rep + 1}.")
        self.essay.write_text(text[:target.start(1)] + edited + text[target.end(1):],
                              encoding="utf-8")

    def single(self, rep: int) -> dict:
        out = self.out / "single.pdf"
        out.unlink(missing_ok=True)
        r = measure([sys.executable, "-c", SINGLE, str(self.course), str(out)], self.base,
                    log=self.log("single", rep))
        r["pages"] = pdf_pages(out) if not r["timeout"] else None
        return r

    def pandoc_weasy(self, rep: int) -> dict:
        out = self.out / "pandoc-weasy.pdf"
        out.unlink(missing_ok=True)
        r = measure([self.pandoc, "peer.md", "-s", "--css", str(PRINT_CSS),
                     "--pdf-engine=weasyprint", "-o", str(out)], self.base,
                    log=self.log("pandoc-weasy", rep))
        r["pages"] = pdf_pages(out) if not r["timeout"] else None
        return r

    def pandoc_typst(self, rep: int) -> dict:
        out = self.out / "pandoc-typst.pdf"
        out.unlink(missing_ok=True)
        env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
        r = measure([self.pandoc, "peer.md", "-V", "papersize=us-letter",
                     "--pdf-engine=typst", "-o", str(out)], self.base, env=env,
                    log=self.log("pandoc-typst", rep))
        r["pages"] = pdf_pages(out) if not r["timeout"] else None
        return r

    def pandoc_pptx(self, rep: int) -> dict:
        out = self.out / "pandoc.pptx"
        out.unlink(missing_ok=True)
        r = measure([self.pandoc, "peer.md", "--slide-level=2", "-o", str(out)], self.base,
                    log=self.log("pandoc-pptx", rep))
        r["slides"] = pptx_slides(out) if not r["timeout"] else None
        return r

    def help(self, rep: int) -> dict:
        return measure([self.reader, "--help"], self.base, log=self.log("help", rep))


# --- summarising ------------------------------------------------------------------------

def fidelity(size: "Size") -> dict:
    """Untimed, after a size's timings: the fast path's PDF of the course as generated
    against its single-document render, checked by other tools than the renderer's
    (tests/verify.py: every page rasterised by PDFium and compared, every drawn glyph
    against the original font's outline). A speed-up that changed the output shows here."""
    sys.path.insert(0, str(BENCH.parent / "tests"))
    import verify

    size.essay.write_text(size.essay_text, encoding="utf-8")
    subprocess.run([size.reader, "build", "--force", "-q", str(size.course)], check=True,
                   stdout=subprocess.DEVNULL)
    fast = size.course / "dist" / "reader.pdf"
    single = size.out / "fidelity-single.pdf"
    subprocess.run([sys.executable, "-c", SINGLE, str(size.course), str(single)], check=True)
    fonts = [BENCH.parent / "src" / "reader" / "theme" / "fonts",
             Path("/usr/share/fonts/truetype/dejavu")]
    pages = verify.raster_differences(fast, single)
    report = verify.glyph_report(fast, fonts)
    return {"pages": len(pages), "pages_differing": [str(d) for d in pages if d.failed],
            "glyphs_checked": report.glyphs_checked,
            "glyph_problems": report.problems + report.unchecked}


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(runs: list[dict]) -> dict:
    ok = [r for r in runs if not r.get("timeout") and r.get("rc") == 0]
    s = {"n": len(ok), "timeouts": sum(bool(r.get("timeout")) for r in runs),
         "failures": sum(not r.get("timeout") and r.get("rc") != 0 for r in runs)}
    for key in ("wall", "cpu", "maxrss_mb", "tree_pss_mb", "tree_rss_mb", "t_model", "t_pdf",
                "t_deck"):
        s[key] = median([r.get(key) for r in ok])
    others = [r.get("other_cpu") or 0 for r in ok]
    s["other_cpu_total"], s["other_cpu_max"] = (sum(others), max(others)) if others else (0, 0)
    s["disturbed"] = sum(disturbed(r) for r in ok)
    s["poll_cpu_total"] = sum(r.get("poll_cpu") or 0 for r in ok)
    walls = [r["wall"] for r in ok]
    s["min"], s["max"] = (min(walls), max(walls)) if walls else (None, None)
    for key in ("pages", "slides", "chunks", "reported_pages", "reported_slides",
                "up_to_date", "warnings"):
        vals = [r.get(key) for r in ok if r.get(key) is not None]
        s[key] = vals[-1] if vals else None
        if len(set(map(str, vals))) > 1:
            s[key + "_all"] = vals
    return s


def fmt_s(v) -> str:
    if v is None:
        return "–"
    return f"{v:.3f} s" if v < 1 else f"{v:.2f} s" if v < 100 else f"{v:.0f} s"


def fmt_mb(v) -> str:
    return "–" if v is None else f"{v:.0f} MB"


def ratio(a, b) -> str:
    return "–" if a is None or b is None or b == 0 else f"{a / b:.2f}×"


def machine() -> dict:
    info: dict = {}
    try:
        cpu = Path("/proc/cpuinfo").read_text()
        m = re.search(r"model name\s*:\s*(.*)", cpu)
        info["cpu"] = m.group(1).strip() if m else platform.processor()
    except OSError:
        info["cpu"] = platform.processor()
    info["cores"] = os.cpu_count()
    with open("/proc/meminfo") as f:
        info["ram_gb"] = int(f.readline().split()[1]) / 2**20
    try:
        osr = Path("/etc/os-release").read_text()
        m = re.search(r'PRETTY_NAME="?([^"\n]*)', osr)
        info["os"] = f"{m.group(1) if m else 'Linux'} (kernel {platform.release()})"
    except OSError:
        info["os"] = platform.platform()
    info["python"] = platform.python_version()
    from importlib.metadata import PackageNotFoundError, version
    for pkg in ("weasyprint", "typst", "pypandoc-binary", "python-pptx", "pypdf", "reader"):
        try:
            info[pkg] = version(pkg)
        except PackageNotFoundError:
            info[pkg] = "not installed"
    import pypandoc
    info["pandoc"] = pypandoc.get_pandoc_version()
    info["date"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    info["commit"] = read_head()
    return info


def source_stamp() -> float:
    """Newest modification time of reader's source (someone may edit it mid-run)."""
    return max((f.stat().st_mtime for f in (REPO / "src").rglob("*")
                if f.is_file() and "__pycache__" not in f.parts),
               default=0.0)


def read_head() -> str:
    """The checked-out commit, read from .git without running git (the tree may be dirty)."""
    git = REPO / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if head.startswith("ref: "):
            ref = head[5:]
            path = git / ref
            if path.exists():
                return f"{path.read_text().strip()[:12]} ({ref.rsplit('/', 1)[-1]})"
            packed = (git / "packed-refs").read_text()
            m = re.search(rf"^([0-9a-f]+) {re.escape(ref)}$", packed, re.M)
            return f"{m.group(1)[:12]} ({ref.rsplit('/', 1)[-1]})" if m else ref
        return head[:12]
    except OSError:
        return "unknown"


def report(info: dict, sizes: list[int], summary: dict, reps: int, elapsed: float,
           retries: int = 2) -> str:
    L: list[str] = []
    L.append("# reader benchmark results\n")
    L.append(f"Written by `python bench/run.py --sizes {','.join(map(str, sizes))} --reps "
             f"{reps}` in one session of {elapsed / 60:.1f} minutes; figures are medians "
             "over the repetitions, tools alternating round-robin. See bench/README.md for "
             "what is measured and the caveats.\n")
    if info.get("source_changed"):
        L.append("**Warning: reader's source (src/) was modified while this run was going "
                 "on; the figures mix two versions. Run it again.**\n")
    L.append("## Machine\n")
    L.append("| | |\n|---|---|")
    L.append(f"| CPU | {info['cpu']} |")
    L.append(f"| cores | {info['cores']} |")
    L.append(f"| RAM | {info['ram_gb']:.1f} GiB |")
    L.append(f"| OS | {info['os']} |")
    L.append(f"| Python | {info['python']} |")
    L.append(f"| reader | {info['reader']} (commit {info['commit']}; working tree as found) |")
    L.append(f"| WeasyPrint | {info['weasyprint']} |")
    L.append(f"| pandoc | {info['pandoc']} (pypandoc-binary {info['pypandoc-binary']}) |")
    L.append(f"| typst | {info['typst']} (Python package, via bench/work/bin/typst) |")
    L.append(f"| python-pptx / pypdf | {info['python-pptx']} / {info['pypdf']} |")
    L.append(f"| date | {info['date']} |")
    L.append(f"| load average (1 min) at start / end | {info.get('load_start', 0):.2f} / "
             f"{info.get('load_end', 0):.2f} |")
    L.append("")

    for n in sizes:
        S = summary[n]
        single, weasy, typst_, pptx_ = (S.get(k, {}).get("wall") for k in
                                        ("single", "pandoc-weasy", "pandoc-typst",
                                         "pandoc-pptx"))
        pdf_deck = weasy + pptx_ if weasy is not None and pptx_ is not None else None
        L.append(f"## {n} items\n")
        checked = S.get("_fidelity")
        if checked:
            verdict = "the same" if not checked["pages_differing"] and \
                not checked["glyph_problems"] else "**DIFFERENT**"
            L.append(f"Output checked (untimed, tests/verify.py): the fast path's PDF "
                     f"against the single-document render is {verdict}: "
                     f"{checked['pages']} pages rasterised by PDFium, "
                     f"{len(checked['pages_differing'])} differing; "
                     f"{checked['glyphs_checked']} drawn glyphs against the fonts' outlines, "
                     f"{len(checked['glyph_problems'])} wrong.\n")
        L.append("| what | median wall | min–max | CPU (user+sys) | peak tree PSS | "
                 "peak tree RSS | largest process (ru_maxrss) | pages | slides | runs |")
        L.append("|---|---|---|---|---|---|---|---|---|---|")
        for key, label in TOOLS.items():
            s = S.get(key)
            if not s:
                continue
            runs = f"{s['n']}" + (f" ({s['timeouts']} timed out)" if s["timeouts"] else "") + \
                (f" ({s['failures']} failed)" if s["failures"] else "")
            L.append(f"| {label} | {fmt_s(s['wall'])} | {fmt_s(s['min'])}–{fmt_s(s['max'])} "
                     f"| {fmt_s(s['cpu'])} | {fmt_mb(s['tree_pss_mb'])} | "
                     f"{fmt_mb(s['tree_rss_mb'])} | {fmt_mb(s['maxrss_mb'])} | "
                     f"{s.get('pages') or '–'} | {s.get('slides') or '–'} | {runs} |")
        L.append("")
        L.append("Wall time as a ratio to each peer (below 1× is faster than the peer; "
                 "\"WP+pptx\" is Pandoc→WeasyPrint plus Pandoc→pptx, the two outputs reader "
                 "makes):\n")
        L.append("| what | × single-doc WeasyPrint | × Pandoc→WeasyPrint | × Pandoc→Typst | "
                 "× Pandoc→pptx | × WP+pptx | memory × single-doc (tree PSS) |")
        L.append("|---|---|---|---|---|---|---|")
        single_mem = S.get("single", {}).get("tree_pss_mb")
        for key, label in TOOLS.items():
            s = S.get(key)
            if not s or key == "help":
                continue
            L.append(f"| {label} | {ratio(s['wall'], single)} | {ratio(s['wall'], weasy)} | "
                     f"{ratio(s['wall'], typst_)} | {ratio(s['wall'], pptx_)} | "
                     f"{ratio(s['wall'], pdf_deck)} | {ratio(s['tree_pss_mb'], single_mem)} |")
        L.append("")
        notes = []
        for key in ("reader-cold", "reader-nochange", "reader-edit"):
            s = S.get(key)
            if not s:
                continue
            stages = ", ".join(f"{st} {fmt_s(s.get('t_' + st))}" for st in ("model", "pdf", "deck")
                               if s.get("t_" + st) is not None)
            extra = []
            if stages:
                extra.append(f"stages (median of `-v` timings): {stages}")
            if s.get("chunks"):
                extra.append(f"chunks: {s['chunks']}")
            if s.get("slide_groups"):
                extra.append(f"deck: {s['slide_groups']}")
            if s.get("up_to_date"):
                extra.append("reported \"up to date\"")
            if s.get("reported_pages") is not None:
                extra.append(f"reader says {s['reported_pages']} pages, "
                             f"{s['reported_slides']} slides")
            if s.get("warnings"):
                extra.append(f"{s['warnings']} warning line(s) in its output")
            for k in ("pages_all", "slides_all", "chunks_all"):
                if k in s:
                    extra.append(f"{k[:-4]} varied: {s[k]}")
            if extra:
                notes.append(f"- {TOOLS[key]}: " + "; ".join(extra))
        other = sum(S[k]["other_cpu_total"] for k in TOOLS if k in S)
        worst = max(((S[k]["other_cpu_max"], k) for k in TOOLS if k in S), default=(0, ""))
        poll = sum(S[k]["poll_cpu_total"] for k in TOOLS if k in S)
        busy = sum(S[k]["wall"] * S[k]["n"] for k in TOOLS if k in S and S[k]["wall"])
        noisy = [f"{TOOLS[k]} ({S[k]['disturbed']} of {S[k]['n']})" for k in TOOLS
                 if k in S and S[k]["disturbed"]]
        again = [f"{TOOLS[k]} ({S[k]['discarded']})" for k in TOOLS
                 if k in S and S[k].get("discarded")]
        notes.append(f"- noise: while the measured commands ran (about {busy:.0f} s), other "
                     f"processes used {other:.1f} CPU-seconds in all (most in one run: "
                     f"{worst[0]:.1f} s, {TOOLS.get(worst[1], '')}); the memory poller "
                     f"used {poll:.1f} CPU-seconds. Measured again because other processes "
                     f"took more than 10% of the wall time (discarded runs): "
                     f"{', '.join(again) or 'none'}; disturbed runs kept after "
                     f"{retries} retries: {', '.join(noisy) or 'none'}")
        L.append("\n".join(notes) + "\n")

    L.append("## Targets\n")
    L.append("Each target is evaluated as a ratio measured in this run (medians).\n")
    L.append("| target | measured | verdict |")
    L.append("|---|---|---|")

    def verdict(ok):
        return "not measured" if ok is None else ("PASS" if ok else "MISS")

    def get(n, key, field="wall"):
        return summary.get(n, {}).get(key, {}).get(field)

    cold300, single300 = get(300, "reader-cold"), get(300, "single")
    r = cold300 / single300 if cold300 and single300 else None
    pdf300 = get(300, "reader-cold", "t_pdf")
    extra = f"; PDF stage alone {fmt_s(pdf300)} = {ratio(pdf300, single300)}" if pdf300 else ""
    L.append(f"| 300-item cold build (PDF + deck) ≤ 0.4× single-document WeasyPrint render "
             f"| {fmt_s(cold300)} / {fmt_s(single300)} = {ratio(cold300, single300)}{extra} "
             f"| {verdict(None if r is None else r <= 0.4)} |")
    mem = get(300, "reader-cold", "tree_pss_mb")
    biggest = get(300, "reader-cold", "maxrss_mb")
    L.append(f"| 300-item cold build peak memory ≤ 300 MB (whole tree, PSS) | {fmt_mb(mem)} "
             f"(tree RSS sum {fmt_mb(get(300, 'reader-cold', 'tree_rss_mb'))}, largest "
             f"process {fmt_mb(biggest)}) | {verdict(None if mem is None else mem <= 300)} |")
    edit100, typst100 = get(100, "reader-edit"), get(100, "pandoc-typst")
    r = edit100 / typst100 if edit100 and typst100 else None
    L.append(f"| 100-item one-paragraph edit, PDF + deck ≤ 0.5× Pandoc→Typst cold "
             f"| {fmt_s(edit100)} / {fmt_s(typst100)} = {ratio(edit100, typst100)} "
             f"| {verdict(None if r is None else r <= 0.5)} |")
    for n in sizes:
        v = get(n, "reader-nochange")
        L.append(f"| no-change rebuild ≤ 0.3 s ({n} items) | {fmt_s(v)} "
                 f"| {verdict(None if v is None else v <= 0.3)} |")
    helps = [r for n in sizes for r in summary[n].get("_help_runs", [])]
    h = median([r["wall"] for r in helps if not r.get("timeout") and r.get("rc") == 0])
    L.append(f"| `reader --help` ≤ 0.25 s ({len(helps)} runs) | {fmt_s(h)} "
             f"| {verdict(None if h is None else h <= 0.25)} |")
    cold10 = get(10, "reader-cold")
    w10, p10 = get(10, "pandoc-weasy"), get(10, "pandoc-pptx")
    peer10 = w10 + p10 if w10 is not None and p10 is not None else None
    L.append(f"| 10-item cold build, PDF + deck ≤ Pandoc→WeasyPrint + Pandoc→pptx "
             f"| {fmt_s(cold10)} / ({fmt_s(w10)} + {fmt_s(p10)}) = {ratio(cold10, peer10)} "
             f"| {verdict(None if cold10 is None or peer10 is None else cold10 <= peer10)} |")
    L.append("")
    return "\n".join(L) + "\n"


# --- main -------------------------------------------------------------------------------

def disturbed(r: dict) -> bool:
    """Other processes took more than 10% of the run's wall time in CPU (0.5 s at least)."""
    if r.get("timeout") or r.get("skipped") or r.get("wall") is None:
        return False
    return (r.get("other_cpu") or 0) > max(0.5, 0.1 * r["wall"])


def show(n: int, rep: int, key: str, r: dict) -> None:
    head = f"[{n:>3} items rep {rep + 1}] {key:16}"
    if r.get("skipped"):
        print(f"{head} skipped (timed out before)", flush=True)
        return
    state = "TIMEOUT" if r.get("timeout") else f"{r['wall']:.3f}s rc={r['rc']}"
    mem = f"pss {r.get('tree_pss_mb', 0):.0f}MB maxrss {r.get('maxrss_mb') or 0:.0f}MB"
    pages = f" pages={r['pages']}" if r.get("pages") else ""
    slides = f" slides={r['slides']}" if r.get("slides") else ""
    other = f" other-cpu={r['other_cpu']:.1f}s" if r.get("other_cpu") else ""
    print(f"{head} {state} {mem}{pages}{slides}{other}", flush=True)
    if not r.get("timeout") and r.get("rc") not in (0, None):
        print("    output: " + r["output"][-600:].replace("\n", "\n    "), flush=True)


def main() -> None:
    global TIMEOUT
    ap = argparse.ArgumentParser(description="Benchmark reader against its peers.")
    ap.add_argument("--sizes", default="10,100,300", help="comma-separated item counts")
    ap.add_argument("--reps", type=int, default=3, help="repetitions per size (>= 1)")
    ap.add_argument("--timeout", type=float, default=15 * 60, help="seconds per command")
    ap.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    ap.add_argument("--retries", type=int, default=2,
                    help="measure a unit again (at most this often) when other processes "
                         "used more than 10%% of its wall time in CPU")
    args = ap.parse_args()
    TIMEOUT = args.timeout
    sizes = [int(s) for s in args.sizes.split(",")]
    reps = max(1, args.reps)

    import pypandoc
    pandoc = pypandoc.get_pandoc_path()
    # The console script of this interpreter's environment, as a venv user runs it; a
    # version manager's shim on PATH (pyenv: bash + `pyenv exec`) adds ~45 ms a call.
    own = Path(sys.executable).with_name("reader")
    reader = str(own) if own.is_file() else shutil.which("reader")
    if not reader:
        sys.exit("the `reader` command is not on PATH: pip install -e '.[bench]'")
    import typst  # noqa: F401  (fail early when the bench extra is missing)

    WORK.mkdir(exist_ok=True)
    BIN.mkdir(exist_ok=True)
    wrapper = BIN / "typst"
    wrapper.write_text(TYPST_WRAPPER.format(python=sys.executable))
    wrapper.chmod(0o755)

    for n in sizes:
        generate.generate(n)
    print(f"generated {', '.join(map(str, sizes))}-item courses under {WORK}", flush=True)

    # warm the page cache for the interpreters and binaries (untimed)
    for cmd in ([reader, "--help"], [pandoc, "--version"],
                [sys.executable, "-c", "import weasyprint, pptx"]):
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    load_start = os.getloadavg()[0]
    stamp_start = source_stamp()
    started = time.perf_counter()
    raw: dict = {}
    summary: dict = {}
    help_target = max(5, 2 * reps)
    help_runs = 0
    for n in sizes:
        size = Size(n, pandoc, reader)
        runs: dict[str, list] = {k: [] for k in TOOLS}
        dead: set[str] = set()        # tools that timed out at this size: not run again

        discarded: dict[str, int] = {k: 0 for k in TOOLS}

        def unit_reader(rep):
            return size.reader_sequence(rep, dead)

        def simple(key, fn):
            def run(rep):
                if key in dead:
                    return {key: {"timeout": True, "skipped": True}}
                return {key: fn(rep)}
            return run

        units = [unit_reader, simple("single", size.single),
                 simple("pandoc-weasy", size.pandoc_weasy),
                 simple("pandoc-typst", size.pandoc_typst),
                 simple("pandoc-pptx", size.pandoc_pptx), simple("help", size.help)]
        for rep in range(reps):
            order = units[rep % len(units):] + units[:rep % len(units)]
            for unit in order:
                for attempt in range(args.retries + 1):
                    res = unit(rep)
                    for key, r in res.items():
                        show(n, rep, key, r)
                    noisy = [k for k, r in res.items() if disturbed(r)]
                    if noisy and attempt < args.retries:
                        print(f"    disturbed by other processes ({', '.join(noisy)}): "
                              "measuring again", flush=True)
                        for k in res:
                            discarded[k] += 1
                        time.sleep(5)
                        continue
                    for key, r in res.items():
                        if r.get("skipped"):
                            continue
                        runs[key].append(r)
                        if r.get("timeout"):
                            dead.add(key)
                    break
        help_runs += len(runs["help"])
        if n == sizes[-1]:
            while help_runs < help_target:     # at least 5 runs of `reader --help` in all
                runs["help"].append(size.help(100 + help_runs))
                help_runs += 1
        summary[n] = {k: summarise(v) for k, v in runs.items() if v}
        for k, count in discarded.items():
            if k in summary[n]:
                summary[n][k]["discarded"] = count
        summary[n]["_help_runs"] = runs["help"]
        raw[n] = {k: [{kk: vv for kk, vv in r.items() if kk != "output"} for r in v]
                  for k, v in runs.items()}
        summary[n]["_fidelity"] = checked = fidelity(size)
        print(f"  {n} items: fast path against the single document: {checked['pages']} pages, "
              f"{len(checked['pages_differing'])} differ; {checked['glyphs_checked']} glyphs, "
              f"{len(checked['glyph_problems'])} wrong", flush=True)
        # leave the course as generated
        size.essay.write_text(size.essay_text, encoding="utf-8")

    elapsed = time.perf_counter() - started
    info = machine()
    info["load_start"], info["load_end"] = load_start, os.getloadavg()[0]
    info["source_changed"] = source_stamp() != stamp_start
    text = report(info, sizes, summary, reps, elapsed, args.retries)
    old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    start, end = "<!-- incremental: start -->", "<!-- incremental: end -->"
    if start in old and end in old:     # bench/incremental.py's section: kept as it was
        text = text.rstrip("\n") + "\n\n" + old[old.index(start):old.index(end) + len(end)] + "\n"
    args.out.write_text(text, encoding="utf-8")
    raw_file = WORK / f"{args.out.stem}.json"      # RESULTS.md -> bench/work/RESULTS.json
    raw_file.write_text(json.dumps({"machine": info, "runs": raw}, indent=1))
    print(f"wrote {args.out} and {raw_file} ({elapsed / 60:.1f} min)")


if __name__ == "__main__":
    main()
