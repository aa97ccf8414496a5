"""Start-up cost, watch mode and progress: the command line as a lecturer meets it."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from conftest import essay


def _modules_after(*args: str) -> set[str]:
    code = ("import sys\nfrom reader.cli import main\ntry:\n    main(%r)\nexcept SystemExit:\n"
            "    pass\nprint('\\n'.join(sys.modules))" % (list(args),))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return set(out.split())


def test_help_and_check_do_not_import_renderers(small_course):
    for args in (["--help"], ["check", str(small_course.root)]):
        loaded = _modules_after(*args)
        assert "weasyprint" not in loaded, args
        assert "pptx" not in loaded, args
        assert "matplotlib" not in loaded, args


def test_watch_rebuilds_and_survives_errors(small_course):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "reader.cli", "watch",
                             str(small_course.root)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    lines: list[str] = []

    def wait_for(text: str, timeout: float = 90) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = proc.stdout.readline()
            if line:
                lines.append(line)
                if text in line:
                    return
        raise AssertionError(f"never saw {text!r}; got {lines}")

    try:
        wait_for("watching")
        target = small_course.root / "s" / "end.md"
        target.write_text(essay("Conclusion, revised", "It ends here, later."))
        wait_for("rebuilt")
        assert any("changed: s/end.md" in l for l in lines)
        assert any(" in " in l and l.strip().endswith("s") for l in lines if "rebuilt" in l)
        (small_course.root / "course.yaml").write_text("title: [broken\n")
        wait_for("build failed")
        assert any("course.yaml:" in l for l in lines)
        assert proc.poll() is None, "watch keeps running after a build error"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
