"""Notes as HTML: Markdown rendered by markdown-it-py with raw HTML off, then cleaned by nh3.

Two layers on purpose: the renderer never passes HTML through and refuses `javascript:` links,
and the sanitiser keeps only an allow-list of tags, attributes and URL schemes whatever the renderer did.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_RENDERER = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)
TAGS = {
    *("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code"),
    *("ul", "ol", "li", "em", "strong", "del", "s", "a", "table", "thead", "tbody", "tr", "th", "td"),
}
# No style attributes: the Content-Security-Policy refuses inline styles.
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render(text: str) -> Markup:
    """Safe HTML for a notes section's Markdown."""
    html = _RENDERER.render(text)
    cleaned = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
    )
    return Markup(cleaned)  # noqa: S704 - sanitised by nh3 just above
