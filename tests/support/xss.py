"""Hostile student content for the XSS tests, and an oracle that finds what is still active in HTML.

Every payload, if it ran, would change ``document.title`` to (or write a file named after)
``MARKER``; the oracle :func:`active_content` lists whatever in a piece of HTML could still run it
or reach the Jupyter server, independently of the allowlist in ``mlops_concepts.nbgrader_plugins.defuse``.
"""

from __future__ import annotations

import re

MARKER = "PWNED1337"
JS = f"document.title='{MARKER}'"

# Raw HTML, as a reflection answer or a text/html output could carry it.
HTML_PAYLOADS = {
    "script": f"<script>{JS}</script>",
    "script-src": '<script src="/files/evil.js"></script>',
    "img-onerror": f'<img src=x onerror="{JS}">',
    "img-onerror-unquoted": f"<IMG SRC=x OnError={JS}>",
    "svg-onload": f'<svg onload="{JS}"><circle r=5 /></svg>',
    "svg-script": f"<svg><script>{JS}</script></svg>",
    "iframe": f'<iframe src="javascript:{JS}"></iframe>',
    "iframe-srcdoc": f'<iframe srcdoc="<script>{JS}</script>"></iframe>',
    "object": f'<object data="data:text/html,<script>{JS}</script>"></object>',
    "embed": f'<embed src="javascript:{JS}">',
    "a-javascript": f'<a href="javascript:{JS}">click</a>',
    "a-javascript-mixed-case": f'<a href="JaVaScRiPt:{JS}">click</a>',
    "a-javascript-entities": '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;'
    f'&#58;{JS}">click</a>',
    "a-javascript-hex-entities": f'<a href="jav&#x61;script&colon;{JS}">click</a>',
    "a-javascript-tab": f'<a href="java\tscript:{JS}">click</a>',
    "a-javascript-leading-space": f'<a href=" javascript:{JS}">click</a>',
    "a-vbscript": f"<a href=\"vbscript:msgbox('{MARKER}')\">click</a>",
    "a-data-html": f'<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==#{MARKER}">x</a>',
    "a-relative-api": f'<a href="/api/contents/{MARKER}.txt">x</a>',
    "img-relative-api": f'<img src="/api/contents/{MARKER}">',
    "meta-refresh": f'<meta http-equiv="refresh" content="0;url=javascript:{JS}">',
    "base": f'<base href="https://evil.example/{MARKER}/">',
    "form": f'<form action="/api/contents/{MARKER}" method=post><button>Go</button></form>',
    "button-formaction": f'<button formaction="javascript:{JS}">x</button>',
    "input-autofocus": f'<input autofocus onfocus="{JS}">',
    "details-ontoggle": f'<details open ontoggle="{JS}"><summary>x</summary></details>',
    "style-import": f"<style>@import url('https://evil.example/{MARKER}.css');</style>",
    "style-attr": f"<p style=\"background:url('javascript:{JS}')\">styled</p>",
    "link-stylesheet": f'<link rel=stylesheet href="https://evil.example/{MARKER}.css">',
    "math-xlink": f'<math><mtext><a xlink:href="javascript:{JS}">m</a></mtext></math>',
    "body-onload": f'<body onload="{JS}">',
    "video-onerror": f'<video><source onerror="{JS}"></video>',
    "comment-breakout": f'<!--><img src=x onerror="{JS}">-->',
    "nested-script": f"<scr<script>ipt>{JS}</scr</script>ipt>",
    "noscript-mxss": f'<noscript><p title="</noscript><img src=x onerror={JS}>"></noscript>',
    "template": f'<template><img src=x onerror="{JS}"></template>',
    "id-clobber": '<div id="q1_1a" class="score">fake</div>',
}

# Student Markdown (a reflection answer) that renders into active HTML.
MARKDOWN_PAYLOADS = {
    "md-link-javascript": f"[click me](javascript:{JS})",
    "md-link-javascript-entity": f"[click me](jav&#x61;script:{JS})",
    "md-link-reference": f"[click me][r]\n\n[r]: javascript:{JS}",
    "md-autolink": f"<javascript:{JS}>",
    "md-image-onerror": f'![x](<x" onerror="{JS}>)',
    "md-image-javascript": f"![x](javascript:{JS})",
    "md-raw-block": f'Some text\n\n<div>\n<img src=x onerror="{JS}">\n</div>\n\nmore',
    "md-inline-html": f'I think <b onmouseover="{JS}">this</b> matters.',
    "md-html-in-table": f'| a |\n|---|\n| <img src=x onerror="{JS}"> |',
    "md-pre-blank-line": f"<pre>\nline\n\n[x](javascript:{JS})\n</pre>",
    "md-mermaid": f"```mermaid\ngraph TD; A-->B; click A call alert('{MARKER}')\n```",
}

EVENT_ATTR = re.compile(r"^on", re.I)
SAFE_HREF = re.compile(r"^(https?:|mailto:)", re.I)
SAFE_SRC = re.compile(r"^data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=]*$", re.I)
ACTIVE_TAGS = {
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
    "style",
    "link",
    "meta",
    "base",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "template",
    "video",
    "audio",
    "source",
    "noscript",
    "details",
}
URL_ATTRS = {
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "poster",
    "background",
    "srcset",
    "xlink:href",
    "srcdoc",
    "style",
    "lowsrc",
    "dynsrc",
    "ping",
    "cite",
    "codebase",
}


def _elements(html: str, fragment: bool):
    """Every element of ``html`` as a browser parses it (HTML5 rules, via html5lib).

    Python's ``html.parser`` is not enough: it reads ``<!-->`` and other edge cases differently
    from a browser, and those differences are what XSS payloads exploit. html5lib implements the
    HTML5 parsing algorithm; bleach (a dependency of nbconvert) ships it as a vendored copy.
    """
    from bleach._vendor import html5lib

    parse = html5lib.parseFragment if fragment else html5lib.parse
    tree = parse(html, treebuilder="etree", namespaceHTMLElements=False)
    for el in tree.iter():
        if isinstance(el.tag, str):
            yield (
                el.tag.split("}")[-1].lower(),
                {str(k).split("}")[-1].lower(): v or "" for k, v in el.attrib.items()},
                el,
            )


def active_content(html: str) -> list[str]:
    """What in ``html`` (student content only) could run script or reach the server."""
    problems = []
    # Parsed as a whole document: a stray <body onload=...> then lands on the page's own <body>,
    # as it does in a browser (in a fragment it would be dropped, and missed).
    for tag, attrs, _ in _elements(html, fragment=False):
        if tag in ACTIVE_TAGS:
            problems.append(f"<{tag}> {attrs}")
        for name, value in attrs.items():
            low = re.sub(r"[\s\x00-\x1f]", "", value).lower()
            if EVENT_ATTR.match(name):
                problems.append(f"<{tag} {name}=...>")
            elif (
                name in ("id", "class", "style", "srcdoc", "formaction", "action", "href")
                and name != "href"
                or (name == "href" and not SAFE_HREF.match(low))
            ):
                problems.append(f"<{tag} {name}={value[:60]!r}>")
            elif name == "src" and not (SAFE_SRC.match(low) or low.startswith("attachment:")):
                problems.append(f"<{tag} src={value[:60]!r}>")
            elif name in URL_ATTRS and name not in ("href", "src"):
                problems.append(f"<{tag} {name}={value[:40]!r}>")
            if MARKER in value and name not in ("alt", "title"):
                problems.append(f"<{tag} {name}> carries the payload")
    return problems


def active_payloads_in_page(html: str) -> list[str]:
    """Student payloads that are live in a whole rendered page (feedback or Formgrader HTML).

    The page's own scripts are allowed; any script, style or attribute carrying the payload, any
    javascript:/vbscript:/data:text URL, and any frame, object, embed, base, form or svg are not.
    """
    problems = []
    for tag, attrs, el in _elements(html, fragment=False):
        for name, value in attrs.items():
            low = re.sub(r"[\s\x00-\x1f]", "", value).lower()
            if MARKER in value and name not in ("alt", "title"):
                problems.append(f"<{tag} {name}={value[:80]!r}>")
            if low.startswith(("javascript:", "vbscript:", "data:text")):
                problems.append(f"<{tag} {name}={value[:80]!r}>")
        if tag in ("iframe", "object", "embed", "base", "form", "svg", "frame", "meta") and not (
            tag == "meta"
            and set(attrs) <= {"charset", "name", "content"}
            and "refresh" not in str(attrs).lower()
        ):
            problems.append(f"<{tag}> in the page: {attrs}")
        if tag in ("script", "style") and MARKER in "".join(el.itertext()):
            problems.append(f"<{tag}> carries the payload")
    return problems
