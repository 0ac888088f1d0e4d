"""Discord's documented request limits, as small pure validators.

Each `check_*` returns a list of `LimitError` (empty = fine). `to_discord_errors` folds them into
the nested `errors` object Discord answers with (code 50035 "Invalid Form Body").
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .util import iter_components

Path = tuple[str | int, ...]
JSON = Mapping[str, Any]

CONTENT_MAX = 2000
NONCE_MAX = 25
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000
ACTION_ROWS_MAX = 5
ROW_WIDTH_MAX = 5
COMPONENTS_V2_TOTAL_MAX = 40
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
SELECT_OPTIONS_MAX = 25
SELECT_OPTION_TEXT_MAX = 100
SELECT_PLACEHOLDER_MAX = 150
MODAL_TITLE_MAX = 45
MODAL_ROWS_MAX = 5
TEXT_INPUT_LABEL_MAX = 45
TEXT_INPUT_LENGTH_MAX = 4000
TEXT_INPUT_PLACEHOLDER_MAX = 100
ALLOWED_MENTIONS_IDS_MAX = 100
ATTACHMENTS_MAX = 10
AUTOCOMPLETE_CHOICES_MAX = 25
CHOICE_NAME_MAX = 100
CHOICE_VALUE_MAX = 100
COMMAND_NAME_MAX = 32
COMMAND_DESCRIPTION_MAX = 100
COMMAND_OPTIONS_MAX = 25
COMMAND_CHOICES_MAX = 25
COMMAND_TOTAL_CHARS_MAX = 4000
CHAT_INPUT_COMMANDS_MAX = 100
CONTEXT_MENU_COMMANDS_MAX = 15
THREAD_NAME_MAX = 100
AUTO_ARCHIVE_DURATIONS = frozenset({60, 1440, 4320, 10080})

FLAG_IS_COMPONENTS_V2 = 1 << 15
BUTTON_STYLE_LINK = 5
BUTTON_STYLE_PREMIUM = 6
SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
SUBCOMMAND = 1
SUBCOMMAND_GROUP = 2
STRING_OPTION = 3


@dataclass(frozen=True)
class LimitError:
    path: Path
    code: str
    message: str

    def __str__(self) -> str:
        where = ".".join(str(p) for p in self.path) or "(body)"
        return f"{where}: {self.message}"


def _too_long(path: Path, limit: int, actual: int) -> LimitError:
    return LimitError(
        path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length (got {actual})."
    )


def _len_check(value: Any, limit: int, path: Path, *, minimum: int = 0) -> list[LimitError]:
    if value is None:
        return []
    if not isinstance(value, str | list):
        return [LimitError(path, "BASE_TYPE_STRING", "Must be a string.")]
    if len(value) > limit:
        return [_too_long(path, limit, len(value))]
    if len(value) < minimum:
        return [
            LimitError(
                path,
                "BASE_TYPE_MIN_LENGTH",
                f"Must be {minimum} or more in length (got {len(value)}).",
            )
        ]
    return []


def to_discord_errors(errors: Iterable[LimitError]) -> dict[str, Any]:
    """Nest errors the way Discord does: {"embeds": {"0": {"title": {"_errors": [...]}}}}."""
    root: dict[str, Any] = {}
    for err in errors:
        node = root
        for part in err.path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": err.code, "message": err.message})
    return root


# --------------------------------------------------------------------------- messages
def check_content(content: Any, path: Path = ("content",)) -> list[LimitError]:
    return _len_check(content, CONTENT_MAX, path)


def embed_size(embed: JSON) -> int:
    """Characters Discord counts towards the 6000 total for one embed."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    for fld in embed.get("fields") or []:
        total += len(fld.get("name") or "") + len(fld.get("value") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    return total


def check_embed(embed: JSON, path: Path) -> list[LimitError]:
    errors: list[LimitError] = []
    errors += _len_check(embed.get("title"), EMBED_TITLE_MAX, (*path, "title"))
    errors += _len_check(embed.get("description"), EMBED_DESCRIPTION_MAX, (*path, "description"))
    fields = embed.get("fields") or []
    if len(fields) > EMBED_FIELDS_MAX:
        errors.append(_too_long((*path, "fields"), EMBED_FIELDS_MAX, len(fields)))
    for i, fld in enumerate(fields):
        fpath = (*path, "fields", i)
        errors += _len_check(fld.get("name"), EMBED_FIELD_NAME_MAX, (*fpath, "name"), minimum=1)
        errors += _len_check(fld.get("value"), EMBED_FIELD_VALUE_MAX, (*fpath, "value"), minimum=1)
    footer = embed.get("footer") or {}
    errors += _len_check(footer.get("text"), EMBED_FOOTER_MAX, (*path, "footer", "text"))
    author = embed.get("author") or {}
    errors += _len_check(author.get("name"), EMBED_AUTHOR_MAX, (*path, "author", "name"))
    return errors


def check_embeds(embeds: Any, path: Path = ("embeds",)) -> list[LimitError]:
    if not embeds:
        return []
    errors: list[LimitError] = []
    if len(embeds) > EMBEDS_MAX:
        errors.append(_too_long(path, EMBEDS_MAX, len(embeds)))
    for i, embed in enumerate(embeds):
        errors += check_embed(embed, (*path, i))
    total = sum(embed_size(e) for e in embeds)
    if total > EMBED_TOTAL_MAX:
        errors.append(
            LimitError(
                path,
                "MAX_EMBED_SIZE_EXCEEDED",
                f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX} (got {total}).",
            )
        )
    return errors


def _check_custom_id(comp: JSON, path: Path, seen: set[str]) -> list[LimitError]:
    custom_id = comp.get("custom_id")
    if custom_id is None:
        return []
    errors = _len_check(custom_id, CUSTOM_ID_MAX, (*path, "custom_id"), minimum=1)
    if custom_id in seen:
        errors.append(
            LimitError(
                (*path, "custom_id"),
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                f"Component custom id cannot be duplicated ({custom_id!r}).",
            )
        )
    seen.add(custom_id)
    return errors


def check_button(comp: JSON, path: Path, seen: set[str]) -> list[LimitError]:
    errors = _len_check(comp.get("label"), BUTTON_LABEL_MAX, (*path, "label"))
    style = comp.get("style")
    if style == BUTTON_STYLE_LINK:
        if not comp.get("url"):
            errors.append(
                LimitError((*path, "url"), "BUTTON_URL_REQUIRED", "Link buttons need a url.")
            )
        if comp.get("custom_id") is not None:
            errors.append(
                LimitError(
                    (*path, "custom_id"),
                    "BUTTON_CUSTOM_ID_INVALID",
                    "Link buttons cannot have a custom_id.",
                )
            )
    elif style != BUTTON_STYLE_PREMIUM and not comp.get("custom_id"):
        errors.append(
            LimitError((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required.")
        )
    return errors + _check_custom_id(comp, path, seen)


def check_select(comp: JSON, path: Path, seen: set[str]) -> list[LimitError]:
    errors = _check_custom_id(comp, path, seen)
    if not comp.get("custom_id"):
        errors.append(
            LimitError((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required.")
        )
    errors += _len_check(comp.get("placeholder"), SELECT_PLACEHOLDER_MAX, (*path, "placeholder"))
    if comp.get("type") == 3:
        options = comp.get("options") or []
        if not options:
            errors.append(
                LimitError(
                    (*path, "options"), "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length."
                )
            )
        if len(options) > SELECT_OPTIONS_MAX:
            errors.append(_too_long((*path, "options"), SELECT_OPTIONS_MAX, len(options)))
        values: set[str] = set()
        for i, opt in enumerate(options):
            opath = (*path, "options", i)
            for key in ("label", "value", "description"):
                errors += _len_check(
                    opt.get(key),
                    SELECT_OPTION_TEXT_MAX,
                    (*opath, key),
                    minimum=key != "description",
                )
            if opt.get("value") in values:
                errors.append(
                    LimitError(
                        (*opath, "value"),
                        "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED",
                        "Select option values must be unique.",
                    )
                )
            values.add(opt.get("value"))
    min_v = comp.get("min_values")
    max_v = comp.get("max_values")
    if min_v is not None and not 0 <= min_v <= SELECT_OPTIONS_MAX:
        errors.append(LimitError((*path, "min_values"), "NUMBER_TYPE_MAX", "Must be 0 to 25."))
    if max_v is not None and not 1 <= max_v <= SELECT_OPTIONS_MAX:
        errors.append(LimitError((*path, "max_values"), "NUMBER_TYPE_MAX", "Must be 1 to 25."))
    return errors


def check_action_row(row: JSON, path: Path, seen: set[str]) -> list[LimitError]:
    errors: list[LimitError] = []
    children = row.get("components") or []
    if not children:
        errors.append(
            LimitError(
                (*path, "components"), "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length."
            )
        )
    width = 0
    for i, comp in enumerate(children):
        cpath = (*path, "components", i)
        kind = comp.get("type")
        if kind == 2:
            width += 1
            errors += check_button(comp, cpath, seen)
        elif kind in SELECT_TYPES:
            width += ROW_WIDTH_MAX
            errors += check_select(comp, cpath, seen)
        else:
            errors.append(
                LimitError(
                    (*cpath, "type"),
                    "COMPONENT_TYPE_INVALID",
                    f"Component type {kind} is not allowed in a message action row.",
                )
            )
    if width > ROW_WIDTH_MAX:
        errors.append(
            LimitError(
                (*path, "components"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width "
                "(≤ 5 buttons per row, a select menu alone in its row).",
            )
        )
    return errors


def _count_components(components: Iterable[JSON]) -> int:
    total = 0
    for comp in components:
        total += 1
        total += _count_components(comp.get("components") or [])
        if isinstance(comp.get("accessory"), dict):
            total += 1
    return total


def check_components(
    components: Any, path: Path = ("components",), *, flags: int = 0
) -> list[LimitError]:
    if not components:
        return []
    errors: list[LimitError] = []
    seen: set[str] = set()
    if flags & FLAG_IS_COMPONENTS_V2:
        total = _count_components(components)
        if total > COMPONENTS_V2_TOTAL_MAX:
            errors.append(_too_long(path, COMPONENTS_V2_TOTAL_MAX, total))
        for i, comp in enumerate(iter_components(components)):
            if comp.get("type") == 1:
                errors += check_action_row(comp, (*path, i), seen)
        return errors
    if len(components) > ACTION_ROWS_MAX:
        errors.append(_too_long(path, ACTION_ROWS_MAX, len(components)))
    for i, row in enumerate(components):
        if row.get("type") != 1:
            errors.append(
                LimitError(
                    (*path, i, "type"),
                    "COMPONENT_TYPE_INVALID",
                    "Top-level components must be action rows unless flags has IS_COMPONENTS_V2.",
                )
            )
            continue
        errors += check_action_row(row, (*path, i), seen)
    return errors


def check_allowed_mentions(allowed: Any, path: Path = ("allowed_mentions",)) -> list[LimitError]:
    if not allowed:
        return []
    errors: list[LimitError] = []
    parse = allowed.get("parse") or []
    for i, kind in enumerate(parse):
        if kind not in ("users", "roles", "everyone"):
            errors.append(
                LimitError((*path, "parse", i), "BASE_TYPE_CHOICES", f"Invalid value {kind!r}.")
            )
    for key in ("users", "roles"):
        ids = allowed.get(key)
        if ids is None:
            continue
        if len(ids) > ALLOWED_MENTIONS_IDS_MAX:
            errors.append(_too_long((*path, key), ALLOWED_MENTIONS_IDS_MAX, len(ids)))
        if key in parse and ids:
            errors.append(
                LimitError(
                    (*path, key),
                    "ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    f'parse:["{key}"] and {key}: [ids...] are mutually exclusive.',
                )
            )
    return errors


def check_message(body: Any, *, attachments_count: int = 0) -> list[LimitError]:
    """Limits shared by channel messages, interaction responses and webhook messages."""
    if not isinstance(body, Mapping):
        return []
    flags = body.get("flags") or 0
    errors = check_content(body.get("content"))
    errors += check_embeds(body.get("embeds"))
    errors += check_components(body.get("components"), flags=flags if isinstance(flags, int) else 0)
    errors += check_allowed_mentions(body.get("allowed_mentions"))
    nonce = body.get("nonce")
    if isinstance(nonce, str):
        errors += _len_check(nonce, NONCE_MAX, ("nonce",))
    attachments = body.get("attachments") or []
    count = max(len(attachments), attachments_count)
    if count > ATTACHMENTS_MAX:
        errors.append(_too_long(("attachments",), ATTACHMENTS_MAX, count))
    return errors


def is_empty_message(body: Any, *, files: int = 0) -> bool:
    """True if a new message would have nothing to show (Discord error 50006)."""
    if files:
        return False
    if not isinstance(body, Mapping):
        return True
    return not any(body.get(k) for k in ("content", "embeds", "components", "sticker_ids", "poll"))


# ----------------------------------------------------------------------------- modals
def _check_text_input(
    comp: JSON, path: Path, seen: set[str], *, in_label: bool
) -> list[LimitError]:
    errors = _check_custom_id(comp, path, seen)
    if not in_label:
        errors += _len_check(comp.get("label"), TEXT_INPUT_LABEL_MAX, (*path, "label"), minimum=1)
    errors += _len_check(
        comp.get("placeholder"), TEXT_INPUT_PLACEHOLDER_MAX, (*path, "placeholder")
    )
    errors += _len_check(comp.get("value"), TEXT_INPUT_LENGTH_MAX, (*path, "value"))
    for key, low in (("min_length", 0), ("max_length", 1)):
        value = comp.get(key)
        if value is not None and not low <= value <= TEXT_INPUT_LENGTH_MAX:
            errors.append(
                LimitError(
                    (*path, key),
                    "NUMBER_TYPE_MAX",
                    f"Must be between {low} and {TEXT_INPUT_LENGTH_MAX} (got {value}).",
                )
            )
    if comp.get("style") not in (1, 2):
        errors.append(LimitError((*path, "style"), "BASE_TYPE_CHOICES", "Style must be 1 or 2."))
    return errors


def check_modal(data: Any, path: Path = ("data",)) -> list[LimitError]:
    if not isinstance(data, Mapping):
        return [LimitError(path, "BASE_TYPE_REQUIRED", "This field is required.")]
    errors = _len_check(data.get("title"), MODAL_TITLE_MAX, (*path, "title"), minimum=1)
    errors += _len_check(data.get("custom_id"), CUSTOM_ID_MAX, (*path, "custom_id"), minimum=1)
    rows = data.get("components") or []
    if not rows:
        errors.append(
            LimitError(
                (*path, "components"), "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length."
            )
        )
    if len(rows) > MODAL_ROWS_MAX:
        errors.append(_too_long((*path, "components"), MODAL_ROWS_MAX, len(rows)))
    seen: set[str] = set()
    for i, row in enumerate(rows):
        rpath = (*path, "components", i)
        kind = row.get("type")
        if kind == 1:
            children = row.get("components") or []
            if len(children) != 1:
                errors.append(
                    LimitError(
                        (*rpath, "components"),
                        "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                        "A modal action row holds exactly one component.",
                    )
                )
            for j, comp in enumerate(children):
                cpath = (*rpath, "components", j)
                if comp.get("type") == 4:
                    errors += _check_text_input(comp, cpath, seen, in_label=False)
                else:  # ActionRowComponentForModalRequest: text inputs only
                    errors.append(_not_in_modal_row(comp, (*cpath, "type")))
        elif kind == 18:
            errors += _len_check(
                row.get("label"), TEXT_INPUT_LABEL_MAX, (*rpath, "label"), minimum=1
            )
            errors += _len_check(row.get("description"), 100, (*rpath, "description"))
            inner = row.get("component") or {}
            if inner.get("type") == 4:
                errors += _check_text_input(inner, (*rpath, "component"), seen, in_label=True)
            elif inner.get("type") in SELECT_TYPES:
                errors += check_select(inner, (*rpath, "component"), seen)
                errors += _check_defaults(inner, (*rpath, "component"))
            else:
                errors.append(_not_in_modal_row(inner, (*rpath, "component", "type")))
        elif kind != 10:  # a text display may stand alone
            errors.append(
                LimitError(
                    (*rpath, "type"),
                    "BASE_TYPE_CHOICES",
                    f"A modal holds action rows, labels and text displays, not type {kind}.",
                )
            )
    return errors


def _not_in_modal_row(comp: JSON, path: Path) -> LimitError:
    return LimitError(
        path,
        "BASE_TYPE_CHOICES",
        f"Component type {comp.get('type')} can't go there in a modal: "
        "a select goes inside a label (type 18), an action row holds one text input.",
    )


def _check_defaults(comp: JSON, path: Path) -> list[LimitError]:
    """A string select may preselect at most `max_values` options."""
    chosen = [o for o in comp.get("options") or [] if o.get("default")]
    high = comp.get("max_values") or 1
    if comp.get("type") == 3 and len(chosen) > high:
        return [
            LimitError(
                (*path, "options"),
                "SELECT_COMPONENT_TOO_MANY_DEFAULT_VALUES",
                f"At most {high} options may be default (got {len(chosen)}).",
            )
        ]
    return []


# ------------------------------------------------------------------------ autocomplete
def check_choices(
    choices: Any, path: Path, *, maximum: int = AUTOCOMPLETE_CHOICES_MAX
) -> list[LimitError]:
    if choices is None:
        return []
    errors: list[LimitError] = []
    if len(choices) > maximum:
        errors.append(_too_long(path, maximum, len(choices)))
    for i, choice in enumerate(choices):
        cpath = (*path, i)
        errors += _len_check(choice.get("name"), CHOICE_NAME_MAX, (*cpath, "name"), minimum=1)
        value = choice.get("value")
        if isinstance(value, str):
            errors += _len_check(value, CHOICE_VALUE_MAX, (*cpath, "value"))
        elif not isinstance(value, int | float) or isinstance(value, bool):
            errors.append(
                LimitError((*cpath, "value"), "BASE_TYPE_REQUIRED", "Must be a string or number.")
            )
    return errors


def check_autocomplete(data: Any) -> list[LimitError]:
    if not isinstance(data, Mapping):
        return [LimitError(("data",), "BASE_TYPE_REQUIRED", "This field is required.")]
    return check_choices(data.get("choices") or [], ("data", "choices"))


def check_interaction_callback(body: Any) -> list[LimitError]:
    """Limits for POST /interactions/{id}/{token}/callback by callback type."""
    if not isinstance(body, Mapping):
        return []
    kind = body.get("type")
    data = body.get("data")
    if kind in (4, 7) and isinstance(data, Mapping):
        return [LimitError(("data", *e.path), e.code, e.message) for e in check_message(data)]
    if kind == 8:
        return check_autocomplete(data)
    if kind == 9:
        return check_modal(data)
    return []


# --------------------------------------------------------------------------- commands
def _is_name_char(ch: str) -> bool:
    return ch in "-_" or unicodedata.category(ch)[0] in ("L", "N")


def check_command_name(name: Any, path: Path, *, chat_input: bool) -> list[LimitError]:
    if not isinstance(name, str) or not 1 <= len(name) <= COMMAND_NAME_MAX:
        return [
            LimitError(
                path, "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {COMMAND_NAME_MAX} in length."
            )
        ]
    if chat_input:
        if not all(_is_name_char(ch) for ch in name):
            return [
                LimitError(
                    path,
                    "APPLICATION_COMMAND_INVALID_NAME",
                    f"Command name {name!r} must match ^[-_\\p{{L}}\\p{{N}}]{{1,32}}$.",
                )
            ]
        if name != name.lower():
            return [
                LimitError(
                    path,
                    "APPLICATION_COMMAND_INVALID_NAME",
                    f"Command name {name!r} must be lowercase.",
                )
            ]
    return []


def _check_description(desc: Any, path: Path) -> list[LimitError]:
    return _len_check(desc if desc is not None else "", COMMAND_DESCRIPTION_MAX, path, minimum=1)


def check_command_options(options: Sequence[JSON], path: Path, depth: int = 0) -> list[LimitError]:
    errors: list[LimitError] = []
    if len(options) > COMMAND_OPTIONS_MAX:
        errors.append(_too_long(path, COMMAND_OPTIONS_MAX, len(options)))
    names: set[str] = set()
    seen_optional = False
    has_sub = any(o.get("type") in (SUBCOMMAND, SUBCOMMAND_GROUP) for o in options)
    for i, opt in enumerate(options):
        opath = (*path, i)
        kind = opt.get("type")
        errors += check_command_name(opt.get("name"), (*opath, "name"), chat_input=True)
        errors += _check_description(opt.get("description"), (*opath, "description"))
        name = opt.get("name")
        if name in names:
            errors.append(
                LimitError(
                    (*opath, "name"),
                    "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                    f"Option name {name!r} is duplicated.",
                )
            )
        names.add(str(name))
        if has_sub and kind not in (SUBCOMMAND, SUBCOMMAND_GROUP):
            errors.append(
                LimitError(
                    (*opath, "type"),
                    "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    "Sub-commands cannot be mixed with regular options.",
                )
            )
        if kind in (SUBCOMMAND, SUBCOMMAND_GROUP):
            if depth >= 2 or (kind == SUBCOMMAND_GROUP and depth >= 1):
                errors.append(
                    LimitError(
                        (*opath, "type"),
                        "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                        "Sub-command groups/sub-commands nested too deeply.",
                    )
                )
            errors += check_command_options(
                opt.get("options") or [], (*opath, "options"), depth + 1
            )
            continue
        if opt.get("required"):
            if seen_optional:
                errors.append(
                    LimitError(
                        (*opath, "required"),
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options.",
                    )
                )
        else:
            seen_optional = True
        choices = opt.get("choices")
        errors += check_choices(choices, (*opath, "choices"), maximum=COMMAND_CHOICES_MAX)
        if choices and opt.get("autocomplete"):
            errors.append(
                LimitError(
                    (*opath, "autocomplete"),
                    "AUTOCOMPLETE_AND_CHOICES_EXCLUSIVE",
                    "Autocomplete cannot be used with choices.",
                )
            )
        if kind == STRING_OPTION:
            for key, low in (("min_length", 0), ("max_length", 1)):
                value = opt.get(key)
                if value is not None and not low <= value <= 6000:
                    errors.append(
                        LimitError((*opath, key), "NUMBER_TYPE_MAX", f"Must be {low} to 6000.")
                    )
    return errors


def _command_chars(cmd: JSON) -> int:
    total = len(str(cmd.get("name") or "")) + len(str(cmd.get("description") or ""))
    for opt in cmd.get("options") or []:
        total += _command_chars(opt)
        for choice in opt.get("choices") or []:
            total += len(str(choice.get("name") or "")) + len(str(choice.get("value") or ""))
    return total


def check_command(cmd: Any, path: Path = ()) -> list[LimitError]:
    if not isinstance(cmd, Mapping):
        return [LimitError(path, "BASE_TYPE_REQUIRED", "Command must be an object.")]
    kind = cmd.get("type") or 1
    chat_input = kind == 1
    errors = check_command_name(cmd.get("name"), (*path, "name"), chat_input=chat_input)
    if chat_input:
        errors += _check_description(cmd.get("description"), (*path, "description"))
        errors += check_command_options(cmd.get("options") or [], (*path, "options"))
        chars = _command_chars(cmd)
        if chars > COMMAND_TOTAL_CHARS_MAX:
            errors.append(
                LimitError(
                    path,
                    "APPLICATION_COMMAND_TOO_LARGE",
                    f"Command exceeds {COMMAND_TOTAL_CHARS_MAX} combined characters ({chars}).",
                )
            )
    else:
        if cmd.get("description"):
            errors.append(
                LimitError(
                    (*path, "description"),
                    "BASE_TYPE_MAX_LENGTH",
                    "Context menu commands cannot have a description.",
                )
            )
        if cmd.get("options"):
            errors.append(
                LimitError(
                    (*path, "options"),
                    "BASE_TYPE_MAX_LENGTH",
                    "Context menu commands take no options.",
                )
            )
    return errors


def check_command_list(commands: Any) -> list[LimitError]:
    """Bulk overwrite: each command plus per-type counts and unique names."""
    if not isinstance(commands, list):
        return [LimitError((), "BASE_TYPE_ARRAY", "Must be an array of commands.")]
    errors: list[LimitError] = []
    seen: set[tuple[int, str]] = set()
    counts: dict[int, int] = {}
    for i, cmd in enumerate(commands):
        errors += check_command(cmd, (i,))
        if not isinstance(cmd, Mapping):
            continue
        kind = int(cmd.get("type") or 1)
        key = (kind, str(cmd.get("name")))
        if key in seen:
            errors.append(
                LimitError(
                    (i, "name"),
                    "APPLICATION_COMMAND_ALREADY_EXISTS",
                    f"Duplicate command name {key[1]!r}.",
                )
            )
        seen.add(key)
        counts[kind] = counts.get(kind, 0) + 1
    if counts.get(1, 0) > CHAT_INPUT_COMMANDS_MAX:
        errors.append(_too_long((), CHAT_INPUT_COMMANDS_MAX, counts[1]))
    for kind in (2, 3):
        if counts.get(kind, 0) > CONTEXT_MENU_COMMANDS_MAX:
            errors.append(_too_long((), CONTEXT_MENU_COMMANDS_MAX, counts[kind]))
    return errors


# ---------------------------------------------------------------------------- threads
def check_thread_create(body: Any) -> list[LimitError]:
    if not isinstance(body, Mapping):
        return [LimitError((), "BASE_TYPE_REQUIRED", "Body required.")]
    errors = _len_check(body.get("name"), THREAD_NAME_MAX, ("name",), minimum=1)
    if body.get("name") is None:
        errors.append(LimitError(("name",), "BASE_TYPE_REQUIRED", "This field is required."))
    duration = body.get("auto_archive_duration")
    if duration is not None and duration not in AUTO_ARCHIVE_DURATIONS:
        errors.append(
            LimitError(
                ("auto_archive_duration",),
                "BASE_TYPE_CHOICES",
                f"Value must be one of {sorted(AUTO_ARCHIVE_DURATIONS)} (got {duration}).",
            )
        )
    return errors


def check_thread_modify(body: Any) -> list[LimitError]:
    if not isinstance(body, Mapping):
        return []
    errors: list[LimitError] = []
    if "name" in body:
        errors += _len_check(body.get("name"), THREAD_NAME_MAX, ("name",), minimum=1)
    duration = body.get("auto_archive_duration")
    if duration is not None and duration not in AUTO_ARCHIVE_DURATIONS:
        errors.append(
            LimitError(
                ("auto_archive_duration",),
                "BASE_TYPE_CHOICES",
                f"Value must be one of {sorted(AUTO_ARCHIVE_DURATIONS)} (got {duration}).",
            )
        )
    return errors
