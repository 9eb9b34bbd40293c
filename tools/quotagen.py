"""Generate ``aiocognito/wire/_tables/quotas.py``, Cognito's request-rate quota categories, from a data file.

Run ``python tools/quotagen.py`` after editing ``tools/cognito_quotas.json`` (what Cognito's "Quotas" page
says: each category's default requests per second, and which operations it holds) or after upgrading
botocore. The generator refuses data that leaves an operation of botocore's ``cognito-idp`` model without a
category (unless it is listed as uncategorised on purpose), names an operation the model does not have, or
places one operation in two categories. ``tests/unit/test_quota_table.py`` checks that the committed module
equals :func:`quota_table_source`. This is a developer script: the package never imports it.

The data file says, for each operation, whether the page names it in its category (``named``) or we placed
it by the category's description (``described``): see its ``source.how``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from botocore.loaders import Loader

__all__ = ["DATA_FILE", "TABLE_FILE", "load_data", "main", "quota_table_source"]

_TOOLS_DIR = Path(__file__).resolve().parent
#: The data: categories, their default quotas and operations, with provenance.
DATA_FILE = _TOOLS_DIR / "cognito_quotas.json"
#: What the generator writes.
TABLE_FILE = _TOOLS_DIR.parent / "aiocognito" / "wire" / "_tables" / "quotas.py"
_BASES = frozenset({"named", "described"})
_LINE_LENGTH = 110


def _q(text: str) -> str:
    """A double-quoted, ASCII-only Python string literal."""
    return json.dumps(text, ensure_ascii=True)


def _fail(why: str) -> SystemExit:
    return SystemExit(f"{DATA_FILE.name}: {why}")


def _model_operations() -> set[str]:
    return set(Loader().load_service_model("cognito-idp", "service-2")["operations"])


def _rps(value: Any, what: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise _fail(f"{what} must be a positive number of requests per second")
    return float(value)


def load_data(path: Path = DATA_FILE) -> dict[str, Any]:
    """The data file, checked against itself and against botocore's ``cognito-idp`` model.

    Raises:
        SystemExit: the data is malformed, or does not cover the model's operations exactly once each.
    """
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    source = data.get("source", {})
    for field in ("url", "section", "read_on"):
        if not isinstance(source.get(field), str) or not source[field]:
            raise _fail(f"source.{field} is missing")
    model = _model_operations()
    seen: dict[str, str] = {}
    names: set[str] = set()
    for category in data["categories"]:
        name = category["name"]
        if not isinstance(name, str) or not name.isidentifier() or name in names:
            raise _fail(f"bad or repeated category name {name!r}")
        names.add(name)
        _rps(category["default_rps"], f"{name}.default_rps")
        if category["per_user_pool_rps"] is not None:
            _rps(category["per_user_pool_rps"], f"{name}.per_user_pool_rps")
        if not isinstance(category["adjustable"], bool):
            raise _fail(f"{name}.adjustable must be true or false")
        for operation, basis in category["operations"].items():
            if basis not in _BASES:
                raise _fail(f"{name}.{operation}: the basis must be one of {sorted(_BASES)}, not {basis!r}")
            if operation in seen:
                raise _fail(f"{operation} is in both {seen[operation]} and {name}")
            seen[operation] = name
    uncategorised = data["uncategorised"]
    both = sorted(set(uncategorised) & set(seen))
    if both:
        raise _fail(f"categorised and also listed as uncategorised: {both}")
    unknown = sorted((set(seen) | set(uncategorised)) - model)
    if unknown:
        raise _fail(f"not operations of botocore's cognito-idp model: {unknown}")
    missing = sorted(model - set(seen) - set(uncategorised))
    if missing:
        raise _fail(f"operations with no category (place them, or list them as uncategorised): {missing}")
    separate = data["separate_quota"]
    if separate["category"] not in names or any(
        seen.get(op) != separate["category"] for op in separate["operations"]
    ):
        raise _fail("separate_quota names operations that are not in its category")
    _rps(separate["multiplier"], "separate_quota.multiplier")
    return data


def _wrapped_comment(text: str, indent: str = "") -> list[str]:
    """``#:`` comment lines of at most the line length."""
    lines: list[str] = []
    line = f"{indent}#:"
    for word in text.split():
        if len(line) + 1 + len(word) > _LINE_LENGTH:
            lines.append(line)
            line = f"{indent}#:"
        line += f" {word}"
    return [*lines, line]


def _string_lines(prefix: str, text: str, suffix: str, indent: str) -> list[str]:
    """``prefix"text"suffix`` on one line, or the string alone on the next, split if still too long."""
    one = f"{indent}{prefix}{_q(text)}{suffix}"
    if len(one) <= _LINE_LENGTH:
        return [one]
    inner = indent + "    "
    if len(inner) + len(_q(text)) <= _LINE_LENGTH:
        return [f"{indent}{prefix}(", f"{inner}{_q(text)}", f"{indent}){suffix}"]
    parts: list[str] = []
    rest = text
    room = _LINE_LENGTH - len(inner) - 3
    while len(_q(rest)) > room + 2:
        cut = rest.rfind(" ", 0, room)
        cut = cut + 1 if cut > 0 else room
        parts.append(rest[:cut])
        rest = rest[cut:]
    parts.append(rest)
    return [f"{indent}{prefix}(", *(f"{inner}{_q(part)}" for part in parts), f"{indent}){suffix}"]


def _frozenset_lines(field: str, names: list[str], indent: str) -> list[str]:
    if not names:
        return [f"{indent}{field}=frozenset(),"]
    one = f"{indent}{field}=frozenset({{{', '.join(_q(n) for n in names)}}}),"
    if len(one) <= _LINE_LENGTH:
        return [one]
    return [
        f"{indent}{field}=frozenset(",
        f"{indent}    {{",
        *(f"{indent}        {_q(name)}," for name in names),
        f"{indent}    }}",
        f"{indent}),",
    ]


def _number(value: float) -> str:
    return repr(float(value))


def quota_table_source(data: dict[str, Any] | None = None) -> str:
    """The text of ``wire/_tables/quotas.py``.

    Raises:
        SystemExit: as :func:`load_data`.
    """
    data = load_data() if data is None else data
    source = data["source"]
    categories = sorted(data["categories"], key=lambda c: c["name"])
    category_of = {op: c["name"] for c in categories for op in c["operations"]}
    separate = data["separate_quota"]
    lines = [
        f"# Generated by `python tools/quotagen.py` from tools/{DATA_FILE.name}; do not edit.",
        '"""Cognito user pools\' request-rate quota categories: each one\'s default quota and operations.',
        "",
        f"From {source['url']}",
        f"({source['section']}), read {source['read_on']}.",
        f"``tools/{DATA_FILE.name}`` says how each operation was placed.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import NamedTuple",
        "",
        "__all__ = [",
        '    "CATEGORIES",',
        '    "CATEGORY_OF",',
        '    "READ_ON",',
        '    "SEPARATE_QUOTA",',
        '    "SOURCE_URL",',
        '    "UNCATEGORISED",',
        '    "QuotaCategory",',
        "]",
        "",
        f"SOURCE_URL = {_q(source['url'])}",
        f"READ_ON = {_q(source['read_on'])}",
        "",
        "",
        "class QuotaCategory(NamedTuple):",
        '    """One category: every operation in it shares its rate, per AWS account and region."""',
        "",
        "    name: str",
        "    #: All its operations' requests per second, in all of an account's pools in one region.",
        "    default_rps: float",
        "    #: Whether AWS raises the quota on request.",
        "    adjustable: bool",
        "    #: Requests per second of any one of its operations on one user pool, where Cognito caps that.",
        "    per_user_pool_rps: float | None",
        "    description: str",
        "    operations: frozenset[str]",
        "",
        "",
        "CATEGORIES: dict[str, QuotaCategory] = {",
    ]
    for category in categories:
        per_pool = category["per_user_pool_rps"]
        lines += [
            f"    {_q(category['name'])}: QuotaCategory(",
            f"        name={_q(category['name'])},",
            f"        default_rps={_number(category['default_rps'])},",
            f"        adjustable={category['adjustable']},",
            f"        per_user_pool_rps={'None' if per_pool is None else _number(per_pool)},",
            *_string_lines("description=", category["description"], ",", "        "),
            *_frozenset_lines("operations", sorted(category["operations"]), "        "),
            "    ),",
        ]
    lines += [
        "}",
        "",
        "#: Operation -> its category.",
        "CATEGORY_OF: dict[str, str] = {",
        *(f"    {_q(op)}: {_q(category_of[op])}," for op in sorted(category_of)),
        "}",
        "",
        *_wrapped_comment(
            f"Operations of {separate['category']} with a quota of their own, as a multiple of the "
            "category's: only calls beyond it count towards the category."
        ),
        "SEPARATE_QUOTA: dict[str, float] = {",
        *(f"    {_q(op)}: {_number(separate['multiplier'])}," for op in sorted(separate["operations"])),
        "}",
        "",
        "#: Operations of botocore's cognito-idp model left out of every category on purpose, and why.",
        "UNCATEGORISED: dict[str, str] = {",
    ]
    for operation, why in sorted(data["uncategorised"].items()):
        lines += _string_lines(f"{_q(operation)}: ", why, ",", "    ")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> None:
    text = quota_table_source()
    old = TABLE_FILE.read_text(encoding="utf-8") if TABLE_FILE.exists() else None
    if old != text:
        TABLE_FILE.write_text(text, encoding="utf-8")
    print(f"{'unchanged' if old == text else 'wrote'} {TABLE_FILE}")


if __name__ == "__main__":
    main()
