"""HTML bodies as safe plain text (channels/email/htmltext.py)."""

from __future__ import annotations

from channels.email.htmltext import html_to_text


def test_scripts_styles_head_and_images_leave_no_trace() -> None:
    html = (
        "<html><head><title>Title</title><style>p{color:red}</style>"
        "<script>steal(document.cookie)</script></head><body>"
        "<p>Hello</p><img src='https://tracker.example/p.gif' alt='pixel'>"
        "<noscript>enable js</noscript><svg><text>vector</text></svg></body></html>"
    )
    assert html_to_text(html) == "Hello"


def test_unclosed_head_does_not_swallow_the_body() -> None:
    assert html_to_text("<head><title>x</title><body><p>我的提现失败了</p>") == "我的提现失败了"


def test_entities_are_decoded_and_whitespace_collapsed() -> None:
    html = "<p>Top-up&nbsp;of  &yen;500\n  was &ldquo;declined&rdquo; &amp; &lt;refunded&gt;</p>"
    assert html_to_text(html) == "Top-up of ¥500 was “declined” & <refunded>"


def test_blocks_and_breaks_become_lines() -> None:
    html = "<div>第一行</div><div>第二行<br>第三行</div><p>段落</p><h2>Title</h2>tail"
    assert html_to_text(html) == "第一行\n第二行\n第三行\n\n段落\n\nTitle\n\ntail"


def test_links_keep_their_target_as_text_and_unsafe_schemes_are_dropped() -> None:
    html = (
        '<a href="https://gopay.test/help">Help centre</a>, '
        '<a href="https://gopay.test/x">https://gopay.test/x</a>, '
        '<a href="mailto:support@gopay.test">write to us</a>, '
        '<a href="javascript:alert(1)">click</a>'
    )
    assert html_to_text(html) == (
        "Help centre (https://gopay.test/help), https://gopay.test/x, write to us (support@gopay.test), click"
    )


def test_lists_are_bulleted_and_numbered() -> None:
    html = "<ul><li>one</li><li>two</li></ul><ol><li>first</li><li>second</li></ol>"
    assert html_to_text(html) == "- one\n- two\n\n1. first\n2. second"


def test_blockquotes_become_quote_lines() -> None:
    html = "<p>new</p><blockquote><p>old</p><blockquote>older</blockquote></blockquote><p>after</p>"
    lines = html_to_text(html).splitlines()
    assert lines[0] == "new"
    assert "> old" in lines and "> > older" in lines
    assert lines[-1] == "after"


def test_pre_keeps_its_layout() -> None:
    assert html_to_text("<pre>order  123\n  amount 5</pre>") == "order  123\n  amount 5"


def test_invisible_characters_are_removed() -> None:
    assert html_to_text("<p>GP-7K3D\u200b9Q2X\ufeff</p>") == "GP-7K3D9Q2X"
