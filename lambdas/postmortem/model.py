"""The structured postmortem the model must return (validated; one repair attempt otherwise).

Bounded everywhere: every string and list has a maximum, so a runaway answer cannot blow up
the page. The same model gives the Converse tool's JSON schema (`Postmortem.model_json_schema`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=40)]
Due = Annotated[str, StringConstraints(pattern=r"^(\d{4}-\d{2}-\d{2})?$")]  # "" when unknown
Severity = Literal["sev1", "sev2", "sev3", "sev4"]
Language = Literal["en", "ko"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ActionItem(_Strict):
    description: Short
    owner: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] = ""
    type: Literal["mitigate", "prevent", "process"]
    due: Due = ""


class Lessons(_Strict):
    went_well: list[Short] = Field(default_factory=list, max_length=10)
    went_wrong: list[Short] = Field(default_factory=list, max_length=10)
    got_lucky: list[Short] = Field(default_factory=list, max_length=10)


class Postmortem(_Strict):
    title: Short
    summary: Text
    severity: Severity
    services: list[Slug] = Field(min_length=1, max_length=8)  # the first is the main one
    impact: Text
    detection: Text
    trigger: Text
    root_cause: Text
    contributing_factors: list[Short] = Field(default_factory=list, max_length=10)
    resolution: Text
    action_items: list[ActionItem] = Field(default_factory=list, max_length=20)
    lessons: Lessons
    language: Language
