"""Plain text to HTML with its http(s) links made clickable: escape first, then wrap the links."""

import re

from markupsafe import Markup, escape

# Runs on already-escaped text: stop at whitespace, quotes, angle brackets (escaped as &lt; &gt;
# &#34; &#39;) and the full-width punctuation that Chinese text puts right after a pasted link.
_URL = re.compile(r"\bhttps?://[^\s<>\"'\u3000-\u303f\uff01-\uff0f\uff1a-\uff20]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}"


def _wrap(match: re.Match) -> str:
    url = match.group(0)
    tail = ""
    # An entity such as &lt; or &#39; ends the link (its text was a < or a quote before escaping).
    cut = re.search(r"&(lt|gt|quot|#34|#39|#x27);", url)
    if cut:
        url, tail = url[: cut.start()], url[cut.start() :]
    while url and url[-1] in _TRAILING:
        url, tail = url[:-1], url[-1] + tail
    if len(url) <= len("https://"):
        return match.group(0)
    return (
        f'<a class="autolink" href="{url}" rel="noopener noreferrer nofollow" target="_blank">{url}</a>{tail}'
    )


def linkify(text) -> Markup:
    """Escape `text` and turn each http:// or https:// address in it into a link.

    Nothing but those two schemes ever becomes a link (a `javascript:` address stays text); the
    address is taken from the escaped text, so it cannot close the attribute or open a tag.
    """
    if text is None:
        return Markup("")
    return Markup(_URL.sub(_wrap, str(escape(text))))  # noqa: S704 (escaped above; only the links are added)
