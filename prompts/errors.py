"""Prompt errors.

- ``PromptError`` — the prompt set cannot be used; raised at start-up by ``PromptLibrary.load`` so a missing or
  broken prompt fails ``callscreen serve`` instead of a call. The message lists every problem found.
- ``PromptBuildError`` — ``python -m prompts.build`` could not render a prompt (espeak-ng or sox missing or failing).
"""

from __future__ import annotations


class PromptError(Exception):
    """The manifest or a prompt file is missing, malformed, of the wrong format, or fails its checksum."""


class PromptBuildError(Exception):
    """Rendering a prompt with espeak-ng + sox failed."""
