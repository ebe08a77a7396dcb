"""The PCN planning pack (``wfplan pack``): one printable A4-landscape page per PCN.

The Norfolk and Waveney plan (LP, planned once per session) is packed for every PCN and for one; the
pack is printed to PDF in headless Chromium, which must give exactly one page per PCN with every
year column present on each page, and a screenshot of one PCN's page must not be blank.  Chromium
tests skip when /usr/bin/chromium is missing (`apt-get install chromium`; CI installs it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from tests.cli_run import invoke
from wfplan.scenario.load import load_scenario

CHROMIUM = Path("/usr/bin/chromium")
NW_YEARS = ("2019/20", "2020/21", "2021/22", "2022/23", "2023/24")


@pytest.fixture(scope="module")
def packs(nw_lp_plan, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("pack")
    paths = {"all": out / "all.html", "breckland": out / "breckland.html"}
    result, text = invoke(["pack", str(nw_lp_plan), "--out", str(paths["all"])])
    assert result.exit_code == 0, text
    result, text = invoke(["pack", str(nw_lp_plan), "--pcn", "breckland", "--out", str(paths["breckland"])])
    assert result.exit_code == 0, text
    return paths


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
           *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def test_pack_is_self_contained_with_a_page_per_pcn(packs, nw_lp_plan):
    text = packs["all"].read_text(encoding="utf-8")
    lowered = text.lower()
    for forbidden in ("<script", "http://", "https://", "<link", "<img", "<iframe", "@import", "src="):
        assert forbidden not in lowered, forbidden
    assert not re.search(r"url\((?!#)", lowered)
    pcns = load_scenario(nw_lp_plan / "scenario").pcns
    assert text.count('<section class="page"') == len(pcns) == 17
    assert "@page{size:A4 landscape" in text and "break-after:page" in text
    one = packs["breckland"].read_text(encoding="utf-8")
    assert one.count('<section class="page"') == 1 and "Breckland PCN" in one


def test_pack_page_answers_the_meetings_questions(packs):
    page = packs["breckland"].read_text(encoding="utf-8")
    for heading in ("ARRS money per year", "Recruit: whole people by quarter", "Staff in post (people)",
                    "Appointments (demand)", "Targets", "Staff in post and targets", "What if"):
        assert heading in page, heading
    for year in NW_YEARS:
        assert f">{year}<" in page
    assert "1 clinical pharmacist per PCN by March 2020" in page and "GBP " in page
    assert "best possible plan (proven)" in page
    assert "Rounded from a plan in fractional people" in page  # an LP plan is shown in whole people
    for solver_term in ("objective", "optimal", "p1", "p2", "gap"):
        assert solver_term not in re.sub(r"<style>.*?</style>|<svg.*?</svg>|<[^>]+>", " ", page, flags=re.S).lower(), solver_term


def test_pack_recruits_are_whole_people_adding_up_to_the_plan(nw_lp_plan):
    from wfplan.results.plan_view import PlanView, recruits

    view = PlanView.read(nw_lp_plan)
    hires = recruits(view, "breckland")
    assert (hires.to_numpy() >= 0).all() and (hires.to_numpy() % 1 == 0).all()
    plan = view.pcn_plan("breckland")
    total = plan.groupby("role")["starters"].sum()
    for role, row in hires.iterrows():
        assert row.sum() == round(total[role]), role  # cumulative rounding keeps each role's total


def test_pack_is_deterministic_and_defaults_into_the_plan_directory(packs, nw_lp_plan, tmp_path):
    again = tmp_path / "again.html"
    assert invoke(["pack", str(nw_lp_plan), "--pcn", "breckland", "--out", str(again)])[0].exit_code == 0
    assert again.read_bytes() == packs["breckland"].read_bytes()
    plan = shutil.copytree(nw_lp_plan, tmp_path / "plan")
    result, text = invoke(["pack", str(plan), "--pcn", "coastal"])
    assert result.exit_code == 0 and (plan / "pack-coastal.html").is_file(), text


def test_pack_shows_unused_reason_and_what_ifs(nw_lp_plan, tmp_path):
    plan = shutil.copytree(nw_lp_plan, tmp_path / "plan")
    arrs = pd.read_csv(plan / "arrs.csv")
    arrs["unused_reason"] = ["recruitment supply used up elsewhere" if p == "coastal" and y == "2020/21" else ""
                             for p, y in zip(arrs["pcn"], arrs["year"], strict=True)]
    arrs.to_csv(plan / "arrs.csv", index=False)
    out = tmp_path / "p.html"
    result, text = invoke(["pack", str(plan), "--pcn", "coastal", "--what-if", str(nw_lp_plan), "--out", str(out)])
    assert result.exit_code == 0, text
    page = out.read_text(encoding="utf-8")
    assert "Why entitlement is unused" in page and "recruitment supply used up elsewhere" in page
    assert "This plan" in page and "Recruits over the plan" in page and nw_lp_plan.name in page


def test_pack_user_errors(nw_lp_plan, tmp_path):
    result, text = invoke(["pack", str(nw_lp_plan), "--pcn", "atlantis", "--out", str(tmp_path / "x.html")])
    assert result.exit_code == 2 and "no PCN 'atlantis'" in text and "breckland" in text
    result, text = invoke(["pack", str(tmp_path), "--out", str(tmp_path / "x.html")])
    assert result.exit_code == 2 and "not a plan directory" in text
    assert not (tmp_path / "x.html").exists()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium not installed: apt-get install chromium")
def test_pack_prints_one_a4_page_per_pcn_with_every_year_column(packs, tmp_path):
    from pypdf import PdfReader

    pdf = tmp_path / "pack.pdf"
    _chromium(["--no-pdf-header-footer", f"--print-to-pdf={pdf}", packs["all"].resolve().as_uri()],
              tmp_path / "profile")
    reader = PdfReader(pdf)
    assert len(reader.pages) == 17  # one page per PCN: nothing spills over
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert width > height and abs(width - 841.9) < 2 and abs(height - 595.3) < 2  # A4 landscape, in points
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        for year in NW_YEARS:
            assert text.count(year) >= 3, (number, year)  # the ARRS, recruit and demand tables
        for month in ("March 2020", "March 2024"):
            assert month in text, (number, month)  # the staff-in-post year ends
        assert "PCN" in text.splitlines()[0], (number, text.splitlines()[0])


@pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium not installed: apt-get install chromium")
def test_pack_screenshot_of_one_pcn_is_a_full_page(packs, tmp_path):
    import matplotlib.image

    shot = tmp_path / "breckland.png"
    _chromium([f"--screenshot={shot}", "--window-size=1200,850", packs["breckland"].resolve().as_uri()],
              tmp_path / "profile")
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (850, 1200)
    assert pixels[..., :3].std() > 0.05  # not a blank page
    # the page's right half (targets, chart) is drawn too, not only the left tables
    right = pixels[100:800, 650:1150, :3]
    assert (right < 0.5).mean() > 0.01


def test_a_pcn_with_more_to_say_gets_smaller_type_not_a_second_page():
    from wfplan.results.pack import BASE_PT, MIN_PT, PAGE_LINES, page_font_size

    assert page_font_size(PAGE_LINES * 0.8) == BASE_PT
    assert page_font_size(PAGE_LINES * 1.25) == pytest.approx(BASE_PT / 1.25)
    assert page_font_size(PAGE_LINES * 10) == MIN_PT


@pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium not installed: apt-get install chromium")
def test_synthetic_pcns_with_many_roles_print_one_page_each(tmp_path):
    """Synthetic PCN 4 (seed 2) recruits 17 roles, twice the Norfolk and Waveney rows: still one page."""
    from pypdf import PdfReader

    for args in (["synth", "--pcns", "6", "--seed", "2", "--out", str(tmp_path / "s")],
                 ["plan", str(tmp_path / "s"), "--out", str(tmp_path / "p"), "--lp"],
                 ["pack", str(tmp_path / "p"), "--out", str(tmp_path / "pack.html")]):
        result, text = invoke(args)
        assert result.exit_code == 0, text
    assert "font-size:6.80pt" in (tmp_path / "pack.html").read_text(encoding="utf-8")  # most pages at full size
    pdf = tmp_path / "pack.pdf"
    _chromium(["--no-pdf-header-footer", f"--print-to-pdf={pdf}", (tmp_path / "pack.html").resolve().as_uri()],
              tmp_path / "profile")
    reader = PdfReader(pdf)
    assert len(reader.pages) == 6
    for number, page in enumerate(reader.pages, start=1):
        assert page.extract_text().startswith(f"Synthetic PCN {number}"), number
        assert all(year in page.extract_text() for year in ("2020/21", "2024/25"))
