"""Scenario files: their schema (pydantic) and a loader whose errors name the line.

A scenario is a YAML document that changes the baseline twin::

    id: langenhorn_nachverdichtung
    title_de: Nachverdichtung Langenhorn
    title_en: Densification of Langenhorn
    description: Two more storeys in the WA zones, envelope filled.
    base: baseline            # or the id of another scenario, applied first
    changes:
      - op: change_festsetzung
        where: {art_code: WA}
        add: {z: 2}
      - op: fill_envelope
        where: {art_code: WA}

Change operations (``op``):

``add_building``
    a GeoJSON Polygon/MultiPolygon (``crs``: ``EPSG:25832`` default, or
    ``CRS84``/``EPSG:4326`` for lon/lat) with ``height`` and/or ``storeys``.
``remove_buildings``
    buildings chosen by ``ids``, ``where`` (column equality, a list means
    "one of"), ``filter`` (CQL-like ``col = 'x' AND col2 = 3``) or ``zones``
    (buildings mostly inside these zone ids).
``modify_buildings``
    the same selection, ``set`` height/storeys/geometry.
``change_festsetzung``
    zones chosen by ``zones`` (ids), ``plan_id``, ``where`` or ``filter``;
    ``set`` new values (grz, gfz, z, ...) and/or ``add`` increments (z: 2).
``fill_envelope``
    "maximal bebaut": the chosen zones are built up to the permitted
    envelope (Baufenster ∩ zone, up to GRZ, with Z storeys, within GFZ).

Bad files raise :class:`ScenarioError`, whose message names file, line and
column of every problem (YAML syntax, unknown keys, wrong values, duplicate
keys), e.g. ``nachverdichtung.yaml, line 12, column 9: changes[1].add.z: Input
should be a valid number``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

#: Scenario ids are URL path segments (OGC API collection ids, process inputs).
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
BASELINE = "baseline"
#: Festsetzungen a scenario may set (numeric columns of bp_baugebiet).
FESTSETZUNG_FIELDS = (
    "grz",
    "grz_min",
    "grz_max",
    "gfz",
    "gfz_min",
    "gfz_max",
    "gr",
    "gr_min",
    "gr_max",
    "gf",
    "gf_min",
    "gf_max",
    "bmz",
    "z",
    "z_min",
    "z_max",
    "z_zwingend",
    "h_max",
)
#: Art der baulichen Nutzung a scenario may set (the sign on the plan, BauNVO §§ 2-11) and the Bauweise (§ 22);
#: text columns of bp_baugebiet, written with their decoded XPlanung names (``layers/xplanung/bplan.py``).
ART_CODES = ("WS", "WR", "WA", "WB", "MD", "MDW", "MI", "MU", "MK", "GE", "GI", "SO")
BAUWEISEN = ("OffeneBauweise", "GeschlosseneBauweise", "AbweichendeBauweise")
TEXT_FESTSETZUNG_FIELDS = ("art_code", "bauweise")
_CRS_LONLAT = {
    "crs84",
    "ogc:crs84",
    "epsg:4326",
    "http://www.opengis.net/def/crs/ogc/1.3/crs84",
    "urn:ogc:def:crs:ogc:1.3:crs84",
    "http://www.opengis.net/def/crs/epsg/0/4326",
}

Scalar = str | int | float | bool | None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ----------------------------------------------------------------------------- selections

_FILTER_TERM = re.compile(
    r"""^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*('(?:[^']|'')*'|-?\d+(?:\.\d+)?|true|false)\s*$""", re.IGNORECASE
)


def parse_filter(text: str) -> dict[str, Scalar]:
    """A CQL2-like equality filter ``a = 'x' AND b = 3`` as ``{"a": "x", "b": 3}``.

    Only ``=`` joined by ``AND`` is understood: a scenario selects by
    attributes, it does not query.
    """
    out: dict[str, Scalar] = {}
    for term in re.split(r"\s+AND\s+", text.strip(), flags=re.IGNORECASE):
        match = _FILTER_TERM.match(term)
        if not match:
            raise ValueError(
                f"cannot read filter term {term.strip()!r}; use column = 'text' or column = number, joined by AND"
            )
        key, raw = match.groups()
        if raw.startswith("'"):
            value: Scalar = raw[1:-1].replace("''", "'")
        elif raw.lower() in ("true", "false"):
            value = raw.lower() == "true"
        else:
            value = float(raw) if "." in raw else int(raw)
        out[key] = value
    return out


class _Selection(_Strict):
    """Which features a change applies to; at least one criterion, all must hold."""

    ids: list[str] | None = None
    where: dict[str, Scalar | list[Scalar]] | None = None
    filter: str | None = None

    @field_validator("filter")
    @classmethod
    def _check_filter(cls, value):
        if value is not None:
            parse_filter(value)
        return value

    def criteria(self) -> dict[str, Any]:
        """All equality criteria (``where`` and ``filter`` merged)."""
        out: dict[str, Any] = dict(self.where or {})
        if self.filter:
            out.update(parse_filter(self.filter))
        return out


class BuildingSelection(_Selection):
    zones: list[str] | None = None

    @model_validator(mode="after")
    def _something(self):
        if not (self.ids or self.where or self.filter or self.zones):
            raise ValueError("choose buildings with ids, where, filter or zones")
        return self


class ZoneSelection(_Selection):
    zones: list[str] | None = None
    plan_id: str | None = None

    @model_validator(mode="after")
    def _something(self):
        if not (self.ids or self.zones or self.plan_id or self.where or self.filter):
            raise ValueError("choose zones with zones (ids), plan_id, where or filter")
        return self

    def zone_ids(self) -> list[str] | None:
        if self.ids is None and self.zones is None:
            return None
        return list(self.ids or []) + list(self.zones or [])


# ----------------------------------------------------------------------------- geometry


class Geometry(_Strict):
    """A GeoJSON Polygon or MultiPolygon."""

    type: Literal["Polygon", "MultiPolygon"]
    coordinates: list

    @model_validator(mode="after")
    def _valid(self):
        """The intake's checks (readable, not empty, finite, size caps; the change's ``crs`` is checked apart).

        An invalid polygon is refused, not repaired as the intake repairs a drawn one: a scenario
        is a document, and the planner fixes the footprint where it is written (the line is named).
        """
        from intake.errors import IntakeError
        from intake.geometry import read_geometry

        try:
            geom = read_geometry(self.model_dump(), "MULTIPOLYGON", source=None)
        except IntakeError as err:
            raise ValueError(err.message) from None
        if not geom.is_valid:
            import shapely

            raise ValueError(f"invalid {self.type}: {shapely.is_valid_reason(geom)}")
        if geom.area <= 0:
            raise ValueError(f"{self.type} has no area")
        return self

    def to_shapely(self):
        import shapely.geometry

        return shapely.geometry.shape(self.model_dump())


def _check_crs(value: str) -> str:
    if value.lower() in _CRS_LONLAT:
        return value
    match = re.fullmatch(r"(?:urn:ogc:def:crs:)?epsg:(?::)?(\d+)", value.strip(), re.IGNORECASE)
    if not match:
        match = re.fullmatch(r"http://www\.opengis\.net/def/crs/EPSG/0/(\d+)", value.strip(), re.IGNORECASE)
    if not match:
        raise ValueError(f"unknown crs {value!r}; use EPSG:25832 (default) or CRS84")
    return value


def crs_is_lonlat(value: str) -> bool:
    return value.lower() in _CRS_LONLAT


def crs_epsg(value: str) -> int | None:
    """EPSG code of a scenario ``crs`` (4326 for CRS84 -- axis order lon/lat either way)."""
    if crs_is_lonlat(value):
        return 4326
    return int(re.findall(r"(\d+)$", value.strip())[0])


# ----------------------------------------------------------------------------- changes


class BuildingValues(_Strict):
    height: float | None = Field(default=None, gt=0, le=1000)
    storeys: int | None = Field(default=None, ge=1, le=200)
    geometry: Geometry | None = None
    crs: str = "EPSG:25832"
    name: str | None = None
    function: str | None = None

    @field_validator("crs")
    @classmethod
    def _crs(cls, value):
        return _check_crs(value)

    @model_validator(mode="after")
    def _something(self):
        if (
            self.height is None
            and self.storeys is None
            and self.geometry is None
            and self.name is None
            and self.function is None
        ):
            raise ValueError("set at least one of height, storeys, geometry, name, function")
        return self


class AddBuilding(_Strict):
    op: Literal["add_building"]
    id: str | None = None
    geometry: Geometry
    crs: str = "EPSG:25832"
    height: float | None = Field(default=None, gt=0, le=1000)
    storeys: int | None = Field(default=None, ge=1, le=200)
    name: str | None = None
    function: str | None = None

    @field_validator("crs")
    @classmethod
    def _crs(cls, value):
        return _check_crs(value)

    @model_validator(mode="after")
    def _height(self):
        if self.height is None and self.storeys is None:
            raise ValueError("a new building needs height or storeys")
        return self


class RemoveBuildings(BuildingSelection):
    op: Literal["remove_buildings"]


class ModifyBuildings(BuildingSelection):
    op: Literal["modify_buildings"]
    set: BuildingValues


class FestsetzungValues(_Strict):
    """New values of Festsetzungen; ``null`` removes one."""

    grz: float | None = Field(default=None, ge=0, le=1)
    grz_min: float | None = Field(default=None, ge=0, le=1)
    grz_max: float | None = Field(default=None, ge=0, le=1)
    gfz: float | None = Field(default=None, ge=0, le=30)
    gfz_min: float | None = Field(default=None, ge=0, le=30)
    gfz_max: float | None = Field(default=None, ge=0, le=30)
    gr: float | None = Field(default=None, ge=0)
    gr_min: float | None = Field(default=None, ge=0)
    gr_max: float | None = Field(default=None, ge=0)
    gf: float | None = Field(default=None, ge=0)
    gf_min: float | None = Field(default=None, ge=0)
    gf_max: float | None = Field(default=None, ge=0)
    bmz: float | None = Field(default=None, ge=0)
    z: int | None = Field(default=None, ge=0, le=200)
    z_min: int | None = Field(default=None, ge=0, le=200)
    z_max: int | None = Field(default=None, ge=0, le=200)
    z_zwingend: int | None = Field(default=None, ge=0, le=200)
    h_max: float | None = Field(default=None, ge=0, le=1000)
    #: Art der baulichen Nutzung (``WA``, ``MI``, ...): the zone's housing share and orientation values follow it.
    art_code: Literal[ART_CODES] | None = None  # type: ignore[valid-type]
    bauweise: Literal[BAUWEISEN] | None = None  # type: ignore[valid-type]


class FestsetzungIncrements(_Strict):
    """Increments added to present values (a missing value stays missing)."""

    grz: float | None = None
    grz_max: float | None = None
    gfz: float | None = None
    gfz_max: float | None = None
    gr: float | None = None
    gf: float | None = None
    bmz: float | None = None
    z: int | None = None
    z_max: int | None = None
    h_max: float | None = None


class ChangeFestsetzung(ZoneSelection):
    op: Literal["change_festsetzung"]
    set: FestsetzungValues | None = None
    add: FestsetzungIncrements | None = None

    @model_validator(mode="after")
    def _values(self):
        if not (self.set and self.set.model_fields_set) and not (self.add and self.add.model_fields_set):
            raise ValueError("change_festsetzung needs set or add with at least one value")
        return self


class FillEnvelope(ZoneSelection):
    op: Literal["fill_envelope"]
    #: Remove the zone's present buildings first (they are replaced by the envelope).
    replace_existing: bool = True
    #: Use the Baufenster (Baugrenzen) where the zone has any; else the whole zone.
    use_baugrenzen: bool = True
    storey_height: float | None = Field(default=None, gt=0, le=10)


Change = Annotated[
    AddBuilding | RemoveBuildings | ModifyBuildings | ChangeFestsetzung | FillEnvelope, Field(discriminator="op")
]


class Parameters(_Strict):
    """Assumptions of the estimates (defaults: :mod:`twin.indicators`)."""

    storey_height: float = Field(default=3.0, gt=0, le=10)
    m2_per_dwelling: float = Field(default=90.0, gt=0)
    persons_per_dwelling: float = Field(default=2.0, gt=0)
    baugrenze_tolerance: float = Field(default=0.5, ge=0)


class Scenario(_Strict):
    """A planning variant: a base (the baseline or another scenario) and changes applied in order."""

    id: str = Field(pattern=ID_PATTERN)
    title_de: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    description: str = ""
    #: English description where ``description`` is the German one (the studio writes both).
    description_en: str = ""
    base: str = Field(default=BASELINE, pattern=ID_PATTERN)
    #: Restrict the scenario to these plans (gml:id of BP_Plan); all plans in the model when empty.
    plan_ids: list[str] | None = None
    parameters: Parameters = Field(default_factory=Parameters)
    changes: list[Change] = Field(default_factory=list)

    _source: str | None = PrivateAttr(default=None)
    _change_lines: list[int | None] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _base(self):
        if self.base == self.id:
            raise ValueError(f"scenario {self.id!r} cannot be its own base")
        return self

    def where(self, change_index: int) -> str:
        """``file, line N`` of a change, for error messages (empty when unknown)."""
        line = self._change_lines[change_index] if change_index < len(self._change_lines) else None
        source = self._source or f"scenario {self.id}"
        return f"{source}, line {line}" if line else f"{source}, changes[{change_index}]"


# ----------------------------------------------------------------------------- loading


class ScenarioIssue(BaseModel):
    line: int | None = None
    column: int | None = None
    path: str = ""
    message: str


class ScenarioError(ValueError):
    """A scenario file or document is not valid; ``issues`` lists each problem with its line."""

    def __init__(self, source: str, issues: list[ScenarioIssue]):
        self.source = source
        self.issues = issues
        super().__init__("\n".join(self._format(i) for i in issues))

    def _format(self, issue: ScenarioIssue) -> str:
        where = self.source
        if issue.line is not None:
            where += f", line {issue.line}"
            if issue.column is not None:
                where += f", column {issue.column}"
        path = f"{issue.path}: " if issue.path else ""
        return f"{where}: {path}{issue.message}"


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (YAML allows them silently; in a scenario they are mistakes)."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r} (first on line {seen[key] + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def _node_at(node, loc: tuple) -> tuple[yaml.Node, bool]:
    """The deepest YAML node along a pydantic error location; True when the key itself was meant.

    Location parts that are not in the document (union tags such as
    ``add_building``) are skipped.
    """
    key_node = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(part):
                    key_node, node = k, v
                    break
            else:
                continue  # a tag or a missing key: stay on this node
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node, key_node = node.value[part], None
    return (key_node if key_node is not None else node), key_node is not None


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("add_building", "remove_buildings", "modify_buildings", "change_festsetzung", "fill_envelope"):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def _message(error: dict) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key (not part of the scenario schema)"
    if error["type"] == "union_tag_invalid":
        return (
            f"unknown op {error.get('ctx', {}).get('tag', '')!r}; expected one of add_building, "
            "remove_buildings, modify_buildings, change_festsetzung, fill_envelope"
        )
    if error["type"] == "union_tag_not_found":
        return "a change needs an 'op'"
    msg = error["msg"]
    return msg[len("Value error, ") :] if msg.startswith("Value error, ") else msg


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Parse and validate a YAML (or JSON) scenario document.

    Raises
    ------
    ScenarioError
        Naming ``source`` and the line/column of every problem.
    """
    try:
        root = yaml.compose(text, Loader=_LineLoader)
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 — _LineLoader is a yaml.SafeLoader subclass
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        message = " ".join(str(p) for p in (err.context, err.problem) if p)
        raise ScenarioError(
            source,
            [
                ScenarioIssue(
                    line=mark.line + 1 if mark else None,
                    column=mark.column + 1 if mark else None,
                    message=f"YAML syntax: {message}",
                )
            ],
        ) from None
    if not isinstance(data, dict):
        line = root.start_mark.line + 1 if root is not None else 1
        raise ScenarioError(
            source,
            [ScenarioIssue(line=line, message="a scenario must be a mapping (id, title_de, title_en, changes, ...)")],
        )
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        issues = []
        for error in err.errors():
            loc = tuple(error["loc"]) + (("op",) if error["type"] == "union_tag_invalid" else ())
            node, _ = _node_at(root, loc)
            issues.append(
                ScenarioIssue(
                    line=node.start_mark.line + 1,
                    column=node.start_mark.column + 1,
                    path=_path(error["loc"]),
                    message=_message(error),
                )
            )
        raise ScenarioError(source, issues) from None
    scenario._source = source
    changes = next((v for k, v in root.value if k.value == "changes"), None)
    if isinstance(changes, yaml.SequenceNode):
        scenario._change_lines = [n.start_mark.line + 1 for n in changes.value]
    return scenario


def scenario_from_dict(data: dict, source: str = "<scenario>") -> Scenario:
    """Validate a scenario given as a dict (e.g. JSON in a process request); errors name the path."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(
            source, [ScenarioIssue(path=_path(e["loc"]), message=_message(e)) for e in err.errors()]
        ) from None
    scenario._source = source
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (errors name the file and line)."""
    path = Path(path)
    return parse_scenario(path.read_text(encoding="utf-8"), source=path.name)


EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"


def load_scenarios(directory: str | Path = EXAMPLES_DIR) -> dict[str, Scenario]:
    """Every ``*.yaml``/``*.yml`` scenario in ``directory`` by id; duplicate ids are an error."""
    out: dict[str, Scenario] = {}
    for path in sorted(Path(directory).glob("*.y*ml")):
        scenario = load_scenario(path)
        if scenario.id in out:
            raise ScenarioError(
                path.name, [ScenarioIssue(line=1, path="id", message=f"id {scenario.id!r} used by another file")]
            )
        if scenario.id == BASELINE:
            raise ScenarioError(
                path.name, [ScenarioIssue(line=1, path="id", message="'baseline' is reserved for the unchanged twin")]
            )
        out[scenario.id] = scenario
    return out


def shipped_scenarios() -> dict[str, Scenario]:
    """The scenarios shipped with the project (``scenarios/examples``)."""
    return load_scenarios(EXAMPLES_DIR)
