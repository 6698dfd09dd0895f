"""``vpsorg completion bash|zsh|fish``: completion scripts generated from the argument parser itself."""

from __future__ import annotations

import argparse
from typing import Any

from ._env import Environment, ExitStatus


def tree(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], list[str]]:
    """Every command path -> the words that may follow it (subcommands, then options)."""
    words: list[str] = []
    out: dict[tuple[str, ...], list[str]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            choices: dict[str, Any] = action.choices
            for name, sub in choices.items():
                words.append(name)
                out.update(tree(sub, (*path, name)))
        else:
            words.extend(o for o in action.option_strings if o.startswith("--"))
    out[path] = words
    return out


def bash(paths: dict[tuple[str, ...], list[str]]) -> str:
    cases = "\n".join(f'        "{" ".join(p)}") words="{" ".join(w)}" ;;' for p, w in sorted(paths.items()))
    return f"""# bash completion for vpsorg: eval "$(vpsorg completion bash)"
_vpsorg() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} path="" word words
    for word in "${{COMP_WORDS[@]:1:COMP_CWORD-1}}"; do
        case "$word" in
            -*) ;;
            *) [ -n "$(_vpsorg_words "${{path:+$path }}$word")" ] && path="${{path:+$path }}$word" ;;
        esac
    done
    COMPREPLY=($(compgen -W "$(_vpsorg_words "$path")" -- "$cur"))
}}
_vpsorg_words() {{
    local words=""
    case "$1" in
{cases}
    esac
    echo "$words"
}}
complete -F _vpsorg vpsorg
"""


def fish(paths: dict[tuple[str, ...], list[str]]) -> str:
    lines = ["# fish completion for vpsorg: vpsorg completion fish | source"]
    for path, words in sorted(paths.items()):
        seen = " ".join(path)
        cond = f"__fish_seen_subcommand_from {path[-1]}" if path else "__fish_use_subcommand"
        subs = [w for w in words if not w.startswith("-")]
        if subs:
            lines.append(f"complete -c vpsorg -f -n '{cond}' -a '{' '.join(subs)}'  # {seen or 'vpsorg'}")
        for option in (w for w in words if w.startswith("--")):
            lines.append(f"complete -c vpsorg -n '{cond}' -l {option[2:]}")
    return "\n".join(lines) + "\n"


def cmd_completion(args: argparse.Namespace, env: Environment) -> int:
    from ._parser import build_parser

    paths = tree(build_parser(env))
    script = fish(paths) if args.shell == "fish" else bash(paths)
    if args.shell == "zsh":
        script = (
            '# zsh completion for vpsorg: eval "$(vpsorg completion zsh)"\n'
            "autoload -U +X bashcompinit && bashcompinit\n" + script.split("\n", 1)[1]
        )
    env.print(script.rstrip("\n"))
    return ExitStatus.SUCCESS
