"""storkctl's command tree, dispatched as Stork's cobra commands are.

Stork's ``storkctl`` is a cobra program; this module reproduces what a user sees of that: the
command path is found among the words of the command line (flags may come before, between and
after them), the leaf command parses *all* remaining arguments with its own flags plus the
global ones (``-n``, ``--kubeconfig``, ``--context``, ``-o``, ``-w``, ``--qps``, ``--burst``),
with pflag's rules (``goflags``). Then, as Stork's root ``PersistentPreRun`` does, a usable
kubeconfig is required, and the command runs. Positional arguments are never checked by the
framework: each command checks them itself and says what is wrong in Stork's words.

Exit codes and messages: a flag error is cobra's ``Error: <pflag message>`` and the usage, exit
1; a group without a (known) sub-command prints its help, exit 0, except at the root, where an
unknown command is ``Error: unknown command "x" for "storkctl"``, exit 1; failures of a command
are one ``error: ...`` (or ``Error from server ...``) line, exit 1, as kubectl's ``CheckErr``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import click
from lightkube import Client
from lightkube.config.kubeconfig import SingleConfig

from stork.cli.errors import UserError, exit_code_for
from stork.cli.goflags import (
    HELP,
    Flag,
    FlagError,
    Kind,
    boolean,
    flag_usages,
    integer,
    parse,
    string,
)
from stork.kube.config import KubeconfigError, client_for_config, load_config

GLOBAL_FLAGS: tuple[Flag, ...] = (
    string("namespace", "n", "default", "If present, the namespace scope for this CLI request"),
    string("kubeconfig", help="path to the kubeconfig file to use for CLI requests"),
    string("context", help="name of the kubeconfig context to use"),
    string("output", "o", "table", "output format. One of: table|json|yaml"),
    boolean("watch", "w", help="watch stork resources"),
    integer("qps", default=1000, help="restrict number of k8s API requests from stork"),
    integer("burst", default=2000, help="restrict number of k8s API requests from stork"),
)


@dataclass
class Invocation:
    """What a command gets: its positional arguments, every flag's value, and the cluster."""

    path: str
    args: list[str]
    values: dict[str, Any]
    changed: set[str]
    config: SingleConfig | None = None
    _client: Client | None = None

    def text(self, name: str) -> str:
        """A string flag's value."""
        return str(self.values[name])

    def flag(self, name: str) -> bool:
        """A boolean flag's value."""
        return bool(self.values[name])

    def number(self, name: str) -> int:
        """An int flag's value."""
        return int(self.values[name])

    def items(self, name: str) -> list[str] | None:
        """A string-slice flag's value (None when not given: Go's nil)."""
        value = self.values[name]
        return None if value is None else list(value)

    def pairs(self, name: str) -> dict[str, str] | None:
        """A ``k=v`` flag's value (None when not given and its default is Go's nil)."""
        value = self.values[name]
        return None if value is None else dict(value)

    def given(self, name: str) -> bool:
        """pflag's ``Changed``: the flag was on the command line."""
        return name in self.changed

    @property
    def namespace(self) -> str:
        """``-n``; ``default`` unless given (not the kubeconfig context's namespace)."""
        return self.text("namespace")

    @property
    def output(self) -> str:
        """``-o`` as given (checked only where something is printed, as Stork does)."""
        return self.text("output")

    def cluster_config(self) -> SingleConfig:
        """The kubeconfig context the global flags name (loaded once)."""
        if self.config is None:
            self.config = _load(self)
        return self.config

    def client(self) -> Client:
        """A client of the cluster the kubeconfig names (one per invocation)."""
        if self._client is None:
            self._client = client_for_config(self.cluster_config())
        return self._client

    def close(self) -> None:
        """Close the client, if one was made."""
        if self._client is not None:
            self._client.close()
            self._client = None


Run = Callable[[Invocation], None]


@dataclass
class Command:
    """A storkctl command: a group (verb) when it has no ``run``, else a leaf."""

    name: str
    short: str
    run: Run | None = None
    aliases: tuple[str, ...] = ()
    flags: tuple[Flag, ...] = ()
    long: str = ""
    hidden: bool = False
    needs_cluster: bool = True
    children: list[Command] = field(default_factory=list)
    #: cobra's ``Deprecated``: hidden from help, said when the command itself runs.
    deprecated: str = ""

    def add(self, *commands: Command) -> None:
        """Attach sub-commands."""
        self.children.extend(commands)

    def child(self, word: str) -> Command | None:
        """The sub-command named (or aliased) ``word``."""
        return next((c for c in self.children if word == c.name or word in c.aliases), None)

    def leaf(
        self,
        name: str,
        short: str,
        aliases: Sequence[str] = (),
        flags: Sequence[Flag] = (),
        long: str = "",
        needs_cluster: bool = True,
    ) -> Callable[[Run], Run]:
        """Decorator: register a function as the leaf command ``name`` under this group."""

        def register(run: Run) -> Run:
            self.add(
                Command(name, short, run, tuple(aliases), tuple(flags), long, False, needs_cluster)
            )
            return run

        return register


def _load(inv: Invocation) -> SingleConfig:
    """The kubeconfig context the global flags name (kubectl's loading rules)."""
    try:
        return load_config(inv.values.get("kubeconfig") or None, inv.values.get("context") or None)
    except KubeconfigError as e:
        raise UserError(str(e)) from e


def _all_flags(command: Command) -> list[Flag]:
    """The command's flags and the global ones (a command's own flag of the same name wins)."""
    return [*GLOBAL_FLAGS, *command.flags]


def _strip_flags(args: Sequence[str], flags: Sequence[Flag]) -> list[str]:
    """The words of ``args`` that are not flags or flag values (cobra's ``stripFlags``)."""
    bools = {f.name for f in flags if f.kind is Kind.BOOL} | {"help"}
    short_bools = {f.short for f in flags if f.kind is Kind.BOOL and f.short} | {"h"}
    words: list[str] = []
    rest = list(args)
    while rest:
        word = rest.pop(0)
        if word == "--":
            break
        takes_value = (word.startswith("--") and "=" not in word and word[2:] not in bools) or (
            len(word) == 2 and word[0] == "-" and word[1] not in short_bools
        )
        if takes_value:
            if len(rest) <= 1:
                break
            rest.pop(0)
        elif word and not word.startswith("-"):
            words.append(word)
    return words


def find(root: Command, argv: Sequence[str]) -> tuple[list[Command], list[str]]:
    """The command path the words of ``argv`` name, and the arguments left for its leaf."""
    path, args = [root], list(argv)
    while True:
        words = _strip_flags(args, _all_flags(path[-1]))
        nxt = path[-1].child(words[0]) if words else None
        if nxt is None:
            return path, args
        args.remove(words[0])
        path.append(nxt)


def command_path(path: Sequence[Command]) -> str:
    """``storkctl create migrations`` (canonical names)."""
    return " ".join(c.name for c in path)


def usage_text(path: Sequence[Command]) -> str:
    """cobra's usage block of the last command of ``path``."""
    command, where = path[-1], command_path(path)
    visible = sorted((c for c in command.children if not c.hidden), key=lambda c: c.name)
    lines = ["Usage:"]
    if command.run is not None:
        lines.append(f"  {where} [flags]")
    if visible:
        lines.append(f"  {where} [command]")
    if command.aliases:
        lines += ["", "Aliases:", "  " + ", ".join((command.name, *command.aliases))]
    if visible:
        pad = max(11, *(len(c.name) for c in visible))
        lines += ["", "Available Commands:", *(f"  {c.name.ljust(pad)} {c.short}" for c in visible)]
    help_flag = boolean(HELP.name, HELP.short, help=f"help for {command.name}")
    local = [*command.flags, help_flag] if len(path) > 1 else [*GLOBAL_FLAGS, help_flag]
    lines += ["", "Flags:", flag_usages(local).rstrip("\n")]
    if len(path) > 1:
        lines += ["", "Global Flags:", flag_usages(GLOBAL_FLAGS).rstrip("\n")]
    if visible:
        lines += ["", f'Use "{where} [command] --help" for more information about a command.']
    return "\n".join(lines) + "\n"


def help_text(path: Sequence[Command]) -> str:
    """cobra's help: the description, then the usage block."""
    command = path[-1]
    return (command.long or command.short).rstrip() + "\n\n" + usage_text(path)


def _suggestions(root: Command, word: str) -> str:
    """cobra's "Did you mean this?" (Levenshtein distance 2, or a prefix)."""
    close = [
        c.name
        for c in root.children
        if not c.hidden
        and (_distance(word.lower(), c.name.lower()) <= 2 or c.name.startswith(word))
    ]
    return "\n\nDid you mean this?\n" + "".join(f"\t{n}\n" for n in close) if close else ""


def _distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _flag_error(path: Sequence[Command], error: FlagError) -> int:
    click.echo(f"Error: {error}", err=True)
    click.echo(usage_text(path), err=True)
    return 1


def dispatch(root: Command, argv: Sequence[str]) -> int:
    """Run the command ``argv`` names; the process's exit code (messages already printed)."""
    if argv[:1] == ["help"]:  # cobra's help command: `storkctl help get migrations`
        click.echo(help_text(find(root, argv[1:])[0]), nl=False)
        return 0
    path, args = find(root, argv)
    command = path[-1]
    if command.run is None and len(path) == 1:
        words = _strip_flags(args, _all_flags(command))
        if words:
            click.echo(
                f'Error: unknown command "{words[0]}" for "{root.name}"'
                + _suggestions(root, words[0]),
                err=True,
            )
            click.echo(f"Run '{root.name} --help' for usage.", err=True)
            return 1
    try:
        parsed = parse(args, _all_flags(command))
    except FlagError as e:
        return _flag_error(path, e)
    for warning in parsed.warnings:
        click.echo(warning, err=True)
    if command.deprecated:
        click.echo(f'Command "{command.name}" is deprecated, {command.deprecated}', err=True)
    if parsed.help or command.run is None:
        click.echo(help_text(path), nl=False)
        return 0
    inv = Invocation(command_path(path), parsed.args, parsed.values, parsed.changed)
    try:
        if command.needs_cluster:
            inv.config = _load(inv)
        command.run(inv)
    except BaseException as e:  # noqa: BLE001 - every failure is one line and an exit code, never a traceback
        return exit_code_for(e)
    finally:
        inv.close()
    return 0


class StorkctlCLI(click.Command):
    """The tree as a click command, so that ``main()`` and click's CliRunner run it."""

    def __init__(self, root: Command) -> None:
        super().__init__(root.name, help=root.short)
        self.root = root

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Dispatch ``args`` (default: the process's) and exit with the command's code."""
        code = dispatch(self.root, sys.argv[1:] if args is None else list(args))
        if standalone_mode:
            sys.exit(code)
        return code
