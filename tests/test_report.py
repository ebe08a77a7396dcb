"""The HTML planning report (``wfplan report``).

Produced from a Williams plan and a tiny NHS plan: one self-contained file
(no scripts, no fetched resources, no http(s) references), every section
present, byte-identical when repeated, and readable in headless Chromium
without console errors (skipped when Chromium is not installed).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.scenarios import EVIL_PCN
from wfplan.cli import main

ROOT = Path(__file__).resolve().parents[1]
WILLIAMS = ROOT / "examples" / "williams_manpower"
CHROMIUM = Path("/usr/bin/chromium")
SECTIONS = ("Headline", "Staff in post trajectories", "Staff per 10,000 weighted patients by PCN",
            "Budget use and headroom", "Goal attainment and shortfalls", "What binds")


def run(*args: object):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result


def _plan(scenario: Path, out: Path) -> Path:
    result = run("plan", scenario, "--out", out)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def plans(tmp_path_factory, formula_names_scenario) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("report")
    return {"williams": _plan(WILLIAMS, base / "williams_plan"),
            "tiny": _plan(formula_names_scenario, base / "tiny_plan")}


@pytest.fixture(scope="module")
def reports(plans, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("html")
    paths = {}
    for name, plan_dir in plans.items():
        paths[name] = out / f"{name}.html"
        result = run("report", plan_dir, "--out", paths[name])
        assert result.exit_code == 0, result.output
    return paths


@pytest.mark.parametrize("name", ["williams", "tiny"])
def test_report_is_self_contained(reports, name):
    text = reports[name].read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    lowered = text.lower()
    for forbidden in ("<script", "http://", "https://", "<link", "<img", "<iframe", "@import", "src="):
        assert forbidden not in lowered, forbidden
    assert not re.search(r"url\((?!#)", lowered)  # only the charts' own clip paths
    assert all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', text))
    for title in SECTIONS:
        assert f"<h2>{title}</h2>" in text.replace("&#x27;", "'"), title
    assert text.count("<svg") >= 1
    assert "@media print" in text


def test_report_contents(reports):
    williams = reports["williams"].read_text(encoding="utf-8")
    assert "841.797" in williams and "Every goal is met" in williams  # the published optimum
    assert "No ARRS entitlement in this plan" in williams
    # no binding.csv: what binds is read off the plan (Williams' skilled recruitment is at its limit)
    assert "Limits the plan reaches" in williams and "skilled supply in the whole system used up" in williams
    assert "wfplan explain PLAN_DIR" in williams
    tiny = reports["tiny"].read_text(encoding="utf-8")
    assert "% used" in tiny and "headroom" in tiny
    assert "Each shortfall, by area and quarter" in tiny
    assert EVIL_PCN not in tiny and "=HYPERLINK(&quot;#evil&quot;,&quot;click me&quot;)" in tiny


def test_report_is_deterministic(plans, reports, tmp_path):
    again = tmp_path / "again.html"
    assert run("report", plans["tiny"], "--out", again).exit_code == 0
    assert again.read_bytes() == reports["tiny"].read_bytes()


def test_binding_table_is_shown_when_present(plans, tmp_path):
    plan_dir = shutil.copytree(plans["tiny"], tmp_path / "plan")
    (plan_dir / "binding.csv").write_text("rule,area,period,slack\nsupply of <pharmacists>,tinysys,2020/21 Q1,0\n",
                                          encoding="utf-8")
    out = tmp_path / "r.html"
    assert run("report", plan_dir, "--out", out).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "From binding.csv" in text and "supply of &lt;pharmacists&gt;" in text
    assert "Limits the plan reaches" not in text


def test_report_user_errors(plans, reports, tmp_path):
    result = run("report", tmp_path, "--out", tmp_path / "x.html")
    assert result.exit_code == 2 and "not a plan directory" in result.output
    result = run("report", plans["tiny"], "--out", reports["tiny"])
    assert result.exit_code == 2 and "--force" in result.output
    assert run("report", plans["tiny"], "--out", reports["tiny"], "--force").exit_code == 0


@pytest.mark.parametrize("name", ["williams", "tiny"])
def test_report_renders_in_headless_chromium(reports, name, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("chromium not installed: apt-get install chromium")
    shot = tmp_path / "shot.png"
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
           f"--screenshot={shot}", "--window-size=1200,2000", reports[name].resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if "Uncaught" in line or "ERROR:CONSOLE" in line]
    assert not console, console
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (2000, 1200)
    assert pixels[..., :3].std() > 0.05  # not a blank page


@pytest.fixture(scope="module")
def nw_report(nw_lp_plan, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("nw_report") / "nw.html"
    result = run("report", nw_lp_plan, "--out", out)
    assert result.exit_code == 0, result.output
    return out


def _visible_text(html_text: str) -> str:
    text = re.sub(r"<style>.*?</style>|<svg.*?</svg>", " ", html_text, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).replace("&#x27;", "'")


def test_report_speaks_plain_words_and_counts_targets_by_pcn(nw_report):
    text = _visible_text(nw_report.read_text(encoding="utf-8"))
    assert "best possible plan (proven)" in text
    assert "1 clinical pharmacist per PCN by March 2020: met in 17 of 17 PCNs" in text
    assert "Targets met in every area" in text and "GBP " in text and "£" not in text
    for solver_term in ("objective", "Optimality gap", "target cells", "HiGHS", "p1", "p2"):
        assert solver_term not in text, solver_term
    # target cells are not summed into totals such as 'required 289'
    assert "required 289" not in text and "cells" not in text


def test_report_verbose_adds_the_solver_detail(nw_lp_plan, tmp_path):
    out = tmp_path / "v.html"
    assert run("report", nw_lp_plan, "--out", out, "--verbose").exit_code == 0
    text = _visible_text(out.read_text(encoding="utf-8"))
    assert "Solver detail" in text and "final_ cost" in text and "HiGHS" in text  # ids wrap at "_"


def test_report_has_recruits_and_staff_per_pcn_and_role(nw_report, nw_lp_plan):
    from wfplan.results.plan_view import PlanView, recruits

    text = _visible_text(nw_report.read_text(encoding="utf-8"))
    assert "Recruits over the plan (whole people)" in text and "Staff in post in March 2024 (people)" in text
    view = PlanView.read(nw_lp_plan)
    breckland = int(recruits(view, "breckland").to_numpy().sum())
    assert re.search(rf"Breckland PCN( \d+){{9}} {breckland} ", text), "Breckland's row: 9 roles and the total"


def test_report_what_binds_without_explain_and_target_lines(nw_report):
    page = nw_report.read_text(encoding="utf-8")
    text = _visible_text(page)
    assert "Limits the plan reaches, read off the plan itself" in text
    assert re.search(r"supply in the whole system used up in 20\d\d/\d\d Q\d", text)
    assert "By role, with the targets" in text and "target" in page[page.index("By role, with the targets"):]


@pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium not installed: apt-get install chromium")
def test_report_arrs_table_keeps_every_year_at_1400px_and_on_a4(nw_report, tmp_path):
    """Issue 14: the ARRS table's 2023/24 column was cut off at 1400 px and in the A4 PDF."""
    from pypdf import PdfReader

    pdf = tmp_path / "report.pdf"
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'p'}",
           "--no-pdf-header-footer", f"--print-to-pdf={pdf}", nw_report.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    reader = PdfReader(pdf)
    arrs_pages = [p for p in reader.pages if "ARRS entitlement: claims and headroom" in p.extract_text()]
    assert arrs_pages
    page = arrs_pages[0]
    width = float(page.mediabox.width)
    placed: list[tuple[str, float]] = []
    page.extract_text(visitor_text=lambda t, cm, tm, font, size: placed.append((t, tm[4] * cm[0] + cm[4])))
    years = [x for t, x in placed if t.strip() in ("2019/20", "2020/21", "2021/22", "2022/23", "2023/24")]
    assert len(years) >= 5
    assert all(0 <= x < width - 20 for x in years), (years, width)
    html_text = nw_report.read_text(encoding="utf-8")
    arrs_html = html_text[html_text.index("ARRS entitlement: claims and headroom"):]
    assert '<table class="fit">' in arrs_html[:200]  # as wide as the page, wrapping: never wider at 1400 px
