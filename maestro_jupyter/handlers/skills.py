"""Skills: the list (broken ones with their error) and one skill with its instructions."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from tornado import web

from .. import models as m
from .. import skills
from .base import MaestroHandler
from .routing import Operation, Route


class Skill(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    name: str
    description: str
    roles: list[str]
    priority: int
    version: str | None
    format: str
    path: str
    source: str  # "packaged" or "user"
    error: str | None


class SkillDetail(Skill):
    instructions: str


class SkillList(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    items: list[Skill]
    next_cursor: str | None = None


class SkillsHandler(MaestroHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        found = skills.list_skills(self.maestro.skills_dirs, role=self.query.role)
        self.reply({"items": [skill.summary() for skill in found], "nextCursor": None})


class SkillHandler(MaestroHandler):
    @web.authenticated
    @authorized
    def get(self, name: str) -> None:
        self.reply(skills.get_skill(name, self.maestro.skills_dirs).detail())


routes = [
    Route(
        "skills",
        SkillsHandler,
        {
            "get": Operation(
                "List skills (of a role), broken ones with their error",
                query=m.SkillQuery,
                response=SkillList,
                errors=(422,),
            )
        },
    ),
    Route(
        "skills/{name}",
        SkillHandler,
        {
            "get": Operation(
                "Get a skill with its instructions", response=SkillDetail, errors=(404, 422)
            )
        },
    ),
]
