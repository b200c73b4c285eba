"""Words for people from the pure modules, which may not import Django.

The pure modules write a message as `_("... %(x)s ...") % {...}`. Until Django starts, `_` returns
the English text (the modules stay usable and testable alone); PlannerConfig.ready() then plugs in
Django's gettext, so each message comes in the language of the request that asked for it, and
`makemessages` finds the strings like any other.
"""

from collections.abc import Callable

_translate: Callable[[str], str] = str


def _(message: str) -> str:
    return _translate(message)


def use(translate: Callable[[str], str]) -> None:
    global _translate
    _translate = translate


def gettext_noop(message: str) -> str:
    """Marks a message for `makemessages` without translating it yet (a Message translates it)."""
    return message


class Message(str):
    """A message in the current language that remembers its English template and values.

    It is a plain string everywhere (joined, compared, shown), and `as_json()` stores it so that a
    page shown later, in another language, renders it again in that language with `render()`.
    """

    template: str
    params: dict[str, object]

    def __new__(cls, template: str, **params: object) -> "Message":
        text = _(template) % {name: str(value) for name, value in params.items()} if params else _(template)
        message = super().__new__(cls, text)
        message.template, message.params = template, params
        return message

    def as_json(self) -> dict[str, object]:
        return {
            "text": self.template,
            "params": {k: v.as_json() if isinstance(v, Message) else v for k, v in self.params.items()},
        }

    @classmethod
    def from_json(cls, stored: object) -> "Message":
        """A stored message back as a Message, in the current language (a plain string from before, as is)."""
        if not isinstance(stored, dict):
            return cls(str(stored))
        params = {k: cls.from_json(v) if isinstance(v, dict) else v for k, v in stored.get("params", {}).items()}
        return cls(stored["text"], **params)


def render(stored: object) -> str:
    """A stored message (as_json(), or a plain string from before) in the current language."""
    if isinstance(stored, dict):
        params = {name: render(value) for name, value in stored.get("params", {}).items()}
        return _(stored["text"]) % params if params else _(stored["text"])
    return _(str(stored))


def render_joined(messages: list | None) -> str:
    """Stored messages (a fluid plan's reasons) as one sentence in the current language."""
    return " ".join(render(message) for message in messages or [])


def stored(message: object) -> object:
    return message.as_json() if isinstance(message, Message) else message
