"""YAML read as PyYAML's node tree, so every value keeps its line number for reports."""

from __future__ import annotations

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode


class YamlError(ValueError):
    """Text that is not YAML; `line` is where the parser gave up."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


def documents(text: str) -> list[Node]:
    """The node tree of each YAML document in `text` (empty documents left out)."""
    try:
        return [d for d in yaml.compose_all(text, Loader=yaml.SafeLoader) if d is not None]
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise YamlError(f"not YAML: {exc.problem or exc}", line) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise YamlError(f"not YAML: {str(exc)[:60]}", 0) from None


def items(node: Node | None) -> list[tuple[str, Node]]:
    """(key, value) pairs of a mapping with scalar keys; [] for anything else."""
    if not isinstance(node, MappingNode):
        return []
    return [(k.value, v) for k, v in node.value if isinstance(k, ScalarNode)]


def get(node: Node | None, key: str) -> Node | None:
    return next((v for k, v in items(node) if k == key), None)


def scalars(node: Node | None) -> list[ScalarNode]:
    """The scalar itself, or the scalars of a sequence (nested sequences flattened)."""
    if isinstance(node, ScalarNode):
        return [node] if node.value != "" and node.tag != "tag:yaml.org,2002:null" else []
    if isinstance(node, SequenceNode):
        return [s for child in node.value for s in scalars(child)]
    return []


def line(node: Node) -> int:
    return node.start_mark.line + 1

