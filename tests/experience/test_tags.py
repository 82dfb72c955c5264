"""The table cells and team options the experience pages build in Python (not by template loops):
the same cells, escaped, translated."""

from __future__ import annotations

from django.utils import translation

from clientmap.directory.models import Team
from clientmap.experience.selectors import Answers, Figures, Promises, Responses
from clientmap.experience.templatetags.experience import figures_cells, team_options


def test_figures_cells() -> None:
    f = Figures(
        Answers(4, 3, 15, 2, 2, 1, 0),
        Promises(5, 3, 1, {4: 1, 9: 1}),
        Responses(8, 2),
    )
    html = figures_cells(f)
    cells = [c.split(">", 1)[1] for c in html.split("</td>")[:-1]]
    assert len(cells) == 8
    assert cells[0] == "4" and cells[1] == "75 %" and cells[2] == "3.8"
    assert cells[3] == "+100 pp"
    assert cells[4] == '25 % <span class="muted small">(2/8)</span>'
    assert cells[5].startswith("5 <span") and "(1 overdue)" in cells[5]
    assert cells[6] == "60 %" and cells[7] == "6.5"
    empty = figures_cells(Figures())
    assert "overdue" not in empty and "(0/0)" not in empty and empty.count("—") == 6
    with translation.override("es"):
        assert "(1 atrasadas)" in figures_cells(f)


def test_team_options_escape_and_select() -> None:
    teams = [("a<b", 'Team "A" & co'), ("b", "B")]
    html = team_options(teams, Team(key="b"))
    assert html == (
        '<option value="a&lt;b">Team &quot;A&quot; &amp; co</option>'
        '<option value="b" selected>B</option>'
    )
    assert " selected" not in team_options(teams, None)
