#!/usr/bin/env python3
"""Generate benchmark courses for `reader` and the same content as one Markdown file.

Deterministic (seeded, no network). For each size N it writes

    bench/work/<N>/course/        a course in reader's format (course.yaml + sections/)
    bench/work/<N>/peer.md        the same content as one Pandoc Markdown document

Item i is the same in every size (each item draws from its own seeded generator), so the
10-item course is a prefix of the 100-item one, and so on. The mix per 20 items is 10
essays (900-1100 words, three `##` sections, one or two footnotes), 5 excerpts (400-800
words, full source front matter), 3 tables (10-40 rows of numbers) and 2 question sets;
items are grouped into parts of 10.

    python bench/generate.py                  # sizes 10, 100, 300
    python bench/generate.py --sizes 10,100
"""

from __future__ import annotations

import argparse
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
WORK = BENCH / "work"
SEED = 20270115

# Kinds of the items in one block of 20: 10 essays, 5 excerpts, 3 tables, 2 question sets.
PATTERN = ("essay excerpt essay table essay excerpt essay questions essay table "
           "essay excerpt essay table essay excerpt essay questions essay excerpt").split()
LABELS = {"essay": "Essay", "excerpt": "Reading", "table": "Table", "questions": "Questions"}

# --- a small vocabulary for plausible English prose -------------------------------------

NOUNS = """administration agriculture archive argument assembly authority balance bargain
border budget canal capital census century charter church city coalition colony commerce
committee community compromise conflict congress constitution council countryside court
credit crisis currency debate decade decree delegation demand district doctrine economy
election elite empire estate exchange export faction famine farmer federation finance
frontier generation government grain guild harbour harvest household ideology import
industry inflation institution journal labour land law leader league legislature loan
majority market merchant migration militia minister ministry monarchy movement nation
network newspaper nobility office opposition order parliament party peasant pamphlet
pension petition policy port power press price programme province railway reform region
regime republic revenue revolt revolution road ruler school settlement society soldier
state statute strike subsidy tariff tax territory textile town trade treaty tribunal union
university village wage war workshop""".split()
ADJECTIVES = """agrarian ambitious ancient anxious bitter broad careful central civic
coastal colonial commercial common conservative costly cautious decisive distant domestic
early economic effective elected fragile foreign formal general gradual heavy imperial
important industrial informal landed large lasting liberal local loyal maritime modern
moderate national new northern official old open pious political popular powerful private
provincial public radical rapid regional religious royal rural scarce secular severe
small southern stable strict sudden urban useful violent wealthy western""".split()
VERBS = """abolished accepted adopted altered announced approved attacked balanced blamed
challenged changed claimed controlled created defended delayed demanded described divided
doubled encouraged ended established expanded explained extended favoured financed
followed funded governed granted ignored imposed improved increased introduced justified
limited lowered maintained mobilised negotiated opposed organised persuaded planned
preserved promised protected raised reduced reformed rejected replaced resisted restored
revised shaped strengthened supported suppressed threatened transformed undermined
weakened""".split()
ADVERBS = """slowly quickly openly quietly reluctantly firmly largely partly briefly
steadily gradually eventually repeatedly deliberately""".split()
CONNECTIVES = ["However,", "At the same time,", "In practice,", "For this reason,",
               "By contrast,", "Within a decade,", "In the long run,", "Even so,",
               "As a result,", "Nevertheless,", "In the provinces,", "Meanwhile,"]
FIRST = """Anna Boris Clara Daniel Elena Felix Greta Hugo Irene Jonas Katrin Lukas Marta
Nikolai Olga Pavel Rosa Stefan Tamara Viktor Wanda Yuri Zofia Adam Beata Carl Dora Emil
Frida Gustav""".split()
LAST = """Abramov Berger Castell Dorn Eckhart Falk Grosz Halloran Ivanova Janssen Keller
Lindqvist Moreau Novak Orlov Petrov Quist Romanov Sauer Tarnow Ulrich Varga Weiss Yates
Zeller Bauer Cerny Dvorak Engel Fischer Horvath Kaminski""".split()
PUBLISHERS = ["Oxford University Press", "Cambridge University Press", "Penguin Press",
              "Yale University Press", "Harvard University Press", "Verso", "Routledge",
              "Princeton University Press", "University of Chicago Press", "Macmillan"]
PLACES = """Arland Belmor Corvia Dalsk Estmark Farrow Galen Hollin Istra Jarrow Kelm
Lorvik Marden Norholt Ostrava Pellin Quarry Rosk Selm Tarvin Ulm Varna Westholm Yarrow
Zenda""".split()


def plural(noun: str) -> str:
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def sentence(rng: random.Random, first: bool = False) -> str:
    """One sentence of 12-28 words, built from a few clause shapes."""
    def np() -> str:
        a = rng.random()
        if a < 0.4:
            return f"the {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
        if a < 0.7:
            return f"the {rng.choice(NOUNS)} of the {rng.choice(NOUNS)}"
        if a < 0.85:
            return f"{rng.choice(ADJECTIVES)} {plural(rng.choice(NOUNS))}"
        return f"the {rng.choice(NOUNS)} in {rng.choice(PLACES)}"

    shape = rng.randrange(6)
    if shape == 0:
        s = f"{np()} {rng.choice(VERBS)} {np()} and {rng.choice(VERBS)} {np()}"
    elif shape == 1:
        s = (f"{np()} {rng.choice(ADVERBS)} {rng.choice(VERBS)} {np()}, "
             f"while {np()} {rng.choice(VERBS)} {np()}")
    elif shape == 2:
        s = (f"in {rng.randint(1780, 1960)} {np()} {rng.choice(VERBS)} {np()} "
             f"because {np()} had {rng.choice(VERBS)} {np()}")
    elif shape == 3:
        s = (f"{np()}, which {rng.choice(VERBS)} {np()}, {rng.choice(VERBS)} {np()} "
             f"for {rng.choice(['two', 'three', 'several', 'many', 'twenty'])} years")
    elif shape == 4:
        s = (f"few observers expected that {np()} would be {rng.choice(VERBS)} by {np()} "
             f"so {rng.choice(ADVERBS)}")
    else:
        s = (f"{np()} {rng.choice(VERBS)} {np()}; {np()} {rng.choice(VERBS)} {np()} "
             f"in turn")
    if not first and rng.random() < 0.25:
        s = f"{rng.choice(CONNECTIVES)} {s}"
    return s[0].upper() + s[1:] + "."


def paragraph(rng: random.Random, words: int) -> str:
    out: list[str] = []
    count = 0
    while count < words:
        s = sentence(rng, first=not out)
        out.append(s)
        count += len(s.split())
    return " ".join(out)


def words_of(text: str) -> int:
    return len(text.split())


def title_words(rng: random.Random) -> str:
    return (f"{rng.choice(ADJECTIVES).capitalize()} {rng.choice(NOUNS)} and the "
            f"{rng.choice(NOUNS)} in {rng.choice(PLACES)}")


def person(i: int) -> str:
    return f"{FIRST[i % len(FIRST)]} {LAST[(i * 7 + i // len(FIRST)) % len(LAST)]}"


# --- items ------------------------------------------------------------------------------

@dataclass
class Item:
    index: int
    kind: str
    number: int                      # numbered by kind: Essay 3, Reading 2, ...
    title: str
    fields: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{LABELS[self.kind]} {self.number}"

    @property
    def stem(self) -> str:
        return f"{self.index + 1:03d}-{self.kind}"


def make_item(index: int, kind: str, number: int) -> Item:
    rng = random.Random(f"{SEED}:{index}")
    title = (f"{rng.choice(ADJECTIVES).capitalize()} {plural(rng.choice(NOUNS))} and the "
             f"{rng.choice(NOUNS)} in {rng.choice(PLACES)}, {rng.randint(1790, 1950)}")
    item = Item(index, kind, number, title)
    if kind == "essay":
        target = rng.randint(900, 1100)
        sections = []
        per = [target // 3] * 3
        for s in range(3):
            heading = (f"{rng.choice(ADJECTIVES).capitalize()} {plural(rng.choice(NOUNS))} "
                       f"and {plural(rng.choice(NOUNS))}")
            paras = []
            left = per[s]
            n_paras = rng.randint(2, 4)
            for p in range(n_paras):
                w = left if p == n_paras - 1 else max(40, left // (n_paras - p)
                                                      + rng.randint(-20, 20))
                text = paragraph(rng, w)
                left -= words_of(text)
                paras.append(text)
                if left <= 30:
                    break
            sections.append((heading, paras))
        notes = []
        for n in range(rng.randint(1, 2)):
            s = rng.randrange(3)
            p = rng.randrange(len(sections[s][1]))
            notes.append((s, p, f"{person(index * 3 + n)}, *{title_words(rng)}* "
                                f"({rng.choice(PUBLISHERS)}, {rng.randint(1960, 2020)}), "
                                f"p. {rng.randint(3, 400)}. {sentence(rng)}"))
        item.fields = {"author": person(index), "sections": sections, "notes": notes}
    elif kind == "excerpt":
        target = rng.randint(400, 800)
        paras = []
        left = target
        while left > 40:
            text = paragraph(rng, min(left, rng.randint(120, 220)))
            left -= words_of(text)
            paras.append(text)
        start = rng.randint(10, 500)
        item.fields = {
            # one author and one work per excerpt: no classroom-copying warnings
            "author": person(1000 + index),
            "source": {"title": f"{title_words(rng)}: a history (vol. {number})",
                       "publisher": rng.choice(PUBLISHERS),
                       "year": rng.randint(1890, 2020),
                       "pages": f"{start}-{start + rng.randint(1, 4)}"},
            "headnote": sentence(rng) + " " + sentence(rng),
            "permission": rng.choice(["public domain", "Quoted under fair dealing",
                                      "Permission 2027-%04d" % index]),
            "paras": paras,
        }
    elif kind == "table":
        nrows = rng.randint(10, 40)
        base_year = rng.randint(1850, 1960)
        columns = ["Region", "Year", "Population", "Output (t)", "Workers", "Share (%)"]
        rows = []
        for r in range(nrows):
            rows.append([f"{rng.choice(PLACES)} {rng.choice(['North', 'South', 'East', 'West', 'district', 'province'])}",
                         base_year + r,
                         rng.randint(5_000, 4_000_000),
                         rng.randint(100, 900_000),
                         rng.randint(50, 250_000),
                         round(rng.uniform(0.1, 60.0), 1)])
        item.fields = {"source": f"{person(2000 + index)}, {title_words(rng)} "
                                 f"({rng.randint(1950, 2020)}), p. {rng.randint(3, 400)}",
                       "columns": columns, "rows": rows}
    else:
        qs = []
        for q in range(rng.randint(4, 8)):
            text = sentence(rng)[:-1] + "?"
            text = ("How far is it true that " if rng.random() < 0.5 else
                    "Why might one argue that ") + text[0].lower() + text[1:]
            if rng.random() < 0.4:
                qs.append({"text": text, "notes": sentence(rng) + " " + sentence(rng)})
            else:
                qs.append(text)
        item.title = f"Discussion questions {number}"
        item.fields = {"intro": "Prepare two of these for the seminar.", "questions": qs}
    return item


def make_items(size: int) -> list[Item]:
    counters = {k: 0 for k in LABELS}
    items = []
    for i in range(size):
        kind = PATTERN[i % len(PATTERN)]
        counters[kind] += 1
        items.append(make_item(i, kind, counters[kind]))
    return items


def part_title(p: int) -> str:
    rng = random.Random(f"{SEED}:part:{p}")
    return f"Part {p + 1}: {rng.choice(ADJECTIVES).capitalize()} {plural(rng.choice(NOUNS))}"


def middle_essay(items: list[Item]) -> Item:
    """The essay nearest the middle of the course (the one the edit benchmark changes)."""
    mid = len(items) // 2
    return min((it for it in items if it.kind == "essay"), key=lambda it: abs(it.index - mid))


# --- writers ----------------------------------------------------------------------------

def q(text: str) -> str:
    """A YAML double-quoted scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def essay_body(item: Item, note_prefix: str, heading: str = "##") -> str:
    notes = item.fields["notes"]
    out = []
    for s, (head, paras) in enumerate(item.fields["sections"]):
        out.append(f"{heading} {head}\n")
        for p, text in enumerate(paras):
            for n, (ns, np_, _) in enumerate(notes):
                if (ns, np_) == (s, p):
                    cut = text.find(". ")
                    cut = cut + 1 if cut > 0 else len(text)
                    text = text[:cut] + f"[^{note_prefix}{n + 1}]" + text[cut:]
            out.append(text + "\n")
    for n, (_, _, note) in enumerate(notes):
        out.append(f"[^{note_prefix}{n + 1}]: {note}\n")
    return "\n".join(out)


def write_course(items: list[Item], size: int, folder: Path) -> None:
    sections = folder / "sections"
    sections.mkdir(parents=True)
    lines = [f"title: {q(f'Benchmark Reader ({size} items)')}",
             "subtitle: A generated course for timing reader and its peers",
             "course: BENCH 101 Generated History",
             "instructor: Bench Generator",
             "term: Spring 2027",
             "lang: en", "paper: letter", "edition: student", "outputs: [pdf, pptx]", "",
             "contents:"]
    for p in range(0, len(items), 10):
        lines.append(f"  - part: {q(part_title(p // 10))}")
        lines.append("    items:")
        for it in items[p:p + 10]:
            ext = "md" if it.kind in ("essay", "excerpt") else "yaml"
            name = f"sections/{it.stem}.{ext}"
            lines.append(f"      - {it.kind}: {name}")
            (folder / name).write_text(item_file(it), encoding="utf-8")
    (folder / "course.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def item_file(it: Item) -> str:
    f = it.fields
    if it.kind == "essay":
        return (f"---\ntitle: {q(it.title)}\nauthor: {q(f['author'])}\n---\n\n"
                + essay_body(it, "n"))
    if it.kind == "excerpt":
        src = f["source"]
        return ("---\n"
                f"title: {q(it.title)}\n"
                f"author: {q(f['author'])}\n"
                "source:\n"
                f"  title: {q(src['title'])}\n"
                f"  publisher: {q(src['publisher'])}\n"
                f"  year: {src['year']}\n"
                f"  pages: {q(src['pages'])}\n"
                f"headnote: {q(f['headnote'])}\n"
                f"permission: {q(f['permission'])}\n"
                "---\n\n" + "\n\n".join(f["paras"]) + "\n")
    if it.kind == "table":
        out = [f"title: {q(it.title)}", f"source: {q(f['source'])}",
               "columns: [" + ", ".join(q(c) for c in f["columns"]) + "]", "rows:"]
        for row in f["rows"]:
            out.append("  - [" + ", ".join(q(c) if isinstance(c, str) else str(c)
                                           for c in row) + "]")
        return "\n".join(out) + "\n"
    out = [f"title: {q(it.title)}", f"intro: {q(f['intro'])}", "questions:"]
    for qu in f["questions"]:
        if isinstance(qu, dict):
            out.append(f"  - text: {q(qu['text'])}")
            out.append(f"    notes: {q(qu['notes'])}")
        else:
            out.append(f"  - {q(qu)}")
    return "\n".join(out) + "\n"


def fmt_number(v) -> str:
    if isinstance(v, float):
        return f"{v:,.1f}"
    return f"{v:,}"


def peer_markdown(items: list[Item], size: int) -> str:
    """The same content as one Pandoc Markdown file (student edition: no teaching notes)."""
    out = ["---",
           f"title: {q(f'Benchmark Reader ({size} items)')}",
           "subtitle: A generated course for timing reader and its peers",
           "author: Bench Generator",
           "date: Spring 2027",
           "lang: en",
           "---", ""]
    for p in range(0, len(items), 10):
        out.append(f"# {part_title(p // 10)}\n")
        for it in items[p:p + 10]:
            f = it.fields
            out.append(f"## {it.label}: {it.title}\n")
            if it.kind == "essay":
                out.append(f"*{f['author']}*\n")
                out.append(essay_body(it, f"e{it.index + 1}-", heading="###"))
            elif it.kind == "excerpt":
                src = f["source"]
                out.append(f"*{f['headnote']}*\n")
                out.append("\n>\n".join("> " + para for para in f["paras"]))
                out.append(">\n> --- " + f"{f['author']}, *{src['title']}* "
                           f"({src['publisher']}, {src['year']}), pp. {src['pages']}. "
                           f"{f['permission'].capitalize()}.\n")
            elif it.kind == "table":
                cols = f["columns"]
                out.append("| " + " | ".join(cols) + " |")
                out.append("|" + "|".join(":---" if i == 0 else ("---:" if i != 1 else ":---:")
                                         for i in range(len(cols))) + "|")
                for row in f["rows"]:
                    cells = [row[0], str(row[1])] + [fmt_number(v) for v in row[2:]]
                    out.append("| " + " | ".join(cells) + " |")
                out.append(f"\nSource: {f['source']}.\n")
            else:
                out.append(f"{f['intro']}\n")
                for n, qu in enumerate(f["questions"], 1):
                    text = qu["text"] if isinstance(qu, dict) else qu
                    out.append(f"{n}. {text}")
                out.append("")
    return "\n".join(out) + "\n"


def generate(size: int, work: Path = WORK) -> Path:
    base = work / str(size)
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)
    items = make_items(size)
    write_course(items, size, base / "course")
    (base / "peer.md").write_text(peer_markdown(items, size), encoding="utf-8")
    mid = middle_essay(items)
    (base / "middle-essay.txt").write_text(f"sections/{mid.stem}.md\n", encoding="utf-8")
    return base


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10,100,300")
    ap.add_argument("--out", type=Path, default=WORK)
    args = ap.parse_args()
    for size in [int(s) for s in args.sizes.split(",")]:
        base = generate(size, args.out)
        items = make_items(size)
        words = sum(len(item_file(it).split()) for it in items)
        kinds = {k: sum(it.kind == k for it in items) for k in LABELS}
        print(f"{base}: {size} items {kinds}, ~{words:,} words")


if __name__ == "__main__":
    main()
