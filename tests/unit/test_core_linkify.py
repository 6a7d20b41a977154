"""Notes and directions: http(s) links become safe links, everything else stays escaped text."""

from app.core.linkify import linkify

REL = 'rel="noopener noreferrer nofollow"'


def test_http_and_https_links_become_links():
    html = str(linkify("地图：https://map.example.com/a?b=1&c=2 或 http://x.cn/p"))
    assert f'<a class="autolink" href="https://map.example.com/a?b=1&amp;c=2" {REL} target="_blank">' in html
    assert 'href="http://x.cn/p"' in html
    assert html.startswith("地图：")


def test_javascript_payload_is_not_a_link():
    html = str(linkify("javascript:alert(1) <script>alert(2)</script>"))
    assert "<a" not in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_url_cannot_break_out_of_the_attribute():
    html = str(linkify('https://evil.example/"onmouseover="alert(1)<b>x'))
    assert 'href="https://evil.example/"' in html
    assert 'onmouseover="' not in html
    assert "<b>" not in html


def test_trailing_punctuation_and_chinese_text_stay_outside_the_link():
    html = str(linkify("见 https://a.example/x。谢谢 (https://b.example/y)."))
    assert 'href="https://a.example/x"' in html and "</a>。谢谢" in html
    assert 'href="https://b.example/y"' in html and "</a>)." in html


def test_bare_scheme_and_none():
    assert "<a" not in str(linkify("https:// nothing"))
    assert str(linkify(None)) == ""
