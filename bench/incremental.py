#!/usr/bin/env python3
"""What each kind of change costs, and how a cold build scales with workers.

    python bench/incremental.py                  # 100 items, 3 repetitions
    python bench/incremental.py --size 300 --reps 1 --anyway

From a warm build of the generated course (bench/generate.py), each kind of change a
lecturer makes (a questions item or an essay added in the middle, the middle item
removed, two neighbours swapped, the title, subtitle, term or instructor changed, one
paragraph edited) is made and ``reader build -v`` timed; each is reported as a ratio to
the one-paragraph edit (issue 15's target: at most 2x), with what was laid out and
planned again. The course is put back and built (untimed) between changes.

Then the cold build (no dist/, no cache) with ``--jobs 1`` and ``--jobs 2``, alternating,
and the single-document WeasyPrint render: with T1 and T2 the medians, Amdahl's law
T(n) = T1 * (s + (1 - s) / n) gives the serial fraction s = 2 * T2 / T1 - 1 and a
projection for 4, 8 and 16 cores, compared with the single-document render. A
projection, not a measurement: where the machine has more cores, measure instead.

The results go into bench/RESULTS.md between the markers below (run.py keeps them when
it writes the rest of the file). Timings taken while other processes use the machine are
worthless on 2 cores: the script refuses to start when the load average is above half a
process per core, unless ``--anyway`` (then the report says so).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import generate  # noqa: E402
import run  # noqa: E402  (measure, parse_reader, SINGLE, machine)

START, END = "<!-- incremental: start -->", "<!-- incremental: end -->"
ITEM = re.compile(r"(?m)^      - (essay|excerpt|table|questions): (\S+)$")
ADDED_QUESTIONS = "sections/bench-added-questions.yaml"
ADDED_ESSAY = "sections/bench-added-essay.md"


class Course:
    """The generated course, its files as generated, and the changes made to it."""

    def __init__(self, size: int):
        self.base = generate.generate(size)
        self.root = self.base / "course"
        self.manifest = self.root / "course.yaml"
        self.yaml = self.manifest.read_text(encoding="utf-8")
        rel = (self.base / "middle-essay.txt").read_text().strip()
        self.essay = self.root / rel
        self.essay_text = self.essay.read_text(encoding="utf-8")
        refs = list(ITEM.finditer(self.yaml))
        self.middle = refs[len(refs) // 2]
        self.after = refs[len(refs) // 2 + 1]

    def restore(self) -> None:
        self.manifest.write_text(self.yaml, encoding="utf-8")
        self.essay.write_text(self.essay_text, encoding="utf-8")
        for rel in (ADDED_QUESTIONS, ADDED_ESSAY):
            (self.root / rel).unlink(missing_ok=True)

    def _insert(self, line: str) -> None:
        at = self.middle.end()
        self.manifest.write_text(self.yaml[:at] + "\n" + line + self.yaml[at:],
                                 encoding="utf-8")

    # --- the changes ---------------------------------------------------------------------

    def add_questions(self) -> str:
        (self.root / ADDED_QUESTIONS).write_text(
            "title: Questions added by the benchmark\nquestions:\n  - What changed?\n",
            encoding="utf-8")
        self._insert(f"      - questions: {ADDED_QUESTIONS}")
        return "a questions item after the middle item"

    def add_essay(self) -> str:
        (self.root / ADDED_ESSAY).write_text(self.essay_text.replace(
            "title:", "title: Added,", 1), encoding="utf-8")
        self._insert(f"      - essay: {ADDED_ESSAY}")
        return "an essay after the middle item (later essays are numbered one more)"

    def remove(self) -> str:
        start, end = self.middle.span()
        self.manifest.write_text(self.yaml[:start] + self.yaml[end + 1:], encoding="utf-8")
        kind = self.middle.group(1)
        return f"the middle item ({kind})"

    def reorder(self) -> str:
        a, b = self.middle, self.after
        text = self.yaml[:a.start()] + b.group(0) + self.yaml[a.end():b.start()] + \
            a.group(0) + self.yaml[b.end():]
        self.manifest.write_text(text, encoding="utf-8")
        return f"the middle item ({a.group(1)}) and the next ({b.group(1)}) swapped"

    def head(self, name: str) -> str:
        text, count = re.subn(rf"(?m)^{name}: .*$", f"{name}: Changed by the benchmark",
                              self.yaml)
        assert count == 1, name
        self.manifest.write_text(text, encoding="utf-8")
        return f"course.yaml's {name}"

    def paragraph(self) -> str:
        text = self.essay_text
        paras = list(re.finditer(r"(?m)^(?!##|\[\^|---|title:|author:)(\S.*)$", text))
        target = paras[len(paras) // 2]
        edited = target.group(1).replace(" the ", " the newly ", 1) + " One sentence more."
        self.essay.write_text(text[:target.start(1)] + edited + text[target.end(1):],
                              encoding="utf-8")
        return "one paragraph of the middle essay"


def changes(course: Course) -> dict:
    return {"add questions": course.add_questions, "add essay": course.add_essay,
            "remove": course.remove, "reorder": course.reorder,
            "title": lambda: course.head("title"), "subtitle": lambda: course.head("subtitle"),
            "term": lambda: course.head("term"),
            "instructor": lambda: course.head("instructor"), "paragraph": course.paragraph}


def reader_command() -> str:
    own = Path(sys.executable).with_name("reader")
    found = str(own) if own.is_file() else shutil.which("reader")
    if not found:
        sys.exit("the `reader` command is not on PATH: pip install -e '.[bench]'")
    return found


def build(reader: str, course: Course, *args: str, log: str) -> dict:
    result = run.measure([reader, "build", "-v", *args, str(course.root)], course.base,
                         log=run.WORK / "logs" / "incremental" / f"{log}.log")
    if result.get("rc") != 0:
        sys.exit(f"reader failed ({log}):\n{result.get('output', '')[-1500:]}")
    result.update(run.parse_reader(result["output"]))
    return result


def measure_changes(reader: str, course: Course, reps: int) -> dict[str, list[dict]]:
    course.restore()
    build(reader, course, log="warm-up")
    kinds = list(changes(course))
    found: dict[str, list[dict]] = {k: [] for k in kinds}
    for rep in range(reps):
        for kind in kinds[rep % len(kinds):] + kinds[:rep % len(kinds)]:
            course.restore()
            build(reader, course, log=f"restore-{kind}-{rep}")       # warm, as generated
            what = changes(course)[kind]()
            result = build(reader, course, log=f"{kind}-{rep}")
            result["what"] = what
            found[kind].append(result)
            run.show(course_size(course), rep, kind, result)
    course.restore()
    return found


def measure_scaling(reader: str, course: Course, reps: int) -> dict[str, list[dict]]:
    course.restore()
    found: dict[str, list[dict]] = {"jobs 1": [], "jobs 2": [], "single": []}
    single_out = course.base / "single.pdf"
    for rep in range(reps):
        for jobs in ((1, 2) if rep % 2 == 0 else (2, 1)):
            shutil.rmtree(course.root / "dist", ignore_errors=True)
            shutil.rmtree(course.root / ".reader-cache", ignore_errors=True)
            result = build(reader, course, "--jobs", str(jobs), log=f"cold-jobs{jobs}-{rep}")
            found[f"jobs {jobs}"].append(result)
            run.show(course_size(course), rep, f"cold --jobs {jobs}", result)
        single = run.measure([sys.executable, "-c", run.SINGLE, str(course.root),
                              str(single_out)], course.base,
                             log=run.WORK / "logs" / "incremental" / f"single-{rep}.log")
        found["single"].append(single)
        run.show(course_size(course), rep, "single", single)
    return found


def course_size(course: Course) -> int:
    return len(ITEM.findall(course.yaml))


def median_wall(runs: list[dict]) -> float | None:
    walls = [r["wall"] for r in runs if r.get("wall") is not None]
    return statistics.median(walls) if walls else None


def amdahl(t1: float, t2: float) -> tuple[float, dict[int, float]]:
    """Serial fraction from the 1- and 2-worker times, and the times it projects."""
    serial = min(1.0, max(0.0, 2 * t2 / t1 - 1))
    return serial, {n: t1 * (serial + (1 - serial) / n) for n in (4, 8, 16)}


def section(size: int, reps: int, found: dict, scaling: dict, info: dict) -> str:
    lines = [START, f"## Cost of each kind of change, and scaling ({size} items)", ""]
    busy = info["load_start"] / max(1, os.cpu_count() or 1)
    lines.append(f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on "
                 f"{info.get('cpu', '?')}, {os.cpu_count()} cores; load average at the "
                 f"start {info['load_start']:.2f} ({busy:.2f} per core)"
                 + (" — **the machine was busy: these figures are not to be trusted**"
                    if busy > 0.5 else "") + f"; medians of {reps}.")
    lines += ["", "| change | wall | × one-paragraph edit | chunks | items' slides |",
              "|---|---:|---:|---|---|"]
    edit = median_wall(found.get("paragraph", []))
    for kind, runs in found.items():
        wall = median_wall(runs)
        ratio = f"{wall / edit:.2f}×" if wall and edit else "—"
        last = runs[-1] if runs else {}
        lines.append(f"| {kind}: {last.get('what', '')} | {run.fmt_s(wall)} | {ratio} | "
                     f"{last.get('chunks', '')} | {last.get('slide_groups', '')} |")
    if scaling:
        t1, t2 = median_wall(scaling["jobs 1"]), median_wall(scaling["jobs 2"])
        single = median_wall(scaling["single"])
        lines += ["", "| cold build, PDF + deck | wall | × single-document render |",
                  "|---|---:|---:|"]
        for name, value in (("--jobs 1", t1), ("--jobs 2", t2), ("single-document render",
                                                                 single)):
            ratio = f"{value / single:.2f}×" if value and single else "—"
            lines.append(f"| {name} | {run.fmt_s(value)} | {ratio} |")
        if t1 and t2:
            serial, projected = amdahl(t1, t2)
            lines += ["", f"Serial fraction (Amdahl, from 1 and 2 workers): s = 2·T2/T1 − 1 "
                          f"= {serial:.2f}.", "",
                      "| cores (projected) | wall | × single-document render |",
                      "|---:|---:|---:|"]
            for n, value in projected.items():
                ratio = f"{value / single:.2f}×" if single else "—"
                lines.append(f"| {n} | {run.fmt_s(value)} | {ratio} |")
    lines += ["", END]
    return "\n".join(lines)


def write_section(path: Path, text: str) -> None:
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if START in old and END in old:
        new = old[:old.index(START)] + text + old[old.index(END) + len(END):]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(new, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=100, help="items in the generated course")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--no-scaling", action="store_true", help="only the changes")
    ap.add_argument("--anyway", action="store_true", help="measure on a busy machine too")
    ap.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    args = ap.parse_args()
    load = os.getloadavg()[0]
    if load / max(1, os.cpu_count() or 1) > 0.5 and not args.anyway:
        sys.exit(f"the machine is busy (load average {load:.2f} on {os.cpu_count()} cores): "
                 "timings would measure the other processes; --anyway to go on")
    run.WORK.mkdir(exist_ok=True)
    reader = reader_command()
    course = Course(args.size)
    try:
        info = run.machine()
    except ImportError:          # the bench extra (pypandoc) is not installed: no peers here
        info = {"cpu": next((line.split(":", 1)[1].strip() for line in
                             Path("/proc/cpuinfo").read_text().splitlines()
                             if line.startswith("model name")), "?")}
    info["load_start"] = load
    found = measure_changes(reader, course, max(1, args.reps))
    scaling = {} if args.no_scaling else measure_scaling(reader, course, max(1, args.reps))
    write_section(args.out, section(args.size, args.reps, found, scaling, info))
    print(f"wrote the section of {args.out}")


if __name__ == "__main__":
    main()
