"""Who the bot is and who may embed or call it: the settings for origins, public URL and proxies, checked once.

`edge_policy(settings)` reads them forgivingly (trailing slashes, paths, case) and refuses what can't work with
a SettingsError in one line that says what to write, e.g.

>>> normalise_origin("HTTPS://Club.Example:443/join/")
'https://club.example'
>>> normalise_origin("club.example")
Traceback (most recent call last):
...
core.errors.SettingsError: HAMSTRING_ALLOWED_ORIGINS: 'club.example' has no scheme; write the address as the browser shows it, e.g. https://club.example
"""

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from core.errors import SettingsError
from core.settings import Settings

DEFAULT_PORTS = {"http": 80, "https": 443}
WILDCARD_HOSTS = {"0.0.0.0", "::", ""}
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


@dataclass(frozen=True)
class EdgePolicy:
    """The checked settings the HTTP edge acts on."""

    public_url: str  # no trailing slash; Gradio builds every absolute URL from it, never from Host
    own_origins: tuple[str, ...]  # the bot's own page, as the browser may name it
    allowed_origins: tuple[str, ...]  # other sites that may embed or call the bot
    public: bool  # any site may embed; then no credentials
    trusted_proxies: tuple[str, ...]

    def allows(self, origin: str) -> bool:
        return self.public or origin in self.own_origins or origin in self.allowed_origins

    @property
    def cors_origins(self) -> list[str]:
        return ["*"] if self.public else [*self.own_origins, *self.allowed_origins]

    @property
    def frame_ancestors(self) -> str:
        return "*" if self.public else " ".join(["'self'", *self.allowed_origins])


def normalise_origin(value: str, setting: str = "HAMSTRING_ALLOWED_ORIGINS") -> str:
    """scheme://host[:port] in lower case, default port, path and trailing slash dropped."""
    raw = value.strip()
    example = f"https://{raw.split('/')[0] or 'club.example'}"
    if "://" not in raw:
        raise SettingsError(f"{setting}: {raw!r} has no scheme; write the address as the browser shows it, e.g. {example}")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise SettingsError(f"{setting}: {raw!r} is not a web address; write it like https://club.example or http://localhost:8000") from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme not in DEFAULT_PORTS or not host:
        raise SettingsError(f"{setting}: {raw!r} is not an http(s) address; write it like https://club.example")
    if ":" in host:  # IPv6 literals keep their brackets in an origin
        host = f"[{host}]"
    return f"{scheme}://{host}" + (f":{port}" if port and port != DEFAULT_PORTS[scheme] else "")


def edge_policy(settings: Settings) -> EdgePolicy:
    """The settings for origins, public URL and proxies, checked; SettingsError naming the fix otherwise."""
    public = settings.public_embed
    allowed: list[str] = []
    for value in settings.allowed_origins:
        if value.strip() == "*":
            if not public:
                raise SettingsError(
                    "HAMSTRING_ALLOWED_ORIGINS='*' would let any website embed the bot: list the club sites instead "
                    "(https://club.example, comma-separated), or set HAMSTRING_PUBLIC_EMBED=true to mean it"
                )
            continue
        origin = normalise_origin(value)
        if origin not in allowed:
            allowed.append(origin)

    if settings.public_url:
        public_url = settings.public_url.strip().rstrip("/")
        own = normalise_origin(public_url, "HAMSTRING_PUBLIC_URL")
        own_origins: tuple[str, ...] = (own,)
    elif settings.host in WILDCARD_HOSTS:
        raise SettingsError(
            f"HAMSTRING_HOST={settings.host or '(empty)'} listens on every address, so the bot can't tell runners its own: "
            "set HAMSTRING_PUBLIC_URL to the address they open, e.g. https://bot.club.example"
        )
    else:
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        public_url = f"http://{host}:{settings.port}"
        loopback = host in LOOPBACK_NAMES
        own_origins = tuple(f"http://{h}:{settings.port}" for h in LOOPBACK_NAMES) if loopback else (public_url,)

    proxies = []
    for value in settings.trusted_proxies:
        try:
            proxies.append(str(ipaddress.ip_network(value.strip(), strict=False)))
        except ValueError:
            raise SettingsError(
                f"HAMSTRING_TRUSTED_PROXIES: {value.strip()!r} is not an address or network; "
                "write the proxy's address as it connects to the bot, e.g. 127.0.0.1 or 10.0.0.0/8"
            ) from None
    return EdgePolicy(public_url, own_origins, tuple(allowed), public, tuple(proxies))
