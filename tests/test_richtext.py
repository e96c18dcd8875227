from core.richtext import render_markdown


def test_renders_the_markdown_subset():
    html = render_markdown("Un *projet* **retenu**, ^^souligné^^.\n\n- accès\n- maintien")
    assert "<em>projet</em>" in html
    assert "<strong>retenu</strong>" in html
    assert "<ins>souligné</ins>" in html
    assert "<ul>\n<li>accès</li>\n<li>maintien</li>\n</ul>" in html


def test_scripts_and_attributes_never_get_through():
    html = render_markdown('<script>alert(1)</script> <img src=x onerror="alert(1)"> [lien](javascript:alert(1))')
    assert "<script" not in html
    assert "onerror" not in html
    assert "<img" not in html
    assert "href" not in html
