"""Write each inline script of a page once.

Sphinx 7.4 registers a script added by an extension after the HTML builder
starts twice: once as given (``filename=None``) and once, when writing
begins, from its registry with ``filename=''``. The two copies compare
unequal, so pages carry the inline script twice. For a script that declares
a ``const`` (sphinx-thebe's configuration does) the second copy is a
``SyntaxError`` in the browser console. This extension drops the repeated
copies from each page's script list; scripts with a file name are already
unique.
"""


def _drop_repeated_inline_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        if not getattr(script, "filename", None):
            key = tuple(sorted(getattr(script, "attributes", {}).items()))
            if key in seen:
                continue
            seen.add(key)
        unique.append(script)
    # The builder restores its own list after each page, so editing the
    # page's list in place affects this page only.
    scripts[:] = unique


def setup(app):
    # Run late, after the extensions that add scripts to individual pages.
    app.connect("html-page-context", _drop_repeated_inline_scripts, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
