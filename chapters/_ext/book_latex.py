"""LaTeX output of the book with the engine and theme that it configures.

Jupyter Book loads ``sphinx_jupyterbook_latex`` for every build. In its
``config-inited`` handler that extension overwrites two settings whatever
the book says:

- ``latex_theme`` becomes its own ``jupyterBook`` class, whose additions
  over Sphinx's ``manual`` class are macros and packages the book does not
  use; one of them, ``bbm``, comes on Debian only with the 1.4 GB
  ``texlive-fonts-extra``;
- ``latex_engine`` becomes ``xelatex``, which cannot fall back to a second
  font for a character the first one lacks.

This extension notes both settings before that handler runs and puts them
back after it. The rest of ``sphinx_jupyterbook_latex`` is kept: parts made
from the captions of the table of contents, hidden cells left out, cell
inputs and outputs told apart, and the bibliography at the end. Its preamble
loads ``ucharclasses``, a XeTeX-only package that it configures to do
nothing; for any other engine that line is dropped.

For a book with parts, ``sphinx_jupyterbook_latex`` also sets
``numfig_secnum_depth`` to 2, the value with which the LaTeX writer resets
the figure and equation counters at each chapter; the numbers of theorems
and exercises, which Sphinx computes itself, are still counted per chapter
with the book's own depth, as in the HTML book (see ``BlockNumberDepth``).

Three transforms prepare the doctree for print:

- LaTeX numbers every chapter and part, whereas the book numbers only the
  chapters of the parts marked ``numbered`` in ``_toc.yml`` (the captions
  of the parts carry their own numerals). Each document is preceded by a
  switch that turns LaTeX's numbering on or off, so that chapter, section,
  theorem and equation numbers agree with the ones Sphinx computed and
  printed in the text.
- SymPy results, which MyST-NB turns into display math, are set by a macro
  that scales a result down to the line's width when it would run into the
  margin: a wide matrix cannot be broken across lines.
- A proof of ``sphinx_proof`` is an admonition without a title, which
  Sphinx's LaTeX writer cannot set (the first word of the proof would be
  read as the title); it becomes a plain block that ends with a square.

The small LaTeX package ``booklatex.sty`` next to this file defines those
macros, and the two environments for cell inputs and outputs that the
``jupyterBook`` class used to define.
"""

from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.builders.latex import LaTeXBuilder
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.fileutil import copy_asset_file

#: The LaTeX package written next to the generated ``.tex`` file.
LATEX_PACKAGE = "booklatex"

#: Sphinx runs the handlers of an event in ascending order of priority;
#: ``sphinx_jupyterbook_latex`` uses the default, 500, for ``config-inited``
#: and ``builder-inited``.
BEFORE_JUPYTERBOOK_LATEX = 100
AFTER_JUPYTERBOOK_LATEX = 900

#: The heading of the root document in the PDF (its title, the book's, is
#: on the title page).
FRONT_CHAPTER_TITLE = "Preface"

#: The line of the ``sphinx_jupyterbook_latex`` preamble that only XeTeX
#: can compile (the package sits in TeX Live's xelatex tree).
XETEX_ONLY_LINE = r"\usepackage[Latin,Greek]{ucharclasses}"


class BookLatexSettings:
    """The book's own ``latex_engine`` and ``latex_theme``, kept aside."""

    def __init__(self):
        self.engine = None
        self.theme = None

    def remember(self, app, config):
        """Note the settings before ``sphinx_jupyterbook_latex`` runs.

        Parameters
        ----------
        app : sphinx.application.Sphinx
            The application (unused; part of the event's signature).
        config : sphinx.config.Config
            The configuration as the book set it.
        """
        self.engine = config.latex_engine
        self.theme = config.latex_theme

    def restore(self, app, config):
        """Put the noted settings back, and adapt the extension's preamble.

        Parameters
        ----------
        app : sphinx.application.Sphinx
            The application (unused; part of the event's signature).
        config : sphinx.config.Config
            The configuration after ``sphinx_jupyterbook_latex`` ran.
        """
        config.latex_engine = self.engine
        config.latex_theme = self.theme
        if self.engine != "xelatex":
            elements = config.latex_elements
            preamble = elements.get("preamble", "")
            elements["preamble"] = preamble.replace(XETEX_ONLY_LINE, "")


class BlockNumberDepth:
    """Number theorems and exercises per chapter in the PDF, as in the HTML.

    ``numfig_secnum_depth`` is read twice, with two meanings. When the
    environment numbers the blocks that Sphinx numbers itself (the
    theorems of ``sphinx_proof`` and the exercises of ``sphinx_exercise``,
    whose numbers are written into the LaTeX as text), the depth counts
    from the chapter, whose number starts each section number. When the
    LaTeX writer tells ``sphinx.sty`` where to reset the figure and
    equation counters, it counts from the top sectioning unit, which with
    parts is the part. ``sphinx_jupyterbook_latex`` sets the depth to 2 for
    a book with parts, which is right for the writer (reset at each
    chapter) but numbers the blocks by section ("Theorem 3.2.1").

    The book's own depth is therefore in force while the environment
    numbers the blocks, and the depth set for LaTeX once the writer starts.
    """

    def __init__(self):
        self.book_depth = None
        self.latex_depth = None

    def remember(self, app, config):
        """Note the book's depth before ``sphinx_jupyterbook_latex`` runs.

        Parameters
        ----------
        app : sphinx.application.Sphinx
            The application (unused; part of the event's signature).
        config : sphinx.config.Config
            The configuration as the book set it.
        """
        self.book_depth = config.numfig_secnum_depth

    def number_blocks_per_chapter(self, app):
        """Give the environment the book's depth for a LaTeX build.

        Parameters
        ----------
        app : sphinx.application.Sphinx
            The application whose builder has just been set up.
        """
        if isinstance(app.builder, LaTeXBuilder):
            self.latex_depth = app.config.numfig_secnum_depth
            app.config.numfig_secnum_depth = self.book_depth

    def reset_counters_per_chapter(self, app, doctree, docname):
        """Give the LaTeX writer the depth set for it.

        The LaTeX builder resolves the references of the book's joined
        doctree, with the numbers that the environment computed, just
        before its writer sets the preamble; it emits no ``write-started``.

        Parameters
        ----------
        app : sphinx.application.Sphinx
            The application.
        doctree : docutils.nodes.document
            The resolved doctree (unused; part of the event's signature).
        docname : str
            Its name (unused; part of the event's signature).
        """
        if self.latex_depth is not None:
            app.config.numfig_secnum_depth = self.latex_depth


def copy_latex_package(app):
    """Write ``booklatex.sty`` into the output folder of a LaTeX build.

    Parameters
    ----------
    app : sphinx.application.Sphinx
        The application whose builder has just been set up.
    """
    if isinstance(app.builder, LaTeXBuilder):
        source = Path(__file__).with_name(f"{LATEX_PACKAGE}.sty")
        copy_asset_file(str(source), app.outdir)


class MatchSectionNumbers(SphinxPostTransform):
    """Number in LaTeX exactly the documents that Sphinx numbers.

    The LaTeX builder joins all documents into one tree, each inside a
    ``start_of_file`` node; ``sphinx_jupyterbook_latex`` adds one more such
    node, named after its caption, for every part. A document is numbered
    when the table of contents gave it section numbers.
    """

    builders = ("latex",)
    # After LatexRootDocPostTransforms (priority 700) has made the parts.
    default_priority = 800

    def run(self, **kwargs):
        """Put the matching numbering switch at the start of each file."""
        numbered_docs = {
            docname for docname, numbers in self.env.toc_secnumbers.items() if numbers
        }
        for start in self.document.findall(addnodes.start_of_file):
            if start["docname"] in numbered_docs:
                switch = r"\booklatexNumbered"
            else:
                switch = r"\booklatexUnnumbered"
            start.insert(0, nodes.raw("", switch + "\n", format="latex"))


class FrontChapter(SphinxPostTransform):
    """Open the root document with an unnumbered chapter of its own.

    The LaTeX writer takes the first title of the joined doctree, the root
    document's, as the title of the book and skips it, so the root's text
    would follow the table of contents without a heading, under its running
    head. It is headed instead by ``\\booklatexFrontChapter``, titled
    ``FRONT_CHAPTER_TITLE``.
    """

    builders = ("latex",)
    # After LatexRootDocPostTransforms (priority 700) has flattened the
    # root's sections into its top-level section.
    default_priority = 800

    def run(self, **kwargs):
        """Insert the chapter heading after the root's (skipped) title."""
        root = self.config.root_doc
        for section in self.document.findall(nodes.section):
            if section.get("docname") == root:
                break
        else:
            return
        title = section.next_node(nodes.title)
        index = section.index(title) + 1 if title is not None else 0
        heading = rf"\booklatexFrontChapter{{{FRONT_CHAPTER_TITLE}}}"
        section.insert(index, nodes.raw("", heading + "\n", format="latex"))


#: Text for the TeX commands that occur in the mathematics of headings.
HEADING_MATH_TEXT = {
    r"^\top": "\N{MODIFIER LETTER CAPITAL T}",
    r"^T": "\N{MODIFIER LETTER CAPITAL T}",
    r"\lambda": "\N{GREEK SMALL LETTER LAMDA}",
    r"\tau": "\N{GREEK SMALL LETTER TAU}",
    r"\eta": "\N{GREEK SMALL LETTER ETA}",
    r"\alpha": "\N{GREEK SMALL LETTER ALPHA}",
    r"\Sigma": "\N{GREEK CAPITAL LETTER SIGMA}",
    r"\infty": "\N{INFINITY}",
}


class HeadingMathText(SphinxPostTransform):
    """Give the mathematics in a heading a text form for the PDF bookmarks.

    A bookmark is a PDF string, in which hyperref drops what it cannot
    write as text (math shifts, superscripts) with a warning. Mathematics
    that reads as text once the commands of ``HEADING_MATH_TEXT`` are
    replaced is set with ``\\texorpdfstring``; any other is left alone.
    """

    builders = ("latex",)
    default_priority = 10

    def run(self, **kwargs):
        """Replace the math nodes of titles that have a text form."""
        for title in self.document.findall(nodes.title):
            for math in list(title.findall(nodes.math)):
                latex = math.astext()
                text = latex
                for command, replacement in HEADING_MATH_TEXT.items():
                    text = text.replace(command, replacement)
                if any(c in text for c in "\\^_{}$%#&~"):
                    continue
                # \protect, as the LaTeX writer does: a heading is moved
                # to the contents and the running heads.
                markup = rf"\texorpdfstring{{\protect\({latex}\protect\)}}{{{text}}}"
                math.replace_self(nodes.raw("", markup, format="latex"))


class PlainProofs(SphinxPostTransform):
    """Turn each untitled ``proof`` admonition into a ``proof`` container.

    Sphinx sets a container of class ``proof`` in the LaTeX environment
    ``sphinxclassproof``, which ``booklatex.sty`` defines.
    """

    builders = ("latex",)
    default_priority = 10

    def run(self, **kwargs):
        """Replace the admonitions, keeping their ids and content."""
        for admonition in list(self.document.findall(nodes.admonition)):
            untitled = not any(isinstance(c, nodes.title) for c in admonition.children)
            if "proof" not in admonition["classes"] or not untitled:
                continue
            # The directive gives the classes "proof" and the proof's kind,
            # also "proof": once is enough, or the environment nests.
            classes = list(dict.fromkeys(admonition["classes"]))
            block = nodes.container("", *admonition.children, classes=classes)
            block["ids"] = admonition["ids"]
            admonition.replace_self(block)


class FitOutputMath(SphinxPostTransform):
    """Set each SymPy result of a notebook with ``\\booklatexOutputMath``.

    MyST-NB renders a ``text/latex`` output as a ``math_block`` with the
    class ``text_latex``; equations written in the text are left alone.
    """

    builders = ("latex",)
    # After MyST-NB's SelectMimeType (priority 4) has picked text/latex.
    default_priority = 10

    def run(self, **kwargs):
        """Replace the output math blocks by raw LaTeX calling the macro."""
        for block in list(self.document.findall(nodes.math_block)):
            if "text_latex" not in block["classes"]:
                continue
            latex = rf"\booklatexOutputMath{{{block.astext()}}}"
            block.replace_self(nodes.raw("", latex + "\n", format="latex"))


def setup(app):
    """Register the handlers, the transforms and the LaTeX package.

    Parameters
    ----------
    app : sphinx.application.Sphinx
        The application.

    Returns
    -------
    dict
        Extension metadata: safe for parallel reading and writing.
    """
    settings = BookLatexSettings()
    app.connect("config-inited", settings.remember, priority=BEFORE_JUPYTERBOOK_LATEX)
    app.connect("config-inited", settings.restore, priority=AFTER_JUPYTERBOOK_LATEX)
    depth = BlockNumberDepth()
    app.connect("config-inited", depth.remember, priority=BEFORE_JUPYTERBOOK_LATEX)
    # sphinx_jupyterbook_latex changes the depth in its builder-inited
    # handler, at the default priority.
    app.connect(
        "builder-inited",
        depth.number_blocks_per_chapter,
        priority=AFTER_JUPYTERBOOK_LATEX,
    )
    app.connect("doctree-resolved", depth.reset_counters_per_chapter)
    app.connect("builder-inited", copy_latex_package)
    app.add_post_transform(MatchSectionNumbers)
    app.add_post_transform(FrontChapter)
    app.add_post_transform(HeadingMathText)
    app.add_post_transform(PlainProofs)
    app.add_post_transform(FitOutputMath)
    # Only LaTeX builders read this: \usepackage{booklatex} comes after
    # sphinx.sty, whose colours and verbatim set-up the package relies on.
    app.add_latex_package(LATEX_PACKAGE)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
