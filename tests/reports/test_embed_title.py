"""A chart's title and description reach the page as text, whatever characters they hold."""
import xml.etree.ElementTree as ET

from reports import plots


def test_backslashes_and_markup_in_a_title_stay_text():
    title = r"\g<0>\1 <b>信用</b> & C:\path"
    svg = str(plots.calibration([{"predicted": 0.2, "observed": 0.3, "n": 4}], xlabel="x", ylabel="y", title=title,
                                desc="<script>x</script>"))
    assert svg.startswith("<svg")
    assert r'aria-label="\g&lt;0&gt;\1 &lt;b&gt;信用&lt;/b&gt; &amp; C:\path"' in svg
    assert "<script>" not in svg and "&lt;script&gt;x&lt;/script&gt;" in svg
    root = ET.fromstring(svg)
    assert root.find("title").text == title and root.find("desc").text == "<script>x</script>"
