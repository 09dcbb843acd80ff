"""The Jinja2 environment: StrictUndefined, and a `finalize` hook that passes every interpolated
value through the YAML-safe scalar writer, so a template cannot forget to quote."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from generator.errors import RenderError
from generator.render.yamlsafe import YamlText, block, scalar
from generator.treefile import template_dir

if TYPE_CHECKING:
    import jinja2


def _finalize(value: Any) -> str:
    import jinja2

    if isinstance(value, jinja2.Undefined):
        return str(value)  # StrictUndefined raises here, naming the missing value
    return value if isinstance(value, YamlText) else scalar(value)


@cache
def environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )
    env.filters["block"] = lambda value, indent: YamlText(block(value, indent))
    from generator.render.templatecache import bytecode_cache

    env.bytecode_cache = bytecode_cache(env)  # compiled templates kept like .pyc files
    return env


def render_template(template: str, context: dict[str, Any]) -> str:
    import jinja2

    try:
        return environment().get_template(template).render(context)
    except (jinja2.TemplateError, TypeError) as exc:
        line = getattr(exc, "lineno", None) or _template_line(exc, template)
        where = f"{template}:{line}" if line else template
        raise RenderError(f"template {where}: {exc}") from exc


def _template_line(exc: BaseException, template: str) -> int | None:
    """The template line being rendered when exc was raised (Jinja maps frames to templates)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(template):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
