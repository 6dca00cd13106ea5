"""Wire models (pydantic v2): what requests may contain and what responses look like.

Input models forbid unknown fields and bound every string, so bad input is refused with a 422
that names the field before anything reaches the store. Output models document the responses
(they feed the OpenAPI document); the store serialises rows to the same camelCase dicts.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel

from .vocabulary import (
    SESSION_STATUSES,
    TASK_STATUSES,
    Activity,
    ActivitySource,
    Isolation,
    Priority,
    Role,
    SessionStatus,
    SpawnSource,
    TaskStatus,
    TimelineKind,
)

__all__ = ["SESSION_STATUSES", "TASK_STATUSES"]  # the store's status counts

# C0 controls, DEL and the C1 controls U+0080-U+009F: xterm.js reads 0x9B as CSI and 0x9D as OSC,
# so a C1 character in a title is an escape sequence waiting for a terminal.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_EXCEPT_WHITESPACE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters (newlines, tabs, escapes)")
    return value


def _no_control_except_whitespace(value: str) -> str:
    if _CONTROL_EXCEPT_WHITESPACE.search(value):
        raise ValueError("must not contain control characters other than newlines and tabs")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


Title = Annotated[
    str,
    Field(min_length=1, max_length=500),
    AfterValidator(_no_control_characters),
    AfterValidator(_not_blank),
]
Name = Annotated[
    str,
    Field(min_length=1, max_length=200),
    AfterValidator(_no_control_characters),
    AfterValidator(_not_blank),
]
Text = Annotated[str, Field(max_length=65_536), AfterValidator(_no_control_except_whitespace)]
Message = Annotated[
    str,
    Field(min_length=1, max_length=10_000),
    AfterValidator(_no_control_except_whitespace),
    AfterValidator(_not_blank),
]
Label = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_no_control_characters)]
Id = Annotated[str, Field(pattern=r"^[a-z]+_\w{1,64}$", max_length=80)]
Path = Annotated[str, Field(min_length=1, max_length=4096), AfterValidator(_no_control_characters)]


class WireModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    def changes(self) -> dict[str, Any]:
        """The fields the client named, snake_case (a PATCH changes only those)."""
        return self.model_dump(exclude_unset=True)


def _drop_null_choices(schema: dict[str, Any], model: type[PatchModel]) -> None:
    """In the JSON schema, offer null only for the fields that accept it."""
    for name, field in model.model_fields.items():
        prop = schema.get("properties", {}).get(field.alias or name)
        if prop is None or name in model.nullable or "anyOf" not in prop:
            continue
        choices = [choice for choice in prop.pop("anyOf") if choice != {"type": "null"}]
        prop.pop("default", None)
        if len(choices) == 1:
            prop.update(choices[0])
        else:
            prop["anyOf"] = choices


class PatchModel(WireModel):
    """A PATCH body: a field left out stays as it is; an explicit null is accepted only by the
    fields in `nullable` (it clears them), elsewhere it is a 422 rather than a database error."""

    nullable: ClassVar[frozenset[str]] = frozenset()
    model_config = ConfigDict(json_schema_extra=_drop_null_choices)

    @field_validator("*")
    @classmethod
    def _null_only_where_allowed(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise ValueError("must not be null (leave the field out to keep it)")
        return value


# -- requests ---------------------------------------------------------------------------------
class ProjectCreate(WireModel):
    name: Name
    working_dir: Path | None = None
    description: Text = ""


class ProjectUpdate(PatchModel):
    nullable = frozenset({"working_dir"})
    name: Name | None = None
    working_dir: Path | None = None
    description: Text | None = None


class SubtaskCreate(WireModel):
    title: Title
    description: Text = ""
    completed: bool = False


class SubtaskUpdate(PatchModel):
    title: Title | None = None
    description: Text | None = None
    completed: bool | None = None
    position: Annotated[int, Field(ge=0, le=1_000_000)] | None = None


class TaskCreate(WireModel):
    title: Title
    description: Text = ""
    project_id: Id | None = None
    parent_id: Id | None = None
    status: TaskStatus = "todo"
    priority: Priority = "medium"
    blocked_reason: Text | None = None
    dependencies: Annotated[list[Id], Field(max_length=200)] = []
    labels: Annotated[list[Label], Field(max_length=50)] = []
    subtasks: Annotated[list[SubtaskCreate], Field(max_length=500)] = []


class TaskUpdate(PatchModel):
    nullable = frozenset({"parent_id", "blocked_reason"})
    title: Title | None = None
    description: Text | None = None
    parent_id: Id | None = None
    status: TaskStatus | None = None
    priority: Priority | None = None
    blocked_reason: Text | None = None
    dependencies: Annotated[list[Id], Field(max_length=200)] | None = None
    labels: Annotated[list[Label], Field(max_length=50)] | None = None
    # How the change is made, not what: moving past unmet dependencies, from inside a session.
    force: bool | None = None
    session_id: Id | None = None

    def changes(self) -> dict[str, Any]:
        """The task fields to change (`force` and `sessionId` say how, see `options`)."""
        changes = super().changes()
        changes.pop("force", None)
        changes.pop("session_id", None)
        return changes


class TaskComplete(WireModel):
    message: Message | None = None
    session_id: Id | None = None
    force: bool = False


class ClaimRequest(WireModel):
    """Claim a task for a session: the named one, or the most urgent ready one."""

    session_id: Id
    task_id: Id | None = None
    project_id: Id | None = None
    force: bool = False


class ReleaseRequest(WireModel):
    session_id: Id | None = None


class TaskBlock(WireModel):
    reason: Message
    session_id: Id | None = None


class TimelineCreate(WireModel):
    kind: TimelineKind = "progress"
    message: Message
    session_id: Id | None = None


class SessionUpdate(PatchModel):
    name: Name | None = None
    status: Literal["running", "needs_input"] | None = None
    task_ids: Annotated[list[Id], Field(max_length=50)] | None = None


InputText = Annotated[
    str, Field(min_length=1, max_length=10_000), AfterValidator(_no_control_except_whitespace)
]


class SessionInput(WireModel):
    """Text typed into the session's terminal, as a person at the keyboard would."""

    text: InputText
    submit: bool = True


class SessionRegister(WireModel):
    """An agent Maestro did not spawn (e.g. started by hand in a Lab terminal)."""

    name: Name | None = None
    task_ids: Annotated[list[Id], Field(max_length=50)] = []
    project_id: Id | None = None
    role: Role = "worker"
    agent: Name = "outside"
    cwd: Path | None = None
    agent_session_id: Name | None = None
    spawn_source: SpawnSource = "api"


class HookEvent(WireModel):
    """An agent's own hook, as `maestro hook claude|codex` relays it."""

    agent: Literal["claude", "codex"]
    event: Annotated[
        str, Field(min_length=1, max_length=100), AfterValidator(_no_control_characters)
    ]
    message: (
        Annotated[str, Field(max_length=10_000), AfterValidator(_no_control_except_whitespace)]
        | None
    ) = None


class HookResult(WireModel):
    session: Session
    applied: bool


ReportKind = Literal["progress", "blocked", "needs_input", "complete", "error"]


class SessionReport(WireModel):
    kind: ReportKind
    message: Message
    task_ids: Annotated[list[Id], Field(min_length=1, max_length=50)] | None = None


class SpawnRequest(WireModel):
    # No task: the agent claims its work (`maestro task next --claim`) from the project.
    task_ids: Annotated[list[Id], Field(max_length=50)] = []
    force: bool = False
    # A worktree of its own (default for projects whose folder is a git repository), or none.
    isolation: Isolation | None = None
    project_id: Id | None = None
    role: Role = "worker"
    skills: Annotated[list[Name], Field(max_length=50)] | None = None
    agent: Name | None = None
    name: Name | None = None
    cwd: Path | None = None
    prompt: Text | None = None
    parent_session_id: Id | None = None
    spawn_source: SpawnSource = "api"
    cols: Annotated[int, Field(ge=20, le=1000)] | None = None
    rows: Annotated[int, Field(ge=5, le=500)] | None = None


class EmptyBody(WireModel):
    """A POST that takes no fields (an empty object)."""


class MergeRequest(WireModel):
    strategy: Literal["merge", "squash"] = "merge"


class DiffQuery(WireModel):
    stat: bool = False


class WorktreeQuery(WireModel):
    project_id: Id | None = None


class PruneRequest(WireModel):
    project_id: Id | None = None


class ImportOptions(WireModel):
    on_conflict: Literal["fail", "skip", "overwrite"] = "fail"


# -- queries ----------------------------------------------------------------------------------
class Page(WireModel):
    limit: Annotated[int, Field(ge=1, le=500)] = 100
    cursor: Annotated[str, Field(max_length=500)] | None = None


class TaskQuery(Page):
    project_id: Id | None = None
    ready: bool = False
    status: list[TaskStatus] | None = None
    parent_id: Id | Literal["null"] | None = None
    q: Annotated[str, Field(max_length=500)] | None = None
    include: Literal["subtasks"] | None = None


class TaskGetQuery(WireModel):
    include: Literal["subtasks"] | None = None


class SessionQuery(Page):
    status: list[SessionStatus] | None = None
    task_id: Id | None = None


class DeleteTaskQuery(WireModel):
    recursive: bool = False


class SkillQuery(WireModel):
    role: Role | None = None


# -- responses --------------------------------------------------------------------------------
# The response models are also what `POST import` reads: integers must fit the database's, and
# stored text is held to the same rules as input text (an export may have been edited by hand).
StoredInt = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
Line = Annotated[str, AfterValidator(_no_control_characters)]
Body = Annotated[str, AfterValidator(_no_control_except_whitespace)]


class Project(WireModel):
    id: str
    name: Line
    working_dir: Line | None
    description: Body
    base_branch: Line | None = None
    created_at: str
    updated_at: str
    created_by: Line | None = None
    updated_by: Line | None = None
    version: StoredInt


class Subtask(WireModel):
    id: str
    task_id: str
    title: Line
    description: Body
    completed: bool
    position: StoredInt
    created_at: str
    updated_at: str
    completed_at: str | None
    created_by: Line | None = None
    updated_by: Line | None = None
    version: StoredInt


class Task(WireModel):
    id: str
    project_id: str
    parent_id: str | None
    title: Line
    description: Body
    status: TaskStatus
    priority: Priority
    blocked_reason: Body | None
    dependencies: list[str]
    labels: list[Line]
    session_ids: list[str]
    subtask_count: StoredInt
    subtasks_completed: StoredInt
    subtasks: list[Subtask] | None = None
    claimed_by: str | None = None
    claimed_at: str | None = None
    created_at: str
    updated_at: str
    started_at: str | None
    completed_at: str | None
    created_by: Line | None = None
    updated_by: Line | None = None
    version: StoredInt


class TimelineEntry(WireModel):
    id: str
    task_id: str
    session_id: str | None
    kind: TimelineKind
    message: Body
    actor: Line | None = None
    at: str


class Owner(WireModel):
    """Who runs a session: the Jupyter (or JupyterHub) user and their server."""

    user: Line | None
    server: Line | None


class Session(WireModel):
    id: str
    project_id: str
    name: Line
    task_ids: list[str]
    role: Role
    skills: list[Line]
    agent: Line
    status: SessionStatus
    terminal_name: str | None
    cwd: Line | None
    exit_code: StoredInt | None
    exit_signal: StoredInt | None = None
    parent_session_id: str | None
    spawn_source: SpawnSource
    agent_session_id: Line | None
    activity: Activity = "unknown"
    activity_source: ActivitySource | None = None
    last_output_at: str | None = None
    isolation: Isolation = "none"
    worktree: Line | None = None
    branch: Line | None = None
    base_commit: str | None = None
    resumed_from: str | None = None
    owner: Owner | None = None
    process_group: StoredInt | None = None
    created_at: str
    created_by: Line | None = None
    started_at: str | None
    ended_at: str | None
    last_activity: str | None
    version: StoredInt


class _Items(WireModel):
    next_cursor: str | None = None


class ProjectList(_Items):
    items: list[Project]


class TaskList(_Items):
    items: list[Task]


class SubtaskList(_Items):
    items: list[Subtask]


class TimelineList(_Items):
    items: list[TimelineEntry]


class SessionList(_Items):
    items: list[Session]


class Counts(WireModel):
    projects: int
    tasks: dict[str, int]
    sessions: dict[str, int]


class ServerIdentity(WireModel):
    """This server: its id (the `owner.server` of the sessions it runs) and its user."""

    id: str
    user: str


class Caller(WireModel):
    """Who asked: a person (`user`) or a session by its token (`session`, with its role)."""

    kind: Literal["user", "session"]
    name: str
    session_id: str | None = None
    role: str | None = None


class Status(WireModel):
    version: str
    schema_version: int
    store: dict[str, str]
    counts: Counts
    last_seq: int
    agents: list[str]
    default_agent: str
    server: ServerIdentity
    you: Caller


class Export(WireModel):
    """The whole store in portable form (`maestro export` / `maestro import`)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")
    format: Literal["maestro-export"] = "maestro-export"
    schema_version: int
    exported_at: str | None = None
    projects: list[Project] = []
    tasks: list[Task] = []
    subtasks: list[Subtask] = []
    timeline: list[TimelineEntry] = []
    sessions: list[Session] = []


class DiffFile(WireModel):
    path: str
    old_path: str | None = None
    status: Literal["added", "modified", "deleted", "renamed"]
    additions: int | None
    deletions: int | None
    binary: bool
    too_large: bool
    diff: str | None = None
    notebook: dict[str, Any] | None = None


class DiffStats(WireModel):
    files: int
    additions: int
    deletions: int


class SessionDiff(WireModel):
    base_commit: str | None
    files: list[DiffFile]
    stats: DiffStats
    truncated: bool = False


class MergeResult(WireModel):
    commit: str
    merged: bool
    strategy: str
    worktree_commit: str | None
    session: Session


class Worktree(WireModel):
    session_id: str | None
    branch: str
    worktree: str | None
    head: str
    prunable: bool
    session_exists: bool = False


class WorktreeList(WireModel):
    items: list[Worktree]
    next_cursor: str | None = None


class ClaimResult(WireModel):
    task: Task | None


class ReportResult(WireModel):
    session: Session
    entries: list[TimelineEntry]
    tasks: list[Task]
    session_ended: bool


class ImportResult(WireModel):
    created: dict[str, int]
    skipped: dict[str, int]
    overwritten: dict[str, int]


class Error(BaseModel):
    error: str
    message: str
    details: dict[str, Any]


def validation_details(exc: ValidationError) -> dict[str, Any]:
    """pydantic's errors as `{"errors": [{"field", "message"}]}`, with camelCase field paths."""
    errors = []
    for error in exc.errors(include_url=False, include_input=False):
        field = ".".join(to_camel(str(p)) if isinstance(p, str) else str(p) for p in error["loc"])
        errors.append({"field": field or "body", "message": error["msg"]})
    return {"errors": errors}
