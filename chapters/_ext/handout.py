"""The handout build: the book with every solution left out.

Run the usual build with ``LAZYRICH_HANDOUT=1`` in the environment (or set
the Sphinx option ``lazyrich_handout = True``). Every ``{solution}`` and
every gated ``{solution-start}`` ... ``{solution-end}`` block then leaves
the pages, together with the code cells and outputs between its two
markers. Exercises, their numbers and references to them stay as they are;
a reference to a solution points at its exercise instead.

Why not sphinx-exercise's own ``hide_solutions``: with it on, a
``solution-start`` directive returns no node at all, while ``solution-end``
still returns its marker. The step that gathers a gated solution into one
node starts from the start marker, so it finds nothing to gather: the text
and code cells of each solution stay on the page, and the end marker, which
has no HTML writer, stops the build. This extension leaves
``hide_solutions`` off, lets sphinx-exercise gather each gated solution
into a single solution node as usual (a transform of priority 10), and
removes those nodes in a later transform while the page is still being
read. Nothing of a removed solution reaches the environment: its labels,
images and search terms are never recorded.

The page sources (the notebooks, solutions included) are not copied into
the site, and the download, launch and repository buttons, which hand out
or open the full notebooks, are left out.
"""

import os

from docutils import nodes
from docutils.nodes import fully_normalize_name
from sphinx.addnodes import pending_xref
from sphinx.errors import ConfigError, ExtensionError
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx_exercise import solution_end_node, solution_node, solution_start_node

logger = logging.getLogger(__name__)

ENV_VARIABLE = "LAZYRICH_HANDOUT"
_ON = {"1", "true", "yes", "on"}
_OFF = {"", "0", "false", "no", "off"}


def _flag_from_environment():
    value = os.environ.get(ENV_VARIABLE, "").strip().lower()
    if value in _ON:
        return True
    if value in _OFF:
        return False
    raise ConfigError(
        f"{ENV_VARIABLE}={os.environ[ENV_VARIABLE]!r}: use 1 for the handout, "
        "0 or nothing for the book with solutions"
    )


def _redirects(env):
    """Removed solution label -> (docname, label of its exercise)."""
    if not hasattr(env, "lazyrich_handout_redirects"):
        env.lazyrich_handout_redirects = {}
    return env.lazyrich_handout_redirects


def _gate_marker(node):
    return isinstance(node, (solution_start_node, solution_end_node))


class RemoveSolutions(SphinxTransform):
    """Take every solution node, with everything inside it, off the page."""

    # After sphinx-exercise's MergeGatedSolutions (10), which turns each
    # gated start ... end run into one solution node; before the
    # environment records targets and images (doctree-read, 880).
    default_priority = 15

    def apply(self):
        if not self.config.lazyrich_handout:
            return
        document = self.document
        # A gated solution that was not gathered into one node would leave
        # its content behind; stop rather than hand it out.
        if next(document.findall(_gate_marker), None) is not None:
            raise ExtensionError(
                f"{self.env.docname}: a solution-start or solution-end was not "
                "merged into a solution; the handout cannot tell where that "
                "solution ends"
            )
        redirects = _redirects(self.env)
        for solution in list(document.findall(solution_node)):
            target = fully_normalize_name(solution.get("target_label", ""))
            for name in solution["names"]:
                redirects[name] = (self.env.docname, target)
            # Forget the targets inside the solution as well as its own, so
            # that nothing can link to an anchor the page no longer has.
            for node in solution.findall(nodes.Element):
                for name in node["names"]:
                    document.nameids.pop(name, None)
                    document.nametypes.pop(name, None)
                for node_id in node["ids"]:
                    document.ids.pop(node_id, None)
            solution.parent.remove(solution)


class RedirectSolutionReferences(SphinxPostTransform):
    """Point a reference to a removed solution at the exercise it solves."""

    # Before sphinx-exercise turns references to exercises into numbered
    # ones (5) and before references are resolved (10).
    default_priority = 4

    def run(self):
        if not self.config.lazyrich_handout:
            return
        redirects = _redirects(self.env)
        for ref in self.document.findall(pending_xref):
            if ref.get("refdomain") == "std" and ref["reftarget"] in redirects:
                ref["reftarget"] = redirects[ref["reftarget"]][1]


def _configure(app, config):
    if config.lazyrich_handout is None:
        config.lazyrich_handout = _flag_from_environment()
    if config.hide_solutions:
        logger.warning(
            "hide_solutions leaves the content of gated solutions on the page "
            "and stops the build at their solution-end; leave it off and set "
            f"{ENV_VARIABLE}=1 for a build without solutions"
        )
    if not config.lazyrich_handout:
        return
    config.html_copy_source = False
    if config.html_theme == "sphinx_book_theme":
        config.html_theme_options = {
            **config.html_theme_options,
            "launch_buttons": {},
            "use_download_button": False,
            # The repository holds the notebooks, solutions included.
            "use_repository_button": False,
            "use_issues_button": False,
            "use_edit_page_button": False,
        }
    logger.info("handout build: solutions are left out")


def _purge(app, env, docname):
    redirects = _redirects(env)
    for name in [n for n, (doc, _) in redirects.items() if doc == docname]:
        del redirects[name]


def _merge(app, env, docnames, other):
    _redirects(env).update(
        (name, entry)
        for name, entry in _redirects(other).items()
        if entry[0] in docnames
    )


def setup(app):
    app.setup_extension("sphinx_exercise")
    # None: take the value from the environment variable.
    app.add_config_value("lazyrich_handout", None, "env", types=(bool, type(None)))
    app.connect("config-inited", _configure)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.add_transform(RemoveSolutions)
    app.add_post_transform(RedirectSolutionReferences)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
