#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Check reStructuredText files with docutils, as Sphinx would read them.

Usage: rst-check.py --kernel-doc SCRIPT --srctree DIR FILE...

Parses each FILE with docutils and prints every message of level WARNING
or above (malformed tables, bad indentation, unknown roles or directives,
unresolved references, ...) as "FILE:LINE: (LEVEL/N) text"; exits 1 if
there was any. What docutils alone does not know is stood in for:

- ``.. kernel-doc:: FILE`` (with :doc:, :export:, :internal:,
  :identifiers:, :functions:, :no-identifiers:) runs SCRIPT -rst on
  DIR/FILE and parses what it prints in place, as the kernel's Sphinx
  extension does, so the markup of the kernel-doc comments is checked
  too; a message about it points at the line of the C file. A directive
  that renders nothing is an error, where Sphinx shows an empty section:
  one whose output has no line but kernel-doc's line markers, or for
  which kernel-doc says on stderr that a name was "not found" or that
  the file has "no structured comments";
- ``.. literalinclude::`` reads its file (relative to the .rst) and checks
  that :start-after: and :end-before: are found;
- the directives and roles of Sphinx's C domain and its cross-reference
  roles are accepted, with their content parsed as the body of the
  document (their targets are not resolved).
"""

import argparse
import os
import re
import subprocess
import sys

from docutils import nodes, statemachine
from docutils.core import publish_doctree
from docutils.parsers.rst import Directive, directives, roles

ARGS = None
DIRECTIVES = 0  # kernel-doc directives expanded

# What kernel-doc says on stderr when a directive finds nothing: a :doc: or
# :identifiers: name that is not in the file, or a file (or, with
# -export/-internal, a selection) without one kernel-doc comment. Not its
# "Warning: Sphinx version not found", which it always prints.
NOTHING_FOUND = re.compile(r": warning: ('.*' not found"
                           r"|no structured comments found)")

# Roles Sphinx defines (its C domain and its general cross-references):
# shown as literal text here.
SPHINX_ROLES = {
    "c:func", "c:type", "c:macro", "c:data", "c:member", "c:var",
    "c:struct", "c:union", "c:enum", "c:enumerator", "c:expr", "c:texpr",
    "ref", "doc", "any", "term", "numref", "download", "file", "samp",
    "envvar", "option", "manpage", "command", "program", "kbd", "abbr",
    "guilabel", "menuselection",
}

# Directives of Sphinx's C domain (and a few of its own) whose content is
# body text, or nothing.
SPHINX_DIRECTIVES = {
    "c:function", "c:struct", "c:union", "c:enum", "c:enumerator",
    "c:type", "c:macro", "c:member", "c:var", "c:alias", "c:namespace",
    "c:namespace-push", "c:namespace-pop", "toctree", "only", "highlight",
}


def sphinx_role(name, rawtext, text, lineno, inliner, options=None,
                content=None):
    return [nodes.literal(rawtext, text)], []


class SphinxDirective(Directive):
    """A Sphinx directive: any argument; the content parsed as body."""
    required_arguments = 0
    optional_arguments = 1
    final_argument_whitespace = True
    has_content = True

    def run(self):
        node = nodes.container()
        if self.content:
            self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


class AnyOptions(dict):
    """An option_spec that takes every option of a Sphinx directive."""

    def __missing__(self, key):
        return directives.unchanged


SphinxDirective.option_spec = AnyOptions()

_directive = directives.directive
_role = roles.role


def directive(name, language, document):
    if name in SPHINX_DIRECTIVES:
        return SphinxDirective, []
    return _directive(name, language, document)


def role(name, language, lineno, reporter):
    if name in SPHINX_ROLES:
        return sphinx_role, []
    return _role(name, language, lineno, reporter)


class KernelDoc(Directive):
    """.. kernel-doc:: FILE: the reST that scripts/kernel-doc makes of it."""
    required_arguments = 1
    optional_arguments = 0
    has_content = False
    option_spec = {
        "doc": directives.unchanged_required,
        "export": directives.unchanged,
        "internal": directives.unchanged,
        "identifiers": directives.unchanged,
        "functions": directives.unchanged,
        "no-identifiers": directives.unchanged,
    }

    def kernel_doc(self, cmd, name=None):
        """Run kernel-doc @cmd (for @name); an error if it renders nothing."""
        run = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if run.returncode:
            raise self.error("%s failed (%d): %s" % (" ".join(cmd),
                             run.returncode, run.stderr.strip()))
        found_nothing = [m.group(0).lstrip(": ") for m in
                         map(NOTHING_FOUND.search, run.stderr.splitlines())
                         if m]
        rendered = [line for line in run.stdout.splitlines()
                    if line.strip() and not line.startswith(".. LINENO ")]
        if found_nothing or not rendered:
            raise self.error("kernel-doc:: %s%s renders nothing%s (%s)" % (
                self.arguments[0],
                "".join(" :%s: %s" % (k, v) if v else " :%s:" % k
                        for k, v in sorted(self.options.items())),
                " for " + name if name else "",
                "; ".join(found_nothing) or "no output"))
        return run

    def run(self):
        global DIRECTIVES
        DIRECTIVES += 1
        path = os.path.join(ARGS.srctree, self.arguments[0])
        if not os.path.isfile(path):
            raise self.error("kernel-doc: no file %s" % path)
        cmd = ["perl", ARGS.kernel_doc, "-rst", "-enable-lineno"]
        opts = self.options
        ids = opts.get("identifiers", opts.get("functions"))
        names = []
        if "export" in opts:
            cmd.append("-export")
        elif "internal" in opts:
            cmd.append("-internal")
        elif "doc" in opts:
            cmd += ["-function", opts["doc"]]
        elif ids is not None:
            names = ids.split()
            for name in names:
                cmd += ["-function", name]
            if not names:
                cmd.append("-no-doc-sections")
        for name in opts.get("no-identifiers", "").split():
            cmd += ["-nosymbol", name]
        cmd.append(path)
        run = self.kernel_doc(cmd)
        # kernel-doc warns only when a run found nothing at all: each of
        # several names gets a run of its own.
        if len(names) > 1:
            for name in names:
                self.kernel_doc(["perl", ARGS.kernel_doc, "-rst",
                                 "-function", name, path], name)
        lines = statemachine.string2lines(run.stdout, 8,
                                          convert_whitespace=True)
        content = statemachine.StringList()
        lineno = 0
        for line in lines:
            m = re.match(r"^\.\. LINENO ([0-9]+)$", line)
            if m:
                lineno = int(m.group(1)) - 1
                continue
            content.append(line, path, lineno)
            lineno += 1
        # Messages about it name the C file and line it came from.
        reporter = self.state.memo.reporter
        outer = reporter.get_source_and_line

        def where(line=None):
            if line is None or not 0 < line <= len(content):
                return outer(line)
            src, offset = content.info(line - 1)
            return src, offset + 1

        node = nodes.section()
        reporter.get_source_and_line = where
        try:
            self.state.nested_parse(content, 0, node, match_titles=True)
        finally:
            reporter.get_source_and_line = outer
        return node.children


class LiteralInclude(Directive):
    """.. literalinclude:: FILE, relative to the document."""
    required_arguments = 1
    optional_arguments = 0
    final_argument_whitespace = True
    has_content = False
    option_spec = {
        "language": directives.unchanged,
        "start-after": directives.unchanged_required,
        "end-before": directives.unchanged_required,
        "linenos": directives.flag,
        "caption": directives.unchanged,
        "name": directives.unchanged,
    }

    def run(self):
        source = self.state_machine.get_source_and_line(self.lineno)[0]
        path = os.path.join(os.path.dirname(source or "."), self.arguments[0])
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise self.error("literalinclude: %s" % e)
        for opt in ("start-after", "end-before"):
            marker = self.options.get(opt)
            if marker is None:
                continue
            at = text.find(marker)
            if at < 0:
                raise self.error("literalinclude: %s %r not in %s" %
                                 (opt, marker, path))
            text = text[at + len(marker):] if opt == "start-after" \
                else text[:at]
        return [nodes.literal_block(text, text)]


def check(path):
    """Parse @path; return its messages of level WARNING and above."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    messages = []

    class Stream:
        def write(self, s):
            messages.append(s)

    publish_doctree(text, source_path=path, settings_overrides={
        "report_level": 2,          # WARNING and above
        "halt_level": 5,            # never stop: report everything
        "warning_stream": Stream(),
        "file_insertion_enabled": True,
        "raw_enabled": False,
        "tab_width": 8,
    })
    text = "".join(messages)
    found = re.split(r"\n(?=\S[^\n]*:[0-9]*: \((?:WARNING|ERROR|SEVERE)/)",
                     text.strip())
    return [m for m in found if m.strip()]


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel-doc", required=True,
                    help="the kernel's scripts/kernel-doc")
    ap.add_argument("--srctree", default=".",
                    help="what kernel-doc paths are relative to")
    ap.add_argument("files", nargs="+")
    ARGS = ap.parse_args()

    directives.directive = directive
    roles.role = role
    directives.register_directive("kernel-doc", KernelDoc)
    directives.register_directive("literalinclude", LiteralInclude)

    problems = 0
    for path in ARGS.files:
        found = check(path)
        for m in found:
            print(m)
        problems += len(found)
    print("rst-check: %d file(s), %d kernel-doc directive(s), %d problem(s)"
          % (len(ARGS.files), DIRECTIVES, problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
