from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.audit import AuditRecord
from bot.domain.export import (
    LEARNER_COLUMNS,
    LearnerRow,
    PairingRow,
    audit_csv,
    export_name,
    file_slug,
    learners_csv,
    pairings_csv,
    safe_cell,
)

WHEN = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1 555", "'+1 555"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("Wanjiku", "Wanjiku"),
        ("a=b", "a=b"),
        (None, ""),
        (True, "true"),
        (1234567890123456789, "1234567890123456789"),
        (WHEN, "2026-11-23T18:30:00+00:00"),
    ],
)
def test_safe_cell(value: object, expected: str) -> None:
    assert safe_cell(value) == expected  # type: ignore[arg-type]


@given(st.text())
def test_no_cell_starts_a_formula(text: str) -> None:
    assert not safe_cell(text).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_learners_csv_has_the_columns_and_neutralised_cells() -> None:
    row = LearnerRow(
        user_id=42,
        display_name="=cmd|' /C calc'!A0",
        project="E-Commerce",
        role="backend",
        summary='Says "hi", with a comma',
        repo="https://github.com/x/y",
        timezone="Africa/Lagos",
        announced_at=WHEN,
        active=True,
        reminders="on",
        waiting_since=None,
    )
    parsed = list(csv.reader(io.StringIO(learners_csv([row]))))
    assert parsed[0] == list(LEARNER_COLUMNS)
    assert parsed[1][:3] == ["42", "'=cmd|' /C calc'!A0", "E-Commerce"]
    assert parsed[1][4] == 'Says "hi", with a comma'
    assert parsed[1][7:11] == ["2026-11-23T18:30:00+00:00", "true", "on", ""]
    assert parsed[1][11:] == ["announced, hasn't looked yet", "", ""]


def test_learner_status_partners_and_check_in() -> None:
    def row(**kw: object) -> LearnerRow:
        values: dict[str, object] = {
            "user_id": 1,
            "display_name": "Ada",
            "project": "E-Commerce",
            "role": "backend",
            "summary": None,
            "repo": None,
            "timezone": None,
            "announced_at": WHEN,
            "active": True,
            "reminders": "on",
            "waiting_since": None,
        }
        values.update(kw)
        return LearnerRow(**values)  # type: ignore[arg-type]

    paired = row(partners=("Tobi", "=Kofi"), checkin="not tracked yet")
    [parsed] = list(csv.DictReader(io.StringIO(learners_csv([paired]))))
    assert parsed["pairing_status"] == "paired"
    assert parsed["partners"] == "Tobi; =Kofi"  # the cell as a whole starts with T
    assert parsed["checkin"] == "not tracked yet"
    assert row(waiting_since=WHEN).pairing_status == "waiting, looked for a partner"
    assert row(announced_at=None).pairing_status == "not announced"
    assert row(active=False, partners=("Tobi",)).pairing_status == "left the server"


@pytest.mark.parametrize(
    ("name", "slug"),
    [("ALX ProDev", "alx-prodev"), ("Café Ñandú!!", "cafe-nandu"), ("🚀🚀", "server")],
)
def test_file_names_carry_the_server_and_day(name: str, slug: str) -> None:
    assert file_slug(name) == slug
    assert export_name("learners", name, WHEN.date()) == f"learners-{slug}-2026-11-23.csv"


def test_audit_csv() -> None:
    record = AuditRecord(7, 900, "Amina", "settings · max_partners", "1", "2", WHEN)
    parsed = list(csv.DictReader(io.StringIO(audit_csv([record]))))
    assert parsed == [
        {
            "at": WHEN.isoformat(),
            "moderator_id": "900",
            "moderator": "Amina",
            "action": "settings · max_partners",
            "old": "1",
            "new": "2",
        }
    ]


def test_pairings_csv() -> None:
    row = PairingRow(1, 10, "Ada", 20, "@everyone", None, WHEN, None, None)
    parsed = list(csv.reader(io.StringIO(pairings_csv([row]))))
    assert parsed[1] == ["1", "10", "Ada", "20", "'@everyone", "", WHEN.isoformat(), "", ""]
