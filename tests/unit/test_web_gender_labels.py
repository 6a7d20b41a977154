"""One gender table (app/web/labels.py) for every page, form and export (no app, no database)."""

import re
from pathlib import Path

from app.leads.models import Gender
from app.web.labels import GENDER_LABELS, gender_choices, gender_label

ROOT = Path(__file__).resolve().parents[2]
PASTED = re.compile(r"""_l?\(\s*["'](Male|Female)["']\s*\)""")


def test_the_table_covers_every_gender():
    assert set(GENDER_LABELS) == set(Gender)


def test_label_of_each_gender_and_of_none():
    assert [gender_label(g) for g in Gender] == ["Male", "Female", "Unknown"]
    assert gender_label("female") == "Female"
    assert gender_label(None) == gender_label("") == "Unknown"


def test_choices_in_table_order_or_with_one_first():
    assert [code for code, _label in gender_choices()] == ["male", "female", "unknown"]
    assert [code for code, _label in gender_choices(first="unknown")] == ["unknown", "male", "female"]
    assert [str(label) for _code, label in gender_choices()] == ["Male", "Female", "Unknown"]


def test_forms_take_their_choices_from_the_table():
    from app.checkin.forms import WalkInForm as DoorWalkInForm
    from app.dcc.forms import InboundLeadForm
    from app.leads.forms import GENDERS
    from app.showroom.forms import WalkInForm as ShowroomWalkInForm

    assert GENDERS[1:] == gender_choices()
    assert InboundLeadForm.gender.kwargs["choices"] == gender_choices()
    assert ShowroomWalkInForm.gender.kwargs["choices"] == gender_choices()
    assert DoorWalkInForm.gender.kwargs["choices"] == gender_choices(first="unknown")


def test_no_page_or_module_pastes_the_gender_words_again():
    files = [*(ROOT / "templates").rglob("*.html"), *(ROOT / "app").rglob("*.py")]
    pasted = [
        str(path.relative_to(ROOT))
        for path in files
        if path != ROOT / "app/web/labels.py" and PASTED.search(path.read_text(encoding="utf-8"))
    ]
    assert pasted == []
