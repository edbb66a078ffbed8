"""A chart's title and description reach the page as text, whatever characters they hold."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from reports.embed import figure_svg  # noqa: E402


def test_backslashes_and_markup_in_a_title_stay_text():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    title = r"\g<0>\1 <b>信用</b> & C:\path"
    svg = str(figure_svg(fig, title=title, desc="<script>x</script>", salt="t"))
    plt.close(fig)
    assert svg.startswith("<svg")
    assert r'aria-label="\g&lt;0&gt;\1 &lt;b&gt;信用&lt;/b&gt; &amp; C:\path"' in svg
    assert "<script>" not in svg and "&lt;script&gt;x&lt;/script&gt;" in svg
